package sim

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkDay times a simulated day per ticket (run the example for the
// wall-clock time of a whole day): the default 50-agent center, and one
// scaled to 100,000 tickets a day (1,050 agents). With -benchtime=1x and a
// 24h Duration it is the whole day.
func BenchmarkDay(b *testing.B) {
	for _, c := range []struct {
		agents int
		rate   float64
	}{{50, 200}, {1050, 4167}} {
		b.Run(fmt.Sprintf("agents=%d/rate=%.0f", c.agents, c.rate), func(b *testing.B) {
			b.ReportAllocs()
			tickets := 0
			for b.Loop() {
				res, err := Run(context.Background(), Day(DayOptions{Agents: c.agents, Rate: c.rate, Duration: 24 * time.Hour}), &Options{Seed: 1})
				if err != nil {
					b.Fatal(err)
				}
				tickets += res.Tickets
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(tickets), "ns/ticket")
		})
	}
}
