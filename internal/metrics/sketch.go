package metrics

import (
	"math"
	"slices"
	"time"
)

// Sketch summarises a distribution of durations in logarithmic bins of
// relative width Gamma-1 (2 %), so a quantile read from it is within about 1 %
// of an exact one. It is bounded (durations are clamped to MaxValue, so at
// most about 1,200 bins exist), deterministic (the same values in any order
// give the same sketch) and mergeable (the sum of two sketches is the sketch
// of both samples). The zero Sketch is empty and ready to use.
type Sketch struct {
	Zero  uint64 `json:"zero,omitempty"` // values under a millisecond
	Bins  []Bin  `json:"bins,omitempty"` // sorted by Index
	Count uint64 `json:"count,omitempty"`
}

// Bin counts the values v with Gamma^(Index-1) < v/ms ≤ Gamma^Index.
type Bin struct {
	Index int32  `json:"i"`
	Count uint64 `json:"n"`
}

// Gamma is the ratio of a bin's upper bound to its lower bound.
const Gamma = 1.02

// MaxValue is the largest duration a sketch distinguishes; longer ones count
// as MaxValue.
const MaxValue = 90 * 24 * time.Hour

var logGamma = math.Log(Gamma)

func index(d time.Duration) int32 {
	if d > MaxValue {
		d = MaxValue
	}
	ms := float64(d) / float64(time.Millisecond)
	return int32(math.Ceil(math.Log(ms)/logGamma - 1e-9))
}

// Add records one duration.
func (s *Sketch) Add(d time.Duration) {
	s.Count++
	if d < time.Millisecond {
		s.Zero++
		return
	}
	i := index(d)
	j, found := slices.BinarySearchFunc(s.Bins, i, func(b Bin, i int32) int { return int(b.Index - i) })
	if found {
		s.Bins[j].Count++
		return
	}
	s.Bins = slices.Insert(s.Bins, j, Bin{Index: i, Count: 1})
}

// Merge adds every value of o to s.
func (s *Sketch) Merge(o *Sketch) {
	if o == nil || o.Count == 0 {
		return
	}
	s.Count += o.Count
	s.Zero += o.Zero
	out := make([]Bin, 0, len(s.Bins)+len(o.Bins))
	i, j := 0, 0
	for i < len(s.Bins) || j < len(o.Bins) {
		switch {
		case j == len(o.Bins) || (i < len(s.Bins) && s.Bins[i].Index < o.Bins[j].Index):
			out = append(out, s.Bins[i])
			i++
		case i == len(s.Bins) || o.Bins[j].Index < s.Bins[i].Index:
			out = append(out, o.Bins[j])
			j++
		default:
			out = append(out, Bin{Index: s.Bins[i].Index, Count: s.Bins[i].Count + o.Bins[j].Count})
			i++
			j++
		}
	}
	s.Bins = out
}

// value is the representative of bin i: the midpoint (harmonic-style) of its
// bounds, within (Gamma-1)/2 of every value in the bin.
func value(i int32) time.Duration {
	v := 2 * math.Pow(Gamma, float64(i)) / (Gamma + 1)
	return time.Duration(v * float64(time.Millisecond))
}

// Quantile returns the q-quantile (0 ≤ q ≤ 1) of the values: the
// representative of the bin holding the value of rank ceil(q·Count) (rank 1
// for q = 0). ok is false for an empty sketch.
func (s *Sketch) Quantile(q float64) (d time.Duration, ok bool) {
	if s.Count == 0 {
		return 0, false
	}
	rank := uint64(math.Ceil(q * float64(s.Count)))
	if rank < 1 {
		rank = 1
	}
	if rank > s.Count {
		rank = s.Count
	}
	seen := s.Zero
	if seen >= rank {
		return 0, true
	}
	for _, b := range s.Bins {
		seen += b.Count
		if seen >= rank {
			return value(b.Index), true
		}
	}
	return value(s.Bins[len(s.Bins)-1].Index), true
}

// CountAtMost returns about how many values are at most d: the values of
// every bin that may hold a value at most d (whose lower bound is below d),
// so it may count values up to 2 % above d.
func (s *Sketch) CountAtMost(d time.Duration) uint64 {
	n := s.Zero
	lim := float64(d) / float64(time.Millisecond)
	for _, b := range s.Bins {
		if math.Pow(Gamma, float64(b.Index-1)) >= lim {
			break
		}
		n += b.Count
	}
	return n
}

// Clone returns a deep copy.
func (s *Sketch) Clone() Sketch {
	c := *s
	c.Bins = slices.Clone(s.Bins)
	return c
}
