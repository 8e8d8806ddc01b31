package switchboard

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
)

// guardedStore is how the router calls the host's Store: a panic in Write,
// Task, TaskByClientToken, Chain or Load becomes an error matching
// ErrStorePanicked, logged with its stack, so that host code can neither
// take the router down nor leave its lock held. A write that panicked counts
// as refused (a store that panicked after committing it reports a version
// conflict on the next write of those tasks); a read that panicked fails
// the call that needed it, which reports it as a *StoreError. Optional
// capabilities are found on the host's Store itself, s.
type guardedStore struct {
	s      Store
	logger *slog.Logger
}

func (g guardedStore) Write(ctx context.Context, c *Change) (err error) {
	defer g.contain("Write", &err)
	return g.s.Write(ctx, c)
}

func (g guardedStore) Task(ctx context.Context, id string) (t *Task, err error) {
	defer g.contain("Task", &err)
	return g.s.Task(ctx, id)
}

func (g guardedStore) TaskByClientToken(ctx context.Context, token string) (t *Task, err error) {
	defer g.contain("TaskByClientToken", &err)
	return g.s.TaskByClientToken(ctx, token)
}

func (g guardedStore) Chain(ctx context.Context, initialID string) (ts []*Task, err error) {
	defer g.contain("Chain", &err)
	return g.s.Chain(ctx, initialID)
}

func (g guardedStore) Load(ctx context.Context) (snap *Snapshot, err error) {
	defer g.contain("Load", &err)
	return g.s.Load(ctx)
}

// contain, deferred by a call of a Store method, recovers the method's
// panic into *err.
func (g guardedStore) contain(method string, err *error) {
	if p := recover(); p != nil {
		*err = g.panicked(method, p)
	}
}

// containAs is contain for a deferred call that reports a *StoreError for
// op (loading a capability's data, say).
func (g guardedStore) containAs(method, op string, err *error) {
	if p := recover(); p != nil {
		*err = &StoreError{Op: op, Err: g.panicked(method, p)}
	}
}

func (g guardedStore) panicked(method string, p any) error {
	g.logger.Error("switchboard: Store."+method+" panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
	return fmt.Errorf("%w: %v", ErrStorePanicked, p)
}
