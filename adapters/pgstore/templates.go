package pgstore

import (
	"context"

	"github.com/switchboard-go/switchboard"
)

// This file implements switchboard.TemplateStore: task templates and quick
// connects, one JSONB row each. Like Write, a put or delete of a fenced Store
// checks the fencing token in its own transaction.

var _ switchboard.TemplateStore = (*Store)(nil)

// PutTemplate stores t, replacing any template with its ID.
func (s *Store) PutTemplate(ctx context.Context, t *switchboard.TaskTemplate) error {
	return s.putBody(ctx, "templates", t.ID, t)
}

// DeleteTemplate removes the template with id; a missing ID is not an error.
func (s *Store) DeleteTemplate(ctx context.Context, id string) error {
	return s.deleteRow(ctx, "templates", id)
}

// Templates returns every stored template, in ID order.
func (s *Store) Templates(ctx context.Context) ([]*switchboard.TaskTemplate, error) {
	return all[switchboard.TaskTemplate](ctx, s.pool, s.table("SELECT body FROM §.templates ORDER BY id"))
}

// PutQuickConnect stores q, replacing any quick connect with its ID.
func (s *Store) PutQuickConnect(ctx context.Context, q *switchboard.QuickConnect) error {
	return s.putBody(ctx, "quick_connects", q.ID, q)
}

// DeleteQuickConnect removes the quick connect with id; a missing ID is not
// an error.
func (s *Store) DeleteQuickConnect(ctx context.Context, id string) error {
	return s.deleteRow(ctx, "quick_connects", id)
}

// QuickConnects returns every stored quick connect, in ID order.
func (s *Store) QuickConnects(ctx context.Context) ([]*switchboard.QuickConnect, error) {
	return all[switchboard.QuickConnect](ctx, s.pool, s.table("SELECT body FROM §.quick_connects ORDER BY id"))
}
