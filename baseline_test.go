package switchboard_test

import (
	"container/heap"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	sb "github.com/switchboard-go/switchboard"
)

// The hand-written baseline the routing benchmarks compare switchboard with:
// what a developer would write in an afternoon — a container/heap per
// (queue, channel) and a scan of every agent for the longest-idle eligible
// one — with no timers, events or store.

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
