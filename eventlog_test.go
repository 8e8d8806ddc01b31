package switchboard

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Tests of the lossless event log: consumers attached through Config see
// every event exactly once and in order, including the rebuild's, and the
// log continues across restarts.

// eventRecorder is a Consumer that keeps what it receives.
type eventRecorder struct {
	mu     sync.Mutex
	events []Event
}

func (c *eventRecorder) Consume(e Event) {
	c.mu.Lock()
	c.events = append(c.events, e)
	c.mu.Unlock()
}

func (c *eventRecorder) all() []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Event(nil), c.events...)
}

// waitLen waits until the recorder holds at least n events.
func (c *eventRecorder) waitLen(t testing.TB, n int) []Event {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		evs := c.all()
		if len(evs) >= n {
			return evs
		}
		if time.Now().After(deadline) {
			t.Fatalf("consumer holds %d events after 10 s, want %d", len(evs), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// checkLog fails unless evs is numbered from first without gap or repeat.
func checkLog(t testing.TB, evs []Event, first uint64) {
	t.Helper()
	for i, e := range evs {
		if want := first + uint64(i); e.Seq != want {
			t.Fatalf("event %d (%s) has Seq %d, want %d: a gap or a repeat", i, e.Type, e.Seq, want)
		}
	}
}

func TestEventLogContinuesAcrossRestartAndShowsTheRebuild(t *testing.T) {
	// Given ana with a live offer when the process stops,
	before := &eventRecorder{}
	b := newBench(t, &Config{Consumers: []Consumer{before}})
	b.queue("billing")
	b.profile("tier1", 1, "billing")
	b.agent("ana", "tier1")
	b.put(Agent{ID: "ben", RoutingProfileID: "tier1", Status: StatusOffline})
	b.create(TaskInput{QueueID: "billing"})
	b.create(TaskInput{QueueID: "billing"})
	b.must(b.r.Close(b.ctx))
	beforeLog := before.all()
	checkLog(t, beforeLog, 1)

	// when the offer times out while no router runs and a new router starts
	// with a consumer attached before it rebuilds,
	b.clock.Set(t0.Add(time.Minute))
	after := &eventRecorder{}
	b.open(&Config{Consumers: []Consumer{after}, MissedPolicy: StayAvailable})
	b.status("ben", StatusAvailable)
	b.must(b.r.Close(b.ctx))

	// then the consumer sees the miss and the re-offer the rebuild made,
	// and the two logs join without a gap or a repeated Seq.
	afterLog := after.all()
	if len(afterLog) == 0 {
		t.Fatal("the consumer saw nothing of the rebuild")
	}
	checkLog(t, afterLog, beforeLog[len(beforeLog)-1].Seq+1)
	var types []string
	for _, e := range afterLog {
		types = append(types, fmt.Sprintf("%s %s %s", e.Type, e.TaskID, e.AgentID))
	}
	want := []string{
		"task.missed t1 ana",        // rebuild: the offer's deadline passed while down
		"task.offered t2 ana",       // rebuild: ana stays available and t1 prefers others
		"agent.status_changed  ben", // after NewRouter
		"task.offered t1 ben",
	}
	if fmt.Sprint(types) != fmt.Sprint(want) {
		t.Fatalf("after the restart the consumer saw %q, want %q", types, want)
	}
	if afterLog[0].PreviousState != StateOffered || afterLog[0].State != StateQueued {
		t.Errorf("missed event states %s -> %s, want OFFERED -> QUEUED", afterLog[0].PreviousState, afterLog[0].State)
	}
}

func TestEventLogUnstoredSeqsAreWrittenAtClose(t *testing.T) {
	// A routing step is an event no store write carries; Close writes its
	// Seq so the next router does not reuse it.
	rec := &eventRecorder{}
	b := newBench(t, &Config{Consumers: []Consumer{rec}})
	b.queue("q")
	b.profile("p", 1, "q")
	_, err := b.r.CreateTask(b.ctx, TaskInput{Name: "x", QueueID: "q", RoutingCriteria: &RoutingCriteria{Steps: []RoutingStep{
		{Requirement: Proficient("Language", "French", 3), Expiry: 10 * time.Second},
	}}})
	b.must(err)
	b.clock.Advance(10 * time.Second) // task.routing_step, no write
	b.must(b.r.Close(b.ctx))
	evs := rec.all()
	if last := evs[len(evs)-1]; last.Type != EventTaskRoutingStep {
		t.Fatalf("last event %s, want %s", last.Type, EventTaskRoutingStep)
	}
	snap, err := b.store.Load(b.ctx)
	b.must(err)
	if got, want := snap.LastEventSeq, evs[len(evs)-1].Seq; got != want {
		t.Errorf("store's LastEventSeq = %d, want %d", got, want)
	}
}

func TestEventLogRefusedWriteNumbersNothing(t *testing.T) {
	// A change the store refuses publishes none of its events and uses no Seq.
	rec := &eventRecorder{}
	fs := &failStore{MemoryStore: NewMemoryStore()}
	r, err := NewRouter(context.Background(), fs, &Config{Clock: NewManualClock(t0), Consumers: []Consumer{rec}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := r.PutQueue(ctx, Queue{ID: "q", Name: "q"}); err != nil {
		t.Fatal(err)
	}
	fs.fail.Store(true)
	if _, err := r.CreateTask(ctx, TaskInput{Name: "lost", QueueID: "q"}); err == nil {
		t.Fatal("CreateTask succeeded over a failing store")
	}
	fs.fail.Store(false)
	if _, err := r.CreateTask(ctx, TaskInput{Name: "kept", QueueID: "q"}); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	evs := rec.all()
	checkLog(t, evs, 1)
	if len(evs) != 3 || evs[0].Type != EventQueueUpdated || evs[1].Type != EventTaskCreated || evs[2].Type != EventTaskQueued {
		t.Errorf("events %v, want the queue's, then created and queued of the kept task only", evs)
	}
}

// failStore is a MemoryStore whose writes fail while fail is set.
type failStore struct {
	*MemoryStore
	fail atomic.Bool
}

func (s *failStore) Write(ctx context.Context, c *Change) error {
	if s.fail.Load() {
		return errors.New("disk full")
	}
	return s.MemoryStore.Write(ctx, c)
}

func TestEventsCarryWhatConsumersNeed(t *testing.T) {
	rec := &eventRecorder{}
	b := newBench(t, &Config{Consumers: []Consumer{rec}})
	b.queue("billing")
	b.profile("tier1", 1, "billing")
	b.agent("ana", "tier1")
	task, err := b.r.CreateTask(b.ctx, TaskInput{Name: "call back", QueueID: "billing", Priority: 2, Channel: ChannelTask})
	b.must(err)
	b.must(b.r.Close(b.ctx))
	var offered *Event
	for _, e := range rec.all() {
		if e.Type == EventTaskOffered {
			offered = &e
		}
	}
	if offered == nil {
		t.Fatal("no offer event")
	}
	want := Event{
		Seq: offered.Seq, Type: EventTaskOffered, Time: t0, TaskID: task.ID, AgentID: "ana", QueueID: "billing",
		Channel: ChannelTask, RoutingProfileID: "tier1", InitiationMethod: InitiatedByAPI, Priority: 2,
		PreviousState: StateQueued, State: StateOffered, Version: 2, OfferExpiresAt: t0.Add(OfferTimeoutDefault),
		ExpiresAt: task.ExpiresAt, InitialTaskID: task.ID,
	}
	if !task.ExpiresAt.Equal(t0.Add(DefaultTaskDurationDefault)) {
		t.Errorf("task expires at %v, want the default duration after creation", task.ExpiresAt)
	}
	if *offered != want {
		t.Errorf("offer event\n got %+v\nwant %+v", *offered, want)
	}
}

func TestLosslessConsumerUnderEightProducers(t *testing.T) {
	// Every event reaches the consumer exactly once, in order, however
	// slow it is, while eight goroutines create and stop tasks.
	n := 1_000_000
	if testing.Short() || raceEnabled {
		n = 100_000
	}
	var got atomic.Uint64
	var next uint64 = 1
	var bad atomic.Value
	slow := ConsumerFunc(func(e Event) {
		if e.Seq != next && bad.Load() == nil {
			bad.Store(fmt.Sprintf("got Seq %d, want %d", e.Seq, next))
		}
		next = e.Seq + 1
		got.Add(1)
	})
	ctx := context.Background()
	r, err := NewRouter(ctx, NewMemoryStore(), &Config{Clock: NewManualClock(t0), Consumers: []Consumer{slow}})
	if err != nil {
		t.Fatal(err)
	}
	const producers = 8
	per := n / producers / 3 // create: 2 events, stop: 1
	createAndStop(t, r, producers, per)
	emitted := emittedEvents(r)
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if msg := bad.Load(); msg != nil {
		t.Fatal(msg)
	}
	if got.Load() != emitted || emitted < uint64(producers*per*3) {
		t.Errorf("consumer got %d events, router emitted %d (want ≥ %d)", got.Load(), emitted, producers*per*3)
	}
}

func TestConsumerPanicIsLoggedAndDeliveryGoesOn(t *testing.T) {
	var logs bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &logMu}, nil))
	rec := &eventRecorder{}
	bad := ConsumerFunc(func(e Event) {
		if e.Type == EventTaskQueued {
			panic("consumer bug")
		}
		rec.Consume(e)
	})
	b := newBench(t, &Config{Consumers: []Consumer{bad}, Logger: logger})
	b.queue("q")
	b.create(TaskInput{QueueID: "q"})
	b.create(TaskInput{QueueID: "q"})
	b.must(b.r.Close(b.ctx))
	if n := len(rec.all()); n != 3 {
		t.Errorf("consumer kept %d events, want the queue's and the 2 created events", n)
	}
	logMu.Lock()
	defer logMu.Unlock()
	if !strings.Contains(logs.String(), "consumer bug") || strings.Count(logs.String(), "panicked") != 2 {
		t.Errorf("log = %q, want two panics reported", logs.String())
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestCloseReportsAConsumerThatDoesNotFinish(t *testing.T) {
	release := make(chan struct{})
	stuck := ConsumerFunc(func(Event) { <-release })
	baseline := runtime.NumGoroutine()
	ctx := context.Background()
	r, err := NewRouter(ctx, nil, &Config{Clock: NewManualClock(t0), Consumers: []Consumer{stuck}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.PutQueue(ctx, Queue{ID: "q", Name: "q"}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateTask(ctx, TaskInput{Name: "x", QueueID: "q"}); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	err = r.Close(short)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "consumer 0 has 3 events to take") {
		t.Fatalf("Close = %v, want the consumer's 3 untaken events (queue, created, queued) and the deadline", err)
	}
	close(release)
	if err := r.Close(ctx); err != nil { // waits for what the first left
		t.Fatalf("second Close = %v", err)
	}
	waitGoroutines(t, baseline)
}

func TestSubscriptionFilterAndIterator(t *testing.T) {
	b := newBench(t, nil)
	b.queue("billing")
	b.queue("sales")
	sub := b.r.Subscribe(&SubscribeOptions{Filter: &EventFilter{QueueID: "sales", Types: []EventType{EventTaskQueued}}})
	b.create(TaskInput{QueueID: "billing"})
	b.create(TaskInput{QueueID: "sales"})
	b.create(TaskInput{QueueID: "sales"})
	ctx, cancel := context.WithCancel(b.ctx)
	defer cancel()
	var got []string
	for e, err := range sub.Events(ctx) {
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("iterator ended with %v", err)
			}
			break
		}
		got = append(got, e.TaskID)
		if len(got) == 2 {
			cancel()
		}
	}
	if fmt.Sprint(got) != "[t2 t3]" {
		t.Errorf("filtered events %v, want [t2 t3]", got)
	}
	filtered := &eventRecorder{}
	c := Filtered(EventFilter{TaskID: "t2"}, filtered)
	for _, e := range b.sub.Drain() {
		c.Consume(e)
	}
	for _, e := range filtered.all() {
		if e.TaskID != "t2" {
			t.Errorf("Filtered passed an event of %s", e.TaskID)
		}
	}
	if len(filtered.all()) != 2 {
		t.Errorf("Filtered passed %d events of t2, want 2", len(filtered.all()))
	}
}

func TestZeroMemoryStoreWorks(t *testing.T) {
	ctx := context.Background()
	r, err := NewRouter(ctx, &MemoryStore{}, &Config{Clock: NewManualClock(t0)})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(ctx)
	if err := r.PutQueue(ctx, Queue{ID: "q", Name: "q"}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateTask(ctx, TaskInput{Name: "x", QueueID: "q"}); err != nil {
		t.Fatal(err)
	}
}

// nilSnapshotStore returns (nil, nil) from Load: a store bug NewRouter must
// report, not crash on.
type nilSnapshotStore struct{ *MemoryStore }

func (nilSnapshotStore) Load(context.Context) (*Snapshot, error) { return nil, nil }

func TestNewRouterRefusesANilSnapshot(t *testing.T) {
	_, err := NewRouter(context.Background(), nilSnapshotStore{NewMemoryStore()}, nil)
	var se *StoreError
	if !errors.As(err, &se) {
		t.Fatalf("NewRouter = %v, want a *StoreError", err)
	}
}

// snapshotStore returns a fixed snapshot from Load.
type snapshotStore struct {
	*MemoryStore
	snap *Snapshot
}

func (s snapshotStore) Load(context.Context) (*Snapshot, error) { return s.snap, nil }

func TestNewRouterRefusesACorruptSnapshot(t *testing.T) {
	for name, snap := range map[string]*Snapshot{
		"nil task":        {OpenTasks: []*Task{nil}},
		"nil queue":       {Queues: []*Queue{nil}},
		"nil agent":       {Agents: []*Agent{nil}},
		"nil profile":     {Profiles: []*RoutingProfile{nil}},
		"task without ID": {OpenTasks: []*Task{{State: StateQueued}}},
		"task twice":      {Queues: []*Queue{{ID: "q", Name: "q"}}, OpenTasks: []*Task{{ID: "t", State: StateQueued, QueueID: "q"}, {ID: "t", State: StateQueued, QueueID: "q"}}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := NewRouter(context.Background(), snapshotStore{NewMemoryStore(), snap}, &Config{Clock: NewManualClock(t0)})
			var se *StoreError
			if !errors.As(err, &se) {
				t.Fatalf("NewRouter = %v, want a *StoreError", err)
			}
		})
	}
}

func TestConfigurationChangesAreEvents(t *testing.T) {
	rec := &eventRecorder{}
	b := newBench(t, &Config{Consumers: []Consumer{rec}})
	b.queue("billing")
	b.profile("tier1", 1, "billing")
	b.must(b.r.PutRoutingProfile(b.ctx, RoutingProfile{ID: "tier1",
		Concurrency: []MediaConcurrency{{Channel: ChannelTask, Concurrency: 3}}}))
	b.must(b.r.DeleteRoutingProfile(b.ctx, "tier1"))
	b.must(b.r.DeleteQueue(b.ctx, "billing"))
	b.must(b.r.Close(b.ctx))
	var got []string
	for _, e := range rec.all() {
		got = append(got, fmt.Sprintf("%s %s%s", e.Type, e.QueueID, e.RoutingProfileID))
	}
	want := []string{
		"queue.updated billing", "routing_profile.updated tier1", "routing_profile.updated tier1",
		"routing_profile.deleted tier1", "queue.deleted billing",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("events %q, want %q", got, want)
	}
}

// createAndStop makes producers goroutines each create a task in a new
// queue "q" and stop it, per times over (three events a task), and returns
// once they are done.
func createAndStop(t *testing.T, r *Router, producers, per int) {
	t.Helper()
	ctx := context.Background()
	if err := r.PutQueue(ctx, Queue{ID: "q", Name: "q"}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range producers {
		wg.Go(func() {
			for range per {
				task, err := r.CreateTask(ctx, TaskInput{Name: "x", QueueID: "q"})
				if err == nil {
					err = r.Stop(ctx, task.ID)
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// Close with a consumer slower than its ctx still stores the Seq of the
// events no change carried (a routing step here): the consumers' catching
// up may use up ctx, but not the write that keeps a restarted router from
// reusing those Seqs.
func TestCloseStoresTheLastSeqEvenWhenAConsumerUsesUpItsCtx(t *testing.T) {
	release := make(chan struct{})
	slow := ConsumerFunc(func(e Event) {
		if e.Type == EventTaskRoutingStep {
			<-release
		}
	})
	b := newBench(t, &Config{Consumers: []Consumer{slow}})
	defer close(release)
	b.queue("billing")
	b.profile("desk", 1, "billing")
	b.create(TaskInput{Name: "Rappeler Mme Martin", QueueID: "billing", RoutingCriteria: &RoutingCriteria{Steps: []RoutingStep{
		{Requirement: Proficient("Language", "French", 3), Expiry: 10 * time.Second},
	}}})
	b.clock.Advance(10 * time.Second) // task.routing_step: an event no change carries
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := b.r.Close(ctx); err == nil {
		t.Error("Close returned nil with a consumer still holding events")
	}
	snap, err := b.store.Load(b.ctx)
	b.must(err)
	if snap.LastEventSeq != b.r.eventSeq {
		t.Errorf("the store's LastEventSeq is %d, the router published up to %d: a restarted router would reuse Seq %d",
			snap.LastEventSeq, b.r.eventSeq, b.r.eventSeq)
	}
}

// A consumer that waits for the router to close cannot hold Close: the
// consumers' catching up, with the router still open, is bounded by
// CloseDrainTimeout even when ctx has no deadline.
func TestCloseIsNotHeldByAConsumerWaitingForTheClose(t *testing.T) {
	var r *Router
	ready := make(chan struct{})
	waiter := ConsumerFunc(func(e Event) {
		<-ready
		for !r.isClosed() {
			time.Sleep(time.Millisecond)
		}
	})
	b := newBench(t, &Config{Consumers: []Consumer{waiter}})
	r = b.r
	close(ready)
	r.test.drainTimeout = 20 * time.Millisecond
	b.queue("billing")
	closed := make(chan error, 1)
	go func() { closed <- r.Close(context.Background()) }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close is still waiting for a consumer that waits for it")
	}
}
