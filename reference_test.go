package switchboard

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// This file is a deliberately simple reference router: docs/routing.md
// implemented literally with slices, maps and linear scans. It is the oracle
// of differential_test.go, not a baseline for benchmarks. It covers what the
// random test drives: standard and agent queues, routing profiles with
// concurrency, cross-channel behaviour, priorities and delays, routing
// criteria, the LongestIdle selector, both missed-offer policies, offer
// timeouts, ACW limits, scheduled tasks, expiry, priority ageing and the
// re-offer cool-down. There is no store.
//
// Timers. A task has six timers: expiry, stage (ScheduledAt,
// OfferExpiresAt or the ACW limit, whichever its state has), level (the next
// lane delay it reaches), step (its active routing step expires), age (its
// next ageing step) and cool (a cool-down ends). As the Timers section of
// the contract says, they fire in order of deadline, then of kind (the order
// of the constants below), then of task Sequence; each is followed by
// settling.
//
// Effective priority, like visibility, changes when the age timer fires and
// is computed from the clock when the task is placed in line. Cooling is read
// from the clock at every decision, as the contract says; the cool timer only
// makes the task look for an agent.
//
// Visibility and the active step. Following the Timers section of the
// contract ("a delay reached (the task becomes visible to more profiles)",
// "a routing step expiring"), both change when their timer fires, and are
// computed from the clock when the task is placed in line. So when several
// timers share a deadline, the settling that follows an earlier one still
// sees the previous visibility and step of a task whose own timer comes
// later.

const refOfferTimeout = OfferTimeoutDefault

type refRouter struct {
	now      time.Time
	policy   MissedPolicy
	cooldown time.Duration            // Config.ReofferCooldown
	rules    map[string]refQueueRules // per queue
	capacity map[string]int           // MaxContacts per queue, 0 for none
	profiles map[string]*refProfile
	agents   []*refAgent // any order; agentOrder sorts
	tasks    []*refTask  // creation order, final ones included
	byID     map[string]*refTask
	ids      int    // task IDs are "t1", "t2", … as in the bench
	seq      uint64 // task Sequence
	dirtyT   []*refTask
	dirtyA   []*refAgent
	offers   []refOffer
}

// refQueueRules are a queue's ageing rule and cool-down override.
type refQueueRules struct {
	ageing *PriorityAgeing
	cool   *time.Duration
}

type refOffer struct {
	task, agent string
	at          time.Time
}

func (o refOffer) String() string {
	return fmt.Sprintf("%s>%s@%s", o.task, o.agent, o.at.Sub(t0))
}

type refLane struct {
	queue string
	ch    Channel
}

type refServe struct {
	prio  int
	delay time.Duration
}

type refProfile struct {
	conc  map[Channel]int
	any   map[Channel]bool // cross-channel behaviour is ROUTE_ANY_CHANNEL
	lanes map[refLane]refServe
}

type refAgent struct {
	id, profile string
	status      AgentStatus
	blocked     bool
	last        time.Time // LastActivity
	profs       []Proficiency
	auto        []Channel
	acw         map[Channel]time.Duration
}

// Timer kinds, in their firing order among equal deadlines.
const (
	refExpiry = iota
	refStage
	refLevel
	refStep
	refAge
	refCool
	refTimers // the number of kinds
)

type refTimer struct {
	at time.Time
	on bool
}

type refTask struct {
	id         string
	seq        uint64
	ch         Channel
	state      TaskState
	queue      string // standard queue, or ""
	target     string // agent queue owner, or ""
	agent      string // holder while OFFERED, CONNECTED, PAUSED, ACW
	prio       int
	eff        int // effective priority while QUEUED in a standard queue
	qta        time.Duration
	enq        time.Time
	crit       *RoutingCriteria
	critAt     time.Time
	rejectedBy []string
	rejectedAt []time.Time // parallel to rejectedBy: the last turn-down
	expires    time.Time
	schedAt    time.Time
	offerExp   time.Time
	acwEnd     time.Time
	transfers  int
	pauses     int
	// While QUEUED in a standard queue: the largest delay of its lane it has
	// reached (visible to profiles whose delay is at most this), and the
	// active routing step (-1 for none).
	seen   time.Duration
	step   int
	timers [refTimers]refTimer
}

var errRef = errors.New("refused by the reference")

func newRefRouter(w *simWorld, now time.Time) *refRouter {
	r := &refRouter{now: now, policy: w.policy, cooldown: w.cooldown, rules: map[string]refQueueRules{},
		capacity: w.capacity, profiles: map[string]*refProfile{}, byID: map[string]*refTask{}}
	for _, q := range w.queues {
		r.rules[q] = refQueueRules{w.ageing[q], w.qcool[q]}
	}
	for _, p := range w.profiles {
		r.profiles[p.ID] = newRefProfile(p)
	}
	for _, a := range w.agents {
		r.agents = append(r.agents, &refAgent{id: a.ID, profile: a.RoutingProfileID, status: a.Status,
			last: now, profs: a.Proficiencies, auto: a.AutoAccept, acw: a.AfterContactWorkLimit})
	}
	return r
}

func newRefProfile(p RoutingProfile) *refProfile {
	rp := &refProfile{conc: map[Channel]int{}, any: map[Channel]bool{}, lanes: map[refLane]refServe{}}
	for _, c := range p.Concurrency {
		rp.conc[c.Channel] = c.Concurrency
		rp.any[c.Channel] = c.CrossChannel == AnyChannel
	}
	for _, q := range p.Queues {
		rp.lanes[refLane{q.QueueID, q.Channel}] = refServe{q.Priority, q.Delay}
	}
	return rp
}

// ---- definitions of docs/routing.md ----

func (r *refRouter) agent(id string) *refAgent {
	for _, a := range r.agents {
		if a.id == id {
			return a
		}
	}
	return nil
}

// agentOrder is ascending (LastActivity, ID).
func (r *refRouter) agentOrder(as []*refAgent) []*refAgent {
	out := slices.Clone(as)
	slices.SortFunc(out, func(a, b *refAgent) int {
		return cmp.Or(a.last.Compare(b.last), cmp.Compare(a.id, b.id))
	})
	return out
}

func holdsSlotRef(s TaskState) bool {
	return s == StateOffered || s == StateConnected || s == StatePaused || s == StateAfterContactWork
}

// load counts the tasks agent a holds on each channel.
func (r *refRouter) load(a *refAgent) map[Channel]int {
	n := map[Channel]int{}
	for _, t := range r.tasks {
		if t.agent == a.id && holdsSlotRef(t.state) {
			n[t.ch]++
		}
	}
	return n
}

// ready reports whether a is ready on ch, given its load.
func (r *refRouter) ready(a *refAgent, ch Channel, load map[Channel]int) bool {
	p := r.profiles[a.profile]
	if a.status != StatusAvailable || a.blocked || load[ch] >= p.conc[ch] {
		return false // conc is 0 for a channel the profile lacks
	}
	for x, n := range load {
		if x != ch && n > 0 && !p.any[x] {
			return false
		}
	}
	return true
}

func refMatches(e *Requirement, a *refAgent) bool {
	switch {
	case e.Attribute != nil:
		for _, p := range a.profs {
			if p.Name == e.Attribute.Name && p.Value == e.Attribute.Value && p.Level >= e.Attribute.MinLevel {
				return true
			}
		}
		return false
	case e.Preferred != nil:
		return slices.Contains(e.Preferred, a.id)
	case e.And != nil:
		for i := range e.And {
			if !refMatches(&e.And[i], a) {
				return false
			}
		}
		return true
	default:
		for i := range e.Or {
			if refMatches(&e.Or[i], a) {
				return true
			}
		}
		return false
	}
}

// refActiveStep returns the step of c active at now for criteria activated at
// from (-1 when every step expired) and when it expires (zero for never).
func refActiveStep(c *RoutingCriteria, from, now time.Time) (int, time.Time) {
	if c == nil {
		return -1, time.Time{}
	}
	end := from
	for i, s := range c.Steps {
		if s.Expiry == 0 {
			return i, time.Time{}
		}
		end = end.Add(s.Expiry)
		if now.Before(end) {
			return i, end
		}
	}
	return -1, time.Time{}
}

// coolFor returns t's re-offer cool-down: its queue's override, else the
// router's.
func (r *refRouter) coolFor(t *refTask) time.Duration {
	if t.queue != "" && r.rules[t.queue].cool != nil {
		return *r.rules[t.queue].cool
	}
	return r.cooldown
}

// cooling reports whether a turned t down less than its cool-down ago.
func (r *refRouter) cooling(a *refAgent, t *refTask) bool {
	i := slices.Index(t.rejectedBy, a.id)
	return i >= 0 && r.now.Before(t.rejectedAt[i].Add(r.coolFor(t)))
}

// canTake reports whether a can take t, with rdy = a is ready on t's channel.
func (r *refRouter) canTake(a *refAgent, t *refTask, rdy bool) bool {
	if t.state != StateQueued || !rdy || r.cooling(a, t) {
		return false
	}
	if t.target != "" {
		return t.target == a.id
	}
	s, ok := r.profiles[a.profile].lanes[refLane{t.queue, t.ch}]
	if !ok || s.delay > t.seen {
		return false
	}
	return t.step < 0 || refMatches(&t.crit.Steps[t.step].Requirement, a)
}

// keyLess orders waiting tasks by (effective priority, routing age, Sequence).
func refKeyLess(a, b *refTask) bool {
	if a.eff != b.eff {
		return a.eff < b.eff
	}
	ra, rb := a.enq.Add(-a.qta), b.enq.Add(-b.qta)
	if !ra.Equal(rb) {
		return ra.Before(rb)
	}
	return a.seq < b.seq
}

// findAgent: among agents who can take t, non-rejecters first, then agent order.
func (r *refRouter) findAgent(t *refTask) *refAgent {
	var fallback *refAgent
	for _, a := range r.agentOrder(r.agents) {
		if !r.canTake(a, t, r.ready(a, t.ch, r.load(a))) {
			continue
		}
		if !slices.Contains(t.rejectedBy, a.id) {
			return a
		}
		if fallback == nil {
			fallback = a
		}
	}
	return fallback
}

// bestTask: among tasks a can take, first by (agent queue before standard
// queues, profile priority of the lane, key).
func (r *refRouter) bestTask(a *refAgent) *refTask {
	load := r.load(a)
	rdy := map[Channel]bool{}
	for _, ch := range Channels {
		rdy[ch] = r.ready(a, ch, load)
	}
	rank := func(t *refTask) int {
		if t.target != "" {
			return 0
		}
		return r.profiles[a.profile].lanes[refLane{t.queue, t.ch}].prio
	}
	var best *refTask
	for _, t := range r.tasks {
		if !r.canTake(a, t, rdy[t.ch]) {
			continue
		}
		if best == nil || rank(t) < rank(best) || rank(t) == rank(best) && refKeyLess(t, best) {
			best = t
		}
	}
	return best
}

// ---- settling and offers ----

func (r *refRouter) markTask(t *refTask) {
	if !slices.Contains(r.dirtyT, t) {
		r.dirtyT = append(r.dirtyT, t)
	}
}

func (r *refRouter) markAgent(a *refAgent) {
	if !slices.Contains(r.dirtyA, a) {
		r.dirtyA = append(r.dirtyA, a)
	}
}

func (r *refRouter) settle() {
	for len(r.dirtyT) > 0 || len(r.dirtyA) > 0 {
		for i := 0; i < len(r.dirtyT); i++ {
			if t := r.dirtyT[i]; t.state == StateQueued {
				if a := r.findAgent(t); a != nil {
					r.offer(t, a)
				}
			}
		}
		r.dirtyT = nil
		agents := r.agentOrder(r.dirtyA)
		r.dirtyA = nil
		for _, a := range agents {
			for t := r.bestTask(a); t != nil; t = r.bestTask(a) {
				r.offer(t, a)
			}
		}
	}
}

func (r *refRouter) offer(t *refTask, a *refAgent) {
	r.offers = append(r.offers, refOffer{t.id, a.id, r.now})
	t.agent = a.id
	a.last = r.now
	if slices.Contains(a.auto, t.ch) {
		t.state = StateConnected
	} else {
		t.state = StateOffered
		t.offerExp = r.now.Add(refOfferTimeout)
	}
	r.changed(t, false)
}

// ---- timers ----

func (r *refRouter) arm(t *refTask, kind int, at time.Time) {
	t.timers[kind] = refTimer{at: at, on: true}
}

// laneDelays lists the distinct delays of the profiles serving t's lane, and
// 0, ascending.
func (r *refRouter) laneDelays(t *refTask) []time.Duration {
	ds := []time.Duration{0}
	for _, p := range r.profiles {
		if s, ok := p.lanes[refLane{t.queue, t.ch}]; ok && !slices.Contains(ds, s.delay) {
			ds = append(ds, s.delay)
		}
	}
	slices.Sort(ds)
	return ds
}

// place computes a task's visibility and active step as it enters its place
// in line, and arms its step and level timers.
func (r *refRouter) place(t *refTask) {
	t.seen, t.step = 0, -1
	r.armCool(t)
	r.age(t)
	if t.target != "" {
		return // criteria, delays and ageing do not apply in agent queues
	}
	var until time.Time
	t.step, until = refActiveStep(t.crit, t.critAt, r.now)
	if t.step >= 0 && !until.IsZero() {
		r.arm(t, refStep, until)
	}
	r.armNextLevel(t, r.now.Sub(t.enq))
}

// age sets t's effective priority as of now: Priority − ⌊waited / Every⌋,
// not below Floor, for a task above Floor in a queue that ages; and arms the
// age timer for the next step.
func (r *refRouter) age(t *refTask) {
	t.eff = t.prio
	var a *PriorityAgeing
	if t.queue != "" {
		a = r.rules[t.queue].ageing
	}
	if a == nil || t.prio <= a.Floor {
		return
	}
	steps := int(r.now.Sub(t.enq) / a.Every)
	t.eff = max(a.Floor, t.prio-steps)
	if t.eff > a.Floor {
		r.arm(t, refAge, t.enq.Add(time.Duration(t.prio-t.eff+1)*a.Every))
	}
}

// armCool arms the cool timer for the first end of a cool-down after now.
func (r *refRouter) armCool(t *refTask) {
	cd := r.coolFor(t)
	var next time.Time
	for _, at := range t.rejectedAt {
		if end := at.Add(cd); cd > 0 && end.After(r.now) && (next.IsZero() || end.Before(next)) {
			next = end
		}
	}
	if !next.IsZero() {
		r.arm(t, refCool, next)
	}
}

// armNextLevel records that t has reached every lane delay ≤ waited and arms
// the level timer for the next.
func (r *refRouter) armNextLevel(t *refTask, waited time.Duration) {
	for _, d := range r.laneDelays(t) {
		if d > waited {
			r.arm(t, refLevel, t.enq.Add(d))
			return
		}
		t.seen = d
	}
}

// changed follows every change to t: it re-places t in line when it entered
// QUEUED or its place changed (requeued), and sets its stage timer.
func (r *refRouter) changed(t *refTask, requeued bool) {
	if t.state != StateQueued || requeued {
		t.timers[refLevel].on, t.timers[refStep].on = false, false
		t.timers[refAge].on, t.timers[refCool].on = false, false
	}
	if requeued {
		r.place(t)
		r.markTask(t)
	}
	switch {
	case t.state == StateScheduled:
		r.arm(t, refStage, t.schedAt)
	case t.state == StateOffered:
		r.arm(t, refStage, t.offerExp)
	case t.state == StateAfterContactWork && !t.acwEnd.IsZero():
		r.arm(t, refStage, t.acwEnd)
	default:
		t.timers[refStage].on = false
	}
	if t.state.Final() {
		t.timers = [refTimers]refTimer{}
	}
}

// advance moves the clock by d, firing every timer due on the way in
// (deadline, kind, Sequence) order, each followed by settling.
func (r *refRouter) advance(d time.Duration) {
	end := r.now.Add(d)
	for {
		var next *refTask
		kind := 0
		for k := range refTimers {
			for _, t := range r.tasks { // in Sequence order
				tm := t.timers[k]
				if tm.on && !tm.at.After(end) && (next == nil || tm.at.Before(next.timers[kind].at)) {
					next, kind = t, k
				}
			}
		}
		if next == nil {
			r.now = end
			return
		}
		r.now = next.timers[kind].at
		next.timers[kind].on = false
		r.fire(next, kind)
		r.settle()
	}
}

func (r *refRouter) fire(t *refTask, kind int) {
	switch kind {
	case refExpiry:
		r.end(t, StateExpired)
	case refLevel:
		r.armNextLevel(t, r.now.Sub(t.enq))
		r.markTask(t)
	case refAge:
		r.age(t)
		r.markTask(t)
	case refCool:
		r.armCool(t)
		r.markTask(t)
	case refStep:
		var until time.Time
		t.step, until = refActiveStep(t.crit, t.critAt, r.now)
		if t.step >= 0 && !until.IsZero() {
			r.arm(t, refStep, until)
		}
		r.markTask(t)
	case refStage:
		switch t.state {
		case StateScheduled:
			t.state, t.enq, t.critAt = StateQueued, r.now, r.now
			r.changed(t, true)
		case StateOffered:
			r.returnOffer(t)
		case StateAfterContactWork:
			r.end(t, StateCompleted)
		}
	}
}

// returnOffer handles a reject or a missed offer.
func (r *refRouter) returnOffer(t *refTask) {
	a := r.agent(t.agent)
	t.state, t.agent = StateQueued, ""
	if !slices.Contains(t.rejectedBy, a.id) {
		t.rejectedBy = append(t.rejectedBy, a.id)
		t.rejectedAt = append(t.rejectedAt, time.Time{})
	}
	t.rejectedAt[slices.Index(t.rejectedBy, a.id)] = r.now
	a.last = r.now
	if r.policy == BlockUntilCleared {
		a.blocked = true
	}
	r.changed(t, true)
	r.markAgent(a)
}

// end finishes t (stopped, expired, completed), freeing its slot.
func (r *refRouter) end(t *refTask, state TaskState) {
	if holdsSlotRef(t.state) {
		a := r.agent(t.agent)
		a.last = r.now
		r.markAgent(a)
	}
	t.state = state
	r.changed(t, false)
}

// ---- operations; the caller settles after each (simOp.runRef) ----

// taskIn returns the open task id if it is in one of states (any open state
// when none are given), or nil.
func (r *refRouter) taskIn(id string, states ...TaskState) *refTask {
	if t := r.byID[id]; t != nil && !t.state.Final() && (len(states) == 0 || slices.Contains(states, t.state)) {
		return t
	}
	return nil
}

func (r *refRouter) count(f func(*refTask) bool) int {
	n := 0
	for _, t := range r.tasks {
		if f(t) {
			n++
		}
	}
	return n
}

// refused reports whether a queue or agent queue refuses a task entering it
// now: MaxContacts counts a standard queue's QUEUED and OFFERED tasks; an
// agent queue holds at most AgentQueueCapacity QUEUED tasks.
func (r *refRouter) refused(queue, agentID string) bool {
	if agentID != "" {
		return r.agent(agentID) == nil || r.count(func(t *refTask) bool {
			return t.state == StateQueued && t.target == agentID
		}) >= AgentQueueCapacityDefault
	}
	return r.capacity[queue] > 0 && r.count(func(t *refTask) bool {
		return t.queue == queue && (t.state == StateQueued || t.state == StateOffered)
	}) >= r.capacity[queue]
}

func (r *refRouter) newTask(ch Channel, queue, target string) *refTask {
	r.ids++
	r.seq++
	t := &refTask{id: fmt.Sprintf("t%d", r.ids), seq: r.seq, ch: ch, queue: queue, target: target, step: -1}
	r.tasks = append(r.tasks, t)
	r.byID[t.id] = t
	return t
}

// create returns the new task's ID. A scheduled task is not checked
// against capacity, and its lifetime counts from ScheduledAt.
func (r *refRouter) create(in TaskInput) (string, error) {
	scheduled := in.ScheduledAt.After(r.now)
	if in.AgentID != "" && r.agent(in.AgentID) == nil || !scheduled && r.refused(in.QueueID, in.AgentID) {
		return "", errRef
	}
	t := r.newTask(cmp.Or(in.Channel, ChannelTask), in.QueueID, in.AgentID)
	t.prio, t.qta, t.crit = cmp.Or(in.Priority, DefaultPriority), in.QueueTimeAdjustment, in.RoutingCriteria
	start := r.now
	if scheduled {
		start = in.ScheduledAt
	}
	t.expires = start.Add(cmp.Or(in.Expiry, DefaultTaskDurationDefault))
	if scheduled {
		t.state, t.schedAt = StateScheduled, in.ScheduledAt
		r.changed(t, false)
	} else {
		t.state, t.enq, t.critAt = StateQueued, r.now, r.now
		r.changed(t, true)
	}
	r.arm(t, refExpiry, t.expires)
	return t.id, nil
}

// accept and reject need the task OFFERED to that agent.
func (r *refRouter) accept(id, agentID string) error {
	t := r.taskIn(id, StateOffered)
	if t == nil || t.agent != agentID {
		return errRef
	}
	t.state = StateConnected
	r.changed(t, false)
	return nil
}

func (r *refRouter) reject(id, agentID string) error {
	t := r.taskIn(id, StateOffered)
	if t == nil || t.agent != agentID {
		return errRef
	}
	r.returnOffer(t)
	return nil
}

// toACW starts after-contact work, with the holder's limit for the channel.
func (r *refRouter) toACW(t *refTask) {
	t.state, t.acwEnd = StateAfterContactWork, time.Time{}
	if lim := r.agent(t.agent).acw[t.ch]; lim > 0 {
		t.acwEnd = r.now.Add(lim)
	}
	r.changed(t, false)
}

func (r *refRouter) complete(id string) error {
	t := r.taskIn(id, StateConnected, StatePaused)
	if t == nil {
		return errRef
	}
	r.toACW(t)
	return nil
}

func (r *refRouter) closeACW(id string) error {
	t := r.taskIn(id, StateAfterContactWork)
	if t == nil {
		return errRef
	}
	r.end(t, StateCompleted)
	return nil
}

// pause (at most MaxPauses times) and resume move between CONNECTED and
// PAUSED only (docs/task-states.md).
func (r *refRouter) pause(id string) error {
	t := r.taskIn(id, StateConnected)
	if t == nil || t.pauses >= MaxPauses {
		return errRef
	}
	t.state = StatePaused
	t.pauses++
	r.changed(t, false)
	return nil
}

func (r *refRouter) resume(id string) error {
	t := r.taskIn(id, StatePaused)
	if t == nil {
		return errRef
	}
	t.state = StateConnected
	r.changed(t, false)
	return nil
}

func (r *refRouter) stop(id string) error {
	t := r.taskIn(id)
	if t == nil {
		return errRef
	}
	r.end(t, StateStopped)
	return nil
}

// transfer ends a QUEUED segment COMPLETED, a CONNECTED or PAUSED one in
// ACW, and returns the ID of the new segment, queued afresh.
func (r *refRouter) transfer(id string, to TransferTarget) (string, error) {
	t := r.taskIn(id, StateQueued, StateConnected, StatePaused)
	if t == nil || t.transfers >= MaxTransfers || r.refused(to.QueueID, to.AgentID) {
		return "", errRef
	}
	if t.state == StateQueued {
		t.state = StateCompleted
		r.changed(t, false)
	} else {
		r.toACW(t)
	}
	nt := r.newTask(t.ch, to.QueueID, to.AgentID)
	nt.state, nt.prio, nt.qta, nt.crit = StateQueued, t.prio, t.qta, t.crit
	nt.enq, nt.critAt, nt.expires, nt.transfers = r.now, r.now, t.expires, t.transfers+1
	r.changed(nt, true)
	r.arm(nt, refExpiry, nt.expires)
	return nt.id, nil
}

// updateRouting re-places a QUEUED task whose key or criteria change.
func (r *refRouter) updateRouting(id string, u RoutingUpdate) error {
	t := r.taskIn(id)
	if t == nil {
		return errRef
	}
	moved := u.Criteria != nil || u.ClearCriteria && t.crit != nil
	if u.Priority > 0 {
		moved = moved || t.prio != u.Priority
		t.prio = u.Priority
	}
	if u.QueueTimeAdjustment != nil {
		moved = moved || t.qta != *u.QueueTimeAdjustment
		t.qta = *u.QueueTimeAdjustment
	}
	if u.Criteria != nil {
		t.crit, t.critAt = u.Criteria, r.now
	}
	if u.ClearCriteria {
		t.crit = nil
	}
	r.changed(t, moved && t.state == StateQueued)
	return nil
}

func (r *refRouter) setStatus(agentID string, s AgentStatus) error {
	a := r.agent(agentID)
	if a == nil {
		return errRef
	}
	if a.status != s {
		a.status = s
		if s == StatusAvailable {
			a.last = r.now
		}
		r.markAgent(a)
	}
	return nil
}

func (r *refRouter) clear(agentID string) error {
	a := r.agent(agentID)
	if a == nil {
		return errRef
	}
	if a.blocked {
		a.blocked, a.last = false, r.now
		r.markAgent(a)
	}
	return nil
}

// putProfile replaces a routing profile (same concurrency, new queue
// configs). The agents of the profile become available. Each task waiting in
// a lane the profile served before or serves now is placed in line afresh
// (its visibility follows the new delays) and becomes routable, in the
// engine's order: lanes by (queue ID, channel as in Channels), tasks by
// Sequence. (The contract names only tasks that become visible to more
// profiles; the others can find no new agent, so marking them is harmless.)
func (r *refRouter) putProfile(p RoutingProfile) error {
	touched := map[refLane]bool{}
	for l := range r.profiles[p.ID].lanes {
		touched[l] = true
	}
	r.profiles[p.ID] = newRefProfile(p)
	for l := range r.profiles[p.ID].lanes {
		touched[l] = true
	}
	lanes := slices.SortedFunc(maps.Keys(touched), func(a, b refLane) int {
		return cmp.Or(cmp.Compare(a.queue, b.queue), cmp.Compare(slices.Index(Channels, a.ch), slices.Index(Channels, b.ch)))
	})
	for _, l := range lanes {
		for _, t := range r.tasks {
			if t.state == StateQueued && t.target == "" && (refLane{t.queue, t.ch}) == l {
				r.changed(t, true)
			}
		}
	}
	for _, a := range r.agents {
		if a.profile == p.ID {
			r.markAgent(a)
		}
	}
	return nil
}

// putQueue replaces a queue's rules. If its ageing rule or cool-down
// changed, each task waiting in one of its lanes is placed in line afresh
// and becomes routable, lanes by channel (as in Channels), tasks by
// Sequence.
func (r *refRouter) putQueue(q Queue) error {
	old := r.rules[q.ID]
	r.rules[q.ID] = refQueueRules{q.PriorityAgeing, q.ReofferCooldown}
	same := func(a, b *time.Duration) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }
	sameA := old.ageing == nil && q.PriorityAgeing == nil || old.ageing != nil && q.PriorityAgeing != nil && *old.ageing == *q.PriorityAgeing
	if sameA && same(old.cool, q.ReofferCooldown) {
		return nil
	}
	for _, ch := range Channels {
		for _, t := range r.tasks {
			if t.state == StateQueued && t.queue == q.ID && t.ch == ch {
				r.changed(t, true)
			}
		}
	}
	return nil
}

// putSkills replaces an agent's proficiencies; the agent becomes available.
func (r *refRouter) putSkills(agentID string, profs []Proficiency) error {
	a := r.agent(agentID)
	if a == nil {
		return errRef
	}
	a.profs = profs
	r.markAgent(a)
	return nil
}

// takeOffers returns the offers made since the last call.
func (r *refRouter) takeOffers() []refOffer {
	o := r.offers
	r.offers = nil
	return o
}
