package switchboard

import (
	"context"
	"fmt"

	"github.com/switchboard-go/switchboard/internal/deadline"
)

// This file holds the router's side of a failed group commit (commit.go,
// docs/durability.md). When the store refuses a group, the router's indexes
// hold decisions the store does not: those of the failed group and of every
// change queued behind it. They are all discarded at once by reloading the
// router from the store, as NewRouter does, before any of the failed
// operations hears of its error. Nothing acknowledged is lost, because it is
// in the store; nothing failed stays visible, because it is in neither.

// reload is the pipeline's onFail. It runs in the flusher while nothing can
// be queued (the pipeline refuses changes until reset). If the store cannot
// be read either, every write keeps failing with the group's error and the
// reload is tried again every Config.RetryInterval; a router reloads at most
// once per RetryInterval, so a store that refuses what the reload itself
// decides cannot make it spin.
func (r *Router) reload(cause error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reloadCancel = nil
	if r.closed {
		return
	}
	now := r.clock.Now()
	wait := r.cfg.RetryInterval
	if since := now.Sub(r.reloadedAt); r.reloadedAt.IsZero() || since >= wait {
		r.logger.Error("switchboard: the store refused a group of changes; reloading the router from the store", "err", cause)
		ctx, cancel := context.WithTimeout(context.Background(), r.cfg.StoreTimeout)
		defer cancel()
		err := r.reloadLocked(ctx, cause)
		if err == nil {
			r.reloadedAt = now
			return
		}
		r.logger.Error("switchboard: reload from the store failed; retrying", "err", err, "retry", wait)
	} else {
		// The store refused again right after a reload: what the reload
		// decided may be what it refuses (a timer that is due at once).
		// Reload at most once per RetryInterval, as the direct path
		// retries refused timer work.
		wait -= since
		r.logger.Error("switchboard: the store refused a group of changes again; reloading after the retry interval", "err", cause, "retry", wait)
	}
	r.inflight.Add(1)
	stop := r.clock.AfterFunc(wait, func() {
		defer r.inflight.Done()
		r.reload(cause)
	})
	r.reloadCancel = func() {
		if stop() {
			r.inflight.Done()
		}
	}
}

// reloadLocked drops the router's state and rebuilds it from Store.Load, with
// the lock held. The event log continues from the store's LastEventSeq: the
// events of the failed changes were never published.
func (r *Router) reloadLocked(ctx context.Context, cause error) error {
	snap, err := r.loadContained(ctx)
	if err != nil {
		return err
	}
	r.disarm()
	r.emptyState()
	if err := r.rebuild(snap); err != nil {
		return err
	}
	r.op.flowStarts = r.op.flowStarts[:0] // their runners hold them already
	r.pending = ticket{}
	r.pipe.reset()
	r.emit(Event{Type: EventError, Err: fmt.Errorf("switchboard: the store refused a group of changes; the router reloaded its state from the store: %w", cause)})
	// The reload's own routing, as in NewRouter.
	r.fireDue(ctx)
	r.settle(ctx)
	r.arm()
	r.recycle()
	r.takeHandles()
	return nil
}

// emptyState gives the router empty indexes, timers and counters, as a
// rebuild from a snapshot expects them: NewRouter's start and every reload.
func (r *Router) emptyState() {
	r.queues = map[string]*queueEntry{}
	r.profiles = map[string]*profileEntry{}
	r.agents = map[string]*agentEntry{}
	r.tasks = map[string]*taskEntry{}
	r.unflushed = map[string]*Task{}
	r.lastTask = nil
	r.evAgent = nil
	r.openByState = stateCounts{}
	r.seq = 0
	r.tokens = map[string]tokenEntry{}
	r.tokenLog = nil
	r.timers = deadline.Heap[timerRef]{}
	r.retry = deadline.Item[timerRef]{}
	r.idx = newIndex(&r.cfg, r.selectAgent)
	clear(r.unstored)
	r.unstored = r.unstored[:0]
}

// loadContained calls Store.Load, turning a panic or a nil snapshot into a
// *StoreError: NewRouter and the flusher, which call it, must survive host
// code.
func (r *Router) loadContained(ctx context.Context) (*Snapshot, error) {
	snap, err := r.store.Load(ctx)
	switch {
	case err != nil:
		return nil, &StoreError{Op: "load", Err: err}
	case snap == nil:
		return nil, &StoreError{Op: "load", Err: errNilSnapshot}
	}
	return snap, nil
}
