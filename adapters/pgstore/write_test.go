package pgstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	sb "github.com/switchboard-go/switchboard"
	"github.com/switchboard-go/switchboard/adapters/pgstore"
)

// callBack is version v of the billing task "call-back" in state.
func callBack(v int64, state sb.TaskState) *sb.Task {
	return &sb.Task{ID: "call-back", Sequence: 1, Version: v, Name: "Call back about invoice 2025-0042",
		Channel: sb.ChannelTask, State: state, QueueID: "billing", AgentID: "ana", InitialTaskID: "call-back",
		InitiatedAt: start, EnqueuedAt: start, ExpiresAt: start.Add(time.Hour)}
}

// stored returns the stored version and state of the task, and the store's
// event high-water mark.
func stored(t *testing.T, s *pgstore.Store, id string) (int64, sb.TaskState, uint64) {
	t.Helper()
	ctx := context.Background()
	task, err := s.Task(ctx, id)
	must(t, err)
	snap, err := s.Load(ctx)
	must(t, err)
	return task.Version, task.State, snap.LastEventSeq
}

// A write holding several versions of one task (the router's create and
// offer, or a merged group) stores the last version once, and only when the
// versions go up one at a time from the stored one: a skipped version
// refuses the whole write, events included.
func TestWriteStoresEachTaskOnceAtItsLastVersion(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)

	// Created and offered to Ana in one change.
	must(t, store.Write(ctx, &sb.Change{Tasks: []*sb.Task{callBack(1, sb.StateQueued), callBack(2, sb.StateOffered)},
		Events: []sb.Event{
			{Seq: 1, Type: sb.EventTaskCreated, Time: start, TaskID: "call-back", State: sb.StateQueued},
			{Seq: 2, Type: sb.EventTaskOffered, Time: start, TaskID: "call-back", AgentID: "ana", State: sb.StateOffered},
		}}))
	if v, state, last := stored(t, store, "call-back"); v != 2 || state != sb.StateOffered || last != 2 {
		t.Fatalf("after create and offer: version %d %s, LastEventSeq %d; want 2 Offered, 2", v, state, last)
	}

	// Accepted (3) then completed at version 5: version 4 is missing.
	err := store.Write(ctx, &sb.Change{Tasks: []*sb.Task{callBack(3, sb.StateConnected), callBack(5, sb.StateAfterContactWork)},
		Events: []sb.Event{{Seq: 3, Type: sb.EventTaskAccepted, Time: start, TaskID: "call-back", AgentID: "ana"}}})
	if !errors.Is(err, sb.ErrConflict) {
		t.Fatalf("a write skipping version 4: %v, want an error matching ErrConflict", err)
	}
	if v, state, last := stored(t, store, "call-back"); v != 2 || state != sb.StateOffered || last != 2 {
		t.Errorf("after the refused write: version %d %s, LastEventSeq %d; want 2 Offered, 2 (nothing of it)", v, state, last)
	}

	// The same steps in a group of two changes, versions in order.
	must(t, store.WriteGroup(ctx, []*sb.Change{
		{Tasks: []*sb.Task{callBack(3, sb.StateConnected)},
			Events: []sb.Event{{Seq: 3, Type: sb.EventTaskAccepted, Time: start, TaskID: "call-back", AgentID: "ana"}}},
		{Tasks: []*sb.Task{callBack(4, sb.StateAfterContactWork)},
			Events: []sb.Event{{Seq: 4, Type: sb.EventTaskCompleted, Time: start, TaskID: "call-back", AgentID: "ana"}}},
	}))
	if v, state, last := stored(t, store, "call-back"); v != 4 || state != sb.StateAfterContactWork || last != 4 {
		t.Errorf("after the group: version %d %s, LastEventSeq %d; want 4 AfterContactWork, 4", v, state, last)
	}

	// A group whose first change is stale (version 3 again) is refused
	// whole, though its second change alone would follow the stored row.
	err = store.WriteGroup(ctx, []*sb.Change{
		{Tasks: []*sb.Task{callBack(3, sb.StateConnected)}},
		{Tasks: []*sb.Task{callBack(5, sb.StateCompleted)}, Events: []sb.Event{{Seq: 5, Type: sb.EventTaskCompleted, Time: start, TaskID: "call-back"}}},
	})
	if !errors.Is(err, sb.ErrConflict) {
		t.Fatalf("a group repeating version 3: %v, want an error matching ErrConflict", err)
	}
	if v, _, last := stored(t, store, "call-back"); v != 4 || last != 4 {
		t.Errorf("after the refused group: version %d, LastEventSeq %d; want 4 and 4", v, last)
	}
}

// A process that lost the lease is told so even when its write would also
// conflict and the store finds that before sending it: the lease is checked
// first, as in the write's transaction.
func TestFencedBeforeConflict(t *testing.T) {
	ctx := context.Background()
	schema := newSchema(t)
	a, err := pgstore.Open(ctx, newPool(t), &pgstore.Options{Schema: schema})
	must(t, err)
	b, err := pgstore.Open(ctx, newPool(t), &pgstore.Options{Schema: schema})
	must(t, err)
	opts := pgstore.LeaseOptions{TTL: pgstore.MinLeaseTTL, Retry: 50 * time.Millisecond}
	leaseA, err := a.AcquireLease(ctx, opts)
	must(t, err)
	must(t, leaseA.Store().Write(ctx, &sb.Change{Tasks: []*sb.Task{callBack(1, sb.StateQueued)}}))

	pgstore.StopRenewing(leaseA) // A pauses; B takes over
	leaseB, err := b.AcquireLease(ctx, opts)
	must(t, err)
	defer leaseB.Release(ctx)

	skips := &sb.Change{Tasks: []*sb.Task{callBack(2, sb.StateOffered), callBack(4, sb.StateConnected)}}
	if err := leaseA.Store().Write(ctx, skips); !errors.Is(err, pgstore.ErrFenced) {
		t.Errorf("the paused leader's write skipping a version: %v, want an error matching ErrFenced", err)
	}
	if err := leaseB.Store().Write(ctx, skips); !errors.Is(err, sb.ErrConflict) {
		t.Errorf("the new leader's write skipping a version: %v, want an error matching ErrConflict", err)
	}
	must(t, leaseB.Store().Write(ctx, &sb.Change{Tasks: []*sb.Task{callBack(2, sb.StateOffered)}}))
	if v, state, _ := stored(t, b, "call-back"); v != 2 || state != sb.StateOffered {
		t.Errorf("stored: version %d %s; want 2 Offered (the new leader's write)", v, state)
	}
}

// Writes leave the event high-water mark to the events themselves; pruning
// them keeps it, and a write with lower Seqs after a prune does not lower it.
func TestLastEventSeqSurvivesPrune(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	must(t, store.Write(ctx, &sb.Change{Tasks: []*sb.Task{callBack(1, sb.StateQueued)}, Events: []sb.Event{
		{Seq: 7, Type: sb.EventTaskCreated, Time: start, TaskID: "call-back", State: sb.StateQueued},
		{Seq: 8, Type: sb.EventTaskQueued, Time: start, TaskID: "call-back", QueueID: "billing"},
	}}))
	out := store.Outbox()
	n, err := out.Deliver(ctx, func(context.Context, []sb.Event) error { return nil })
	must(t, err)
	if n != 2 {
		t.Fatalf("delivered %d events, want 2", n)
	}
	pruned, err := out.PruneThrough(ctx, 7)
	must(t, err)
	if _, _, last := stored(t, store, "call-back"); pruned != 1 || last != 8 {
		t.Errorf("PruneThrough(7): %d pruned, LastEventSeq %d; want 1 and 8", pruned, last)
	}
	pruned, err = out.Prune(ctx)
	must(t, err)
	if _, _, last := stored(t, store, "call-back"); pruned != 1 || last != 8 {
		t.Errorf("Prune: %d pruned, LastEventSeq %d; want 1 and 8 (the outbox is empty)", pruned, last)
	}
	must(t, store.Write(ctx, &sb.Change{Events: []sb.Event{{Seq: 3, Type: sb.EventAgentStatusChanged, Time: start, AgentID: "ana"}}}))
	if _, _, last := stored(t, store, "call-back"); last != 8 {
		t.Errorf("after a write of event 3: LastEventSeq %d, want 8", last)
	}
}

// A process built before migration 0007 read the event high-water mark
// from meta alone; should one lead after a newer one wrote, the events it
// numbers again are refused, not written over the stored ones.
func TestOldWriterCannotRewriteEvents(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	must(t, store.Write(ctx, &sb.Change{Events: []sb.Event{
		{Seq: 1, Type: sb.EventAgentStatusChanged, Time: start, AgentID: "ana"},
	}}))
	// The events insert of the store before 0007, word for word.
	oldInsert := "INSERT INTO " + pgx.Identifier{store.Schema(), "events"}.Sanitize() +
		" (seq, body) SELECT * FROM unnest($1::bigint[], $2::jsonb[]) " +
		"ON CONFLICT (seq) DO UPDATE SET body = excluded.body, delivered_at = NULL"
	_, err := store.Pool().Exec(ctx, oldInsert, []int64{1}, []string{`{"seq":1,"type":"agent.deleted"}`})
	if err == nil {
		t.Fatal("an old writer's event 1 written over the stored event 1, want an error")
	}
	out := store.Outbox()
	var got []sb.Event
	_, err = out.Deliver(ctx, func(_ context.Context, events []sb.Event) error { got = events; return nil })
	must(t, err)
	if len(got) != 1 || got[0].Type != sb.EventAgentStatusChanged {
		t.Errorf("the outbox holds %v, want event 1 as first written (agent.status_changed)", got)
	}
}
