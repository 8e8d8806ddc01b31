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

// eventConsumer is a Consumer that takes a run of events at once, by
// pointer, sparing a copy of the Event (400 bytes) per event and a lock per
// event: the package's own consumers implement it. consumeEvents applies
// es[*at:] in order, advancing *at past each event it has applied, so that
// when one panics *at is the index of that event. The events are good only
// for the call.
type eventConsumer interface {
	consumeEvents(es []Event, at *int)
}

// feed delivers events to one Consumer on a goroutine of its own, through a
// queue of fixed-size chunks with one writer (the router, which publishes
// one batch at a time, in Seq order) and one reader (the goroutine). The
// writer copies each event into the tail chunk and publishes how many it
// holds with one atomic store; the reader takes what is published, with no
// lock on either side. Nothing is ever moved once written (a queue that
// grows while the consumer is behind adds chunks, it is never copied), and
// the chunks the reader finishes go back to the writer.
type feed struct {
	// The writer's side, touched by push only. Each side has cache lines
	// of its own: a line one core writes while the other reads it would
	// travel between them at every event.
	_      [cacheLine]byte
	tail   *feedChunk
	w      int    // events written in tail
	pushed uint64 // events appended (pending reads it once pushing is over)
	_      [cacheLine]byte

	// The reader's side, touched by run only.
	head  *feedChunk
	r     int           // events taken from head
	at    int           // the event being delivered, in the run deliver has
	taken atomic.Uint64 // events the consumer has finished, counted after each run of them
	_     [cacheLine]byte

	// Set when the feed is made.
	c      Consumer
	ec     eventConsumer // c, when it takes events by pointer
	index  int
	logger *slog.Logger
	kick   *time.Timer   // the delayed wake-up, reused
	wake   chan struct{} // one pending wake-up
	done   chan struct{} // closed when the goroutine has delivered everything after close

	// Written about once a millisecond.
	sleeping atomic.Bool // the goroutine waits, or is about to, for a wake-up
	kicking  atomic.Bool // the delayed wake-up is armed
	closing  atomic.Bool

	freeMu    sync.Mutex
	free      []*feedChunk // finished chunks, for the writer to reuse
	allocated int          // chunks made, the first included (under freeMu)
}

// cacheLine is a size that keeps apart what two cores write: two 64-byte
// lines, as some processors fetch lines in pairs.
const cacheLine = 128

// feedChunkLen is the number of events in one chunk of a feed's queue
// (about 25 kB), and feedFreeChunks how many finished chunks a feed keeps
// for reuse (about 3 MB): twice the feedWakeBatch events that may wait for
// a sleeping consumer, so that a consumer that keeps up, even one a busy
// machine holds back now and then, makes the router allocate nothing. (The
// two slices the queue used to be kept the capacity of the longest
// backlog ever, twice.)
const (
	feedChunkLen   = 64
	feedFreeChunks = 2 * feedWakeBatch / feedChunkLen
)

type feedChunk struct {
	n      atomic.Int64              // events written and published
	next   atomic.Pointer[feedChunk] // linked by the writer once this one is full
	_      [cacheLine]byte
	events [feedChunkLen]Event
}

func newFeed(c Consumer, index int, logger *slog.Logger) *feed {
	f := &feed{c: c, index: index, logger: logger, wake: make(chan struct{}, 1), done: make(chan struct{})}
	f.ec, _ = c.(eventConsumer)
	f.tail, f.allocated = new(feedChunk), 1
	f.head = f.tail
	f.kick = time.AfterFunc(time.Hour, f.wakeUp)
	f.kick.Stop()
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

// push appends a batch of events. It never blocks on the consumer: a copy
// of each event, one atomic store per chunk touched, and now and then a
// wake-up (see feedWakeDelay). Only one goroutine pushes at a time.
func (f *feed) push(es []Event) {
	if len(es) == 0 {
		return
	}
	n := uint64(len(es))
	for len(es) > 0 {
		c := f.tail
		if f.w == feedChunkLen {
			next := f.chunk()
			c.next.Store(next)
			f.tail, f.w, c = next, 0, next
		}
		k := copy(c.events[f.w:], es)
		f.w += k
		es = es[k:]
		c.n.Store(int64(f.w))
	}
	f.pushed += n
	pushed := f.pushed
	// The store of c.n above and the load of sleeping here pair with run's
	// store of sleeping and its load of the chunk's n: either the goroutine
	// sees the new events, or this sees it sleeping.
	if f.sleeping.Load() {
		if pushed-f.taken.Load() >= feedWakeBatch {
			if f.sleeping.CompareAndSwap(true, false) {
				f.signal()
			}
		} else if !f.kicking.Load() && f.kicking.CompareAndSwap(false, true) {
			f.kick.Reset(feedWakeDelay)
		}
	}
}

// chunk returns an empty chunk for the writer: a finished one if any.
func (f *feed) chunk() *feedChunk {
	f.freeMu.Lock()
	var c *feedChunk
	if n := len(f.free); n > 0 {
		c, f.free = f.free[n-1], f.free[:n-1]
	}
	if c == nil {
		f.allocated++
	}
	f.freeMu.Unlock()
	if c == nil {
		return new(feedChunk)
	}
	c.n.Store(0)
	c.next.Store(nil)
	return c
}

// recycle gives a finished chunk back to the writer. Its events are not
// cleared (the writer overwrites them): a feed keeps at most
// feedFreeChunks × feedChunkLen old events alive,
// about as many as may wait for a sleeping consumer.
func (f *feed) recycle(c *feedChunk) {
	f.freeMu.Lock()
	defer f.freeMu.Unlock()
	if len(f.free) < feedFreeChunks {
		f.free = append(f.free, c)
	}
}

// wakeUp is the delayed wake-up.
func (f *feed) wakeUp() {
	f.kicking.Store(false)
	if f.sleeping.CompareAndSwap(true, false) {
		f.signal()
	}
}

func (f *feed) signal() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// close asks the goroutine to stop once the queue is empty. Nothing is
// pushed after it.
func (f *feed) close() {
	f.closing.Store(true)
	f.kick.Stop()
	f.sleeping.Store(false)
	f.signal()
}

// pending reports how many events the consumer has not finished (a run
// of events being delivered counts as not finished until its end). It is
// called once the router has stopped pushing (Close, after the router's
// lock saw the last push).
func (f *feed) pending() uint64 {
	return f.pushed - f.taken.Load()
}

// more reports whether the writer has published events the goroutine has
// not taken.
func (f *feed) more() bool {
	return int(f.head.n.Load()) > f.r || (f.r == feedChunkLen && f.head.next.Load() != nil)
}

func (f *feed) run() {
	defer close(f.done)
	for {
		c := f.head
		if n := int(c.n.Load()); f.r < n {
			for es := c.events[f.r:n]; len(es) > 0; {
				es = es[f.deliver(es):]
			}
			f.r = n
			continue
		}
		if f.r == feedChunkLen {
			if next := c.next.Load(); next != nil {
				f.head, f.r = next, 0
				f.recycle(c)
				continue
			}
		}
		// Nothing to take. Close comes after the last push, so once it is
		// seen the queue is known to be empty for good.
		if f.closing.Load() && !f.more() {
			return
		}
		f.sleeping.Store(true)
		if f.more() || f.closing.Load() {
			f.sleeping.Store(false)
			continue
		}
		<-f.wake
		f.sleeping.Store(false)
	}
}

// deliver gives the events of es to the consumer in order until one
// panics, and returns how many it finished, the one that panicked included:
// a panic is logged, and the caller goes on with the events after it. The
// events finished are counted taken once, not one by one.
func (f *feed) deliver(es []Event) (done int) {
	f.at = 0
	defer func() {
		done = f.at
		if p := recover(); p != nil {
			e := &es[done]
			f.logger.Error("switchboard: event consumer panicked", "consumer", f.index, "seq", e.Seq, "type", string(e.Type), "panic", fmt.Sprint(p))
			done++
		}
		f.taken.Add(uint64(done))
	}()
	if f.ec != nil {
		f.ec.consumeEvents(es, &f.at)
		return
	}
	for ; f.at < len(es); f.at++ {
		f.c.Consume(es[f.at])
	}
	return
}
