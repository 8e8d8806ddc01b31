package switchboard

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/google/btree"

	"github.com/switchboard-go/switchboard/internal/deadline"
)

// This file holds the routing index: the in-memory structures that say who
// waits for what and who is free, and the routing decisions read from them.
// Everything here runs with Router.mu held.
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
//
// The index type owns all of these. They hang off the router's queue,
// profile, agent and task entries (a lane from its queue, the ready and skill
// trees from their profile, an agent queue from its agent, a task's place in
// line from its entry) so that routing reaches them without a map lookup, but
// only index methods change them, and index.check verifies them. The Router
// keeps the maps of those entries, the timers, the store and the event log,
// and tells the index what changed (place, unplace, setAgent, hold, release).

const btreeDegree = 16

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

// index is the routing index (see the top of this file). Its zero value is
// not ready: use newIndex.
type index struct {
	taskNodes  *btree.FreeListG[taskKey]     // nodes shared by every task tree
	agentNodes *btree.FreeListG[*agentEntry] // nodes shared by every agent tree
	scanMark   uint64                        // marks agents visited by one findAgent

	// What routing decisions read from the configuration.
	statuses statusSet     // which statuses are ROUTABLE
	longest  bool          // the selector is LongestIdle: scans stop at the first match
	clock    Clock         // read only while a re-offer cool-down runs
	cooldown time.Duration // Config.ReofferCooldown
	// choose asks the host's selector to pick one of several candidates
	// (Router.selectAgent, which survives a selector that panics).
	choose func(*Selection) int
}

func newIndex(cfg *Config, choose func(*Selection) int) index {
	return index{
		taskNodes:  btree.NewFreeListG[taskKey](btree.DefaultFreeListSize),
		agentNodes: btree.NewFreeListG[*agentEntry](btree.DefaultFreeListSize),
		statuses:   cfg.statuses,
		longest:    cfg.Selector == LongestIdle,
		clock:      cfg.Clock,
		cooldown:   cfg.ReofferCooldown,
		choose:     choose,
	}
}

// newTaskTree returns an empty task btree whose nodes come from the index's
// shared free list, so trees that come and go (criteria classes) reuse nodes.
func (x *index) newTaskTree() *btree.BTreeG[taskKey] {
	return btree.NewWithFreeListG(btreeDegree, keyLess, x.taskNodes)
}

func (x *index) newAgentTree() *btree.BTreeG[*agentEntry] {
	return btree.NewWithFreeListG(btreeDegree, agentLess, x.agentNodes)
}

// ---- agents ----

func (x *index) unindexAgent(a *agentEntry) {
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

func (x *index) indexAgent(a *agentEntry) {
	a.routes = x.statuses.typeOf(a.Status) == StatusTypeRoutable
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
			p.ready[ch] = x.newAgentTree()
		}
		p.ready[ch].ReplaceOrInsert(a)
		for _, pr := range a.Proficiencies {
			k := profKey{pr.Name, pr.Value, pr.Level}
			if p.skill[ch] == nil {
				p.skill[ch] = map[profKey]*btree.BTreeG[*agentEntry]{}
			}
			t := p.skill[ch][k]
			if t == nil {
				t = x.newAgentTree()
				p.skill[ch][k] = t
			}
			t.ReplaceOrInsert(a)
		}
	}
}

// setAgent makes *na the record of agent a and p its profile (a.profile to
// keep it), moving a between the ready-agent and skill trees as the change
// requires: the one path by which an agent's record changes.
func (x *index) setAgent(a *agentEntry, na *Agent, p *profileEntry) {
	x.unindexAgent(a)
	if a.profile != p {
		if a.profile != nil {
			delete(a.profile.agents, a.ID)
		}
		if p != nil {
			p.agents[na.ID] = a
		}
		a.profile = p
	}
	a.Agent = *na
	x.indexAgent(a)
}

// forgetAgent takes a deleted agent out of the trees and its profile.
func (x *index) forgetAgent(a *agentEntry) {
	x.unindexAgent(a)
	if a.profile != nil {
		delete(a.profile.agents, a.ID)
	}
}

// hold gives the slot of task e on its channel to agent a, or with take
// false gives it back: the one path by which an agent's load changes.
func (x *index) hold(a *agentEntry, e *taskEntry, take bool) {
	x.unindexAgent(a)
	if take {
		a.load[e.ch]++
		a.held[e] = struct{}{}
		e.holder = a
	} else {
		a.load[e.ch]--
		delete(a.held, e)
		e.holder = nil
	}
	x.indexAgent(a)
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

func (x *index) laneFor(q *queueEntry, ch int) *lane {
	if l := q.lanes[ch]; l != nil {
		return l
	}
	l := &lane{q: q, ch: ch, levels: []*level{{classes: map[string]*class{}}}}
	q.lanes[ch] = l
	return l
}

// placeTarget puts queued task e into the agent queue of a.
func (x *index) placeTarget(e *taskEntry, a *agentEntry) {
	e.queued = true
	e.target = a
	if a.queue[e.ch] == nil {
		a.queue[e.ch] = x.newTaskTree()
	}
	a.queue[e.ch].ReplaceOrInsert(e.key())
	a.queued++
}

// place puts queued task e, whose lane and class are set, into every level
// of its lane whose delay it has waited. It returns the delay of the next
// level, which the task joins later, and whether there is one.
func (x *index) place(e *taskEntry, waited time.Duration) (next time.Duration, ok bool) {
	e.queued = true
	e.levels = 0
	for _, lv := range e.lane.levels {
		if lv.delay > waited {
			return lv.delay, true
		}
		x.joinLevel(e, lv)
		e.levels++
	}
	return 0, false
}

func (x *index) joinLevel(e *taskEntry, lv *level) {
	cl := lv.classes[e.classSig]
	if cl == nil {
		cl = &class{sig: e.classSig, expr: e.stepExpr, tree: x.newTaskTree()}
		lv.classes[e.classSig] = cl
	}
	cl.tree.ReplaceOrInsert(e.key())
}

func (x *index) leaveLevel(e *taskEntry, lv *level) {
	cl := lv.classes[e.classSig]
	cl.tree.Delete(e.key())
	if cl.tree.Len() == 0 {
		delete(lv.classes, e.classSig)
	}
}

// leaveLevels and joinLevels take e out of, and back into, the levels it is
// in, around a change of its key or class.
func (x *index) leaveLevels(e *taskEntry) {
	for i := 0; i < e.levels; i++ {
		x.leaveLevel(e, e.lane.levels[i])
	}
}

func (x *index) joinLevels(e *taskEntry) {
	for i := 0; i < e.levels; i++ {
		x.joinLevel(e, e.lane.levels[i])
	}
}

// unplace removes a task from its lane or agent queue. It reports whether
// the task was queued.
func (x *index) unplace(e *taskEntry) bool {
	if !e.queued {
		return false
	}
	e.queued = false
	if e.target != nil {
		e.target.queue[e.ch].Delete(e.key())
		e.target.queued--
		e.target = nil
	} else {
		x.leaveLevels(e)
		e.levels = 0
		e.lane = nil
	}
	return true
}

// laneTasks returns the tasks waiting in lane l, in no particular order.
func (x *index) laneTasks(l *lane) []*taskEntry {
	var tasks []*taskEntry
	for _, cl := range l.levels[0].classes {
		cl.tree.Ascend(func(k taskKey) bool { tasks = append(tasks, k.e); return true })
	}
	return tasks
}

// rebuildLane recomputes the levels of an empty lane (its tasks unplaced)
// from the profiles that serve it, given in ID order, and points their
// configs for the lane at the new levels.
func (x *index) rebuildLane(l *lane, profiles []*profileEntry) {
	delays := map[time.Duration][]*profileEntry{0: nil}
	for _, p := range profiles {
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
	for _, p := range profiles {
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
}

// ---- routing decisions ----

// findAgent returns the agent that should receive the queued task e now, or
// nil. Among ready agents of every profile that sees the task (delay passed)
// and that match its active routing step, it leaves out agents cooling for
// the task, prefers agents that have not rejected or missed it, then asks
// the selector (longest idle by default).
func (x *index) findAgent(e *taskEntry, o *op) *agentEntry {
	var now time.Time // read from the clock only if a cool-down runs
	if e.target != nil {
		if a := e.target; a.indexed[e.ch] && !x.cooling(e, a.ID, &now) {
			return a
		}
		return nil
	}
	x.scanMark++
	o.cands = o.cands[:0]
	o.fallback = o.fallback[:0]
	longest := x.longest
	var best, fb *agentEntry
	visit := func(a *agentEntry) bool {
		if a.mark == x.scanMark {
			return true
		}
		a.mark = x.scanMark
		if e.stepExpr != nil && !e.stepExpr.Matches(&a.Agent) {
			return true
		}
		if rejected(e.t, a.ID) {
			if x.cooling(e, a.ID, &now) {
				return true
			}
			if longest {
				if fb == nil || agentLess(a, fb) {
					fb = a
				}
			} else {
				o.fallback = append(o.fallback, a)
			}
			return true
		}
		if longest {
			if best == nil || agentLess(a, best) {
				best = a
			}
			return false // trees are in longest-idle order: nothing later beats a
		}
		o.cands = append(o.cands, a)
		return true
	}
	for i := 0; i < e.levels; i++ {
		for _, p := range e.lane.levels[i].servers {
			x.scanProfile(p, e.ch, e.stepExpr, visit)
		}
	}
	if longest {
		if best != nil {
			return best
		}
		return fb
	}
	cands := o.cands
	if len(cands) == 0 {
		cands = o.fallback
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
	i := x.choose(sel)
	if i < 0 || i >= len(cands) {
		i = 0
	}
	return cands[i]
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
func (x *index) scanProfile(p *profileEntry, ch int, expr *Requirement, visit func(*agentEntry) bool) {
	if p.ready[ch] == nil || p.ready[ch].Len() == 0 {
		return
	}
	if expr == nil {
		p.ready[ch].Ascend(visit)
		return
	}
	x.scanExpr(p, ch, expr, visit)
}

// scanExpr visits a superset of the ready agents matching expr; the caller
// filters with the full expression.
//
// For the default selector visit returns false once it has found the first
// agent it wants from an ordered tree: that ends the scan of that tree only,
// since the next tree starts over in longest-idle order.
func (x *index) scanExpr(p *profileEntry, ch int, expr *Requirement, visit func(*agentEntry) bool) {
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
			if s := x.exprSize(p, ch, &expr.And[i]); s < bestSize {
				best, bestSize = i, s
			}
		}
		x.scanExpr(p, ch, &expr.And[best], visit)
	default:
		for i := range expr.Or {
			x.scanExpr(p, ch, &expr.Or[i], visit)
		}
	}
}

func (x *index) exprSize(p *profileEntry, ch int, expr *Requirement) int {
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
			m = min(m, x.exprSize(p, ch, &expr.And[i]))
		}
		return m
	default:
		s := 0
		for i := range expr.Or {
			s += x.exprSize(p, ch, &expr.Or[i])
		}
		return s
	}
}

// bestTask returns the task agent a should take next, or nil: agent-queue
// tasks first; then, over the (queue, channel) configs of its profile in
// priority order, the head of every class it matches, by (profile priority,
// task priority, routing age, sequence).
func (x *index) bestTask(a *agentEntry) *taskEntry {
	var best *taskEntry
	var now time.Time // read from the clock only if a cool-down runs
	for ch := 0; ch < numChannels; ch++ {
		if !a.indexed[ch] || a.queue[ch] == nil {
			continue
		}
		if head, ok := x.head(a.queue[ch], a, &now); ok && (best == nil || taskLess(head.e, best)) {
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
			head, ok := x.head(cl.tree, a, &now)
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

// cooling reports whether agent id may not be offered e now because its
// cool-down for e runs. A task with no pending cool-down timer has no
// cool-down running (see armCooldown), which keeps the check off the clock
// for every task nobody turned down recently. It reads the clock into *now
// only when a cool-down runs.
func (x *index) cooling(e *taskEntry, id string, now *time.Time) bool {
	if !e.timers[timerCooldown].Scheduled() {
		return false
	}
	t := e.t
	for i, by := range t.RejectedBy {
		if by != id {
			continue
		}
		if i >= len(t.RejectedAt) {
			return false
		}
		if now.IsZero() {
			*now = x.clock.Now()
		}
		return now.Before(t.RejectedAt[i].Add(x.cooldownOf(e)))
	}
	return false
}

// cooldownOf returns the re-offer cool-down of queued task e: its queue's
// override, else Config.ReofferCooldown (as Router.cooldownOf).
func (x *index) cooldownOf(e *taskEntry) time.Duration {
	if e.lane != nil {
		if d := e.lane.q.ReofferCooldown; d != nil {
			return *d
		}
	}
	return x.cooldown
}

// head returns the first task of tree that agent a is not cooling for. Only
// tasks a turned down recently are skipped, so this is the tree's minimum
// unless a cool-down of a runs.
func (x *index) head(tree *btree.BTreeG[taskKey], a *agentEntry, now *time.Time) (taskKey, bool) {
	k, ok := tree.Min()
	if !ok || !x.cooling(k.e, a.ID, now) {
		return k, ok
	}
	ok = false
	tree.Ascend(func(c taskKey) bool {
		if x.cooling(c.e, a.ID, now) {
			return true
		}
		k, ok = c, true
		return false
	})
	return k, ok
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

// ---- invariants ----

// check verifies that the index agrees with the entries it indexes: every
// queued task is in exactly the levels (or the agent queue) it says, no class
// is empty, agent queues count their tasks, and an agent is in its ready tree
// on a channel exactly when it is ready there, keyed by its LastActivity.
// Router.checkInvariants calls it with the router's maps.
func (x *index) check(tasks map[string]*taskEntry, queues map[string]*queueEntry, agents map[string]*agentEntry) error {
	agentQueued := map[*agentEntry]int{}
	for id, e := range tasks {
		if !e.queued {
			continue
		}
		if e.target != nil {
			agentQueued[e.target]++
			if !e.target.queue[e.ch].Has(e.key()) {
				return fmt.Errorf("task %q missing from the agent queue of %q", id, e.target.ID)
			}
			continue
		}
		if e.levels < 1 {
			return fmt.Errorf("queued task %q is in no level of its lane", id)
		}
		for i, lv := range e.lane.levels {
			cl := lv.classes[e.classSig]
			in := cl != nil && cl.tree.Has(e.key())
			if in != (i < e.levels) {
				return fmt.Errorf("task %q: in level %d (delay %s) = %v, want %v", id, i, lv.delay, in, i < e.levels)
			}
		}
	}
	for id, q := range queues {
		for _, l := range q.lanes {
			if l == nil {
				continue
			}
			for i, lv := range l.levels {
				for sig, cl := range lv.classes {
					if cl.tree.Len() == 0 {
						return fmt.Errorf("queue %q level %d keeps empty class %q", id, i, sig)
					}
				}
			}
		}
	}
	for id, a := range agents {
		if a.queued != agentQueued[a] {
			return fmt.Errorf("agent %q counts %d in its agent queue, found %d", id, a.queued, agentQueued[a])
		}
		if a.profile == nil {
			continue
		}
		for ch := 0; ch < numChannels; ch++ {
			// Load may exceed a concurrency lowered while the agent worked;
			// the router then only must not add to it, which ready() ensures.
			ready := a.ready(ch)
			if a.indexed[ch] != ready {
				return fmt.Errorf("agent %q on %s: indexed=%v ready=%v", id, Channels[ch], a.indexed[ch], ready)
			}
			inTree := a.profile.ready[ch] != nil && a.profile.ready[ch].Has(a)
			if inTree != ready {
				return fmt.Errorf("agent %q on %s: in ready tree=%v ready=%v", id, Channels[ch], inTree, ready)
			}
			if ready && a.act != a.LastActivity.UnixNano() {
				return fmt.Errorf("agent %q indexed with a stale LastActivity", id)
			}
		}
	}
	return nil
}
