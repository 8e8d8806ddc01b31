package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-go/switchboard"
)

// This file implements switchboard.FlowStore: one row per task whose flow
// is parked (flow_runs), its State kept byte for byte. Like Write, a put or
// delete of a fenced Store checks the fencing token in its own transaction,
// so a process that lost the lease cannot move a flow the new leader runs.

var _ switchboard.FlowStore = (*Store)(nil)

var errNilFlowRun = errors.New("pgstore: nil flow run")

// PutFlowRun stores run, replacing the run of the same task.
func (s *Store) PutFlowRun(ctx context.Context, run *switchboard.FlowRun) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if run == nil {
		return errNilFlowRun
	}
	state := run.State
	if state == nil {
		state = []byte{} // the column is NOT NULL; an empty state reads back empty
	}
	b := &pgx.Batch{}
	s.queueFence(b)
	b.Queue(s.table("INSERT INTO §.flow_runs (task_id, flow_id, state) VALUES ($1, $2, $3) "+
		"ON CONFLICT (task_id) DO UPDATE SET flow_id = excluded.flow_id, state = excluded.state"),
		run.TaskID, run.FlowID, state)
	return s.send(ctx, b)
}

// DeleteFlowRun removes the run of the task taskID; a missing one is not an
// error.
func (s *Store) DeleteFlowRun(ctx context.Context, taskID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b := &pgx.Batch{}
	s.queueFence(b)
	b.Queue(s.table("DELETE FROM §.flow_runs WHERE task_id = $1"), taskID)
	return s.send(ctx, b)
}

// FlowRuns returns every stored run, in task ID order.
func (s *Store) FlowRuns(ctx context.Context) ([]*switchboard.FlowRun, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, s.table("SELECT task_id, flow_id, state FROM §.flow_runs ORDER BY task_id"))
	if err != nil {
		return nil, fmt.Errorf("pgstore: flow runs: %w", err)
	}
	runs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*switchboard.FlowRun, error) {
		run := &switchboard.FlowRun{}
		err := row.Scan(&run.TaskID, &run.FlowID, &run.State)
		return run, err
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: flow runs: %w", err)
	}
	return runs, nil
}
