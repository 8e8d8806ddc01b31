package pgstore_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sb "github.com/switchboard-go/switchboard"
)

// BenchmarkPGLifecycle measures full task lifecycles per second over
// PostgreSQL (durable commits: the server's defaults) with 1, 8 and 64
// concurrent producers. A lifecycle is CreateTask for the producer's own
// agent (offered at once), Accept, Complete and CloseAfterContactWork: four
// operations, four store writes, each one transaction. Today the router
// writes under its lock, so the producers take turns for every round trip:
// this is the baseline for the group-commit pipeline (docs/durability.md).
// Each size also runs over a MemoryStore, for the cost of the router alone.
func BenchmarkPGLifecycle(b *testing.B) {
	for _, producers := range []int{1, 8, 64} {
		for _, kind := range []string{"postgres", "memory"} {
			b.Run(fmt.Sprintf("%s/producers=%d", kind, producers), func(b *testing.B) {
				var store sb.Store = sb.NewMemoryStore()
				if kind == "postgres" {
					store = openStore(b)
				}
				benchLifecycles(b, store, producers)
			})
		}
	}
}

func benchLifecycles(b *testing.B, store sb.Store, producers int) {
	ctx := context.Background()
	r, err := sb.NewRouter(ctx, store, &sb.Config{Clock: sb.NewManualClock(start)})
	must(b, err)
	defer r.Close(ctx)
	must(b, r.PutQueue(ctx, sb.Queue{ID: "billing", Name: "Billing"}))
	must(b, r.PutRoutingProfile(ctx, sb.RoutingProfile{ID: "tasks", Name: "Tasks",
		Concurrency: []sb.MediaConcurrency{{Channel: sb.ChannelTask, Concurrency: 10}},
		Queues:      []sb.QueueConfig{{QueueID: "billing", Channel: sb.ChannelTask, Priority: 1}}}))
	for p := range producers {
		must(b, r.PutAgent(ctx, sb.Agent{ID: fmt.Sprint("agent-", p), Name: "agent", RoutingProfileID: "tasks", Status: sb.StatusAvailable}))
	}
	var left atomic.Int64
	left.Store(int64(b.N))
	var wg sync.WaitGroup
	b.ResetTimer()
	for p := range producers {
		agent := fmt.Sprint("agent-", p)
		wg.Go(func() {
			for left.Add(-1) >= 0 {
				task, err := r.CreateTask(ctx, sb.TaskInput{Name: "Call back", AgentID: agent})
				if err == nil {
					err = r.Accept(ctx, task.ID, agent)
				}
				if err == nil {
					err = r.Complete(ctx, task.ID)
				}
				if err == nil {
					err = r.CloseAfterContactWork(ctx, task.ID)
				}
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lifecycles/s")
}

// BenchmarkPGWriteGroup measures what group commit buys the store: changes
// per second written one per transaction (Write, size=1) and g per
// transaction (WriteGroup). Each change is what a lifecycle step writes: one
// task version, its agent, two events.
func BenchmarkPGWriteGroup(b *testing.B) {
	for _, size := range []int{1, 8, 64} {
		b.Run(fmt.Sprint("size=", size), func(b *testing.B) {
			store := openStore(b)
			ctx := context.Background()
			agent := &sb.Agent{ID: "ana", Name: "Ana", RoutingProfileID: "tasks", Status: sb.StatusAvailable}
			var seq uint64
			changes := make([]*sb.Change, 0, size)
			flush := func() {
				var err error
				if size == 1 {
					err = store.Write(ctx, changes[0])
				} else {
					err = store.WriteGroup(ctx, changes)
				}
				must(b, err)
				changes = changes[:0]
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				seq += 2
				task := &sb.Task{ID: fmt.Sprint("task-", i), Sequence: uint64(i + 1), Version: 1, Name: "Call back",
					Channel: sb.ChannelTask, State: sb.StateOffered, QueueID: "billing", AgentID: "ana", InitialTaskID: fmt.Sprint("task-", i),
					InitiatedAt: start, EnqueuedAt: start, OfferedAt: start, ExpiresAt: start.Add(time.Hour)}
				changes = append(changes, &sb.Change{Tasks: []*sb.Task{task}, Agents: []*sb.Agent{agent}, Events: []sb.Event{
					{Seq: seq - 1, Type: sb.EventTaskCreated, Time: start, TaskID: task.ID, State: sb.StateQueued},
					{Seq: seq, Type: sb.EventTaskOffered, Time: start, TaskID: task.ID, AgentID: "ana", State: sb.StateOffered},
				}})
				if len(changes) == size {
					flush()
				}
			}
			if len(changes) > 0 {
				flush()
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "changes/s")
		})
	}
}
