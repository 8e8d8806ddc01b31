package switchboard_test

import (
	"context"
	"sync/atomic"
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
// impl=none and impl=metrics time each on its own; impl=handover has three
// consumers that do nothing but note the Seq, which shows what handing the
// events over costs. impl=paired runs all three in rotating rounds of
// metricsBenchRound life cycles, each round timed until the consumers have
// caught up, so that they see the same load on a shared machine. It reports
// ns/op and cpu-ns/op with the metrics and records, bare-ns/op and
// bare-cpu-ns/op without consumers, their ratios as overhead-% and
// cpu-overhead-% (the target: overhead-% under 10), and the
// hand-over's alone as handover-overhead-% and handover-cpu-overhead-%.
func BenchmarkMetrics(b *testing.B) {
	for _, impl := range []string{"none", "handover", "metrics"} {
		b.Run("impl="+impl, func(b *testing.B) {
			var lc *metricsBenchRouter
			switch impl {
			case "none":
				lc = newMetricsBenchRouter(b, false)
			case "metrics":
				lc = newMetricsBenchRouter(b, true)
			case "handover":
				lc = newMetricsBenchRouter(b, false, &seqSeen{}, &seqSeen{}, &seqSeen{})
			}
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
		// [0] bare, [1] with the metrics and records, [2] with three
		// consumers that do nothing.
		lcs := [3]*metricsBenchRouter{newMetricsBenchRouter(b, false), newMetricsBenchRouter(b, true),
			newMetricsBenchRouter(b, false, &seqSeen{}, &seqSeen{}, &seqSeen{})}
		var wall, cpu [3]int64
		b.ResetTimer()
		for round, done := 0, 0; done < b.N; round++ {
			n := min(metricsBenchRound, b.N-done)
			for k := range 3 {
				i := (round + k) % 3 // rotate which goes first
				start, cpu0 := time.Now(), processCPU()
				lcs[i].run(b, n)
				lcs[i].catchUp(b)
				wall[i] += int64(time.Since(start))
				cpu[i] += processCPU() - cpu0
			}
			done += n
		}
		b.StopTimer()
		for _, lc := range lcs {
			lc.close(b)
		}
		N := float64(b.N)
		pct := func(a, base int64) float64 { return 100 * (float64(a)/float64(base) - 1) }
		b.ReportMetric(float64(wall[1])/N, "ns/op")
		b.ReportMetric(float64(wall[0])/N, "bare-ns/op")
		b.ReportMetric(pct(wall[1], wall[0]), "overhead-%")
		b.ReportMetric(pct(wall[2], wall[0]), "handover-overhead-%")
		if cpu[0] > 0 {
			b.ReportMetric(float64(cpu[1])/N, "cpu-ns/op")
			b.ReportMetric(float64(cpu[0])/N, "bare-cpu-ns/op")
			b.ReportMetric(pct(cpu[1], cpu[0]), "cpu-overhead-%")
			b.ReportMetric(pct(cpu[2], cpu[0]), "handover-cpu-overhead-%")
		}
	})
}

// seqSeen is a consumer that does nothing but remember the last Seq.
type seqSeen struct{ last atomic.Uint64 }

func (c *seqSeen) Consume(e switchboard.Event) { c.last.Store(e.Seq) }
func (c *seqSeen) LastSeq() uint64             { return c.last.Load() }

// metricsBenchRound is the number of life cycles of one round of
// BenchmarkMetrics/impl=paired: long enough that the wait for a sleeping
// consumer's wake-up (up to a millisecond) at the end of a round is a small
// part of it.
const metricsBenchRound = 20000

type metricsBenchRouter struct {
	ctx       context.Context
	clock     *switchboard.ManualClock
	r         *switchboard.Router
	consumers []interface{ LastSeq() uint64 }
}

// newMetricsBenchRouter builds a router with one queue, one routing profile
// and one available agent, with the three consumers attached or none.
func newMetricsBenchRouter(b *testing.B, withConsumers bool, others ...switchboard.Consumer) *metricsBenchRouter {
	ctx := context.Background()
	clock := switchboard.NewManualClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	p := &switchboard.RoutingProfile{ID: "p", Concurrency: []switchboard.MediaConcurrency{{Channel: switchboard.ChannelTask, Concurrency: 1}},
		Queues: []switchboard.QueueConfig{{QueueID: "q", Priority: 1}}}
	cfg := &switchboard.Config{Clock: clock}
	lc := &metricsBenchRouter{ctx: ctx, clock: clock}
	if withConsumers {
		rb := switchboard.NewRecordBuilder(switchboard.RecordSinkFunc(func(switchboard.ContactRecord) error { return nil }))
		hm := switchboard.NewHistoricalMetrics(nil)
		rt := switchboard.NewRealTimeMetrics(&switchboard.RealTimeOptions{RoutingProfiles: []*switchboard.RoutingProfile{p}})
		cfg.Consumers = []switchboard.Consumer{rb, hm, rt}
		lc.consumers = []interface{ LastSeq() uint64 }{rb, hm, rt}
	}
	cfg.Consumers = append(cfg.Consumers, others...)
	for _, c := range others {
		if c, ok := c.(interface{ LastSeq() uint64 }); ok {
			lc.consumers = append(lc.consumers, c)
		}
	}
	r, err := switchboard.NewRouter(ctx, switchboard.NewMemoryStore(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	lc.r = r
	for _, err := range []error{
		r.PutQueue(ctx, switchboard.Queue{ID: "q", Name: "q"}),
		r.PutRoutingProfile(ctx, *p),
		r.PutAgent(ctx, switchboard.Agent{ID: "ana", RoutingProfileID: "p", Status: switchboard.StatusAvailable}),
	} {
		if err != nil {
			b.Fatal(err)
		}
	}
	return lc
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

// catchUp waits until every consumer has applied every event so far.
func (lc *metricsBenchRouter) catchUp(b *testing.B) {
	st, err := lc.r.Stats()
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range lc.consumers {
		for c.LastSeq() < st.Events {
			time.Sleep(20 * time.Microsecond)
		}
	}
}

// close closes the router, waiting for its consumers to take every event.
func (lc *metricsBenchRouter) close(b *testing.B) {
	if err := lc.r.Close(lc.ctx); err != nil {
		b.Fatal(err)
	}
}
