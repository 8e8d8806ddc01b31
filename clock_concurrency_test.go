package switchboard

import (
	"strings"
	"sync"
	"testing"
	"time"
)

// Eight goroutines advancing one ManualClock at once: no panic, and the
// advances add up exactly.
func TestManualClockConcurrentAdvance(t *testing.T) {
	c := NewManualClock(t0)
	fired := 0
	var mu sync.Mutex
	for i := range 100 {
		c.AfterFunc(time.Duration(i)*time.Millisecond, func() { mu.Lock(); fired++; mu.Unlock() })
	}
	const goroutines, per = 8, 5000
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range per {
				c.Advance(time.Microsecond)
			}
		})
	}
	wg.Wait()
	// Every Advance counts, also one that starts while another runs a
	// timer callback with the lock released.
	moved := c.Now().Sub(t0)
	if want := goroutines * per * time.Microsecond; moved != want {
		t.Errorf("the clock moved %s, want %s", moved, want)
	}
	due := int(moved/time.Millisecond) + 1 // timers at 0, 1, ... ms up to the reading
	if due > 100 {
		due = 100
	}
	if fired != due {
		t.Errorf("%d timers fired, want the %d due by %s", fired, due, moved)
	}
}

func TestNotFoundErrorQuotesAShortID(t *testing.T) {
	b := newBench(t, nil)
	huge := strings.Repeat("x", 10<<20)
	_, err := b.r.Agent(huge)
	if err == nil || len(err.Error()) > 120 {
		t.Fatalf("Agent(10 MB ID) error has %d bytes, want a short message", len(err.Error()))
	}
	if nf, ok := err.(*NotFoundError); !ok || nf.ID != huge {
		t.Errorf("NotFoundError does not keep the whole ID in its ID field")
	}
}

// An Advance that starts while another runs a callback adds to where the
// other is going, not to where the callback found the clock.
func TestManualClockAdvancesAddUpAcrossACallback(t *testing.T) {
	c := NewManualClock(t0)
	second := make(chan struct{})
	c.AfterFunc(5*time.Second, func() {
		go func() { c.Advance(10 * time.Second); close(second) }()
		<-second // the second Advance runs while this callback does
	})
	c.Advance(10 * time.Second)
	if got := c.Now().Sub(t0); got != 20*time.Second {
		t.Fatalf("Advance(10s) twice, one during the other's callback: the clock moved %v, want 20s", got)
	}
}

// A task scheduled for 09:00:05 is queued once the clock has passed
// 09:00:05, even when another goroutine moved the clock past it while the
// router was registering the timer (the router used to register "in 5 s"
// from its earlier reading, 10 s late).
func TestRouterTimerRegisteredWhileAnotherGoroutineAdvances(t *testing.T) {
	ctx := t.Context()
	clk := NewManualClock(t0)
	r, err := NewRouter(ctx, nil, &Config{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(ctx)
	if err := r.PutQueue(ctx, Queue{ID: "billing", Name: "Billing"}); err != nil {
		t.Fatal(err)
	}
	once := false
	r.test.beforeRegister = func() { // runs under the router's lock
		if !once {
			once = true
			done := make(chan struct{})
			go func() { clk.Advance(10 * time.Second); close(done) }()
			<-done
		}
	}
	task, err := r.CreateTask(ctx, TaskInput{QueueID: "billing", Name: "Call back Mrs Smith", ScheduledAt: t0.Add(5 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(0) // the clock reads 09:00:10: fire what is due
	got, err := r.Task(ctx, task.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != StateQueued {
		t.Fatalf("clock at +%v, task scheduled for +5s is %s, want QUEUED", clk.Now().Sub(t0), got.State)
	}
}

// A timer callback that panics stops its Advance; the next Advance counts
// from the clock's reading, not from where the stopped one was going.
func TestManualClockAdvanceAfterAPanickingCallback(t *testing.T) {
	c := NewManualClock(t0)
	c.AfterFunc(time.Minute, func() { panic("callback bug") })
	func() {
		defer func() { recover() }()
		c.Advance(time.Hour)
	}()
	c.Advance(time.Minute)
	if got := c.Now().Sub(t0); got != 2*time.Minute {
		t.Fatalf("after a callback panicked at +1m and Advance(1m), the clock reads +%v, want +2m", got)
	}
}
