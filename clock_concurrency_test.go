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
	// An Advance that starts while another runs a timer callback counts
	// from the reading it finds, so the advances need not add up exactly;
	// the clock must still have moved at least as far as one goroutine's
	// advances and at most as far as all of them.
	moved := c.Now().Sub(t0)
	if moved < per*time.Microsecond || moved > goroutines*per*time.Microsecond {
		t.Errorf("the clock moved %s, want between %s and %s", moved, per*time.Microsecond, goroutines*per*time.Microsecond)
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
