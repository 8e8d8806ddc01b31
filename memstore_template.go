package switchboard

import (
	"context"
	"errors"
)

// MemoryStore implements TemplateStore: templates and quick connects live as
// long as the store does, so a router restarted over the same MemoryStore
// keeps them.
var _ TemplateStore = (*MemoryStore)(nil)

var (
	errMemNilTemplate     = errors.New("switchboard: memory store: nil task template")
	errMemNilQuickConnect = errors.New("switchboard: memory store: nil quick connect")
)

// PutTemplate stores a deep copy of t, replacing any template with its ID.
func (s *MemoryStore) PutTemplate(ctx context.Context, t *TaskTemplate) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if t == nil {
		return errMemNilTemplate
	}
	c := t.Clone()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.templates == nil {
		s.templates = make(map[string]*TaskTemplate)
	}
	s.templates[c.ID] = c
	return nil
}

// DeleteTemplate removes the template with id; a missing one is no error.
func (s *MemoryStore) DeleteTemplate(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.templates, id)
	return nil
}

// Templates returns deep copies of every template, sorted by ID.
func (s *MemoryStore) Templates(ctx context.Context) ([]*TaskTemplate, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return memSortedByID(s.templates, func(t *TaskTemplate) string { return t.ID }, (*TaskTemplate).Clone), nil
}

// PutQuickConnect stores a deep copy of q, replacing any quick connect with
// its ID.
func (s *MemoryStore) PutQuickConnect(ctx context.Context, q *QuickConnect) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if q == nil {
		return errMemNilQuickConnect
	}
	c := q.Clone()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.quickConnects == nil {
		s.quickConnects = make(map[string]*QuickConnect)
	}
	s.quickConnects[c.ID] = c
	return nil
}

// DeleteQuickConnect removes the quick connect with id; a missing one is no
// error.
func (s *MemoryStore) DeleteQuickConnect(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.quickConnects, id)
	return nil
}

// QuickConnects returns deep copies of every quick connect, sorted by ID.
func (s *MemoryStore) QuickConnects(ctx context.Context) ([]*QuickConnect, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return memSortedByID(s.quickConnects, func(q *QuickConnect) string { return q.ID }, (*QuickConnect).Clone), nil
}
