package switchboard_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard-go/switchboard"
)

// BenchmarkMetrics measures one task life cycle (create → offered →
// accepted → after-contact work → completed) with no consumer and with a
// RecordBuilder, HistoricalMetrics and RealTimeMetrics attached. Close is
// inside the timed region, so the consumers' own work (on their goroutines)
// is counted. Compare impl=none and impl=metrics of one run.
func BenchmarkMetrics(b *testing.B) {
	for _, impl := range []string{"none", "metrics"} {
		b.Run("impl="+impl, func(b *testing.B) {
			ctx := context.Background()
			clock := switchboard.NewManualClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
			p := &switchboard.RoutingProfile{ID: "p", Concurrency: []switchboard.MediaConcurrency{{Channel: switchboard.ChannelTask, Concurrency: 1}},
				Queues: []switchboard.QueueConfig{{QueueID: "q", Priority: 1}}}
			cfg := &switchboard.Config{Clock: clock}
			if impl == "metrics" {
				cfg.Consumers = []switchboard.Consumer{
					switchboard.NewRecordBuilder(switchboard.RecordSinkFunc(func(switchboard.ContactRecord) error { return nil })),
					switchboard.NewHistoricalMetrics(nil),
					switchboard.NewRealTimeMetrics(&switchboard.RealTimeOptions{RoutingProfiles: []*switchboard.RoutingProfile{p}}),
				}
			}
			r, err := switchboard.NewRouter(ctx, switchboard.NewMemoryStore(), cfg)
			if err != nil {
				b.Fatal(err)
			}
			must := func(err error) {
				if err != nil {
					b.Fatal(err)
				}
			}
			must(r.PutQueue(ctx, switchboard.Queue{ID: "q", Name: "q"}))
			must(r.PutRoutingProfile(ctx, *p))
			must(r.PutAgent(ctx, switchboard.Agent{ID: "ana", RoutingProfileID: "p", Status: switchboard.StatusAvailable}))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				clock.Advance(time.Second)
				task, err := r.CreateTask(ctx, switchboard.TaskInput{Name: "t", QueueID: "q"})
				must(err)
				must(r.Accept(ctx, task.ID, "ana"))
				must(r.Complete(ctx, task.ID))
				must(r.CloseAfterContactWork(ctx, task.ID))
			}
			must(r.Close(ctx))
		})
	}
}
