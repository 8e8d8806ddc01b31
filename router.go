package switchboard

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

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
	store  guardedStore // the host's Store (store.s), its panics contained
	closed bool

	queues   map[string]*queueEntry
	profiles map[string]*profileEntry
	agents   map[string]*agentEntry
	tasks    map[string]*taskEntry // open (non-final) tasks
	// lastTask is the open entry apply changed last, or nil: the next
	// operation usually names that task (close after complete, accept
	// after offer), and open finds it without a lookup in tasks.
	lastTask *taskEntry
	// templates and quickConnects are kept through the optional
	// TemplateStore (template.go).
	templates     map[string]*TaskTemplate
	quickConnects map[string]*QuickConnect
	// openByState counts open tasks by state, for Stats.
	openByState stateCounts
	seq         uint64                // last task Sequence handed out
	tokens      map[string]tokenEntry // ClientToken -> first task, for ClientTokenTTL
	tokenLog    []tokenEntry          // tokens in creation order, for pruning

	timers      deadline.Heap[timerRef]
	retry       deadline.Item[timerRef] // routing retry after a failed write
	armedAt     int64                   // deadline the clock timer is set for; 0 when none
	armedCancel func() bool
	armGen      uint64
	inflight    sync.WaitGroup // clock callbacks armed and not finished

	idx  index        // lanes, levels, classes, ready and skill trees, agent queues (index.go)
	op   op           // the operation under way: its scratch and pending work
	free []*taskEntry // entries to reuse (see newEntry)

	// The event log. eventSeq is the Seq of the last event published
	// (op.staged holds the events of the change being written, published
	// only if the write succeeds); unstored holds published events no change
	// carried (router.error, routing steps), whose Seqs reach the store with
	// the next write or at Close.
	eventSeq uint64
	unstored []Event
	evAgent  *agentEntry // the agent taskEvent found last (DeleteAgent forgets it)
	subs     []*Subscription
	evlog    *eventLog // what Config.Consumers read; nil without consumers
	logger   *slog.Logger

	// pipe is the group-commit pipeline (commit.go), used when the store
	// is a GroupWriter; nil for the direct path, where every change is
	// written under the lock. pending is the ticket of the last change
	// queued: an operation waits for it after releasing the lock, so its
	// caller hears of nothing the store does not hold. With a pipeline,
	// eventSeq is the Seq of the last event queued (published once its
	// group is durable).
	pipe    *pipeline
	pending ticket
	// unflushed holds the last version queued of each task whose change
	// is not yet durable, so that what the router decided is what it reads:
	// a task that finished has left tasks, and until its group is durable
	// the store still holds its previous version (lookup, open, Task and
	// chain read it first).
	unflushed    map[string]*Task
	test         routerTestHooks // set by tests only
	reloadCancel func()          // stops a reload retry (recover.go); nil when none
	reloadedAt   time.Time       // when the router last reloaded after a failed group
}

// op is the state of the one operation that holds the router's lock: the
// scratch its changes are built in and the routing work it leaves for unlock.
// Everything in it is empty between operations (unlock checks), so an
// operation never sees another's leftovers; the buffers keep their capacity,
// so operations allocate nothing.
type op struct {
	dirtyTasks  []*taskEntry  // tasks that may now be routable (settle)
	dirtyAgents []*agentEntry // agents that may now take work (settle)
	cands       []*agentEntry // findAgent's candidates
	fallback    []*agentEntry // findAgent's candidates that turned the task down
	change      Change        // the change being written (write)
	scratch     Task          // the task change being built (edit)
	edited      *taskEntry    // the entry scratch was copied from
	handles     []memHandle   // the store's handles of the tasks write wrote last
	finished    []*taskEntry  // entries of tasks that ended in this operation
	flowStarts  []flowStart   // tasks that entered IN_FLOW, for Config.Flows after unlock
	sigBuf      []byte        // scratch for class keys
	agentBuf    Agent         // scratch for agent changes (agentEdit)
	agentEdited *agentEntry   // the entry agentBuf was copied from
	staged      []Event       // events of the change being written
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
	for i, cons := range c.Consumers {
		if cons == nil {
			return nil, invalid(fmt.Sprintf("Config.Consumers[%d]", i), "", "must not be nil")
		}
	}
	r := &Router{cfg: c, clock: c.Clock, store: guardedStore{store, c.Logger}, logger: c.Logger}
	r.emptyState()
	snap, err := r.loadContained(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.loadTemplates(ctx); err != nil {
		return nil, err
	}
	r.mu.Lock()
	if err := r.rebuild(snap); err != nil {
		r.mu.Unlock()
		return nil, err
	}
	// Consumers start after a successful load, so that a failed NewRouter
	// leaves no goroutine behind, and before the first event of the rebuild.
	r.evlog = newEventLog(c.Consumers, r.logger)
	r.startPipeline()
	// The rebuild's own routing is bounded by ctx: what a done ctx stops is
	// reported as router.error and retried, like any refused own work.
	r.fireDue(ctx)
	r.settle(ctx)
	r.arm()
	r.op.flowStarts = r.op.flowStarts[:0] // FlowRunner.Bind picks up every IN_FLOW task
	tk := r.pending
	r.mu.Unlock()
	if r.pipe != nil && tk.g != nil {
		// The rebuild's own work is published before NewRouter returns, as
		// on the direct path; a failed group was reloaded from the store.
		_ = tk.wait(ctx)
	}
	return r, nil
}

// startPipeline puts the router on the group-commit path when its store is a
// GroupWriter (docs/durability.md). It runs before the rebuild, so that the
// rebuild's own routing is queued like any later change.
func (r *Router) startPipeline() {
	gw, ok := r.store.s.(GroupWriter)
	if !ok {
		return
	}
	timeout := r.cfg.StoreTimeout
	r.pipe = newPipeline(gw, func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.Background(), timeout)
	}, r.durable, r.reload)
}

// rebuild loads a snapshot into empty indexes.
func (r *Router) rebuild(snap *Snapshot) error {
	if err := checkSnapshot(snap); err != nil {
		return &StoreError{Op: "load", Err: err}
	}
	now := r.clock.Now()
	r.seq = snap.LastSequence
	r.eventSeq = snap.LastEventSeq
	for _, q := range snap.Queues {
		r.queues[q.ID] = &queueEntry{Queue: *q}
	}
	for _, p := range snap.Profiles {
		r.installProfile(p, now)
	}
	for _, a := range snap.Agents {
		if r.cfg.statuses.typeOf(a.Status) == "" {
			r.logger.Warn("switchboard: agent has a status that is not configured; it gets no work until set to one that is",
				"agent", a.ID, "status", string(a.Status))
		}
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
		r.idx.indexAgent(a)
		r.markAgent(a)
	}
	return nil
}

// checkSnapshot refuses a snapshot a buggy store returned: nil records,
// records without an ID, the same ID twice. The router would otherwise crash
// or index two tasks under one ID.
func checkSnapshot(snap *Snapshot) error {
	seen := map[string]bool{}
	check := func(kind string, i int, isNil bool, id func() string) error {
		if isNil {
			return fmt.Errorf("snapshot holds a nil %s at index %d", kind, i)
		}
		k := kind + "\x00" + id()
		if id() == "" {
			return fmt.Errorf("snapshot holds a %s without an ID at index %d", kind, i)
		}
		if seen[k] {
			return fmt.Errorf("snapshot holds %s %q twice", kind, shorten(id()))
		}
		seen[k] = true
		return nil
	}
	for i, q := range snap.Queues {
		if err := check("queue", i, q == nil, func() string { return q.ID }); err != nil {
			return err
		}
	}
	for i, p := range snap.Profiles {
		if err := check("routing profile", i, p == nil, func() string { return p.ID }); err != nil {
			return err
		}
	}
	for i, a := range snap.Agents {
		if err := check("agent", i, a == nil, func() string { return a.ID }); err != nil {
			return err
		}
	}
	for i, t := range snap.OpenTasks {
		if err := check("task", i, t == nil, func() string { return t.ID }); err != nil {
			return err
		}
	}
	return nil
}

// Close stops the router: its timers stop, every subscription ends, and
// methods called afterwards return ErrClosed. It waits for a timer callback
// in progress to finish, then for every Consumer to take every event, until
// ctx ends; no goroutine of the router outlives a Close that returned nil.
// The Seq of events no change carried is written to the store, so a router
// started over it continues the event log without reusing a Seq.
//
// Before it closes, Close lets the consumers catch up while the router still
// accepts calls (see WaitConsumers), so that what they do in reaction to
// the last events — a RuleEngine's follow-up task — is not refused with
// ErrClosed; it repeats this while that reaction publishes new events, a few
// rounds at most, and for at most CloseDrainTimeout (or until ctx ends): a
// consumer that is stuck, or that waits for the router to close, delays
// Close by that much and no more. A Consumer must not call Close: it would
// wait for itself.
//
// On a group-commit store, Close then waits for the groups already queued
// to be written: that wait is bounded by Config.StoreTimeout per group, not
// by ctx, so that an operation acknowledged before Close is never cut off
// mid-write.
//
// Close reports what it could not finish: consumers still holding events
// when ctx ended (their goroutines then finish on their own), or a refused
// final write. Close is idempotent; a second Close waits again for what the
// first left unfinished.
func (r *Router) Close(ctx context.Context) error {
	r.drainConsumers(ctx)
	r.mu.Lock()
	first := !r.closed
	var errs []error
	if first {
		r.closed = true
		r.disarm()
		if r.reloadCancel != nil {
			r.reloadCancel()
			r.reloadCancel = nil
		}
		if len(r.unstored) > 0 {
			// Bounded by StoreTimeout, not by ctx, which the consumers'
			// catching up may have used up: a router started over the
			// store must not reuse these Seqs.
			wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.StoreTimeout)
			c := &Change{Events: r.unstored}
			err := r.store.Write(wctx, c)
			cancel()
			if err != nil {
				errs = append(errs, &StoreError{Op: "close: store last event Seq", Err: err})
			}
			clear(r.unstored)
			r.unstored = r.unstored[:0]
		}
	}
	r.mu.Unlock()
	if r.pipe != nil {
		// Write what is queued; the flusher publishes it (it needs the
		// lock), so subscribers and consumers get the last events. Every
		// Close waits for it, not only the first: a second Close that went
		// on while the first waits here would end the event log before the
		// flusher published the last group. The wait is bounded by
		// Config.StoreTimeout per group, not by ctx.
		r.pipe.close()
	}
	r.mu.Lock()
	subs := r.subs
	r.subs = nil
	evlog := r.evlog
	r.mu.Unlock()
	for _, s := range subs {
		s.end(ErrClosed)
	}
	r.inflight.Wait()
	evlog.close()
	for _, f := range evlog.readers() {
		if err := f.wait(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
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
// lock, whatever happens on the way. The offers settling makes are the
// router's own follow-up work, written under the caller's ctx: a call's ctx
// bounds all the work the call causes, so a store that blocks until ctx ends
// cannot hold the router past the caller's deadline. A follow-up the ctx
// stops (or the store refuses) is reported as router.error and retried after
// Config.RetryInterval, so routing is never left half-done.
//
// On the group-commit path, unlock then waits, without the lock, until the
// store holds every change the operation decided or read (its group and
// those before it, r.pending), and sets *errp to the error of a group that
// failed or to ctx's error; errp is nil for work no caller waits for. An
// operation that already failed does not wait.
func (r *Router) unlock(ctx context.Context, errp *error) {
	defer r.finishOp(ctx, errp)
	// Events are staged just before the write that carries them; a write
	// that panicked must not leak them into the next one.
	r.dropStaged()
	if len(r.op.dirtyTasks)+len(r.op.dirtyAgents) > 0 {
		r.settle(ctx)
	}
	r.arm()
	r.recycle()
	r.takeHandles()
	if r.cfg.Test.CheckInvariants {
		if err := r.checkInvariants(); err != nil {
			panic(err)
		}
		if left := r.op.leftover(); left != "" {
			panic("switchboard: internal error: an operation left " + left)
		}
	}
}

// finishOp releases the lock at the end of an operation, waits for the
// operation's group on the group-commit path (see unlock), and then starts
// the flows of tasks that entered IN_FLOW (Config.Flows), unless their group
// failed: then they are gone from the rebuilt router.
func (r *Router) finishOp(ctx context.Context, errp *error) {
	tk := r.pending
	starts := r.takeFlowStarts()
	r.mu.Unlock()
	if r.pipe != nil && tk.g != nil && errp != nil && *errp == nil {
		if err := tk.wait(ctx); err != nil {
			*errp = err
			var se *StoreError
			if errors.As(err, &se) {
				return
			}
		}
	}
	r.startFlows(starts)
}

// leftover names what an operation left in o, or "" when it is empty as
// every operation must leave it.
func (o *op) leftover() string {
	switch {
	case len(o.dirtyTasks) > 0 || len(o.dirtyAgents) > 0:
		return "routing work unsettled"
	case len(o.staged) > 0:
		return "events staged"
	case len(o.finished) > 0:
		return "finished entries not recycled"
	case len(o.change.Tasks)+len(o.change.Agents)+len(o.change.Queues)+len(o.change.Profiles) > 0:
		return "a change not reset"
	}
	return ""
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
	for i, e := range r.op.finished {
		r.op.finished[i] = nil
		if len(r.free) < maxFreeEntries {
			*e = taskEntry{}
			r.free = append(r.free, e)
		}
	}
	r.op.finished = r.op.finished[:0]
}

// ---- store writes and events ----

// write stores one atomic change built from tasks and agents. The change
// carries the MemoryStore handle of the task edit copied (see memHandle);
// after a successful write, the entry keeps the handle the store returns,
// and r.op.handles[i] holds that of tasks[i] for new tasks' entries.
func (r *Router) write(ctx context.Context, op string, tasks []*Task, agents ...*Agent) error {
	c := &r.op.change
	c.reset()
	c.Tasks = append(c.Tasks, tasks...)
	c.Agents = append(c.Agents, agents...)
	for _, t := range tasks {
		var h memHandle
		if t == &r.op.scratch && r.op.edited != nil {
			h = r.op.edited.stored
		}
		c.handles = append(c.handles, h)
	}
	for _, a := range agents {
		var h memAgentHandle
		if a == &r.op.agentBuf && r.op.agentEdited != nil {
			h = r.op.agentEdited.stored
		}
		c.agentHandles = append(c.agentHandles, h)
	}
	err := r.writeChange(ctx, op, c)
	clear(r.op.handles)
	r.op.handles = r.op.handles[:0]
	if err == nil {
		r.op.handles = append(r.op.handles, c.handles...)
		for i, t := range tasks {
			if t == &r.op.scratch && r.op.edited != nil {
				r.op.edited.stored = c.handles[i]
			}
		}
		for i, a := range agents {
			if a == &r.op.agentBuf && r.op.agentEdited != nil {
				r.op.agentEdited.stored = c.agentHandles[i]
			}
		}
	}
	c.reset()
	return err
}

// takeHandles clears the handles write left in r.op.
func (r *Router) takeHandles() {
	clear(r.op.handles)
	r.op.handles = r.op.handles[:0]
	r.op.edited = nil
	r.op.agentEdited = nil
}

// agentEdit returns the router's scratch agent holding a's current value:
// the start of a change of a's record written with a task change (one at a
// time, like edit).
func (r *Router) agentEdit(a *agentEntry) *Agent {
	r.op.agentBuf = a.Agent
	r.op.agentEdited = a
	return &r.op.agentBuf
}

// writeChange stores c together with the staged events, wrapping a refusal
// in a *StoreError naming op, and publishes the events once the store has
// them. Every store write of the router goes through here.
func (r *Router) writeChange(ctx context.Context, op string, c *Change) error {
	c.Events = r.op.staged
	if r.pipe != nil {
		return r.queueChange(op, c)
	}
	err := r.store.Write(ctx, c)
	c.Events = nil
	if err != nil {
		r.dropStaged()
		return &StoreError{Op: op, Err: err}
	}
	clear(r.unstored) // this write's Seqs cover theirs
	r.unstored = r.unstored[:0]
	r.publish(r.op.staged)
	r.dropStaged()
	return nil
}

// chain returns the tasks whose InitialTaskID is initialID, in Sequence
// order: the store's, with the versions of changes not yet durable in their
// place (and the tasks created by them, which the store does not hold yet).
func (r *Router) chain(ctx context.Context, initialID string) ([]*Task, error) {
	ts, err := r.store.Chain(ctx, initialID)
	if err != nil || len(r.unflushed) == 0 {
		return ts, err
	}
	for _, u := range r.unflushed {
		if u.InitialTaskID != initialID {
			continue
		}
		if i := slices.IndexFunc(ts, func(t *Task) bool { return t.ID == u.ID }); i >= 0 {
			ts[i] = u
		} else {
			ts = append(ts, u)
		}
	}
	slices.SortFunc(ts, func(a, b *Task) int { return cmp.Compare(a.Sequence, b.Sequence) })
	return ts, nil
}

// queueChange is writeChange on the group-commit path: c, with its staged
// events, joins the open group; the operation's caller waits for that group
// in unlock, and the events are published once it is durable (durable).
func (r *Router) queueChange(op string, c *Change) error {
	tk, cp, err := r.pipe.enqueue(c)
	c.Events = nil
	if err != nil {
		r.dropStaged()
		return &StoreError{Op: op, Err: err}
	}
	r.pending = tk
	for _, t := range cp.Tasks {
		if t != nil {
			r.unflushed[t.ID] = t
		}
	}
	if n := len(r.op.staged); n > 0 {
		r.eventSeq = r.op.staged[n-1].Seq
	}
	r.dropStaged()
	return nil
}

// durable is the pipeline's callback for a group the store now holds: its
// events are published, in order.
func (r *Router) durable(cs []*Change) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range cs {
		r.publish(c.Events)
		for _, t := range c.Tasks {
			if t != nil && r.unflushed[t.ID] == t {
				delete(r.unflushed, t.ID)
			}
		}
	}
}

func (r *Router) dropStaged() {
	clear(r.op.staged)
	r.op.staged = r.op.staged[:0]
}

func (r *Router) write1(ctx context.Context, op string, t *Task, agents ...*Agent) error {
	var buf [1]*Task
	buf[0] = t
	return r.write(ctx, op, buf[:], agents...)
}

// stage numbers an event of the change about to be written; writeChange
// publishes it if the write succeeds.
func (r *Router) stage(e Event) {
	e.Seq = r.eventSeq + uint64(len(r.op.staged)) + 1
	if e.Time.IsZero() {
		e.Time = r.clock.Now()
	}
	r.op.staged = append(r.op.staged, e)
}

// stageTask stages an event about task t, whose state before the change was
// prev, as the change leaves it.
func (r *Router) stageTask(typ EventType, prev TaskState, t *Task, now time.Time) {
	r.stage(r.taskEvent(typ, prev, t, now))
}

// taskEvent describes task t after an event of type typ.
func (r *Router) taskEvent(typ EventType, prev TaskState, t *Task, now time.Time) Event {
	e := Event{
		Type: typ, Time: now, TaskID: t.ID, AgentID: t.AgentID, QueueID: t.QueueID,
		Channel: t.Channel, InitiationMethod: t.InitiationMethod, Priority: t.EffectivePriority,
		PreviousState: prev, State: t.State, Version: t.Version, OfferExpiresAt: t.OfferExpiresAt,
		ScheduledAt: t.ScheduledAt, ExpiresAt: t.ExpiresAt, InitialTaskID: t.InitialTaskID, DisconnectReason: t.DisconnectReason,
	}
	if e.AgentID == "" {
		e.AgentID = t.TargetAgentID
	}
	if e.AgentID != "" {
		// One agent is usually named by every event of an operation and
		// of the next: remember the last one found.
		a := r.evAgent
		if a == nil || a.ID != e.AgentID {
			if ed := r.op.edited; ed != nil && ed.holder != nil && ed.holder.ID == e.AgentID {
				a = ed.holder // the agent holding the task being changed
			} else {
				a = r.agents[e.AgentID]
			}
			r.evAgent = a
		}
		if a != nil {
			e.RoutingProfileID = a.RoutingProfileID
		}
	}
	return e
}

// emit publishes an event that no store write carries (a routing step, a
// router.error). Its Seq reaches the store with the next write's, or at
// Close.
func (r *Router) emit(e Event) {
	e.Seq = r.eventSeq + 1
	if e.Time.IsZero() {
		e.Time = r.clock.Now()
	}
	if r.pipe != nil {
		// Queued behind the changes before it, so that it is published in
		// Seq order, and stored like them. If the pipeline refuses it (a
		// group failed and the router is about to rebuild), it is dropped
		// unpublished: the rebuilt log continues from the store's Seq.
		tk, _, err := r.pipe.enqueue(&Change{Events: []Event{e}})
		if err == nil {
			r.pending = tk
			r.eventSeq = e.Seq
		}
		return
	}
	if len(r.unstored) == maxUnstored {
		// Only the highest Seq matters to the store; keep the newest.
		copy(r.unstored, r.unstored[1:])
		r.unstored = r.unstored[:maxUnstored-1]
	}
	r.unstored = append(r.unstored, e)
	r.publish(r.unstored[len(r.unstored)-1:])
}

// maxUnstored bounds the events kept for Close to write when no change
// carried them (a store that keeps failing produces one per retry).
const maxUnstored = 64

// publish gives numbered events, in Seq order, to every subscription and
// consumer. It does a constant amount of work per event and receiver and
// never waits on one.
func (r *Router) publish(es []Event) {
	if len(es) == 0 {
		return
	}
	// (With a pipeline, eventSeq is already past them.)
	r.eventSeq = max(r.eventSeq, es[len(es)-1].Seq)
	r.evlog.push(es)
	if len(r.subs) == 0 {
		return
	}
	ended := false
	for _, s := range r.subs {
		for i := range es {
			if !s.publish(&es[i]) {
				ended = true
				break
			}
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

// failed reports work the router started on its own that the store refused.
func (r *Router) failed(op, taskID string, err error) {
	err = fmt.Errorf("switchboard: %s: %w", op, err)
	r.logger.Warn("switchboard: store refused the router's own work; retrying", "op", op, "task", taskID, "err", err)
	r.emit(Event{Type: EventError, TaskID: taskID, Err: err})
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
			r.idx.hold(a, e, false)
			r.markAgent(a)
		}
	}
	if !fresh && isWaiting(old) && old.QueueID != "" {
		r.queues[old.QueueID].waiting--
	}
	expiryMoved := fresh || !old.ExpiresAt.Equal(nt.ExpiresAt)
	if !fresh {
		r.openByState.add(old.State, -1)
	}
	if !nt.State.Final() {
		r.openByState.add(nt.State, 1)
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
		r.idx.hold(r.agents[nt.AgentID], e, true)
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
		r.op.finished = append(r.op.finished, e)
		if r.lastTask == e {
			r.lastTask = nil
		}
		return
	}
	r.lastTask = e
	if expiryMoved || !e.timers[timerExpiry].Scheduled() {
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
	r.op.scratch = *e.t
	r.op.scratch.Version++
	r.op.edited = e
	return &r.op.scratch
}

// next returns a new copy of t with Version incremented, for changes that
// need several tasks at once.
func next(t *Task) *Task {
	c := *t
	c.Version++
	return &c
}

// setAgent makes *na the value of agent a, moving a between the ready-agent
// indexes as the change requires: every change of an agent's record goes
// through here. The caller marks a for routing when the change can free it
// for work.
func (r *Router) setAgent(a *agentEntry, na *Agent) { r.idx.setAgent(a, na, a.profile) }

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
	na := r.agentEdit(a)
	na.LastActivity = now
	ev := r.taskEvent(EventTaskOffered, e.t.State, nt, now)
	if auto {
		// The offer and the connection are one change: the offered event
		// shows the offer as it would have been.
		ev.State, ev.OfferExpiresAt = StateOffered, time.Time{}
		r.stage(ev)
		r.stageTask(EventTaskAccepted, StateOffered, nt, now)
	} else {
		r.stage(ev)
	}
	if err := r.write1(ctx, "offer", nt, na); err != nil {
		return err
	}
	r.setAgent(a, na)
	r.apply(e, nt, now)
	return nil
}

// routerTestHooks are the seams tests set on a router before using it.
type routerTestHooks struct {
	beforeRegister func()        // runs just before arm registers its timer
	drainTimeout   time.Duration // replaces CloseDrainTimeout when set
}
