// Package storetest is a conformance suite for implementations of
// switchboard.Store, in the manner of testing/fstest. A Store passes when
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) switchboard.Store { return newMyStore(t) })
//	}
//
// reports no failure, also under the race detector. Optional capabilities
// (switchboard.TemplateStore, switchboard.FlowStore, switchboard.RecordStore,
// switchboard.GroupWriter) are checked when the store implements them and
// skipped otherwise.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboard-go/switchboard"
)

// Run tests the Store returned by newStore against the contract documented
// on switchboard.Store. Every subtest calls newStore once, with its own
// *testing.T, and expects an empty store; newStore may register cleanup with
// t.Cleanup.
func Run(t *testing.T, newStore func(t *testing.T) switchboard.Store) {
	t.Helper()
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, switchboard.Store)
	}{
		{"TaskRoundTrip", testTaskRoundTrip},
		{"NewTaskStartsAtVersion1", testNewTaskStartsAtVersion1},
		{"StaleVersion", testStaleVersion},
		{"SkippedVersion", testSkippedVersion},
		{"ConflictAppliesNothing", testConflictAppliesNothing},
		{"SameTaskTwiceInChange", testSameTaskTwiceInChange},
		{"NilRecord", testNilRecord},
		{"NotFound", testNotFound},
		{"TaskByClientToken", testTaskByClientToken},
		{"Chain", testChain},
		{"Load", testLoad},
		{"LastSequence", testLastSequence},
		{"LastEventSeq", testLastEventSeq},
		{"Ownership", testOwnership},
		{"Delete", testDelete},
		{"Upsert", testUpsert},
		{"ConcurrentWrites", testConcurrentWrites},
		{"ConcurrentConflict", testConcurrentConflict},
		{"CancelledContext", testCancelledContext},
		{"TemplateStore", testTemplateStore},
		{"FlowStore", testFlowStore},
		{"RecordStore", testRecordStore},
		{"GroupWriter", testGroupWriter},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			if s == nil {
				t.Fatal("newStore returned nil")
			}
			tc.fn(t, s)
		})
	}
}

// Benchmark measures Store.Write of one task, one version after another.
// The tasks are built with the timer stopped, so the allocations reported
// are the store's own.
func Benchmark(b *testing.B, newStore func(b *testing.B) switchboard.Store) {
	s := newStore(b)
	ctx := b.Context()
	base := fullTask("bench", 1)
	base.Version = 0
	c := &switchboard.Change{Tasks: make([]*switchboard.Task, 1)}
	var batch []switchboard.Task
	var version int64
	b.ReportAllocs()
	for b.Loop() {
		if len(batch) == 0 {
			// A store may keep every Task it is given, so each write gets a
			// fresh one; they are made in batches outside the timer.
			b.StopTimer()
			batch = make([]switchboard.Task, 1024)
			for i := range batch {
				batch[i] = *base
				batch[i].Version = version + int64(i) + 1
			}
			b.StartTimer()
		}
		c.Tasks[0] = &batch[0]
		batch = batch[1:]
		version++
		if err := s.Write(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
}

// at is a fixed instant in UTC, without a monotonic reading, plus min minutes.
func at(min int) time.Time {
	return time.Date(2025, time.March, 14, 9, 26, 53, 589_000_000, time.UTC).Add(time.Duration(min) * time.Minute)
}

// fullTask returns a version 1 task with every field set.
func fullTask(id string, seq uint64) *switchboard.Task {
	return &switchboard.Task{
		ID:          id,
		Sequence:    seq,
		Version:     1,
		Name:        "Call back " + id,
		Description: "Customer asked for a call about invoice 2025-0042.\nTwice.",
		Channel:     switchboard.ChannelTask,
		Attributes:  map[string]string{"customer_id": "c-42", "tier": "gold", "empty": ""},
		References: map[string]switchboard.Reference{
			"ticket": {Type: switchboard.ReferenceURL, Value: "https://crm.example.com/tickets/42"},
			"due":    {Type: switchboard.ReferenceDate, Value: "1741944413"},
			"amount": {Type: switchboard.ReferenceNumber, Value: "129.90"},
		},
		State:               switchboard.StatePaused,
		QueueID:             "q-billing",
		FlowID:              "claims-intake",
		TargetAgentID:       "agent-ana",
		AgentID:             "agent-ana",
		Priority:            3,
		EffectivePriority:   2,
		QueueTimeAdjustment: 90 * time.Second,
		RoutingCriteria: &switchboard.RoutingCriteria{Steps: []switchboard.RoutingStep{
			{
				Requirement: switchboard.AllOf(
					switchboard.Proficient("Language", "French", 3),
					switchboard.AnyOf(
						switchboard.PreferredAgents("agent-ana", "agent-bo"),
						switchboard.Proficient("Product", "Billing", 2),
					),
				),
				Expiry: 30 * time.Second,
			},
			{Requirement: switchboard.Proficient("Language", "French", 1)},
		}},
		CriteriaActivatedAt: at(2),
		PreviousTaskID:      "prev-" + id,
		RelatedTaskID:       "rel-" + id,
		InitialTaskID:       "init-" + id,
		InitiationMethod:    switchboard.InitiatedByTransfer,
		DisconnectReason:    switchboard.DisconnectTransferred,
		TemplateID:          "tpl-callback",
		CreatedBy:           "agent-cy",
		ClientToken:         "token-" + id,
		TransferCount:       2,
		RescheduleCount:     1,
		PauseCount:          1,
		TemplateChanges:     2,
		RejectedBy:          []string{"agent-di", "agent-ed"},
		RejectedAt:          []time.Time{at(3), at(4)},
		InitiatedAt:         at(0),
		ScheduledAt:         at(1),
		ExpiresAt:           at(7 * 24 * 60),
		EnqueuedAt:          at(2),
		OfferedAt:           at(3),
		OfferExpiresAt:      at(4),
		ConnectedAt:         at(5),
		LastPausedAt:        at(8),
		LastResumedAt:       at(7),
		PausedTotal:         45 * time.Second,
		AfterContactWorkAt:  at(20),
		AfterContactWorkEnd: at(22),
		DisconnectedAt:      at(20),
	}
}

func fullAgent(id string) *switchboard.Agent {
	return &switchboard.Agent{
		ID:               id,
		Name:             "Agent " + id,
		RoutingProfileID: "rp-" + id,
		Proficiencies: []switchboard.Proficiency{
			{Name: "Language", Value: "French", Level: 4},
			{Name: "Product", Value: "Billing", Level: 2},
		},
		AutoAccept:            []switchboard.Channel{switchboard.ChannelTask, switchboard.ChannelChat},
		AfterContactWorkLimit: map[switchboard.Channel]time.Duration{switchboard.ChannelTask: 2 * time.Minute},
		Status:                switchboard.StatusAvailable,
		StatusSince:           at(-60),
		LastActivity:          at(-5),
		Blocked:               switchboard.BlockedMissed,
		BlockedTaskID:         "task-missed",
	}
}

func fullQueue(id string) *switchboard.Queue {
	return &switchboard.Queue{
		ID:          id,
		Name:        "Queue " + id,
		Description: "Everything about " + id,
		MaxContacts: 100,
		Disabled:    true,
		ReofferCooldown: func() *time.Duration {
			d := 45 * time.Second
			return &d
		}(),
		PriorityAgeing: &switchboard.PriorityAgeing{Every: 2 * time.Minute, Floor: 2},
		Hours: &switchboard.HoursOfOperation{
			TimeZone: "Europe/Paris",
			Ranges: []switchboard.HoursRange{
				{Day: time.Monday, Start: 9 * time.Hour, End: 17*time.Hour + 30*time.Minute},
				{Day: time.Saturday, Start: 22 * time.Hour, End: 2 * time.Hour},
			},
		},
	}
}

func fullProfile(id string) *switchboard.RoutingProfile {
	return &switchboard.RoutingProfile{
		ID:   id,
		Name: "Profile " + id,
		Concurrency: []switchboard.MediaConcurrency{
			{Channel: switchboard.ChannelVoice, Concurrency: 1, CrossChannel: switchboard.CurrentChannelOnly},
			{Channel: switchboard.ChannelTask, Concurrency: 5, CrossChannel: switchboard.AnyChannel},
		},
		Queues: []switchboard.QueueConfig{
			{QueueID: "q-billing", Channel: switchboard.ChannelTask, Priority: 1, Delay: 30 * time.Second},
			{QueueID: "q-support", Channel: switchboard.ChannelVoice, Priority: 2},
		},
	}
}

// newTask returns a version 1 QUEUED task that starts its own chain.
func newTask(id string, seq uint64) *switchboard.Task {
	return &switchboard.Task{
		ID:            id,
		Sequence:      seq,
		Version:       1,
		Name:          "Task " + id,
		Channel:       switchboard.ChannelTask,
		State:         switchboard.StateQueued,
		QueueID:       "q-billing",
		Priority:      5,
		InitialTaskID: id,
		InitiatedAt:   at(int(seq)),
		EnqueuedAt:    at(int(seq)),
		ExpiresAt:     at(int(seq) + 60),
	}
}

// next returns the following version of t, changed by edit. t itself is not
// modified: it may belong to the store.
func next(t *switchboard.Task, edit func(*switchboard.Task)) *switchboard.Task {
	n := t.Clone()
	n.Version++
	if edit != nil {
		edit(n)
	}
	return n
}

func write(t *testing.T, s switchboard.Store, c *switchboard.Change) {
	t.Helper()
	if err := s.Write(t.Context(), c); err != nil {
		t.Fatalf("Write: %v", err)
	}
}

func writeTasks(t *testing.T, s switchboard.Store, tasks ...*switchboard.Task) {
	t.Helper()
	write(t, s, &switchboard.Change{Tasks: tasks})
}

func wantConflict(t *testing.T, err error, what string) {
	t.Helper()
	if !errors.Is(err, switchboard.ErrConflict) {
		t.Errorf("Write %s: got error %v, want one matching ErrConflict", what, err)
	}
}

func wantTask(t *testing.T, s switchboard.Store, want *switchboard.Task) {
	t.Helper()
	got, err := s.Task(t.Context(), want.ID)
	if err != nil {
		t.Errorf("Task(%q): %v", want.ID, err)
		return
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Task(%q) mismatch (-want +got):\n%s", want.ID, diff)
	}
}

func wantNoTask(t *testing.T, s switchboard.Store, id string) {
	t.Helper()
	got, err := s.Task(t.Context(), id)
	if !errors.Is(err, switchboard.ErrNotFound) {
		t.Errorf("Task(%q) = %v, %v; want an error matching ErrNotFound", id, describe(got), err)
	}
}

// describe summarizes a task for failure messages.
func describe(t *switchboard.Task) string {
	if t == nil {
		return "<nil>"
	}
	return fmt.Sprintf("{ID %q Sequence %d Version %d State %s}", t.ID, t.Sequence, t.Version, t.State)
}

func describeAll(ts []*switchboard.Task) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = describe(t)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// computedFields are filled by the router when it answers a read and are
// never stored: a store need not keep them.
var computedFields = map[string]bool{"Agent.Activity": true}

// checkAllSet fails when a stored field of the struct v points to is its
// zero value, so that the round-trip fixtures keep covering every field.
func checkAllSet(t *testing.T, v any) {
	t.Helper()
	rv := reflect.ValueOf(v).Elem()
	for i := range rv.NumField() {
		if computedFields[rv.Type().Name()+"."+rv.Type().Field(i).Name] {
			continue
		}
		if rv.Field(i).IsZero() {
			t.Errorf("storetest fixture: %s.%s is not set", rv.Type().Name(), rv.Type().Field(i).Name)
		}
	}
}

func testTaskRoundTrip(t *testing.T, s switchboard.Store) {
	v1 := fullTask("t1", 7)
	checkAllSet(t, v1)
	writeTasks(t, s, v1)
	wantTask(t, s, fullTask("t1", 7))

	// A finished task is still returned by Task.
	v2 := next(v1, func(t *switchboard.Task) {
		t.State = switchboard.StateCompleted
		t.DisconnectReason = switchboard.DisconnectAgentCompleted
		t.Attributes = map[string]string{"customer_id": "c-43"}
		t.RejectedBy = append(t.RejectedBy, "agent-fa")
		t.RoutingCriteria = nil
		t.DisconnectedAt = at(30)
	})
	writeTasks(t, s, v2)
	wantTask(t, s, v2.Clone())
}

func testNewTaskStartsAtVersion1(t *testing.T, s switchboard.Store) {
	for _, v := range []int64{0, 2, -1} {
		task := newTask("t1", 1)
		task.Version = v
		wantConflict(t, s.Write(t.Context(), &switchboard.Change{Tasks: []*switchboard.Task{task}}), fmt.Sprintf("new task at version %d", v))
		wantNoTask(t, s, "t1")
	}
	v1 := newTask("t1", 1)
	writeTasks(t, s, v1)
	wantTask(t, s, newTask("t1", 1))
}

func testStaleVersion(t *testing.T, s switchboard.Store) {
	v1 := newTask("t1", 1)
	writeTasks(t, s, v1)
	v2 := next(v1, func(t *switchboard.Task) { t.State = switchboard.StateOffered; t.AgentID = "agent-ana" })
	writeTasks(t, s, v2)

	again := next(v1, func(t *switchboard.Task) { t.Priority = 1 })
	wantConflict(t, s.Write(t.Context(), &switchboard.Change{Tasks: []*switchboard.Task{again}}), "version 2 over version 2")
	old := v1.Clone()
	old.Name = "changed"
	wantConflict(t, s.Write(t.Context(), &switchboard.Change{Tasks: []*switchboard.Task{old}}), "version 1 over version 2")
	wantTask(t, s, v2.Clone())
}

func testSkippedVersion(t *testing.T, s switchboard.Store) {
	v1 := newTask("t1", 1)
	writeTasks(t, s, v1)
	v3 := next(next(v1, nil), func(t *switchboard.Task) { t.Priority = 1 })
	wantConflict(t, s.Write(t.Context(), &switchboard.Change{Tasks: []*switchboard.Task{v3}}), "version 3 over version 1")
	wantTask(t, s, newTask("t1", 1))
}

func testConflictAppliesNothing(t *testing.T, s switchboard.Store) {
	ctx := t.Context()
	a1 := newTask("a", 1)
	writeTasks(t, s, a1)
	a2 := next(a1, func(t *switchboard.Task) { t.State = switchboard.StateOffered })
	writeTasks(t, s, a2)

	stale := next(a1, func(t *switchboard.Task) { t.State = switchboard.StateStopped })
	good := newTask("b", 2)
	goodUpdate := next(a2, func(t *switchboard.Task) { t.State = switchboard.StateConnected }) // valid on its own
	for i, tasks := range [][]*switchboard.Task{
		{good, stale},
		{stale, good},
		{goodUpdate, good, stale},
	} {
		err := s.Write(ctx, &switchboard.Change{
			Tasks:    tasks,
			Agents:   []*switchboard.Agent{fullAgent("ana")},
			Queues:   []*switchboard.Queue{fullQueue("q1")},
			Profiles: []*switchboard.RoutingProfile{fullProfile("rp1")},
		})
		wantConflict(t, err, fmt.Sprintf("change %d holding a stale task", i))
		wantNoTask(t, s, "b")
		wantTask(t, s, a2.Clone())
		snap, err := s.Load(ctx)
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if len(snap.Agents)+len(snap.Queues)+len(snap.Profiles) != 0 {
			t.Errorf("after failed change %d, Load returned %d agents, %d queues, %d profiles; want none",
				i, len(snap.Agents), len(snap.Queues), len(snap.Profiles))
		}
		if len(snap.OpenTasks) != 1 || snap.OpenTasks[0].ID != "a" || snap.OpenTasks[0].Version != 2 {
			t.Errorf("after failed change %d, Load returned open tasks %s; want only a at version 2", i, describeAll(snap.OpenTasks))
		}
	}
	if _, err := s.TaskByClientToken(ctx, "token-b"); !errors.Is(err, switchboard.ErrNotFound) {
		t.Errorf("TaskByClientToken of a task from a failed change: %v, want ErrNotFound", err)
	}
}

// testSameTaskTwiceInChange checks that a change holding one task ID more
// than once is checked entry by entry: each must follow the one before.
func testSameTaskTwiceInChange(t *testing.T, s switchboard.Store) {
	v1 := newTask("t1", 1)
	v2 := next(v1, func(t *switchboard.Task) { t.State = switchboard.StateOffered })
	writeTasks(t, s, v1, v2)
	wantTask(t, s, v2.Clone())

	v3 := next(v2, func(t *switchboard.Task) { t.State = switchboard.StateConnected })
	v3b := next(v2, func(t *switchboard.Task) { t.State = switchboard.StateQueued })
	wantConflict(t, s.Write(t.Context(), &switchboard.Change{Tasks: []*switchboard.Task{v3, v3b}}), "the same version twice in one change")
	wantTask(t, s, v2.Clone())

	// Many entries, in case a store switches strategy for large changes.
	var tasks []*switchboard.Task
	cur := v2
	for range 40 {
		cur = next(cur, func(t *switchboard.Task) { t.Priority = int(t.Version) })
		tasks = append(tasks, cur)
	}
	for i := range 30 {
		tasks = append(tasks, newTask(fmt.Sprintf("n%02d", i), uint64(100+i)))
	}
	writeTasks(t, s, tasks...)
	wantTask(t, s, cur.Clone())
	tasks = []*switchboard.Task{next(cur, nil), newTask("late", 200), next(cur, nil)}
	wantConflict(t, s.Write(t.Context(), &switchboard.Change{Tasks: tasks}), "the same version twice in one change")
	wantNoTask(t, s, "late")
}

func testNilRecord(t *testing.T, s switchboard.Store) {
	ctx := t.Context()
	for name, c := range map[string]*switchboard.Change{
		"task":    {Tasks: []*switchboard.Task{newTask("t1", 1), nil}, Agents: []*switchboard.Agent{fullAgent("ana")}},
		"agent":   {Tasks: []*switchboard.Task{newTask("t1", 1)}, Agents: []*switchboard.Agent{nil}},
		"queue":   {Tasks: []*switchboard.Task{newTask("t1", 1)}, Queues: []*switchboard.Queue{nil}},
		"profile": {Tasks: []*switchboard.Task{newTask("t1", 1)}, Profiles: []*switchboard.RoutingProfile{nil}},
	} {
		if err := s.Write(ctx, c); err == nil {
			t.Errorf("Write of a change with a nil %s: no error", name)
		}
		wantNoTask(t, s, "t1")
		snap, err := s.Load(ctx)
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if len(snap.Agents) != 0 {
			t.Errorf("Write of a change with a nil %s stored agents", name)
		}
	}
}

func testNotFound(t *testing.T, s switchboard.Store) {
	ctx := t.Context()
	wantNoTask(t, s, "missing")
	writeTasks(t, s, newTask("t1", 1))
	wantNoTask(t, s, "missing")
	wantNoTask(t, s, "")
	for _, token := range []string{"missing", ""} {
		if got, err := s.TaskByClientToken(ctx, token); !errors.Is(err, switchboard.ErrNotFound) {
			t.Errorf("TaskByClientToken(%q) = %s, %v; want an error matching ErrNotFound", token, describe(got), err)
		}
	}
}

func testTaskByClientToken(t *testing.T, s switchboard.Store) {
	ctx := t.Context()
	withToken := func(id string, seq uint64, token string) *switchboard.Task {
		task := newTask(id, seq)
		task.ClientToken = token
		return task
	}
	newest := withToken("new", 30, "tok")
	oldest := withToken("old", 10, "tok")
	other := withToken("other", 40, "tok-2")
	// Written out of creation order: the newest is the highest Sequence.
	writeTasks(t, s, newest)
	writeTasks(t, s, other, oldest)
	writeTasks(t, s, newTask("none", 50))

	check := func(token string, want *switchboard.Task) {
		t.Helper()
		got, err := s.TaskByClientToken(ctx, token)
		if err != nil {
			t.Errorf("TaskByClientToken(%q): %v", token, err)
			return
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("TaskByClientToken(%q) mismatch (-want +got):\n%s", token, diff)
		}
	}
	check("tok", newest.Clone())
	check("tok-2", other.Clone())

	// Finished tasks count, and the latest version is returned.
	done := next(newest, func(t *switchboard.Task) { t.State = switchboard.StateCompleted })
	writeTasks(t, s, done, next(oldest, nil))
	check("tok", done.Clone())

	mid := withToken("mid", 20, "tok")
	writeTasks(t, s, mid)
	check("tok", done.Clone())
	latest := withToken("latest", 60, "tok")
	writeTasks(t, s, latest)
	check("tok", latest.Clone())
}

func testChain(t *testing.T, s switchboard.Store) {
	ctx := t.Context()
	link := func(id string, seq uint64, initial, prev string) *switchboard.Task {
		task := newTask(id, seq)
		task.InitialTaskID = initial
		task.PreviousTaskID = prev
		return task
	}
	a := link("a", 10, "a", "")
	b := link("b", 30, "a", "c")
	c := link("c", 20, "a", "a")
	x := link("x", 15, "x", "")
	y := link("y", 25, "x", "x")
	lone := newTask("lone", 5)
	writeTasks(t, s, b)
	writeTasks(t, s, x, lone, c)
	writeTasks(t, s, y, a)
	c2 := next(c, func(t *switchboard.Task) { t.State = switchboard.StateCompleted })
	writeTasks(t, s, c2)

	check := func(id string, want ...*switchboard.Task) {
		t.Helper()
		got, err := s.Chain(ctx, id)
		if err != nil {
			t.Errorf("Chain(%q): %v", id, err)
			return
		}
		if len(want) == 0 {
			if len(got) != 0 {
				t.Errorf("Chain(%q) = %s, want none", id, describeAll(got))
			}
			return
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Chain(%q) mismatch (-want +got):\n%s", id, diff)
		}
	}
	check("a", a.Clone(), c2.Clone(), b.Clone())
	check("x", x.Clone(), y.Clone())
	check("lone", newTask("lone", 5))
	check("b") // b is in a chain but starts none
	check("missing")
}

func testLoad(t *testing.T, s switchboard.Store) {
	ctx := t.Context()
	snap, err := s.Load(ctx)
	if err != nil {
		t.Fatalf("Load of an empty store: %v", err)
	}
	if n := len(snap.Queues) + len(snap.Profiles) + len(snap.Agents) + len(snap.OpenTasks); n != 0 {
		t.Errorf("Load of an empty store returned %d records", n)
	}
	if snap.LastSequence != 0 {
		t.Errorf("Load of an empty store: LastSequence = %d, want 0", snap.LastSequence)
	}

	write(t, s, &switchboard.Change{
		Queues:   []*switchboard.Queue{fullQueue("q2"), fullQueue("q1")},
		Profiles: []*switchboard.RoutingProfile{fullProfile("rp1")},
		Agents:   []*switchboard.Agent{fullAgent("bo"), fullAgent("ana")},
	})
	checkAllSet(t, fullAgent("ana"))
	checkAllSet(t, fullQueue("q1"))
	checkAllSet(t, fullProfile("rp1"))
	ana2 := fullAgent("ana")
	ana2.Status = "Lunch"
	ana2.Blocked = switchboard.NotBlocked
	ana2.BlockedTaskID = ""
	rp2 := fullProfile("rp2")
	rp2.Queues = rp2.Queues[:1]
	write(t, s, &switchboard.Change{
		Agents:   []*switchboard.Agent{ana2},
		Profiles: []*switchboard.RoutingProfile{rp2},
	})

	var open, all []*switchboard.Task
	for i, st := range []switchboard.TaskState{
		switchboard.StateScheduled, switchboard.StateInFlow, switchboard.StateQueued, switchboard.StateOffered,
		switchboard.StateConnected, switchboard.StatePaused, switchboard.StateAfterContactWork,
		switchboard.StateCompleted, switchboard.StateExpired, switchboard.StateStopped,
	} {
		task := newTask(fmt.Sprintf("t%02d", i), uint64(100-i))
		task.State = st
		all = append(all, task)
		if !st.Final() {
			open = append(open, task)
		}
	}
	writeTasks(t, s, all...)
	// An open task that finishes leaves; one that moves on is loaded as it is now.
	closing := newTask("closing", 1)
	moving := newTask("moving", 2)
	writeTasks(t, s, closing, moving)
	moved := next(moving, func(t *switchboard.Task) { t.State = switchboard.StateConnected; t.AgentID = "ana" })
	writeTasks(t, s, next(closing, func(t *switchboard.Task) { t.State = switchboard.StateExpired }), moved)
	open = append(open, moved)

	snap, err = s.Load(ctx)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	// The highest Sequence ever written is t00's 100.
	if snap.LastSequence != 100 {
		t.Errorf("Load LastSequence = %d, want 100 (the highest Sequence ever written)", snap.LastSequence)
	}
	queues := sortedBy(snap.Queues, func(q *switchboard.Queue) string { return q.ID })
	profiles := sortedBy(snap.Profiles, func(p *switchboard.RoutingProfile) string { return p.ID })
	agents := sortedBy(snap.Agents, func(a *switchboard.Agent) string { return a.ID })
	tasks := sortedBy(snap.OpenTasks, func(t *switchboard.Task) string { return t.ID })
	open = sortedBy(open, func(t *switchboard.Task) string { return t.ID })

	if diff := cmp.Diff([]*switchboard.Queue{fullQueue("q1"), fullQueue("q2")}, queues); diff != "" {
		t.Errorf("Load queues mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]*switchboard.RoutingProfile{fullProfile("rp1"), rp2}, profiles); diff != "" {
		t.Errorf("Load profiles mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]*switchboard.Agent{ana2, fullAgent("bo")}, agents); diff != "" {
		t.Errorf("Load agents mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(open, tasks); diff != "" {
		t.Errorf("Load open tasks mismatch (-want +got):\n%s", diff)
	}
}

// sortedBy returns a copy of s sorted by id, as Load may return any order.
func sortedBy[T any](s []T, id func(T) string) []T {
	out := slices.Clone(s)
	slices.SortFunc(out, func(a, b T) int { return strings.Compare(id(a), id(b)) })
	return out
}

func testUpsert(t *testing.T, s switchboard.Store) {
	ctx := t.Context()
	write(t, s, &switchboard.Change{
		Agents:   []*switchboard.Agent{fullAgent("ana")},
		Queues:   []*switchboard.Queue{fullQueue("q1")},
		Profiles: []*switchboard.RoutingProfile{fullProfile("rp1")},
	})
	ana := fullAgent("ana")
	ana.Name = "Ana B."
	ana.Proficiencies = ana.Proficiencies[:1]
	q1 := fullQueue("q1")
	q1.Disabled = false
	q1.Hours = nil
	rp1 := fullProfile("rp1")
	rp1.Name = "Renamed"
	// Upserts carry no version and may repeat.
	for range 2 {
		write(t, s, &switchboard.Change{
			Agents:   []*switchboard.Agent{ana},
			Queues:   []*switchboard.Queue{q1},
			Profiles: []*switchboard.RoutingProfile{rp1},
		})
	}
	snap, err := s.Load(ctx)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if diff := cmp.Diff([]*switchboard.Agent{ana}, snap.Agents); diff != "" {
		t.Errorf("agents after upsert mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]*switchboard.Queue{q1}, snap.Queues); diff != "" {
		t.Errorf("queues after upsert mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]*switchboard.RoutingProfile{rp1}, snap.Profiles); diff != "" {
		t.Errorf("profiles after upsert mismatch (-want +got):\n%s", diff)
	}
}

func testConcurrentWrites(t *testing.T, s switchboard.Store) {
	ctx := t.Context()
	const workers, perWorker, versions = 8, 25, 3
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				id := fmt.Sprintf("w%d-t%02d", w, i)
				task := newTask(id, uint64(w*perWorker+i+1))
				for v := 1; v <= versions; v++ {
					if v > 1 {
						task = next(task, func(t *switchboard.Task) { t.Priority = v })
					}
					c := &switchboard.Change{
						Tasks:  []*switchboard.Task{task},
						Agents: []*switchboard.Agent{{ID: fmt.Sprintf("agent-%d", w), Name: id}},
					}
					if err := s.Write(ctx, c); err != nil {
						t.Errorf("Write %s version %d: %v", id, v, err)
						return
					}
					// Readers run alongside the writers.
					if _, err := s.Task(ctx, id); err != nil {
						t.Errorf("Task(%q): %v", id, err)
					}
					if _, err := s.Load(ctx); err != nil {
						t.Errorf("Load: %v", err)
					}
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for w := range workers {
		for i := range perWorker {
			id := fmt.Sprintf("w%d-t%02d", w, i)
			got, err := s.Task(ctx, id)
			if err != nil {
				t.Errorf("Task(%q): %v", id, err)
				continue
			}
			if got.Version != versions || got.Priority != versions {
				t.Errorf("Task(%q) = version %d priority %d, want %d and %d", id, got.Version, got.Priority, versions, versions)
			}
		}
	}
	snap, err := s.Load(ctx)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(snap.OpenTasks) != workers*perWorker || len(snap.Agents) != workers {
		t.Errorf("Load returned %d open tasks and %d agents, want %d and %d", len(snap.OpenTasks), len(snap.Agents), workers*perWorker, workers)
	}
}

// testConcurrentConflict races writers of the same version of one task:
// exactly one may win.
func testConcurrentConflict(t *testing.T, s switchboard.Store) {
	ctx := t.Context()
	v1 := newTask("t1", 1)
	writeTasks(t, s, v1)
	const writers = 16
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		winners []int
	)
	start := make(chan struct{})
	for w := range writers {
		v2 := next(v1, func(t *switchboard.Task) { t.Priority = w + 1 })
		wg.Go(func() {
			<-start
			err := s.Write(ctx, &switchboard.Change{Tasks: []*switchboard.Task{v2}})
			switch {
			case err == nil:
				mu.Lock()
				winners = append(winners, w)
				mu.Unlock()
			case !errors.Is(err, switchboard.ErrConflict):
				t.Errorf("writer %d: got error %v, want nil or one matching ErrConflict", w, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(winners) != 1 {
		t.Fatalf("%d writers of version 2 succeeded, want exactly 1", len(winners))
	}
	got, err := s.Task(ctx, "t1")
	if err != nil {
		t.Fatalf("Task: %v", err)
	}
	if got.Version != 2 || got.Priority != winners[0]+1 {
		t.Errorf("Task = version %d priority %d, want version 2 priority %d (the winner's)", got.Version, got.Priority, winners[0]+1)
	}
}

func testCancelledContext(t *testing.T, s switchboard.Store) {
	t1 := newTask("t1", 1)
	t1.ClientToken = "tok"
	writeTasks(t, s, t1)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Write(ctx, &switchboard.Change{Tasks: []*switchboard.Task{newTask("t2", 2)}}); err == nil {
		t.Error("Write with a cancelled context: no error")
	}
	wantNoTask(t, s, "t2")
	if _, err := s.Task(ctx, "t1"); err == nil {
		t.Error("Task with a cancelled context: no error")
	}
	if _, err := s.TaskByClientToken(ctx, "tok"); err == nil {
		t.Error("TaskByClientToken with a cancelled context: no error")
	}
	if _, err := s.Chain(ctx, "t1"); err == nil {
		t.Error("Chain with a cancelled context: no error")
	}
	if _, err := s.Load(ctx); err == nil {
		t.Error("Load with a cancelled context: no error")
	}
}

// testLastSequence checks that Load reports the highest Sequence ever
// written, even when that task has finished.
func testLastSequence(t *testing.T, s switchboard.Store) {
	ctx := t.Context()
	open := newTask("open", 7)
	done := newTask("done", 9)
	done.State = switchboard.StateCompleted
	writeTasks(t, s, open, done)
	snap, err := s.Load(ctx)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if snap.LastSequence != 9 {
		t.Errorf("LastSequence = %d, want 9 (from the finished task)", snap.LastSequence)
	}
	if len(snap.OpenTasks) != 1 || snap.OpenTasks[0].ID != "open" {
		t.Errorf("OpenTasks = %v, want only \"open\"", snap.OpenTasks)
	}
}

// testLastEventSeq checks that Load reports the highest Event.Seq ever
// written: with tasks, alone (as Router.Close writes it), never lowered by a
// later change with lower Seqs, and untouched by a refused change.
func testLastEventSeq(t *testing.T, s switchboard.Store) {
	ctx := t.Context()
	last := func() uint64 {
		t.Helper()
		snap, err := s.Load(ctx)
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		return snap.LastEventSeq
	}
	if got := last(); got != 0 {
		t.Fatalf("empty store: LastEventSeq = %d, want 0", got)
	}
	task := newTask("evt", 1)
	write(t, s, &switchboard.Change{Tasks: []*switchboard.Task{task}, Events: []switchboard.Event{
		{Seq: 1, Type: switchboard.EventTaskCreated, TaskID: "evt"},
		{Seq: 2, Type: switchboard.EventTaskQueued, TaskID: "evt"},
	}})
	if got := last(); got != 2 {
		t.Errorf("after events 1..2: LastEventSeq = %d, want 2", got)
	}
	write(t, s, &switchboard.Change{Events: []switchboard.Event{{Seq: 3, Type: switchboard.EventTaskRoutingStep, TaskID: "evt"}}})
	if got := last(); got != 3 {
		t.Errorf("after a change holding only event 3: LastEventSeq = %d, want 3", got)
	}
	stale := newTask("evt", 1) // version 1 again: a conflict
	err := s.Write(ctx, &switchboard.Change{Tasks: []*switchboard.Task{stale}, Events: []switchboard.Event{{Seq: 9}}})
	wantConflict(t, err, "a stale task with event 9")
	if got := last(); got != 3 {
		t.Errorf("after a refused change with event 9: LastEventSeq = %d, want 3", got)
	}
}

// testOwnership checks the database/sql-style ownership rule: records passed
// to Write stay the caller's (the store copies them), and records the store
// returns are the caller's too.
func testOwnership(t *testing.T, s switchboard.Store) {
	ctx := t.Context()
	task := newTask("own", 1)
	agent := fullAgent("ana")
	write(t, s, &switchboard.Change{Tasks: []*switchboard.Task{task}, Agents: []*switchboard.Agent{agent}})
	task.Name = "changed by the writer after Write"
	task.State = switchboard.StateCompleted
	agent.Status = "changed"
	got, err := s.Task(ctx, "own")
	if err != nil {
		t.Fatalf("Task: %v", err)
	}
	if got.Name != "Task own" || got.State != switchboard.StateQueued {
		t.Errorf("store kept the writer's pointer: Task = %q %s after the writer changed its copy", got.Name, got.State)
	}
	got.Name = "changed by a reader"
	again, err := s.Task(ctx, "own")
	if err != nil {
		t.Fatalf("Task: %v", err)
	}
	if again.Name != "Task own" {
		t.Errorf("store returned its own record: a reader's change shows as %q", again.Name)
	}
	snap, err := s.Load(ctx)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	for _, a := range snap.Agents {
		if a.ID == "ana" && a.Status == "changed" {
			t.Errorf("store kept the writer's agent pointer")
		}
		a.Status = "changed by a reader"
	}
	snap, err = s.Load(ctx)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	for _, a := range snap.Agents {
		if a.Status == "changed by a reader" {
			t.Errorf("Load returned the store's own agent record")
		}
	}
}

// testDelete checks that agents, queues and routing profiles can be deleted,
// atomically with the rest of a change, and that a refused change deletes
// nothing.
func testDelete(t *testing.T, s switchboard.Store) {
	ctx := t.Context()
	write(t, s, &switchboard.Change{
		Queues:   []*switchboard.Queue{fullQueue("q1"), fullQueue("q2")},
		Profiles: []*switchboard.RoutingProfile{fullProfile("rp1")},
		Agents:   []*switchboard.Agent{fullAgent("ana"), fullAgent("bo")},
	})
	stale := newTask("stale", 1)
	writeTasks(t, s, stale)
	// A change whose task conflicts deletes nothing.
	err := s.Write(ctx, &switchboard.Change{Tasks: []*switchboard.Task{stale}, DeleteAgents: []string{"ana"}, DeleteQueues: []string{"q1"}})
	if !errors.Is(err, switchboard.ErrConflict) {
		t.Fatalf("conflicting change: %v, want ErrConflict", err)
	}
	write(t, s, &switchboard.Change{DeleteAgents: []string{"ana", "nobody"}, DeleteQueues: []string{"q1"}, DeleteProfiles: []string{"rp1"}})
	snap, err := s.Load(ctx)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	var ids []string
	for _, a := range snap.Agents {
		ids = append(ids, "agent "+a.ID)
	}
	for _, q := range snap.Queues {
		ids = append(ids, "queue "+q.ID)
	}
	for _, p := range snap.Profiles {
		ids = append(ids, "profile "+p.ID)
	}
	if diff := cmp.Diff([]string{"agent bo", "queue q2"}, ids); diff != "" {
		t.Errorf("after deleting ana, q1 and rp1 (and the unknown agent nobody), Load holds (-want +got):\n%s", diff)
	}
}
