package bench_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	sb "github.com/switchboard-go/switchboard"
	"github.com/switchboard-go/switchboard/adapters/pgstore"
)

// BenchmarkPGWriteBudget breaks down where one producer's time goes, on
// the same server and interleaved within every iteration, so that each part
// sees the same load: the question it answers is what a store write may
// cost for switchboard's four durable writes a lifecycle to keep up with
// the naive path's five commits (BenchmarkPGLifecycle at 1 producer).
//
// One iteration runs one switchboard lifecycle (timing each operation as
// its caller sees it, and each WriteGroup call under it), one naive
// lifecycle (timing each of its five commits), and one each of two probes.
// It reports medians, in microseconds:
//
//   - roundtrip-us: SELECT 1, the network and a statement's fixed cost;
//   - empty-call-us: write_change with every array empty: the function
//     call and its 27 arguments, with no row written, so no WAL to flush;
//   - naive-commit-us: one of the naive lifecycle's commits, a single-row
//     write: about the floor of any durable write on this machine (the WAL
//     flush of a commit);
//   - write-us: one pgstore WriteGroup of a lifecycle step (the task
//     version, its agent, its events), as the pipeline calls it;
//   - op-us: one router operation as its caller sees it;
//   - server-call-us: write_change's own execution on the server (the mean
//     from pg_stat_user_functions, over the calls the server has counted);
//   - budget-us: five fourths of naive-commit-us, what write-us may be for
//     four writes to cost no more than five naive commits.
//
// write-us minus naive-commit-us is what a store write carries beyond a
// minimal commit: the client's encoding, the server's function, the larger
// WAL record. The figures are in
// docs/durability.md ("The 1-producer budget").
func BenchmarkPGWriteBudget(b *testing.B) {
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(needDB(b))
	if err != nil {
		b.Fatal(err)
	}
	cfg.MaxConns = 1 + spareConns
	cfg.ConnConfig.RuntimeParams["application_name"] = "switchboard budget"
	cfg.ConnConfig.RuntimeParams["track_functions"] = "pl" // for server-call-us
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)

	swSchema := newSchema(b, pool)
	store := &timedStore{Store: openPGStore(b, pool, swSchema), schema: swSchema}
	l := newLifecycles(b, store, 1)
	store.took = store.took[:0] // the setup's writes
	nv := openNaive(b, pool, newSchema(b, pool), 1).(*naive)
	fn := pgx.Identifier{swSchema, "write_change"}.Sanitize()
	emptyCall := "SELECT " + fn + "(0" + strings.Repeat(", '{}'", 26) + ")"

	var ops, naiveCommits, roundtrips, emptyCalls []time.Duration
	timed := func(into *[]time.Duration, f func() error) {
		s := time.Now()
		if err := f(); err != nil {
			b.Fatal(err)
		}
		*into = append(*into, time.Since(s))
	}
	agent := agentID(0)
	for b.Loop() {
		var task *sb.Task
		timed(&ops, func() (err error) {
			task, err = l.r.CreateTask(ctx, sb.TaskInput{Name: "Call back", AgentID: agent})
			return err
		})
		timed(&ops, func() error { return l.r.Accept(ctx, task.ID, agent) })
		timed(&ops, func() error { return l.r.Complete(ctx, task.ID) })
		timed(&ops, func() error { return l.r.CloseAfterContactWork(ctx, task.ID) })
		if err := nv.lifecycle(ctx, 0, func(commit func() error) error { timed(&naiveCommits, commit); return nil }); err != nil {
			b.Fatal(err)
		}
		timed(&roundtrips, func() error { _, err := pool.Exec(ctx, "SELECT 1"); return err })
		timed(&emptyCalls, func() error { _, err := pool.Exec(ctx, emptyCall); return err })
	}
	b.StopTimer()
	us := func(d []time.Duration) float64 {
		slices.Sort(d)
		return float64(d[len(d)/2]) / float64(time.Microsecond)
	}
	naiveCommit := us(naiveCommits)
	b.ReportMetric(us(roundtrips), "roundtrip-us")
	b.ReportMetric(us(emptyCalls), "empty-call-us")
	b.ReportMetric(naiveCommit, "naive-commit-us")
	b.ReportMetric(us(store.took), "write-us")
	b.ReportMetric(us(ops), "op-us")
	b.ReportMetric(naiveCommit*5/4, "budget-us")
	var calls int64
	var total float64
	err = pool.QueryRow(ctx, `SELECT coalesce(sum(calls), 0), coalesce(sum(total_time), 0) FROM pg_stat_user_functions
		WHERE funcname = 'write_change' AND schemaname = $1`, store.schema).Scan(&calls, &total)
	if err != nil {
		b.Fatal(err)
	}
	if calls > 0 {
		b.ReportMetric(1000*total/float64(calls), "server-call-us")
	}
}

// timedStore is pgstore.Store with each WriteGroup call timed. Embedding
// the pointer keeps every optional capability visible to the router.
type timedStore struct {
	*pgstore.Store
	schema string
	took   []time.Duration
}

func (t *timedStore) WriteGroup(ctx context.Context, cs []*sb.Change) error {
	s := time.Now()
	err := t.Store.WriteGroup(ctx, cs)
	t.took = append(t.took, time.Since(s))
	return err
}
