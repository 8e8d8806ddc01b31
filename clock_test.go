package switchboard

import (
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// firing records a timer callback: which one, and the clock reading inside it.
type firing struct {
	Name string
	At   time.Duration // Now() - t0
}

type firingLog struct {
	mu  sync.Mutex
	c   *ManualClock
	got []firing
}

func (l *firingLog) fn(name string) func() {
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.got = append(l.got, firing{name, l.c.Now().Sub(t0)})
	}
}

func (l *firingLog) take() []firing {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.got
	l.got = nil
	return out
}

func TestManualClockFiresInDeadlineOrder(t *testing.T) {
	c := NewManualClock(t0)
	l := &firingLog{c: c}
	c.AfterFunc(3*time.Second, l.fn("c"))
	c.AfterFunc(time.Second, l.fn("a1"))
	c.AfterFunc(2*time.Second, l.fn("b"))
	c.AfterFunc(time.Second, l.fn("a2")) // same deadline: registration order
	c.AfterFunc(10*time.Second, l.fn("later"))
	if got := c.PendingTimers(); got != 5 {
		t.Fatalf("PendingTimers = %d, want 5", got)
	}

	c.Advance(5 * time.Second)
	want := []firing{{"a1", time.Second}, {"a2", time.Second}, {"b", 2 * time.Second}, {"c", 3 * time.Second}}
	if diff := cmp.Diff(want, l.take()); diff != "" {
		t.Errorf("firings (-want +got):\n%s", diff)
	}
	if got := c.Now(); !got.Equal(t0.Add(5 * time.Second)) {
		t.Errorf("Now after Advance = %v, want t0+5s", got)
	}
	if got := c.PendingTimers(); got != 1 {
		t.Errorf("PendingTimers = %d, want 1", got)
	}

	// Set to the exact deadline fires it: deadlines are inclusive.
	c.Set(t0.Add(10 * time.Second))
	if diff := cmp.Diff([]firing{{"later", 10 * time.Second}}, l.take()); diff != "" {
		t.Errorf("firings (-want +got):\n%s", diff)
	}
}

// A callback may register timers; those that fall due within the same
// Advance fire in it, at their own deadlines, after earlier-registered
// timers with the same deadline.
func TestManualClockTimersFromCallbacks(t *testing.T) {
	c := NewManualClock(t0)
	l := &firingLog{c: c}
	c.AfterFunc(time.Second, func() {
		l.fn("first")()
		c.AfterFunc(time.Second, l.fn("chained"))
		c.AfterFunc(0, l.fn("now"))
		c.AfterFunc(time.Hour, l.fn("far"))
	})
	c.AfterFunc(time.Second, l.fn("sibling"))
	c.AfterFunc(2*time.Second, l.fn("older"))
	c.Advance(time.Minute)
	want := []firing{
		{"first", time.Second}, {"sibling", time.Second}, {"now", time.Second},
		{"older", 2 * time.Second}, {"chained", 2 * time.Second},
	}
	if diff := cmp.Diff(want, l.take()); diff != "" {
		t.Errorf("firings (-want +got):\n%s", diff)
	}
	if got := c.PendingTimers(); got != 1 {
		t.Errorf("PendingTimers = %d, want 1 (far)", got)
	}
}

func TestManualClockCancel(t *testing.T) {
	c := NewManualClock(t0)
	l := &firingLog{c: c}
	cancelA := c.AfterFunc(time.Second, l.fn("a"))
	cancelB := c.AfterFunc(2*time.Second, l.fn("b"))
	var cancelC func() bool
	c.AfterFunc(1500*time.Millisecond, func() {
		l.fn("canceller")()
		if !cancelC() {
			t.Error("cancel of a pending timer from a callback = false")
		}
	})
	cancelC = c.AfterFunc(1700*time.Millisecond, l.fn("c"))

	if !cancelA() {
		t.Error("cancel of a pending timer = false, want true")
	}
	if cancelA() {
		t.Error("second cancel = true, want false")
	}
	if got := c.PendingTimers(); got != 3 {
		t.Errorf("PendingTimers = %d, want 3", got)
	}
	c.Advance(5 * time.Second)
	want := []firing{{"canceller", 1500 * time.Millisecond}, {"b", 2 * time.Second}}
	if diff := cmp.Diff(want, l.take()); diff != "" {
		t.Errorf("firings (-want +got):\n%s", diff)
	}
	if cancelB() {
		t.Error("cancel after the timer fired = true, want false")
	}
}

func TestManualClockAdvanceZeroFiresDueTimers(t *testing.T) {
	c := NewManualClock(t0)
	l := &firingLog{c: c}
	c.AfterFunc(0, l.fn("zero"))
	c.AfterFunc(-time.Second, l.fn("negative"))
	c.AfterFunc(time.Nanosecond, l.fn("future"))
	if got := l.take(); len(got) != 0 {
		t.Fatalf("AfterFunc fired synchronously: %v", got)
	}
	c.Advance(0)
	// A timer due in the past fires without moving the clock back.
	want := []firing{{"negative", 0}, {"zero", 0}}
	if diff := cmp.Diff(want, l.take()); diff != "" {
		t.Errorf("firings (-want +got):\n%s", diff)
	}
	if !c.Now().Equal(t0) {
		t.Errorf("Now = %v, want t0", c.Now())
	}
	c.Set(t0) // Set to the current reading is allowed
	if got := c.PendingTimers(); got != 1 {
		t.Errorf("PendingTimers = %d, want 1", got)
	}
}

func TestManualClockBackwardsPanics(t *testing.T) {
	for name, f := range map[string]func(*ManualClock){
		"Set":     func(c *ManualClock) { c.Set(t0.Add(-time.Nanosecond)) },
		"Advance": func(c *ManualClock) { c.Advance(-time.Nanosecond) },
	} {
		t.Run(name, func(t *testing.T) {
			c := NewManualClock(t0)
			fired := false
			c.AfterFunc(0, func() { fired = true })
			defer func() {
				if recover() == nil {
					t.Error("moving the clock backwards did not panic")
				}
				if !c.Now().Equal(t0) || fired {
					t.Errorf("clock changed by the refused move: now %v, fired %v", c.Now(), fired)
				}
			}()
			f(c)
		})
	}
}

// ManualClock is safe for concurrent use (run with -race).
func TestManualClockConcurrent(t *testing.T) {
	c := NewManualClock(t0)
	var mu sync.Mutex
	fired := 0
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				cancel := c.AfterFunc(time.Duration(g*200+i)*time.Millisecond, func() {
					mu.Lock()
					fired++
					mu.Unlock()
				})
				if i%10 == 0 {
					cancel()
				}
				_ = c.Now()
			}
		}()
	}
	for range 50 {
		c.Advance(10 * time.Millisecond)
	}
	wg.Wait()
	c.Advance(time.Hour)
	mu.Lock()
	defer mu.Unlock()
	if c.PendingTimers() != 0 {
		t.Errorf("PendingTimers = %d after advancing past every deadline", c.PendingTimers())
	}
	// 8*200 timers, one in ten cancelled; a cancel may lose to Advance.
	if fired < 8*180 || fired > 8*200 {
		t.Errorf("fired %d timers, want between %d and %d", fired, 8*180, 8*200)
	}
}

func TestSystemClock(t *testing.T) {
	c := SystemClock()
	before := time.Now()
	now := c.Now()
	if now.Before(before) || now.Sub(before) > time.Second {
		t.Errorf("Now = %v, want about %v", now, before)
	}
	done := make(chan time.Time, 1)
	start := time.Now()
	c.AfterFunc(10*time.Millisecond, func() { done <- time.Now() })
	select {
	case at := <-done:
		if at.Sub(start) < 10*time.Millisecond {
			t.Errorf("AfterFunc fired after %v, before its delay", at.Sub(start))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("AfterFunc did not fire")
	}

	cancel := c.AfterFunc(time.Hour, func() { t.Error("cancelled timer fired") })
	if !cancel() {
		t.Error("cancel of a pending timer = false")
	}
	if cancel() {
		t.Error("second cancel = true")
	}
}
