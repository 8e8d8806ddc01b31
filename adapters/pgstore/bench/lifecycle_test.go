package bench_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
)

// A system is one way of doing the benchmark's unit of durable work over a
// fresh schema: a switchboard lifecycle, a naive lifecycle, a River job.
// Its methods are safe for concurrent use by the producers.
type system interface {
	// do performs one unit of work for producer p (0 ≤ p < producers) and
	// returns once the database has committed what it must.
	do(ctx context.Context, p int) error
	// wait returns once all n units that do started are finished: at once
	// for the systems whose do finishes its unit, and for River once every
	// job has been worked and its completion stored.
	wait(ctx context.Context, n int) error
	// verify checks that the database holds exactly n finished units, so
	// that a figure never counts work that was not done.
	verify(ctx context.Context, n int) error
}

// A kind names a system, the unit of its metric and how to open it over a
// pool and a fresh schema for the given number of producers.
type kind struct {
	name string
	unit string
	open func(tb testing.TB, pool *pgxpool.Pool, schema string, producers int) system
}

var kinds = []kind{
	{"switchboard", "lifecycles/s", openSwitchboard},
	{"switchboard-underlock", "lifecycles/s", openSwitchboardUnderLock},
	{"naive", "lifecycles/s", openNaive},
	{"river", "jobs/s", openRiver},
	{"memory", "lifecycles/s", openMemory},
}

// BenchmarkPGLifecycle measures durable units of work per second with 1, 8
// and 64 concurrent producers, each kind (see kinds and the package
// documentation) in turn at each size, so the kinds compared at one size run
// close together in time on the same server. A run's b.N is the number of
// units; the metric counts them from the first do to the last unit's
// finish, and verify checks afterwards that the database holds them all.
func BenchmarkPGLifecycle(b *testing.B) {
	for _, producers := range []int{1, 8, 64} {
		for _, k := range kinds {
			b.Run(fmt.Sprintf("%s/producers=%d", k.name, producers), func(b *testing.B) {
				ctx := context.Background()
				pool := newPool(b, producers)
				sys := k.open(b, pool, newSchema(b, pool), producers)
				b.ResetTimer()
				if err := produce(ctx, sys, producers, b.N); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), k.unit)
				if err := sys.verify(ctx, b.N); err != nil {
					b.Fatal(err)
				}
			})
		}
	}
}

// TestEveryKindFinishesItsWork runs each kind with a few producers and
// checks that every unit it counts is in the database, finished: what the
// benchmark's figures rest on.
func TestEveryKindFinishesItsWork(t *testing.T) {
	const producers, units = 4, 30
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			ctx := context.Background()
			pool := newPool(t, producers)
			sys := k.open(t, pool, newSchema(t, pool), producers)
			if err := produce(ctx, sys, producers, units); err != nil {
				t.Fatal(err)
			}
			if err := sys.verify(ctx, units); err != nil {
				t.Fatal(err)
			}
			// And a system that counted one more than it did is caught.
			if err := sys.verify(ctx, units+1); err == nil {
				t.Errorf("verify accepted %d units after %d were done", units+1, units)
			}
		})
	}
}
