// Package deadline is the router's single timer index: a 4-ary min-heap
// ordered by (deadline, tie), with O(log n) schedule, cancel and reschedule
// because each item remembers its position. The keys live in the heap's own
// array, so sifting reads contiguous memory and touches an item only to
// record its new position. The tie-break is the caller's, so that the order
// of simultaneous deadlines can be rebuilt from durable data after a restart.
package deadline

// Item is one pending deadline. Embed it in its owner and reuse it; the zero
// value is an unscheduled item.
type Item[T any] struct {
	At    int64  // deadline in Unix nanoseconds, while scheduled
	Tie   uint64 // orders items with equal deadlines, smallest first
	index int    // position in the heap + 1; 0 when not scheduled
	Value T
}

// Scheduled reports whether the item is in a heap.
func (it *Item[T]) Scheduled() bool { return it.index > 0 }

type slot[T any] struct {
	at  int64
	tie uint64
	it  *Item[T]
}

func (a *slot[T]) less(b *slot[T]) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	return a.tie < b.tie
}

// Heap is a min-heap of items. The zero value is empty and ready to use. It is
// not safe for concurrent use.
type Heap[T any] struct {
	s []slot[T]
}

const arity = 4

// Len returns the number of scheduled items.
func (h *Heap[T]) Len() int { return len(h.s) }

// Schedule puts it in the heap at deadline at with tie-break tie, or moves it
// there if it is already scheduled. Items with equal deadlines pop in
// ascending tie order.
func (h *Heap[T]) Schedule(it *Item[T], at int64, tie uint64) {
	it.At, it.Tie = at, tie
	if it.index > 0 {
		i := it.index - 1
		h.s[i].at, h.s[i].tie = at, tie
		h.fix(i)
		return
	}
	h.s = append(h.s, slot[T]{at: at, tie: tie, it: it})
	it.index = len(h.s)
	h.up(len(h.s) - 1)
}

// Cancel removes it from the heap if it is scheduled.
func (h *Heap[T]) Cancel(it *Item[T]) {
	if it.index == 0 {
		return
	}
	i := it.index - 1
	it.index = 0
	last := len(h.s) - 1
	if i != last {
		h.s[i] = h.s[last]
		h.s[i].it.index = i + 1
	}
	h.s[last] = slot[T]{}
	h.s = h.s[:last]
	if i != last {
		h.fix(i)
	}
}

// Peek returns the earliest item, or nil.
func (h *Heap[T]) Peek() *Item[T] {
	if len(h.s) == 0 {
		return nil
	}
	return h.s[0].it
}

// PopDue removes and returns the earliest item if its deadline is at or
// before now, else nil.
func (h *Heap[T]) PopDue(now int64) *Item[T] {
	if len(h.s) == 0 || h.s[0].at > now {
		return nil
	}
	it := h.s[0].it
	h.Cancel(it)
	return it
}

func (h *Heap[T]) fix(i int) {
	if !h.up(i) {
		h.down(i)
	}
}

// up moves the slot at i towards the root; it reports whether it moved.
func (h *Heap[T]) up(i int) bool {
	x := h.s[i]
	start := i
	for i > 0 {
		p := (i - 1) / arity
		if !x.less(&h.s[p]) {
			break
		}
		h.s[i] = h.s[p]
		h.s[i].it.index = i + 1
		i = p
	}
	h.s[i] = x
	x.it.index = i + 1
	return i != start
}

func (h *Heap[T]) down(i int) {
	x := h.s[i]
	n := len(h.s)
	for {
		first := arity*i + 1
		if first >= n {
			break
		}
		m := first
		end := min(first+arity, n)
		for c := first + 1; c < end; c++ {
			if h.s[c].less(&h.s[m]) {
				m = c
			}
		}
		if !h.s[m].less(&x) {
			break
		}
		h.s[i] = h.s[m]
		h.s[i].it.index = i + 1
		i = m
	}
	h.s[i] = x
	x.it.index = i + 1
}
