package switchboard

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// An agent who is free gets the task at once; accept, complete and close
// walk it to COMPLETED and free the slot for the next one.
func TestLifecycleStory(t *testing.T) {
	b := newBench(t, nil)
	b.queue("billing")
	b.profile("billing-desk", 1, "billing")
	b.agent("ana", "billing-desk")

	first := b.create(TaskInput{QueueID: "billing"})
	second := b.create(TaskInput{QueueID: "billing"})
	b.wantState(first.ID, StateOffered, "ana")
	b.wantState(second.ID, StateQueued, "")

	b.must(b.r.Accept(b.ctx, first.ID, "ana"))
	b.clock.Advance(5 * time.Minute)
	b.must(b.r.Complete(b.ctx, first.ID))
	b.wantState(first.ID, StateAfterContactWork, "ana")
	b.wantState(second.ID, StateQueued, "") // ACW still holds the slot
	b.must(b.r.CloseAfterContactWork(b.ctx, first.ID))
	b.wantState(first.ID, StateCompleted, "ana")
	b.wantState(second.ID, StateOffered, "ana")

	if diff := cmp.Diff([]string{"t1>ana", "t2>ana"}, b.offers()); diff != "" {
		t.Errorf("offers (-want +got):\n%s", diff)
	}
}
