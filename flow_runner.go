package switchboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-go/switchboard/internal/flow"
)

// FlowRunner runs flows for the tasks of one Router: the flow runner of
// DESIGN §8. It is the router's Config.Flows (a FlowStarter): a task created
// with a FlowID is IN_FLOW, and the runner runs its flow on a bounded pool of
// workers, outside the router's lock, acting on the task only through the
// Router's methods (UpdateAttributes, UpdateRouting, CreateTask, ExitFlow),
// until the flow transfers the task to a queue or ends it.
//
//	flows := switchboard.NewFlowRunner(nil)
//	flows.PutFlow("claims-intake", claimsFlow)
//	flows.RegisterFunction("customer-lookup", lookupCustomer)
//	r, err := switchboard.NewRouter(ctx, store, &switchboard.Config{Flows: flows})
//	err = flows.Bind(r) // resumes the runs a previous process left
//	task, err := r.CreateTask(ctx, switchboard.TaskInput{Name: "Claim 4411", FlowID: "claims-intake"})
//
// Waits are timers on the router's Clock. Where each run is (position, flow
// attributes, last host response, loop counters, pending wait, working
// queue) is written through the router's Store when it implements
// FlowStore; see docs/flows.md for what a restart resumes.
//
// A run that fails (an action error with no branch, the step budget, an
// unknown flow) takes the runner's error path: the task is enqueued in
// FlowRunnerOptions.ErrorQueueID when set and able to take it, and is
// otherwise completed (FLOW_DISCONNECT), with a flow.ended event of outcome
// FAILED either way: never lost, never left IN_FLOW.
type FlowRunner struct {
	opts FlowRunnerOptions

	mu      sync.Mutex
	cond    *sync.Cond // signalled when work is queued, a run finishes, or Close
	flows   map[string]*Flow
	funcs   map[string]FlowFunction
	hours   map[string]*HoursOfOperation // PutHours
	r       *Router
	clock   Clock
	store   FlowStore // nil: runs are not persisted
	runs    map[string]*flowRun
	pending []string // task IDs whose run is ready to step, in order
	busy    int      // runs being stepped
	closed  bool
	ctx     context.Context
	cancel  context.CancelFunc
	workers sync.WaitGroup
	early   []flowStart // StartFlow calls before Bind
}

// FlowRunnerOptions tune a FlowRunner. The zero value is usable.
type FlowRunnerOptions struct {
	// Workers is how many runs step at once: the bound of the pool. A host
	// function that blocks holds one worker until its time limit; routing is
	// never held. Defaults to 4; at most 256.
	Workers int
	// MaxSteps is the step budget of a run between two waits: a run that
	// takes more actions fails (flow.ended FAILED) and takes the error path.
	// Defaults to 1000.
	MaxSteps int
	// ErrorQueueID is where a failed run enqueues its task. Empty, or a
	// queue that cannot take the task: the task is completed
	// (FLOW_DISCONNECT).
	ErrorQueueID string
	// Metrics answers CheckMetricData and GetMetricData: the RealTimeMetrics
	// the host feeds from the router (Config.Consumers). nil: those actions
	// take their Error branch.
	Metrics *RealTimeMetrics
	// LogActions publishes a flow.action event for every action a flow
	// runs (Router.LogFlowAction): one router operation per action, so it
	// is off by default.
	LogActions bool
	// Seed seeds DistributeByPercentage; each task draws from Seed and its
	// ID, so a run is reproducible.
	Seed uint64
	// Logger receives the runner's warnings (a FlowStore write that failed)
	// and UpdateFlowLoggingBehavior's logs. nil discards them.
	Logger *slog.Logger
}

// MaxFlowWorkers bounds FlowRunnerOptions.Workers.
const MaxFlowWorkers = 256

// FlowFunction is a host function a flow calls with InvokeLambdaFunction,
// Connect's Lambda: it receives the task and the action's
// LambdaInvocationAttributes and returns a value that is marshalled to JSON
// (a []byte or json.RawMessage is taken as JSON already) and checked against
// the action's ResponseValidation (STRING_MAP: a flat object of strings; at
// most 32 KB). Its ctx ends at the action's InvocationTimeLimitSeconds (at
// most 8 s): a function still running then, or one that fails or panics,
// sends the task down the action's Error branch. An error wrapping
// ErrFlowThrottled is retried, up to 3 times within the limit.
type FlowFunction func(ctx context.Context, call FlowCall) (any, error)

// ErrFlowThrottled is what a FlowFunction returns (wrapped or not) for a
// failure worth retrying, as a throttled Lambda is.
var ErrFlowThrottled = flow.ErrThrottled

// FlowCall is the input of a FlowFunction.
type FlowCall struct {
	// Function is the name or ARN the flow gave.
	Function string
	// Task is a copy of the task, as the flow left it before the call.
	Task *Task
	// Parameters are the action's LambdaInvocationAttributes, resolved.
	Parameters map[string]string
	// Attempt is 1 for the first call, up to 4 with retries. A call that a
	// restart interrupted is made again (see docs/flows.md).
	Attempt int
}

// NewFlowRunner returns a runner with no flows; opts may be nil.
func NewFlowRunner(opts *FlowRunnerOptions) *FlowRunner {
	fr := &FlowRunner{flows: map[string]*Flow{}, funcs: map[string]FlowFunction{}, runs: map[string]*flowRun{}}
	if opts != nil {
		fr.opts = *opts
	}
	if fr.opts.Workers <= 0 {
		fr.opts.Workers = 4
	}
	fr.opts.Workers = min(fr.opts.Workers, MaxFlowWorkers)
	if fr.opts.MaxSteps <= 0 {
		fr.opts.MaxSteps = flow.DefaultMaxSteps
	}
	if fr.opts.Logger == nil {
		fr.opts.Logger = slog.New(slog.DiscardHandler)
	}
	fr.cond = sync.NewCond(&fr.mu)
	fr.ctx, fr.cancel = context.WithCancel(context.Background())
	return fr
}

// PutFlow registers f under id, replacing the flow of that ID (runs already
// under way keep the flow they started with until their next step). f must
// have been validated (LoadFlow, FlowBuilder.Build or Flow.Validate). A flow
// is found by its ID or by a Connect ARN ending in /contact-flow/ID.
func (fr *FlowRunner) PutFlow(id string, f *Flow) error {
	switch {
	case id == "" || len(id) > MaxIDLen:
		return invalid("flow ID", id, fmt.Sprintf("1..%d bytes", MaxIDLen))
	case f == nil || f.prog == nil:
		return invalid("flow", id, "must be validated (LoadFlow, FlowBuilder.Build or Flow.Validate)")
	}
	fr.mu.Lock()
	defer fr.mu.Unlock()
	fr.flows[id] = f
	return nil
}

// RegisterFunction registers fn as the host function name: a flow reaches
// it by that name, or by a Lambda ARN whose function name is name
// (arn:aws:lambda:region:account:function:name, with or without a
// qualifier).
func (fr *FlowRunner) RegisterFunction(name string, fn FlowFunction) error {
	switch {
	case name == "" || len(name) > 140 || strings.ContainsAny(name, ":/"):
		return invalid("function name", name, "1..140 characters without ':' or '/'")
	case fn == nil:
		return invalid("function", name, "must not be nil")
	}
	fr.mu.Lock()
	defer fr.mu.Unlock()
	fr.funcs[name] = fn
	return nil
}

// HasFlow reports whether id names a registered flow (FlowStarter).
func (fr *FlowRunner) HasFlow(id string) bool {
	fr.mu.Lock()
	defer fr.mu.Unlock()
	return fr.flowLocked(id) != nil
}

// flowLocked finds a flow by ID or ARN; fr.mu is held.
func (fr *FlowRunner) flowLocked(ref string) *Flow {
	if f := fr.flows[ref]; f != nil {
		return f
	}
	if i := strings.LastIndex(ref, "/contact-flow/"); i >= 0 && strings.HasPrefix(ref, "arn:") {
		return fr.flows[ref[i+len("/contact-flow/"):]]
	}
	return nil
}

func (fr *FlowRunner) function(ref string) FlowFunction {
	fr.mu.Lock()
	defer fr.mu.Unlock()
	if fn := fr.funcs[ref]; fn != nil {
		return fn
	}
	// arn:aws:lambda:region:account:function:name[:qualifier]
	if parts := strings.Split(ref, ":"); len(parts) >= 7 && parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "function" {
		return fr.funcs[parts[6]]
	}
	return nil
}

// StartFlow queues the run of a task that entered IN_FLOW (FlowStarter).
func (fr *FlowRunner) StartFlow(taskID, flowID string) {
	fr.mu.Lock()
	defer fr.mu.Unlock()
	if fr.closed {
		return
	}
	if fr.r == nil {
		fr.early = append(fr.early, flowStart{taskID, flowID})
		return
	}
	fr.startLocked(taskID, flowID)
}

func (fr *FlowRunner) startLocked(taskID, flowID string) {
	if fr.runs[taskID] != nil {
		return
	}
	h := fnv.New64a()
	h.Write([]byte(taskID))
	run := &flowRun{taskID: taskID, rec: flowRecord{FlowID: flowID, Run: flow.NewState(fr.opts.Seed ^ h.Sum64())}}
	fr.runs[taskID] = run
	fr.queueLocked(run)
}

func (fr *FlowRunner) queueLocked(run *flowRun) {
	if run.queued {
		return
	}
	run.queued = true
	fr.pending = append(fr.pending, run.taskID)
	fr.cond.Broadcast()
}

// Bind attaches the runner to r, whose Config.Flows it must be, resumes the
// runs of r's IN_FLOW tasks (from the FlowStore when r's Store implements
// it, from the first action otherwise), forgets stored runs of tasks no
// longer IN_FLOW, and starts the workers. Call it once, after NewRouter.
func (fr *FlowRunner) Bind(r *Router) error {
	if r == nil || r.cfg.Flows != FlowStarter(fr) {
		return errors.New("switchboard: FlowRunner.Bind: the router's Config.Flows is not this runner")
	}
	fr.mu.Lock()
	if fr.r != nil || fr.closed {
		fr.mu.Unlock()
		return errors.New("switchboard: FlowRunner.Bind: already bound or closed")
	}
	fr.mu.Unlock()
	ctx := fr.ctx
	store, _ := r.store.s.(FlowStore)
	stored := map[string]*FlowRun{}
	if store != nil {
		runs, err := store.FlowRuns(ctx)
		if err != nil {
			return &StoreError{Op: "load flow runs", Err: err}
		}
		for _, run := range runs {
			if run != nil {
				stored[run.TaskID] = run
			}
		}
	}
	var inFlow []*Task
	for t, err := range r.Tasks(TaskQuery{States: []TaskState{StateInFlow}}) {
		if err != nil {
			return err
		}
		inFlow = append(inFlow, t)
	}
	fr.mu.Lock()
	defer fr.mu.Unlock()
	fr.r, fr.clock, fr.store = r, r.clock, store
	for _, t := range inFlow {
		fr.startLocked(t.ID, t.FlowID)
		run := fr.runs[t.ID]
		sr := stored[t.ID]
		delete(stored, t.ID)
		if sr == nil {
			continue
		}
		var rec flowRecord
		if err := json.Unmarshal(sr.State, &rec); err != nil {
			fr.opts.Logger.Warn("switchboard: flow run unreadable; the flow starts again", "task", t.ID, "err", err)
			continue
		}
		if rec.InFlight != "" {
			rec.Restarts++ // the host call was interrupted: retried once, then the Error branch
		}
		run.rec = rec
		if until := rec.Run.WaitUntil; !until.IsZero() && until.After(fr.clock.Now()) {
			fr.pending = fr.pending[:len(fr.pending)-1] // parked: its timer queues it
			run.queued = false
			fr.parkLocked(run, until)
		}
	}
	for id := range stored {
		if err := store.DeleteFlowRun(ctx, id); err != nil {
			fr.opts.Logger.Warn("switchboard: stale flow run not deleted", "task", id, "err", err)
		}
	}
	for _, s := range fr.early {
		if fr.runs[s.taskID] == nil {
			fr.startLocked(s.taskID, s.flowID)
		}
	}
	fr.early = nil
	for range fr.opts.Workers {
		fr.workers.Add(1)
		go fr.work()
	}
	return nil
}

// parkLocked arms the clock to queue run at until.
func (fr *FlowRunner) parkLocked(run *flowRun, until time.Time) {
	if run.cancelWait != nil {
		run.cancelWait()
	}
	if !until.After(fr.clock.Now()) {
		fr.queueLocked(run) // fell due already (a restart after a long stop)
		return
	}
	id := run.taskID
	run.cancelWait = fr.clock.AfterFunc(until.Sub(fr.clock.Now()), func() {
		fr.mu.Lock()
		defer fr.mu.Unlock()
		if run := fr.runs[id]; run != nil && !fr.closed {
			run.cancelWait = nil
			fr.queueLocked(run)
		}
	})
}

// Wait blocks until no run is ready or stepping: every task in a flow is
// parked in a Wait, or has left its flow. With a ManualClock, a test creates
// tasks or advances the clock, then calls Wait to see what the flows did.
func (fr *FlowRunner) Wait(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		fr.mu.Lock()
		fr.cond.Broadcast()
		fr.mu.Unlock()
	})
	defer stop()
	fr.mu.Lock()
	defer fr.mu.Unlock()
	for len(fr.pending) > 0 || fr.busy > 0 {
		if fr.closed || fr.r == nil {
			return errors.New("switchboard: FlowRunner.Wait: runner not bound or closed")
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		fr.cond.Wait()
	}
	return nil
}

// Runs returns how many tasks have a run in this runner (stepping, ready or
// parked in a Wait).
func (fr *FlowRunner) Runs() int {
	fr.mu.Lock()
	defer fr.mu.Unlock()
	return len(fr.runs)
}

// Close stops the runner: parked waits are cancelled, host calls under way
// are cancelled through their ctx, and Close waits for the workers until
// ctx ends. Runs are not ended: their tasks stay IN_FLOW, and a runner bound
// to a router over the same store resumes them. Close the runner before
// the router.
func (fr *FlowRunner) Close(ctx context.Context) error {
	fr.mu.Lock()
	if !fr.closed {
		fr.closed = true
		fr.cancel()
		for _, run := range fr.runs {
			if run.cancelWait != nil {
				run.cancelWait()
				run.cancelWait = nil
			}
		}
		fr.cond.Broadcast()
	}
	fr.mu.Unlock()
	done := make(chan struct{})
	go func() { fr.workers.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("switchboard: FlowRunner.Close: %w", ctx.Err())
	}
}

func (fr *FlowRunner) work() {
	defer fr.workers.Done()
	fr.mu.Lock()
	defer fr.mu.Unlock()
	for {
		for len(fr.pending) == 0 && !fr.closed {
			fr.cond.Wait()
		}
		if fr.closed {
			return
		}
		id := fr.pending[0]
		fr.pending = fr.pending[1:]
		run := fr.runs[id]
		if run == nil {
			continue
		}
		run.queued = false
		fr.busy++
		fr.mu.Unlock()
		done := fr.step(run)
		fr.mu.Lock()
		fr.busy--
		if done {
			delete(fr.runs, id)
		}
		fr.cond.Broadcast()
	}
}
