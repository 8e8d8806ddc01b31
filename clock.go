package switchboard

import (
	"cmp"
	"slices"
	"sync"
	"time"
)

// Clock is the router's only source of time. Every timestamp and every timer
// (offer timeout, queue delay, routing-step expiry, after-contact-work limit,
// schedule, expiry) is read from it.
//
// Implementations must be safe for concurrent use.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// AfterFunc calls f once d has elapsed and returns a function that cancels
	// the call if it has not started. f must not be called while the caller
	// holds any lock of the Clock.
	AfterFunc(d time.Duration, f func()) (cancel func() bool)
}

// SystemClock returns the wall clock.
func SystemClock() Clock { return systemClock{} }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}

// ManualClock is a Clock that moves only when told to. Advance and Set fire
// due timers synchronously, in deadline order, with the clock reading set to
// each timer's own deadline while it runs, so a test that advances the clock
// by an hour sees every timeout happen at its exact instant.
//
// ManualClock is safe for concurrent use. It must not be advanced from inside
// a timer callback.
type ManualClock struct {
	mu     sync.Mutex
	now    time.Time
	goal   time.Time // where the Advances under way take the clock
	moving int       // Advances under way
	seq    uint64
	timers []*manualTimer
}

type manualTimer struct {
	at  time.Time
	seq uint64
	f   func()
	c   *ManualClock
}

// NewManualClock returns a ManualClock that reads start.
func NewManualClock(start time.Time) *ManualClock { return &ManualClock{now: start} }

// Now returns the clock's reading.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc registers f to run when the clock reaches Now()+d.
func (c *ManualClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.register(c.now.Add(d), f)
}

// afterFuncAt registers f to run when the clock reaches at: at the next
// Advance or Set if it already has. The router schedules with it on a
// ManualClock, so that an Advance by another goroutine between its decision
// and the registration cannot make a timer late.
func (c *ManualClock) afterFuncAt(at time.Time, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.register(at.In(c.now.Location()), f) // the reading keeps its location
}

func (c *ManualClock) register(at time.Time, f func()) func() bool {
	c.seq++
	t := &manualTimer{at: at, seq: c.seq, f: f, c: c}
	c.timers = append(c.timers, t)
	return t.stop
}

func (t *manualTimer) stop() bool {
	c := t.c
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, x := range c.timers {
		if x == t {
			c.timers = append(c.timers[:i], c.timers[i+1:]...)
			return true
		}
	}
	return false
}

// Advance moves the clock forward by d, firing every timer that falls due on
// the way. A negative d panics.
func (c *ManualClock) Advance(d time.Duration) {
	if d < 0 {
		panic("switchboard: ManualClock.Advance with a negative duration")
	}
	c.mu.Lock()
	// Concurrent Advances add up: each moves the goal of those under way,
	// which may be running a timer callback with the lock released. The
	// goal is forgotten when the last of them returns, even by a panic.
	base := c.now
	if c.moving > 0 && c.goal.After(base) {
		base = c.goal
	}
	c.goal = base.Add(d)
	c.moving++
	defer func() {
		c.mu.Lock()
		c.moving--
		c.mu.Unlock()
	}()
	c.runTo(c.goal)
}

// Set moves the clock to t, firing every timer that falls due on the way.
// Setting a time before the current reading panics. Callers may advance the
// clock from several goroutines: a Set that finds the clock already moved
// past t by another (while it ran a callback) simply returns.
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	if t.Before(c.now) {
		c.mu.Unlock()
		panic("switchboard: ManualClock.Set moves time backwards")
	}
	c.runTo(t)
}

// runTo moves the clock to t, firing due timers; c.mu is held on entry and
// released on return.
func (c *ManualClock) runTo(t time.Time) {
	for {
		slices.SortFunc(c.timers, func(a, b *manualTimer) int {
			if c := a.at.Compare(b.at); c != 0 {
				return c
			}
			return cmp.Compare(a.seq, b.seq)
		})
		if len(c.timers) == 0 || c.timers[0].at.After(t) {
			if t.After(c.now) {
				c.now = t
			}
			c.mu.Unlock()
			return
		}
		next := c.timers[0]
		c.timers = c.timers[1:]
		if next.at.After(c.now) {
			c.now = next.at
		}
		c.mu.Unlock()
		next.f()
		c.mu.Lock()
	}
}

// PendingTimers reports how many timers are registered and not yet fired.
func (c *ManualClock) PendingTimers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// stopwatch starts measuring wall time and returns a function reporting the
// time elapsed since. It is not the router's Clock: it measures how long
// host code (a store's write) took, which a ManualClock would report as
// nothing. The router's notion of time never comes from it.
func stopwatch() func() time.Duration {
	start := time.Now()
	return func() time.Duration { return time.Since(start) }
}
