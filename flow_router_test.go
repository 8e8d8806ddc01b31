package switchboard

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// flowBench is a bench whose router runs flows: a FlowRunner bound to it,
// closed before the router at the end of the test.
type flowBench struct {
	*bench
	fr    *FlowRunner
	opts  FlowRunnerOptions
	flows map[string]*Flow
	funcs map[string]FlowFunction
	fsub  *Subscription // flow events only
}

func newFlowBench(t *testing.T, opts *FlowRunnerOptions) *flowBench {
	t.Helper()
	fb := &flowBench{flows: map[string]*Flow{}, funcs: map[string]FlowFunction{}}
	if opts != nil {
		fb.opts = *opts
	}
	fb.fr = NewFlowRunner(&fb.opts)
	fb.bench = newBench(t, &Config{Flows: fb.fr})
	fb.fsub = fb.r.Subscribe(&SubscribeOptions{MaxPending: -1, Filter: &EventFilter{Types: []EventType{EventFlowStarted, EventFlowEnded, EventFlowAction}}})
	fb.must(fb.fr.Bind(fb.r))
	t.Cleanup(func() { fb.fr.Close(context.Background()) })
	return fb
}

// flow registers f under id, with this runner and every runner a restart
// makes.
func (fb *flowBench) flow(id string, b *FlowStep) {
	fb.t.Helper()
	f, _, err := b.Build(FlowOptions{})
	fb.must(err)
	fb.flows[id] = f
	fb.must(fb.fr.PutFlow(id, f))
}

func (fb *flowBench) function(name string, fn FlowFunction) {
	fb.t.Helper()
	fb.funcs[name] = fn
	fb.must(fb.fr.RegisterFunction(name, fn))
}

// settle waits for every flow to park or finish.
func (fb *flowBench) settle() {
	fb.t.Helper()
	ctx, cancel := context.WithTimeout(fb.ctx, 20*time.Second)
	defer cancel()
	fb.must(fb.fr.Wait(ctx))
}

// restart stops the runner and the router as a crash would leave the store,
// then starts both again over the same store and clock.
func (fb *flowBench) restart() {
	fb.t.Helper()
	fb.must(fb.fr.Close(fb.ctx))
	fb.must(fb.r.Close(fb.ctx))
	fb.fr = NewFlowRunner(&fb.opts)
	for id, f := range fb.flows {
		fb.must(fb.fr.PutFlow(id, f))
	}
	for name, fn := range fb.funcs {
		fb.must(fb.fr.RegisterFunction(name, fn))
	}
	fb.open(&Config{Flows: fb.fr})
	fb.fsub = fb.r.Subscribe(&SubscribeOptions{MaxPending: -1, Filter: &EventFilter{Types: []EventType{EventFlowStarted, EventFlowEnded, EventFlowAction}}})
	fb.must(fb.fr.Bind(fb.r))
	fr := fb.fr
	fb.t.Cleanup(func() { fr.Close(context.Background()) })
}

// flowEvents returns the flow events received so far, as "type outcome
// action duration".
func (fb *flowBench) flowEvents(taskID string) []string {
	var out []string
	for _, e := range fb.fsub.Drain() {
		if e.TaskID != taskID {
			continue
		}
		s := fmt.Sprintf("%s %s", e.Type, e.FlowID)
		if e.Type == EventFlowEnded {
			s += fmt.Sprintf(" %s at %s after %s", e.FlowOutcome, e.FlowAction, e.Duration)
			if e.Err != nil {
				s += ": " + e.Err.Error()
			}
		}
		out = append(out, s)
	}
	return out
}

func wantStrings(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s:\n got %q\nwant %q", what, got, want)
	}
}

// A claim waits a minute in its flow before it is transferred: while it is
// IN_FLOW an available agent is not offered it, and the moment the flow
// transfers it, it is routed.
func TestFlowTaskIsNotRoutedUntilItsFlowEnqueuesIt(t *testing.T) {
	fb := newFlowBench(t, nil)
	fb.queue("claims")
	fb.profile("p", 1, "claims")
	fb.agent("ana", "p")
	fb.flow("intake", NewFlow("hold").
		Wait("hold", 60).When("Equals", "WaitCompleted", "queue").
		SetQueue("queue", "claims").Next("transfer").
		TransferToQueue("transfer").Next("end").
		Disconnect("end"))

	task := fb.create(TaskInput{Name: "Claim 4411", FlowID: "intake"})
	if task.State != StateInFlow || task.FlowID != "intake" || task.QueueID != "" {
		t.Fatalf("created %s in %q with flow %q, want IN_FLOW with flow intake", task.State, task.QueueID, task.FlowID)
	}
	fb.settle()
	fb.wantState(task.ID, StateInFlow, "")
	fb.wantOffers()
	if fb.fr.Runs() != 1 {
		t.Fatalf("runner holds %d runs, want the one parked in Wait", fb.fr.Runs())
	}

	fb.clock.Advance(59 * time.Second)
	fb.settle()
	fb.wantState(task.ID, StateInFlow, "")
	fb.clock.Advance(time.Second)
	fb.settle()
	fb.wantState(task.ID, StateOffered, "ana")
	if got := fb.task(task.ID); got.QueueID != "claims" || !got.EnqueuedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("queued in %q at %s, want claims at t0+1m", got.QueueID, got.EnqueuedAt)
	}
	wantStrings(t, "flow events", fb.flowEvents(task.ID),
		"flow.started intake", "flow.ended intake ENQUEUED at transfer after 1m0s")
	if fb.fr.Runs() != 0 {
		t.Fatalf("runner holds %d runs after the flow ended", fb.fr.Runs())
	}
}

// A flow that disconnects its task completes it, reason FLOW_DISCONNECT; one
// that ends (EndFlowExecution) does the same with its own outcome.
func TestFlowDisconnectAndEndCompleteTheTask(t *testing.T) {
	fb := newFlowBench(t, nil)
	fb.queue("claims")
	fb.flow("spam", NewFlow("tag").
		UpdateAttributes("tag", map[string]string{"spam": "true"}).Next("bye").
		Disconnect("bye"))
	fb.flow("noop", NewFlow("stop").EndFlow("stop"))

	a := fb.create(TaskInput{Name: "Win a prize", FlowID: "spam", QueueID: "claims"})
	b := fb.create(TaskInput{Name: "Nothing to do", FlowID: "noop"})
	fb.settle()
	for _, id := range []string{a.ID, b.ID} {
		got := fb.task(id)
		if got.State != StateCompleted || got.DisconnectReason != DisconnectFlow {
			t.Fatalf("%s: %s (%s), want COMPLETED by FLOW_DISCONNECT", id, got.State, got.DisconnectReason)
		}
	}
	if fb.task(a.ID).Attributes["spam"] != "true" {
		t.Fatalf("the flow's attribute was not set: %v", fb.task(a.ID).Attributes)
	}
	var got []string
	for _, e := range fb.fsub.Drain() {
		if e.Type == EventFlowEnded {
			got = append(got, fmt.Sprintf("%s %s %s", e.TaskID, e.FlowOutcome, e.FlowAction))
		}
	}
	wantStrings(t, "outcomes", got, "t1 DISCONNECTED bye", "t2 ENDED stop")
}

// A host function that outlives its time limit sends its task down the
// Error branch, while the router keeps routing other tasks: the function
// holds a worker, never the router.
func TestFlowSlowHostFunctionTakesErrorBranchWhileRoutingGoesOn(t *testing.T) {
	fb := newFlowBench(t, &FlowRunnerOptions{Workers: 2})
	fb.queue("claims")
	fb.queue("manual-review")
	fb.profile("p", 5, "claims")
	fb.agent("ana", "p")
	release := make(chan struct{})
	var calls atomic.Int32
	fb.function("slow-crm", func(ctx context.Context, call FlowCall) (any, error) {
		calls.Add(1)
		select { // sleeps past its limit, ignoring nothing but the release
		case <-release:
		case <-time.After(5 * time.Second):
		}
		return map[string]string{"tier": "gold"}, nil
	})
	fb.flow("lookup", NewFlow("crm").
		InvokeFunction("crm", "arn:aws:lambda:eu-west-1:123456789012:function:slow-crm", 1, nil).
		Next("queue").OnError("NoMatchingError", "review").
		SetQueue("queue", "claims").Next("transfer").
		SetQueue("review", "manual-review").Next("transfer").
		TransferToQueue("transfer").Next("end").
		Disconnect("end"))

	slow := fb.create(TaskInput{Name: "Claim needing the CRM", FlowID: "lookup"})
	for calls.Load() == 0 {
		time.Sleep(time.Millisecond) // the function is running on a worker
	}
	plain := fb.create(TaskInput{Name: "Plain claim", QueueID: "claims"})
	fb.wantState(plain.ID, StateOffered, "ana")
	fb.must(fb.r.Accept(fb.ctx, plain.ID, "ana"))
	fb.wantState(slow.ID, StateInFlow, "")

	fb.settle() // the limit (1 s) passes: the Error branch
	close(release)
	got := fb.task(slow.ID)
	if got.State != StateQueued || got.QueueID != "manual-review" {
		t.Fatalf("slow task is %s in %q, want QUEUED in manual-review", got.State, got.QueueID)
	}
}

// A host function that panics is recovered: its task takes the Error branch.
func TestFlowPanickingHostFunctionTakesErrorBranch(t *testing.T) {
	fb := newFlowBench(t, nil)
	fb.queue("claims")
	fb.queue("manual-review")
	fb.function("broken", func(context.Context, FlowCall) (any, error) { panic("nil map in the CRM client") })
	fb.flow("lookup", NewFlow("crm").
		InvokeFunction("crm", "broken", 3, nil).Next("queue").OnError("NoMatchingError", "review").
		SetQueue("queue", "claims").Next("transfer").
		SetQueue("review", "manual-review").Next("transfer").
		TransferToQueue("transfer").Next("end").
		Disconnect("end"))
	task := fb.create(TaskInput{Name: "Claim", FlowID: "lookup"})
	fb.settle()
	if got := fb.task(task.ID); got.State != StateQueued || got.QueueID != "manual-review" {
		t.Fatalf("task is %s in %q, want QUEUED in manual-review", got.State, got.QueueID)
	}
}

// A flow that never ends is cut at the step budget: flow.ended FAILED with
// the reason, and the task takes the error path, the error queue.
func TestFlowPastItsStepBudgetTakesTheErrorPath(t *testing.T) {
	fb := newFlowBench(t, &FlowRunnerOptions{MaxSteps: 50, ErrorQueueID: "flow-errors"})
	fb.queue("flow-errors")
	fb.flow("spin", NewFlow("a").
		UpdateFlowAttributes("a", map[string]string{"x": "1"}).Next("b").
		UpdateFlowAttributes("b", map[string]string{"x": "2"}).Next("a"))
	task := fb.create(TaskInput{Name: "Spinner", FlowID: "spin"})
	fb.settle()
	if got := fb.task(task.ID); got.State != StateQueued || got.QueueID != "flow-errors" {
		t.Fatalf("task is %s in %q, want QUEUED in flow-errors", got.State, got.QueueID)
	}
	wantStrings(t, "flow events", fb.flowEvents(task.ID), "flow.started spin",
		"flow.ended spin FAILED at a after 0s: flow step budget exhausted: 50 actions in one run")
}

// Without an error queue, or when it is full, a failed flow completes its
// task: never left IN_FLOW.
func TestFlowFailureWithoutErrorQueueCompletesTheTask(t *testing.T) {
	fb := newFlowBench(t, &FlowRunnerOptions{ErrorQueueID: "flow-errors"})
	must(t, fb.r.PutQueue(fb.ctx, Queue{ID: "flow-errors", Name: "Errors", MaxContacts: 1}))
	fb.flow("broken", NewFlow("q").
		SetQueue("q", "no-such-queue").Next("transfer").
		TransferToQueue("transfer"))
	a := fb.create(TaskInput{Name: "First", FlowID: "broken"})
	b := fb.create(TaskInput{Name: "Second", FlowID: "broken"})
	fb.settle()
	states := map[TaskState]int{}
	for _, id := range []string{a.ID, b.ID} {
		states[fb.task(id).State]++
	}
	if states[StateQueued] != 1 || states[StateCompleted] != 1 {
		t.Fatalf("states %v: want one in the error queue and one completed (the queue holds one)", states)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// CreateTask refuses a flow the runner does not know, and a router without a
// runner refuses flows altogether; neither stores anything.
func TestFlowUnknownFlowIsRefused(t *testing.T) {
	fb := newFlowBench(t, nil)
	_, err := fb.r.CreateTask(fb.ctx, TaskInput{Name: "x", FlowID: "nope"})
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "FlowID") {
		t.Fatalf("unknown flow: %v, want ErrNotFound naming FlowID", err)
	}
	plain := newBench(t, nil)
	_, err = plain.r.CreateTask(plain.ctx, TaskInput{Name: "x", FlowID: "nope"})
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Field != "FlowID" {
		t.Fatalf("no runner: %v, want a ValidationError on FlowID", err)
	}
	if n := mustStats(fb.r).TasksByState[StateInFlow] + mustStats(plain.r).TasksByState[StateInFlow]; n != 0 {
		t.Fatalf("%d tasks IN_FLOW after refusals", n)
	}
}

// Stopping a task while its flow waits ends the flow (flow.ended STOPPED)
// and the runner forgets the run when its wait ends; a task whose flow
// outlives its expiry expires (flow.ended EXPIRED).
func TestFlowStoppedOrExpiredWhileWaiting(t *testing.T) {
	fb := newFlowBench(t, nil)
	fb.queue("claims")
	fb.flow("slow", NewFlow("hold").
		Wait("hold", 3600).When("Equals", "WaitCompleted", "transfer").
		TransferToQueue("transfer"))
	stopped := fb.create(TaskInput{Name: "Stopped", FlowID: "slow", QueueID: "claims"})
	expiring := fb.create(TaskInput{Name: "Expiring", FlowID: "slow", QueueID: "claims", Expiry: 30 * time.Minute})
	fb.settle()
	fb.clock.Advance(10 * time.Minute)
	fb.must(fb.r.Stop(fb.ctx, stopped.ID))
	fb.clock.Advance(time.Hour)
	fb.settle()
	fb.wantState(stopped.ID, StateStopped, "")
	fb.wantState(expiring.ID, StateExpired, "")
	if fb.fr.Runs() != 0 {
		t.Fatalf("runner still holds %d runs", fb.fr.Runs())
	}
	var got []string
	for _, e := range fb.fsub.Drain() {
		if e.Type == EventFlowEnded {
			got = append(got, fmt.Sprintf("%s %s after %s", e.TaskID, e.FlowOutcome, e.Duration))
		}
	}
	wantStrings(t, "flow ends", got, "t1 STOPPED after 10m0s", "t2 EXPIRED after 30m0s")
}

// A scheduled task with a flow enters the flow when its time comes.
func TestFlowScheduledTaskEntersItsFlowWhenDue(t *testing.T) {
	fb := newFlowBench(t, nil)
	fb.queue("claims")
	fb.flow("intake", NewFlow("q").SetQueue("q", "claims").Next("transfer").
		TransferToQueue("transfer"))
	task := fb.create(TaskInput{Name: "Tomorrow", FlowID: "intake", ScheduledAt: t0.Add(time.Hour)})
	fb.settle()
	fb.wantState(task.ID, StateScheduled, "")
	fb.clock.Advance(time.Hour)
	fb.settle()
	fb.wantState(task.ID, StateQueued, "")
	wantStrings(t, "flow events", fb.flowEvents(task.ID), "flow.started intake",
		"flow.ended intake ENQUEUED at transfer after 0s")
}

// ExitFlow checks its input and the task's state, and a full queue changes
// nothing.
func TestExitFlowRefusals(t *testing.T) {
	fb := newFlowBench(t, nil)
	must(t, fb.r.PutQueue(fb.ctx, Queue{ID: "small", Name: "Small", MaxContacts: 1}))
	fb.flow("hold", NewFlow("w").Wait("w", 600).When("Equals", "WaitCompleted", "end").
		EndFlow("end"))
	fb.create(TaskInput{Name: "Filler", QueueID: "small"})
	task := fb.create(TaskInput{Name: "Held", FlowID: "hold"})
	fb.settle()
	for _, tc := range []struct {
		x     FlowExit
		field string
	}{
		{FlowExit{Outcome: "LOST"}, "FlowExit.Outcome"},
		{FlowExit{Outcome: FlowOutcomeStopped}, "FlowExit.Outcome"},
		{FlowExit{Outcome: FlowOutcomeEnqueued}, "FlowExit.QueueID"},
		{FlowExit{Outcome: FlowOutcomeEnded, QueueID: "small"}, "FlowExit.QueueID"},
		{FlowExit{Outcome: FlowOutcomeEnqueued, QueueID: "small", AgentID: "ana"}, "FlowExit.AgentID"},
	} {
		var ve *ValidationError
		if err := fb.r.ExitFlow(fb.ctx, task.ID, tc.x); !errors.As(err, &ve) || ve.Field != tc.field {
			t.Fatalf("ExitFlow(%+v) = %v, want a ValidationError on %s", tc.x, err, tc.field)
		}
	}
	err := fb.r.ExitFlow(fb.ctx, task.ID, FlowExit{Outcome: FlowOutcomeEnqueued, QueueID: "small"})
	if !errors.Is(err, ErrQueueAtCapacity) {
		t.Fatalf("full queue: %v", err)
	}
	fb.wantState(task.ID, StateInFlow, "")
	var se *StateError
	if err := fb.r.ExitFlow(fb.ctx, "t1", FlowExit{Outcome: FlowOutcomeEnded}); !errors.As(err, &se) {
		t.Fatalf("ExitFlow of a QUEUED task: %v, want a StateError", err)
	}
}

// With LogActions, every action a flow runs is a flow.action event, between
// flow.started and flow.ended.
func TestFlowActionEventsAreOptIn(t *testing.T) {
	fb := newFlowBench(t, &FlowRunnerOptions{LogActions: true})
	fb.queue("claims")
	fb.flow("intake", NewFlow("tag").
		UpdateAttributes("tag", map[string]string{"line": "motor"}).Next("q").
		SetQueue("q", "claims").Next("transfer").
		TransferToQueue("transfer"))
	task := fb.create(TaskInput{Name: "Claim", FlowID: "intake"})
	fb.settle()
	var got []string
	for _, e := range fb.fsub.Drain() {
		got = append(got, fmt.Sprintf("%s %s %s", e.Type, e.FlowAction, e.TaskID))
	}
	wantStrings(t, "flow events", got, "flow.started  t1", "flow.action tag t1", "flow.action q t1",
		"flow.action transfer t1", "flow.ended transfer t1")
	fb.wantState(task.ID, StateQueued, "")
	var se *StateError
	if err := fb.r.LogFlowAction(fb.ctx, task.ID, "", "late"); !errors.As(err, &se) {
		t.Fatalf("LogFlowAction on a QUEUED task: %v, want a StateError", err)
	}
}
