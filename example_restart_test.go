package switchboard_test

import (
	"context"
	"fmt"
	"time"

	sb "github.com/switchboard-go/switchboard"
)

// A router stopped and started again over the same store carries on where it
// was: the waiting task keeps its place, and the offer made before the
// restart still times out at its original deadline.
func ExampleNewRouter_restart() {
	ctx := context.Background()
	clock := sb.NewManualClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	store := sb.NewMemoryStore()
	n := 0
	cfg := &sb.Config{Clock: clock, NewID: func() string { n++; return fmt.Sprintf("task-%d", n) }}

	r, _ := sb.NewRouter(ctx, store, cfg)
	r.PutQueue(ctx, sb.Queue{ID: "q", Name: "q"})
	r.PutRoutingProfile(ctx, sb.RoutingProfile{ID: "p",
		Concurrency: []sb.MediaConcurrency{{Channel: sb.ChannelTask, Concurrency: 1}},
		Queues:      []sb.QueueConfig{{QueueID: "q", Priority: 1}}})
	r.PutAgent(ctx, sb.Agent{ID: "ana", RoutingProfileID: "p", Status: sb.StatusAvailable})
	r.CreateTask(ctx, sb.TaskInput{Name: "first", QueueID: "q"})  // offered to ana
	r.CreateTask(ctx, sb.TaskInput{Name: "second", QueueID: "q"}) // waits
	clock.Advance(5 * time.Second)
	r.Close(context.Background())

	clock.Advance(5 * time.Second) // nothing runs for five seconds
	r, _ = sb.NewRouter(ctx, store, cfg)
	defer r.Close(context.Background())
	clock.Advance(10 * time.Second) // 20 s after the offer: it times out
	for _, id := range []string{"task-1", "task-2"} {
		t, _ := r.Task(ctx, id)
		fmt.Println(id, t.State, t.RejectedBy)
	}
	a, _ := r.Agent("ana")
	fmt.Println("ana", a.Blocked)
	// Output:
	// task-1 QUEUED [ana]
	// task-2 QUEUED []
	// ana MISSED
}
