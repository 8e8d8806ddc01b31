// Package search holds the machinery of contact search: ordered indexes of
// (time, ID) keys, one per named set (a timestamp field, or a timestamp
// field within one queue or one agent), that answer a time range in
// O(log n + results) and merge several sets in order. It knows nothing of
// the Router or of contact records.
package search

import (
	"cmp"
	"slices"

	"github.com/google/btree"
)

// Key is an entry of an index: a time in Unix nanoseconds and the ID of
// what it indexes. Keys order by T, then ID.
type Key struct {
	T  int64
	ID string
}

// Compare orders two keys.
func Compare(a, b Key) int { return cmp.Or(cmp.Compare(a.T, b.T), cmp.Compare(a.ID, b.ID)) }

func less(a, b Key) bool { return Compare(a, b) < 0 }

const degree = 32

// Set names a set of keys: a field, and a kind of subset with its ID (the
// zero Kind and ID for the whole field).
type Set struct {
	Field string
	Kind  byte
	ID    string
}

// Index is a collection of named sets of keys. It is not safe for
// concurrent use; its owner locks.
type Index struct {
	sets map[Set]*btree.BTreeG[Key]
}

// New returns an empty Index.
func New() *Index { return &Index{sets: map[Set]*btree.BTreeG[Key]{}} }

// Add puts k in the set name.
func (x *Index) Add(name Set, k Key) {
	s := x.sets[name]
	if s == nil {
		s = btree.NewG(degree, less)
		x.sets[name] = s
	}
	s.ReplaceOrInsert(k)
}

// Remove takes k out of the set name; a set left empty is forgotten.
func (x *Index) Remove(name Set, k Key) {
	s := x.sets[name]
	if s == nil {
		return
	}
	s.Delete(k)
	if s.Len() == 0 {
		delete(x.sets, name)
	}
}

// Len returns the number of keys in the set name.
func (x *Index) Len(name Set) int {
	if s := x.sets[name]; s != nil {
		return s.Len()
	}
	return 0
}

// Sets returns the number of non-empty sets.
func (x *Index) Sets() int { return len(x.sets) }

// Range is a scan of keys with lo <= T < hi, ascending or descending,
// strictly after After in that direction when it is not nil.
type Range struct {
	Lo, Hi int64
	Desc   bool
	After  *Key
}

// before reports whether a comes before b in r's direction.
func (r *Range) before(a, b Key) bool {
	if r.Desc {
		return Compare(a, b) > 0
	}
	return Compare(a, b) < 0
}

// Scan calls fn with the keys of set name in r, in r's order, until fn
// returns false.
func (x *Index) Scan(name Set, r Range, fn func(Key) bool) {
	s := x.sets[name]
	if s == nil || r.Lo >= r.Hi {
		return
	}
	if !r.Desc {
		start := Key{T: r.Lo}
		if r.After != nil && Compare(*r.After, start) >= 0 {
			start = *r.After
		}
		s.AscendRange(start, Key{T: r.Hi}, func(k Key) bool {
			if r.After != nil && Compare(k, *r.After) == 0 {
				return true
			}
			return fn(k)
		})
		return
	}
	pivot := Key{T: r.Hi}
	if r.After != nil && Compare(*r.After, pivot) < 0 {
		pivot = *r.After
	}
	s.DescendLessOrEqual(pivot, func(k Key) bool {
		if k.T < r.Lo {
			return false
		}
		if k.T >= r.Hi || (r.After != nil && Compare(k, *r.After) == 0) {
			return true
		}
		return fn(k)
	})
}

// First returns, in r's order, the first limit keys of the union of the
// sets names that keep accepts (limit < 0: every one). Each set is scanned
// only until it has given limit accepted keys, so a page costs
// O(sets × (log n + limit)) whatever the sets hold, when keep accepts most.
func (x *Index) First(names []Set, r Range, limit int, keep func(Key) bool) []Key {
	var out []Key
	for _, name := range names {
		n := 0
		x.Scan(name, r, func(k Key) bool {
			if !keep(k) {
				return true
			}
			out = append(out, k)
			n++
			return limit < 0 || n < limit
		})
	}
	if len(names) > 1 {
		slices.SortFunc(out, func(a, b Key) int {
			if r.before(a, b) {
				return -1
			}
			if r.before(b, a) {
				return 1
			}
			return 0
		})
		out = slices.CompactFunc(out, func(a, b Key) bool { return Compare(a, b) == 0 })
	}
	if limit >= 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}
