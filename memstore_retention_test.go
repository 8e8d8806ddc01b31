package switchboard

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Stories of the memory store's retention: finished tasks go, oldest first,
// once there are more than MaxFinished of them; what a chain or a client
// token still needs stays.

func TestMemoryStoreKeepsTheLastFinishedTasks(t *testing.T) {
	b := newBench(t, nil)
	b.store.MaxFinished = 3
	b.queue("q")
	var ids []string
	for range 6 {
		task := b.create(TaskInput{QueueID: "q"})
		b.must(b.r.Stop(b.ctx, task.ID))
		ids = append(ids, task.ID)
		b.clock.Advance(time.Second)
	}
	open := b.create(TaskInput{QueueID: "q"})
	if got := b.store.Len(); got != 4 {
		t.Fatalf("store holds %d tasks, want 3 finished + 1 open", got)
	}
	for _, id := range ids[:3] {
		_, err := b.r.Task(b.ctx, id)
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "pruned 3") {
			t.Errorf("Task(%s) = %v, want not found, saying finished tasks were pruned", id, err)
		}
	}
	for _, id := range append(ids[3:], open.ID) {
		b.task(id)
	}
	if got := b.store.Pruned(); got != 3 {
		t.Errorf("Pruned() = %d, want 3", got)
	}
}

func TestMemoryStoreKeepsWhatAnOpenChainNeeds(t *testing.T) {
	b := newBench(t, nil)
	b.store.MaxFinished = 1
	b.queue("q")
	b.queue("escalations")
	first := b.create(TaskInput{QueueID: "q"})
	second, err := b.r.Transfer(b.ctx, first.ID, TransferTarget{QueueID: "escalations"})
	b.must(err)
	for range 5 { // plenty of other finished work
		task := b.create(TaskInput{QueueID: "q"})
		b.must(b.r.Stop(b.ctx, task.ID))
	}
	b.task(first.ID) // finished, but its chain's second segment is open
	b.must(b.r.UpdateAttributes(b.ctx, second.ID, map[string]string{"tier": "gold"}))
	if got := b.task(first.ID).Attributes["tier"]; got != "gold" {
		t.Errorf("the first segment did not receive the chain's update: %q", got)
	}
	b.must(b.r.Stop(b.ctx, second.ID))
	for range 5 {
		task := b.create(TaskInput{QueueID: "q"})
		b.must(b.r.Stop(b.ctx, task.ID))
	}
	if _, err := b.r.Task(b.ctx, first.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("once the chain closed, the first segment is still kept: %v", err)
	}
}

func TestMemoryStoreKeepsATaskItsClientTokenReturns(t *testing.T) {
	b := newBench(t, nil)
	b.store.MaxFinished = 1
	b.queue("q")
	tok := b.create(TaskInput{QueueID: "q", ClientToken: "crm-4411"})
	b.must(b.r.Stop(b.ctx, tok.ID))
	for range 5 {
		task := b.create(TaskInput{QueueID: "q"})
		b.must(b.r.Stop(b.ctx, task.ID))
	}
	if got, err := b.store.TaskByClientToken(b.ctx, "crm-4411"); err != nil || got.ID != tok.ID {
		t.Fatalf("TaskByClientToken = %v, %v; want the first task while its token lives", got, err)
	}
	b.clock.Advance(ClientTokenTTLDefault + time.Hour)
	for range 5 {
		task := b.create(TaskInput{QueueID: "q"})
		b.must(b.r.Stop(b.ctx, task.ID))
	}
	if _, err := b.store.TaskByClientToken(b.ctx, "crm-4411"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after the token's 7 days the task is still kept: %v", err)
	}
}

func TestMemoryStoreFinishedTTL(t *testing.T) {
	b := newBench(t, nil)
	b.store.MaxFinished = -1 // no count limit
	b.store.FinishedTTL = time.Hour
	b.queue("q")
	early := b.create(TaskInput{QueueID: "q"})
	b.must(b.r.Stop(b.ctx, early.ID))
	b.clock.Advance(30 * time.Minute)
	mid := b.create(TaskInput{QueueID: "q"})
	b.must(b.r.Stop(b.ctx, mid.ID))
	b.task(early.ID)
	b.clock.Advance(45 * time.Minute)
	late := b.create(TaskInput{QueueID: "q"})
	b.must(b.r.Stop(b.ctx, late.ID))
	if _, err := b.r.Task(b.ctx, early.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("a task finished 75 minutes before the newest is kept with a 1 h TTL: %v", err)
	}
	b.task(mid.ID)
}

// TestMemoryFlatOverAMillionLifecycles runs 10⁶ task lifecycles through the
// default router and memory store (100 agents, 10,000 waiting) and reports
// the heap every 10⁵: after warm-up it must stay flat. Long: set
// SWITCHBOARD_LONG=1.
func TestMemoryFlatOverAMillionLifecycles(t *testing.T) {
	if os.Getenv("SWITCHBOARD_LONG") == "" {
		t.Skip("long: set SWITCHBOARD_LONG=1")
	}
	clock := NewManualClock(t0)
	n := 0
	r, err := NewRouter(t.Context(), nil, &Config{Clock: clock, NewID: func() string { n++; return fmt.Sprint("t", n) }})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(t.Context())
	ctx := t.Context()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(r.PutQueue(ctx, Queue{ID: "q", Name: "q"}))
	must(r.PutRoutingProfile(ctx, RoutingProfile{ID: "p", Concurrency: []MediaConcurrency{{Channel: ChannelTask, Concurrency: 1}},
		Queues: []QueueConfig{{QueueID: "q", Priority: 1}}}))
	for i := range 100 {
		must(r.PutAgent(ctx, Agent{ID: fmt.Sprint("a", i), RoutingProfileID: "p", Status: StatusAvailable, AutoAccept: []Channel{ChannelTask}}))
	}
	for range 10_000 {
		_, err := r.CreateTask(ctx, TaskInput{Name: "x", QueueID: "q"})
		must(err)
	}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	var first uint64
	for i := 1; i <= 1_000_000; i++ {
		// Each agent holds one connected task; finish the oldest held task and
		// add a new one: the freed agent takes the next waiting task.
		agent := fmt.Sprint("a", i%100)
		held, err := r.AgentTasks(agent)
		must(err)
		for _, h := range held {
			must(r.Complete(ctx, h.ID))
			must(r.CloseAfterContactWork(ctx, h.ID))
		}
		_, err = r.CreateTask(ctx, TaskInput{Name: "x", QueueID: "q"})
		must(err)
		clock.Advance(time.Millisecond)
		if i%100_000 == 0 {
			h := heap()
			t.Logf("%7d lifecycles: heap in use %6.1f MB", i, float64(h)/1e6)
			if i == 200_000 {
				first = h
			}
			if first > 0 && h > first*3/2 {
				t.Errorf("heap grew from %d to %d bytes after warm-up", first, h)
			}
		}
	}
}

// TestMemoryPerTask measures the heap a waiting task and a retained finished
// task cost on the default router and memory store (the README quotes it).
// Long: set SWITCHBOARD_LONG=1.
func TestMemoryPerTask(t *testing.T) {
	if os.Getenv("SWITCHBOARD_LONG") == "" {
		t.Skip("long: set SWITCHBOARD_LONG=1")
	}
	const n = 100_000
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	ctx := t.Context()
	store := NewMemoryStore()
	store.MaxFinished = -1
	ids := 0
	r, err := NewRouter(ctx, store, &Config{Clock: NewManualClock(t0), NewID: func() string { ids++; return fmt.Sprintf("task-%08d", ids) }})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(ctx)
	if err := r.PutQueue(ctx, Queue{ID: "q", Name: "q"}); err != nil {
		t.Fatal(err)
	}
	in := TaskInput{Name: "Call back about order 1042", QueueID: "q", Attributes: map[string]string{"customer": "C-1042", "tier": "gold"}}
	before := heap()
	var created []string
	for range n {
		task, err := r.CreateTask(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		created = append(created, task.ID)
	}
	waiting := heap()
	for _, id := range created {
		if err := r.Stop(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	created = nil
	finished := heap()
	t.Logf("per waiting task (router + store): %d bytes", (waiting-before)/n)
	t.Logf("per retained finished task (store): %d bytes", (finished-before)/n)
}
