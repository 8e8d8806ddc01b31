package metrics

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestSlotStart(t *testing.T) {
	at := time.Date(2026, 11, 24, 9, 44, 59, 0, time.UTC)
	if got, want := SlotStart(at), time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC).Unix(); got != want {
		t.Fatalf("SlotStart = %d, want %d", got, want)
	}
	before := time.Unix(-1, 0)
	if got := SlotStart(before); got != -900 {
		t.Fatalf("SlotStart(-1s) = %d, want -900", got)
	}
}

func TestIntervalStart(t *testing.T) {
	kolkata := time.FixedZone("IST", 5*3600+1800)
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	at := time.Date(2026, 11, 24, 23, 50, 0, 0, time.UTC) // Tuesday
	for _, c := range []struct {
		p    Period
		loc  *time.Location
		want time.Time
	}{
		{FifteenMin, time.UTC, time.Date(2026, 11, 24, 23, 45, 0, 0, time.UTC)},
		{ThirtyMin, time.UTC, time.Date(2026, 11, 24, 23, 30, 0, 0, time.UTC)},
		{Hour, kolkata, time.Date(2026, 11, 25, 5, 0, 0, 0, kolkata)},
		{Day, time.UTC, time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)},
		{Day, paris, time.Date(2026, 11, 25, 0, 0, 0, 0, paris)},
		{Week, time.UTC, time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)},
	} {
		if got := IntervalStart(c.p, at, c.loc); !got.Equal(c.want) {
			t.Errorf("IntervalStart(%d, %v) = %v, want %v", c.p, c.loc, got, c.want)
		}
		// The interval start is a slot start: local intervals are unions of slots.
		if s := IntervalStart(c.p, at, c.loc); SlotStart(s) != s.Unix() {
			t.Errorf("interval start %v is not on a slot boundary", s)
		}
	}
	// A day across the end of summer time lasts 25 hours.
	d := IntervalStart(Day, time.Date(2026, 10, 25, 12, 0, 0, 0, paris), paris)
	if got := IntervalEnd(Day, d).Sub(d); got != 25*time.Hour {
		t.Errorf("Paris 2026-10-25 lasts %v, want 25h", got)
	}
}

func TestSketchQuantiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var s Sketch
	var exact []time.Duration
	for range 20000 {
		d := time.Duration(rng.ExpFloat64() * float64(30*time.Second))
		s.Add(d)
		exact = append(exact, d)
	}
	slices.Sort(exact)
	for _, q := range []float64{0.5, 0.9, 0.99} {
		got, ok := s.Quantile(q)
		want := exact[int(q*float64(len(exact)))-1]
		if !ok || abs(float64(got-want)) > 0.011*float64(want) {
			t.Errorf("q%.2f = %v, want %v ±1.1%%", q, got, want)
		}
	}
	if len(s.Bins) > 1200 {
		t.Errorf("%d bins, want a bounded sketch", len(s.Bins))
	}
}

func TestSketchDeterministicAndMergeable(t *testing.T) {
	vals := []time.Duration{0, time.Millisecond, 3 * time.Second, 3 * time.Second, time.Hour, 200 * 24 * time.Hour}
	var a, b, whole Sketch
	for i, v := range vals {
		whole.Add(v)
		if i%2 == 0 {
			a.Add(v)
		} else {
			b.Add(v)
		}
	}
	var rev Sketch
	for i := len(vals) - 1; i >= 0; i-- {
		rev.Add(vals[i])
	}
	a.Merge(&b)
	for _, s := range []Sketch{a, rev} {
		if s.Count != whole.Count || s.Zero != whole.Zero || !slices.Equal(s.Bins, whole.Bins) {
			t.Fatalf("sketch %+v, want %+v", s, whole)
		}
	}
	if q, _ := whole.Quantile(1); q > MaxValue+MaxValue/50 {
		t.Errorf("max = %v, want clamped to about %v", q, MaxValue)
	}
	if n := whole.CountAtMost(3 * time.Second); n != 4 {
		t.Errorf("CountAtMost(3s) = %d, want 4", n)
	}
	if _, ok := new(Sketch).Quantile(0.5); ok {
		t.Error("empty sketch has a quantile")
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
