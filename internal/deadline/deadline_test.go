package deadline

import (
	"math/rand/v2"
	"sort"
	"testing"
)

// TestHeapMatchesSortedModel schedules, reschedules and cancels random items
// and checks that popping yields exactly the order of a sorted model.
func TestHeapMatchesSortedModel(t *testing.T) {
	seed := uint64(rand.Int64())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	var h Heap[int]
	items := make([]*Item[int], 200)
	for i := range items {
		items[i] = &Item[int]{Value: i}
	}
	for step := 0; step < 5000; step++ {
		it := items[rng.IntN(len(items))]
		if rng.IntN(4) == 0 {
			h.Cancel(it)
		} else {
			h.Schedule(it, rng.Int64N(100), uint64(it.Value)) // ties unique, as the router's are
		}
	}
	var model []*Item[int]
	for _, it := range items {
		if it.Scheduled() {
			model = append(model, it)
		}
	}
	if len(model) != h.Len() {
		t.Fatalf("heap holds %d items, model %d", h.Len(), len(model))
	}
	sort.Slice(model, func(i, j int) bool {
		if model[i].At != model[j].At {
			return model[i].At < model[j].At
		}
		return model[i].Tie < model[j].Tie
	})
	for i, want := range model {
		got := h.PopDue(1 << 62)
		if got != want {
			t.Fatalf("pop %d: got item %d at %d, want item %d at %d", i, got.Value, got.At, want.Value, want.At)
		}
	}
	if h.PopDue(1<<62) != nil {
		t.Fatal("heap not empty after popping every item")
	}
}

func TestPopDueRespectsNow(t *testing.T) {
	var h Heap[string]
	a, b := &Item[string]{Value: "a"}, &Item[string]{Value: "b"}
	h.Schedule(a, 10, 0)
	h.Schedule(b, 20, 0)
	if got := h.PopDue(5); got != nil {
		t.Fatalf("PopDue(5) = %v, want nothing due", got.Value)
	}
	if got := h.PopDue(10); got != a {
		t.Fatalf("PopDue(10) did not return a")
	}
	if got := h.PopDue(15); got != nil {
		t.Fatalf("PopDue(15) = %v, want nothing due", got.Value)
	}
}

// Handles of cancelled and popped items are reused: the heap's arrays grow
// with the number of items scheduled at once, not with the number ever
// scheduled, and keep no pointer to an item no longer in the heap.
func TestHandlesAreReused(t *testing.T) {
	var h Heap[int]
	items := make([]*Item[int], 10)
	for i := range items {
		items[i] = &Item[int]{Value: i}
	}
	for round := range 1000 {
		for i, it := range items {
			h.Schedule(it, int64(round*10+i), 0)
		}
		for i, it := range items {
			if i%2 == 0 {
				h.Cancel(it)
			} else if got := h.PopDue(1 << 62); got == nil {
				t.Fatalf("round %d: nothing due", round)
			}
		}
		// Cancelling every even item first: the rest pop in order.
		for _, it := range items {
			h.Cancel(it)
		}
	}
	if h.Len() != 0 {
		t.Fatalf("heap holds %d items, want 0", h.Len())
	}
	if len(h.items) > len(items) || len(h.pos) > len(items) {
		t.Fatalf("heap arrays hold %d handles for %d items", len(h.items), len(items))
	}
	for hd, it := range h.items {
		if it != nil {
			t.Fatalf("handle %d still names item %d", hd, it.Value)
		}
	}
}
