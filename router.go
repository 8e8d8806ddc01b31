package switchboard

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/btree"

	"github.com/switchboard-go/switchboard/internal/deadline"
)

// Router is the routing engine: it owns every queue, routing profile, agent
// and open task, decides who gets what, and runs every timer. All of its
// methods are safe for concurrent use. Each state change is written to the
// Store before the method returns, and events go to subscribers in order
// without ever blocking the router.
type Router struct {
	mu     sync.Mutex // guards everything below
	cfg    Config
	clock  Clock
	store  Store
	closed bool

	queues   map[string]*queueEntry
	profiles map[string]*profileEntry
	agents   map[string]*agentEntry
	tasks    map[string]*taskEntry // open (non-final) tasks
	// openByState counts open tasks by state, for Stats.
	openByState map[TaskState]int
	seq         uint64                // last task Sequence handed out
	tokens      map[string]tokenEntry // ClientToken -> first task, for ClientTokenTTL
	tokenLog    []tokenEntry          // tokens in creation order, for pruning

	timers      deadline.Heap[timerRef]
	retry       deadline.Item[timerRef] // routing retry after a failed write
	armedAt     int64                   // deadline the clock timer is set for; 0 when none
	armedCancel func() bool
	armGen      uint64
	inflight    sync.WaitGroup // clock callbacks armed and not finished

	dirtyTasks  []*taskEntry
	dirtyAgents []*agentEntry
	scanMark    uint64
	cands       []*agentEntry
	fallback    []*agentEntry
	change      Change
	scratch     Task         // see edit
	finished    []*taskEntry // entries of tasks that ended in this operation
	sigBuf      []byte       // scratch for class keys
	taskNodes   *btree.FreeListG[*taskEntry]
	agentNodes  *btree.FreeListG[*agentEntry]
	free        []*taskEntry // entries to reuse (see newEntry)
	agentBuf    Agent        // scratch for agent changes

	eventSeq uint64
	subs     []*Subscription
}

type tokenEntry struct {
	token   string
	taskID  string
	created time.Time
}

// NewRouter returns a router over store (nil for a new MemoryStore) with cfg
// (nil for defaults). If the store already holds state, the router rebuilds
// its indexes and timers from it and carries on where the previous router
// stopped: waiting tasks keep their order, offers and timers resume, and
// timers that fell due while no router ran fire at once.
func NewRouter(ctx context.Context, store Store, cfg *Config) (*Router, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if store == nil {
		store = NewMemoryStore()
	}
	if c.NewID == nil {
		c.NewID = newUUIDSource()
	}
	r := &Router{
		cfg:      c,
		clock:    c.Clock,
		store:    store,
		queues:   map[string]*queueEntry{},
		profiles: map[string]*profileEntry{},
		agents:   map[string]*agentEntry{},
		tasks:    map[string]*taskEntry{},

		openByState: map[TaskState]int{},
		tokens:      map[string]tokenEntry{},
	}
	snap, err := store.Load(ctx)
	if err != nil {
		return nil, &StoreError{Op: "load", Err: err}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.rebuild(snap); err != nil {
		return nil, err
	}
	bg := context.WithoutCancel(ctx)
	r.fireDue(bg)
	r.settle(bg)
	r.arm()
	return r, nil
}

// rebuild loads a snapshot into empty indexes.
func (r *Router) rebuild(snap *Snapshot) error {
	now := r.clock.Now()
	r.seq = snap.LastSequence
	for _, q := range snap.Queues {
		r.queues[q.ID] = &queueEntry{Queue: *q}
	}
	for _, p := range snap.Profiles {
		r.installProfile(p, now)
	}
	for _, a := range snap.Agents {
		ae := &agentEntry{Agent: *a, held: map[*taskEntry]struct{}{}}
		ae.profile = r.profiles[a.RoutingProfileID]
		if ae.profile != nil {
			ae.profile.agents[a.ID] = ae
		}
		r.agents[a.ID] = ae
	}
	tasks := slices.Clone(snap.OpenTasks)
	slices.SortFunc(tasks, func(a, b *Task) int {
		switch {
		case a.Sequence < b.Sequence:
			return -1
		case a.Sequence > b.Sequence:
			return 1
		}
		return 0
	})
	for _, t := range tasks {
		if t.State.Final() {
			continue
		}
		if t.Sequence > r.seq {
			r.seq = t.Sequence
		}
		if t.QueueID != "" && r.queues[t.QueueID] == nil {
			return fmt.Errorf("switchboard: rebuild: task %q names queue %q, which the store does not hold", t.ID, t.QueueID)
		}
		if id := t.TargetAgentID; id != "" && r.agents[id] == nil {
			return fmt.Errorf("switchboard: rebuild: task %q names agent %q, which the store does not hold", t.ID, id)
		}
		if t.State.holdsSlot() && r.agents[t.AgentID] == nil {
			return fmt.Errorf("switchboard: rebuild: task %q is held by agent %q, which the store does not hold", t.ID, t.AgentID)
		}
		e := &taskEntry{ch: t.Channel.index()}
		r.tasks[t.ID] = e
		// A waiting task is placed as of when it entered its queue: the
		// delays and routing steps that passed while no router ran are then
		// due timers, which fire in deadline order with the rest (offer
		// timeouts, expiries) just as a router that never stopped fired them.
		r.apply(e, t, t.EnqueuedAt)
		t = e.t
		if t.ClientToken != "" {
			r.rememberToken(t)
		}
	}
	for _, a := range r.agents {
		r.indexAgent(a)
		r.markAgent(a)
	}
	return nil
}

// Close stops the router's timers and ends every subscription. It waits for a
// timer callback in progress to finish, so no goroutine of the router outlives
// it. Methods called after Close return ErrClosed. Close is idempotent.
func (r *Router) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		r.inflight.Wait() // a first Close may still be waiting for a callback
		return nil
	}
	r.closed = true
	r.disarm()
	subs := r.subs
	r.subs = nil
	r.mu.Unlock()
	for _, s := range subs {
		s.end(ErrClosed)
	}
	r.inflight.Wait()
	return nil
}

// lock takes the router lock for one public operation.
func (r *Router) lock(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return ErrClosed
	}
	return nil
}

// rlock takes the router lock for a read; the caller unlocks r.mu directly.
func (r *Router) rlock() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return ErrClosed
	}
	return nil
}

// unlock settles pending routing work, re-arms the clock and releases the
// lock. The offers settling makes are the router's own follow-up work: they
// are written with ctx's values but not its cancellation, so a caller that
// gives up after its own change landed cannot leave routing half-done.
func (r *Router) unlock(ctx context.Context) {
	if len(r.dirtyTasks)+len(r.dirtyAgents) > 0 {
		if ctx.Done() != nil {
			ctx = context.WithoutCancel(ctx)
		}
		r.settle(ctx)
	}
	r.arm()
	if r.cfg.Test.CheckInvariants {
		if err := r.checkInvariants(); err != nil {
			r.mu.Unlock()
			panic(err)
		}
	}
	r.recycle()
	r.mu.Unlock()
}

// newEntry returns a zeroed index entry for a new task, reusing the entry of
// a task that ended if there is one.
func (r *Router) newEntry(c Channel) *taskEntry {
	var e *taskEntry
	if n := len(r.free); n > 0 {
		e = r.free[n-1]
		r.free[n-1] = nil
		r.free = r.free[:n-1]
	} else {
		e = new(taskEntry)
	}
	e.ch = c.index()
	return e
}

// maxFreeEntries bounds the entries kept for reuse.
const maxFreeEntries = 1024

// recycle zeroes the entries of tasks that ended during the operation and
// keeps them for reuse. It runs at the very end of an operation, when no
// index, timer or dirty list can still point at them.
func (r *Router) recycle() {
	for i, e := range r.finished {
		r.finished[i] = nil
		if len(r.free) < maxFreeEntries {
			*e = taskEntry{}
			r.free = append(r.free, e)
		}
	}
	r.finished = r.finished[:0]
}

// ---- store writes and events ----

// write stores one atomic change built from tasks and agents.
func (r *Router) write(ctx context.Context, op string, tasks []*Task, agents ...*Agent) error {
	c := &r.change
	c.reset()
	c.Tasks = append(c.Tasks, tasks...)
	c.Agents = append(c.Agents, agents...)
	err := r.store.Write(ctx, c)
	c.reset()
	if err != nil {
		return &StoreError{Op: op, Err: err}
	}
	return nil
}

func (r *Router) write1(ctx context.Context, op string, t *Task, agents ...*Agent) error {
	var buf [1]*Task
	buf[0] = t
	return r.write(ctx, op, buf[:], agents...)
}

func (r *Router) emit(e Event) {
	r.eventSeq++
	if len(r.subs) == 0 {
		return
	}
	e.Seq = r.eventSeq
	if e.Time.IsZero() {
		e.Time = r.clock.Now()
	}
	ended := false
	for _, s := range r.subs {
		if !s.publish(e) {
			ended = true
		}
	}
	if ended { // forget subscriptions cut off for being too slow
		r.subs = slices.DeleteFunc(r.subs, func(s *Subscription) bool {
			s.mu.Lock()
			defer s.mu.Unlock()
			return s.err != nil
		})
	}
}

func (r *Router) emitTask(typ EventType, t *Task, now time.Time) {
	r.emit(Event{Type: typ, Time: now, TaskID: t.ID, AgentID: t.AgentID, QueueID: t.QueueID, State: t.State})
}

// failed reports work the router started on its own that the store refused.
func (r *Router) failed(op, taskID string, err error) {
	r.emit(Event{Type: EventError, TaskID: taskID, Err: fmt.Errorf("switchboard: %s: %w", op, err)})
}

// Subscribe returns a subscription to every event from now on.
func (r *Router) Subscribe(opts *SubscribeOptions) *Subscription {
	s := newSubscription(r, opts)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		s.end(ErrClosed)
		return s
	}
	r.subs = append(r.subs, s)
	return s
}

func (r *Router) unsubscribe(s *Subscription) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if i := slices.Index(r.subs, s); i >= 0 {
		r.subs = slices.Delete(r.subs, i, i+1)
	}
}

// ---- applying a task change to the indexes ----

// apply makes *nt the current value of e and moves e between indexes as the
// change requires. It never fails: everything that could fail (validation,
// the store write) has happened before. nt may be the router's scratch task
// (see edit) or a task of the caller's; apply copies it.
func (r *Router) apply(e *taskEntry, nt *Task, now time.Time) {
	old := e.t // nil for a new entry
	fresh := old == nil
	if !fresh && old.State != nt.State && !old.State.CanBecome(nt.State) {
		// Operations check states before they build a change; reaching here
		// is a bug in the router, not bad input.
		panic(fmt.Sprintf("switchboard: internal error: task %s moved %s -> %s", nt.ID, old.State, nt.State))
	}
	keep := !fresh && e.queued && nt.State == StateQueued && samePlacement(old, nt)
	if !keep {
		r.unplace(e)
	}
	if !fresh && old.State.holdsSlot() && (!nt.State.holdsSlot() || old.AgentID != nt.AgentID) {
		if a := e.holder; a != nil {
			r.unindexAgent(a)
			a.load[e.ch]--
			delete(a.held, e)
			e.holder = nil
			r.indexAgent(a)
			r.markAgent(a)
		}
	}
	if !fresh && isWaiting(old) && old.QueueID != "" {
		r.queues[old.QueueID].waiting--
	}
	expiryMoved := fresh || !old.ExpiresAt.Equal(nt.ExpiresAt)
	if !fresh {
		r.openByState[old.State]--
	}
	if !nt.State.Final() {
		r.openByState[nt.State]++
	}
	e.task = *nt
	e.t = &e.task
	nt = e.t
	if isWaiting(nt) && nt.QueueID != "" {
		r.queues[nt.QueueID].waiting++
	}
	if nt.State == StateQueued && !keep {
		r.placeQueued(e, now)
		r.markTask(e)
	}
	if nt.State.holdsSlot() && e.holder == nil {
		a := r.agents[nt.AgentID]
		r.unindexAgent(a)
		a.load[e.ch]++
		a.held[e] = struct{}{}
		e.holder = a
		r.indexAgent(a)
	}
	switch {
	case nt.State == StateScheduled:
		r.schedule(e, timerStage, nt.ScheduledAt)
	case nt.State == StateOffered:
		r.schedule(e, timerStage, nt.OfferExpiresAt)
	case nt.State == StateAfterContactWork && !nt.AfterContactWorkEnd.IsZero():
		r.schedule(e, timerStage, nt.AfterContactWorkEnd)
	default:
		r.cancel(e, timerStage)
	}
	if nt.State.Final() {
		r.cancel(e, timerExpiry)
		delete(r.tasks, nt.ID)
		r.finished = append(r.finished, e)
	} else if expiryMoved || !e.timers[timerExpiry].Scheduled() {
		r.schedule(e, timerExpiry, nt.ExpiresAt)
	}
}

func isWaiting(t *Task) bool { return t.State == StateQueued || t.State == StateOffered }

// samePlacement reports whether a queued task can stay where it is in the
// trees: same queue, channel, key and criteria.
func samePlacement(a, b *Task) bool {
	return a.State == StateQueued && a.QueueID == b.QueueID && a.TargetAgentID == b.TargetAgentID &&
		a.Priority == b.Priority && a.QueueTimeAdjustment == b.QueueTimeAdjustment &&
		a.EnqueuedAt.Equal(b.EnqueuedAt) && a.RoutingCriteria == b.RoutingCriteria &&
		a.CriteriaActivatedAt.Equal(b.CriteriaActivatedAt)
}

// edit returns the router's scratch task holding e's current value with
// Version incremented: the start of every change. The change is built there,
// written, then applied; the scratch is reused by the next edit, so use one
// edit at a time. Maps, slices and criteria are shared with the current value
// and must be replaced, never modified.
func (r *Router) edit(e *taskEntry) *Task {
	r.scratch = *e.t
	r.scratch.Version++
	return &r.scratch
}

// next returns a new copy of t with Version incremented, for changes that
// need several tasks at once.
func next(t *Task) *Task {
	c := *t
	c.Version++
	return &c
}

// userCopy prepares a task the router no longer references for the caller:
// its maps, slices and criteria get their own copies.
func userCopy(t *Task) *Task {
	t.Attributes = maps.Clone(t.Attributes)
	t.References = maps.Clone(t.References)
	t.RoutingCriteria = t.RoutingCriteria.Clone()
	t.RejectedBy = slices.Clone(t.RejectedBy)
	return t
}

// offer gives queued task e to agent a: an offer with a timeout, or a
// connection at once when the agent auto-accepts the channel.
func (r *Router) offer(ctx context.Context, e *taskEntry, a *agentEntry) error {
	now := r.clock.Now()
	nt := r.edit(e)
	nt.AgentID = a.ID
	nt.OfferedAt = now
	auto := a.autoAccepts(nt.Channel)
	if auto {
		nt.State = StateConnected
		nt.ConnectedAt = now
		nt.OfferExpiresAt = time.Time{}
	} else {
		nt.State = StateOffered
		nt.OfferExpiresAt = now.Add(r.cfg.OfferTimeout)
	}
	na := &r.agentBuf
	*na = a.Agent
	na.LastActivity = now
	if err := r.write1(ctx, "offer", nt, na); err != nil {
		return err
	}
	r.unindexAgent(a)
	a.Agent = *na
	r.indexAgent(a)
	r.apply(e, nt, now)
	r.emit(Event{Type: EventTaskOffered, Time: now, TaskID: nt.ID, AgentID: a.ID, QueueID: nt.QueueID, State: StateOffered})
	if auto {
		r.emitTask(EventTaskAccepted, nt, now)
	}
	return nil
}

// ---- timers ----

// schedule arms one of a task's timers. Deadlines that coincide fire in the
// order of timer kind (expiry, then schedule/offer/ACW, then queue delay,
// then routing step) and then task Sequence: an order rebuilt exactly from
// the store after a restart.
func (r *Router) schedule(e *taskEntry, kind timerKind, at time.Time) {
	it := &e.timers[kind]
	it.Value = timerRef{kind: kind, task: e}
	r.timers.Schedule(it, at.UnixNano(), timerTie(kind, e.t.Sequence))
}

func timerTie(kind timerKind, seq uint64) uint64 { return uint64(kind)<<56 | seq&(1<<56-1) }

func (r *Router) cancel(e *taskEntry, kind timerKind) { r.timers.Cancel(&e.timers[kind]) }

// arm makes sure the clock calls back no later than the earliest deadline.
// A callback armed for an earlier instant is kept even if its deadline went
// away (an accepted offer cancels its timeout): the early wake-up finds
// nothing due and re-arms, which costs less than re-arming on every change.
func (r *Router) arm() {
	if r.closed {
		return
	}
	top := r.timers.Peek()
	if top == nil {
		return
	}
	if r.armedCancel != nil && r.armedAt <= top.At {
		return
	}
	r.disarm()
	r.armGen++
	gen := r.armGen
	r.armedAt = top.At
	r.inflight.Add(1)
	d := time.Duration(top.At - r.clock.Now().UnixNano())
	r.armedCancel = r.clock.AfterFunc(max(d, 0), func() { r.onTimer(gen) })
}

func (r *Router) disarm() {
	if r.armedCancel != nil {
		if r.armedCancel() {
			r.inflight.Done()
		}
		r.armedCancel = nil
		r.armedAt = 0
	}
}

func (r *Router) onTimer(gen uint64) {
	defer r.inflight.Done()
	r.mu.Lock()
	if r.closed || gen != r.armGen {
		r.mu.Unlock()
		return
	}
	r.armedCancel = nil
	r.armedAt = 0
	ctx := context.Background()
	r.fireDue(ctx)
	r.unlock(ctx)
}

// fireDue handles every deadline at or before now, in deadline order, each
// followed by the routing it causes.
func (r *Router) fireDue(ctx context.Context) {
	now := r.clock.Now()
	for {
		it := r.timers.PopDue(now.UnixNano())
		if it == nil {
			return
		}
		e := it.Value.task
		if it.Value.kind == timerRetry {
			// Route as if every waiting task had just arrived, in creation
			// order, and then every agent had just freed up: the same
			// decisions the failed write interrupted.
			waiting := make([]*taskEntry, 0, len(r.tasks))
			for _, e := range r.tasks {
				if e.queued {
					waiting = append(waiting, e)
				}
			}
			sortTasks(waiting)
			for _, e := range waiting {
				r.markTask(e)
			}
			for _, a := range r.agents {
				r.markAgent(a)
			}
			r.settle(ctx)
			continue
		}
		if err := r.fire(ctx, e, it.Value.kind, now, time.Unix(0, it.At)); err != nil {
			r.failed("timer", e.t.ID, err)
			r.schedule(e, it.Value.kind, now.Add(r.cfg.RetryInterval))
		}
		r.settle(ctx)
	}
}

// fire handles one due timer of e whose deadline was at.
func (r *Router) fire(ctx context.Context, e *taskEntry, kind timerKind, now, at time.Time) error {
	t := e.t
	switch kind {
	case timerExpiry:
		return r.finish(ctx, e, StateExpired, DisconnectExpired, now, EventTaskExpired)
	case timerLevel:
		lv := e.lane.levels[e.levels]
		r.joinLevel(e, lv)
		e.levels++
		if e.levels < len(e.lane.levels) {
			r.schedule(e, timerLevel, t.EnqueuedAt.Add(e.lane.levels[e.levels].delay))
		}
		r.markTask(e)
		return nil
	case timerStep:
		for i := 0; i < e.levels; i++ {
			r.leaveLevel(e, e.lane.levels[i])
		}
		idx, until := t.RoutingCriteria.activeStep(t.CriteriaActivatedAt, at)
		e.step = idx
		r.setClass(e, nil)
		if idx >= 0 {
			r.setClass(e, &t.RoutingCriteria.Steps[idx].Expression)
			if !until.IsZero() {
				r.schedule(e, timerStep, until)
			}
		}
		for i := 0; i < e.levels; i++ {
			r.joinLevel(e, e.lane.levels[i])
		}
		r.emitTask(EventTaskRoutingStep, t, now)
		r.markTask(e)
		return nil
	}
	switch t.State {
	case StateScheduled:
		return r.enqueueScheduled(ctx, e, now)
	case StateOffered:
		return r.missOrReject(ctx, e, BlockedMissed, now)
	case StateAfterContactWork:
		return r.closeACW(ctx, e, now)
	}
	return nil
}

// ---- configuration ----

// PutQueue creates or replaces a queue.
func (r *Router) PutQueue(ctx context.Context, q Queue) error {
	if err := q.validate(); err != nil {
		return err
	}
	q = *q.clone()
	if err := r.lock(ctx); err != nil {
		return err
	}
	defer r.unlock(ctx)
	if err := r.store.Write(ctx, &Change{Queues: []*Queue{&q}}); err != nil {
		return &StoreError{Op: "put queue", Err: err}
	}
	if qe := r.queues[q.ID]; qe != nil {
		qe.Queue = q
		return nil
	}
	r.queues[q.ID] = &queueEntry{Queue: q}
	return nil
}

// PutRoutingProfile creates or replaces a routing profile. Every queue it
// names must exist. Agents of the profile pick up the change at once.
func (r *Router) PutRoutingProfile(ctx context.Context, p RoutingProfile) error {
	if err := p.validate(); err != nil {
		return err
	}
	p = p.normalized()
	if err := r.lock(ctx); err != nil {
		return err
	}
	defer r.unlock(ctx)
	for i, qc := range p.Queues {
		if r.queues[qc.QueueID] == nil {
			return fmt.Errorf("RoutingProfile.Queues[%d].QueueID: %w", i, notFound("queue", qc.QueueID))
		}
	}
	if err := r.store.Write(ctx, &Change{Profiles: []*RoutingProfile{&p}}); err != nil {
		return &StoreError{Op: "put routing profile", Err: err}
	}
	r.installProfile(&p, r.clock.Now())
	return nil
}

// installProfile replaces or adds a profile in memory and rebuilds the lanes
// it touches (before and after).
func (r *Router) installProfile(p *RoutingProfile, now time.Time) {
	old := r.profiles[p.ID]
	pe := &profileEntry{RoutingProfile: *p, agents: map[string]*agentEntry{}}
	for _, mc := range p.Concurrency {
		pe.conc[mc.Channel.index()] = mc.Concurrency
		pe.cross[mc.Channel.index()] = mc.CrossChannel
	}
	touched := map[*lane]bool{}
	if old != nil {
		for _, a := range old.agents {
			r.unindexAgent(a)
		}
		pe.agents = old.agents
		for _, pc := range old.configs {
			touched[pc.lane] = true
		}
	}
	for _, qc := range p.Queues {
		l := r.laneFor(r.queues[qc.QueueID], qc.Channel.index())
		pe.configs = append(pe.configs, profileQueue{lane: l, prio: qc.Priority, delay: qc.Delay, ch: qc.Channel.index()})
		touched[l] = true
	}
	r.profiles[p.ID] = pe
	for _, a := range pe.agents {
		a.profile = pe
	}
	lanes := make([]*lane, 0, len(touched))
	for l := range touched {
		lanes = append(lanes, l)
	}
	slices.SortFunc(lanes, func(a, b *lane) int {
		if a.q.ID != b.q.ID {
			if a.q.ID < b.q.ID {
				return -1
			}
			return 1
		}
		return a.ch - b.ch
	})
	for _, l := range lanes {
		r.rebuildLane(l, now)
	}
	// configs in priority order; stable keeps listing order among equals.
	idx := make([]int, len(pe.configs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return pe.configs[a].prio - pe.configs[b].prio })
	sorted := make([]profileQueue, len(idx))
	for i, j := range idx {
		sorted[i] = pe.configs[j]
	}
	pe.configs = sorted
	for _, a := range pe.agents {
		r.indexAgent(a)
		r.markAgent(a)
	}
}

func (r *Router) profilesSorted() []*profileEntry {
	ps := make([]*profileEntry, 0, len(r.profiles))
	for _, p := range r.profiles {
		ps = append(ps, p)
	}
	slices.SortFunc(ps, func(a, b *profileEntry) int {
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	return ps
}

// PutAgent creates an agent or replaces its configuration (name, routing
// profile, proficiencies, auto-accept, ACW limits). A new agent starts in
// a.Status (Offline when empty); an existing agent keeps its status and
// runtime state, which change only through SetAgentStatus and ClearAgent.
func (r *Router) PutAgent(ctx context.Context, a Agent) error {
	if err := a.validate(); err != nil {
		return err
	}
	if a.Status != "" {
		if err := checkStatus(a.Status); err != nil {
			return err
		}
	}
	if err := r.lock(ctx); err != nil {
		return err
	}
	defer r.unlock(ctx)
	p := r.profiles[a.RoutingProfileID]
	if p == nil {
		return fmt.Errorf("Agent.RoutingProfileID: %w", notFound("routing profile", a.RoutingProfileID))
	}
	now := r.clock.Now()
	na := *a.clone()
	ae := r.agents[a.ID]
	if ae != nil {
		na.Status, na.StatusSince, na.LastActivity = ae.Status, ae.StatusSince, ae.LastActivity
		na.Blocked, na.BlockedTaskID = ae.Blocked, ae.BlockedTaskID
	} else {
		if na.Status == "" {
			na.Status = StatusOffline
		}
		na.StatusSince, na.LastActivity = now, now
		na.Blocked, na.BlockedTaskID = NotBlocked, ""
	}
	if err := r.store.Write(ctx, &Change{Agents: []*Agent{&na}}); err != nil {
		return &StoreError{Op: "put agent", Err: err}
	}
	if ae == nil {
		ae = &agentEntry{held: map[*taskEntry]struct{}{}}
		r.agents[a.ID] = ae
	} else {
		r.unindexAgent(ae)
		if ae.profile != nil {
			delete(ae.profile.agents, a.ID)
		}
	}
	ae.Agent = na
	ae.profile = p
	p.agents[a.ID] = ae
	r.indexAgent(ae)
	r.markAgent(ae)
	r.emit(Event{Type: EventAgentUpdated, Time: now, AgentID: a.ID, Status: na.Status})
	return nil
}

func checkStatus(s AgentStatus) error {
	if n := utf8.RuneCountInString(string(s)); n < 1 || n > 127 || !utf8.ValidString(string(s)) {
		return invalid("Status", string(s), "1..127 characters")
	}
	return nil
}

// SetAgentStatus sets an agent's status. Setting StatusAvailable makes the
// agent routable (LastActivity restarts the idle clock); any other status
// stops new offers but leaves current tasks and pending offers alone.
func (r *Router) SetAgentStatus(ctx context.Context, agentID string, status AgentStatus) error {
	if err := checkStatus(status); err != nil {
		return err
	}
	return r.changeAgent(ctx, agentID, EventAgentStatusChanged, func(na *Agent, now time.Time) bool {
		if na.Status == status {
			return false
		}
		na.Status, na.StatusSince = status, now
		if status.Routable() {
			na.LastActivity = now
		}
		return true
	})
}

// ClearAgent clears an agent's missed or rejected task so that it receives
// work again (Amazon Connect's "Clear contact"). It is a no-op for an agent
// that is not blocked.
func (r *Router) ClearAgent(ctx context.Context, agentID string) error {
	return r.changeAgent(ctx, agentID, EventAgentCleared, func(na *Agent, now time.Time) bool {
		if na.Blocked == NotBlocked {
			return false
		}
		na.Blocked, na.BlockedTaskID = NotBlocked, ""
		na.LastActivity = now
		return true
	})
}

// changeAgent runs one change of an agent's runtime state: change edits a
// copy and reports whether anything changed; the copy is stored, indexed and
// announced with an event of type typ.
func (r *Router) changeAgent(ctx context.Context, agentID string, typ EventType, change func(na *Agent, now time.Time) bool) error {
	if err := r.lock(ctx); err != nil {
		return err
	}
	defer r.unlock(ctx)
	a := r.agents[agentID]
	if a == nil {
		return notFound("agent", agentID)
	}
	now := r.clock.Now()
	na := &r.agentBuf
	*na = a.Agent
	if !change(na, now) {
		return nil
	}
	return r.updateAgent(ctx, a, na, now, typ)
}

func (r *Router) updateAgent(ctx context.Context, a *agentEntry, na *Agent, now time.Time, typ EventType) error {
	if err := r.store.Write(ctx, &Change{Agents: []*Agent{na}}); err != nil {
		return &StoreError{Op: "update agent", Err: err}
	}
	r.unindexAgent(a)
	a.Agent = *na
	r.indexAgent(a)
	r.markAgent(a)
	r.emit(Event{Type: typ, Time: now, AgentID: a.ID, Status: a.Status})
	return nil
}

// ---- reading ----

// Task returns a copy of the task with id, open or finished.
func (r *Router) Task(ctx context.Context, id string) (*Task, error) {
	if err := r.lock(ctx); err != nil {
		return nil, err
	}
	var t *Task
	if e := r.tasks[id]; e != nil {
		t = e.t.Clone()
	}
	r.mu.Unlock()
	if t != nil {
		return t, nil
	}
	st, err := r.store.Task(ctx, id)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, notFound("task", id)
		}
		return nil, &StoreError{Op: "get task", Err: err}
	}
	return st, nil // the store's copy is the caller's
}

// Agent returns a copy of the agent with id, runtime fields included.
func (r *Router) Agent(id string) (*Agent, error) {
	if err := r.rlock(); err != nil {
		return nil, err
	}
	defer r.mu.Unlock()
	a := r.agents[id]
	if a == nil {
		return nil, notFound("agent", id)
	}
	return a.Agent.clone(), nil
}

// AgentTasks returns copies of the tasks an agent holds (offered, connected,
// paused or in after-contact work), in Sequence order.
func (r *Router) AgentTasks(agentID string) ([]*Task, error) {
	if err := r.rlock(); err != nil {
		return nil, err
	}
	defer r.mu.Unlock()
	a := r.agents[agentID]
	if a == nil {
		return nil, notFound("agent", agentID)
	}
	out := make([]*Task, 0, len(a.held))
	for e := range a.held {
		out = append(out, e.t.Clone())
	}
	slices.SortFunc(out, func(x, y *Task) int { return int(x.Sequence) - int(y.Sequence) })
	return out, nil
}

// QueuedTasks returns copies of the tasks waiting in a queue (state QUEUED),
// in the order agents would take them when no delay or criteria apply.
func (r *Router) QueuedTasks(queueID string) ([]*Task, error) {
	if err := r.rlock(); err != nil {
		return nil, err
	}
	defer r.mu.Unlock()
	q := r.queues[queueID]
	if q == nil {
		return nil, notFound("queue", queueID)
	}
	var es []*taskEntry
	for _, l := range q.lanes {
		if l == nil {
			continue
		}
		for _, cl := range l.levels[0].classes {
			cl.tree.Ascend(func(e *taskEntry) bool { es = append(es, e); return true })
		}
	}
	slices.SortFunc(es, func(a, b *taskEntry) int {
		if taskLess(a, b) {
			return -1
		}
		return 1
	})
	out := make([]*Task, len(es))
	for i, e := range es {
		out[i] = e.t.Clone()
	}
	return out, nil
}

// QueueOpen reports whether a queue is inside its hours of operation now
// (always true for a queue without hours).
func (r *Router) QueueOpen(queueID string) (bool, error) {
	if err := r.rlock(); err != nil {
		return false, err
	}
	defer r.mu.Unlock()
	q := r.queues[queueID]
	if q == nil {
		return false, notFound("queue", queueID)
	}
	if q.Hours == nil {
		return true, nil
	}
	return q.Hours.Open(r.clock.Now()), nil
}

// Stats is a point-in-time count of the router's state.
type Stats struct {
	TasksByState   map[TaskState]int
	QueuedByQueue  map[string]int // QUEUED or OFFERED, per standard queue
	AgentsByStatus map[AgentStatus]int
	AgentsBlocked  int
	PendingTimers  int
	Events         uint64 // events emitted so far
}

// Stats returns counts of open tasks by state, waiting tasks by queue and
// agents by status.
func (r *Router) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := Stats{
		TasksByState:   map[TaskState]int{},
		QueuedByQueue:  map[string]int{},
		AgentsByStatus: map[AgentStatus]int{},
		PendingTimers:  r.timers.Len(),
		Events:         r.eventSeq,
	}
	for st, n := range r.openByState {
		if n > 0 {
			s.TasksByState[st] = n
		}
	}
	for id, q := range r.queues {
		s.QueuedByQueue[id] = q.waiting
	}
	for _, a := range r.agents {
		s.AgentsByStatus[a.Status]++
		if a.Blocked != NotBlocked {
			s.AgentsBlocked++
		}
	}
	return s
}
