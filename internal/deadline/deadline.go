// Package deadline is the router's single timer index: a binary min-heap of
// items ordered by (deadline, tie), with O(log n) schedule, cancel and
// reschedule because each item remembers its position. The tie-break is the
// caller's, so that the order of simultaneous deadlines can be rebuilt from
// durable data after a restart.
package deadline

// Item is one pending deadline. Embed or allocate it once per timer owner and
// reuse it; the zero value is an unscheduled item.
type Item[T any] struct {
	At    int64  // deadline in Unix nanoseconds
	Tie   uint64 // orders items with equal deadlines, smallest first
	index int    // position in the heap + 1; 0 when not scheduled
	Value T
}

// Scheduled reports whether the item is in a heap.
func (it *Item[T]) Scheduled() bool { return it.index > 0 }

// Heap is a min-heap of items. The zero value is empty and ready to use. It is
// not safe for concurrent use.
type Heap[T any] struct {
	items []*Item[T]
}

// Len returns the number of scheduled items.
func (h *Heap[T]) Len() int { return len(h.items) }

// Schedule puts it in the heap at deadline at with tie-break tie, or moves it
// there if it is already scheduled. Items with equal deadlines pop in
// ascending tie order.
func (h *Heap[T]) Schedule(it *Item[T], at int64, tie uint64) {
	if it.index > 0 {
		it.At, it.Tie = at, tie
		i := it.index - 1
		if !h.up(i) {
			h.down(i)
		}
		return
	}
	it.At, it.Tie = at, tie
	h.items = append(h.items, it)
	it.index = len(h.items)
	h.up(len(h.items) - 1)
}

// Cancel removes it from the heap if it is scheduled.
func (h *Heap[T]) Cancel(it *Item[T]) {
	if it.index == 0 {
		return
	}
	i := it.index - 1
	last := len(h.items) - 1
	if i != last {
		h.swap(i, last)
	}
	h.items[last] = nil
	h.items = h.items[:last]
	it.index = 0
	if i != last {
		if !h.up(i) {
			h.down(i)
		}
	}
}

// Peek returns the earliest item, or nil.
func (h *Heap[T]) Peek() *Item[T] {
	if len(h.items) == 0 {
		return nil
	}
	return h.items[0]
}

// PopDue removes and returns the earliest item if its deadline is at or
// before now, else nil.
func (h *Heap[T]) PopDue(now int64) *Item[T] {
	if len(h.items) == 0 || h.items[0].At > now {
		return nil
	}
	it := h.items[0]
	h.Cancel(it)
	return it
}

func (h *Heap[T]) less(i, j int) bool {
	a, b := h.items[i], h.items[j]
	if a.At != b.At {
		return a.At < b.At
	}
	return a.Tie < b.Tie
}

func (h *Heap[T]) swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].index = i + 1
	h.items[j].index = j + 1
}

func (h *Heap[T]) up(i int) bool {
	moved := false
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		h.swap(i, p)
		i = p
		moved = true
	}
	return moved
}

func (h *Heap[T]) down(i int) {
	n := len(h.items)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			return
		}
		h.swap(i, m)
		i = m
	}
}
