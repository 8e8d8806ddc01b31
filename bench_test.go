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
	"container/heap"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
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

// ---- baseline ----

// blRouter is the hand-written baseline. Like switchboard's methods, its
// methods are safe for concurrent use.
type blRouter struct {
	mu           sync.Mutex
	now          func() time.Time
	newID        func() string
	offerTimeout time.Duration
	taskTTL      time.Duration
	seq          uint64
	lanes        map[blLaneKey]*blLane
	profiles     map[string]*blProfile
	agents       []*blAgent // scanned linearly to route a new task
	agentByID    map[string]*blAgent
	tasks        map[string]*blTask // every task, like a store: finished ones stay
}

type blLaneKey struct {
	queue string
	ch    int
}

type blLane struct {
	key     blLaneKey
	waiting blHeap
}

type blQueueConfig struct {
	lane *blLane
	prio int // lower first
}

type blProfile struct {
	id      string
	conc    [4]int  // per channel
	anyCh   [4]bool // ROUTE_ANY_CHANNEL per channel
	configs []blQueueConfig
}

func (p *blProfile) serves(l *blLane) bool {
	for i := range p.configs {
		if p.configs[i].lane == l {
			return true
		}
	}
	return false
}

type blAgent struct {
	id           string
	status       sb.AgentStatus
	blocked      bool
	profile      *blProfile
	skills       []sb.Proficiency
	load         [4]int // tasks held per channel (offered through after-contact work)
	lastActivity time.Time
}

// readyOn reports whether the agent may receive a task on channel ch.
func (a *blAgent) readyOn(ch int) bool {
	if a.status != sb.StatusAvailable || a.blocked {
		return false
	}
	p := a.profile
	if a.load[ch] >= p.conc[ch] {
		return false
	}
	for x, n := range a.load {
		if x != ch && n > 0 && !p.anyCh[x] {
			return false
		}
	}
	return true
}

// idleBefore is the longest-idle order: LastActivity, then ID.
func (a *blAgent) idleBefore(b *blAgent) bool {
	if !a.lastActivity.Equal(b.lastActivity) {
		return a.lastActivity.Before(b.lastActivity)
	}
	return a.id < b.id
}

// blCond is the baseline's routing condition: one proficiency at a minimum level.
type blCond struct {
	name, value string
	minLevel    int
}

func (c *blCond) matches(a *blAgent) bool {
	for _, p := range a.skills {
		if p.Name == c.name && p.Value == c.value {
			return p.Level >= c.minLevel
		}
	}
	return false
}

type blState uint8

const (
	blQueued blState = iota
	blOffered
	blConnected
	blACW
	blCompleted
)

type blTask struct {
	id         string
	seq        uint64
	name       string
	ch         int
	lane       *blLane
	priority   int
	age        int64 // routing age, Unix ns
	cond       *blCond
	state      blState
	agent      *blAgent
	rejectedBy []string
	index      int // position in lane.waiting while queued

	createdAt, enqueuedAt, expiresAt time.Time
	offeredAt, offerExpiresAt        time.Time
	connectedAt, acwAt, completedAt  time.Time
}

func (t *blTask) before(u *blTask) bool {
	if t.priority != u.priority {
		return t.priority < u.priority
	}
	if t.age != u.age {
		return t.age < u.age
	}
	return t.seq < u.seq
}

func (t *blTask) rejected(agentID string) bool {
	for _, id := range t.rejectedBy {
		if id == agentID {
			return true
		}
	}
	return false
}

// blHeap is a container/heap of waiting tasks, best first.
type blHeap []*blTask

func (h blHeap) Len() int           { return len(h) }
func (h blHeap) Less(i, j int) bool { return h[i].before(h[j]) }
func (h blHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *blHeap) Push(x any) {
	t := x.(*blTask)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *blHeap) Pop() any {
	old := *h
	n := len(old) - 1
	t := old[n]
	old[n] = nil
	*h = old[:n]
	t.index = -1
	return t
}

var (
	errBLNotFound = errors.New("baseline: not found")
	errBLState    = errors.New("baseline: wrong state")
)

func chIndex(c sb.Channel) int {
	switch c {
	case sb.ChannelVoice:
		return 0
	case sb.ChannelChat:
		return 1
	case sb.ChannelTask:
		return 2
	case sb.ChannelEmail:
		return 3
	}
	return -1
}

func newBLRouter(clock sb.Clock) *blRouter {
	return &blRouter{
		now:          clock.Now,
		newID:        counterIDs(),
		offerTimeout: sb.OfferTimeoutDefault,
		taskTTL:      sb.DefaultTaskDurationDefault,
		lanes:        map[blLaneKey]*blLane{},
		profiles:     map[string]*blProfile{},
		agentByID:    map[string]*blAgent{},
		tasks:        map[string]*blTask{},
	}
}

func (r *blRouter) putProfile(p sb.RoutingProfile) {
	r.mu.Lock()
	defer r.mu.Unlock()
	bp := &blProfile{id: p.ID}
	for _, mc := range p.Concurrency {
		bp.conc[chIndex(mc.Channel)] = mc.Concurrency
		bp.anyCh[chIndex(mc.Channel)] = mc.CrossChannel == sb.AnyChannel
	}
	for _, qc := range p.Queues {
		k := blLaneKey{qc.QueueID, chIndex(qc.Channel)}
		l := r.lanes[k]
		if l == nil {
			l = &blLane{key: k}
			r.lanes[k] = l
		}
		i := len(bp.configs)
		bp.configs = append(bp.configs, blQueueConfig{lane: l, prio: qc.Priority})
		for ; i > 0 && bp.configs[i].prio < bp.configs[i-1].prio; i-- {
			bp.configs[i], bp.configs[i-1] = bp.configs[i-1], bp.configs[i]
		}
	}
	r.profiles[p.ID] = bp
}

func (r *blRouter) putAgent(id, profile string, skills []sb.Proficiency) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.profiles[profile]
	if p == nil {
		return errBLNotFound
	}
	a := &blAgent{id: id, status: sb.StatusAvailable, profile: p, skills: skills, lastActivity: r.now()}
	r.agents = append(r.agents, a)
	r.agentByID[id] = a
	r.pull(a, a.lastActivity)
	return nil
}

// createTask queues a new task and offers it to the longest-idle agent who
// can take it, if any.
func (r *blRouter) createTask(name, queue string, ch sb.Channel, priority int, cond *blCond) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.lanes[blLaneKey{queue, chIndex(ch)}]
	if l == nil {
		return "", errBLNotFound
	}
	now := r.now()
	r.seq++
	t := &blTask{
		id: r.newID(), seq: r.seq, name: name, ch: l.key.ch, lane: l,
		priority: priority, age: now.UnixNano(), cond: cond, state: blQueued, index: -1,
		createdAt: now, enqueuedAt: now, expiresAt: now.Add(r.taskTTL),
	}
	r.tasks[t.id] = t
	if a := r.findAgent(t); a != nil {
		r.offer(t, a, now)
	} else {
		heap.Push(&l.waiting, t)
	}
	return t.id, nil
}

// findAgent scans every agent for the longest-idle one who can take t,
// preferring agents who have not turned it down.
func (r *blRouter) findAgent(t *blTask) *blAgent {
	var best, fallback *blAgent
	for _, a := range r.agents {
		if !a.readyOn(t.ch) || !a.profile.serves(t.lane) {
			continue
		}
		if t.cond != nil && !t.cond.matches(a) {
			continue
		}
		if t.rejected(a.id) {
			if fallback == nil || a.idleBefore(fallback) {
				fallback = a
			}
			continue
		}
		if best == nil || a.idleBefore(best) {
			best = a
		}
	}
	if best == nil {
		return fallback
	}
	return best
}

// offer gives t (removed from its lane if it waits there) to a.
func (r *blRouter) offer(t *blTask, a *blAgent, now time.Time) {
	if t.index >= 0 {
		heap.Remove(&t.lane.waiting, t.index)
	}
	t.state = blOffered
	t.agent = a
	t.offeredAt = now
	t.offerExpiresAt = now.Add(r.offerTimeout)
	a.load[t.ch]++
	a.lastActivity = now
}

// pull offers agent a the best tasks it can take while it has room.
func (r *blRouter) pull(a *blAgent, now time.Time) {
	for {
		t := r.bestTask(a)
		if t == nil {
			return
		}
		r.offer(t, a, now)
	}
}

// bestTask returns the first task agent a can take: by profile priority of the
// lane, then the task key.
func (r *blRouter) bestTask(a *blAgent) *blTask {
	var best *blTask
	bestPrio := 0
	for _, qc := range a.profile.configs {
		if best != nil && qc.prio > bestPrio {
			break
		}
		w := qc.lane.waiting
		if len(w) == 0 || !a.readyOn(qc.lane.key.ch) {
			continue
		}
		t := w[0]
		if t.cond != nil && !t.cond.matches(a) {
			// The head needs another skill: look through the lane.
			t = nil
			for _, u := range w {
				if (u.cond == nil || u.cond.matches(a)) && (t == nil || u.before(t)) {
					t = u
				}
			}
			if t == nil {
				continue
			}
		}
		if best == nil || qc.prio < bestPrio || t.before(best) {
			best, bestPrio = t, qc.prio
		}
	}
	return best
}

func (r *blRouter) accept(taskID, agentID string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.tasks[taskID]
	if t == nil {
		return errBLNotFound
	}
	if t.state != blOffered || t.agent.id != agentID {
		return errBLState
	}
	t.state = blConnected
	t.connectedAt = r.now()
	t.offerExpiresAt = time.Time{}
	return nil
}

func (r *blRouter) complete(taskID string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.tasks[taskID]
	if t == nil {
		return errBLNotFound
	}
	if t.state != blConnected {
		return errBLState
	}
	t.state = blACW
	t.acwAt = r.now()
	return nil
}

func (r *blRouter) closeACW(taskID string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.tasks[taskID]
	if t == nil {
		return errBLNotFound
	}
	if t.state != blACW {
		return errBLState
	}
	now := r.now()
	t.state = blCompleted
	t.completedAt = now
	a := t.agent
	a.load[t.ch]--
	a.lastActivity = now
	r.pull(a, now)
	return nil
}

// blImpl adapts blRouter to the workload.
type blImpl struct {
	r    *blRouter
	cond *blCond
}

func newBaseline(tb testing.TB, clock *sb.ManualClock, spec *worldSpec) routeImpl {
	r := newBLRouter(clock)
	r.putProfile(sb.RoutingProfile{
		ID:          benchProfile,
		Concurrency: []sb.MediaConcurrency{{Channel: sb.ChannelTask, Concurrency: 1}},
		Queues:      []sb.QueueConfig{{QueueID: benchQueue, Channel: sb.ChannelTask, Priority: 1}},
	})
	b := &blImpl{r: r}
	if c := spec.criteria; c != nil {
		attr := c.Steps[0].Requirement.Attribute
		if len(c.Steps) != 1 || c.Steps[0].Expiry != 0 || attr == nil {
			tb.Fatal("baseline supports one never-expiring attribute condition")
		}
		b.cond = &blCond{attr.Name, attr.Value, attr.MinLevel}
	}
	return b
}

func (b *blImpl) addAgent(id string, skills []sb.Proficiency) error {
	return b.r.putAgent(id, benchProfile, skills)
}

func (b *blImpl) create() (string, error) {
	return b.r.createTask("follow up", benchQueue, sb.ChannelTask, sb.DefaultPriority, b.cond)
}

func (b *blImpl) accept(taskID, agentID string) error { return b.r.accept(taskID, agentID) }
func (b *blImpl) complete(taskID string) error        { return b.r.complete(taskID) }
func (b *blImpl) closeACW(taskID string) error        { return b.r.closeACW(taskID) }

func (b *blImpl) held(agentIDs []string) ([]heldTask, error) {
	b.r.mu.Lock()
	defer b.r.mu.Unlock()
	byAgent := map[*blAgent]*blTask{}
	for _, t := range b.r.tasks {
		if t.state >= blOffered && t.state <= blACW {
			if byAgent[t.agent] != nil {
				return nil, fmt.Errorf("agent %s holds several tasks", t.agent.id)
			}
			byAgent[t.agent] = t
		}
	}
	out := make([]heldTask, len(agentIDs))
	for i, id := range agentIDs {
		a := b.r.agentByID[id]
		if a == nil {
			return nil, errBLNotFound
		}
		if t := byAgent[a]; t != nil {
			out[i] = heldTask{t.id, t.state == blConnected}
		}
	}
	return out, nil
}

func (b *blImpl) waiting() int {
	b.r.mu.Lock()
	defer b.r.mu.Unlock()
	n := 0
	for _, l := range b.r.lanes {
		if l.key.queue == benchQueue {
			n += len(l.waiting)
		}
	}
	for _, t := range b.r.tasks {
		if t.state == blOffered && t.lane.key.queue == benchQueue {
			n++
		}
	}
	return n
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

func runLifecycles(b *testing.B, spec worldSpec) {
	d := newDriver(b, &spec)
	b.ReportAllocs()
	for b.Loop() {
		if err := d.step(); err != nil {
			b.Fatal(err)
		}
	}
	d.check(b)
}

// BenchmarkRoute measures one full task lifecycle with N busy agents and M
// waiting tasks (see the top of this file).
func BenchmarkRoute(b *testing.B) {
	for _, size := range []struct{ agents, tasks int }{{100, 1000}, {1000, 100000}, {10000, 100000}} {
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
