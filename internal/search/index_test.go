package search

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// naive answers Scan by filtering and sorting every key of the set.
func naive(keys []Key, r Range, limit int, keep func(Key) bool) []Key {
	var out []Key
	for _, k := range keys {
		if k.T < r.Lo || k.T >= r.Hi || !keep(k) {
			continue
		}
		if r.After != nil && !r.before(*r.After, k) {
			continue
		}
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b Key) int {
		if r.Desc {
			return Compare(b, a)
		}
		return Compare(a, b)
	})
	if limit >= 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// TestFirstAgreesWithAScan fills three sets with keys sharing times (ties
// broken by ID), removes some, and checks every range, direction, cursor
// and limit against a scan of every key.
func TestFirstAgreesWithAScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := New()
	sets := []Set{{Field: "F"}, {Field: "F", Kind: 'q', ID: "a"}, {Field: "F", Kind: 'q', ID: "b"}}
	member := map[Set][]Key{}
	for i := range 400 {
		k := Key{T: int64(rng.IntN(50)), ID: fmt.Sprintf("id-%03d", i)}
		s := sets[1+i%2]
		x.Add(sets[0], k)
		x.Add(s, k)
		member[sets[0]] = append(member[sets[0]], k)
		member[s] = append(member[s], k)
	}
	// Remove every fifth key of set a.
	var kept []Key
	for i, k := range member[sets[1]] {
		if i%5 == 0 {
			x.Remove(sets[1], k)
			continue
		}
		kept = append(kept, k)
	}
	member[sets[1]] = kept
	if x.Len(sets[1]) != len(kept) {
		t.Fatalf("Len %d after removals, want %d", x.Len(sets[1]), len(kept))
	}
	odd := func(k Key) bool { return k.ID[len(k.ID)-1]%2 == 1 }
	all := func(Key) bool { return true }
	for trial := range 500 {
		lo := int64(rng.IntN(55)) - 2
		r := Range{Lo: lo, Hi: lo + int64(rng.IntN(30)), Desc: trial%2 == 1}
		if trial%3 == 0 {
			a := Key{T: lo + int64(rng.IntN(20)), ID: fmt.Sprintf("id-%03d", rng.IntN(400))}
			r.After = &a
		}
		limit := []int{-1, 0, 1, 7, 50}[trial%5]
		keep := []func(Key) bool{all, odd}[trial%2]
		names := [][]Set{{sets[0]}, {sets[1]}, {sets[1], sets[2]}}[trial%3]
		var every []Key
		for _, n := range names {
			every = append(every, member[n]...)
		}
		got := x.First(names, r, limit, keep)
		want := naive(every, r, limit, keep)
		if !slices.Equal(got, want) {
			t.Fatalf("trial %d: First(%v, %+v, %d) = %v, want %v", trial, names, r, limit, got, want)
		}
	}
	// A set emptied is forgotten.
	for _, k := range member[sets[2]] {
		x.Remove(sets[2], k)
	}
	if x.Len(sets[2]) != 0 || x.Sets() != 2 {
		t.Errorf("after emptying set b: Len %d, %d sets, want 0 and 2", x.Len(sets[2]), x.Sets())
	}
}
