package bench_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// naive is the lifecycle a host would write straight on pgx with no router:
// one row per task, inserted when the task is created and offered to the
// producer's agent, then updated when it is accepted, completed into
// after-contact work and closed, each statement its own transaction (five
// commits, five fsyncs). Every update checks the row's version, as the
// store's writes do, so a lost update would be an error.
type naive struct {
	pool  *pgxpool.Pool
	table string
	ids   atomic.Int64
}

// naiveSteps are the states a task's row moves through after its insert.
var naiveSteps = []string{"offered", "accepted", "after_contact_work", "completed"}

func openNaive(tb testing.TB, pool *pgxpool.Pool, schema string, _ int) system {
	tb.Helper()
	n := &naive{pool: pool, table: pgx.Identifier{schema, "tasks"}.Sanitize()}
	_, err := pool.Exec(context.Background(), `CREATE TABLE `+n.table+` (
		id         bigint PRIMARY KEY,
		agent_id   text NOT NULL,
		state      text NOT NULL,
		version    int NOT NULL,
		updated_at timestamptz NOT NULL DEFAULT now()
	)`)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

func (n *naive) do(ctx context.Context, p int) error {
	return n.lifecycle(ctx, p, func(commit func() error) error { return commit() })
}

// lifecycle runs one task's five commits for producer p's agent, each
// through run (BenchmarkPGWriteBudget times them one by one).
func (n *naive) lifecycle(ctx context.Context, p int, run func(commit func() error) error) error {
	id := n.ids.Add(1)
	err := run(func() error {
		_, err := n.pool.Exec(ctx, `INSERT INTO `+n.table+` (id, agent_id, state, version) VALUES ($1, $2, 'queued', 1)`,
			id, agentID(p))
		return err
	})
	if err != nil {
		return err
	}
	for i, state := range naiveSteps {
		err := run(func() error {
			tag, err := n.pool.Exec(ctx, `UPDATE `+n.table+` SET state = $1, version = version + 1, updated_at = now()
			WHERE id = $2 AND version = $3`, state, id, i+1)
			if err == nil && tag.RowsAffected() != 1 {
				err = fmt.Errorf("task %d: no row at version %d to move to %s", id, i+1, state)
			}
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// wait has nothing to wait for: each statement committed before do returned.
func (n *naive) wait(context.Context, int) error { return nil }

// verify checks that the table holds n tasks, every one completed through
// all five writes.
func (n *naive) verify(ctx context.Context, want int) error {
	var total, done int
	err := n.pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE state = 'completed' AND version = $1) FROM `+n.table,
		1+len(naiveSteps)).Scan(&total, &done)
	if err != nil {
		return err
	}
	if total != want || done != want {
		return fmt.Errorf("the table holds %d tasks, %d of them completed; want %d, all completed", total, done, want)
	}
	return nil
}
