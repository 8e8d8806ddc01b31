package bench_test

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkRiverFetchSettings is how River's settings in BenchmarkPGLifecycle
// (riverTuned) were chosen: River's jobs per second at 8 and 64 producers
// with its default fetch settings, with shorter ones, and with twice the
// workers, in one run.
func BenchmarkRiverFetchSettings(b *testing.B) {
	settings := []riverSettings{
		{100 * time.Millisecond, time.Second, riverMaxWorkers}, // River's defaults, but for MaxWorkers
		{25 * time.Millisecond, 100 * time.Millisecond, riverMaxWorkers},
		riverTuned,
		{2 * time.Millisecond, 20 * time.Millisecond, riverMaxWorkers},
		{riverFetchCooldown, riverFetchPollInterval, 2 * riverMaxWorkers},
	}
	for _, producers := range []int{8, 64} {
		for _, set := range settings {
			name := fmt.Sprintf("cooldown=%s/poll=%s/workers=%d/producers=%d", set.fetchCooldown, set.fetchPollInterval, set.maxWorkers, producers)
			b.Run(name, func(b *testing.B) {
				ctx := context.Background()
				pool := newPool(b, producers)
				sys := newRiverQueue(b, pool, newSchema(b, pool), set)
				b.ResetTimer()
				if err := produce(ctx, sys, producers, b.N); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
				if err := sys.verify(ctx, b.N); err != nil {
					b.Fatal(err)
				}
			})
		}
	}
}
