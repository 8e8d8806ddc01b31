package switchboard

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// This file holds the task operations of the Router: create, accept, reject,
// complete, after-contact work, pause, resume, transfer, stop, updates and
// reschedule, plus the timer-driven transitions they share.

// CreateTask validates in, stores a new task and routes it: to the queue or
// agent queue at once, or at ScheduledAt. The task returned is as routing
// left it: OFFERED to an agent that was free, QUEUED otherwise (SCHEDULED,
// IN_FLOW). With a ClientToken seen within
// Config.ClientTokenTTL it returns the first task instead of a new one.
// Invalid input returns a *ValidationError and stores nothing.
func (r *Router) CreateTask(ctx context.Context, in TaskInput) (res *Task, err error) {
	if err := r.lock(ctx); err != nil {
		return nil, err
	}
	defer clearOnError(&res, &err) // runs after unlock, which may set err
	defer r.unlock(ctx, &err)
	now := r.clock.Now()
	if in.ClientToken != "" && len(in.ClientToken) <= 500 && utf8.ValidString(in.ClientToken) && !strings.Contains(in.ClientToken, "\x00") {
		// A retry returns the first task even if time has made its input
		// stale (a ScheduledAt now in the past). A token the validation
		// below refuses is never looked up: a durable store could not even
		// be asked for it.
		if t, err := r.taskForToken(ctx, in.ClientToken, now); t != nil || err != nil {
			return t, err
		}
	}
	if in.TemplateID != "" {
		if err := r.applyTemplate(&in); err != nil {
			return nil, err
		}
	}
	if err := validateInput(&in, now, &r.cfg); err != nil {
		return nil, err
	}
	if err := r.checkFlow(in.FlowID); err != nil {
		return nil, err
	}
	t := &Task{
		Name:                in.Name,
		Description:         in.Description,
		Channel:             in.Channel,
		Attributes:          maps.Clone(in.Attributes),
		References:          maps.Clone(in.References),
		QueueID:             in.QueueID,
		TargetAgentID:       in.AgentID,
		FlowID:              in.FlowID,
		Priority:            in.Priority,
		QueueTimeAdjustment: in.QueueTimeAdjustment,
		RoutingCriteria:     in.RoutingCriteria.Clone(),
		PreviousTaskID:      in.PreviousTaskID,
		RelatedTaskID:       in.RelatedTaskID,
		InitiationMethod:    in.InitiationMethod,
		TemplateID:          in.TemplateID,
		CreatedBy:           in.CreatedBy,
		ClientToken:         in.ClientToken,
		InitiatedAt:         now,
		ExpiresAt:           expiryOf(&in, now, &r.cfg),
	}
	if t.Channel == "" {
		t.Channel = ChannelTask
	}
	if t.Priority == 0 {
		t.Priority = DefaultPriority
	}
	t.EffectivePriority = t.Priority
	if t.InitiationMethod == "" {
		t.InitiationMethod = InitiatedByAPI
	}
	scheduled := !in.ScheduledAt.IsZero() && in.ScheduledAt.After(now)
	if t.FlowID == "" || t.QueueID != "" || t.TargetAgentID != "" {
		// A flow's working queue is checked, not filled: the flow enqueues.
		if err := r.checkTarget(t.QueueID, t.TargetAgentID, !scheduled && t.FlowID == "", "", ""); err != nil {
			return nil, err
		}
	}
	if err := r.link(ctx, t); err != nil {
		return nil, err
	}
	t.Sequence = r.seq + 1
	id, err := r.newTaskID()
	if err != nil {
		return nil, err
	}
	t.ID = id
	if t.InitialTaskID == "" {
		t.InitialTaskID = t.ID
	}
	t.Version = 1
	switch {
	case scheduled:
		t.State = StateScheduled
		t.ScheduledAt = in.ScheduledAt
	case t.FlowID != "":
		t.State = StateInFlow
	default:
		t.State = StateQueued
		t.EnqueuedAt = now
		t.CriteriaActivatedAt = now
	}
	r.stageTask(EventTaskCreated, "", t, now)
	switch t.State {
	case StateScheduled:
		r.stageTask(EventTaskScheduled, "", t, now)
	case StateInFlow:
		r.stageFlowStarted("", t, now)
	default:
		r.stageTask(EventTaskQueued, "", t, now)
	}
	if err := r.write1(ctx, "create task", t); err != nil {
		return nil, r.explainNewIDConflict(t.ID, err)
	}
	r.seq = t.Sequence
	e := r.newEntry(t.Channel)
	e.stored = r.op.handles[0]
	r.tasks[t.ID] = e
	r.apply(e, t, now)
	if t.ClientToken != "" {
		r.rememberToken(t)
	}
	r.startFlow(e.t)
	return r.routed(ctx, e, t), nil
}

// routed routes what the operation made routable now rather than in unlock,
// and returns e's task as that left it, in t (a record the router no longer
// references): the caller of CreateTask or Transfer sees the task OFFERED to
// the agent it went to, as its events say, not the QUEUED version written
// before the offer.
func (r *Router) routed(ctx context.Context, e *taskEntry, t *Task) *Task {
	r.settle(ctx)
	*t = *e.t
	return userCopy(t)
}

// newTaskID asks Config.NewID for the ID of a new task and refuses one that
// cannot be right: empty, not valid UTF-8, too long, or the ID of an open task.
func (r *Router) newTaskID() (string, error) {
	id := r.cfg.NewID()
	switch {
	case id == "" || len(id) > MaxIDLen || !utf8.ValidString(id) || strings.IndexByte(id, 0) >= 0:
		return "", fmt.Errorf("switchboard: Config.NewID returned %q: want 1..%d bytes of UTF-8 without NUL", shorten(id), MaxIDLen)
	case r.tasks[id] != nil:
		return "", fmt.Errorf("switchboard: Config.NewID returned %q, the ID of an open task: IDs must be unique", shorten(id))
	}
	return id, nil
}

// explainNewIDConflict says what a version conflict on a new task means: the
// store already holds a task with the ID Config.NewID returned.
func (r *Router) explainNewIDConflict(id string, err error) error {
	if errors.Is(err, ErrConflict) {
		return fmt.Errorf("switchboard: Config.NewID returned %q, an ID the store already holds (IDs must be unique): %w", shorten(id), err)
	}
	return err
}

// DefaultPriority is a task's priority when none is given. Lower routes first.
const DefaultPriority = 5

// checkTarget verifies that a queue or agent queue can take a task now:
// it exists, is enabled, and (when checkCapacity) has room.
func (r *Router) checkTarget(queueID, agentID string, checkCapacity bool, queueField, agentField string) error {
	if queueField == "" {
		queueField, agentField = "QueueID", "AgentID"
	}
	if queueID != "" {
		q := r.queues[queueID]
		if q == nil {
			return fmt.Errorf("%s: %w", queueField, notFound("queue", queueID))
		}
		if q.Disabled {
			return fmt.Errorf("%s: %w: %q", queueField, ErrQueueDisabled, queueID)
		}
		if checkCapacity && q.MaxContacts > 0 && q.waiting >= q.MaxContacts {
			return fmt.Errorf("%s: %w: %q holds %d of MaxContacts %d", queueField, ErrQueueAtCapacity, queueID, q.waiting, q.MaxContacts)
		}
		return nil
	}
	a := r.agents[agentID]
	if a == nil {
		return fmt.Errorf("%s: %w", agentField, notFound("agent", agentID))
	}
	if checkCapacity && a.queued >= r.cfg.AgentQueueCapacity {
		return fmt.Errorf("%s: %w: agent queue of %q holds %d of %d", agentField, ErrQueueAtCapacity, agentID, a.queued, r.cfg.AgentQueueCapacity)
	}
	return nil
}

// link resolves PreviousTaskID (chain, limit) and RelatedTaskID (copied
// attributes) for a new task.
func (r *Router) link(ctx context.Context, t *Task) error {
	switch {
	case t.PreviousTaskID != "":
		prev, err := r.lookup(ctx, t.PreviousTaskID, "PreviousTaskID")
		if err != nil {
			return err
		}
		chain, err := r.chain(ctx, prev.InitialTaskID)
		if err != nil {
			return &StoreError{Op: "chain", Err: err}
		}
		if len(chain) >= MaxChainLength {
			return &LimitError{What: fmt.Sprintf("tasks linked in the chain of %q", prev.InitialTaskID), Limit: MaxChainLength}
		}
		t.InitialTaskID = prev.InitialTaskID
	case t.RelatedTaskID != "":
		rel, err := r.lookup(ctx, t.RelatedTaskID, "RelatedTaskID")
		if err != nil {
			return err
		}
		if len(rel.Attributes) > 0 {
			merged := maps.Clone(rel.Attributes)
			maps.Copy(merged, t.Attributes)
			if err := validateAttributes("Attributes (with those copied from RelatedTaskID)", merged); err != nil {
				return err
			}
			t.Attributes = merged
		}
	}
	return nil
}

// lookup finds a task in memory or in the store.
func (r *Router) lookup(ctx context.Context, id, field string) (*Task, error) {
	if e := r.tasks[id]; e != nil {
		return e.t, nil
	}
	if t := r.unflushed[id]; t != nil {
		return t, nil
	}
	t, err := r.store.Task(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("%s: %w", field, notFound("task", id))
	}
	if err != nil {
		return nil, &StoreError{Op: "get task", Err: err}
	}
	return t, nil
}

func (r *Router) rememberToken(t *Task) {
	if _, ok := r.tokens[t.ClientToken]; ok {
		return
	}
	te := tokenEntry{token: t.ClientToken, taskID: t.ID, created: t.InitiatedAt}
	r.tokens[t.ClientToken] = te
	r.tokenLog = append(r.tokenLog, te)
}

// taskForToken returns the task first created with token within the TTL.
func (r *Router) taskForToken(ctx context.Context, token string, now time.Time) (*Task, error) {
	cutoff := now.Add(-r.cfg.ClientTokenTTL)
	n := 0
	for n < len(r.tokenLog) && !r.tokenLog[n].created.After(cutoff) {
		if cur, ok := r.tokens[r.tokenLog[n].token]; ok && cur.taskID == r.tokenLog[n].taskID {
			delete(r.tokens, r.tokenLog[n].token)
		}
		n++
	}
	if n > 0 {
		r.tokenLog = slices.Delete(r.tokenLog, 0, n)
	}
	if te, ok := r.tokens[token]; ok {
		t, err := r.lookup(ctx, te.taskID, "ClientToken")
		if err != nil {
			return nil, err
		}
		return t.Clone(), nil
	}
	t, err := r.store.TaskByClientToken(ctx, token)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, &StoreError{Op: "get task by client token", Err: err}
	}
	if !t.InitiatedAt.After(cutoff) {
		return nil, nil
	}
	return t.Clone(), nil
}

// open returns the open task with id or an error.
func (r *Router) open(ctx context.Context, op, id string) (*taskEntry, error) {
	if e := r.lastTask; e != nil && e.t.ID == id {
		return e, nil
	}
	e := r.tasks[id]
	if e != nil {
		return e, nil
	}
	t := r.unflushed[id] // finished, its change not yet durable
	var err error
	if t == nil {
		t, err = r.store.Task(ctx, id)
	}
	if errors.Is(err, ErrNotFound) {
		return nil, notFound("task", id)
	}
	if err != nil {
		return nil, &StoreError{Op: "get task", Err: err}
	}
	return nil, &StateError{Op: op, TaskID: id, State: string(t.State), Want: "an open task"}
}

// offeredTo returns the task with id if it is offered to agentID.
func (r *Router) offeredTo(ctx context.Context, op, id, agentID string) (*taskEntry, error) {
	e, err := r.open(ctx, op, id)
	if err != nil {
		return nil, err
	}
	if e.t.State != StateOffered || e.t.AgentID != agentID {
		held := string(e.t.State)
		if e.t.AgentID != "" {
			held += " to agent " + e.t.AgentID
		}
		return nil, &StateError{Op: op, TaskID: id, State: held, Want: "OFFERED to agent " + agentID}
	}
	return e, nil
}

// Accept connects an offered task to the agent it was offered to.
func (r *Router) Accept(ctx context.Context, taskID, agentID string) (err error) {
	if err := r.lock(ctx); err != nil {
		return err
	}
	defer r.unlock(ctx, &err)
	e, err := r.offeredTo(ctx, "Accept", taskID, agentID)
	if err != nil {
		return err
	}
	now := r.clock.Now()
	nt := r.edit(e)
	nt.State = StateConnected
	nt.ConnectedAt = now
	nt.OfferExpiresAt = time.Time{}
	r.stageTask(EventTaskAccepted, e.t.State, nt, now)
	if err := r.write1(ctx, "accept", nt); err != nil {
		return err
	}
	r.apply(e, nt, now)
	return nil
}

// Reject declines an offer. The task goes back to its place in line and is
// not offered to this agent again while another agent can take it; the agent
// is blocked until ClearAgent unless Config.MissedPolicy is StayAvailable.
func (r *Router) Reject(ctx context.Context, taskID, agentID string) (err error) {
	if err := r.lock(ctx); err != nil {
		return err
	}
	defer r.unlock(ctx, &err)
	e, err := r.offeredTo(ctx, "Reject", taskID, agentID)
	if err != nil {
		return err
	}
	return r.missOrReject(ctx, e, BlockedRejected, r.clock.Now())
}

// missOrReject returns an offered task to its queue after a reject or an
// offer timeout.
func (r *Router) missOrReject(ctx context.Context, e *taskEntry, why BlockReason, now time.Time) error {
	a := e.holder
	nt := r.edit(e)
	nt.State = StateQueued
	nt.AgentID = ""
	nt.OfferExpiresAt = time.Time{}
	rejectedAt(nt, a.ID, now)
	nt.EffectivePriority = r.effectiveAt(nt, now)
	na := r.agentEdit(a)
	na.LastActivity = now
	if r.cfg.MissedPolicy == BlockUntilCleared {
		na.Blocked, na.BlockedTaskID = why, nt.ID
	}
	typ := EventTaskRejected
	if why == BlockedMissed {
		typ = EventTaskMissed
	}
	ev := r.taskEvent(typ, e.t.State, nt, now)
	ev.AgentID, ev.RoutingProfileID = a.ID, a.RoutingProfileID
	r.stage(ev)
	if err := r.write1(ctx, "return offer", nt, na); err != nil {
		return err
	}
	r.apply(e, nt, now)
	r.setAgent(a, na)
	r.markAgent(a)
	return nil
}

// Complete ends the agent's work on a connected or paused task and starts
// after-contact work, which ends by CloseAfterContactWork or the agent's
// AfterContactWorkLimit for the channel. The slot stays taken until then.
func (r *Router) Complete(ctx context.Context, taskID string) (err error) {
	if err := r.lock(ctx); err != nil {
		return err
	}
	defer r.unlock(ctx, &err)
	e, err := r.open(ctx, "Complete", taskID)
	if err != nil {
		return err
	}
	if err := checkTransition("Complete", e.t, StateAfterContactWork); err != nil {
		return err
	}
	now := r.clock.Now()
	nt := r.toACW(e, DisconnectAgentCompleted, now)
	r.stageTask(EventTaskAfterContactWork, e.t.State, nt, now)
	if err := r.write1(ctx, "complete", nt); err != nil {
		return err
	}
	r.apply(e, nt, now)
	return nil
}

// toACW builds the after-contact-work value of a connected or paused task.
func (r *Router) toACW(e *taskEntry, reason DisconnectReason, now time.Time) *Task {
	nt := r.edit(e)
	if nt.State == StatePaused {
		nt.PausedTotal += now.Sub(nt.LastPausedAt)
	}
	nt.State = StateAfterContactWork
	nt.DisconnectReason = reason
	nt.DisconnectedAt = now
	nt.AfterContactWorkAt = now
	nt.AfterContactWorkEnd = time.Time{}
	if a := e.holder; a != nil {
		if limit := a.AfterContactWorkLimit[nt.Channel]; limit > 0 {
			nt.AfterContactWorkEnd = now.Add(limit)
		}
	}
	return nt
}

// CloseAfterContactWork ends after-contact work: the task is COMPLETED and the
// agent's slot frees.
func (r *Router) CloseAfterContactWork(ctx context.Context, taskID string) (err error) {
	if err := r.lock(ctx); err != nil {
		return err
	}
	defer r.unlock(ctx, &err)
	e, err := r.open(ctx, "CloseAfterContactWork", taskID)
	if err != nil {
		return err
	}
	if e.t.State != StateAfterContactWork {
		return &StateError{Op: "CloseAfterContactWork", TaskID: taskID, State: string(e.t.State), Want: string(StateAfterContactWork)}
	}
	return r.closeACW(ctx, e, r.clock.Now())
}

func (r *Router) closeACW(ctx context.Context, e *taskEntry, now time.Time) error {
	nt := r.edit(e)
	nt.State = StateCompleted
	nt.AfterContactWorkEnd = now
	return r.release(ctx, e, nt, now, "close after-contact work", EventTaskCompleted)
}

// release stores and applies a change that frees the task's slot, updating
// the holder's LastActivity in the same write.
func (r *Router) release(ctx context.Context, e *taskEntry, nt *Task, now time.Time, op string, typ EventType) error {
	a := e.holder
	r.stageTask(typ, e.t.State, nt, now)
	var err error
	if a != nil {
		na := r.agentEdit(a)
		na.LastActivity = now
		if err = r.write1(ctx, op, nt, na); err == nil {
			r.setAgent(a, na)
		}
	} else {
		err = r.write1(ctx, op, nt)
	}
	if err != nil {
		return err
	}
	r.apply(e, nt, now)
	return nil
}

// finish ends an open task in a final state (stopped, expired), wherever it is.
func (r *Router) finish(ctx context.Context, e *taskEntry, state TaskState, reason DisconnectReason, now time.Time, typ EventType) error {
	nt := r.edit(e)
	nt.State = state
	if nt.DisconnectedAt.IsZero() {
		// A task already disconnected (in after-contact work) keeps the
		// reason it was disconnected for.
		nt.DisconnectReason = reason
		nt.DisconnectedAt = now
	}
	nt.OfferExpiresAt = time.Time{}
	if e.t.State == StateInFlow {
		r.stageFlowStopped(e.t, nt, now)
	}
	return r.release(ctx, e, nt, now, "finish", typ)
}

// Stop ends a task in any open state (STOPPED, reason API_STOPPED). An agent
// holding it gets its slot back at once.
func (r *Router) Stop(ctx context.Context, taskID string) (err error) {
	if err := r.lock(ctx); err != nil {
		return err
	}
	defer r.unlock(ctx, &err)
	e, err := r.open(ctx, "Stop", taskID)
	if err != nil {
		return err
	}
	return r.finish(ctx, e, StateStopped, DisconnectAPIStopped, r.clock.Now(), EventTaskStopped)
}

// Pause pauses a connected task (at most MaxPauses times). It keeps its slot.
func (r *Router) Pause(ctx context.Context, taskID string) error {
	return r.pauseResume(ctx, "Pause", taskID, StatePaused)
}

// Resume resumes a paused task.
func (r *Router) Resume(ctx context.Context, taskID string) error {
	return r.pauseResume(ctx, "Resume", taskID, StateConnected)
}

func (r *Router) pauseResume(ctx context.Context, op, taskID string, to TaskState) (err error) {
	if err := r.lock(ctx); err != nil {
		return err
	}
	defer r.unlock(ctx, &err)
	e, err := r.open(ctx, op, taskID)
	if err != nil {
		return err
	}
	from := StateConnected
	if to == StateConnected {
		from = StatePaused
	}
	if e.t.State != from {
		return &StateError{Op: op, TaskID: taskID, State: string(e.t.State), Want: string(from)}
	}
	now := r.clock.Now()
	nt := r.edit(e)
	nt.State = to
	typ := EventTaskPaused
	if to == StatePaused {
		if nt.PauseCount >= MaxPauses {
			return &LimitError{What: "pauses of task " + taskID, Limit: MaxPauses}
		}
		nt.PauseCount++
		nt.LastPausedAt = now
	} else {
		nt.LastResumedAt = now
		nt.PausedTotal += now.Sub(nt.LastPausedAt)
		typ = EventTaskResumed
	}
	r.stageTask(typ, e.t.State, nt, now)
	if err := r.write1(ctx, op, nt); err != nil {
		return err
	}
	r.apply(e, nt, now)
	return nil
}

// TransferTarget is where Transfer sends a task: a queue or an agent.
type TransferTarget struct {
	QueueID string
	AgentID string
	// QuickConnectID transfers through a quick connect (Router.PutQuickConnect),
	// as an agent does in Connect's workspace: to its agent (USER) or its
	// queue (QUEUE). Set exactly one of QueueID, AgentID and QuickConnectID.
	QuickConnectID string
}

// Transfer ends the task's current segment and starts a new linked task
// (PreviousTaskID) in the target queue or agent queue, keeping name,
// description, attributes, references, priority, routing criteria (activated
// afresh) and expiry. A queued task's segment ends COMPLETED at once; a
// connected or paused one goes to after-contact work with its agent. A task
// is transferred at most MaxTransfers times. It returns the new segment.
func (r *Router) Transfer(ctx context.Context, taskID string, to TransferTarget) (res *Task, err error) {
	set := 0
	for _, id := range []string{to.QueueID, to.AgentID, to.QuickConnectID} {
		if id != "" {
			set++
		}
	}
	switch {
	case set == 0:
		return nil, invalid("TransferTarget", "", "one of QueueID, AgentID or QuickConnectID is required")
	case set > 1:
		return nil, invalid("TransferTarget", "", "set one of QueueID, AgentID and QuickConnectID, not several")
	}
	if err := r.lock(ctx); err != nil {
		return nil, err
	}
	defer clearOnError(&res, &err) // runs after unlock, which may set err
	defer r.unlock(ctx, &err)
	flowID := "" // the quick connect's flow, run by Config.Flows
	if id := to.QuickConnectID; id != "" {
		q := r.quickConnects[id]
		if q == nil {
			return nil, fmt.Errorf("TransferTarget.QuickConnectID: %w", notFound("quick connect", id))
		}
		if q.Type == QuickConnectUser {
			to.AgentID = q.UserID
		} else {
			to.QueueID = q.QueueID
		}
		if q.FlowID != "" && r.cfg.Flows != nil {
			if err := r.checkFlow(q.FlowID); err != nil {
				return nil, fmt.Errorf("TransferTarget.QuickConnectID: %w", err)
			}
			flowID = q.FlowID
		}
	}
	e, err := r.open(ctx, "Transfer", taskID)
	if err != nil {
		return nil, err
	}
	old := e.t
	switch old.State {
	case StateQueued, StateConnected, StatePaused:
	default:
		return nil, &StateError{Op: "Transfer", TaskID: taskID, State: string(old.State), Want: "QUEUED, CONNECTED or PAUSED"}
	}
	if old.TransferCount >= MaxTransfers {
		return nil, &LimitError{What: fmt.Sprintf("transfers of task %s (chain of %s)", taskID, old.InitialTaskID), Limit: MaxTransfers}
	}
	if err := r.checkTarget(to.QueueID, to.AgentID, flowID == "", "TransferTarget.QueueID", "TransferTarget.AgentID"); err != nil {
		return nil, err
	}
	chain, err := r.chain(ctx, old.InitialTaskID)
	if err != nil {
		return nil, &StoreError{Op: "chain", Err: err}
	}
	if len(chain) >= MaxChainLength {
		return nil, &LimitError{What: fmt.Sprintf("tasks linked in the chain of %q", old.InitialTaskID), Limit: MaxChainLength}
	}
	now := r.clock.Now()
	var ended *Task
	if old.State == StateQueued {
		ended = r.edit(e)
		ended.State = StateCompleted
		ended.DisconnectReason = DisconnectTransferred
		ended.DisconnectedAt = now
	} else {
		ended = r.toACW(e, DisconnectTransferred, now)
	}
	method := InitiatedByQueueTransfer
	if to.AgentID != "" {
		method = InitiatedByTransfer
	}
	id, err := r.newTaskID()
	if err != nil {
		return nil, err
	}
	nt := &Task{
		ID: id, Sequence: r.seq + 1, Version: 1,
		Name: old.Name, Description: old.Description, Channel: old.Channel,
		Attributes: old.Attributes, References: old.References,
		State: StateQueued, QueueID: to.QueueID, TargetAgentID: to.AgentID,
		Priority: old.Priority, EffectivePriority: old.Priority, QueueTimeAdjustment: old.QueueTimeAdjustment,
		RoutingCriteria: old.RoutingCriteria, CriteriaActivatedAt: now,
		PreviousTaskID: old.ID, InitialTaskID: old.InitialTaskID,
		InitiationMethod: method, TemplateID: old.TemplateID, CreatedBy: old.CreatedBy,
		TransferCount: old.TransferCount + 1,
		InitiatedAt:   now, EnqueuedAt: now, ExpiresAt: old.ExpiresAt,
	}
	if flowID != "" {
		nt.State, nt.FlowID, nt.EnqueuedAt = StateInFlow, flowID, time.Time{}
	}
	tev := r.taskEvent(EventTaskTransferred, old.State, ended, now)
	tev.RelatedTaskID = nt.ID
	r.stage(tev)
	r.stageTask(EventTaskCreated, "", nt, now)
	if flowID != "" {
		r.stageFlowStarted("", nt, now)
	} else {
		r.stageTask(EventTaskQueued, "", nt, now)
	}
	if err := r.write(ctx, "transfer", []*Task{ended, nt}); err != nil {
		return nil, r.explainNewIDConflict(nt.ID, err)
	}
	r.seq = nt.Sequence
	r.apply(e, ended, now)
	ne := r.newEntry(nt.Channel)
	ne.stored = r.op.handles[1]
	r.tasks[nt.ID] = ne
	r.apply(ne, nt, now)
	r.startFlow(ne.t)
	return r.routed(ctx, ne, nt), nil
}

// RoutingUpdate changes how a task is routed. Zero fields are left alone.
type RoutingUpdate struct {
	// Priority sets the task's priority (1 routes first). Not with
	// QueueTimeAdjustment in the same call, as in Amazon Connect.
	Priority int
	// QueueTimeAdjustment, when non-nil, replaces the task's adjustment.
	QueueTimeAdjustment *time.Duration
	// Criteria, when non-nil, replaces the routing criteria and activates
	// them from now.
	Criteria *RoutingCriteria
	// ClearCriteria removes the routing criteria.
	ClearCriteria bool
}

// UpdateRouting changes a task's priority, routing age or criteria. A queued
// task moves in line at once.
func (r *Router) UpdateRouting(ctx context.Context, taskID string, u RoutingUpdate) (err error) {
	switch {
	case u.Priority < 0:
		return invalid("RoutingUpdate.Priority", fmt.Sprint(u.Priority), "must be 1 or more")
	case u.Priority > 0 && u.QueueTimeAdjustment != nil:
		return invalid("RoutingUpdate.QueueTimeAdjustment", u.QueueTimeAdjustment.String(), "set Priority or QueueTimeAdjustment, not both")
	case u.Criteria != nil && u.ClearCriteria:
		return invalid("RoutingUpdate.ClearCriteria", "true", "set Criteria or ClearCriteria, not both")
	case u.QueueTimeAdjustment != nil && (*u.QueueTimeAdjustment > MaxTaskDuration || *u.QueueTimeAdjustment < -MaxTaskDuration):
		return invalid("RoutingUpdate.QueueTimeAdjustment", u.QueueTimeAdjustment.String(), "within ±90 days")
	}
	if u.Criteria != nil {
		if err := u.Criteria.validate("RoutingUpdate.Criteria"); err != nil {
			return err
		}
	}
	if err := r.lock(ctx); err != nil {
		return err
	}
	defer r.unlock(ctx, &err)
	e, err := r.open(ctx, "UpdateRouting", taskID)
	if err != nil {
		return err
	}
	now := r.clock.Now()
	nt := r.edit(e)
	if u.Priority > 0 {
		nt.Priority = u.Priority
		nt.EffectivePriority = r.effectiveAt(nt, now)
	}
	if u.QueueTimeAdjustment != nil {
		nt.QueueTimeAdjustment = *u.QueueTimeAdjustment
	}
	if u.Criteria != nil {
		nt.RoutingCriteria = u.Criteria.Clone()
		nt.CriteriaActivatedAt = now
	}
	if u.ClearCriteria {
		nt.RoutingCriteria = nil
	}
	r.stageTask(EventTaskUpdated, e.t.State, nt, now)
	if err := r.write1(ctx, "update routing", nt); err != nil {
		return err
	}
	r.apply(e, nt, now)
	return nil
}

// UpdateAttributes merges attrs into the task's attributes and into those of
// every task in its PreviousTaskID chain, open or finished, in one atomic
// write. Each result must stay within MaxAttributeSize.
func (r *Router) UpdateAttributes(ctx context.Context, taskID string, attrs map[string]string) (err error) {
	if err := validateAttributes("Attributes", attrs); err != nil {
		return err
	}
	if err := r.lock(ctx); err != nil {
		return err
	}
	defer r.unlock(ctx, &err)
	t, err := r.lookup(ctx, taskID, "taskID")
	if err != nil {
		return err
	}
	chain, err := r.chain(ctx, t.InitialTaskID)
	if err != nil {
		return &StoreError{Op: "chain", Err: err}
	}
	if len(chain) == 0 {
		chain = []*Task{t}
	}
	updated := make([]*Task, 0, len(chain))
	for _, c := range chain {
		if e := r.tasks[c.ID]; e != nil {
			c = e.t // the live value
		}
		if holdsAll(c.Attributes, attrs) {
			continue // nothing to change: no new version, no event
		}
		nt := next(c)
		nt.Attributes = maps.Clone(c.Attributes)
		if nt.Attributes == nil {
			nt.Attributes = make(map[string]string, len(attrs))
		}
		maps.Copy(nt.Attributes, attrs)
		if err := validateAttributes("Attributes", nt.Attributes); err != nil {
			return fmt.Errorf("task %q: %w", c.ID, err)
		}
		updated = append(updated, nt)
	}
	if len(updated) == 0 {
		return nil
	}
	now := r.clock.Now()
	for _, nt := range updated {
		r.stageTask(EventTaskUpdated, nt.State, nt, now)
	}
	if err := r.write(ctx, "update attributes", updated); err != nil {
		return err
	}
	for _, nt := range updated {
		if e := r.tasks[nt.ID]; e != nil {
			r.apply(e, nt, now)
		}
	}
	return nil
}

// holdsAll reports whether attrs already holds every pair of update.
func holdsAll(attrs, update map[string]string) bool {
	for k, v := range update {
		if cur, ok := attrs[k]; !ok || cur != v {
			return false
		}
	}
	return true
}

// Reschedule moves a scheduled task to a new time (at most MaxReschedules
// times), within Config.MaxScheduleAhead of now and before its expiry.
func (r *Router) Reschedule(ctx context.Context, taskID string, at time.Time) (err error) {
	if err := r.lock(ctx); err != nil {
		return err
	}
	defer r.unlock(ctx, &err)
	e, err := r.open(ctx, "Reschedule", taskID)
	if err != nil {
		return err
	}
	if e.t.State != StateScheduled {
		return &StateError{Op: "Reschedule", TaskID: taskID, State: string(e.t.State), Want: string(StateScheduled)}
	}
	now := r.clock.Now()
	switch {
	case at.Before(now):
		return invalid("ScheduledAt", at.Format(time.RFC3339), "must not be in the past")
	case at.Sub(now) > r.cfg.MaxScheduleAhead:
		return invalid("ScheduledAt", at.Format(time.RFC3339), fmt.Sprintf("at most %s ahead", r.cfg.MaxScheduleAhead))
	case !at.Before(e.t.ExpiresAt):
		return invalid("ScheduledAt", at.Format(time.RFC3339), "must be before ExpiresAt")
	case e.t.RescheduleCount >= MaxReschedules:
		return &LimitError{What: "reschedules of task " + taskID, Limit: MaxReschedules}
	}
	nt := r.edit(e)
	nt.ScheduledAt = at
	nt.RescheduleCount++
	if !at.After(now) {
		// Rescheduled to now: start it at once, as CreateTask would.
		return r.startScheduled(ctx, e, nt, "reschedule", now)
	}
	r.stageTask(EventTaskScheduled, e.t.State, nt, now)
	if err := r.write1(ctx, "reschedule", nt); err != nil {
		return err
	}
	r.apply(e, nt, now)
	return nil
}

// enqueueScheduled moves a scheduled task into its queue when its time comes.
// Capacity is not checked: the work was accepted when the task was created.
func (r *Router) enqueueScheduled(ctx context.Context, e *taskEntry, now time.Time) error {
	return r.startScheduled(ctx, e, r.edit(e), "enqueue scheduled task", now)
}

// startScheduled moves nt, a change of the scheduled task e, into its queue,
// or into its flow when it has one.
func (r *Router) startScheduled(ctx context.Context, e *taskEntry, nt *Task, op string, now time.Time) error {
	if nt.FlowID != "" {
		nt.State = StateInFlow
		r.stageFlowStarted(e.t.State, nt, now)
	} else {
		nt.State = StateQueued
		nt.EnqueuedAt = now
		nt.CriteriaActivatedAt = now
		r.stageTask(EventTaskQueued, e.t.State, nt, now)
	}
	if err := r.write1(ctx, op, nt); err != nil {
		return err
	}
	r.apply(e, nt, now)
	r.startFlow(e.t)
	return nil
}

// clearOnError drops an operation's result when it failed, including when
// its group failed to commit after the operation decided it (unlock).
func clearOnError[T any](res **T, err *error) {
	if *err != nil {
		*res = nil
	}
}
