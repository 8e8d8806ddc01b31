package switchboard

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"
)

// t0 is the start of every scenario: a Tuesday morning.
var t0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

// bench is one scenario's world: a router on a manual clock over a memory
// store, with a subscription recording every event.
type bench struct {
	t     testing.TB
	ctx   context.Context
	clock *ManualClock
	store *MemoryStore
	r     *Router
	sub   *Subscription
	ids   int
}

// groupCommitAll runs every scenario built on a bench over a group-commit
// store (SWITCHBOARD_GROUP_COMMIT=1): the same stories on the pipeline path.
var groupCommitAll = os.Getenv("SWITCHBOARD_GROUP_COMMIT") == "1"

// parallelTests records the tests already marked parallel: a test that builds
// several benches (one per seed) marks itself once.
var parallelTests sync.Map

// runParallel marks t parallel: every bench has its own clock and store, so
// scenario tests share nothing. Tests that count goroutines build no bench
// and stay sequential, which Go runs before the parallel ones.
func runParallel(t testing.TB) {
	if tt, ok := t.(*testing.T); ok {
		if _, done := parallelTests.LoadOrStore(tt, true); !done {
			tt.Parallel()
		}
	}
}

// newBench builds a router whose task IDs are "t1", "t2", ... and which
// checks its invariants after every operation and at the end of the test.
func newBench(t testing.TB, cfg *Config) *bench {
	t.Helper()
	runParallel(t)
	b := &bench{t: t, ctx: context.Background(), clock: NewManualClock(t0), store: NewMemoryStore()}
	b.r = b.open(cfg)
	t.Cleanup(func() {
		b.checkInvariants()
		b.r.Close(context.Background())
	})
	return b
}

// open starts a router over b's store and clock (again, for restart tests).
func (b *bench) open(cfg *Config) *Router {
	b.t.Helper()
	c := Config{}
	if cfg != nil {
		c = *cfg
	}
	c.Clock = b.clock
	c.Test.CheckInvariants = true
	if c.AgentStatuses == nil {
		c.AgentStatuses = testStatuses // Break, Lunch, ...: the custom statuses stories use
	}
	if c.NewID == nil {
		c.NewID = func() string { b.ids++; return fmt.Sprintf("t%d", b.ids) }
	}
	var store Store = b.store
	if groupCommitAll {
		store = &groupStore{MemoryStore: b.store, gate: make(chan struct{}), started: make(chan int, 1)}
	}
	r, err := NewRouter(b.ctx, store, &c)
	if err != nil {
		b.t.Fatalf("NewRouter: %v", err)
	}
	b.r = r
	b.sub = r.Subscribe(&SubscribeOptions{MaxPending: -1})
	return r
}

func (b *bench) checkInvariants() {
	b.t.Helper()
	b.r.mu.Lock()
	defer b.r.mu.Unlock()
	if b.r.closed {
		return
	}
	if err := b.r.checkInvariants(); err != nil {
		b.t.Fatalf("invariant broken: %v", err)
	}
}

func (b *bench) must(err error) {
	b.t.Helper()
	if err != nil {
		b.t.Fatal(err)
	}
}

func (b *bench) queue(id string) { b.t.Helper(); b.must(b.r.PutQueue(b.ctx, Queue{ID: id, Name: id})) }

// profile makes a TASK-only profile with concurrency n over queues at
// priority 1 and no delay.
func (b *bench) profile(id string, n int, queues ...string) {
	b.t.Helper()
	p := RoutingProfile{ID: id, Concurrency: []MediaConcurrency{{Channel: ChannelTask, Concurrency: n}}}
	for _, q := range queues {
		p.Queues = append(p.Queues, QueueConfig{QueueID: q, Channel: ChannelTask, Priority: 1})
	}
	b.must(b.r.PutRoutingProfile(b.ctx, p))
}

// agent creates an available agent on a profile.
func (b *bench) agent(id, profile string, skills ...Proficiency) {
	b.t.Helper()
	b.must(b.r.PutAgent(b.ctx, Agent{ID: id, RoutingProfileID: profile, Proficiencies: skills, Status: StatusAvailable}))
}

func (b *bench) create(in TaskInput) *Task {
	b.t.Helper()
	if in.Name == "" {
		in.Name = "follow up"
	}
	t, err := b.r.CreateTask(b.ctx, in)
	if err != nil {
		b.t.Fatalf("CreateTask(%+v): %v", in, err)
	}
	return t
}

func (b *bench) task(id string) *Task {
	b.t.Helper()
	t, err := b.r.Task(b.ctx, id)
	if err != nil {
		b.t.Fatalf("Task(%q): %v", id, err)
	}
	return t
}

// wantState checks a task's state and holder.
func (b *bench) wantState(id string, state TaskState, agent string) {
	b.t.Helper()
	t := b.task(id)
	if t.State != state || t.AgentID != agent {
		b.t.Fatalf("task %s is %s with agent %q, want %s with agent %q", id, t.State, t.AgentID, state, agent)
	}
}

// offers returns the offers made since the last call, as "task>agent".
func (b *bench) offers() []string {
	var out []string
	for _, e := range b.sub.Drain() {
		if e.Type == EventTaskOffered {
			out = append(out, e.TaskID+">"+e.AgentID)
		}
	}
	return out
}

// ---- helpers added for the scenario tests ----

// wantOffers checks the offers made since the last call of offers or
// wantOffers, as "task>agent" (none when want is empty).
func (b *bench) wantOffers(want ...string) {
	b.t.Helper()
	got := b.offers()
	if len(want) == 0 && len(got) == 0 {
		return
	}
	if !slices.Equal(want, got) {
		b.t.Fatalf("at t0+%s offers %q, want %q", b.clock.Now().Sub(t0), got, want)
	}
}

// put creates or replaces an agent from a full description; an empty Status
// means Available.
func (b *bench) put(a Agent) {
	b.t.Helper()
	if a.Status == "" {
		a.Status = StatusAvailable
	}
	b.must(b.r.PutAgent(b.ctx, a))
}

// status sets an agent's status.
func (b *bench) status(agent string, s AgentStatus) {
	b.t.Helper()
	b.must(b.r.SetAgentStatus(b.ctx, agent, s))
}

// handle walks a task offered to (or connected with) its agent to COMPLETED:
// accept if offered, complete, close after-contact work.
func (b *bench) handle(id string) {
	b.t.Helper()
	t := b.task(id)
	if t.State == StateOffered {
		b.must(b.r.Accept(b.ctx, id, t.AgentID))
	}
	b.must(b.r.Complete(b.ctx, id))
	b.must(b.r.CloseAfterContactWork(b.ctx, id))
}

// agentNow returns a copy of an agent with its runtime fields.
func (b *bench) agentNow(id string) *Agent {
	b.t.Helper()
	a, err := b.r.Agent(id)
	if err != nil {
		b.t.Fatalf("Agent(%q): %v", id, err)
	}
	return a
}

// queuedIDs returns the IDs of the tasks waiting in a queue, in line order.
func (b *bench) queuedIDs(queue string) []string {
	b.t.Helper()
	ts, err := b.r.QueuedTasks(queue)
	b.must(err)
	var ids []string
	for _, t := range ts {
		ids = append(ids, t.ID)
	}
	return ids
}

// mustStats returns r.Stats() and panics if the router is closed.
func mustStats(r *Router) Stats {
	s, err := r.Stats()
	if err != nil {
		panic(err)
	}
	return s
}

// emittedEvents returns the Seq of the router's last event, also after Close.
func emittedEvents(r *Router) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.eventSeq
}

// openTaskCounts returns the router's open tasks by state, also after Close.
func openTaskCounts(r *Router) map[TaskState]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[TaskState]int{}
	r.openByState.each(func(st TaskState, n int) { out[st] = n })
	return out
}
