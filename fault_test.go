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

// The fault-injection suite: a Store that errors, panics or blocks until its
// ctx ends, at every write site of the router, with a manual and with the
// system clock. After each fault the router answers, its invariants hold,
// the work the fault interrupted lands (a direct operation can be called
// again; the router's own work is retried), Close returns, and no goroutine
// is left behind.

type faultKind int

const (
	faultError faultKind = iota
	faultPanic
	faultBlock
)

func (k faultKind) String() string { return [...]string{"error", "panic", "block"}[k] }

// faultyStore injects one fault into the next write after arm.
type faultyStore struct {
	*MemoryStore
	mu    sync.Mutex
	armed bool
	skip  int // writes to let through before the fault
	kind  faultKind
	hits  int
}

func (s *faultyStore) arm(k faultKind, skip int) {
	s.mu.Lock()
	s.armed, s.kind, s.skip = true, k, skip
	s.mu.Unlock()
}

func (s *faultyStore) hit() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits
}

func (s *faultyStore) Write(ctx context.Context, c *Change) error {
	s.mu.Lock()
	armed, kind := s.armed && s.skip == 0, s.kind
	if s.armed && s.skip > 0 {
		s.skip--
	}
	if armed {
		s.armed = false
		s.hits++
	}
	s.mu.Unlock()
	if armed {
		switch kind {
		case faultError:
			return errors.New("disk full")
		case faultPanic:
			panic("store bug")
		case faultBlock:
			<-ctx.Done()
			return ctx.Err()
		}
	}
	return s.MemoryStore.Write(ctx, c)
}

// faultWorld is one router over a faulty store, on either clock.
type faultWorld struct {
	t      *testing.T
	r      *Router
	store  *faultyStore
	manual *ManualClock // nil with the system clock
	ids    int
}

const (
	faultOfferTimeout = 150 * time.Millisecond
	faultStoreTimeout = 40 * time.Millisecond
	faultRetry        = 20 * time.Millisecond
)

func newFaultWorld(t *testing.T, manual bool) *faultWorld {
	w := &faultWorld{t: t, store: &faultyStore{MemoryStore: NewMemoryStore()}}
	cfg := &Config{
		OfferTimeout: faultOfferTimeout, StoreTimeout: faultStoreTimeout, RetryInterval: faultRetry,
		NewID: func() string { w.ids++; return fmt.Sprint("t", w.ids) },
	}
	if manual {
		w.manual = NewManualClock(t0)
		cfg.Clock = w.manual
	}
	r, err := NewRouter(context.Background(), w.store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	w.r = r
	w.must(r.PutQueue(w.ctx(), Queue{ID: "q", Name: "q"}))
	w.must(r.PutQueue(w.ctx(), Queue{ID: "escalations", Name: "Escalations"}))
	w.must(r.PutRoutingProfile(w.ctx(), RoutingProfile{ID: "p",
		Concurrency: []MediaConcurrency{{Channel: ChannelTask, Concurrency: 1}},
		Queues:      []QueueConfig{{QueueID: "q", Priority: 1}, {QueueID: "escalations", Priority: 1}}}))
	w.must(r.PutAgent(w.ctx(), Agent{ID: "ana", RoutingProfileID: "p", Status: StatusAvailable}))
	return w
}

// ctx is a caller's ctx: short, so that a blocking store gives up quickly.
func (w *faultWorld) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), faultStoreTimeout)
	w.t.Cleanup(cancel)
	return ctx
}

func (w *faultWorld) must(err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
}

// pass lets time go by: on the manual clock in one step, on the system
// clock by sleeping.
func (w *faultWorld) pass(d time.Duration) {
	if w.manual != nil {
		w.manual.Advance(d)
		return
	}
	time.Sleep(d)
}

// eventually waits until cond holds, letting time pass.
func (w *faultWorld) eventually(what string, cond func() bool) {
	w.t.Helper()
	for range 200 {
		if cond() {
			return
		}
		w.pass(faultRetry)
	}
	w.t.Fatalf("never happened: %s", what)
}

func (w *faultWorld) state(id string) TaskState {
	t, err := w.r.Task(context.Background(), id)
	if err != nil {
		w.t.Fatalf("Task(%s): %v", id, err)
	}
	return t.State
}

func (w *faultWorld) create(in TaskInput) string {
	w.t.Helper()
	if in.Name == "" {
		in.Name = "x"
	}
	if in.QueueID == "" {
		in.QueueID = "q"
	}
	task, err := w.r.CreateTask(context.Background(), in)
	w.must(err)
	return task.ID
}

// faultSite is one place the router writes, with how to reach it and what
// must hold once the fault has passed.
type faultSite struct {
	name   string
	setup  func(w *faultWorld) string           // returns the task the site concerns, if any
	hit    func(w *faultWorld, id string) error // reaches the site; nil for the router's own work
	own    bool                                 // the router's own work: retried by the router
	skip   int                                  // writes before the site's (the operation's own, for a follow-up)
	landed func(w *faultWorld, id string) bool
}

func faultSites() []faultSite {
	offered := func(w *faultWorld) string { return w.create(TaskInput{}) }
	connected := func(w *faultWorld) string {
		id := offered(w)
		w.must(w.r.Accept(context.Background(), id, "ana"))
		return id
	}
	inState := func(s TaskState) func(w *faultWorld, id string) bool {
		return func(w *faultWorld, id string) bool { return w.state(id) == s }
	}
	return []faultSite{
		{name: "create", setup: func(*faultWorld) string { return "" },
			hit: func(w *faultWorld, _ string) error {
				_, err := w.r.CreateTask(w.ctx(), TaskInput{Name: "x", QueueID: "q"})
				return err
			},
			landed: func(w *faultWorld, _ string) bool {
				_, err := w.r.CreateTask(context.Background(), TaskInput{Name: "again", QueueID: "q"})
				return err == nil
			}},
		{name: "offer", own: true, skip: 1,
			setup: func(w *faultWorld) string {
				w.must(w.r.SetAgentStatus(context.Background(), "ana", StatusOffline))
				return w.create(TaskInput{})
			},
			hit: func(w *faultWorld, _ string) error {
				return w.r.SetAgentStatus(w.ctx(), "ana", StatusAvailable) // the status lands; the offer faults
			},
			landed: inState(StateOffered)},
		{name: "timeout", own: true, setup: offered,
			hit: func(w *faultWorld, _ string) error { w.pass(faultOfferTimeout); return nil },
			landed: func(w *faultWorld, id string) bool {
				t, err := w.r.Task(context.Background(), id)
				return err == nil && len(t.RejectedBy) == 1
			}},
		{name: "accept", setup: offered,
			hit:    func(w *faultWorld, id string) error { return w.r.Accept(w.ctx(), id, "ana") },
			landed: func(w *faultWorld, id string) bool { return w.r.Accept(context.Background(), id, "ana") == nil }},
		{name: "acw close", setup: func(w *faultWorld) string {
			id := connected(w)
			w.must(w.r.Complete(context.Background(), id))
			return id
		},
			hit: func(w *faultWorld, id string) error { return w.r.CloseAfterContactWork(w.ctx(), id) },
			landed: func(w *faultWorld, id string) bool {
				return w.r.CloseAfterContactWork(context.Background(), id) == nil && w.state(id) == StateCompleted
			}},
		{name: "transfer", setup: connected,
			hit: func(w *faultWorld, id string) error {
				_, err := w.r.Transfer(w.ctx(), id, TransferTarget{QueueID: "escalations"})
				return err
			},
			landed: func(w *faultWorld, id string) bool {
				_, err := w.r.Transfer(context.Background(), id, TransferTarget{QueueID: "escalations"})
				return err == nil && w.state(id) == StateAfterContactWork
			}},
		{name: "stop", setup: connected,
			hit:    func(w *faultWorld, id string) error { return w.r.Stop(w.ctx(), id) },
			landed: func(w *faultWorld, id string) bool { return w.r.Stop(context.Background(), id) == nil }},
		{name: "expiry", own: true,
			setup: func(w *faultWorld) string {
				w.must(w.r.SetAgentStatus(context.Background(), "ana", StatusOffline))
				return w.create(TaskInput{Expiry: 2 * faultOfferTimeout})
			},
			hit:    func(w *faultWorld, _ string) error { w.pass(2 * faultOfferTimeout); return nil },
			landed: inState(StateExpired)},
		{name: "config", setup: func(*faultWorld) string { return "" },
			hit: func(w *faultWorld, _ string) error {
				return w.r.PutQueue(w.ctx(), Queue{ID: "new", Name: "New"})
			},
			landed: func(w *faultWorld, _ string) bool {
				return w.r.PutQueue(context.Background(), Queue{ID: "new", Name: "New"}) == nil
			}},
	}
}

func TestFaultInjectionAtEveryWriteSite(t *testing.T) {
	for _, clock := range []string{"manual", "system"} {
		for _, site := range faultSites() {
			for _, kind := range []faultKind{faultError, faultPanic, faultBlock} {
				t.Run(fmt.Sprintf("%s/%s/%s", clock, site.name, kind), func(t *testing.T) {
					baseline := runtime.NumGoroutine()
					w := newFaultWorld(t, clock == "manual")
					id := site.setup(w)
					w.store.arm(kind, site.skip)
					err := site.hit(w, id)
					if !site.own && err == nil {
						t.Fatalf("the operation succeeded though its write faulted (%s)", kind)
					}
					if site.own && err != nil {
						t.Fatalf("the operation failed though only the router's own work faulted: %v", err)
					}
					if kind == faultPanic && err != nil && !errors.Is(err, ErrStorePanicked) {
						t.Errorf("error %v, want it to match ErrStorePanicked", err)
					}
					w.eventually("the fault was hit", func() bool { return w.store.hit() == 1 })
					if _, err := w.r.Stats(); err != nil {
						t.Fatalf("the router does not answer after the fault: %v", err)
					}
					w.eventually("the interrupted work landed", func() bool { return site.landed(w, id) })
					if err := w.r.Check(); err != nil {
						t.Fatalf("invariants after the fault: %v", err)
					}
					closed := make(chan error, 1)
					go func() { closed <- w.r.Close(context.Background()) }()
					select {
					case err := <-closed:
						if err != nil {
							t.Fatalf("Close: %v", err)
						}
					case <-time.After(5 * time.Second):
						t.Fatal("Close did not return")
					}
					waitGoroutines(t, baseline)
				})
			}
		}
	}
}
