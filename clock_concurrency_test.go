package switchboard

import (
	"strings"
	"sync"
	"testing"
	"time"
)

// Eight goroutines advancing one ManualClock at once: no panic, and every
// Advance counts.
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
	if got, want := c.Now().Sub(t0), goroutines*per*time.Microsecond; got != want {
		t.Errorf("the clock moved %s, want %s", got, want)
	}
	if fired != 41 { // timers at 0..40 ms fall due by 40 ms
		t.Errorf("%d timers fired, want 41", fired)
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
