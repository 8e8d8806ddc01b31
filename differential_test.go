package switchboard

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// differential_test.go drives the Router and the reference router of
// reference_test.go with the same seeded random operations and requires the
// same offers (task, agent, clock reading), the same refusals and the same
// task states. Replay one seed with
//
//	go test -run TestDifferential -switchboard.seed=N -v .
//
// (add -switchboard.ops=M to change the number of operations).

var (
	diffOpsFlag = flag.Int("switchboard.ops", 0, "operations per seed in TestDifferentialRouting and TestPropertyRouting (0: default)")
)

func simLong() bool { return os.Getenv("SWITCHBOARD_LONG") == "1" }

func TestDifferentialRouting(t *testing.T) {
	runSeeds(t, "TestDifferentialRouting", "switchboard.seed", *seedFlag, simSize{200, 300, 3000, 500, 25, 200}, runDifferential)
}

// simSize is how many seeds and operations a seeded test runs: by default,
// with SWITCHBOARD_LONG=1, and with -short.
type simSize struct {
	seeds, ops           uint64
	longSeeds, longOps   uint64
	shortSeeds, shortOps uint64
}

// runSeeds runs run once per seed, or only the seed given by replay (the
// value of flag replayFlag), and names the command that replays a failure.
func runSeeds(t *testing.T, test, replayFlag string, replay uint64, size simSize, run func(t *testing.T, seed uint64, ops int, verbose bool)) {
	seeds, ops := size.seeds, size.ops
	switch {
	case simLong():
		seeds, ops = size.longSeeds, size.longOps
	case testing.Short():
		seeds, ops = size.shortSeeds, size.shortOps
	}
	if *diffOpsFlag > 0 {
		ops = uint64(*diffOpsFlag)
	}
	if replay != 0 {
		t.Logf("seed %d, %d ops", replay, ops)
		run(t, replay, int(ops), true)
		return
	}
	t.Logf("seeds 1..%d, %d ops each", seeds, ops)
	for s := uint64(1); s <= seeds; s++ {
		ok := t.Run(fmt.Sprintf("seed=%d", s), func(t *testing.T) {
			run(t, s, int(ops), false)
		})
		if !ok {
			t.Fatalf("seed %d failed; replay with: go test -run %s -%s=%d -v .", s, test, replayFlag, s)
		}
	}
}

func runDifferential(t *testing.T, seed uint64, nops int, verbose bool) {
	rng := rand.New(rand.NewPCG(seed, 0x5b0a4d))
	w := simRandomWorld(rng)
	b := newBench(t, w.config())
	w.install(b)
	b.sub.Drain()
	ref := newRefRouter(w, b.clock.Now())
	m := newSimModel()
	g := &simGen{rng: rng, w: w, m: m, now: b.clock.Now}
	var hist []string
	var engAll, refAll []refOffer
	fail := func(i int, format string, args ...any) {
		t.Helper()
		from := max(0, len(hist)-40)
		t.Fatalf("seed %d, op %d: %s\n%s\nlast ops:\n  %s\nengine offers (last 30): %v\nreference offers (last 30): %v\nreplay: go test -run TestDifferentialRouting -switchboard.seed=%d -switchboard.ops=%d -v .",
			seed, i, fmt.Sprintf(format, args...), w, strings.Join(hist[from:], "\n  "),
			simTail(engAll, 30), simTail(refAll, 30), seed, i+1)
	}
	for i := 0; i < nops; i++ {
		o := g.next()
		hist = append(hist, fmt.Sprintf("%3d @%-6s %s", i, b.clock.Now().Sub(t0), o))
		newID, errE := o.runEngine(b)
		refID, errR := o.runRef(ref)
		evs := b.sub.Drain()
		m.feed(evs)
		if errE == nil && newID != nil {
			m.add(newID)
		}
		var got []refOffer
		for _, e := range evs {
			if e.Type == EventTaskOffered {
				got = append(got, refOffer{e.TaskID, e.AgentID, e.Time})
			}
		}
		want := ref.takeOffers()
		engAll, refAll = append(engAll, got...), append(refAll, want...)
		if verbose {
			t.Logf("%s -> engine err=%v offers=%v; reference err=%v offers=%v", hist[i], errE, got, errR, want)
		}
		if simIsPanic(errE) {
			fail(i, "engine panicked: %v", errE)
		}
		if (errE == nil) != (errR == nil) {
			fail(i, "engine error %v, reference error %v", errE, errR)
		}
		if newID != nil && errE == nil && newID.ID != refID {
			fail(i, "engine created %s, reference %s", newID.ID, refID)
		}
		if !slices.Equal(got, want) {
			fail(i, "offers differ\n  engine:    %v\n  reference: %v", got, want)
		}
		if d := simDiffStates(b, ref); d != "" {
			fail(i, "task states differ: %s", d)
		}
	}
}

// TestDifferentialResumeOfferedTask is the smallest disagreement the random
// test found (seed 1, 2 ops): Resume of a task that is OFFERED, not PAUSED.
// docs/task-states.md allows Resume only from PAUSED and Accept is the only
// way from OFFERED to CONNECTED ("by that agent only"), so Resume must be
// refused with ErrInvalidState and leave the offer alone.
func TestDifferentialResumeOfferedTask(t *testing.T) {
	w := &simWorld{
		queues:   []string{"q1"},
		profiles: []RoutingProfile{{ID: "p1", Concurrency: []MediaConcurrency{{Channel: ChannelTask, Concurrency: 1}}, Queues: []QueueConfig{{QueueID: "q1", Channel: ChannelTask, Priority: 1}}}},
		agents:   []Agent{{ID: "a1", RoutingProfileID: "p1", Status: StatusAvailable}},
	}
	simRunScript(t, w, []simOp{
		{kind: simCreate, in: TaskInput{Name: "task", QueueID: "q1"}}, // offered to a1
		{kind: simResume, task: "t1"},                                 // must be refused
		{kind: simAdvance, d: 20 * time.Second},                       // the offer times out
	})
}

// runScript drives both routers with fixed operations and compares them as
// runDifferential does.
func simRunScript(t *testing.T, w *simWorld, ops []simOp) {
	t.Helper()
	b := newBench(t, w.config())
	w.install(b)
	b.sub.Drain()
	ref := newRefRouter(w, b.clock.Now())
	for i, o := range ops {
		_, errE := o.runEngine(b)
		_, errR := o.runRef(ref)
		var got []refOffer
		for _, e := range b.sub.Drain() {
			if e.Type == EventTaskOffered {
				got = append(got, refOffer{e.TaskID, e.AgentID, e.Time})
			}
		}
		want := ref.takeOffers()
		if (errE == nil) != (errR == nil) || !slices.Equal(got, want) {
			t.Fatalf("op %d (%s): engine error %v offers %v; reference error %v offers %v", i, o, errE, got, errR, want)
		}
		if d := simDiffStates(b, ref); d != "" {
			t.Fatalf("op %d (%s): %s", i, o, d)
		}
	}
}

func simTail[T any](xs []T, n int) []T { return xs[max(0, len(xs)-n):] }

// diffStates compares the counts of open tasks by state, and at the end the
// state and holder of every task.
func simDiffStates(b *bench, ref *refRouter) string {
	want := map[TaskState]int{}
	for _, t := range ref.tasks {
		if !t.state.Final() {
			want[t.state]++
		}
	}
	got := mustStats(b.r).TasksByState
	for _, s := range []TaskState{StateScheduled, StateQueued, StateOffered, StateConnected, StatePaused, StateAfterContactWork} {
		if got[s] != want[s] {
			var detail []string
			for _, rt := range ref.tasks {
				et := b.task(rt.id)
				if et.State != rt.state || holdsSlotRef(et.State) && et.AgentID != rt.agent {
					detail = append(detail, fmt.Sprintf("%s engine %s/%s reference %s/%s", rt.id, et.State, et.AgentID, rt.state, rt.agent))
				}
			}
			return fmt.Sprintf("open tasks by state: engine %v, reference %v; %s", got, want, strings.Join(detail, "; "))
		}
	}
	return ""
}

func simIsPanic(err error) bool { _, ok := err.(simPanic); return ok }

// ---- the random world and operations, shared with property_test.go ----

// simWorld is the fixed setup of one seed.
type simWorld struct {
	policy   MissedPolicy
	cooldown time.Duration // Config.ReofferCooldown
	queues   []string
	capacity map[string]int             // MaxContacts of queues that have one
	ageing   map[string]*PriorityAgeing // Queue.PriorityAgeing of queues that have one
	qcool    map[string]*time.Duration  // Queue.ReofferCooldown of queues that set one
	profiles []RoutingProfile
	agents   []Agent
	skills   []Proficiency // name/value pairs used by agents and criteria
}

func (w *simWorld) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "world: policy=%d cooldown=%s queues=%v capacity=%v\n", w.policy, w.cooldown, w.queues, w.capacity)
	for _, q := range w.queues {
		if w.ageing[q] != nil || w.qcool[q] != nil {
			fmt.Fprintf(&b, "  queue %s %s\n", q, simRules(w.ageing[q], w.qcool[q]))
		}
	}
	for _, p := range w.profiles {
		fmt.Fprintf(&b, "  profile %s conc=%v queues=%v\n", p.ID, p.Concurrency, p.Queues)
	}
	for _, a := range w.agents {
		fmt.Fprintf(&b, "  agent %s profile=%s status=%s skills=%v auto=%v acw=%v\n",
			a.ID, a.RoutingProfileID, a.Status, a.Proficiencies, a.AutoAccept, a.AfterContactWorkLimit)
	}
	return b.String()
}

func simRandomWorld(rng *rand.Rand) *simWorld {
	w := &simWorld{policy: BlockUntilCleared}
	if rng.IntN(3) == 0 {
		w.policy = StayAvailable
	}
	for _, n := range []string{"lang", "tier"} {
		for _, v := range []string{"en", "fr", "de"} {
			w.skills = append(w.skills, Proficiency{Name: n, Value: v})
		}
	}
	nq := 2 + rng.IntN(2)
	for i := 1; i <= nq; i++ {
		w.queues = append(w.queues, fmt.Sprintf("q%d", i))
	}
	w.capacity = map[string]int{}
	if rng.IntN(2) == 0 {
		w.capacity[w.queues[nq-1]] = 2 + rng.IntN(5)
	}
	w.cooldown = []time.Duration{0, 0, 10 * time.Second, 30 * time.Second}[rng.IntN(4)]
	w.ageing, w.qcool = map[string]*PriorityAgeing{}, map[string]*time.Duration{}
	for _, q := range w.queues {
		w.ageing[q], w.qcool[q] = w.rules(rng)
	}
	cross := func() CrossChannel {
		if rng.IntN(2) == 0 {
			return AnyChannel
		}
		return CurrentChannelOnly
	}
	np := 2 + rng.IntN(2)
	for i := 1; i <= np; i++ {
		p := RoutingProfile{ID: fmt.Sprintf("p%d", i),
			Concurrency: []MediaConcurrency{{Channel: ChannelTask, Concurrency: 1 + rng.IntN(3), CrossChannel: cross()}}}
		if i == 1 {
			p.Concurrency = append(p.Concurrency, MediaConcurrency{Channel: ChannelChat, Concurrency: 1 + rng.IntN(2), CrossChannel: cross()})
		}
		p.Queues = w.queueConfigs(rng, i == 1)
		w.profiles = append(w.profiles, p)
	}
	na := 5 + rng.IntN(6)
	for i := 1; i <= na; i++ {
		a := Agent{ID: fmt.Sprintf("a%d", i), RoutingProfileID: w.profiles[rng.IntN(np)].ID, Status: StatusAvailable}
		if rng.IntN(4) == 0 {
			a.Status = StatusOffline
		}
		a.Proficiencies = w.proficiencies(rng)
		if rng.IntN(6) == 0 {
			a.AutoAccept = []Channel{[]Channel{ChannelTask, ChannelChat}[rng.IntN(2)]}
		}
		if rng.IntN(5) == 0 {
			a.AfterContactWorkLimit = map[Channel]time.Duration{ChannelTask: time.Duration(15+rng.IntN(46)) * time.Second}
		}
		w.agents = append(w.agents, a)
	}
	return w
}

// rules draws a queue's ageing rule and cool-down override, either of them
// often nil.
func (w *simWorld) rules(rng *rand.Rand) (*PriorityAgeing, *time.Duration) {
	var a *PriorityAgeing
	var c *time.Duration
	if rng.IntN(2) == 0 {
		a = &PriorityAgeing{Every: time.Duration(5+rng.IntN(36)) * time.Second, Floor: 1 + rng.IntN(3)}
	}
	if rng.IntN(4) == 0 {
		d := []time.Duration{0, 15 * time.Second, 45 * time.Second}[rng.IntN(3)]
		c = &d
	}
	return a, c
}

func simRules(a *PriorityAgeing, c *time.Duration) string {
	s := "ageing=none"
	if a != nil {
		s = fmt.Sprintf("ageing=every %s floor %d", a.Every, a.Floor)
	}
	if c != nil {
		s += fmt.Sprintf(" cooldown=%s", *c)
	}
	return s
}

// config returns the router configuration of the world.
func (w *simWorld) config() *Config {
	return &Config{MissedPolicy: w.policy, ReofferCooldown: w.cooldown, AgentStatuses: testStatuses}
}

// queueConfigs draws the queue configs of a profile: TASK lanes, and CHAT
// lanes when chat.
func (w *simWorld) queueConfigs(rng *rand.Rand, chat bool) []QueueConfig {
	delays := []time.Duration{0, 0, 10 * time.Second, 30 * time.Second}
	var qs []QueueConfig
	for _, q := range w.queues {
		if rng.IntN(3) > 0 || len(qs) == 0 && q == w.queues[len(w.queues)-1] {
			qs = append(qs, QueueConfig{QueueID: q, Channel: ChannelTask,
				Priority: 1 + rng.IntN(3), Delay: delays[rng.IntN(len(delays))]})
		}
		if chat && rng.IntN(2) == 0 {
			qs = append(qs, QueueConfig{QueueID: q, Channel: ChannelChat,
				Priority: 1 + rng.IntN(3), Delay: delays[rng.IntN(len(delays))]})
		}
	}
	return qs
}

func (w *simWorld) proficiencies(rng *rand.Rand) []Proficiency {
	var ps []Proficiency
	for _, s := range w.skills {
		if rng.IntN(3) == 0 {
			ps = append(ps, Proficiency{Name: s.Name, Value: s.Value, Level: 1 + rng.IntN(5)})
		}
	}
	return ps
}

func (w *simWorld) install(b *bench) {
	b.t.Helper()
	for _, q := range w.queues {
		b.must(b.r.PutQueue(b.ctx, Queue{ID: q, Name: q, MaxContacts: w.capacity[q], PriorityAgeing: w.ageing[q], ReofferCooldown: w.qcool[q]}))
	}
	for _, p := range w.profiles {
		b.must(b.r.PutRoutingProfile(b.ctx, p))
	}
	for _, a := range w.agents {
		b.must(b.r.PutAgent(b.ctx, a))
	}
}

func (w *simWorld) profile(id string) *RoutingProfile {
	for i := range w.profiles {
		if w.profiles[i].ID == id {
			return &w.profiles[i]
		}
	}
	return nil
}

func (w *simWorld) agentIDs() []string {
	var ids []string
	for _, a := range w.agents {
		ids = append(ids, a.ID)
	}
	return ids
}

// simModel follows task states from the router's events.
type simModel struct {
	tasks   map[string]*simTask
	order   []string // creation order
	blocked map[string]bool
}

type simTask struct {
	id      string
	state   TaskState
	agent   string
	queue   string // "" for an agent-queue task
	ch      Channel
	created bool // a task.created event was seen
}

func newSimModel() *simModel {
	return &simModel{tasks: map[string]*simTask{}, blocked: map[string]bool{}}
}

// add registers a task returned by CreateTask or Transfer.
func (m *simModel) add(t *Task) {
	st := m.tasks[t.ID]
	if st == nil {
		st = &simTask{id: t.ID, state: t.State}
		m.tasks[t.ID] = st
		m.order = append(m.order, t.ID)
	}
	st.queue, st.ch = t.QueueID, t.Channel
}

func (m *simModel) feed(evs []Event) {
	for _, e := range evs {
		switch e.Type {
		case EventAgentCleared:
			m.blocked[e.AgentID] = false
			continue
		case EventTaskRejected, EventTaskMissed:
			m.blocked[e.AgentID] = true
		}
		if e.TaskID == "" || e.State == "" {
			continue
		}
		st := m.tasks[e.TaskID]
		if st == nil {
			st = &simTask{id: e.TaskID}
			m.tasks[e.TaskID] = st
			m.order = append(m.order, e.TaskID)
		}
		if e.Type == EventTaskCreated {
			st.created = true
		}
		st.state = e.State
		st.agent = ""
		if holdsSlotRef(e.State) {
			st.agent = e.AgentID
		}
	}
}

// pick returns a random task in one of states, or nil.
func (m *simModel) pick(rng *rand.Rand, states ...TaskState) *simTask {
	var c []*simTask
	for _, id := range m.order {
		if t := m.tasks[id]; slices.Contains(states, t.state) {
			c = append(c, t)
		}
	}
	if len(c) == 0 {
		return nil
	}
	return c[rng.IntN(len(c))]
}

type simKind int

const (
	simCreate simKind = iota
	simStatus
	simAccept
	simReject
	simComplete
	simCloseACW
	simPause
	simResume
	simTransfer
	simStop
	simClear
	simUpdate
	simAdvance
	simProfile // re-put a routing profile with new queue configs
	simSkills  // re-put an agent with new proficiencies
	simQueue   // re-put a queue with new ageing and cool-down rules
)

type simOp struct {
	kind   simKind
	task   string
	agent  string
	status AgentStatus
	d      time.Duration
	in     TaskInput
	upd    RoutingUpdate
	to     TransferTarget
	// profile and put are the new routing profile or agent for simProfile
	// and simSkills.
	profile RoutingProfile
	put     Agent
	queue   Queue
}

func (o simOp) String() string {
	switch o.kind {
	case simCreate:
		in := o.in
		s := "create"
		if in.QueueID != "" {
			s += " queue=" + in.QueueID
		} else {
			s += " agentqueue=" + in.AgentID
		}
		s += fmt.Sprintf(" %s prio=%d", in.Channel, in.Priority)
		if in.QueueTimeAdjustment != 0 {
			s += fmt.Sprintf(" qta=%s", in.QueueTimeAdjustment)
		}
		if in.Expiry != 0 {
			s += fmt.Sprintf(" expiry=%s", in.Expiry)
		}
		if !in.ScheduledAt.IsZero() {
			s += fmt.Sprintf(" scheduled=@%s", in.ScheduledAt.Sub(t0))
		}
		if in.RoutingCriteria != nil {
			s += " criteria=" + simCriteria(in.RoutingCriteria)
		}
		return s
	case simStatus:
		return fmt.Sprintf("status %s %s", o.agent, o.status)
	case simAccept:
		return fmt.Sprintf("accept %s by %s", o.task, o.agent)
	case simReject:
		return fmt.Sprintf("reject %s by %s", o.task, o.agent)
	case simComplete:
		return "complete " + o.task
	case simCloseACW:
		return "closeACW " + o.task
	case simPause:
		return "pause " + o.task
	case simResume:
		return "resume " + o.task
	case simTransfer:
		return fmt.Sprintf("transfer %s to %s%s", o.task, o.to.QueueID, o.to.AgentID)
	case simStop:
		return "stop " + o.task
	case simClear:
		return "clear " + o.agent
	case simUpdate:
		s := "update " + o.task
		if o.upd.Priority > 0 {
			s += fmt.Sprintf(" prio=%d", o.upd.Priority)
		}
		if o.upd.QueueTimeAdjustment != nil {
			s += fmt.Sprintf(" qta=%s", *o.upd.QueueTimeAdjustment)
		}
		if o.upd.Criteria != nil {
			s += " criteria=" + simCriteria(o.upd.Criteria)
		}
		if o.upd.ClearCriteria {
			s += " clear-criteria"
		}
		return s
	case simAdvance:
		return fmt.Sprintf("advance %s", o.d)
	case simProfile:
		return fmt.Sprintf("profile %s queues=%v", o.profile.ID, o.profile.Queues)
	case simSkills:
		return fmt.Sprintf("skills %s %v", o.put.ID, o.put.Proficiencies)
	case simQueue:
		return fmt.Sprintf("queue %s %s", o.queue.ID, simRules(o.queue.PriorityAgeing, o.queue.ReofferCooldown))
	}
	return "?"
}

func simCriteria(c *RoutingCriteria) string {
	var parts []string
	for _, s := range c.Steps {
		parts = append(parts, fmt.Sprintf("%s for %s", s.Requirement.String(), s.Expiry))
	}
	return "[" + strings.Join(parts, "; ") + "]"
}

// simGen draws operations, aimed at tasks in the right state most of the
// time and at any task now and then (which the router must refuse or
// handle alike in both implementations).
type simGen struct {
	rng *rand.Rand
	w   *simWorld
	m   *simModel
	now func() time.Time
}

func (g *simGen) agent() string { return g.w.agents[g.rng.IntN(len(g.w.agents))].ID }

// anyTask returns a random task of the model in any state, or "t0".
func (g *simGen) anyTask() string {
	if len(g.m.order) == 0 {
		return "t0"
	}
	return g.m.order[g.rng.IntN(len(g.m.order))]
}

// target picks a task in one of states, or, one time in ten (or when none
// is), any task.
func (g *simGen) target(states ...TaskState) *simTask {
	if g.rng.IntN(10) > 0 {
		if t := g.m.pick(g.rng, states...); t != nil {
			return t
		}
	}
	if id := g.anyTask(); g.m.tasks[id] != nil {
		return g.m.tasks[id]
	}
	return &simTask{id: "t0"}
}

var simWeights = [...]int{
	simCreate: 22, simStatus: 10, simAccept: 14, simReject: 5, simComplete: 10, simCloseACW: 9,
	simPause: 3, simResume: 3, simTransfer: 4, simStop: 3, simClear: 5, simUpdate: 6, simAdvance: 16,
	simProfile: 1, simSkills: 1, simQueue: 1,
}

func (g *simGen) next() simOp {
	total := 0
	for _, w := range simWeights {
		total += w
	}
	n := g.rng.IntN(total)
	k := simKind(0)
	for ; n >= simWeights[k]; k++ {
		n -= simWeights[k]
	}
	o := simOp{kind: k}
	switch k {
	case simCreate:
		o.in = g.input()
	case simStatus:
		o.agent = g.agent()
		o.status = []AgentStatus{StatusAvailable, StatusAvailable, StatusOffline, "Break"}[g.rng.IntN(4)]
	case simAccept, simReject:
		t := g.target(StateOffered)
		o.task, o.agent = t.id, t.agent
		if o.agent == "" || g.rng.IntN(15) == 0 {
			o.agent = g.agent()
		}
	case simComplete:
		o.task = g.target(StateConnected, StatePaused).id
	case simCloseACW:
		o.task = g.target(StateAfterContactWork).id
	case simPause:
		o.task = g.target(StateConnected).id
	case simResume:
		o.task = g.target(StatePaused).id
	case simTransfer:
		o.task = g.target(StateQueued, StateConnected, StatePaused).id
		if g.rng.IntN(5) == 0 {
			o.to.AgentID = g.agent()
		} else {
			o.to.QueueID = g.w.queues[g.rng.IntN(len(g.w.queues))]
		}
	case simStop:
		o.task = g.target(StateQueued, StateOffered, StateConnected, StatePaused, StateAfterContactWork, StateScheduled).id
	case simClear:
		o.agent = g.agent()
		if g.rng.IntN(4) > 0 {
			for _, id := range g.w.agentIDs() {
				if g.m.blocked[id] {
					o.agent = id
					break
				}
			}
		}
	case simUpdate:
		o.task = g.target(StateQueued, StateQueued, StateOffered, StateConnected, StateScheduled).id
		switch g.rng.IntN(6) {
		case 0:
			d := time.Duration(g.rng.IntN(181)-60) * time.Second
			o.upd.QueueTimeAdjustment = &d
		case 1:
			o.upd.Criteria = g.criteria()
		case 2:
			o.upd.ClearCriteria = true
		default:
			o.upd.Priority = 1 + g.rng.IntN(5)
		}
	case simAdvance:
		o.d = time.Duration(1+g.rng.IntN(40)) * time.Second
	case simProfile:
		i := g.rng.IntN(len(g.w.profiles))
		o.profile = g.w.profiles[i]
		o.profile.Queues = g.w.queueConfigs(g.rng, i == 0)
	case simSkills:
		o.put = g.w.agents[g.rng.IntN(len(g.w.agents))]
		o.put.Status = ""
		o.put.Proficiencies = g.w.proficiencies(g.rng)
	case simQueue:
		// The world keeps the original rules; the routers follow the op.
		q := g.w.queues[g.rng.IntN(len(g.w.queues))]
		o.queue = Queue{ID: q, Name: q, MaxContacts: g.w.capacity[q]}
		o.queue.PriorityAgeing, o.queue.ReofferCooldown = g.w.rules(g.rng)
	}
	return o
}

func (g *simGen) input() TaskInput {
	in := TaskInput{Name: "task", Channel: ChannelTask, Priority: 1 + g.rng.IntN(5)}
	if g.rng.IntN(5) == 0 {
		in.Channel = ChannelChat
	}
	if g.rng.IntN(9) == 0 {
		in.AgentID = g.agent()
	} else {
		in.QueueID = g.w.queues[g.rng.IntN(len(g.w.queues))]
	}
	if g.rng.IntN(5) == 0 {
		in.QueueTimeAdjustment = time.Duration(g.rng.IntN(181)-60) * time.Second
	}
	if g.rng.IntN(3) == 0 {
		in.RoutingCriteria = g.criteria()
	}
	if g.rng.IntN(8) == 0 {
		in.Expiry = time.Duration(60+g.rng.IntN(541)) * time.Second
	}
	if g.rng.IntN(10) == 0 {
		in.ScheduledAt = g.now().Add(time.Duration(5+g.rng.IntN(46)) * time.Second)
	}
	return in
}

func (g *simGen) criteria() *RoutingCriteria {
	c := &RoutingCriteria{}
	for n := 1 + g.rng.IntN(2); n > 0; n-- {
		exp := time.Duration(10+g.rng.IntN(51)) * time.Second
		if n == 1 && g.rng.IntN(6) == 0 {
			exp = 0
		}
		c.Steps = append(c.Steps, RoutingStep{Requirement: g.expr(2), Expiry: exp})
	}
	return c
}

func (g *simGen) expr(depth int) Requirement {
	switch r := g.rng.IntN(8); {
	case r < 4 || depth == 0:
		s := g.w.skills[g.rng.IntN(len(g.w.skills))]
		return Proficient(s.Name, s.Value, 1+g.rng.IntN(4))
	case r < 6:
		ids := []string{g.agent()}
		if g.rng.IntN(2) == 0 {
			ids = append(ids, g.agent())
		}
		return PreferredAgents(ids...)
	case r < 7:
		return AllOf(g.expr(depth-1), g.expr(depth-1))
	default:
		return AnyOf(g.expr(depth-1), g.expr(depth-1))
	}
}

// simPanic is a panic of the router turned into an error.
type simPanic struct{ v any }

func (p simPanic) Error() string { return fmt.Sprintf("panic: %v", p.v) }

// runEngine applies o to the bench's router; it returns the task created by
// CreateTask or Transfer.
func (o simOp) runEngine(b *bench) (nt *Task, err error) {
	defer func() {
		if p := recover(); p != nil {
			nt, err = nil, simPanic{p}
		}
	}()
	r, ctx := b.r, b.ctx
	switch o.kind {
	case simCreate:
		return r.CreateTask(ctx, o.in)
	case simStatus:
		return nil, r.SetAgentStatus(ctx, o.agent, o.status)
	case simAccept:
		return nil, r.Accept(ctx, o.task, o.agent)
	case simReject:
		return nil, r.Reject(ctx, o.task, o.agent)
	case simComplete:
		return nil, r.Complete(ctx, o.task)
	case simCloseACW:
		return nil, r.CloseAfterContactWork(ctx, o.task)
	case simPause:
		return nil, r.Pause(ctx, o.task)
	case simResume:
		return nil, r.Resume(ctx, o.task)
	case simTransfer:
		return r.Transfer(ctx, o.task, o.to)
	case simStop:
		return nil, r.Stop(ctx, o.task)
	case simClear:
		return nil, r.ClearAgent(ctx, o.agent)
	case simUpdate:
		return nil, r.UpdateRouting(ctx, o.task, o.upd)
	case simAdvance:
		b.clock.Advance(o.d)
	case simProfile:
		return nil, r.PutRoutingProfile(ctx, o.profile)
	case simSkills:
		return nil, r.PutAgent(ctx, o.put)
	case simQueue:
		return nil, r.PutQueue(ctx, o.queue)
	}
	return nil, nil
}

// runRef applies o to the reference and settles; it returns the ID of a
// created task.
func (o simOp) runRef(r *refRouter) (id string, err error) {
	defer r.settle()
	switch o.kind {
	case simCreate:
		return r.create(o.in)
	case simStatus:
		return "", r.setStatus(o.agent, o.status)
	case simAccept:
		return "", r.accept(o.task, o.agent)
	case simReject:
		return "", r.reject(o.task, o.agent)
	case simComplete:
		return "", r.complete(o.task)
	case simCloseACW:
		return "", r.closeACW(o.task)
	case simPause:
		return "", r.pause(o.task)
	case simResume:
		return "", r.resume(o.task)
	case simTransfer:
		return r.transfer(o.task, o.to)
	case simStop:
		return "", r.stop(o.task)
	case simClear:
		return "", r.clear(o.agent)
	case simUpdate:
		return "", r.updateRouting(o.task, o.upd)
	case simAdvance:
		r.advance(o.d) // settles after each timer
	case simProfile:
		return "", r.putProfile(o.profile)
	case simSkills:
		return "", r.putSkills(o.put.ID, o.put.Proficiencies)
	case simQueue:
		return "", r.putQueue(o.queue)
	}
	return "", nil
}
