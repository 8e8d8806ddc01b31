package storetest

import (
	"errors"
	"testing"

	"github.com/switchboard-go/switchboard"
)

// testGroupWriter checks the GroupWriter capability: a group applies its
// changes in order, as one change, or none of them.
func testGroupWriter(t *testing.T, s switchboard.Store) {
	gw, ok := s.(switchboard.GroupWriter)
	if !ok {
		t.Skip("the store does not implement switchboard.GroupWriter")
	}
	ctx := t.Context()
	t1, t2 := newTask("t1", 1), newTask("t2", 2)
	t1v2 := next(t1, func(t *switchboard.Task) { t.Priority = 1 })
	t1v3 := next(t1v2, func(t *switchboard.Task) { t.State = switchboard.StateCompleted })
	group := []*switchboard.Change{
		{Tasks: []*switchboard.Task{t1}, Agents: []*switchboard.Agent{fullAgent("ana")},
			Events: []switchboard.Event{{Seq: 1, Type: switchboard.EventTaskCreated, TaskID: "t1"}}},
		{Tasks: []*switchboard.Task{t2, t1v2}, Events: []switchboard.Event{{Seq: 2, Type: switchboard.EventTaskCreated, TaskID: "t2"}}},
		{Tasks: []*switchboard.Task{t1v3}, DeleteAgents: []string{"ana"}},
	}
	if err := gw.WriteGroup(ctx, group); err != nil {
		t.Fatalf("WriteGroup: %v", err)
	}
	wantTask(t, s, t1v3.Clone())
	wantTask(t, s, newTask("t2", 2))
	snap, err := s.Load(ctx)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(snap.Agents) != 0 || snap.LastEventSeq != 2 || snap.LastSequence != 2 {
		t.Errorf("after the group: %d agents, LastEventSeq %d, LastSequence %d; want 0 (put, then deleted), 2 and 2",
			len(snap.Agents), snap.LastEventSeq, snap.LastSequence)
	}

	// A conflict in the last change undoes the whole group.
	t2v2 := next(newTask("t2", 2), nil)
	bad := []*switchboard.Change{
		{Tasks: []*switchboard.Task{newTask("t3", 3), t2v2}, Events: []switchboard.Event{{Seq: 3}}},
		{Tasks: []*switchboard.Task{newTask("t1", 1)}}, // t1 exists: a conflict
	}
	if err := gw.WriteGroup(ctx, bad); !errors.Is(err, switchboard.ErrConflict) {
		t.Errorf("WriteGroup with a stale version in its last change: %v, want an error matching ErrConflict", err)
	}
	wantNoTask(t, s, "t3")
	wantTask(t, s, newTask("t2", 2))
	if snap, err := s.Load(ctx); err != nil || snap.LastEventSeq != 2 {
		t.Errorf("after a refused group: LastEventSeq %v (%v), want 2", snap.LastEventSeq, err)
	}
	if err := gw.WriteGroup(ctx, nil); err != nil {
		t.Errorf("WriteGroup of no change: %v", err)
	}

	// A busy group with no deletes: one agent written by several changes
	// keeps its last value, every change's events count, a task written
	// twice is checked twice.
	bo := fullAgent("bo")
	boBusy := fullAgent("bo")
	boBusy.Status = "Lunch"
	t4 := newTask("t4", 4)
	t4v2 := next(t4, func(t *switchboard.Task) { t.Priority = 2 })
	busy := []*switchboard.Change{
		{Tasks: []*switchboard.Task{t4}, Agents: []*switchboard.Agent{bo}, Events: []switchboard.Event{{Seq: 3, TaskID: "t4"}}},
		{Tasks: []*switchboard.Task{t4v2}, Agents: []*switchboard.Agent{boBusy}, Events: []switchboard.Event{{Seq: 4, TaskID: "t4"}, {Seq: 5, AgentID: "bo"}}},
		{Agents: []*switchboard.Agent{fullAgent("cy")}, Events: []switchboard.Event{{Seq: 6, AgentID: "cy"}}},
	}
	if err := gw.WriteGroup(ctx, busy); err != nil {
		t.Fatalf("WriteGroup of a busy group: %v", err)
	}
	wantTask(t, s, t4v2.Clone())
	snap, err = s.Load(ctx)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	agents := map[string]switchboard.AgentStatus{}
	for _, a := range snap.Agents {
		agents[a.ID] = a.Status
	}
	if len(agents) != 2 || agents["bo"] != "Lunch" || agents["cy"] != switchboard.StatusAvailable || snap.LastEventSeq != 6 {
		t.Errorf("after a busy group: agents %v, LastEventSeq %d; want bo at Lunch (its last value), cy Available, and 6",
			agents, snap.LastEventSeq)
	}
	// Twice the same new task in one group is a conflict, and undoes it.
	twice := []*switchboard.Change{
		{Tasks: []*switchboard.Task{newTask("t5", 5)}, Events: []switchboard.Event{{Seq: 7}}},
		{Tasks: []*switchboard.Task{newTask("t5", 5)}, Events: []switchboard.Event{{Seq: 8}}},
	}
	if err := gw.WriteGroup(ctx, twice); !errors.Is(err, switchboard.ErrConflict) {
		t.Errorf("WriteGroup creating t5 twice: %v, want an error matching ErrConflict", err)
	}
	wantNoTask(t, s, "t5")
}
