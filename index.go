package switchboard

import (
	"cmp"
	"context"
	"fmt"
	"runtime/debug"
	"slices"
	"time"

	"github.com/google/btree"

	"github.com/switchboard-go/switchboard/internal/deadline"
)

// This file holds the router's in-memory indexes and the routing decisions
// made over them. Everything here runs with Router.mu held.
//
// Waiting tasks live in lanes, one per (queue, channel). A lane has one level
// per distinct delay among the routing profiles that serve it; level 0 (delay
// 0) always exists and holds every waiting task of the lane, and a level with
// delay d holds the tasks that have waited at least d. Within a level, tasks
// are split into classes by the canonical string of their active
// routing-criteria expression ("" for none), each class a btree ordered by
// (priority, routing age, sequence). An agent pulling work therefore looks at
// one tree head per class it matches, never at individual tasks it cannot
// take.
//
// Ready agents live in per-(profile, channel) btrees ordered by
// (LastActivity, ID), plus one such tree per proficiency (name=value) so that
// a task with routing criteria scans only agents who have the skill.

const btreeDegree = 16

type timerKind uint8

const (
	timerExpiry   timerKind = iota // ExpiresAt
	timerStage                     // ScheduledAt, OfferExpiresAt or AfterContactWorkEnd
	timerLevel                     // the next lane level the task joins
	timerStep                      // the active routing step expires
	timerAge                       // the next priority-ageing step (ageing.go)
	timerCooldown                  // a re-offer cool-down ends (ageing.go)
	timerRetry                     // the router retries routing after a failed store write
)

// numTaskTimers is the number of timer kinds a task carries.
const numTaskTimers = int(timerRetry)

type timerRef struct {
	kind timerKind
	task *taskEntry
}

type taskEntry struct {
	t     *Task // &task once placed; nil while the entry is new
	task  Task  // current value, changed only by apply
	ch    int
	dirty bool

	// Placement while QUEUED.
	lane     *lane       // standard queue lane, or nil
	target   *agentEntry // agent queue owner, or nil
	queued   bool        // in the trees of lane/target
	prio     int         // key fields: effective priority (changed only by ageing while queued)
	age      int64
	levels   int          // lane levels the task is in (a prefix)
	stepExpr *Requirement // the active routing step, nil when none applies
	classSig string       // stepExpr in canonical form: its class in each level
	holder   *agentEntry  // agent whose slot it occupies
	timers   [numTaskTimers]deadline.Item[timerRef]
	stored   memHandle // the MemoryStore's record of the task, if known (see write)
}

// taskKey is a waiting task's place in line, stored by value in the trees so
// that searching a tree compares keys in its own nodes and never loads the
// tasks themselves.
type taskKey struct {
	prio int
	age  int64 // routing age, Unix nanoseconds
	seq  uint64
	e    *taskEntry
}

func keyLess(a, b taskKey) bool {
	if a.prio != b.prio {
		return a.prio < b.prio
	}
	if a.age != b.age {
		return a.age < b.age
	}
	return a.seq < b.seq
}

// key returns e's key; valid while e is queued.
func (e *taskEntry) key() taskKey { return taskKey{e.prio, e.age, e.t.Sequence, e} }

func taskLess(a, b *taskEntry) bool { return keyLess(a.key(), b.key()) }

type agentEntry struct {
	Agent   // current value, runtime fields included
	profile *profileEntry
	load    [numChannels]int
	held    map[*taskEntry]struct{}
	indexed [numChannels]bool // in profile.ready[ch] (and proficiency trees)
	act     int64             // LastActivity key while indexed
	dirty   bool
	queue   [numChannels]*btree.BTreeG[taskKey] // agent queue per channel
	queued  int                                 // tasks waiting in the agent queue
	mark    uint64                              // dedup scratch for candidate scans
	routes  bool                                // Status is of type ROUTABLE (set by indexAgent)
	stored  memAgentHandle                      // the MemoryStore's record of the agent, if known (see write)
}

func agentLess(a, b *agentEntry) bool {
	if a.act != b.act {
		return a.act < b.act
	}
	return a.ID < b.ID
}

// ready reports whether the agent may receive a task on channel ch now.
func (a *agentEntry) ready(ch int) bool {
	if !a.routes || a.Blocked != NotBlocked || a.profile == nil {
		return false
	}
	p := a.profile
	if p.conc[ch] == 0 || a.load[ch] >= p.conc[ch] {
		return false
	}
	for x := 0; x < numChannels; x++ {
		if x != ch && a.load[x] > 0 && p.cross[x] != AnyChannel {
			return false
		}
	}
	return true
}

// profKey names one skill tree: ready agents with name=value at exactly
// level. A condition "level ≥ m" scans the trees of levels m..5, so agents
// with the skill at too low a level are never visited.
type profKey struct {
	name, value string
	level       int
}

type profileEntry struct {
	RoutingProfile
	conc    [numChannels]int
	cross   [numChannels]CrossChannel
	configs []profileQueue // sorted by priority, then listing order
	ready   [numChannels]*btree.BTreeG[*agentEntry]
	skill   [numChannels]map[profKey]*btree.BTreeG[*agentEntry]
	agents  map[string]*agentEntry
}

type profileQueue struct {
	lane  *lane
	level *level
	prio  int
	delay time.Duration
	ch    int
}

type queueEntry struct {
	Queue
	waiting int // QUEUED or OFFERED tasks
	lanes   [numChannels]*lane
}

type lane struct {
	q      *queueEntry
	ch     int
	levels []*level // ascending delay; levels[0].delay == 0
}

type level struct {
	delay   time.Duration
	classes map[string]*class
	servers []*profileEntry // profiles whose config for the lane uses this delay
}

type class struct {
	sig  string       // key in level.classes
	expr *Requirement // nil for tasks without active criteria
	tree *btree.BTreeG[taskKey]
}

// newTaskTree returns an empty task btree whose nodes come from the router's
// shared free list, so trees that come and go (criteria classes) reuse nodes.
func (r *Router) newTaskTree() *btree.BTreeG[taskKey] {
	if r.taskNodes == nil {
		r.taskNodes = btree.NewFreeListG[taskKey](btree.DefaultFreeListSize)
	}
	return btree.NewWithFreeListG(btreeDegree, keyLess, r.taskNodes)
}

func (r *Router) newAgentTree() *btree.BTreeG[*agentEntry] {
	if r.agentNodes == nil {
		r.agentNodes = btree.NewFreeListG[*agentEntry](btree.DefaultFreeListSize)
	}
	return btree.NewWithFreeListG(btreeDegree, agentLess, r.agentNodes)
}

// activateStep sets the routing step of e active at instant at (its class)
// and arms the timer for the step's expiry.
func (r *Router) activateStep(e *taskEntry, at time.Time) {
	r.setClass(e, nil)
	c := e.t.RoutingCriteria
	if c == nil {
		return
	}
	idx, until := c.activeStep(e.t.CriteriaActivatedAt, at)
	if idx < 0 {
		return
	}
	r.setClass(e, &c.Steps[idx].Requirement)
	if !until.IsZero() {
		r.schedule(e, timerStep, until)
	}
}

// setClass sets the task's active-step expression and its class key, the
// canonical string of the expression, interned through the lane's first
// level so that a task joining an existing class allocates nothing.
func (r *Router) setClass(e *taskEntry, expr *Requirement) {
	e.stepExpr, e.classSig = expr, ""
	if expr == nil {
		return
	}
	r.op.sigBuf = expr.appendTo(r.op.sigBuf[:0])
	if cl := e.lane.levels[0].classes[string(r.op.sigBuf)]; cl != nil {
		e.classSig = cl.sig
		return
	}
	e.classSig = string(r.op.sigBuf)
}

// ---- agent index ----

func (r *Router) unindexAgent(a *agentEntry) {
	p := a.profile
	for ch := 0; ch < numChannels; ch++ {
		if !a.indexed[ch] {
			continue
		}
		a.indexed[ch] = false
		p.ready[ch].Delete(a)
		for _, pr := range a.Proficiencies {
			k := profKey{pr.Name, pr.Value, pr.Level}
			if t := p.skill[ch][k]; t != nil {
				t.Delete(a) // an empty tree stays: its skill will be back
			}
		}
	}
}

func (r *Router) indexAgent(a *agentEntry) {
	a.routes = r.cfg.statuses.typeOf(a.Status) == StatusTypeRoutable
	p := a.profile
	if p == nil {
		return
	}
	a.act = a.LastActivity.UnixNano()
	for ch := 0; ch < numChannels; ch++ {
		if a.indexed[ch] || !a.ready(ch) {
			continue
		}
		a.indexed[ch] = true
		if p.ready[ch] == nil {
			p.ready[ch] = r.newAgentTree()
		}
		p.ready[ch].ReplaceOrInsert(a)
		for _, pr := range a.Proficiencies {
			k := profKey{pr.Name, pr.Value, pr.Level}
			if p.skill[ch] == nil {
				p.skill[ch] = map[profKey]*btree.BTreeG[*agentEntry]{}
			}
			t := p.skill[ch][k]
			if t == nil {
				t = r.newAgentTree()
				p.skill[ch][k] = t
			}
			t.ReplaceOrInsert(a)
		}
	}
}

// anyReady reports whether the agent is indexed as ready on some channel.
func (a *agentEntry) anyReady() bool {
	for _, ok := range a.indexed {
		if ok {
			return true
		}
	}
	return false
}

// ---- lanes ----

func (r *Router) laneFor(q *queueEntry, ch int) *lane {
	if l := q.lanes[ch]; l != nil {
		return l
	}
	l := &lane{q: q, ch: ch, levels: []*level{{classes: map[string]*class{}}}}
	q.lanes[ch] = l
	return l
}

// placeQueued puts a QUEUED task into its lane (or agent queue) at its
// effective priority and arms its level, routing-step, ageing and cool-down
// timers, as of now.
func (r *Router) placeQueued(e *taskEntry, now time.Time) {
	t := e.t
	r.armCooldown(e, now)
	e.age = t.RoutingAge().UnixNano()
	e.queued = true
	if t.QueueID == "" {
		r.setAgeing(e, nil, now)
		a := r.agents[t.TargetAgentID]
		e.target = a
		if a.queue[e.ch] == nil {
			a.queue[e.ch] = r.newTaskTree()
		}
		a.queue[e.ch].ReplaceOrInsert(e.key())
		a.queued++
		return
	}
	q := r.queues[t.QueueID]
	r.setAgeing(e, q.PriorityAgeing, now)
	e.lane = r.laneFor(q, e.ch)
	r.activateStep(e, now)
	waited := now.Sub(t.EnqueuedAt)
	e.levels = 0
	for _, lv := range e.lane.levels {
		if lv.delay > waited {
			r.schedule(e, timerLevel, t.EnqueuedAt.Add(lv.delay))
			break
		}
		r.joinLevel(e, lv)
		e.levels++
	}
}

func (r *Router) joinLevel(e *taskEntry, lv *level) {
	cl := lv.classes[e.classSig]
	if cl == nil {
		cl = &class{sig: e.classSig, expr: e.stepExpr, tree: r.newTaskTree()}
		lv.classes[e.classSig] = cl
	}
	cl.tree.ReplaceOrInsert(e.key())
}

func (r *Router) leaveLevel(e *taskEntry, lv *level) {
	cl := lv.classes[e.classSig]
	cl.tree.Delete(e.key())
	if cl.tree.Len() == 0 {
		delete(lv.classes, e.classSig)
	}
}

// unplace removes a task from its lane or agent queue and cancels its level,
// step, ageing and cool-down timers.
func (r *Router) unplace(e *taskEntry) {
	if !e.queued {
		return
	}
	e.queued = false
	if e.target != nil {
		e.target.queue[e.ch].Delete(e.key())
		e.target.queued--
		e.target = nil
	} else {
		for i := 0; i < e.levels; i++ {
			r.leaveLevel(e, e.lane.levels[i])
		}
		e.levels = 0
		e.lane = nil
	}
	r.cancel(e, timerLevel)
	r.cancel(e, timerStep)
	r.cancel(e, timerAge)
	r.cancel(e, timerCooldown)
}

// rebuildLane recomputes a lane's levels from the profiles that serve it and
// re-places its tasks. Used when routing profiles change.
func (r *Router) rebuildLane(l *lane, now time.Time) {
	var tasks []*taskEntry
	for _, cl := range l.levels[0].classes {
		cl.tree.Ascend(func(k taskKey) bool { tasks = append(tasks, k.e); return true })
	}
	for _, e := range tasks {
		r.unplace(e)
	}
	delays := map[time.Duration][]*profileEntry{0: nil}
	for _, p := range r.profilesSorted() {
		for _, pc := range p.Queues {
			if pc.QueueID == l.q.ID && pc.Channel.index() == l.ch {
				delays[pc.Delay] = append(delays[pc.Delay], p)
			}
		}
	}
	l.levels = l.levels[:0]
	for d, ps := range delays {
		l.levels = append(l.levels, &level{delay: d, classes: map[string]*class{}, servers: ps})
	}
	sortLevels(l.levels)
	for _, p := range r.profiles {
		for i := range p.configs {
			pc := &p.configs[i]
			if pc.lane == l {
				for _, lv := range l.levels {
					if lv.delay == pc.delay {
						pc.level = lv
					}
				}
			}
		}
	}
	sortTasks(tasks)
	for _, e := range tasks {
		r.placeQueued(e, now)
		r.markTask(e)
	}
}

// ---- routing decisions ----

// findAgent returns the agent that should receive the queued task e now, or
// nil. Among ready agents of every profile that sees the task (delay passed)
// and that match its active routing step, it leaves out agents cooling for
// the task, prefers agents that have not rejected or missed it, then asks
// the selector (longest idle by default).
func (r *Router) findAgent(e *taskEntry) *agentEntry {
	var now time.Time // read from the clock only if a cool-down runs
	if e.target != nil {
		if a := e.target; a.indexed[e.ch] && !r.cooling(e, a.ID, &now) {
			return a
		}
		return nil
	}
	r.scanMark++
	r.op.cands = r.op.cands[:0]
	r.op.fallback = r.op.fallback[:0]
	longest := r.cfg.Selector == LongestIdle
	var best, fb *agentEntry
	visit := func(a *agentEntry) bool {
		if a.mark == r.scanMark {
			return true
		}
		a.mark = r.scanMark
		if e.stepExpr != nil && !e.stepExpr.Matches(&a.Agent) {
			return true
		}
		if rejected(e.t, a.ID) {
			if r.cooling(e, a.ID, &now) {
				return true
			}
			if longest {
				if fb == nil || agentLess(a, fb) {
					fb = a
				}
			} else {
				r.op.fallback = append(r.op.fallback, a)
			}
			return true
		}
		if longest {
			if best == nil || agentLess(a, best) {
				best = a
			}
			return false // trees are in longest-idle order: nothing later beats a
		}
		r.op.cands = append(r.op.cands, a)
		return true
	}
	for i := 0; i < e.levels; i++ {
		for _, p := range e.lane.levels[i].servers {
			r.scanProfile(p, e.ch, e.stepExpr, visit)
		}
	}
	if longest {
		if best != nil {
			return best
		}
		return fb
	}
	cands := r.op.cands
	if len(cands) == 0 {
		cands = r.op.fallback
	}
	switch len(cands) {
	case 0:
		return nil
	case 1:
		return cands[0]
	}
	sortAgents(cands)
	sel := &Selection{Task: e.t, Step: e.stepExpr, Candidates: make([]Candidate, len(cands))}
	for i, a := range cands {
		sel.Candidates[i] = Candidate{Agent: &a.Agent, Active: a.load[e.ch], Capacity: a.profile.conc[e.ch]}
	}
	i := r.selectAgent(sel)
	if i < 0 || i >= len(cands) {
		i = 0
	}
	return cands[i]
}

// selectAgent asks Config.Selector to choose. A selector that panics is
// host code failing: the router logs it, reports a router.error event, and
// gives the task to the first candidate (the longest idle), so routing goes
// on.
func (r *Router) selectAgent(sel *Selection) (i int) {
	defer func() {
		if p := recover(); p != nil {
			err := fmt.Errorf("switchboard: AgentSelector panicked: %v; chose the longest-idle agent", p)
			r.logger.Error("switchboard: AgentSelector panicked", "task", sel.Task.ID, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			r.emit(Event{Type: EventError, TaskID: sel.Task.ID, Err: err})
			i = 0
		}
	}()
	return r.cfg.Selector.Select(sel)
}

func rejected(t *Task, agentID string) bool {
	for _, id := range t.RejectedBy {
		if id == agentID {
			return true
		}
	}
	return false
}

// scanProfile visits ready agents of profile p on channel ch that may match
// expr, in longest-idle order per driving tree, until visit returns false.
// It drives the scan from the smallest index that every match must be in.
func (r *Router) scanProfile(p *profileEntry, ch int, expr *Requirement, visit func(*agentEntry) bool) {
	if p.ready[ch] == nil || p.ready[ch].Len() == 0 {
		return
	}
	if expr == nil {
		p.ready[ch].Ascend(visit)
		return
	}
	r.scanExpr(p, ch, expr, visit)
}

// scanExpr visits a superset of the ready agents matching expr; the caller
// filters with the full expression.
//
// For the default selector visit returns false once it has found the first
// agent it wants from an ordered tree: that ends the scan of that tree only,
// since the next tree starts over in longest-idle order.
func (r *Router) scanExpr(p *profileEntry, ch int, expr *Requirement, visit func(*agentEntry) bool) {
	switch {
	case expr.Attribute != nil:
		c := expr.Attribute
		for lv := c.MinLevel; lv <= 5; lv++ {
			if t := p.skill[ch][profKey{c.Name, c.Value, lv}]; t != nil {
				t.Ascend(visit)
			}
		}
	case expr.Preferred != nil:
		for _, id := range expr.Preferred {
			if a := p.agents[id]; a != nil && a.indexed[ch] {
				// Preferred agents are few; each is its own longest-idle
				// candidate, so never stop early.
				visit(a)
			}
		}
	case expr.And != nil:
		// Drive from the operand with the smallest index.
		best, bestSize := -1, int(^uint(0)>>1)
		for i := range expr.And {
			if s := r.exprSize(p, ch, &expr.And[i]); s < bestSize {
				best, bestSize = i, s
			}
		}
		r.scanExpr(p, ch, &expr.And[best], visit)
	default:
		for i := range expr.Or {
			r.scanExpr(p, ch, &expr.Or[i], visit)
		}
	}
}

func (r *Router) exprSize(p *profileEntry, ch int, expr *Requirement) int {
	switch {
	case expr.Attribute != nil:
		c, n := expr.Attribute, 0
		for lv := c.MinLevel; lv <= 5; lv++ {
			if t := p.skill[ch][profKey{c.Name, c.Value, lv}]; t != nil {
				n += t.Len()
			}
		}
		return n
	case expr.Preferred != nil:
		return len(expr.Preferred)
	case expr.And != nil:
		m := int(^uint(0) >> 1)
		for i := range expr.And {
			m = min(m, r.exprSize(p, ch, &expr.And[i]))
		}
		return m
	default:
		s := 0
		for i := range expr.Or {
			s += r.exprSize(p, ch, &expr.Or[i])
		}
		return s
	}
}

// bestTask returns the task agent a should take next, or nil: agent-queue
// tasks first; then, over the (queue, channel) configs of its profile in
// priority order, the head of every class it matches, by (profile priority,
// task priority, routing age, sequence).
func (r *Router) bestTask(a *agentEntry) *taskEntry {
	var best *taskEntry
	var now time.Time // read from the clock only if a cool-down runs
	for ch := 0; ch < numChannels; ch++ {
		if !a.indexed[ch] || a.queue[ch] == nil {
			continue
		}
		if head, ok := r.head(a.queue[ch], a, &now); ok && (best == nil || taskLess(head.e, best)) {
			best = head.e
		}
	}
	if best != nil || a.profile == nil {
		return best
	}
	bestPrio := 0
	for i := range a.profile.configs {
		pc := &a.profile.configs[i]
		if best != nil && pc.prio > bestPrio {
			break
		}
		if !a.indexed[pc.ch] {
			continue
		}
		for _, cl := range pc.level.classes {
			if cl.expr != nil && !cl.expr.Matches(&a.Agent) {
				continue
			}
			head, ok := r.head(cl.tree, a, &now)
			if !ok {
				continue
			}
			if best == nil || pc.prio < bestPrio || taskLess(head.e, best) {
				best, bestPrio = head.e, pc.prio
			}
		}
	}
	return best
}

// head returns the first task of tree that agent a is not cooling for. Only
// tasks a turned down recently are skipped, so this is the tree's minimum
// unless a cool-down of a runs.
func (r *Router) head(tree *btree.BTreeG[taskKey], a *agentEntry, now *time.Time) (taskKey, bool) {
	k, ok := tree.Min()
	if !ok || !r.cooling(k.e, a.ID, now) {
		return k, ok
	}
	ok = false
	tree.Ascend(func(x taskKey) bool {
		if r.cooling(x.e, a.ID, now) {
			return true
		}
		k, ok = x, true
		return false
	})
	return k, ok
}

// ---- dirty sets and settling ----

func (r *Router) markTask(e *taskEntry) {
	if !e.dirty {
		e.dirty = true
		r.op.dirtyTasks = append(r.op.dirtyTasks, e)
	}
}

func (r *Router) markAgent(a *agentEntry) {
	if !a.dirty {
		a.dirty = true
		r.op.dirtyAgents = append(r.op.dirtyAgents, a)
	}
}

// settle makes offers until no ready agent can take any waiting task: first
// each task that became routable, in the order it did, goes to its best
// agent; then each agent that freed up, longest idle first, takes the best
// waiting tasks while it has room.
func (r *Router) settle(ctx context.Context) {
	for len(r.op.dirtyTasks) > 0 || len(r.op.dirtyAgents) > 0 {
		for i := 0; i < len(r.op.dirtyTasks); i++ {
			e := r.op.dirtyTasks[i]
			r.op.dirtyTasks[i] = nil
			e.dirty = false
			if e.queued {
				if a := r.findAgent(e); a != nil {
					if err := r.offer(ctx, e, a); err != nil {
						r.abandonSettle("offer", e.t.ID, err)
						return
					}
				}
			}
		}
		r.op.dirtyTasks = r.op.dirtyTasks[:0]
		if len(r.op.dirtyAgents) == 0 {
			break
		}
		// Offers change only the agent that receives them, so one sort gives
		// the agent order for the whole pass.
		agents := r.op.dirtyAgents
		sortAgents(agents)
		for i, a := range agents {
			agents[i] = nil
			a.dirty = false
			for a.anyReady() {
				e := r.bestTask(a)
				if e == nil {
					break
				}
				if err := r.offer(ctx, e, a); err != nil {
					r.abandonSettle("offer", e.t.ID, err)
					return
				}
			}
		}
		// Keep any agent marked during the pass (none today) for the next round.
		r.op.dirtyAgents = append(agents[:0], r.op.dirtyAgents[len(agents):]...)
	}
}

func sortLevels(ls []*level) {
	for i := 1; i < len(ls); i++ {
		for j := i; j > 0 && ls[j].delay < ls[j-1].delay; j-- {
			ls[j], ls[j-1] = ls[j-1], ls[j]
		}
	}
}

func sortTasks(ts []*taskEntry) {
	slices.SortFunc(ts, func(a, b *taskEntry) int { return cmp.Compare(a.t.Sequence, b.t.Sequence) })
}

func sortAgents(as []*agentEntry) {
	slices.SortFunc(as, func(a, b *agentEntry) int {
		if agentLess(a, b) {
			return -1
		}
		if agentLess(b, a) {
			return 1
		}
		return 0
	})
}

// abandonSettle stops settling after a failed store write: the decisions
// left would be made on a world that is not settled (an agent who turned a
// task down could take it back), so the retry timer makes them all again.
func (r *Router) abandonSettle(op, taskID string, err error) {
	r.failed(op, taskID, err)
	for i, e := range r.op.dirtyTasks {
		if e != nil { // entries already handled were cleared
			e.dirty = false
		}
		r.op.dirtyTasks[i] = nil
	}
	r.op.dirtyTasks = r.op.dirtyTasks[:0]
	for i, a := range r.op.dirtyAgents {
		if a != nil {
			a.dirty = false
		}
		r.op.dirtyAgents[i] = nil
	}
	r.op.dirtyAgents = r.op.dirtyAgents[:0]
	r.scheduleRetry()
}

// scheduleRetry arranges for routing to run again over every waiting task
// and every agent after Config.RetryInterval, so that routing a failed store
// write interrupted resumes without waiting for the next event.
func (r *Router) scheduleRetry() {
	if r.retry.Scheduled() {
		return
	}
	r.retry.Value = timerRef{kind: timerRetry}
	r.timers.Schedule(&r.retry, r.clock.Now().Add(r.cfg.RetryInterval).UnixNano(), timerTie(timerRetry, 0))
}
