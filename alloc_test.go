package switchboard

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// TestRoutingAllocatesNothing: once the router is warm, a task's way from
// the head of the queue to a closed after-contact work (offer, accept,
// complete, close) allocates nothing, over the default memory store, with a
// lossless consumer receiving every event; creating a task allocates only the
// copy returned to the caller.
func TestRoutingAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own")
	}
	const agents, waiting, runs = 10, 400, 100
	ctx := context.Background()
	clock := NewManualClock(t0)
	ids := make([]string, agents+waiting+2*runs+10)
	for i := range ids {
		ids[i] = fmt.Sprintf("t%d", i+1)
	}
	next := 0
	var seen atomic.Uint64
	r, err := NewRouter(ctx, nil, &Config{
		Clock:     clock,
		NewID:     func() string { next++; return ids[next-1] },
		Consumers: []Consumer{ConsumerFunc(func(e Event) { seen.Store(e.Seq) })},
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
	names := make([]string, agents)
	holding := make([]string, agents)
	for i := range names {
		names[i] = fmt.Sprintf("a%d", i)
		must(r.PutAgent(ctx, Agent{ID: names[i], Name: names[i], RoutingProfileID: "desk", Status: StatusAvailable}))
	}
	in := TaskInput{Name: "follow up", QueueID: "q"}
	for i := range names {
		task, err := r.CreateTask(ctx, in)
		must(err)
		must(r.Accept(ctx, task.ID, names[i]))
		holding[i] = task.ID
	}
	var fifo []string // waiting tasks, oldest first
	for range waiting {
		task, err := r.CreateTask(ctx, in)
		must(err)
		fifo = append(fifo, task.ID)
	}
	turn := 0
	// One agent finishes its task; the slot it frees takes the oldest
	// waiting task, which the agent accepts.
	lifecycle := func() {
		clock.Advance(time.Millisecond)
		i := turn % agents
		turn++
		must(r.Complete(ctx, holding[i]))
		must(r.CloseAfterContactWork(ctx, holding[i]))
		must(r.Accept(ctx, fifo[0], names[i]))
		holding[i], fifo = fifo[0], fifo[1:]
	}
	for range 2 * agents { // warm up every buffer
		lifecycle()
	}
	if n := testing.AllocsPerRun(runs, lifecycle); n != 0 {
		t.Errorf("offer, accept, complete and close allocate %v times per task, want 0", n)
	}
	create := func() {
		task, err := r.CreateTask(ctx, in)
		must(err)
		fifo = append(fifo, task.ID)
	}
	create()
	// fifo's appends allocate on the test's side; count only the router's.
	fifo = append(make([]string, 0, len(fifo)+2*runs), fifo...)
	if n := testing.AllocsPerRun(runs, create); n != 1 {
		t.Errorf("CreateTask allocates %v times, want 1: the task it returns", n)
	}
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if seen.Load() == 0 {
		t.Errorf("the consumer received no event")
	}
}
