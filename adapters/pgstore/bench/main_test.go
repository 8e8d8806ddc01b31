package bench_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The benchmarks and tests run against the PostgreSQL server named by
// SWITCHBOARD_PG_DSN, each run in a schema of its own that it drops at the
// end. testdb.sh starts a throwaway server and sets the variable. Without it
// they skip, except under CI=true, where they fail.

const dsnVar = "SWITCHBOARD_PG_DSN"

var (
	dsn     = os.Getenv(dsnVar)
	schemas atomic.Int64
)

// needDB returns the DSN, or skips (fails under CI) when there is none.
func needDB(tb testing.TB) string {
	tb.Helper()
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s is not set: under CI the PostgreSQL benchmarks must run (bash adapters/pgstore/bench/testdb.sh go test ./...)", dsnVar)
		}
		tb.Skipf("%s is not set; run: bash testdb.sh go test -bench . ./...", dsnVar)
	}
	return dsn
}

// spareConns is how many connections a pool has beyond one per producer:
// River's client holds one for LISTEN and uses a few more to fetch, complete
// and elect its leader; the router's store needs one at a time. Every kind
// gets the same pool, so none is short of connections.
const spareConns = 8

// newPool returns a pool of producers+spareConns connections, closed when
// the run ends, with one connection per producer already open, so that no
// kind pays for connecting inside the timed part.
func newPool(tb testing.TB, producers int) *pgxpool.Pool {
	tb.Helper()
	cfg, err := pgxpool.ParseConfig(needDB(tb))
	if err != nil {
		tb.Fatal(err)
	}
	cfg.MaxConns = int32(producers + spareConns)
	cfg.ConnConfig.RuntimeParams["application_name"] = "switchboard bench"
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	conns := make([]*pgxpool.Conn, 0, producers)
	for range producers {
		c, err := pool.Acquire(context.Background())
		if err != nil {
			tb.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Release()
	}
	return pool
}

// newSchema creates a schema no other run uses and drops it when the run
// ends (before the pool closes: cleanups run last registered first).
func newSchema(tb testing.TB, pool *pgxpool.Pool) string {
	tb.Helper()
	name := fmt.Sprintf("bench_%d_%d", os.Getpid(), schemas.Add(1))
	ctx := context.Background()
	if _, err := pool.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{name}.Sanitize()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if _, err := pool.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{name}.Sanitize()+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", name, err)
		}
	})
	return name
}

// produce runs n units of sys's work on producers goroutines, each taking
// the next unit until none is left, then waits until sys has finished all
// of them. It stops at the first error and returns it.
func produce(ctx context.Context, sys system, producers, n int) error {
	var (
		left    atomic.Int64
		failed  atomic.Bool
		errOnce sync.Once
		first   error
		wg      sync.WaitGroup
	)
	left.Store(int64(n))
	for p := range producers {
		wg.Go(func() {
			for !failed.Load() && left.Add(-1) >= 0 {
				if err := sys.do(ctx, p); err != nil {
					errOnce.Do(func() { first = fmt.Errorf("producer %d: %w", p, err) })
					failed.Store(true)
					return
				}
			}
		})
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return sys.wait(ctx, n)
}
