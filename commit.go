package switchboard

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// This file holds the group-commit pipeline (docs/durability.md): the write
// path for stores on a real database, where a round trip costs far more than
// a routing decision. Decisions are made and sequenced under the router's
// lock and their changes appended to the open group; one flusher writes each
// group with GroupWriter.WriteGroup, in one transaction, while the next group
// fills; an operation is acknowledged once its group is durable. The router's
// side: writeChange queues instead of writing (Router.queueChange), unlock
// waits for the operation's ticket after releasing the lock (finishOp),
// events are published once their group is durable (Router.durable), and a
// failed group makes the router reload from Load (recover.go).

// GroupWriter is the optional Store capability of the group-commit pipeline:
// a store that can apply several changes in one transaction. A Store that
// implements it is found by type assertion, as database/sql/driver finds
// optional interfaces; storetest checks it.
type GroupWriter interface {
	// WriteGroup applies the changes in order, atomically: all of them or
	// none. The Version rules of Store.Write hold across the group as if it
	// were one change listing every record in order, so a task may appear in
	// several changes of one group, each entry one version after the last.
	// Ownership follows Write: the changes are valid only during the call.
	WriteGroup(ctx context.Context, changes []*Change) error
}

// errPipelineClosed fails the tickets still waiting when the pipeline
// closes.
var errPipelineClosed = errors.New("switchboard: commit pipeline closed before the change was written")

// pipeline is the group-commit pipeline over one GroupWriter. enqueue is
// called with the router's lock held, in decision order; wait is called
// without it. It is safe for concurrent use.
type pipeline struct {
	w GroupWriter
	// ctx returns the context of one flush and its cancel function (the
	// router bounds it by Config.StoreTimeout).
	ctx func() (context.Context, context.CancelFunc)
	// durable is called by the flusher, in group order, with the changes of
	// each group once it is written, before any of the group's tickets is
	// released: the router publishes their events there.
	durable func([]*Change)
	// onFail is called by the flusher after a group failed, before its
	// tickets (and those of the group behind it) are released: the router
	// rebuilds its state from the store there and calls reset, so that a
	// caller who has its error finds the router as the store holds it.
	onFail func(error)

	mu      sync.Mutex
	open    *group // filling; nil when empty
	failed  error  // the flush failure every later enqueue reports, until reset
	closed  bool
	kick    chan struct{} // signals the flusher that open is not empty
	ready   chan struct{} // signals the flusher that open has its expected waiters
	stopped chan struct{} // closed when the flusher ends

	// Gathering (see gather), under mu: the callers expected on the open
	// group (those the last write released plus those already waiting when
	// it ended), and how long that write took in wall time.
	expect    int
	lastWrite time.Duration
	// holdFor is how long gather may hold a group after a write that took
	// the given time (gatherHold; tests stretch it).
	holdFor func(lastWrite time.Duration) time.Duration
}

// gatherHold is how long the flusher holds an open group for the callers it
// expects back (see gather): a fifth of the last write, at most a
// millisecond.
func gatherHold(lastWrite time.Duration) time.Duration { return min(lastWrite/5, time.Millisecond) }

// group is the changes one WriteGroup call writes, and the ticket of every
// operation that put a change in it.
type group struct {
	changes []*Change
	done    chan struct{} // closed once err is set
	err     error
	waiters int // callers that waited on the group (under the pipeline's mu)
}

// ticket is an operation's claim on its group: wait returns once the group
// is durable or has failed.
type ticket struct {
	p *pipeline
	g *group
}

func newPipeline(w GroupWriter, ctx func() (context.Context, context.CancelFunc), durable func([]*Change), onFail func(error)) *pipeline {
	p := &pipeline{w: w, ctx: ctx, durable: durable, onFail: onFail, kick: make(chan struct{}, 1),
		ready: make(chan struct{}, 1), stopped: make(chan struct{}), holdFor: gatherHold}
	go p.flush()
	return p
}

// enqueue appends a copy of c to the open group and returns the ticket to
// wait on. After a failed flush, and until reset, it returns the failure
// instead: decisions made on top of a change that did not commit must not
// commit either.
func (p *pipeline) enqueue(c *Change) (ticket, *Change, error) {
	cp := c.clone()
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.closed:
		return ticket{}, nil, errPipelineClosed
	case p.failed != nil:
		return ticket{}, nil, p.failed
	}
	if p.open == nil {
		p.open = &group{done: make(chan struct{})}
		select {
		case p.kick <- struct{}{}:
		default:
		}
	}
	p.open.changes = append(p.open.changes, cp)
	return ticket{p, p.open}, cp, nil
}

// wait returns nil once the ticket's group is durable, its error if the
// group failed, or ctx's error if ctx ends first (the change may then still
// commit: its outcome is unknown, as with any commit that timed out).
func (t ticket) wait(ctx context.Context) error {
	p := t.p
	p.mu.Lock()
	t.g.waiters++
	if t.g == p.open && t.g.waiters >= p.expect {
		signal(p.ready)
	}
	p.mu.Unlock()
	select {
	case <-t.g.done:
		return t.g.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// done reports whether t's group has been written or has failed.
func (t ticket) done() bool {
	select {
	case <-t.g.done:
		return true
	default:
		return false
	}
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// flush is the flusher goroutine: it writes the open group whenever there is
// one, so the changes made during one write form the next group.
func (p *pipeline) flush() {
	defer close(p.stopped)
	gathering := time.NewTimer(time.Hour)
	gathering.Stop()
	for range p.kick {
		p.gather(gathering)
		p.mu.Lock()
		g := p.open
		p.open = nil
		closed := p.closed
		p.mu.Unlock()
		if g == nil {
			if closed {
				return
			}
			continue
		}
		took := stopwatch()
		g.err = p.write(g.changes)
		p.mu.Lock()
		p.expect, p.lastWrite = g.waiters, took()
		if p.open != nil {
			p.expect += p.open.waiters
		}
		p.mu.Unlock()
		if g.err == nil {
			if p.durable != nil {
				p.durable(g.changes)
			}
			close(g.done)
			continue
		}
		p.mu.Lock()
		p.failed = g.err
		// The open group was decided on top of this one: it fails too.
		next := p.open
		p.open = nil
		p.mu.Unlock()
		if p.onFail != nil {
			p.onFail(g.err)
		}
		if next != nil {
			next.err = g.err
			close(next.done)
		}
		close(g.done)
	}
}

// gather holds the open group until as many callers wait on it as there
// were callers when the last write ended (those it released and those
// already waiting on the open group), or for at most gatherHold of that
// write. The callers a write releases come back at once with their next
// changes; a group taken as soon as the first of them arrives carries one
// change, and the others wait a whole write behind it: busy groups
// alternate between one change and all the others, or split the callers
// into two cohorts that never meet, and each halves throughput. A lone
// caller is expected alone and is not held at all: its own wait is the
// signal.
func (p *pipeline) gather(timer *time.Timer) {
	// A signal from an earlier group is stale. It is dropped before the
	// check below, not after: a waiter that signals in between is then
	// either counted by the check or found in ready, never lost.
	select {
	case <-p.ready:
	default:
	}
	p.mu.Lock()
	hold := p.holdFor(p.lastWrite)
	if p.closed || p.open == nil || p.open.waiters >= p.expect || hold <= 0 {
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	timer.Reset(hold)
	defer timer.Stop()
	for {
		select {
		case <-p.ready:
		case <-timer.C:
			return
		}
		p.mu.Lock()
		done := p.closed || p.open == nil || p.open.waiters >= p.expect
		p.mu.Unlock()
		if done {
			return
		}
	}
}

// write calls WriteGroup, turning a panic into an error that matches
// ErrStorePanicked.
func (p *pipeline) write(changes []*Change) (err error) {
	op := fmt.Sprintf("write group of %d changes", len(changes))
	defer func() {
		if r := recover(); r != nil {
			err = &StoreError{Op: op, Err: fmt.Errorf("%w: %v", ErrStorePanicked, r)}
		}
	}()
	ctx, cancel := p.ctx()
	defer cancel()
	if err := p.w.WriteGroup(ctx, changes); err != nil {
		return &StoreError{Op: op, Err: err}
	}
	return nil
}

// failure returns the flush failure the router has not yet recovered from
// by a reload, or nil.
func (p *pipeline) failure() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.failed
}

// reset clears a flush failure, once the router has rebuilt its state from
// the store, so that new changes are accepted again.
func (p *pipeline) reset() {
	p.mu.Lock()
	p.failed = nil
	p.mu.Unlock()
}

// close writes what is queued, stops the flusher and waits for it. Changes
// enqueued afterwards fail.
func (p *pipeline) close() {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.kick)
		signal(p.ready)
	}
	p.mu.Unlock()
	<-p.stopped
	// A group opened between the last flush and close: fail it.
	p.mu.Lock()
	if g := p.open; g != nil {
		p.open = nil
		g.err = errPipelineClosed
		close(g.done)
	}
	p.mu.Unlock()
}

// clone returns a copy of c that the pipeline may keep after the router
// reuses c: new slices, and copies of the records (a shallow copy of each
// record is enough, as the router never modifies their maps and slices in
// place; see Store).
func (c *Change) clone() *Change {
	return &Change{
		Tasks:          cloneRecords(c.Tasks),
		Agents:         cloneRecords(c.Agents),
		Queues:         cloneRecords(c.Queues),
		Profiles:       cloneRecords(c.Profiles),
		DeleteAgents:   slices.Clone(c.DeleteAgents),
		DeleteQueues:   slices.Clone(c.DeleteQueues),
		DeleteProfiles: slices.Clone(c.DeleteProfiles),
		Events:         slices.Clone(c.Events),
	}
}

func cloneRecords[T any](xs []*T) []*T {
	if len(xs) == 0 {
		return nil
	}
	vals := make([]T, len(xs))
	out := make([]*T, len(xs))
	for i, x := range xs {
		if x == nil {
			continue // the store reports it
		}
		vals[i] = *x
		out[i] = &vals[i]
	}
	return out
}
