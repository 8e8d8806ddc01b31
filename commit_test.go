package switchboard

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The group-commit pipeline on its own, over a store whose commits the test
// holds and releases: changes made while a group is being written form the
// next group, in decision order; an operation is acknowledged only once its
// group is durable; a failed group fails every change decided after it
// until the router has rebuilt.

// gatedStore is a GroupWriter whose every WriteGroup waits for the test to
// release it, and then applies the group to a MemoryStore (one Write of all
// records in order), or fails as told.
type gatedStore struct {
	mem      *MemoryStore
	started  chan []string // the task IDs of each group, as its write starts
	release  chan error    // what the write returns
	failures atomic.Int32  // onFail calls
}

func newGatedStore() *gatedStore {
	return &gatedStore{mem: NewMemoryStore(), started: make(chan []string, 16), release: make(chan error)}
}

func (s *gatedStore) WriteGroup(ctx context.Context, cs []*Change) error {
	var ids []string
	all := &Change{}
	for _, c := range cs {
		for _, t := range c.Tasks {
			ids = append(ids, fmt.Sprintf("%s@%d", t.ID, t.Version))
		}
		all.Tasks = append(all.Tasks, c.Tasks...)
		all.Events = append(all.Events, c.Events...)
	}
	s.started <- ids
	if err := <-s.release; err != nil {
		if err.Error() == "panic" {
			panic("the database driver crashed")
		}
		return err
	}
	return s.mem.Write(ctx, all)
}

func pipelineOver(t *testing.T, s *gatedStore) (*pipeline, *[][]uint64) {
	t.Helper()
	var mu sync.Mutex
	published := &[][]uint64{}
	p := newPipeline(s, func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) },
		func(cs []*Change) {
			mu.Lock()
			defer mu.Unlock()
			var seqs []uint64
			for _, c := range cs {
				for _, e := range c.Events {
					seqs = append(seqs, e.Seq)
				}
			}
			*published = append(*published, seqs)
		}, func(err error) {
			// The router rebuilds here; the test counts the calls.
			s.failures.Add(1)
		})
	t.Cleanup(p.close)
	return p, published
}

// change is version v of task id, carrying event seq.
func change(id string, v int64, seq uint64) *Change {
	return &Change{Tasks: []*Task{{ID: id, Version: v, State: StateQueued}}, Events: []Event{{Seq: seq, Type: EventTaskQueued, TaskID: id}}}
}

func mustEnqueue(t *testing.T, p *pipeline, c *Change) ticket {
	t.Helper()
	tk, _, err := p.enqueue(c)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func TestPipelineGroupsWhatWaits(t *testing.T) {
	s := newGatedStore()
	p, published := pipelineOver(t, s)
	ctx := context.Background()

	// The first change is written alone.
	first := mustEnqueue(t, p, change("t1", 1, 1))
	if got := <-s.started; !cmp.Equal(got, []string{"t1@1"}) {
		t.Fatalf("first group %v, want [t1@1]", got)
	}
	// While it is being written, five more are decided, one task twice.
	c := change("t2", 1, 2)
	rest := []ticket{mustEnqueue(t, p, c)}
	c.Tasks[0].Version = 99 // the router reuses its change: the pipeline kept a copy
	for _, ch := range []*Change{change("t1", 2, 3), change("t3", 1, 4), change("t1", 3, 5), change("t4", 1, 6)} {
		rest = append(rest, mustEnqueue(t, p, ch))
	}
	select {
	case <-first.g.done:
		t.Fatal("acknowledged before its group was durable")
	default: // its write is held by the test
	}
	s.release <- nil
	if err := first.wait(ctx); err != nil {
		t.Fatal(err)
	}
	// They form the next group, in decision order.
	if got := <-s.started; !cmp.Equal(got, []string{"t2@1", "t1@2", "t3@1", "t1@3", "t4@1"}) {
		t.Fatalf("second group %v, want the five changes in decision order", got)
	}
	s.release <- nil
	for _, tk := range rest {
		if err := tk.wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([][]uint64{{1}, {2, 3, 4, 5, 6}}, *published); diff != "" {
		t.Errorf("events published per group (-want +got):\n%s", diff)
	}
	got, err := s.mem.Task(ctx, "t1")
	if err != nil || got.Version != 3 {
		t.Errorf("t1 in the store: %v, %v; want version 3", got, err)
	}
}

func TestPipelineFailureFailsWhatFollows(t *testing.T) {
	s := newGatedStore()
	p, published := pipelineOver(t, s)
	ctx := context.Background()

	ok := mustEnqueue(t, p, change("t1", 1, 1))
	<-s.started
	s.release <- nil
	if err := ok.wait(ctx); err != nil {
		t.Fatal(err)
	}

	doomed := mustEnqueue(t, p, change("t1", 2, 2))
	<-s.started
	// Decided on top of the doomed change, while it is being written.
	behind := mustEnqueue(t, p, change("t2", 1, 3))
	down := errors.New("connection reset by peer")
	s.release <- down
	for name, tk := range map[string]ticket{"the failed group": doomed, "the group behind it": behind} {
		err := tk.wait(ctx)
		var se *StoreError
		if !errors.Is(err, down) || !errors.As(err, &se) {
			t.Errorf("%s: %v, want a *StoreError wrapping the store's error", name, err)
		}
	}
	// The router was told before any ticket was released.
	if n := s.failures.Load(); n != 1 {
		t.Errorf("onFail called %d times before the failed tickets were released, want 1", n)
	}
	// Until the router has rebuilt, nothing more is taken.
	if _, _, err := p.enqueue(change("t3", 1, 4)); !errors.Is(err, down) {
		t.Errorf("enqueue after a failed flush: %v, want the failure", err)
	}
	p.reset()
	again := mustEnqueue(t, p, change("t3", 1, 4))
	<-s.started
	s.release <- errors.New("panic")
	if err := again.wait(ctx); !errors.Is(err, ErrStorePanicked) {
		t.Errorf("a WriteGroup that panicked: %v, want an error matching ErrStorePanicked", err)
	}
	if diff := cmp.Diff([][]uint64{{1}}, *published); diff != "" {
		t.Errorf("only the durable group's events are published (-want +got):\n%s", diff)
	}
	if _, err := s.mem.Task(ctx, "t2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("t2, decided behind a failed change, reached the store: %v", err)
	}
}

func TestPipelineWaitAndClose(t *testing.T) {
	s := newGatedStore()
	p, _ := pipelineOver(t, s)
	tk := mustEnqueue(t, p, change("t1", 1, 1))
	<-s.started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := tk.wait(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("wait with an ended ctx: %v, want context.Canceled", err)
	}
	// Close writes what is queued and then refuses.
	queued := mustEnqueue(t, p, change("t2", 1, 2))
	closed := make(chan struct{})
	go func() { p.close(); close(closed) }()
	s.release <- nil
	<-s.started
	s.release <- nil
	<-closed
	if err := queued.wait(context.Background()); err != nil {
		t.Errorf("a change queued before close: %v, want it written", err)
	}
	if _, _, err := p.enqueue(change("t3", 1, 3)); !errors.Is(err, errPipelineClosed) {
		t.Errorf("enqueue after close: %v", err)
	}
}

// waitIn waits on tk in a goroutine of its own, as a caller of the router
// does, and returns its result channel once the caller is counted.
func waitIn(t *testing.T, p *pipeline, tk ticket) <-chan error {
	t.Helper()
	p.mu.Lock()
	before := tk.g.waiters
	p.mu.Unlock()
	res := make(chan error, 1)
	go func() { res <- tk.wait(context.Background()) }()
	for {
		p.mu.Lock()
		n := tk.g.waiters
		p.mu.Unlock()
		if n > before {
			return res
		}
		time.Sleep(time.Millisecond)
	}
}

// Three agents' operations are in the pipeline: ana's change is being
// written while bob's and cat's wait in the open group. When ana's write
// ends she comes straight back with her next change, and the flusher holds
// the open group for her, so that the three go in one write; without the
// hold bob and cat would be written alone and ana a whole write later.
func TestPipelineGathersTheCallersItReleased(t *testing.T) {
	s := newGatedStore()
	p, _ := pipelineOver(t, s)
	t.Cleanup(func() { // after a failure, let the writes held end so that close returns
		go func() {
			for {
				select {
				case s.release <- nil:
				case <-time.After(time.Second):
					return
				}
			}
		}()
	})
	p.mu.Lock()
	p.holdFor = func(time.Duration) time.Duration { return time.Minute }
	p.mu.Unlock()

	ana := waitIn(t, p, mustEnqueue(t, p, change("ana-1", 1, 1)))
	if got := <-s.started; !cmp.Equal(got, []string{"ana-1@1"}) {
		t.Fatalf("first group %v, want ana's change alone", got)
	}
	bob := waitIn(t, p, mustEnqueue(t, p, change("bob-1", 1, 2)))
	cat := waitIn(t, p, mustEnqueue(t, p, change("cat-1", 1, 3)))
	s.release <- nil
	if err := <-ana; err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-s.started:
		t.Fatalf("group %v written while ana, released by the last write, had not come back", got)
	case <-time.After(50 * time.Millisecond):
	}
	ana = waitIn(t, p, mustEnqueue(t, p, change("ana-1", 2, 4)))
	if got := <-s.started; !cmp.Equal(got, []string{"bob-1@1", "cat-1@1", "ana-1@2"}) {
		t.Fatalf("second group %v, want bob's, cat's and ana's changes together", got)
	}
	s.release <- nil
	for _, res := range []<-chan error{ana, bob, cat} {
		if err := <-res; err != nil {
			t.Fatal(err)
		}
	}

	// Ana goes home. The flusher expects all three back, holds the open
	// group for her as long as it may (here 20 ms), then writes it anyway.
	p.mu.Lock()
	p.holdFor = func(time.Duration) time.Duration { return 20 * time.Millisecond }
	p.mu.Unlock()
	bob = waitIn(t, p, mustEnqueue(t, p, change("bob-1", 2, 5)))
	cat = waitIn(t, p, mustEnqueue(t, p, change("cat-1", 2, 6)))
	start := time.Now()
	if got := <-s.started; !cmp.Equal(got, []string{"bob-1@2", "cat-1@2"}) {
		t.Fatalf("third group %v, want bob's and cat's changes", got)
	}
	if held := time.Since(start); held < 10*time.Millisecond {
		t.Errorf("the third group was written after %v; want it held for ana about 20 ms", held)
	}
	s.release <- nil
	for _, res := range []<-chan error{bob, cat} {
		if err := <-res; err != nil {
			t.Fatal(err)
		}
	}
	// Now two callers are expected: the next group does not wait for a third.
	bob = waitIn(t, p, mustEnqueue(t, p, change("bob-1", 3, 7)))
	cat = waitIn(t, p, mustEnqueue(t, p, change("cat-1", 3, 8)))
	if got := <-s.started; !cmp.Equal(got, []string{"bob-1@3", "cat-1@3"}) {
		t.Fatalf("fourth group %v, want bob's and cat's changes", got)
	}
	s.release <- nil
	for _, res := range []<-chan error{bob, cat} {
		if err := <-res; err != nil {
			t.Fatal(err)
		}
	}
}
