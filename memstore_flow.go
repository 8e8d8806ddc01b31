package switchboard

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
)

// MemoryStore implements FlowStore: runs live as long as the store does, so
// a router and flow runner restarted over the same MemoryStore resume them.
var _ FlowStore = (*MemoryStore)(nil)

var errMemNilFlowRun = errors.New("switchboard: memory store: nil flow run")

// memFlowRuns holds a MemoryStore's flow runs, apart from its task
// records: flow positions change often and never take part in a Write.
type memFlowRuns struct {
	mu   sync.Mutex
	runs map[string]*FlowRun
}

// flowRuns returns the runs of s, locked; the caller unlocks m.mu.
func (s *MemoryStore) flowRuns() *memFlowRuns {
	m := &s.flows
	m.mu.Lock()
	if m.runs == nil {
		m.runs = map[string]*FlowRun{}
	}
	return m
}

// PutFlowRun stores a deep copy of run, replacing the run of its task.
func (s *MemoryStore) PutFlowRun(ctx context.Context, run *FlowRun) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if run == nil {
		return errMemNilFlowRun
	}
	m := s.flowRuns()
	defer m.mu.Unlock()
	m.runs[run.TaskID] = run.Clone()
	return nil
}

// DeleteFlowRun removes the run of the task taskID; a missing one is no
// error.
func (s *MemoryStore) DeleteFlowRun(ctx context.Context, taskID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m := s.flowRuns()
	defer m.mu.Unlock()
	delete(m.runs, taskID)
	return nil
}

// FlowRuns returns deep copies of every run, sorted by task ID.
func (s *MemoryStore) FlowRuns(ctx context.Context) ([]*FlowRun, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m := s.flowRuns()
	defer m.mu.Unlock()
	out := make([]*FlowRun, 0, len(m.runs))
	for _, run := range m.runs {
		out = append(out, run.Clone())
	}
	slices.SortFunc(out, func(a, b *FlowRun) int { return cmp.Compare(a.TaskID, b.TaskID) })
	return out, nil
}
