package switchboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-go/switchboard/internal/flow"
)

// This file is the FlowRunner's side of one run: the record it persists,
// one step of a run on a worker, and taskHost, the internal/flow.Host that
// acts on the task through the Router's methods.

// flowRun is a run in memory. rec is touched only by the worker stepping the
// run (and by Bind before the workers start); the other fields under
// FlowRunner.mu.
type flowRun struct {
	taskID     string
	rec        flowRecord
	queued     bool
	cancelWait func() bool
}

// flowRecord is what FlowRun.State holds.
type flowRecord struct {
	FlowID string
	Run    flow.State
	// QueueID or AgentID is the working queue (UpdateContactTargetQueue);
	// set tells them from the task's own QueueID/AgentID, the start value.
	QueueID  string `json:",omitempty"`
	AgentID  string `json:",omitempty"`
	QueueSet bool   `json:",omitempty"`
	// InFlight is the InvokeLambdaFunction the run was in when last
	// written; Restarts counts the restarts that found it there. The first
	// restart calls the function again; a second takes its Error branch.
	InFlight string `json:",omitempty"`
	Restarts int    `json:",omitempty"`
	// Transfers counts TransferToFlow (at most MaxFlowTransfers).
	Transfers int `json:",omitempty"`
}

// MaxFlowTransfers bounds the TransferToFlow actions of one task's run, so
// two flows that transfer to each other end in the error path.
const MaxFlowTransfers = 20

// step runs one task's flow until it parks, leaves or fails; it reports
// whether the run is over (the runner forgets it).
func (fr *FlowRunner) step(run *flowRun) (done bool) {
	ctx := fr.ctx
	t, err := fr.r.Task(ctx, run.taskID)
	if err != nil || t.State != StateInFlow {
		if errors.Is(err, ErrClosed) || ctx.Err() != nil {
			return false // the runner or router is closing: keep the run
		}
		fr.forget(run) // stopped, expired or gone while it waited
		return true
	}
	fr.mu.Lock()
	f := fr.flowLocked(run.rec.FlowID)
	fr.mu.Unlock()
	if f == nil {
		return fr.fail(run, t, "", fmt.Errorf("flow %q is not registered with the runner", run.rec.FlowID))
	}
	if !run.rec.QueueSet {
		run.rec.QueueID, run.rec.AgentID, run.rec.QueueSet = t.QueueID, t.TargetAgentID, true
	}
	h := &taskHost{fr: fr, run: run, task: t}
	if until := run.rec.Run.WaitUntil; !until.IsZero() && !until.After(fr.clock.Now()) {
		// The run resumes from a Wait that fell due: it goes on as of the
		// wait's end, as the router's own timers fire at their own instant,
		// so a loop of waits keeps its rhythm however late the worker is.
		h.at = until
	}
	res := func() (res flow.Result) {
		defer func() {
			if p := recover(); p != nil {
				res = flow.Result{Status: flow.StatusFailed, Action: run.rec.Run.Position, Err: fmt.Errorf("flow run panicked: %v", p)}
				run.rec.Run.Done = true
			}
		}()
		return flow.Run(ctx, f.prog, &run.rec.Run, h, flow.RunOptions{MaxSteps: fr.opts.MaxSteps})
	}()
	switch res.Status {
	case flow.StatusWaiting:
		run.rec.InFlight, run.rec.Restarts = "", 0
		fr.save(run)
		fr.mu.Lock()
		if !fr.closed {
			fr.parkLocked(run, res.Until)
		}
		fr.mu.Unlock()
		return false
	case flow.StatusEnqueued:
		fr.forget(run) // TransferToQueue called ExitFlow
		return true
	case flow.StatusEnded:
		return fr.exit(run, t, FlowExit{Outcome: FlowOutcomeEnded, Action: res.Action})
	case flow.StatusDisconnected:
		return fr.exit(run, t, FlowExit{Outcome: FlowOutcomeDisconnected, Action: res.Action})
	case flow.StatusTransferred:
		// TransferToFlow: the next flow starts from its first action, with
		// the task's attributes and working queue and fresh flow memory.
		run.rec.Transfers++
		if run.rec.Transfers > MaxFlowTransfers {
			return fr.fail(run, t, res.Action, fmt.Errorf("more than %d TransferToFlow in one run", MaxFlowTransfers))
		}
		fr.mu.Lock()
		next := res.Flow
		for id, f := range fr.flows {
			if f == fr.flowLocked(res.Flow) {
				next = id
				break
			}
		}
		run.rec.FlowID, run.rec.Run = next, flow.NewState(run.rec.Run.Rand)
		run.rec.InFlight, run.rec.Restarts = "", 0
		if !fr.closed {
			fr.queueLocked(run)
		}
		fr.mu.Unlock()
		return false
	}
	if !run.rec.Run.Done { // cancelled: the runner is closing; resume later
		return false
	}
	if h.gone {
		fr.forget(run)
		return true
	}
	return fr.fail(run, t, res.Action, res.Err)
}

// exit ends the run through Router.ExitFlow. A refusal the flow cannot act
// on (the store, a closed router) keeps the run to try again after the
// router's RetryInterval.
func (fr *FlowRunner) exit(run *flowRun, t *Task, x FlowExit) bool {
	x.FlowID = run.rec.FlowID
	err := fr.r.ExitFlow(fr.ctx, t.ID, x)
	var se *StateError
	switch {
	case err == nil, errors.As(err, &se), errors.Is(err, ErrNotFound):
		fr.forget(run)
		return true
	case errors.Is(err, ErrClosed) || fr.ctx.Err() != nil:
		return false
	}
	fr.opts.Logger.Warn("switchboard: flow exit refused; retrying", "task", t.ID, "outcome", string(x.Outcome), "err", err)
	fr.mu.Lock()
	if !fr.closed {
		fr.parkLocked(run, fr.clock.Now().Add(fr.r.cfg.RetryInterval))
	}
	fr.mu.Unlock()
	return false
}

// fail takes the runner's error path: the error queue if it can take the
// task, else completion.
func (fr *FlowRunner) fail(run *flowRun, t *Task, action string, cause error) bool {
	run.rec.Run.Done = true
	fr.opts.Logger.Warn("switchboard: flow failed", "task", t.ID, "flow", run.rec.FlowID, "action", action, "err", cause)
	x := FlowExit{Outcome: FlowOutcomeFailed, Action: action, Err: cause, FlowID: run.rec.FlowID}
	if q := fr.opts.ErrorQueueID; q != "" {
		x.QueueID = q
		err := fr.r.ExitFlow(fr.ctx, t.ID, x)
		var ve *ValidationError
		if err == nil || !(errors.Is(err, ErrQueueAtCapacity) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrQueueDisabled) || errors.As(err, &ve)) {
			if err == nil {
				fr.forget(run)
				return true
			}
			return fr.exit(run, t, x) // retried as any refused exit
		}
		x.QueueID = ""
	}
	return fr.exit(run, t, x)
}

// save writes the run through the FlowStore; a refusal is logged, and the
// run goes on (a restart would resume from the last run written).
func (fr *FlowRunner) save(run *flowRun) {
	if fr.store == nil {
		return
	}
	data, err := json.Marshal(&run.rec)
	if err == nil {
		err = fr.store.PutFlowRun(fr.ctx, &FlowRun{TaskID: run.taskID, FlowID: run.rec.FlowID, State: data})
	}
	if err != nil {
		fr.opts.Logger.Warn("switchboard: flow run not written", "task", run.taskID, "err", err)
	}
}

// forget deletes the stored run of a task that left its flow.
func (fr *FlowRunner) forget(run *flowRun) {
	if fr.store == nil {
		return
	}
	if err := fr.store.DeleteFlowRun(fr.ctx, run.taskID); err != nil {
		fr.opts.Logger.Warn("switchboard: finished flow run not deleted; the next Bind deletes it", "task", run.taskID, "err", err)
	}
}

// taskHost is the flow.Host of one step of a run: it reads the task from a
// copy refreshed after each change and acts through the Router's methods.
type taskHost struct {
	fr   *FlowRunner
	run  *flowRun
	task *Task
	gone bool      // the task left IN_FLOW under the flow (stopped, expired)
	at   time.Time // the instant the run resumes as of; zero: the clock's
}

var (
	_ flow.Checkpointer = (*taskHost)(nil)
	_ flow.Tracer       = (*taskHost)(nil)
)

// Trace publishes flow.action when FlowRunnerOptions.LogActions asks for it.
func (h *taskHost) Trace(action, _ string) {
	if !h.fr.opts.LogActions {
		return
	}
	if err := h.fr.r.LogFlowAction(h.fr.ctx, h.task.ID, h.run.rec.FlowID, action); err != nil {
		h.fr.opts.Logger.Warn("switchboard: flow.action not published", "task", h.task.ID, "action", action, "err", err)
	}
}

func (h *taskHost) Now() time.Time {
	if !h.at.IsZero() {
		return h.at
	}
	return h.fr.clock.Now()
}

// refresh re-reads the task after a change.
func (h *taskHost) refresh(ctx context.Context) {
	if t, err := h.fr.r.Task(ctx, h.task.ID); err == nil {
		h.task = t
		h.gone = t.State != StateInFlow
	}
}

// Lookup resolves the contact paths of a task (docs/flows.md, "JSON paths").
func (h *taskHost) Lookup(path []string) (string, bool) {
	t := h.task
	if len(path) > 1 && path[0] == "Task" { // $.Task.X reads as $.X
		path = path[1:]
	}
	switch path[0] {
	case "Attributes":
		if len(path) == 2 {
			v, ok := t.Attributes[path[1]]
			return v, ok
		}
	case "References":
		if len(path) == 3 {
			ref, ok := t.References[path[1]]
			switch {
			case !ok:
			case path[2] == "Value":
				return ref.Value, true
			case path[2] == "Type":
				return string(ref.Type), true
			}
		}
	case "Queue":
		if len(path) == 2 {
			return h.queueField(path[1])
		}
	}
	if len(path) != 1 {
		return "", false
	}
	var v string
	switch path[0] {
	case "ContactId", "TaskId":
		v = t.ID
	case "InitialContactId":
		v = t.InitialTaskID
	case "PreviousContactId":
		v = t.PreviousTaskID
	case "RelatedContactId":
		v = t.RelatedTaskID
	case "Channel":
		v = string(t.Channel)
	case "InitiationMethod":
		v = string(t.InitiationMethod)
	case "Name":
		v = t.Name
	case "Description":
		v = t.Description
	case "Priority":
		v = strconv.Itoa(t.Priority)
	case "TemplateId":
		v = t.TemplateID
	default:
		return "", false
	}
	return v, v != "" || path[0] == "Description"
}

func (h *taskHost) queueField(f string) (string, bool) {
	rec := &h.run.rec
	if rec.QueueID == "" {
		if rec.AgentID != "" && (f == "Id" || f == "ARN") {
			return rec.AgentID, true
		}
		return "", false
	}
	switch f {
	case "Id", "ARN":
		return rec.QueueID, true
	case "Name":
		q, err := h.fr.r.Queue(rec.QueueID)
		if err != nil {
			return "", false
		}
		return q.Name, true
	}
	return "", false
}

func (h *taskHost) SetAttributes(ctx context.Context, attrs map[string]string) error {
	if err := h.fr.r.UpdateAttributes(ctx, h.task.ID, attrs); err != nil {
		return err
	}
	h.refresh(ctx)
	return nil
}

// resourceID takes the ID out of a Connect ARN (…/queue/ID, …/agent/ID),
// or returns ref as it is.
func resourceID(ref string) string {
	if strings.HasPrefix(ref, "arn:") {
		if i := strings.LastIndexByte(ref, '/'); i >= 0 {
			return ref[i+1:]
		}
	}
	return ref
}

func (h *taskHost) SetTargetQueue(_ context.Context, t flow.Target) error {
	id := resourceID(t.Queue)
	rec := &h.run.rec
	if t.Agent {
		if _, err := h.fr.r.Agent(id); err != nil {
			return err
		}
		rec.QueueID, rec.AgentID = "", id
	} else {
		if _, err := h.fr.r.Queue(id); err != nil {
			return err
		}
		rec.QueueID, rec.AgentID = id, ""
	}
	rec.QueueSet = true
	return nil
}

func (h *taskHost) TransferToQueue(ctx context.Context) error {
	rec := &h.run.rec
	if rec.QueueID == "" && rec.AgentID == "" {
		return errors.New("no working queue: set one with UpdateContactTargetQueue")
	}
	err := h.fr.r.ExitFlow(ctx, h.task.ID, FlowExit{Outcome: FlowOutcomeEnqueued, QueueID: rec.QueueID, AgentID: rec.AgentID,
		FlowID: rec.FlowID, Action: rec.Run.Position})
	if errors.Is(err, ErrQueueAtCapacity) {
		return fmt.Errorf("%w: %w", flow.ErrQueueAtCapacity, err)
	}
	if err != nil {
		h.refresh(ctx)
	}
	return err
}

func (h *taskHost) SetRoutingBehavior(ctx context.Context, b flow.RoutingBehavior) error {
	var u RoutingUpdate
	if b.Priority != 0 {
		if b.Priority > math.MaxInt32 {
			b.Priority = math.MaxInt32
		}
		u.Priority = int(b.Priority)
	} else {
		adj := h.task.QueueTimeAdjustment + b.AgeAdjustment
		u.QueueTimeAdjustment = &adj
	}
	if err := h.fr.r.UpdateRouting(ctx, h.task.ID, u); err != nil {
		return err
	}
	h.refresh(ctx)
	return nil
}

// Checkpoint writes the run before a host call, so a restart calls it
// again (once: a second restart in the same call takes the Error branch).
func (h *taskHost) Checkpoint(_ context.Context, st *flow.State) error {
	rec := &h.run.rec
	if rec.InFlight == st.Position && rec.Restarts > 1 {
		rec.InFlight, rec.Restarts = "", 0
		return fmt.Errorf("host call %q interrupted by %d restarts", st.Position, 2)
	}
	if rec.InFlight != st.Position {
		rec.InFlight, rec.Restarts = st.Position, 0
	}
	h.fr.save(h.run)
	return nil
}

func (h *taskHost) Invoke(ctx context.Context, function string, in flow.Invocation) ([]byte, error) {
	fn := h.fr.function(function)
	if fn == nil {
		return nil, fmt.Errorf("no host function %q is registered", function)
	}
	out, err := fn(ctx, FlowCall{Function: function, Task: h.task.Clone(), Parameters: in.Parameters, Attempt: in.Attempt})
	if err != nil {
		return nil, err
	}
	switch v := out.(type) {
	case []byte:
		return v, nil
	case json.RawMessage:
		return v, nil
	}
	return json.Marshal(out)
}
