package bench_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// River's settings for throughput. River fetches available jobs at most once
// per FetchCooldown (default 100 ms; its docs say throughput is limited by
// it) when LISTEN/NOTIFY announces inserts, and polls every
// FetchPollInterval (default 1 s) otherwise; a fetch takes up to MaxWorkers
// minus the jobs in hand. An insert sends its NOTIFY at most once per
// FetchCooldown too, and a NOTIFY serializes commits on the server, so the
// shortest cooldown is not the fastest: BenchmarkRiverFetchSettings compares
// these with River's defaults and with shorter ones. The completer batches
// completions, as it does by default.
const (
	riverFetchCooldown     = 10 * time.Millisecond
	riverFetchPollInterval = 50 * time.Millisecond
	riverMaxWorkers        = 100
	// riverEventBuffer is the completion subscription's buffer: River drops
	// events that find it full, and the benchmark must see every one.
	riverEventBuffer = 100_000
)

// callBackArgs is the job: a call-back for a producer's agent, the payload a
// switchboard task would carry at its smallest.
type callBackArgs struct {
	Agent string `json:"agent"`
}

func (callBackArgs) Kind() string { return "call_back" }

// callBackWorker works a job by doing nothing: the benchmark measures the
// queue, not the work.
type callBackWorker struct {
	river.WorkerDefaults[callBackArgs]
}

func (callBackWorker) Work(context.Context, *river.Job[callBackArgs]) error { return nil }

// riverQueue is River with its pgx driver, its tables migrated into the
// run's schema. A unit is one job: inserted with one Insert (its own
// transaction, committed before Insert returns), fetched and worked by the
// client, and finished when River has stored its completion, which is when
// it announces EventKindJobCompleted.
type riverQueue struct {
	pool      *pgxpool.Pool
	client    *river.Client[pgx.Tx]
	schema    string
	completed atomic.Int64
	// warm is the number of jobs worked before the benchmark's: one, so
	// that the client's listener, fetcher and completer have all run once
	// before the timer starts.
	warm int64
	// progress gets a value whenever completed grows, without blocking: a
	// waiter rereads completed.
	progress chan struct{}
}

// riverSettings are the client settings a run uses.
type riverSettings struct {
	fetchCooldown, fetchPollInterval time.Duration
	maxWorkers                       int
}

var riverTuned = riverSettings{riverFetchCooldown, riverFetchPollInterval, riverMaxWorkers}

func openRiver(tb testing.TB, pool *pgxpool.Pool, schema string, _ int) system {
	return newRiverQueue(tb, pool, schema, riverTuned)
}

func newRiverQueue(tb testing.TB, pool *pgxpool.Pool, schema string, set riverSettings) *riverQueue {
	tb.Helper()
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	driver := riverpgxv5.New(pool)
	migrator, err := rivermigrate.New(driver, &rivermigrate.Config{Schema: schema, Logger: logger})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		tb.Fatal(err)
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, callBackWorker{})
	client, err := river.NewClient(driver, &river.Config{
		Schema:            schema,
		Logger:            logger,
		Workers:           workers,
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: set.maxWorkers}},
		FetchCooldown:     set.fetchCooldown,
		FetchPollInterval: set.fetchPollInterval,
	})
	if err != nil {
		tb.Fatal(err)
	}
	q := &riverQueue{pool: pool, client: client, schema: schema, progress: make(chan struct{}, 1)}
	events, cancel := client.SubscribeConfig(&river.SubscribeConfig{
		Kinds: []river.EventKind{river.EventKindJobCompleted}, ChanSize: riverEventBuffer})
	counted := make(chan struct{})
	go func() { // owned by this run: ends when the subscription is cancelled
		defer close(counted)
		for range events {
			q.completed.Add(1)
			select {
			case q.progress <- struct{}{}:
			default:
			}
		}
	}()
	if err := client.Start(ctx); err != nil {
		cancel()
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		stopCtx, stop := context.WithTimeout(ctx, 30*time.Second)
		defer stop()
		if err := client.Stop(stopCtx); err != nil {
			tb.Errorf("stop River: %v", err)
		}
		cancel()
		<-counted
	})
	if err := q.do(ctx, 0); err != nil {
		tb.Fatal(err)
	}
	if err := q.wait(ctx, 1); err != nil {
		tb.Fatal(err)
	}
	q.warm = 1
	return q
}

func (q *riverQueue) do(ctx context.Context, p int) error {
	_, err := q.client.Insert(ctx, callBackArgs{Agent: agentID(p)}, nil)
	return err
}

// riverStall is how long wait lets River go without completing a job before
// it gives up.
const riverStall = time.Minute

// wait returns once River has announced n completions after the warm-up.
// River stores completions in batches, at once when 100 are waiting and
// otherwise every 250 ms, so the last jobs of a run wait up to 250 ms: part
// of River's end-to-end cost, at most 5% of a 5-second run.
func (q *riverQueue) wait(ctx context.Context, n int) error {
	for q.completed.Load() < q.warm+int64(n) {
		select {
		case <-q.progress:
		case <-time.After(riverStall):
			return fmt.Errorf("River completed %d of %d jobs and none in %s", q.completed.Load(), n, riverStall)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// verify checks that River's job table holds n jobs besides the warm-up,
// every one completed, and that River announced no more completions than
// that.
func (q *riverQueue) verify(ctx context.Context, n int) error {
	var total, done int
	err := q.pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE state = 'completed') FROM `+
		pgx.Identifier{q.schema, "river_job"}.Sanitize()).Scan(&total, &done)
	if err != nil {
		return err
	}
	want := q.warm + int64(n)
	if int64(total) != want || int64(done) != want || q.completed.Load() != want {
		return fmt.Errorf("River holds %d jobs, %d of them completed, and announced %d completions; want %d of each (%d and the warm-up)",
			total, done, q.completed.Load(), want, n)
	}
	return nil
}
