package switchboard

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"
)

// These stories show what the router does when its Store refuses a write:
// the operation that asked for it fails with a *StoreError and changes
// nothing; work the router does on its own (follow-up offers, timers) is
// reported with EventError and retried after Config.RetryInterval, so that
// nothing is lost once the store recovers.

// errInjected is the error faultStore returns for a write it refuses.
var errInjected = errors.New("injected store failure")

// faultStore is a MemoryStore whose Write fails when the test says so: the
// next n writes, or every write a predicate picks (one carrying a task in a
// given state, one under a cancelled ctx, ...). Reads never fail.
type faultStore struct {
	*MemoryStore

	mu       sync.Mutex
	failN    int                                       // refuse this many more writes
	failIf   func(ctx context.Context, c *Change) bool // then refuse those it picks
	hook     func(ctx context.Context, c *Change, err error)
	gate     func(ctx context.Context, c *Change) // called before each write; may block
	attempts int                                  // writes asked for
	failures int                                  // writes refused
}

func newFaultStore() *faultStore { return &faultStore{MemoryStore: NewMemoryStore()} }

func (s *faultStore) Write(ctx context.Context, c *Change) error {
	s.mu.Lock()
	s.attempts++
	fail := false
	switch {
	case s.failN > 0:
		s.failN--
		fail = true
	case s.failIf != nil:
		fail = s.failIf(ctx, c)
	}
	if fail {
		s.failures++
	}
	hook, gate := s.hook, s.gate
	s.mu.Unlock()
	if gate != nil {
		gate(ctx, c)
	}
	err := errInjected
	if !fail {
		err = s.MemoryStore.Write(ctx, c)
	}
	if hook != nil {
		hook(ctx, c, err)
	}
	return err
}

// failNext refuses the next n writes.
func (s *faultStore) failNext(n int) { s.mu.Lock(); s.failN = n; s.mu.Unlock() }

// failWhen refuses every write pred picks until heal.
func (s *faultStore) failWhen(pred func(ctx context.Context, c *Change) bool) {
	s.mu.Lock()
	s.failIf = pred
	s.mu.Unlock()
}

// failAll refuses every write until heal: the database is down.
func (s *faultStore) failAll() { s.failWhen(func(context.Context, *Change) bool { return true }) }

// heal makes the store accept writes again.
func (s *faultStore) heal() { s.mu.Lock(); s.failN, s.failIf = 0, nil; s.mu.Unlock() }

// onWrite calls f after every write, with the write's ctx and result.
func (s *faultStore) onWrite(f func(ctx context.Context, c *Change, err error)) {
	s.mu.Lock()
	s.hook = f
	s.mu.Unlock()
}

// beforeWrite calls f before every write (outside the store's lock); f may
// block to hold a write in flight.
func (s *faultStore) beforeWrite(f func(ctx context.Context, c *Change)) {
	s.mu.Lock()
	s.gate = f
	s.mu.Unlock()
}

// counts returns the writes asked for and refused so far.
func (s *faultStore) counts() (attempts, failures int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts, s.failures
}

// writesState picks writes that carry a task in state st.
func writesState(st TaskState) func(context.Context, *Change) bool {
	return func(_ context.Context, c *Change) bool {
		return slices.ContainsFunc(c.Tasks, func(t *Task) bool { return t.State == st })
	}
}

// ctxDone picks writes made under a ctx that is already done, for stores that
// would otherwise not look at ctx.
func ctxDone(ctx context.Context, _ *Change) bool { return ctx.Err() != nil }

// newFaultBench is newBench over a faultStore: manual clock at t0, task IDs
// t1, t2, ..., invariants checked after every operation and at the end.
func newFaultBench(t *testing.T, cfg *Config) (*bench, *faultStore) {
	t.Helper()
	return newFaultBenchChecked(t, cfg, true)
}

// newFaultBenchChecked is newFaultBench; everyOp false leaves the invariant
// checks to the test (see retryAwareInvariants) and to the end of the test.
func newFaultBenchChecked(t *testing.T, cfg *Config, everyOp bool) (*bench, *faultStore) {
	t.Helper()
	fs := newFaultStore()
	b := &bench{t: t, ctx: context.Background(), clock: NewManualClock(t0), store: fs.MemoryStore}
	c := Config{}
	if cfg != nil {
		c = *cfg
	}
	c.Clock = b.clock
	c.Test.CheckInvariants = everyOp
	c.NewID = func() string { b.ids++; return fmt.Sprintf("t%d", b.ids) }
	r, err := NewRouter(b.ctx, fs, &c)
	if err != nil {
		t.Fatalf("NewRouter: %v", err)
	}
	b.r = r
	b.sub = r.Subscribe(&SubscribeOptions{MaxPending: -1})
	t.Cleanup(func() {
		b.checkInvariants()
		b.r.Close(context.Background())
	})
	return b, fs
}

// ---- what "changes nothing" compares ----

// storeDump is everything a MemoryStore holds.
type storeDump struct {
	Tasks    map[string]Task
	Agents   map[string]Agent
	Queues   map[string]Queue
	Profiles map[string]RoutingProfile
	Tokens   map[string]string
	Chains   map[string][]string
	LastSeq  uint64
}

// dumpStore copies the store's records. Shallow copies are enough: the maps,
// slices and criteria inside a record are never modified in place (Store).
func dumpStore(s *MemoryStore) storeDump {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d := storeDump{
		Tasks:    map[string]Task{},
		Agents:   map[string]Agent{},
		Queues:   map[string]Queue{},
		Profiles: map[string]RoutingProfile{},
		Tokens:   maps.Clone(s.tokens),
		Chains:   map[string][]string{},
		LastSeq:  s.lastSeq,
	}
	for id, t := range s.tasks {
		d.Tasks[id] = *t
	}
	for id, a := range s.agents {
		d.Agents[id] = *a
	}
	for id, q := range s.queues {
		d.Queues[id] = *q
	}
	for id, p := range s.profiles {
		d.Profiles[id] = *p
	}
	for id, c := range s.chains {
		d.Chains[id] = slices.Clone(c)
	}
	return d
}

// worldView is what the router answers about everything it knows, plus the
// store's contents.
type worldView struct {
	Tasks       map[string]*Task   // Router.Task
	TaskErrs    map[string]string  // Router.Task errors
	Agents      map[string]*Agent  // Router.Agent
	AgentTasks  map[string][]*Task // Router.AgentTasks
	Queued      map[string][]*Task // Router.QueuedTasks
	Stats       Stats
	ClockTimers int
	Store       storeDump
}

// view reads the whole world through the router's public API (and the
// store directly). Task IDs are those the store or the router knows, plus
// t1 to t9 whether they exist or not.
func (b *bench) view() worldView {
	b.t.Helper()
	d := dumpStore(b.store)
	ids := map[string]bool{}
	for i := 1; i <= 9; i++ {
		ids[fmt.Sprintf("t%d", i)] = true
	}
	agents := map[string]bool{}
	queues := map[string]bool{}
	for id := range d.Tasks {
		ids[id] = true
	}
	for id := range d.Agents {
		agents[id] = true
	}
	for id := range d.Queues {
		queues[id] = true
	}
	b.r.mu.Lock()
	for id := range b.r.tasks {
		ids[id] = true
	}
	for id := range b.r.agents {
		agents[id] = true
	}
	for id := range b.r.queues {
		queues[id] = true
	}
	b.r.mu.Unlock()
	v := worldView{
		Tasks: map[string]*Task{}, TaskErrs: map[string]string{},
		Agents: map[string]*Agent{}, AgentTasks: map[string][]*Task{}, Queued: map[string][]*Task{},
		Store: d,
	}
	for id := range ids {
		t, err := b.r.Task(b.ctx, id)
		if err != nil {
			v.TaskErrs[id] = err.Error()
			continue
		}
		v.Tasks[id] = t
	}
	for id := range agents {
		a, err := b.r.Agent(id)
		b.must(err)
		v.Agents[id] = a
		ts, err := b.r.AgentTasks(id)
		b.must(err)
		v.AgentTasks[id] = ts
	}
	for id := range queues {
		ts, err := b.r.QueuedTasks(id)
		b.must(err)
		v.Queued[id] = ts
	}
	v.Stats = mustStats(b.r)
	v.ClockTimers = b.clock.PendingTimers()
	return v
}

// diffViews lists every difference between two views, one line each.
func diffViews(a, b worldView) []string {
	var out []string
	diffMap(&out, "Router.Task", a.Tasks, b.Tasks)
	diffMap(&out, "Router.Task error", a.TaskErrs, b.TaskErrs)
	diffMap(&out, "Router.Agent", a.Agents, b.Agents)
	diffMap(&out, "Router.AgentTasks", a.AgentTasks, b.AgentTasks)
	diffMap(&out, "Router.QueuedTasks", a.Queued, b.Queued)
	if !reflect.DeepEqual(a.Stats, b.Stats) {
		out = append(out, fmt.Sprintf("Router.Stats: before %+v, after %+v", a.Stats, b.Stats))
	}
	if a.ClockTimers != b.ClockTimers {
		out = append(out, fmt.Sprintf("clock timers: before %d, after %d", a.ClockTimers, b.ClockTimers))
	}
	diffMap(&out, "store task", a.Store.Tasks, b.Store.Tasks)
	diffMap(&out, "store agent", a.Store.Agents, b.Store.Agents)
	diffMap(&out, "store queue", a.Store.Queues, b.Store.Queues)
	diffMap(&out, "store profile", a.Store.Profiles, b.Store.Profiles)
	diffMap(&out, "store token", a.Store.Tokens, b.Store.Tokens)
	diffMap(&out, "store chain", a.Store.Chains, b.Store.Chains)
	if a.Store.LastSeq != b.Store.LastSeq {
		out = append(out, fmt.Sprintf("store LastSequence: before %d, after %d", a.Store.LastSeq, b.Store.LastSeq))
	}
	return out
}

func diffMap[V any](out *[]string, what string, a, b map[string]V) {
	keys := slices.Collect(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	show := func(m map[string]V, k string) string {
		v, ok := m[k]
		if !ok {
			return "(absent)"
		}
		return fmt.Sprintf("%+v", v)
	}
	for _, k := range keys {
		va, oka := a[k]
		vb, okb := b[k]
		if oka != okb || !reflect.DeepEqual(va, vb) {
			*out = append(*out, fmt.Sprintf("%s %q: before %s, after %s", what, k, show(a, k), show(b, k)))
		}
	}
}

// ---- the world of these stories ----

// failureWorld: queues billing and claims; profile desk (TASK concurrency 1)
// serves billing only.
func failureWorld(b *bench) {
	b.t.Helper()
	b.queue("billing")
	b.queue("claims")
	b.profile("desk", 1, "billing")
}

func (b *bench) offline(id string) {
	b.t.Helper()
	b.must(b.r.PutAgent(b.ctx, Agent{ID: id, RoutingProfileID: "desk", Status: StatusOffline}))
}

// connected creates a billing task, offers it to ana and has her accept it.
func (b *bench) connected() *Task {
	b.t.Helper()
	t := b.create(TaskInput{QueueID: "billing"})
	b.wantState(t.ID, StateOffered, "ana")
	b.must(b.r.Accept(b.ctx, t.ID, "ana"))
	return t
}

// writeCase is one public operation that writes: a world where it is legal,
// the operation, and what it did once it succeeds.
type writeCase struct {
	name  string
	setup func(b *bench)
	op    func(ctx context.Context, b *bench) (*Task, error)
	then  func(b *bench, got *Task)
}

func writeCases() []writeCase {
	noTask := func(err error) (*Task, error) { return nil, err }
	return []writeCase{
		{
			name:  "CreateTask",
			setup: func(b *bench) { failureWorld(b); b.agent("ana", "desk") },
			op: func(ctx context.Context, b *bench) (*Task, error) {
				return b.r.CreateTask(ctx, TaskInput{Name: "call back", QueueID: "billing", ClientToken: "crm-4411"})
			},
			then: func(b *bench, got *Task) {
				b.wantState(got.ID, StateOffered, "ana")
				again, err := b.r.CreateTask(b.ctx, TaskInput{Name: "call back", QueueID: "billing", ClientToken: "crm-4411"})
				b.must(err)
				if again.ID != got.ID {
					b.t.Errorf("the client token now returns %s, want %s (the task that was stored)", again.ID, got.ID)
				}
			},
		},
		{
			name:  "Accept",
			setup: func(b *bench) { failureWorld(b); b.agent("ana", "desk"); b.create(TaskInput{QueueID: "billing"}) },
			op:    func(ctx context.Context, b *bench) (*Task, error) { return noTask(b.r.Accept(ctx, "t1", "ana")) },
			then:  func(b *bench, _ *Task) { b.wantState("t1", StateConnected, "ana") },
		},
		{
			name:  "Reject",
			setup: func(b *bench) { failureWorld(b); b.agent("ana", "desk"); b.create(TaskInput{QueueID: "billing"}) },
			op:    func(ctx context.Context, b *bench) (*Task, error) { return noTask(b.r.Reject(ctx, "t1", "ana")) },
			then: func(b *bench, _ *Task) {
				b.wantState("t1", StateQueued, "")
				if a := b.agentNow("ana"); a.Blocked != BlockedRejected || a.BlockedTaskID != "t1" {
					b.t.Errorf("ana is blocked %q by %q, want REJECTED by t1", a.Blocked, a.BlockedTaskID)
				}
			},
		},
		{
			name:  "Complete",
			setup: func(b *bench) { failureWorld(b); b.agent("ana", "desk"); b.connected() },
			op:    func(ctx context.Context, b *bench) (*Task, error) { return noTask(b.r.Complete(ctx, "t1")) },
			then:  func(b *bench, _ *Task) { b.wantState("t1", StateAfterContactWork, "ana") },
		},
		{
			name: "CloseAfterContactWork",
			setup: func(b *bench) {
				failureWorld(b)
				b.agent("ana", "desk")
				b.connected()
				b.must(b.r.Complete(b.ctx, "t1"))
				b.create(TaskInput{QueueID: "billing"}) // t2 waits for ana's slot
			},
			op: func(ctx context.Context, b *bench) (*Task, error) {
				return noTask(b.r.CloseAfterContactWork(ctx, "t1"))
			},
			then: func(b *bench, _ *Task) {
				b.wantState("t1", StateCompleted, "ana")
				b.wantState("t2", StateOffered, "ana")
			},
		},
		{
			name:  "Pause",
			setup: func(b *bench) { failureWorld(b); b.agent("ana", "desk"); b.connected() },
			op:    func(ctx context.Context, b *bench) (*Task, error) { return noTask(b.r.Pause(ctx, "t1")) },
			then:  func(b *bench, _ *Task) { b.wantState("t1", StatePaused, "ana") },
		},
		{
			name: "Resume",
			setup: func(b *bench) {
				failureWorld(b)
				b.agent("ana", "desk")
				b.connected()
				b.must(b.r.Pause(b.ctx, "t1"))
			},
			op:   func(ctx context.Context, b *bench) (*Task, error) { return noTask(b.r.Resume(ctx, "t1")) },
			then: func(b *bench, _ *Task) { b.wantState("t1", StateConnected, "ana") },
		},
		{
			name:  "Transfer",
			setup: func(b *bench) { failureWorld(b); b.agent("ana", "desk"); b.connected() },
			op: func(ctx context.Context, b *bench) (*Task, error) {
				return b.r.Transfer(ctx, "t1", TransferTarget{QueueID: "claims"})
			},
			then: func(b *bench, got *Task) {
				b.wantState("t1", StateAfterContactWork, "ana")
				if t := b.task(got.ID); t.State != StateQueued || t.QueueID != "claims" || t.PreviousTaskID != "t1" {
					b.t.Errorf("new segment is %s in %q after %q, want QUEUED in claims after t1", t.State, t.QueueID, t.PreviousTaskID)
				}
			},
		},
		{
			name: "Stop",
			setup: func(b *bench) {
				failureWorld(b)
				b.agent("ana", "desk")
				b.connected()
				b.create(TaskInput{QueueID: "billing"})
			},
			op: func(ctx context.Context, b *bench) (*Task, error) { return noTask(b.r.Stop(ctx, "t1")) },
			then: func(b *bench, _ *Task) {
				b.wantState("t1", StateStopped, "ana")
				b.wantState("t2", StateOffered, "ana")
			},
		},
		{
			name: "UpdateRouting",
			setup: func(b *bench) {
				failureWorld(b)
				b.offline("ana")
				b.create(TaskInput{QueueID: "billing"})
				b.create(TaskInput{QueueID: "billing"})
			},
			op: func(ctx context.Context, b *bench) (*Task, error) {
				return noTask(b.r.UpdateRouting(ctx, "t2", RoutingUpdate{Priority: 1}))
			},
			then: func(b *bench, _ *Task) {
				if got := b.queuedIDs("billing"); !slices.Equal(got, []string{"t2", "t1"}) {
					b.t.Errorf("billing holds %q, want t2 moved ahead of t1", got)
				}
			},
		},
		{
			name: "UpdateAttributes",
			setup: func(b *bench) {
				failureWorld(b)
				b.agent("ana", "desk")
				b.connected()
				_, err := b.r.Transfer(b.ctx, "t1", TransferTarget{QueueID: "claims"}) // t2, chained to t1
				b.must(err)
			},
			op: func(ctx context.Context, b *bench) (*Task, error) {
				return noTask(b.r.UpdateAttributes(ctx, "t2", map[string]string{"outcome": "refund"}))
			},
			then: func(b *bench, _ *Task) {
				for _, id := range []string{"t1", "t2"} {
					if got := b.task(id).Attributes["outcome"]; got != "refund" {
						b.t.Errorf("%s has outcome %q, want refund on the whole chain", id, got)
					}
				}
			},
		},
		{
			name: "Reschedule",
			setup: func(b *bench) {
				failureWorld(b)
				b.agent("ana", "desk")
				b.create(TaskInput{QueueID: "billing", ScheduledAt: t0.Add(time.Hour)})
			},
			op: func(ctx context.Context, b *bench) (*Task, error) {
				return noTask(b.r.Reschedule(ctx, "t1", t0.Add(2*time.Hour)))
			},
			then: func(b *bench, _ *Task) {
				if t := b.task("t1"); !t.ScheduledAt.Equal(t0.Add(2*time.Hour)) || t.RescheduleCount != 1 {
					b.t.Errorf("t1 scheduled at %s (%d reschedules), want t0+2h (1)", t.ScheduledAt, t.RescheduleCount)
				}
			},
		},
		{
			name:  "PutQueue",
			setup: failureWorld,
			op: func(ctx context.Context, b *bench) (*Task, error) {
				return noTask(b.r.PutQueue(ctx, Queue{ID: "billing", Name: "Billing EU", MaxContacts: 7}))
			},
			then: func(b *bench, _ *Task) {
				if q := dumpStore(b.store).Queues["billing"]; q.Name != "Billing EU" || q.MaxContacts != 7 {
					b.t.Errorf("stored queue %+v, want the new name and MaxContacts", q)
				}
			},
		},
		{
			name: "PutRoutingProfile",
			setup: func(b *bench) {
				failureWorld(b)
				b.agent("ana", "desk")
				b.create(TaskInput{QueueID: "claims"}) // desk does not serve claims yet
			},
			op: func(ctx context.Context, b *bench) (*Task, error) {
				return noTask(b.r.PutRoutingProfile(ctx, RoutingProfile{ID: "desk",
					Concurrency: []MediaConcurrency{{Channel: ChannelTask, Concurrency: 1}},
					Queues: []QueueConfig{
						{QueueID: "billing", Channel: ChannelTask, Priority: 1},
						{QueueID: "claims", Channel: ChannelTask, Priority: 2},
					}}))
			},
			then: func(b *bench, _ *Task) { b.wantState("t1", StateOffered, "ana") },
		},
		{
			name:  "PutAgent",
			setup: func(b *bench) { failureWorld(b); b.create(TaskInput{QueueID: "billing"}) },
			op: func(ctx context.Context, b *bench) (*Task, error) {
				return noTask(b.r.PutAgent(ctx, Agent{ID: "bob", RoutingProfileID: "desk", Status: StatusAvailable}))
			},
			then: func(b *bench, _ *Task) { b.wantState("t1", StateOffered, "bob") },
		},
		{
			name:  "SetAgentStatus",
			setup: func(b *bench) { failureWorld(b); b.offline("ana"); b.create(TaskInput{QueueID: "billing"}) },
			op: func(ctx context.Context, b *bench) (*Task, error) {
				return noTask(b.r.SetAgentStatus(ctx, "ana", StatusAvailable))
			},
			then: func(b *bench, _ *Task) { b.wantState("t1", StateOffered, "ana") },
		},
		{
			name: "ClearAgent",
			setup: func(b *bench) {
				failureWorld(b)
				b.agent("ana", "desk")
				b.create(TaskInput{QueueID: "billing"})
				b.must(b.r.Reject(b.ctx, "t1", "ana"))
			},
			op: func(ctx context.Context, b *bench) (*Task, error) { return noTask(b.r.ClearAgent(ctx, "ana")) },
			then: func(b *bench, _ *Task) {
				if a := b.agentNow("ana"); a.Blocked != NotBlocked {
					b.t.Errorf("ana is still blocked (%s)", a.Blocked)
				}
				b.wantState("t1", StateOffered, "ana") // the only agent who can take it
			},
		},
		{
			name:  "DeleteAgent",
			setup: func(b *bench) { failureWorld(b); b.agent("ana", "desk") },
			op:    func(ctx context.Context, b *bench) (*Task, error) { return noTask(b.r.DeleteAgent(ctx, "ana")) },
			then: func(b *bench, _ *Task) {
				if _, err := b.r.Agent("ana"); !errors.Is(err, ErrNotFound) {
					b.t.Errorf("Agent(ana) after delete: %v, want ErrNotFound", err)
				}
			},
		},
		{
			name:  "DeleteQueue",
			setup: failureWorld,
			op:    func(ctx context.Context, b *bench) (*Task, error) { return noTask(b.r.DeleteQueue(ctx, "claims")) },
			then: func(b *bench, _ *Task) {
				if _, err := b.r.QueuedTasks("claims"); !errors.Is(err, ErrNotFound) {
					b.t.Errorf("QueuedTasks(claims) after delete: %v, want ErrNotFound", err)
				}
			},
		},
		{
			name:  "DeleteRoutingProfile",
			setup: func(b *bench) { failureWorld(b); b.profile("spare", 1, "claims") },
			op: func(ctx context.Context, b *bench) (*Task, error) {
				return noTask(b.r.DeleteRoutingProfile(ctx, "spare"))
			},
			then: func(b *bench, _ *Task) {
				if err := b.r.PutAgent(b.ctx, Agent{ID: "zoe", RoutingProfileID: "spare"}); !errors.Is(err, ErrNotFound) {
					b.t.Errorf("an agent on the deleted profile: %v, want ErrNotFound", err)
				}
			},
		},
	}
}

// Every public operation whose write the store refuses returns a *StoreError
// and changes nothing — not the router's answers, not its timers, not the
// store, no event — and succeeds once the store is back.
func TestStoreFailureOperationChangesNothing(t *testing.T) {
	for _, tc := range writeCases() {
		t.Run(tc.name, func(t *testing.T) {
			b, fs := newFaultBench(t, nil)
			tc.setup(b)
			b.sub.Drain()
			before := b.view()
			attempts0, _ := fs.counts()

			fs.failAll()
			_, err := tc.op(b.ctx, b)
			fs.heal()

			var se *StoreError
			if !errors.As(err, &se) || !errors.Is(err, errInjected) {
				t.Fatalf("%s with the store down returned %v, want a *StoreError wrapping the store's error", tc.name, err)
			}
			if se.Op == "" {
				t.Errorf("StoreError %q names no operation", se)
			}
			if attempts, _ := fs.counts(); attempts-attempts0 != 1 {
				t.Errorf("%s asked the store for %d writes, want exactly 1 (no follow-up after a failed change)", tc.name, attempts-attempts0)
			}
			if evs := b.sub.Drain(); len(evs) > 0 {
				t.Errorf("a failed %s emitted %d events: %+v", tc.name, len(evs), evs)
			}
			for _, d := range diffViews(before, b.view()) {
				t.Errorf("a failed %s changed %s", tc.name, d)
			}
			b.checkInvariants()

			got, err := tc.op(b.ctx, b)
			if err != nil {
				t.Fatalf("%s after the store recovered: %v", tc.name, err)
			}
			tc.then(b, got)
		})
	}
}

// A store that refuses only some records still makes the whole change fail:
// a change naming several tasks (UpdateAttributes on a chain, Transfer) is
// refused because of one of them, and none of them changes.
func TestStoreFailurePartialChangeRefusedWhole(t *testing.T) {
	b, fs := newFaultBench(t, nil)
	failureWorld(b)
	b.agent("ana", "desk")
	b.connected()
	seg, err := b.r.Transfer(b.ctx, "t1", TransferTarget{QueueID: "claims"})
	b.must(err)
	b.sub.Drain()
	before := b.view()

	// Refuse any write that touches the finished first segment (AFTER_CONTACT_WORK).
	fs.failWhen(writesState(StateAfterContactWork))
	err = b.r.UpdateAttributes(b.ctx, seg.ID, map[string]string{"outcome": "refund"})
	var se *StoreError
	if !errors.As(err, &se) {
		t.Fatalf("UpdateAttributes = %v, want a *StoreError", err)
	}
	// Refuse any write that creates a QUEUED segment.
	fs.failWhen(writesState(StateQueued))
	if _, err := b.r.Transfer(b.ctx, seg.ID, TransferTarget{QueueID: "billing"}); !errors.As(err, &se) {
		t.Fatalf("Transfer = %v, want a *StoreError", err)
	}
	fs.heal()
	for _, d := range diffViews(before, b.view()) {
		t.Errorf("a refused change changed %s", d)
	}
	if evs := b.sub.Drain(); len(evs) > 0 {
		t.Errorf("refused changes emitted %+v", evs)
	}
}

// A caller whose ctx is already cancelled changes nothing: the memory store
// checks ctx, the router reports a *StoreError matching context.Canceled.
func TestStoreFailureCancelledContextChangesNothing(t *testing.T) {
	for _, tc := range writeCases() {
		t.Run(tc.name, func(t *testing.T) {
			b, fs := newFaultBench(t, nil)
			tc.setup(b)
			b.sub.Drain()
			before := b.view()
			attempts0, _ := fs.counts()

			ctx, cancel := context.WithCancel(b.ctx)
			cancel()
			_, err := tc.op(ctx, b)

			var se *StoreError
			if !errors.As(err, &se) || !errors.Is(err, context.Canceled) {
				t.Fatalf("%s under a cancelled ctx returned %v, want a *StoreError matching context.Canceled", tc.name, err)
			}
			if attempts, _ := fs.counts(); attempts-attempts0 > 1 {
				t.Errorf("%s asked the store for %d writes, want at most 1", tc.name, attempts-attempts0)
			}
			if evs := b.sub.Drain(); len(evs) > 0 {
				t.Errorf("a cancelled %s emitted %d events: %+v", tc.name, len(evs), evs)
			}
			for _, d := range diffViews(before, b.view()) {
				t.Errorf("a cancelled %s changed %s", tc.name, d)
			}
			b.checkInvariants()

			got, err := tc.op(b.ctx, b)
			if err != nil {
				t.Fatalf("%s with a live ctx: %v", tc.name, err)
			}
			tc.then(b, got)
		})
	}
}
