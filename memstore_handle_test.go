package switchboard

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Stories of the handles the router passes the MemoryStore with each change
// (memHandle): they spare the store a lookup, and they are only hints.

// mirrorStore writes every change to a primary and a replica MemoryStore,
// as a host keeping a warm standby might. Both see the same *Change, handles
// included.
type mirrorStore struct {
	*MemoryStore
	replica *MemoryStore
}

func (m mirrorStore) Write(ctx context.Context, c *Change) error {
	if err := m.MemoryStore.Write(ctx, c); err != nil {
		return err
	}
	return m.replica.Write(ctx, c)
}

func TestMirroredMemoryStoresKeepTheirOwnRecords(t *testing.T) {
	ctx := context.Background()
	clock := NewManualClock(t0)
	primary, replica := &MemoryStore{MaxFinished: 2}, &MemoryStore{MaxFinished: 2}
	n := 0
	r, err := NewRouter(ctx, mirrorStore{primary, replica}, &Config{
		Clock: clock, NewID: func() string { n++; return fmt.Sprintf("t%d", n) },
		Test: TestConfig{CheckInvariants: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(ctx)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(r.PutQueue(ctx, Queue{ID: "q", Name: "q"}))
	must(r.PutRoutingProfile(ctx, RoutingProfile{ID: "desk", Name: "desk",
		Concurrency: []MediaConcurrency{{Channel: ChannelTask, Concurrency: 1}},
		Queues:      []QueueConfig{{QueueID: "q", Channel: ChannelTask, Priority: 1}}}))
	must(r.PutAgent(ctx, Agent{ID: "ana", Name: "Ana", RoutingProfileID: "desk", Status: StatusAvailable}))
	// Ana works through six tasks while the stores prune all but the last
	// two finished ones, so records are reused for new tasks along the way.
	var ids []string
	for range 6 {
		task, err := r.CreateTask(ctx, TaskInput{Name: "follow up", QueueID: "q"})
		must(err)
		ids = append(ids, task.ID)
		must(r.Accept(ctx, task.ID, "ana"))
		clock.Advance(time.Minute)
		must(r.Complete(ctx, task.ID))
		must(r.CloseAfterContactWork(ctx, task.ID))
	}
	waiting, err := r.CreateTask(ctx, TaskInput{Name: "callback", QueueID: "q"})
	must(err)
	ids = append(ids, waiting.ID)
	must(r.UpdateRouting(ctx, waiting.ID, RoutingUpdate{Priority: 1}))

	// Each store holds its own copy of every task, the same in both.
	for _, id := range ids {
		p, perr := primary.Task(ctx, id)
		q, qerr := replica.Task(ctx, id)
		if errors.Is(perr, ErrNotFound) != errors.Is(qerr, ErrNotFound) {
			t.Fatalf("task %s: primary says %v, replica %v", id, perr, qerr)
		}
		if diff := cmp.Diff(p, q); diff != "" {
			t.Errorf("task %s differs between primary and replica (-primary +replica):\n%s", id, diff)
		}
	}
	if got := primary.Len(); got != 3 {
		t.Errorf("primary holds %d tasks, want 2 finished + 1 open", got)
	}
	ps, err := primary.Load(ctx)
	must(err)
	rs, err := replica.Load(ctx)
	must(err)
	if diff := cmp.Diff(ps, rs); diff != "" {
		t.Errorf("the stores load differently (-primary +replica):\n%s", diff)
	}
	if a := rs.Agents[0]; a.LastActivity.IsZero() {
		t.Errorf("the replica's Ana has no LastActivity; want the time of her last offer")
	}
	primary.mu.RLock()
	for id, rec := range primary.agents {
		if replica.agents[id] == rec {
			t.Errorf("agent %s: the replica holds the primary's record", id)
		}
	}
	for id, rec := range primary.tasks {
		replica.mu.RLock()
		if replica.tasks[id] == rec {
			t.Errorf("task %s: the replica holds the primary's record", id)
		}
		replica.mu.RUnlock()
	}
	primary.mu.RUnlock()
	// A router started over the replica carries on with the waiting task.
	r2, err := NewRouter(ctx, replica, &Config{Clock: clock, Test: TestConfig{CheckInvariants: true}})
	must(err)
	defer r2.Close(ctx)
	got, err := r2.Task(ctx, waiting.ID)
	must(err)
	if got.State != StateOffered || got.AgentID != "ana" || got.Priority != 1 {
		t.Errorf("over the replica, the waiting task is %s to %q at priority %d, want OFFERED to ana at 1", got.State, got.AgentID, got.Priority)
	}
}

// A handle whose record was pruned and reused for another task is ignored:
// the store looks the ID up, and a write of the pruned task conflicts.
func TestMemoryStoreIgnoresAHandleOfAPrunedTask(t *testing.T) {
	ctx := context.Background()
	s := &MemoryStore{MaxFinished: 1}
	write := func(task Task, h memHandle) (memHandle, error) {
		c := &Change{Tasks: []*Task{&task}, handles: []memHandle{h}}
		err := s.Write(ctx, c)
		return c.handles[0], err
	}
	done := func(id string, seq uint64) Task {
		return Task{ID: id, Sequence: seq, Version: 1, State: StateStopped, InitialTaskID: id, InitiatedAt: t0}
	}
	h1, err := write(Task{ID: "a", Sequence: 1, Version: 1, State: StateQueued, InitialTaskID: "a", InitiatedAt: t0}, memHandle{})
	if err != nil || h1.t == nil {
		t.Fatalf("first write: handle %v, err %v", h1, err)
	}
	a := h1.t
	stopped := done("a", 1)
	stopped.Version = 2
	if _, err := write(stopped, h1); err != nil {
		t.Fatal(err)
	}
	// b and c finish too: a is pruned, and its record goes to c or d.
	for i, id := range []string{"b", "c", "d"} {
		if _, err := write(done(id, uint64(i+2)), memHandle{}); err != nil {
			t.Fatal(err)
		}
	}
	if a.ID == "a" {
		t.Fatalf("a's record still holds a; want it pruned and reused")
	}
	again := done("a", 1)
	again.Version = 3
	_, err = write(again, h1)
	if !errors.Is(err, ErrConflict) {
		t.Errorf("writing version 3 of the pruned task with its old handle: %v, want a conflict", err)
	}
	for _, id := range []string{"d"} {
		if got, err := s.Task(ctx, id); err != nil || got.ID != id {
			t.Errorf("Task(%s) = %v, %v; want it untouched", id, got, err)
		}
	}
}
