package pgstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	sb "github.com/switchboard-go/switchboard"
)

// BenchmarkPGLifecycle, the router's lifecycles per second beside River's
// jobs per second, is in ./bench, a module of its own because of River.

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
