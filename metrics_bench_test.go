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
// is counted.
//
// impl=none and impl=metrics time each on its own; impl=paired runs both in
// alternating rounds of metricsBenchRound life cycles, each on a fresh
// router closed at the end of its round, so that both see the same load
// on a shared machine. It reports ns/op and cpu-ns/op of the router with
// the consumers, bare-ns/op and bare-cpu-ns/op of the bare one, and their
// ratios as overhead-% and cpu-overhead-% (the target: under 10).
func BenchmarkMetrics(b *testing.B) {
	for _, impl := range []string{"none", "metrics"} {
		b.Run("impl="+impl, func(b *testing.B) {
			lc := newMetricsBenchRouter(b, impl == "metrics")
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := processCPU()
			lc.run(b, b.N)
			lc.close(b)
			if cpu1 := processCPU(); cpu0 >= 0 && cpu1 >= 0 {
				b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
			}
		})
	}
	b.Run("impl=paired", func(b *testing.B) {
		var wall, cpu [2]int64 // [0] bare, [1] with the consumers
		for round, done := 0, 0; done < b.N; round++ {
			n := min(metricsBenchRound, b.N-done)
			for k := range 2 {
				with := (round+k)%2 == 1 // alternate which goes first
				b.StopTimer()
				lc := newMetricsBenchRouter(b, with)
				b.StartTimer()
				i := 0
				if with {
					i = 1
				}
				start, cpu0 := time.Now(), processCPU()
				lc.run(b, n)
				lc.close(b)
				wall[i] += int64(time.Since(start))
				cpu[i] += processCPU() - cpu0
			}
			done += n
		}
		b.StopTimer()
		N := float64(b.N)
		b.ReportMetric(float64(wall[1])/N, "ns/op")
		b.ReportMetric(float64(wall[0])/N, "bare-ns/op")
		b.ReportMetric(100*(float64(wall[1])/float64(wall[0])-1), "overhead-%")
		if cpu[0] > 0 {
			b.ReportMetric(float64(cpu[1])/N, "cpu-ns/op")
			b.ReportMetric(float64(cpu[0])/N, "bare-cpu-ns/op")
			b.ReportMetric(100*(float64(cpu[1])/float64(cpu[0])-1), "cpu-overhead-%")
		}
	})
}

// metricsBenchRound is the number of life cycles of one round of
// BenchmarkMetrics/impl=paired.
const metricsBenchRound = 2000

type metricsBenchRouter struct {
	ctx   context.Context
	clock *switchboard.ManualClock
	r     *switchboard.Router
}

// newMetricsBenchRouter builds a router with one queue, one routing profile
// and one available agent, with the three consumers attached or none.
func newMetricsBenchRouter(b *testing.B, withConsumers bool) *metricsBenchRouter {
	ctx := context.Background()
	clock := switchboard.NewManualClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	p := &switchboard.RoutingProfile{ID: "p", Concurrency: []switchboard.MediaConcurrency{{Channel: switchboard.ChannelTask, Concurrency: 1}},
		Queues: []switchboard.QueueConfig{{QueueID: "q", Priority: 1}}}
	cfg := &switchboard.Config{Clock: clock}
	if withConsumers {
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
	for _, err := range []error{
		r.PutQueue(ctx, switchboard.Queue{ID: "q", Name: "q"}),
		r.PutRoutingProfile(ctx, *p),
		r.PutAgent(ctx, switchboard.Agent{ID: "ana", RoutingProfileID: "p", Status: switchboard.StatusAvailable}),
	} {
		if err != nil {
			b.Fatal(err)
		}
	}
	return &metricsBenchRouter{ctx: ctx, clock: clock, r: r}
}

// run runs n life cycles, a second apart.
func (lc *metricsBenchRouter) run(b *testing.B, n int) {
	for range n {
		lc.clock.Advance(time.Second)
		task, err := lc.r.CreateTask(lc.ctx, switchboard.TaskInput{Name: "t", QueueID: "q"})
		if err != nil {
			b.Fatal(err)
		}
		for _, err := range []error{
			lc.r.Accept(lc.ctx, task.ID, "ana"),
			lc.r.Complete(lc.ctx, task.ID),
			lc.r.CloseAfterContactWork(lc.ctx, task.ID),
		} {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// close closes the router, waiting for its consumers to take every event.
func (lc *metricsBenchRouter) close(b *testing.B) {
	if err := lc.r.Close(lc.ctx); err != nil {
		b.Fatal(err)
	}
}
