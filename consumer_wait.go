package switchboard

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// WaitConsumers waits until every Config.Consumer has taken every event
// published before the call (on a group-commit store, also the events of the
// changes queued before it, once they are durable). Consumers run on their
// own goroutines, about a millisecond behind the router, so a test, a report
// or a request handler that reads metrics, contact records or search right
// after the operations it made calls WaitConsumers first:
//
//	r.Complete(ctx, id)
//	if err := r.WaitConsumers(ctx); err != nil { ... }
//	res, err := hist.Query(q) // counts the task just completed
//
// It returns nil at once when there are no consumers, ErrClosed after Close,
// and, if ctx ends first, ctx's error naming the consumers still behind. A
// Consumer must not call it: it would wait for itself.
func (r *Router) WaitConsumers(ctx context.Context) error {
	if err := r.rlock(); err != nil {
		return err
	}
	tk, l := r.pending, r.evlog
	r.mu.Unlock()
	if l == nil {
		return nil
	}
	if r.pipe != nil && tk.g != nil {
		// A group that failed published nothing; what was published before
		// it is still waited for.
		if err := tk.wait(ctx); err != nil && ctx.Err() != nil {
			return err
		}
	}
	r.mu.Lock()
	target := l.pushed
	r.mu.Unlock()
	return l.waitTaken(ctx, target)
}

// closeDrainRounds bounds how many times Close lets the consumers catch up
// before it closes the router: each round waits for the events the last one's
// consumers caused (a rule's follow-up task, say), so a chain of reactions
// that never settles, or callers that keep the router busy, cannot hold Close.
const closeDrainRounds = 8

// CloseDrainTimeout bounds how long Router.Close lets the consumers catch up
// while the router still accepts calls, before it closes and waits for
// them (until its ctx ends) with the router closed.
const CloseDrainTimeout = 5 * time.Second

// drainConsumers is the first step of Close: while the router still accepts
// calls, it waits until the consumers have taken every event, so that what
// they do in reaction to the last events (a RuleEngine creating a follow-up
// task) reaches the router instead of ErrClosed. It stops when a round
// published nothing new, after closeDrainRounds rounds, or when ctx ends
// or after CloseDrainTimeout (Close then waits, and reports the consumers
// still behind).
func (r *Router) drainConsumers(ctx context.Context) {
	limit := CloseDrainTimeout
	if r.test.drainTimeout > 0 {
		limit = r.test.drainTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var last uint64
	for round := range closeDrainRounds {
		r.mu.Lock()
		closed, l := r.closed, r.evlog
		var n uint64
		if l != nil {
			n = l.pushed
		}
		r.mu.Unlock()
		if closed || l == nil || (round > 0 && n == last && r.idle()) {
			return
		}
		if err := r.WaitConsumers(ctx); err != nil {
			return
		}
		last = n
	}
}

// idle reports whether no change waits to be written (always true on the
// direct path).
func (r *Router) idle() bool {
	if r.pipe == nil {
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pending.g == nil || r.pending.done()
}

// waitTaken waits until every feed has taken target events, waking
// sleeping feeds rather than leaving them to the delayed wake-up.
func (l *eventLog) waitTaken(ctx context.Context, target uint64) error {
	if l == nil {
		return nil
	}
	pause := 20 * time.Microsecond
	var timer *time.Timer
	for {
		behind := false
		for _, f := range l.feeds {
			if f.taken.Load() < target {
				behind = true
				break
			}
		}
		if !behind {
			return nil
		}
		l.wakeUp()
		if timer == nil {
			timer = time.NewTimer(pause)
			defer timer.Stop()
		} else {
			timer.Reset(pause)
		}
		select {
		case <-ctx.Done():
			var names []string
			for _, f := range l.feeds {
				if taken := f.taken.Load(); taken < target {
					names = append(names, fmt.Sprintf("consumer %d (%d events to take)", f.index, target-taken))
				}
			}
			if len(names) == 0 {
				return nil
			}
			return fmt.Errorf("switchboard: wait for consumers: %s: %w", strings.Join(names, ", "), ctx.Err())
		case <-timer.C:
		}
		pause = min(2*pause, time.Millisecond)
	}
}
