package switchboard_test

// Routing benchmarks: switchboard against a hand-written baseline.
//
// One op of BenchmarkRoute is one full task lifecycle in a steady state where
// every agent is busy and the queue holds M waiting tasks: the next agent
// (round-robin) completes its task and closes after-contact work, its freed
// slot pulls the head of the queue (offer), it accepts that offer, and a new
// task is created to bring the queue back to M. Each op therefore performs one
// of every transition: create → QUEUED → OFFERED → CONNECTED →
// AFTER_CONTACT_WORK → COMPLETED.
//
// The driver never asks the router which task was offered: all tasks have the
// same priority and routing age grows with creation order, so the offer is
// always the oldest waiting task, which the driver tracks in a FIFO of IDs.
// Accept verifies every prediction (it fails unless the task is OFFERED to
// that very agent), and each benchmark checks the whole world once after the
// timed loop. TestBenchWorkload runs the same driver on small worlds with the
// router's invariant checks on.
//
// The baseline (blRouter, below) is what a Go user would reasonably write by
// hand: a container/heap per (queue, channel) ordered by (priority, routing
// age, sequence), agents in a slice scanned linearly for the longest-idle
// eligible one when a task arrives, the head of the agent's lanes taken when
// it frees a slot, and every task kept in a map[string]*task. It is
// deliberately generous to itself: it mutates tasks in place, keeps no
// timers (offer timeout and expiry are only recorded), supports one
// attribute condition instead of routing-criteria steps, and ignores queue
// delays, events and persistence. Both sides read time from a ManualClock
// advanced 1 ms per op and use the same counter-based task IDs, so the harness
// costs the same on both.

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	sb "github.com/switchboard-go/switchboard"
)

var benchStart = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

const (
	benchQueue   = "q"
	benchProfile = "p"
)

// ---- workload ----

// worldSpec describes a steady-state world.
type worldSpec struct {
	agents    int                          // all Available on one profile serving one queue
	tasks     int                          // waiting tasks, kept constant
	skills    func(i int) []sb.Proficiency // agent i's proficiencies; nil for none
	criteria  *sb.RoutingCriteria          // carried by every task; nil for none
	check     bool                         // switchboard: check invariants after every operation
	newImpl   func(testing.TB, *sb.ManualClock, *worldSpec) routeImpl
	consumers []sb.Consumer // switchboard: lossless consumers attached
}

// routeImpl is one router under test, reduced to what the workload needs.
type routeImpl interface {
	addAgent(id string, skills []sb.Proficiency) error // Available, on the one profile
	create() (string, error)                           // a task into the one queue
	accept(taskID, agentID string) error
	complete(taskID string) error
	closeACW(taskID string) error
	// held returns, for each agent, the one task it holds ("" for none) and
	// whether that task is CONNECTED. Outside timed loops only.
	held(agentIDs []string) ([]heldTask, error)
	waiting() int // QUEUED or OFFERED tasks in the queue
}

type heldTask struct {
	id        string
	connected bool
}

// driver runs lifecycles over a routeImpl.
type driver struct {
	impl    routeImpl
	clock   *sb.ManualClock
	agents  []string // busy agents, in round-robin order
	holding []string // the task each busy agent holds
	next    int
	fifo    idRing // waiting tasks, oldest first: the order agents take them
}

// newDriver builds the world: agents, one task per agent able to take the
// tasks (each accepted), then spec.tasks waiting tasks.
func newDriver(tb testing.TB, spec *worldSpec) *driver {
	tb.Helper()
	clock := sb.NewManualClock(benchStart)
	d := &driver{impl: spec.newImpl(tb, clock, spec), clock: clock}
	ids := make([]string, spec.agents)
	for i := range ids {
		ids[i] = fmt.Sprintf("a%06d", i)
		var skills []sb.Proficiency
		if spec.skills != nil {
			skills = spec.skills(i)
		}
		if err := d.impl.addAgent(ids[i], skills); err != nil {
			tb.Fatalf("addAgent: %v", err)
		}
	}
	able := spec.agents
	if spec.criteria != nil {
		able = 0
		expr := &spec.criteria.Steps[0].Requirement
		for i := range ids {
			a := sb.Agent{ID: ids[i]}
			if spec.skills != nil {
				a.Proficiencies = spec.skills(i)
			}
			if expr.Matches(&a) {
				able++
			}
		}
	}
	for range able {
		if _, err := d.impl.create(); err != nil {
			tb.Fatalf("create: %v", err)
		}
	}
	held, err := d.impl.held(ids)
	if err != nil {
		tb.Fatalf("held: %v", err)
	}
	for i, id := range ids {
		t := held[i].id
		if t == "" {
			continue
		}
		if err := d.impl.accept(t, id); err != nil {
			tb.Fatalf("accept: %v", err)
		}
		d.agents = append(d.agents, id)
		d.holding = append(d.holding, t)
	}
	if len(d.agents) != able {
		tb.Fatalf("%d agents busy after setup, want %d", len(d.agents), able)
	}
	d.fifo.grow(spec.tasks)
	for range spec.tasks {
		id, err := d.impl.create()
		if err != nil {
			tb.Fatalf("create: %v", err)
		}
		d.fifo.push(id)
	}
	if w := d.impl.waiting(); w != spec.tasks {
		tb.Fatalf("%d tasks waiting after setup, want %d", w, spec.tasks)
	}
	return d
}

// step runs one lifecycle: the next agent completes its task and closes
// after-contact work, accepts the offer its free slot pulled (the oldest
// waiting task), and a new task refills the queue.
func (d *driver) step() error {
	d.clock.Advance(time.Millisecond)
	i := d.next
	if d.next++; d.next == len(d.agents) {
		d.next = 0
	}
	agent, cur := d.agents[i], d.holding[i]
	if err := d.impl.complete(cur); err != nil {
		return err
	}
	if err := d.impl.closeACW(cur); err != nil {
		return err
	}
	offered := d.fifo.pop()
	if err := d.impl.accept(offered, agent); err != nil {
		return fmt.Errorf("agent %s did not get the oldest waiting task: %w", agent, err)
	}
	d.holding[i] = offered
	id, err := d.impl.create()
	if err != nil {
		return err
	}
	d.fifo.push(id)
	return nil
}

// check verifies the whole world against the driver's model: every busy
// agent holds exactly its predicted task, connected, and the queue holds M.
func (d *driver) check(tb testing.TB) {
	tb.Helper()
	held, err := d.impl.held(d.agents)
	if err != nil {
		tb.Fatalf("held: %v", err)
	}
	for i, a := range d.agents {
		if h := held[i]; h.id != d.holding[i] || !h.connected {
			tb.Fatalf("agent %s holds %q (connected %v), want %q connected", a, h.id, h.connected, d.holding[i])
		}
	}
	if w := d.impl.waiting(); w != d.fifo.n {
		tb.Fatalf("%d tasks waiting, want %d", w, d.fifo.n)
	}
}

// idRing is a FIFO of task IDs.
type idRing struct {
	buf     []string
	head, n int
}

func (q *idRing) grow(n int) {
	if n <= len(q.buf) {
		return
	}
	nb := make([]string, n)
	for i := 0; i < q.n; i++ {
		nb[i] = q.buf[(q.head+i)%len(q.buf)]
	}
	q.buf, q.head = nb, 0
}

func (q *idRing) push(id string) {
	if q.n == len(q.buf) {
		q.grow(2*len(q.buf) + 1)
	}
	q.buf[(q.head+q.n)%len(q.buf)] = id
	q.n++
}

func (q *idRing) pop() string {
	id := q.buf[q.head]
	q.buf[q.head] = ""
	if q.head++; q.head == len(q.buf) {
		q.head = 0
	}
	q.n--
	return id
}

// counterIDs returns task IDs "t1", "t2", ...: one allocation each.
func counterIDs() func() string {
	var n uint64
	var buf [24]byte
	return func() string {
		n++
		b := append(buf[:0], 't')
		return string(strconv.AppendUint(b, n, 10))
	}
}

func taskInput(spec *worldSpec) sb.TaskInput {
	return sb.TaskInput{Name: "follow up", QueueID: benchQueue, RoutingCriteria: spec.criteria}
}

// ---- switchboard ----

type sbImpl struct {
	ctx context.Context
	r   *sb.Router
	in  sb.TaskInput
}

func newSwitchboard(tb testing.TB, clock *sb.ManualClock, spec *worldSpec) routeImpl {
	return newSwitchboardOver(tb, clock, spec, sb.NewMemoryStore())
}

// newSwitchboardConsumer is newSwitchboard with one lossless consumer
// attached, which counts what it receives: the cost the event log adds for
// metrics or records.
func newSwitchboardConsumer(tb testing.TB, clock *sb.ManualClock, spec *worldSpec) routeImpl {
	var n atomic.Uint64
	spec.consumers = []sb.Consumer{sb.ConsumerFunc(func(sb.Event) { n.Add(1) })}
	return newSwitchboardOver(tb, clock, spec, sb.NewMemoryStore())
}

// newSwitchboardNoStore runs the router over a store that keeps nothing: the
// routing engine's own cost, without the durable copy of every change.
func newSwitchboardNoStore(tb testing.TB, clock *sb.ManualClock, spec *worldSpec) routeImpl {
	return newSwitchboardOver(tb, clock, spec, discardStore{})
}

// discardStore accepts every write and remembers nothing.
type discardStore struct{}

func (discardStore) Write(context.Context, *sb.Change) error { return nil }
func (discardStore) Task(_ context.Context, id string) (*sb.Task, error) {
	return nil, &sb.NotFoundError{Kind: "task", ID: id}
}
func (discardStore) TaskByClientToken(_ context.Context, token string) (*sb.Task, error) {
	return nil, &sb.NotFoundError{Kind: "task", ID: token}
}
func (discardStore) Chain(context.Context, string) ([]*sb.Task, error) { return nil, nil }
func (discardStore) Load(context.Context) (*sb.Snapshot, error)        { return &sb.Snapshot{}, nil }

func newSwitchboardOver(tb testing.TB, clock *sb.ManualClock, spec *worldSpec, store sb.Store) routeImpl {
	tb.Helper()
	ctx := context.Background()
	r, err := sb.NewRouter(ctx, store, &sb.Config{
		Clock:     clock,
		NewID:     counterIDs(),
		Consumers: spec.consumers,
		Test:      sb.TestConfig{CheckInvariants: spec.check},
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { r.Close(context.Background()) })
	if err := r.PutQueue(ctx, sb.Queue{ID: benchQueue, Name: "bench"}); err != nil {
		tb.Fatal(err)
	}
	if err := r.PutRoutingProfile(ctx, sb.RoutingProfile{
		ID: benchProfile, Name: "bench",
		Concurrency: []sb.MediaConcurrency{{Channel: sb.ChannelTask, Concurrency: 1}},
		Queues:      []sb.QueueConfig{{QueueID: benchQueue, Channel: sb.ChannelTask, Priority: 1}},
	}); err != nil {
		tb.Fatal(err)
	}
	return &sbImpl{ctx: ctx, r: r, in: taskInput(spec)}
}

func (s *sbImpl) addAgent(id string, skills []sb.Proficiency) error {
	return s.r.PutAgent(s.ctx, sb.Agent{ID: id, RoutingProfileID: benchProfile, Proficiencies: skills, Status: sb.StatusAvailable})
}

func (s *sbImpl) create() (string, error) {
	t, err := s.r.CreateTask(s.ctx, s.in)
	if err != nil {
		return "", err
	}
	return t.ID, nil
}

func (s *sbImpl) accept(taskID, agentID string) error { return s.r.Accept(s.ctx, taskID, agentID) }
func (s *sbImpl) complete(taskID string) error        { return s.r.Complete(s.ctx, taskID) }
func (s *sbImpl) closeACW(taskID string) error        { return s.r.CloseAfterContactWork(s.ctx, taskID) }

func (s *sbImpl) held(agentIDs []string) ([]heldTask, error) {
	out := make([]heldTask, len(agentIDs))
	for i, id := range agentIDs {
		ts, err := s.r.AgentTasks(id)
		switch {
		case err != nil:
			return nil, err
		case len(ts) > 1:
			return nil, fmt.Errorf("agent %s holds %d tasks", id, len(ts))
		case len(ts) == 1:
			out[i] = heldTask{ts[0].ID, ts[0].State == sb.StateConnected}
		}
	}
	return out, nil
}

func (s *sbImpl) waiting() int {
	st, err := s.r.Stats()
	if err != nil {
		panic(err)
	}
	return st.QueuedByQueue[benchQueue]
}

// ---- benchmarks ----

var impls = []struct {
	name string
	new  func(testing.TB, *sb.ManualClock, *worldSpec) routeImpl
}{
	{"switchboard", newSwitchboard},
	{"baseline", newBaseline},
	// The engine alone, over a store that keeps nothing: how much of a
	// lifecycle is the durable copy of five task versions.
	{"switchboard-nostore", newSwitchboardNoStore},
	// With one lossless consumer attached: must stay within 10 % of
	// impl=switchboard.
	{"switchboard-consumer", newSwitchboardConsumer},
}

// runLifecycles runs lifecycles on a world built from spec. Besides ns/op it
// reports cpu-ns/op, the process's CPU time per lifecycle (the garbage
// collector's included): on a machine shared with other work, wall time
// grows with the load while CPU time mostly does not, so ratios of cpu-ns/op
// are the steadier comparison.
func runLifecycles(b *testing.B, spec worldSpec) {
	d := newDriver(b, &spec)
	b.ReportAllocs()
	cpu0, n := processCPU(), 0
	for b.Loop() {
		if err := d.step(); err != nil {
			b.Fatal(err)
		}
		n++
	}
	if cpu1 := processCPU(); cpu0 >= 0 && cpu1 >= 0 && n > 0 {
		b.ReportMetric(float64(cpu1-cpu0)/float64(n), "cpu-ns/op")
	}
	d.check(b)
}

// BenchmarkRoute measures one full task lifecycle with N busy agents and M
// waiting tasks (see the top of this file).
func BenchmarkRoute(b *testing.B) {
	sizes := []struct{ agents, tasks int }{{100, 1000}, {1000, 100000}, {10000, 100000}}
	if os.Getenv("SWITCHBOARD_LONG") != "" {
		// Growth up to a million waiting tasks: setting it up takes a while.
		sizes = append(sizes, struct{ agents, tasks int }{1000, 1_000_000})
	}
	for _, size := range sizes {
		for _, impl := range impls {
			b.Run(fmt.Sprintf("agents=%d/tasks=%d/impl=%s", size.agents, size.tasks, impl.name), func(b *testing.B) {
				runLifecycles(b, worldSpec{agents: size.agents, tasks: size.tasks, newImpl: impl.new})
			})
		}
	}
}

// frenchCriteria is a one-step routing criterion that never expires.
var frenchCriteria = &sb.RoutingCriteria{Steps: []sb.RoutingStep{{Requirement: sb.Proficient("Language", "French", 3)}}}

// BenchmarkRouteWithCriteria is BenchmarkRoute at 1000 agents and 10000
// waiting tasks, where every task requires Language=French at level 3 or
// more, which 10% of the agents have. The other 90% stay Available and idle
// all along, since no task may go to them: routing must not scan them.
//
//   - criteria=none: no criteria, every agent busy (the control).
//   - criteria=French3: agent i has French at level 4 when i%10 == 0,
//     English at level 4 otherwise.
//   - criteria=French3-lowFrench: as French3, but 20% of the agents (i%10 is
//     1 or 2) have French at level 2, which does not satisfy the condition.
func BenchmarkRouteWithCriteria(b *testing.B) {
	const agents, tasks = 1000, 10000
	cases := []struct {
		name     string
		criteria *sb.RoutingCriteria
		skills   func(int) []sb.Proficiency
	}{
		{"none", nil, nil},
		{"French3", frenchCriteria, func(i int) []sb.Proficiency {
			if i%10 == 0 {
				return []sb.Proficiency{{Name: "Language", Value: "French", Level: 4}}
			}
			return []sb.Proficiency{{Name: "Language", Value: "English", Level: 4}}
		}},
		{"French3-lowFrench", frenchCriteria, func(i int) []sb.Proficiency {
			switch i % 10 {
			case 0:
				return []sb.Proficiency{{Name: "Language", Value: "French", Level: 4}}
			case 1, 2:
				return []sb.Proficiency{{Name: "Language", Value: "French", Level: 2}}
			}
			return []sb.Proficiency{{Name: "Language", Value: "English", Level: 4}}
		}},
	}
	for _, c := range cases {
		for _, impl := range impls {
			b.Run(fmt.Sprintf("agents=%d/tasks=%d/criteria=%s/impl=%s", agents, tasks, c.name, impl.name), func(b *testing.B) {
				runLifecycles(b, worldSpec{agents: agents, tasks: tasks, criteria: c.criteria, skills: c.skills, newImpl: impl.new})
			})
		}
	}
}

// BenchmarkCreateQueued measures CreateTask into a queue already holding M
// tasks, with no ready agent (the profile's 100 agents are Offline), so each
// task only joins the queue. To keep M steady, the oldest tasks are stopped
// in batches outside the timed region: the queue holds between M and
// M + M/4 (at most M + 1024) tasks.
func BenchmarkCreateQueued(b *testing.B) {
	for _, m := range []int{1_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("tasks=%d/impl=switchboard", m), func(b *testing.B) {
			ctx := context.Background()
			clock := sb.NewManualClock(benchStart)
			s := newSwitchboard(b, clock, &worldSpec{}).(*sbImpl)
			for i := range 100 {
				if err := s.r.PutAgent(ctx, sb.Agent{ID: fmt.Sprintf("a%06d", i), RoutingProfileID: benchProfile}); err != nil {
					b.Fatal(err)
				}
			}
			var fifo idRing
			fifo.grow(m + 1024)
			for range m {
				id, err := s.create()
				if err != nil {
					b.Fatal(err)
				}
				fifo.push(id)
			}
			batch := min(1024, max(m/4, 1))
			b.ReportAllocs()
			for b.Loop() {
				clock.Advance(time.Millisecond)
				id, err := s.create()
				if err != nil {
					b.Fatal(err)
				}
				fifo.push(id)
				if fifo.n >= m+batch {
					b.StopTimer()
					for fifo.n > m {
						if err := s.r.Stop(ctx, fifo.pop()); err != nil {
							b.Fatal(err)
						}
					}
					b.StartTimer()
				}
			}
			if w := s.waiting(); w != fifo.n {
				b.Fatalf("%d tasks waiting, want %d", w, fifo.n)
			}
		})
	}
}

// TestBenchWorkload runs the benchmark driver on small worlds, with
// switchboard checking its invariants after every operation, so that the
// benchmarks are known to measure what they claim: every offer goes to the
// predicted agent, on both implementations.
func TestBenchWorkload(t *testing.T) {
	french := func(i int) []sb.Proficiency {
		switch i % 5 {
		case 0:
			return []sb.Proficiency{{Name: "Language", Value: "French", Level: 4}}
		case 1:
			return []sb.Proficiency{{Name: "Language", Value: "French", Level: 2}}
		}
		return []sb.Proficiency{{Name: "Language", Value: "English", Level: 4}}
	}
	for _, impl := range impls {
		for _, spec := range []worldSpec{
			{agents: 7, tasks: 30},
			{agents: 20, tasks: 45, criteria: frenchCriteria, skills: french},
		} {
			t.Run(fmt.Sprintf("%s/agents=%d/criteria=%v", impl.name, spec.agents, spec.criteria != nil), func(t *testing.T) {
				spec.newImpl, spec.check = impl.new, true
				d := newDriver(t, &spec)
				for range 3 * spec.tasks {
					if err := d.step(); err != nil {
						t.Fatal(err)
					}
				}
				d.check(t)
			})
		}
	}
}
