package switchboard

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
)

// Tests of host code that misbehaves: an ID source that repeats itself or
// returns nothing, a store that panics.

func TestNewIDThatIsEmptyOrRepeatsIsRefused(t *testing.T) {
	ids := []string{"t1", "", "t1", "t2", "t2"}
	n := 0
	b := newBench(t, &Config{NewID: func() string { id := ids[n]; n++; return id }})
	b.queue("q")
	b.create(TaskInput{QueueID: "q"}) // t1
	for _, want := range []string{"want 1..256 bytes", "the ID of an open task"} {
		_, err := b.r.CreateTask(b.ctx, TaskInput{Name: "x", QueueID: "q"})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("CreateTask = %v, want an error saying %q", err, want)
		}
	}
	task := b.create(TaskInput{QueueID: "q"}) // t2
	if task.Sequence != 2 {
		t.Errorf("t2 has Sequence %d, want 2: refused creates must not consume one", task.Sequence)
	}
	b.must(b.r.Stop(b.ctx, "t2"))
	_, err := b.r.CreateTask(b.ctx, TaskInput{Name: "x", QueueID: "q"}) // t2 again, finished
	if err == nil || !strings.Contains(err.Error(), "an ID the store already holds") {
		t.Fatalf("CreateTask with a finished task's ID = %v, want it explained", err)
	}
}

// panicStore panics in Write while armed.
type panicStore struct {
	*MemoryStore
	armed atomic.Bool
}

func (s *panicStore) Write(ctx context.Context, c *Change) error {
	if s.armed.Load() {
		panic("store bug")
	}
	return s.MemoryStore.Write(ctx, c)
}

func TestStorePanicInCreateTaskConsumesNoSequence(t *testing.T) {
	ps := &panicStore{MemoryStore: NewMemoryStore()}
	ctx := context.Background()
	r, err := NewRouter(ctx, ps, &Config{Clock: NewManualClock(t0)})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(ctx)
	if err := r.PutQueue(ctx, Queue{ID: "q", Name: "q"}); err != nil {
		t.Fatal(err)
	}
	ps.armed.Store(true)
	if _, err := r.CreateTask(ctx, TaskInput{Name: "x", QueueID: "q"}); !errors.Is(err, ErrStorePanicked) {
		t.Fatalf("CreateTask over a panicking store = %v, want ErrStorePanicked", err)
	}
	ps.armed.Store(false)
	task, err := r.CreateTask(ctx, TaskInput{Name: "x", QueueID: "q"})
	if err != nil {
		t.Fatal(err)
	}
	if task.Sequence != 1 {
		t.Errorf("Sequence = %d after a panicked create, want 1", task.Sequence)
	}
	if err := r.Check(); err != nil {
		t.Error(err)
	}
}

func TestUpdateAttributesWithNothingNewWritesNothing(t *testing.T) {
	b := newBench(t, nil)
	b.queue("q")
	task := b.create(TaskInput{QueueID: "q", Attributes: map[string]string{"tier": "gold"}})
	b.sub.Drain()
	for _, attrs := range []map[string]string{nil, {}, {"tier": "gold"}} {
		b.must(b.r.UpdateAttributes(b.ctx, task.ID, attrs))
	}
	if got := b.task(task.ID).Version; got != task.Version {
		t.Errorf("Version %d after updates that change nothing, want %d", got, task.Version)
	}
	if evs := b.sub.Drain(); len(evs) != 0 {
		t.Errorf("events %v for updates that change nothing", evs)
	}
	b.must(b.r.UpdateAttributes(b.ctx, task.ID, map[string]string{"tier": "platinum"}))
	if got := b.task(task.ID).Version; got != task.Version+1 {
		t.Errorf("Version %d after a real update, want %d", got, task.Version+1)
	}
}
