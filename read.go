package switchboard

import (
	"context"
	"errors"
	"slices"
)

// This file holds the Router's read-only methods. Only Task takes a ctx: it
// is the one read that may wait on the Store (for a finished task). Every
// other read is answered from memory under the router lock and never blocks
// on I/O; list.go holds the listings.

// Task returns a copy of the task with id, open or finished. An open task
// is answered from memory; a finished one is read from the Store, which is
// why Task alone among the reads takes a ctx.
func (r *Router) Task(ctx context.Context, id string) (*Task, error) {
	if err := r.lock(ctx); err != nil {
		return nil, err
	}
	var t *Task
	if e := r.tasks[id]; e != nil {
		t = e.t.Clone()
	} else if u := r.unflushed[id]; u != nil {
		t = u.Clone() // finished; the store holds it once the wait below ends
	}
	if t != nil {
		var err error
		runlockCtx(ctx, r, &t, &err)
		return t, err
	}
	r.mu.Unlock()
	st, err := r.store.Task(ctx, id)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			nf := &NotFoundError{Kind: "task", ID: id}
			if se := (*NotFoundError)(nil); errors.As(err, &se) {
				nf.Reason = se.Reason // e.g. pruned by the memory store's retention
			}
			return nil, nf
		}
		return nil, &StoreError{Op: "get task", Err: err}
	}
	return st, nil // the store's copy is the caller's
}

// Agent returns a copy of the agent with id, runtime fields included. It is
// answered from memory and never waits on the Store.
func (r *Router) Agent(id string) (a *Agent, err error) {
	if err := r.rlock(); err != nil {
		return nil, err
	}
	defer runlock(r, &a, &err)
	e := r.agents[id]
	if e == nil {
		return nil, notFound("agent", id)
	}
	return r.agentView(e), nil
}

// AgentTasks returns copies of the tasks an agent holds (offered, connected,
// paused or in after-contact work), in Sequence order. It is answered from
// memory and never waits on the Store; O(h log h) for the h tasks held.
func (r *Router) AgentTasks(agentID string) (out []*Task, err error) {
	if err := r.rlock(); err != nil {
		return nil, err
	}
	defer runlock(r, &out, &err)
	a := r.agents[agentID]
	if a == nil {
		return nil, notFound("agent", agentID)
	}
	out = make([]*Task, 0, len(a.held))
	for e := range a.held {
		out = append(out, e.t.Clone())
	}
	slices.SortFunc(out, func(x, y *Task) int { return int(x.Sequence) - int(y.Sequence) })
	return out, nil
}

// QueuedTasks returns copies of the tasks waiting (state QUEUED) in a queue,
// in the order agents would take them when no delay or criteria apply. When
// id names no queue but an agent, it returns the tasks waiting in that
// agent's own agent queue, in the order the agent will be offered them (a
// queue and an agent with the same ID: the queue wins). It is answered from
// memory and never waits on the Store; it costs O(w log w) for the w waiting
// tasks, under the router lock.
func (r *Router) QueuedTasks(id string) (out []*Task, err error) {
	if err := r.rlock(); err != nil {
		return nil, err
	}
	defer runlock(r, &out, &err)
	var es []*taskEntry
	collect := func(k taskKey) bool { es = append(es, k.e); return true }
	if q := r.queues[id]; q != nil {
		for _, l := range q.lanes {
			if l == nil {
				continue
			}
			for _, cl := range l.levels[0].classes {
				cl.tree.Ascend(collect)
			}
		}
	} else if a := r.agents[id]; a != nil {
		// bestTask takes the smallest head over the agent's channel trees.
		for _, tree := range a.queue {
			if tree != nil {
				tree.Ascend(collect)
			}
		}
	} else {
		return nil, notFound("queue", id)
	}
	slices.SortFunc(es, func(a, b *taskEntry) int {
		if taskLess(a, b) {
			return -1
		}
		return 1
	})
	out = make([]*Task, len(es))
	for i, e := range es {
		out[i] = e.t.Clone()
	}
	return out, nil
}

// QueueOpen reports whether a queue is inside its hours of operation now
// (always true for a queue without hours). It is answered from memory and
// never waits on the Store.
func (r *Router) QueueOpen(queueID string) (bool, error) {
	if err := r.rlock(); err != nil {
		return false, err
	}
	defer r.mu.Unlock()
	q := r.queues[queueID]
	if q == nil {
		return false, notFound("queue", queueID)
	}
	if q.Hours == nil {
		return true, nil
	}
	return q.Hours.Open(r.clock.Now()), nil
}

// runlock ends a read (deferred after rlock): it releases the lock and, on
// the group-commit path, waits until the store holds every change the read
// may have seen (r.pending), so that no reader sees as done what is not yet
// acknowledged. If that group failed, the read returns its error and the
// zero result (the router has reloaded; a new read sees the store's state).
// The wait is bounded by Config.StoreTimeout, which bounds every flush.
func runlock[T any](r *Router, res *T, err *error) {
	runlockCtx(context.Background(), r, res, err)
}

func runlockCtx[T any](ctx context.Context, r *Router, res *T, err *error) {
	tk := r.pending
	r.mu.Unlock()
	if r.pipe == nil || tk.g == nil || *err != nil {
		return
	}
	if werr := tk.wait(ctx); werr != nil {
		var zero T
		*res, *err = zero, werr
	}
}

// Stats is a point-in-time count of the router's state.
type Stats struct {
	TasksByState   map[TaskState]int
	QueuedByQueue  map[string]int // QUEUED or OFFERED, per standard queue
	AgentsByStatus map[AgentStatus]int
	AgentsBlocked  int
	PendingTimers  int
	Events         uint64 // events emitted so far
}

// Stats returns counts of open tasks by state, waiting tasks by queue and
// agents by status. It never waits on the Store: with a group-commit store
// it counts every change decided, including those still being committed,
// and between a group that failed and the reload that recovers from it
// (retried every Config.RetryInterval while the store cannot be read) it
// returns that group's *StoreError instead of counts it cannot vouch for.
func (r *Router) Stats() (Stats, error) {
	if err := r.rlock(); err != nil {
		return Stats{}, err
	}
	defer r.mu.Unlock()
	if r.pipe != nil {
		// After a failed group and until a reload succeeds, the router's
		// state is either the failed decisions or, if the reload failed,
		// empty: neither is worth counting.
		if err := r.pipe.failure(); err != nil {
			return Stats{}, &StoreError{Op: "stats: the router is reloading from the store after a failed group", Err: err}
		}
	}
	s := Stats{
		TasksByState:   map[TaskState]int{},
		QueuedByQueue:  map[string]int{},
		AgentsByStatus: map[AgentStatus]int{},
		PendingTimers:  r.timers.Len(),
		Events:         r.eventSeq,
	}
	r.openByState.each(func(st TaskState, n int) {
		if n > 0 {
			s.TasksByState[st] = n
		}
	})
	for id, q := range r.queues {
		s.QueuedByQueue[id] = q.waiting
	}
	for _, a := range r.agents {
		s.AgentsByStatus[a.Status]++
		if a.Blocked != NotBlocked {
			s.AgentsBlocked++
		}
	}
	return s, nil
}
