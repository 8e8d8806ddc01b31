// Package deadline is the router's single timer index: a 4-ary min-heap
// ordered by (deadline, tie), with O(log n) schedule, cancel and reschedule.
// The keys live in the heap's own array, and each scheduled item has a small
// integer handle whose position the heap keeps in a dense array of its own:
// sifting reads and writes only those two arrays, never the items (which
// live in their owners, scattered over the heap, and would each cost a cache
// miss). The tie-break is the caller's, so that the order of simultaneous
// deadlines can be rebuilt from durable data after a restart.
package deadline

// Item is one pending deadline. Embed it in its owner and reuse it; the zero
// value is an unscheduled item. An item is in at most one heap at a time.
type Item[T any] struct {
	At    int64  // deadline in Unix nanoseconds, while scheduled
	Tie   uint64 // orders items with equal deadlines, smallest first
	id    int32  // handle in the heap + 1 while scheduled; 0 when not
	Value T
}

// Scheduled reports whether the item is in a heap.
func (it *Item[T]) Scheduled() bool { return it.id > 0 }

// slot is one heap entry: a key and the handle of its item. It holds no
// pointer, so the garbage collector does not scan the heap's array.
type slot struct {
	at  int64
	tie uint64
	id  int32 // handle + 1
}

func (a *slot) less(b *slot) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	return a.tie < b.tie
}

// Heap is a min-heap of items. The zero value is empty and ready to use. It is
// not safe for concurrent use.
type Heap[T any] struct {
	s     []slot
	pos   []int32    // pos[h] is the position in s of the item with handle h
	items []*Item[T] // items[h] is the item with handle h, nil when free
	free  []int32    // handles to reuse, so that pos and items stay dense
}

const arity = 4

// Len returns the number of scheduled items.
func (h *Heap[T]) Len() int { return len(h.s) }

// Schedule puts it in the heap at deadline at with tie-break tie, or moves it
// there if it is already scheduled. Items with equal deadlines pop in
// ascending tie order.
func (h *Heap[T]) Schedule(it *Item[T], at int64, tie uint64) {
	it.At, it.Tie = at, tie
	if it.id > 0 {
		i := h.pos[it.id-1]
		h.s[i].at, h.s[i].tie = at, tie
		h.fix(int(i))
		return
	}
	var hd int32
	if n := len(h.free); n > 0 {
		hd = h.free[n-1]
		h.free = h.free[:n-1]
		h.items[hd] = it
	} else {
		hd = int32(len(h.items))
		h.items = append(h.items, it)
		h.pos = append(h.pos, 0)
	}
	it.id = hd + 1
	h.s = append(h.s, slot{at: at, tie: tie, id: hd + 1})
	h.pos[hd] = int32(len(h.s) - 1)
	h.up(len(h.s) - 1)
}

// Cancel removes it from the heap if it is scheduled.
func (h *Heap[T]) Cancel(it *Item[T]) {
	if it.id == 0 {
		return
	}
	hd := it.id - 1
	it.id = 0
	i := int(h.pos[hd])
	h.items[hd] = nil
	h.free = append(h.free, hd)
	last := len(h.s) - 1
	if i != last {
		h.s[i] = h.s[last]
		h.pos[h.s[i].id-1] = int32(i)
	}
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
	return h.items[h.s[0].id-1]
}

// PopDue removes and returns the earliest item if its deadline is at or
// before now, else nil.
func (h *Heap[T]) PopDue(now int64) *Item[T] {
	if len(h.s) == 0 || h.s[0].at > now {
		return nil
	}
	it := h.items[h.s[0].id-1]
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
		h.pos[h.s[i].id-1] = int32(i)
		i = p
	}
	h.s[i] = x
	h.pos[x.id-1] = int32(i)
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
		h.pos[h.s[i].id-1] = int32(i)
		i = m
	}
	h.s[i] = x
	h.pos[x.id-1] = int32(i)
}
