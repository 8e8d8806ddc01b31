package switchboard

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// This file is all the Router knows of flows (DESIGN §8): a task created
// with a FlowID is IN_FLOW and is not routed; the Router tells a FlowStarter
// (Config.Flows, normally a *FlowRunner) that the task entered its flow, and
// the flow leaves through ExitFlow, to a queue or to the end. Everything
// else a flow does to a task it does through the Router's ordinary methods
// (UpdateAttributes, UpdateRouting, CreateTask), outside the router's lock.
// Where the flow is (its position, flow attributes, pending wait) is kept by
// the runner through the optional FlowStore capability, not on the task.

// FlowStarter runs the flows of tasks that enter IN_FLOW: the small
// interface through which the Router hands a task to its flow. *FlowRunner
// implements it; set it as Config.Flows.
type FlowStarter interface {
	// HasFlow reports whether flowID names a flow the starter runs;
	// CreateTask refuses a FlowID for which it is false. It is called with
	// the router's lock held: it must be quick and must not call the Router.
	HasFlow(flowID string) bool
	// StartFlow is called once for each task that entered IN_FLOW (created
	// with a flow, or scheduled with one and due), after the operation that
	// moved it and without the router's lock. It must not block: it queues
	// the run, which acts on the task through the Router's methods. Tasks
	// already IN_FLOW when NewRouter rebuilds are not announced: the starter
	// lists them itself (FlowRunner.Bind does).
	StartFlow(taskID, flowID string)
}

type flowStart struct{ taskID, flowID string }

// FlowOutcome says how a task left its flow (Event.FlowOutcome).
type FlowOutcome string

// Flow outcomes. The first four are given to ExitFlow by the flow's runner;
// the router sets the last two when a task in a flow is stopped or expires.
const (
	FlowOutcomeEnqueued     FlowOutcome = "ENQUEUED"     // TransferContactToQueue: the task is QUEUED
	FlowOutcomeEnded        FlowOutcome = "ENDED"        // EndFlowExecution: the task is COMPLETED (FLOW_DISCONNECT)
	FlowOutcomeDisconnected FlowOutcome = "DISCONNECTED" // DisconnectParticipant: COMPLETED (FLOW_DISCONNECT)
	FlowOutcomeFailed       FlowOutcome = "FAILED"       // an error with no branch, the step budget: the runner's error path
	FlowOutcomeStopped      FlowOutcome = "STOPPED"      // Router.Stop while IN_FLOW
	FlowOutcomeExpired      FlowOutcome = "EXPIRED"      // ExpiresAt reached while IN_FLOW
)

// FlowOutcomes lists every FlowOutcome.
var FlowOutcomes = []FlowOutcome{FlowOutcomeEnqueued, FlowOutcomeEnded, FlowOutcomeDisconnected, FlowOutcomeFailed, FlowOutcomeStopped, FlowOutcomeExpired}

// FlowExit is how a task leaves its flow (Router.ExitFlow).
type FlowExit struct {
	// Outcome is ENQUEUED, ENDED, DISCONNECTED or FAILED.
	Outcome FlowOutcome
	// QueueID or AgentID is where the task is enqueued: required with
	// ENQUEUED, allowed with FAILED (the runner's error queue), not allowed
	// otherwise. Without one the task is COMPLETED, reason FLOW_DISCONNECT.
	QueueID string
	AgentID string
	// FlowID is the flow the run ended in ("": the task's FlowID; a
	// TransferToFlow moves a run to another flow).
	FlowID string
	// Action is the identifier of the action the flow ended on.
	Action string
	// Err says why a FAILED flow failed.
	Err error
}

// ExitFlow ends the flow of an IN_FLOW task: it is enqueued in x's queue or
// agent queue (checked as CreateTask checks a target, capacity included: a
// full queue returns an error matching ErrQueueAtCapacity and changes
// nothing, so the flow can take its QueueAtCapacity branch), or completed
// with reason FLOW_DISCONNECT. One write carries the task and two events,
// flow.ended (outcome, action, time in the flow) and task.queued or
// task.completed. A task not IN_FLOW returns a *StateError.
//
// The flow's runner (FlowRunner) calls it; a host calls it only to run
// flows of its own.
func (r *Router) ExitFlow(ctx context.Context, taskID string, x FlowExit) (err error) {
	enqueue := x.QueueID != "" || x.AgentID != ""
	switch {
	case !slices.Contains(FlowOutcomes[:4], x.Outcome):
		return invalid("FlowExit.Outcome", string(x.Outcome), "must be ENQUEUED, ENDED, DISCONNECTED or FAILED")
	case x.QueueID != "" && x.AgentID != "":
		return invalid("FlowExit.AgentID", x.AgentID, "set QueueID or AgentID, not both")
	case x.Outcome == FlowOutcomeEnqueued && !enqueue:
		return invalid("FlowExit.QueueID", "", "ENQUEUED needs a QueueID or an AgentID")
	case enqueue && x.Outcome != FlowOutcomeEnqueued && x.Outcome != FlowOutcomeFailed:
		return invalid("FlowExit.QueueID", x.QueueID+x.AgentID, "only ENQUEUED and FAILED enqueue")
	}
	for _, f := range [...]struct{ name, v string }{{"FlowExit.FlowID", x.FlowID}, {"FlowExit.Action", x.Action}} {
		if len(f.v) > 500 {
			return invalid(f.name, f.v, "at most 500 bytes")
		}
	}
	if err := r.lock(ctx); err != nil {
		return err
	}
	defer r.unlock(ctx, &err)
	e, err := r.open(ctx, "ExitFlow", taskID)
	if err != nil {
		return err
	}
	if e.t.State != StateInFlow {
		return &StateError{Op: "ExitFlow", TaskID: taskID, State: string(e.t.State), Want: string(StateInFlow)}
	}
	if enqueue {
		if err := r.checkTarget(x.QueueID, x.AgentID, true, "FlowExit.QueueID", "FlowExit.AgentID"); err != nil {
			return err
		}
	}
	now := r.clock.Now()
	nt := r.edit(e)
	typ := EventTaskCompleted
	if enqueue {
		nt.State, nt.QueueID, nt.TargetAgentID = StateQueued, x.QueueID, x.AgentID
		nt.EnqueuedAt, nt.CriteriaActivatedAt = now, now
		typ = EventTaskQueued
	} else {
		nt.State = StateCompleted
		nt.DisconnectReason, nt.DisconnectedAt = DisconnectFlow, now
	}
	ev := r.taskEvent(EventFlowEnded, e.t.State, nt, now)
	ev.FlowID, ev.FlowAction, ev.FlowOutcome, ev.Duration, ev.Err = x.FlowID, x.Action, x.Outcome, now.Sub(flowStartOf(e.t)), x.Err
	if ev.FlowID == "" {
		ev.FlowID = nt.FlowID
	}
	r.stage(ev)
	r.stageTask(typ, e.t.State, nt, now)
	if err := r.write1(ctx, "exit flow", nt); err != nil {
		return err
	}
	r.apply(e, nt, now)
	return nil
}

// LogFlowAction publishes a flow.action event for an IN_FLOW task: its flow
// (flowID, "" for the task's) ran the action with identifier action. No
// store write carries it (its Seq reaches the store with the next one). The
// FlowRunner calls it for each action when FlowRunnerOptions.LogActions is
// set; a task not IN_FLOW returns a *StateError.
func (r *Router) LogFlowAction(ctx context.Context, taskID, flowID, action string) (err error) {
	for _, f := range [...]struct{ name, v string }{{"flowID", flowID}, {"action", action}} {
		if len(f.v) > 500 {
			return invalid(f.name, f.v, "at most 500 bytes")
		}
	}
	if err := r.lock(ctx); err != nil {
		return err
	}
	defer r.unlock(ctx, &err)
	e, err := r.open(ctx, "LogFlowAction", taskID)
	if err != nil {
		return err
	}
	if e.t.State != StateInFlow {
		return &StateError{Op: "LogFlowAction", TaskID: taskID, State: string(e.t.State), Want: string(StateInFlow)}
	}
	ev := r.taskEvent(EventFlowAction, e.t.State, e.t, r.clock.Now())
	ev.FlowID, ev.FlowAction = flowID, action
	if ev.FlowID == "" {
		ev.FlowID = e.t.FlowID
	}
	r.emit(ev)
	return nil
}

// flowStartOf is when t entered its flow: when it was created, or when its
// schedule fell due.
func flowStartOf(t *Task) time.Time {
	if !t.ScheduledAt.IsZero() {
		return t.ScheduledAt
	}
	return t.InitiatedAt
}

// checkFlow refuses a FlowID that Config.Flows does not run.
func (r *Router) checkFlow(id string) error {
	switch {
	case id == "":
		return nil
	case r.cfg.Flows == nil:
		return invalid("FlowID", id, "no flow runner: set Config.Flows")
	case !r.cfg.Flows.HasFlow(id):
		return fmt.Errorf("FlowID: %w", notFound("flow", id))
	}
	return nil
}

// stageFlowStarted stages flow.started for t, entering IN_FLOW from prev.
func (r *Router) stageFlowStarted(prev TaskState, t *Task, now time.Time) {
	ev := r.taskEvent(EventFlowStarted, prev, t, now)
	ev.FlowID = t.FlowID
	r.stage(ev)
}

// stageFlowStopped stages flow.ended for a task leaving IN_FLOW for a final
// state the router decided (stopped, expired).
func (r *Router) stageFlowStopped(old, nt *Task, now time.Time) {
	ev := r.taskEvent(EventFlowEnded, old.State, nt, now)
	ev.FlowID, ev.Duration = old.FlowID, now.Sub(flowStartOf(old))
	ev.FlowOutcome = FlowOutcomeStopped
	if nt.State == StateExpired {
		ev.FlowOutcome = FlowOutcomeExpired
	}
	r.stage(ev)
}

// startFlow notes that t, just applied, entered IN_FLOW: Config.Flows hears
// of it once the operation unlocks.
func (r *Router) startFlow(t *Task) {
	if t.State == StateInFlow && r.cfg.Flows != nil {
		r.op.flowStarts = append(r.op.flowStarts, flowStart{t.ID, t.FlowID})
	}
}

// takeFlowStarts takes, under the lock, the tasks the operation moved into
// IN_FLOW; finishOp tells Config.Flows of them once the lock is released. A
// starter that panics is logged; its task stays IN_FLOW until its runner
// picks it up again (on Bind) or it expires.
func (r *Router) takeFlowStarts() []flowStart {
	if len(r.op.flowStarts) == 0 {
		return nil
	}
	starts := slices.Clone(r.op.flowStarts)
	clear(r.op.flowStarts)
	r.op.flowStarts = r.op.flowStarts[:0]
	return starts
}

// startFlows hands tasks to Config.Flows, without the router's lock.
func (r *Router) startFlows(starts []flowStart) {
	if len(starts) == 0 {
		return
	}
	defer func() {
		if p := recover(); p != nil {
			r.logger.Error("switchboard: Config.Flows.StartFlow panicked", "panic", fmt.Sprint(p))
		}
	}()
	for _, s := range starts {
		r.cfg.Flows.StartFlow(s.taskID, s.flowID)
	}
}
