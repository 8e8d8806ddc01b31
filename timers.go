package switchboard

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"
)

type timerKind uint8

const (
	timerExpiry   timerKind = iota // ExpiresAt
	timerStage                     // ScheduledAt, OfferExpiresAt or AfterContactWorkEnd
	timerLevel                     // the next lane level the task joins
	timerStep                      // the active routing step expires
	timerAge                       // the next priority-ageing step (ageing.go)
	timerCooldown                  // a re-offer cool-down ends (ageing.go)
	timerRetry                     // the router retries routing after a failed store write
)

// numTaskTimers is the number of timer kinds a task carries.
const numTaskTimers = int(timerRetry)

type timerRef struct {
	kind timerKind
	task *taskEntry
}

// schedule arms one of a task's timers. Deadlines that coincide fire in the
// order of timer kind (expiry, then schedule/offer/ACW, then queue delay,
// then routing step, then ageing step, then cool-down end) and then task
// Sequence: an order rebuilt exactly from
// the store after a restart.
func (r *Router) schedule(e *taskEntry, kind timerKind, at time.Time) {
	it := &e.timers[kind]
	it.Value = timerRef{kind: kind, task: e}
	r.timers.Schedule(it, at.UnixNano(), timerTie(kind, e.t.Sequence))
}

func timerTie(kind timerKind, seq uint64) uint64 { return uint64(kind)<<56 | seq&(1<<56-1) }

func (r *Router) cancel(e *taskEntry, kind timerKind) { r.timers.Cancel(&e.timers[kind]) }

// arm makes sure the clock calls back no later than the earliest deadline.
// A callback armed for an earlier instant is kept even if its deadline went
// away (an accepted offer cancels its timeout): the early wake-up finds
// nothing due and re-arms, which costs less than re-arming on every change.
func (r *Router) arm() {
	if r.closed {
		return
	}
	top := r.timers.Peek()
	if top == nil {
		return
	}
	if r.armedCancel != nil && r.armedAt <= top.At {
		return
	}
	r.disarm()
	r.armGen++
	gen := r.armGen
	r.armedAt = top.At
	r.inflight.Add(1)
	fire := func() { r.onTimer(gen) }
	if mc, ok := r.clock.(*ManualClock); ok {
		// At the instant: a duration computed from a reading can be made
		// stale by another goroutine's Advance before it is registered,
		// and the timer would fire late by as much as the clock moved. (A
		// type that embeds *ManualClock to wrap AfterFunc gets AfterFunc.)
		r.beforeRegister()
		r.armedCancel = mc.afterFuncAt(time.Unix(0, top.At), fire)
		return
	}
	d := time.Duration(top.At - r.clock.Now().UnixNano())
	r.beforeRegister()
	r.armedCancel = r.clock.AfterFunc(max(d, 0), fire)
}

// beforeRegister runs the test hook that stands for another goroutine
// acting between arm's decision and the timer's registration.
func (r *Router) beforeRegister() {
	if r.test.beforeRegister != nil {
		r.test.beforeRegister()
	}
}

func (r *Router) disarm() {
	if r.armedCancel != nil {
		if r.armedCancel() {
			r.inflight.Done()
		}
		r.armedCancel = nil
		r.armedAt = 0
	}
}

func (r *Router) onTimer(gen uint64) {
	defer r.inflight.Done()
	r.mu.Lock()
	if r.closed || gen != r.armGen {
		r.mu.Unlock()
		return
	}
	r.armedCancel = nil
	r.armedAt = 0
	// Timer work has no caller: Config.StoreTimeout bounds its store writes.
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.StoreTimeout)
	defer cancel()
	// On the group-commit path the callback returns once its work is
	// durable and published (a failed group is the reload's business): a
	// test's ManualClock.Advance returns with the router's timer work done,
	// as it does over a MemoryStore.
	var durable error
	defer r.unlock(ctx, &durable)
	defer r.recoverTimer()
	r.fireDue(ctx)
}

// recoverTimer contains a panic in the router's timer work (host code the
// router did not already contain, or a bug): with a system clock it would
// end the process from a goroutine no caller owns. It is logged, reported
// as router.error, and routing is retried after Config.RetryInterval.
func (r *Router) recoverTimer() {
	p := recover()
	if p == nil {
		return
	}
	r.logger.Error("switchboard: panic in timer work", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
	r.dropStaged()
	r.emit(Event{Type: EventError, Err: fmt.Errorf("switchboard: timer work panicked: %v", p)})
	r.scheduleRetry()
}

// fireDue handles every deadline at or before now, in deadline order, each
// followed by the routing it causes.
func (r *Router) fireDue(ctx context.Context) {
	now := r.clock.Now()
	for {
		it := r.timers.PopDue(now.UnixNano())
		if it == nil {
			return
		}
		e := it.Value.task
		if it.Value.kind == timerRetry {
			// Route as if every waiting task had just arrived, in creation
			// order, and then every agent had just freed up: the same
			// decisions the failed write interrupted.
			waiting := make([]*taskEntry, 0, len(r.tasks))
			for _, e := range r.tasks {
				if e.queued {
					waiting = append(waiting, e)
				}
			}
			sortTasks(waiting)
			for _, e := range waiting {
				r.markTask(e)
			}
			for _, a := range r.agents {
				r.markAgent(a)
			}
			r.settle(ctx)
			continue
		}
		if err := r.fire(ctx, e, it.Value.kind, now, time.Unix(0, it.At)); err != nil {
			r.failed("timer", e.t.ID, err)
			r.schedule(e, it.Value.kind, now.Add(r.cfg.RetryInterval))
		}
		r.settle(ctx)
	}
}

// fire handles one due timer of e whose deadline was at.
func (r *Router) fire(ctx context.Context, e *taskEntry, kind timerKind, now, at time.Time) error {
	t := e.t
	switch kind {
	case timerExpiry:
		return r.finish(ctx, e, StateExpired, DisconnectExpired, now, EventTaskExpired)
	case timerLevel:
		r.idx.joinLevel(e, e.lane.levels[e.levels])
		e.levels++
		if e.levels < len(e.lane.levels) {
			r.schedule(e, timerLevel, t.EnqueuedAt.Add(e.lane.levels[e.levels].delay))
		}
		r.markTask(e)
		return nil
	case timerStep:
		r.idx.leaveLevels(e)
		r.activateStep(e, at)
		r.idx.joinLevels(e)
		r.emit(r.taskEvent(EventTaskRoutingStep, t.State, t, now))
		r.markTask(e)
		return nil
	case timerAge:
		r.fireAgeing(e, now)
		return nil
	case timerCooldown:
		// The agent whose cool-down ended can take the task again: the task
		// looks for an agent at this instant.
		r.armCooldown(e, now)
		r.markTask(e)
		return nil
	}
	switch t.State {
	case StateScheduled:
		return r.enqueueScheduled(ctx, e, now)
	case StateOffered:
		return r.missOrReject(ctx, e, BlockedMissed, now)
	case StateAfterContactWork:
		return r.closeACW(ctx, e, now)
	}
	return nil
}
