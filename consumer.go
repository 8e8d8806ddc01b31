package switchboard

import (
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Consumer receives every event of a router exactly once, in Seq order: the
// lossless path out of the router, for what must not miss anything (metrics,
// contact records, rules reacting to router events, a host's outbox).
//
// Consumers are attached with Config.Consumers, before NewRouter rebuilds
// from the store, so they also see the events of the rebuild (timers that
// fell due while no router ran, the offers that follow). Each consumer runs
// on a goroutine of its own, which the router owns: Consume is never called
// with the router's lock held, so it may call the router. The router never
// waits on a consumer: publishing appends the event to the consumer's queue
// (a constant amount of work), and the queue grows as long as the consumer is
// behind. An idle consumer is woken at most once a millisecond, so an event
// reaches it within about a millisecond of being published (at once when
// many wait). A consumer is never cut off; one that panics is logged through
// Config.Logger and goes on with the next event. Router.Close waits, until
// its ctx ends, for every consumer to take every event.
type Consumer interface {
	Consume(e Event)
}

// ConsumerFunc adapts a function to a Consumer.
type ConsumerFunc func(e Event)

// Consume calls f(e).
func (f ConsumerFunc) Consume(e Event) { f(e) }

// EventFilter selects events. Every set field must match; the zero filter
// matches every event.
type EventFilter struct {
	Types   []EventType // any of these types; empty: any type
	TaskID  string      // events of this task
	AgentID string      // events naming this agent
	QueueID string      // events naming this queue
}

// Match reports whether e passes the filter.
func (f *EventFilter) Match(e *Event) bool {
	if f == nil {
		return true
	}
	if len(f.Types) > 0 && !slices.Contains(f.Types, e.Type) {
		return false
	}
	return (f.TaskID == "" || f.TaskID == e.TaskID) &&
		(f.AgentID == "" || f.AgentID == e.AgentID) &&
		(f.QueueID == "" || f.QueueID == e.QueueID)
}

// Filtered returns a Consumer that passes to c only the events f matches.
// The filter runs on the consumer's goroutine, not the router's.
func Filtered(f EventFilter, c Consumer) Consumer {
	return ConsumerFunc(func(e Event) {
		if f.Match(&e) {
			c.Consume(e)
		}
	})
}

// feed delivers events to one Consumer on a goroutine of its own. The router
// appends under the feed's own short lock; the goroutine takes the whole
// queue at once and delivers it outside the lock, so the two sides meet once
// per batch, not once per event.
type feed struct {
	c      Consumer
	index  int
	logger *slog.Logger

	mu       sync.Mutex
	queue    []Event
	closing  bool
	sleeping bool          // the goroutine waits for a wake-up
	kicking  bool          // a delayed wake-up is armed
	kick     *time.Timer   // the delayed wake-up, reused
	pushed   uint64        // events appended
	taken    atomic.Uint64 // events the consumer has finished

	wake chan struct{} // one pending wake-up
	done chan struct{} // closed when the goroutine has delivered everything after close
}

func newFeed(c Consumer, index int, logger *slog.Logger) *feed {
	f := &feed{c: c, index: index, logger: logger, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go f.run()
	return f
}

// Waking a sleeping consumer costs the router a thread wake-up, which on a
// virtual machine can cost more than routing a task. So a sleeping
// consumer is woken at once only when feedWakeBatch events wait; otherwise
// a timer wakes it feedWakeDelay after the first event it missed. Events
// therefore reach a consumer at most about a millisecond late, and the
// router pays for at most one wake-up per millisecond per consumer.
const (
	feedWakeBatch = 4096
	feedWakeDelay = time.Millisecond
)

// push appends a batch of events. It never blocks on the consumer: a lock,
// an append, and now and then a wake-up (see feedWakeDelay).
func (f *feed) push(es []Event) {
	f.mu.Lock()
	f.queue = append(f.queue, es...)
	f.pushed += uint64(len(es))
	wake, arm := false, false
	if f.sleeping {
		if len(f.queue) >= feedWakeBatch {
			wake, f.sleeping = true, false
		} else if !f.kicking {
			arm, f.kicking = true, true
		}
	}
	if arm {
		if f.kick == nil {
			f.kick = time.AfterFunc(feedWakeDelay, f.wakeUp)
		} else {
			f.kick.Reset(feedWakeDelay)
		}
	}
	f.mu.Unlock()
	if wake {
		f.signal()
	}
}

// wakeUp is the delayed wake-up.
func (f *feed) wakeUp() {
	f.mu.Lock()
	f.kicking = false
	wake := f.sleeping
	f.sleeping = false
	f.mu.Unlock()
	if wake {
		f.signal()
	}
}

func (f *feed) signal() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// close asks the goroutine to stop once the queue is empty.
func (f *feed) close() {
	f.mu.Lock()
	f.closing = true
	f.sleeping = false
	if f.kick != nil {
		f.kick.Stop()
	}
	f.mu.Unlock()
	f.signal()
}

// pending reports how many events the consumer has not finished.
func (f *feed) pending() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pushed - f.taken.Load()
}

func (f *feed) run() {
	defer close(f.done)
	var batch []Event
	for {
		f.mu.Lock()
		if len(f.queue) == 0 {
			closing := f.closing
			f.sleeping = !closing
			f.mu.Unlock()
			if closing {
				return
			}
			<-f.wake
			continue
		}
		batch, f.queue = f.queue, batch[:0]
		f.mu.Unlock()
		for i := range batch {
			f.deliver(batch[i])
			batch[i] = Event{}
			f.taken.Add(1)
		}
	}
}

// deliver calls the consumer, containing a panic so that one bad event does
// not stop the events after it.
func (f *feed) deliver(e Event) {
	defer func() {
		if p := recover(); p != nil {
			f.logger.Error("switchboard: event consumer panicked", "consumer", f.index, "seq", e.Seq, "type", string(e.Type), "panic", fmt.Sprint(p))
		}
	}()
	f.c.Consume(e)
}
