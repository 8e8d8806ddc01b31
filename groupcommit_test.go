package switchboard

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"
)

// The router on the group-commit path (commit.go, recover.go), over a
// GroupWriter whose commits a test can hold, fail and count: callers are
// acknowledged only once their group is durable, nobody waits on the lock
// across a round trip, events are published only once stored, and a failed
// group makes the router reload from the store before anyone hears of it.

// groupStore is a MemoryStore with group commit. A held store blocks each
// WriteGroup until release; failWrites and failLoads make the next writes or
// loads fail (before anything is written, so a failed group is all or none).
type groupStore struct {
	*MemoryStore

	mu         sync.Mutex
	held       bool
	gate       chan struct{} // closed by release
	started    chan int      // each group's size, as its write starts
	failWrites []error
	failLoads  []error
	refuse     func(*Task) error // refuses every group holding a task it names
	loads      int
	sizes      []int // of every group written
}

func newGroupStore() *groupStore {
	return &groupStore{MemoryStore: NewMemoryStore(), gate: make(chan struct{}), started: make(chan int, 1024)}
}

// hold makes every WriteGroup from now on wait for release.
func (s *groupStore) hold() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.held = true
	s.gate = make(chan struct{})
}

func (s *groupStore) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held {
		s.held = false
		close(s.gate)
	}
}

func (s *groupStore) failNextWrite(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failWrites = append(s.failWrites, err)
}

func (s *groupStore) failNextLoad(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failLoads = append(s.failLoads, err)
}

func (s *groupStore) WriteGroup(ctx context.Context, cs []*Change) error {
	select {
	case s.started <- len(cs):
	default: // nobody is counting
	}
	s.mu.Lock()
	gate := s.gate
	held := s.held
	s.mu.Unlock()
	if held {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.failWrites) > 0 {
		err := s.failWrites[0]
		s.failWrites = s.failWrites[1:]
		return err
	}
	for _, c := range cs {
		for _, t := range c.Tasks {
			if s.refuse != nil {
				if err := s.refuse(t); err != nil {
					return err
				}
			}
		}
	}
	// All or none: check every version first, as one transaction would.
	versions := map[string]int64{}
	for _, c := range cs {
		for _, t := range c.Tasks {
			prev, ok := versions[t.ID]
			if !ok {
				if old, err := s.MemoryStore.Task(ctx, t.ID); err == nil {
					prev = old.Version
				}
			}
			if t.Version != prev+1 {
				return fmt.Errorf("%w: task %q has version %d, stored %d", ErrConflict, t.ID, t.Version, prev)
			}
			versions[t.ID] = t.Version
		}
	}
	s.sizes = append(s.sizes, len(cs))
	for _, c := range cs {
		if err := s.MemoryStore.Write(ctx, c); err != nil {
			panic(fmt.Sprintf("groupStore: a change of a group was refused after others were written: %v", err))
		}
	}
	return nil
}

func (s *groupStore) Load(ctx context.Context) (*Snapshot, error) {
	s.mu.Lock()
	s.loads++
	if len(s.failLoads) > 0 {
		err := s.failLoads[0]
		s.failLoads = s.failLoads[1:]
		s.mu.Unlock()
		return nil, err
	}
	s.mu.Unlock()
	return s.MemoryStore.Load(ctx)
}

// groupFloor is the billing floor over a groupStore: one queue, agents with
// one task slot each, task IDs t1, t2, ...
type groupFloor struct {
	t     *testing.T
	ctx   context.Context
	clock *ManualClock
	store *groupStore
	r     *Router
	sub   *Subscription
}

func newGroupFloor(t *testing.T, agents ...string) *groupFloor {
	t.Helper()
	f := &groupFloor{t: t, ctx: context.Background(), clock: NewManualClock(t0), store: newGroupStore()}
	var mu sync.Mutex
	ids := 0
	r, err := NewRouter(f.ctx, f.store, &Config{Clock: f.clock, Test: TestConfig{CheckInvariants: true},
		NewID: func() string { mu.Lock(); defer mu.Unlock(); ids++; return fmt.Sprintf("t%d", ids) }})
	if err != nil {
		t.Fatal(err)
	}
	if r.pipe == nil {
		t.Fatal("a GroupWriter store did not put the router on the group-commit path")
	}
	f.r = r
	f.sub = r.Subscribe(&SubscribeOptions{MaxPending: -1})
	f.must(r.PutQueue(f.ctx, Queue{ID: "billing", Name: "Billing"}))
	f.must(r.PutRoutingProfile(f.ctx, RoutingProfile{ID: "tasks", Name: "Tasks",
		Concurrency: []MediaConcurrency{{Channel: ChannelTask, Concurrency: 1}},
		Queues:      []QueueConfig{{QueueID: "billing", Channel: ChannelTask, Priority: 1}}}))
	for _, a := range agents {
		f.must(r.PutAgent(f.ctx, Agent{ID: a, Name: a, RoutingProfileID: "tasks", Status: StatusAvailable}))
	}
	f.drainStarted()
	t.Cleanup(func() {
		f.store.release()
		if err := r.Check(); err != nil && !errors.Is(err, ErrClosed) {
			t.Errorf("invariants at the end: %v", err)
		}
		if err := r.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return f
}

// drainStarted forgets the groups already written, so that the next receive
// from store.started is the next group's.
func (f *groupFloor) drainStarted() {
	for {
		select {
		case <-f.store.started:
		default:
			return
		}
	}
}

func (f *groupFloor) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

// async runs op in a goroutine; the channel gets its error.
func async(op func() error) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- op() }()
	return ch
}

// stillWaiting fails the test if ch already has a result: the operation
// must not be acknowledged yet. (A negative check: it can only miss a bug,
// never report one that is not there.)
func stillWaiting(t *testing.T, what string, ch <-chan error) {
	t.Helper()
	select {
	case err := <-ch:
		t.Fatalf("%s returned (%v) while its group was not yet durable", what, err)
	case <-time.After(20 * time.Millisecond):
	}
}

// wantSeqsFromOne checks that the published events run 1, 2, ... without a
// gap or a repeat, and returns them.
func (f *groupFloor) published() []Event {
	f.t.Helper()
	es := f.sub.Drain()
	return es
}

func checkSeqs(t *testing.T, es []Event, from uint64) {
	t.Helper()
	for i, e := range es {
		if e.Seq != from+uint64(i) {
			t.Fatalf("event %d (%s) has Seq %d, want %d: the published log has a gap or a repeat", i, e.Type, e.Seq, from+uint64(i))
		}
	}
}

func TestGroupCommitAcknowledgesOnlyWhenDurable(t *testing.T) {
	f := newGroupFloor(t, "ana")
	f.sub.Drain()
	before := f.r.eventSeq

	// The database is slow: Ana's claim waits for its commit.
	f.store.hold()
	created := make(chan *Task, 1)
	done := async(func() error {
		task, err := f.r.CreateTask(f.ctx, TaskInput{QueueID: "billing", Name: "Claim 77"})
		created <- task
		return err
	})
	<-f.store.started
	stillWaiting(t, "CreateTask", done)

	// Nobody waits on the router's lock meanwhile: the real-time counts
	// answer at once, and count the decided offer.
	st, err := f.r.Stats()
	if err != nil || st.TasksByState[StateOffered] != 1 {
		t.Fatalf("Stats while the commit is held: %v, %v; want one task OFFERED", st.TasksByState, err)
	}
	// But nothing is published, and a read of Ana waits for the commit.
	if n := f.sub.Pending(); n != 0 {
		t.Fatalf("%d events published before their group was durable", n)
	}
	read := async(func() error { _, err := f.r.Agent("ana"); return err })
	stillWaiting(t, "Agent (a read of an undurable change)", read)
	// A second producer's task is decided meanwhile and joins the next group.
	second := async(func() error {
		_, err := f.r.CreateTask(f.ctx, TaskInput{QueueID: "billing", Name: "Claim 78"})
		return err
	})
	for ; ; time.Sleep(time.Millisecond) {
		if st, _ := f.r.Stats(); st.TasksByState[StateQueued] == 1 {
			break
		}
	}
	stillWaiting(t, "the second CreateTask", second)

	f.store.release()
	for name, ch := range map[string]<-chan error{"CreateTask": done, "Agent": read, "second CreateTask": second} {
		if err := <-ch; err != nil {
			t.Fatalf("%s after the commit: %v", name, err)
		}
	}
	if task := <-created; task == nil || task.ID != "t1" {
		t.Fatalf("CreateTask returned %+v, want t1", task)
	}
	if got, err := f.r.Task(f.ctx, "t1"); err != nil || got.State != StateOffered || got.AgentID != "ana" {
		t.Fatalf("t1 after the commit: %+v, %v; want offered to ana", got, err)
	}
	es := f.published()
	checkSeqs(t, es, before+1)
	if len(es) == 0 || es[0].Type != EventTaskCreated {
		t.Fatalf("published %v, want the creation first", es)
	}
	// Everything acknowledged is in the store.
	for _, id := range []string{"t1", "t2"} {
		if _, err := f.store.Task(f.ctx, id); err != nil {
			t.Errorf("%s in the store: %v", id, err)
		}
	}
	snap, _ := f.store.MemoryStore.Load(f.ctx)
	if snap.LastEventSeq != es[len(es)-1].Seq {
		t.Errorf("store's LastEventSeq %d, last published %d", snap.LastEventSeq, es[len(es)-1].Seq)
	}
}

func TestGroupCommitGroupsConcurrentProducers(t *testing.T) {
	agents := []string{"ana", "bo", "cy", "dee", "eve", "fay", "gus", "hal"}
	f := newGroupFloor(t, agents...)
	f.sub.Drain()
	before := f.r.eventSeq
	var wg sync.WaitGroup
	const each = 40
	for _, a := range agents {
		wg.Go(func() {
			for range each {
				task, err := f.r.CreateTask(f.ctx, TaskInput{Name: "Call back", AgentID: a})
				if err == nil {
					err = f.r.Accept(f.ctx, task.ID, a)
				}
				if err == nil {
					err = f.r.Complete(f.ctx, task.ID)
				}
				if err == nil {
					err = f.r.CloseAfterContactWork(f.ctx, task.ID)
				}
				if err != nil {
					t.Error(err)
					return
				}
				// Acknowledged means stored.
				if st, err := f.store.Task(f.ctx, task.ID); err != nil || st.State != StateCompleted {
					t.Errorf("%s acknowledged but the store holds %v, %v", task.ID, st, err)
					return
				}
			}
		})
	}
	wg.Wait()
	es := f.published()
	checkSeqs(t, es, before+1)
	if want := len(agents) * each * 5; len(es) < want {
		t.Errorf("%d events published, want at least %d", len(es), want)
	}
	f.store.mu.Lock()
	sizes := f.store.sizes
	f.store.mu.Unlock()
	n, most := 0, 0
	for _, s := range sizes {
		n += s
		most = max(most, s)
	}
	t.Logf("%d changes in %d groups (largest %d)", n, len(sizes), most)
	if len(sizes) >= n {
		t.Errorf("%d changes took %d commits: concurrent producers' changes were never grouped", n, len(sizes))
	}
}

func TestGroupCommitFailureReloadsFromTheStore(t *testing.T) {
	f := newGroupFloor(t, "ana")
	claim, err := f.r.CreateTask(f.ctx, TaskInput{QueueID: "billing", Name: "Claim 77"})
	f.must(err)
	f.sub.Drain()
	f.drainStarted()
	stored := f.r.eventSeq

	// Ana accepts while the database stalls; a new claim is decided behind
	// her acceptance; then the connection drops and the group fails.
	f.store.hold()
	accept := async(func() error { return f.r.Accept(f.ctx, claim.ID, "ana") })
	<-f.store.started
	var second *Task
	create := async(func() error {
		var err error
		second, err = f.r.CreateTask(f.ctx, TaskInput{QueueID: "billing", Name: "Claim 78"})
		return err
	})
	for ; ; time.Sleep(time.Millisecond) {
		if st, _ := f.r.Stats(); st.TasksByState[StateQueued] == 1 {
			break
		}
	}
	reset := errors.New("connection reset by peer")
	f.store.failNextWrite(reset)
	f.store.release()

	var se *StoreError
	for name, ch := range map[string]<-chan error{"Accept": accept, "CreateTask": create} {
		if err := <-ch; !errors.Is(err, reset) || !errors.As(err, &se) {
			t.Errorf("%s: %v, want a *StoreError wrapping the store's error", name, err)
		}
	}
	if second != nil {
		t.Errorf("a failed CreateTask returned a task: %+v", second)
	}
	// By the time the callers heard, the router was the store again: the
	// offer stands, the second claim never existed.
	if got, err := f.r.Task(f.ctx, claim.ID); err != nil || got.State != StateOffered {
		t.Fatalf("the claim after the failed accept: %v, %v; want OFFERED", got, err)
	}
	if _, err := f.r.Task(f.ctx, "t2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("t2, whose creation failed: %v, want not found", err)
	}
	if err := f.r.Check(); err != nil {
		t.Fatal(err)
	}
	// The log: nothing of the failed changes, one router.error, no gap.
	es := f.published()
	checkSeqs(t, es, stored+1)
	if len(es) != 1 || es[0].Type != EventError || !errors.Is(es[0].Err, reset) {
		t.Fatalf("published after the failure: %v, want one router.error naming the cause", es)
	}

	// The floor carries on.
	f.must(f.r.Accept(f.ctx, claim.ID, "ana"))
	next, err := f.r.CreateTask(f.ctx, TaskInput{QueueID: "billing", Name: "Claim 79"})
	f.must(err)
	if next.State != StateQueued {
		t.Errorf("a claim while Ana is busy: %s, want QUEUED", next.State)
	}
	checkSeqs(t, f.published(), es[0].Seq+1)
}

func TestGroupCommitReloadRetriesUntilTheStoreAnswers(t *testing.T) {
	f := newGroupFloor(t, "ana")
	goroutines := runtime.NumGoroutine()
	down := errors.New("server closed the connection")
	f.store.failNextWrite(down)
	f.store.failNextLoad(down)
	f.store.failNextLoad(down)
	if _, err := f.r.CreateTask(f.ctx, TaskInput{QueueID: "billing", Name: "Claim 77"}); !errors.Is(err, down) {
		t.Fatalf("CreateTask in a failed group: %v", err)
	}
	// The reload failed: writes are refused with the cause until it works.
	if _, err := f.r.CreateTask(f.ctx, TaskInput{QueueID: "billing", Name: "Claim 78"}); !errors.Is(err, down) {
		t.Fatalf("CreateTask while the store is down: %v, want the group's error", err)
	}
	// Stats does not count the emptied state the failed reload left.
	if _, err := f.r.Stats(); !errors.Is(err, down) {
		t.Errorf("Stats while the router cannot reload: %v, want the group's error", err)
	}
	f.clock.Advance(RetryIntervalDefault) // second load fails too
	if _, err := f.r.CreateTask(f.ctx, TaskInput{QueueID: "billing", Name: "Claim 79"}); !errors.Is(err, down) {
		t.Fatalf("CreateTask after a failed retry: %v, want the group's error", err)
	}
	f.clock.Advance(RetryIntervalDefault) // and the third works
	if st, err := f.r.Stats(); err != nil || st.AgentsByStatus[StatusAvailable] != 1 {
		t.Errorf("Stats once reloaded: %+v, %v; want ana counted", st, err)
	}
	task, err := f.r.CreateTask(f.ctx, TaskInput{QueueID: "billing", Name: "Claim 80"})
	if err != nil {
		t.Fatalf("CreateTask once the store is back: %v", err)
	}
	if got, err := f.r.Task(f.ctx, task.ID); err != nil || got.State != StateOffered {
		t.Errorf("the first claim that reached the store: %v, %v; want OFFERED to ana", got, err)
	}
	if n := runtime.NumGoroutine(); n > goroutines+2 {
		t.Errorf("%d goroutines, %d before: the retries leave goroutines behind", n, goroutines)
	}
}

func TestGroupCommitCloseWritesWhatIsQueued(t *testing.T) {
	f := newGroupFloor(t, "ana")
	claim, err := f.r.CreateTask(f.ctx, TaskInput{QueueID: "billing", Name: "Claim 77"})
	f.must(err)
	f.drainStarted()
	// Ana lets the offer time out while the database stalls: the router's
	// own work is queued (and the clock's Advance waits for it).
	f.store.hold()
	advanced := async(func() error { f.clock.Advance(OfferTimeoutDefault); return nil })
	<-f.store.started
	stillWaiting(t, "ManualClock.Advance", advanced)
	closed := async(func() error { return f.r.Close(f.ctx) })
	stillWaiting(t, "Close", closed)
	f.store.release()
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	<-advanced
	st, err := f.store.Task(f.ctx, claim.ID)
	if err != nil || st.Version <= claim.Version {
		t.Fatalf("the claim in the store after Close: %v, %v; want the missed offer written", st, err)
	}
	var timedOut bool
	for _, e := range f.sub.Drain() {
		timedOut = timedOut || e.Type == EventTaskMissed
	}
	if !timedOut {
		t.Error("the subscription ended without the timeout that Close wrote")
	}
}

func TestGroupCommitStoreThatRefusesTheReloadsOwnWorkCannotMakeItSpin(t *testing.T) {
	f := newGroupFloor(t, "ana")
	callback, err := f.r.CreateTask(f.ctx, TaskInput{QueueID: "billing", Name: "Call back Mrs Ortiz",
		ScheduledAt: t0.Add(time.Minute)})
	f.must(err)
	// The database now refuses any new version of the callback (a column
	// it outgrew, say): the offer due at 9:01 fails every time it is made,
	// and each reload finds the schedule due again.
	poison := errors.New("value too long for type character varying(64)")
	f.store.mu.Lock()
	f.store.refuse = func(task *Task) error {
		if task.ID == callback.ID && task.Version > callback.Version {
			return poison
		}
		return nil
	}
	loads := func() int { f.store.mu.Lock(); defer f.store.mu.Unlock(); return f.store.loads }
	before := f.store.loads
	f.store.mu.Unlock()

	f.clock.Advance(time.Minute)
	// The first failure reloads at once; the reload's own offer fails
	// again, and the next reload waits for the retry interval.
	deadline := time.Now().Add(5 * time.Second)
	for loads()-before < 1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // a spinning router would load again and again meanwhile
	if n := loads() - before; n != 1 {
		t.Fatalf("%d reloads before the retry interval passed, want 1", n)
	}
	// armed reports whether the router has scheduled its next reload: the
	// reload's own offer has failed again. Advancing the clock before that
	// would race with the router registering the retry's timer.
	armed := func() bool { f.r.mu.Lock(); defer f.r.mu.Unlock(); return f.r.reloadCancel != nil }
	for i := 2; i <= 4; i++ {
		for !armed() && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		f.clock.Advance(RetryIntervalDefault)
		for loads()-before < i && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if n := loads() - before; n != i {
			t.Fatalf("%d reloads after %d retry intervals, want %d", n, i-1, i)
		}
	}
	// Meanwhile the router answers, and what does not touch the callback
	// commits between failures.
	if _, err := f.r.Agent("ana"); err != nil && !errors.Is(err, poison) {
		t.Fatalf("Agent while the store refuses the callback: %v", err)
	}

	// The database is fixed: at the next retry the callback is offered.
	f.store.mu.Lock()
	f.store.refuse = nil
	f.store.mu.Unlock()
	for !armed() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	for i := 0; i < 3; i++ {
		f.clock.Advance(RetryIntervalDefault)
	}
	got, err := f.r.Task(f.ctx, callback.ID)
	if err != nil || got.State != StateOffered || got.AgentID != "ana" {
		t.Fatalf("the callback once the store takes it: %+v, %v; want offered to ana", got, err)
	}
}
