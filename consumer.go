package switchboard

import (
	"context"
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
// waits on a consumer: publishing appends the event once to a log all the
// consumers read, each at its own pace (a constant amount of work per event,
// whatever the number of consumers), and the log grows as long as the slowest
// consumer is behind. An idle consumer is woken at most once a millisecond,
// so an event reaches it within about a millisecond of being published (at
// once when many wait). A consumer is never cut off; one that panics is
// logged through Config.Logger and goes on with the next event.
// Router.WaitConsumers waits until the consumers have caught up (read
// metrics or records after it); Router.Close first lets them catch up while
// the router still accepts their calls, then waits, until its ctx ends, for
// every consumer to take every event. A consumer must not call either: it
// would wait for itself.
//
// On a group-commit store, a group whose write failed but was in fact
// committed (a timeout on the acknowledgement) is not published: the router
// reloads from the store and continues after the store's last Seq, so a
// consumer sees a gap in Seq exactly there. The store holds those events: a
// host that must not miss one reads them from the store (pgstore's outbox
// has every committed event).
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

// eventLog is the one queue between the router and all its consumers: an
// append-only list of fixed-size chunks with one writer (the router, which
// publishes one batch at a time, in Seq order) and one reader per consumer
// (a feed, on a goroutine of its own, with its own cursor). The writer
// copies each event once, whatever the number of consumers, into the tail
// chunk and publishes how many it holds with one atomic store; each reader
// takes what is published, with no lock on either side. Nothing is ever
// moved once written: a log that grows while a consumer is behind adds
// chunks, and a chunk goes back to the writer for reuse only once the last
// reader has passed it, so the slowest consumer holds what it has yet to
// read and nothing more.
//
// One copy instead of one per consumer matters beyond the copy itself:
// every cache line the writer fills has to travel to the cores that read
// it, and a chunk it reuses has to come back. With one log each line is
// written once, whatever the number of consumers, and consumers running on
// the same core read it from that core's cache.
type eventLog struct {
	// The writer's side, touched by push only. Each side has cache lines
	// of its own: a line one core writes while another reads it would
	// travel between them at every event.
	_      [cacheLine]byte
	tail   *logChunk
	w      int    // events written in tail
	pushed uint64 // events appended (pending reads it once pushing is over)
	_      [cacheLine]byte

	// Set when the log is made.
	feeds []*feed     // one per consumer, in Config.Consumers order
	kick  *time.Timer // the delayed wake-up of sleeping readers, reused
	left  int32       // a new chunk's count of readers yet to pass it

	// Written about once a millisecond.
	kicking atomic.Bool // the delayed wake-up is armed
	closing atomic.Bool // nothing more will be pushed
	_       [cacheLine]byte

	// Touched once per chunk, by the writer and by the last reader to pass
	// it.
	freeMu    sync.Mutex
	free      []*logChunk // chunks every reader has passed, for the writer to reuse
	allocated int         // chunks made, the first included (under freeMu)
}

// feed is one consumer's reader of the event log: its cursor, and the
// goroutine that delivers what the log holds past it.
type feed struct {
	// Touched by the feed's goroutine only, but for taken, which the
	// writer reads when the feed sleeps and Close reads at the end.
	_     [cacheLine]byte
	head  *logChunk
	r     int           // events taken from head
	at    int           // the event being delivered, in the run deliver has
	taken atomic.Uint64 // events the consumer has finished, counted after each run of them
	_     [cacheLine]byte

	// Set when the feed is made.
	log    *eventLog
	c      Consumer
	ec     eventConsumer // c, when it takes events by pointer
	index  int
	logger *slog.Logger
	wake   chan struct{} // one pending wake-up
	done   chan struct{} // closed when the goroutine has delivered everything after close

	// Written about once a millisecond; read by the writer at each push.
	sleeping atomic.Bool // the goroutine waits, or is about to, for a wake-up
}

// cacheLine is a size that keeps apart what two cores write: two 64-byte
// lines, as some processors fetch lines in pairs.
const cacheLine = 128

// logChunkLen is the number of events in one chunk of the log (about
// 25 kB), and logFreeChunks how many chunks every reader has passed the log
// keeps for reuse (about 3 MB): twice the feedWakeBatch events that may
// wait for a sleeping consumer, so that consumers that keep up, even ones a
// busy machine holds back now and then, make the router allocate nothing.
const (
	logChunkLen   = 64
	logFreeChunks = 2 * feedWakeBatch / logChunkLen
)

type logChunk struct {
	n      atomic.Int64             // events written and published
	next   atomic.Pointer[logChunk] // linked by the writer once this one is full
	left   atomic.Int32             // readers yet to pass this chunk
	_      [cacheLine]byte
	events [logChunkLen]Event
}

// newEventLog starts a feed for each consumer, reading a new log from its
// first event. It returns nil for no consumers: pushing to a nil log does
// nothing.
func newEventLog(cs []Consumer, logger *slog.Logger) *eventLog {
	if len(cs) == 0 {
		return nil
	}
	l := &eventLog{left: int32(len(cs))}
	l.tail, l.allocated = new(logChunk), 1
	l.tail.left.Store(l.left)
	l.kick = time.AfterFunc(time.Hour, l.wakeUp)
	l.kick.Stop()
	for i, c := range cs {
		f := &feed{log: l, head: l.tail, c: c, index: i, logger: logger, wake: make(chan struct{}, 1), done: make(chan struct{})}
		f.ec, _ = c.(eventConsumer)
		l.feeds = append(l.feeds, f)
	}
	for _, f := range l.feeds {
		go f.run()
	}
	return l
}

// Waking a sleeping consumer costs the router a thread wake-up, which on a
// virtual machine can cost more than routing a task. So a sleeping
// consumer is woken at once only when feedWakeBatch events wait for it;
// otherwise one timer, shared by the feeds, wakes the sleeping ones
// feedWakeDelay after the first event they missed. Events therefore reach a
// consumer at most about a millisecond late, and the router pays for at
// most one timer per millisecond and one wake-up per millisecond per
// consumer.
const (
	feedWakeBatch = 4096
	feedWakeDelay = time.Millisecond
)

// push appends a batch of events. It never blocks on a consumer: one copy
// of each event, one atomic store per chunk touched, a look at whether each
// feed sleeps and now and then a wake-up (see feedWakeDelay). Only one
// goroutine pushes at a time.
func (l *eventLog) push(es []Event) {
	if l == nil || len(es) == 0 {
		return
	}
	n := uint64(len(es))
	for len(es) > 0 {
		c := l.tail
		if l.w == logChunkLen {
			next := l.chunk()
			c.next.Store(next)
			l.tail, l.w, c = next, 0, next
		}
		k := copy(c.events[l.w:], es)
		l.w += k
		es = es[k:]
		c.n.Store(int64(l.w))
	}
	l.pushed += n
	// The store of c.n above and the loads of sleeping here pair with
	// run's store of sleeping and its load of the chunk's n: either a
	// feed's goroutine sees the new events, or this sees it sleeping.
	for _, f := range l.feeds {
		if f.sleeping.Load() {
			l.wakeLater(f)
		}
	}
}

// wakeLater wakes sleeping f at once if feedWakeBatch events wait for it,
// and otherwise arms the delayed wake-up.
func (l *eventLog) wakeLater(f *feed) {
	if l.pushed-f.taken.Load() >= feedWakeBatch {
		if f.sleeping.CompareAndSwap(true, false) {
			f.signal()
		}
	} else if !l.kicking.Load() && l.kicking.CompareAndSwap(false, true) {
		l.kick.Reset(feedWakeDelay)
	}
}

// chunk returns an empty chunk for the writer, counting every reader as
// yet to pass it: one they all have passed, if any.
func (l *eventLog) chunk() *logChunk {
	l.freeMu.Lock()
	var c *logChunk
	if n := len(l.free); n > 0 {
		c, l.free = l.free[n-1], l.free[:n-1]
	}
	if c == nil {
		l.allocated++
	}
	l.freeMu.Unlock()
	if c == nil {
		c = new(logChunk)
	} else {
		c.n.Store(0)
		c.next.Store(nil)
	}
	c.left.Store(l.left)
	return c
}

// passed is called by each reader as it leaves chunk c for the next; the
// last one gives it back to the writer. Its events are not cleared (the
// writer overwrites them): the log keeps at most logFreeChunks ×
// logChunkLen old events alive, about as many as may wait for a sleeping
// consumer.
func (l *eventLog) passed(c *logChunk) {
	if c.left.Add(-1) > 0 {
		return
	}
	l.freeMu.Lock()
	defer l.freeMu.Unlock()
	if len(l.free) < logFreeChunks {
		l.free = append(l.free, c)
	}
}

// wakeUp is the delayed wake-up: it wakes every sleeping feed.
func (l *eventLog) wakeUp() {
	l.kicking.Store(false)
	for _, f := range l.feeds {
		if f.sleeping.CompareAndSwap(true, false) {
			f.signal()
		}
	}
}

func (f *feed) signal() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// close asks every feed's goroutine to stop once it has delivered
// everything. Nothing is pushed after it. A nil log has nothing to close.
func (l *eventLog) close() {
	if l == nil {
		return
	}
	l.closing.Store(true)
	l.kick.Stop()
	for _, f := range l.feeds {
		f.sleeping.Store(false)
		f.signal()
	}
}

// readers returns the feeds, one per consumer (none for a nil log).
func (l *eventLog) readers() []*feed {
	if l == nil {
		return nil
	}
	return l.feeds
}

// pending reports how many events the consumer has not finished (a run
// of events being delivered counts as not finished until its end). It is
// called once the router has stopped pushing (Close, after the router's
// lock saw the last push).
func (f *feed) pending() uint64 {
	return f.log.pushed - f.taken.Load()
}

// wait waits until the feed's goroutine has delivered everything after
// close. If ctx ends first, it reports the events the consumer has yet to
// finish, if any: a consumer that has taken every event is not behind,
// even if its goroutine has not yet seen the close.
func (f *feed) wait(ctx context.Context) error {
	select {
	case <-f.done:
		return nil
	case <-ctx.Done():
		if n := f.pending(); n > 0 {
			return fmt.Errorf("switchboard: close: consumer %d has %d events to take: %w", f.index, n, ctx.Err())
		}
		return nil
	}
}

// more reports whether the writer has published events the goroutine has
// not taken.
func (f *feed) more() bool {
	return int(f.head.n.Load()) > f.r || (f.r == logChunkLen && f.head.next.Load() != nil)
}

func (f *feed) run() {
	defer close(f.done)
	l := f.log
	for {
		c := f.head
		if n := int(c.n.Load()); f.r < n {
			for es := c.events[f.r:n]; len(es) > 0; {
				es = es[f.deliver(es):]
			}
			f.r = n
			continue
		}
		if f.r == logChunkLen {
			if next := c.next.Load(); next != nil {
				f.head, f.r = next, 0
				l.passed(c)
				continue
			}
		}
		// Nothing to take. Close comes after the last push, so once it is
		// seen the log is known to hold nothing more for good.
		if l.closing.Load() && !f.more() {
			return
		}
		f.sleeping.Store(true)
		if f.more() || l.closing.Load() {
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
