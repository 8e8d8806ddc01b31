package switchboard

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

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
	taskNodes   *btree.FreeListG[taskKey]
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
func (r *Router) Close(ctx context.Context) error {
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
	err := r.writeChange(ctx, op, c)
	c.reset()
	return err
}

// writeChange stores c, wrapping a refusal in a *StoreError naming op. Every
// store write of the router goes through here.
func (r *Router) writeChange(ctx context.Context, op string, c *Change) error {
	if err := r.store.Write(ctx, c); err != nil {
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
	t.RejectedAt = slices.Clone(t.RejectedAt)
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
