package flow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Run-time sentinels.
var (
	// ErrQueueAtCapacity is what Host.TransferToQueue returns (wrapped or
	// not) when the target queue is full: the flow takes QueueAtCapacity.
	ErrQueueAtCapacity = errors.New("queue at capacity")
	// ErrThrottled is what a host function returns (wrapped or not) for a
	// failure worth retrying, the analogue of a Lambda throttle or 5xx. Other
	// errors take the Error branch at once.
	ErrThrottled = errors.New("host function throttled")
	// ErrStepBudget ends a run that took more actions than RunOptions.MaxSteps.
	ErrStepBudget = errors.New("flow step budget exhausted")
	// ErrUnhandled ends a run when an action fails and the flow has no branch
	// for the failure.
	ErrUnhandled = errors.New("flow error with no branch")
	// ErrFinished is returned when Run is called on a state whose run ended.
	ErrFinished = errors.New("flow run already finished")
	// ErrActionFailed is the cause recorded when an action takes its Error
	// branch; the result's Err is nil in that case, the branch is not a failure
	// of the run. It is used in ErrUnhandled messages.
	ErrActionFailed = errors.New("action failed")
)

// DefaultMaxSteps is the step budget of one Run when RunOptions.MaxSteps is 0.
const DefaultMaxSteps = 1000

// Host is everything a flow can do to its task. The Router implements it for a
// task in IN_FLOW; tests implement it with a fake. Methods are called from the
// goroutine that called Run, one at a time.
type Host interface {
	// Now is the time, from the router's clock.
	Now() time.Time
	// Lookup resolves a JSON path of the contact: ["Attributes", key],
	// ["Name"], ["Description"], ["Channel"], ["Queue", "Name"],
	// ["References", name, "Value"], ... It reports false when the path does
	// not resolve. $.External and $.FlowAttributes are the interpreter's own.
	Lookup(path []string) (string, bool)
	// SetAttributes merges attrs into the task's attributes, all or none.
	SetAttributes(ctx context.Context, attrs map[string]string) error
	// SetTargetQueue sets the working queue (or, with Agent, the agent's queue).
	SetTargetQueue(ctx context.Context, t Target) error
	// TransferToQueue enqueues the task in its working queue; the flow ends
	// when it returns nil. ErrQueueAtCapacity takes the QueueAtCapacity branch.
	TransferToQueue(ctx context.Context) error
	// SetRoutingBehavior sets the task's priority or moves its queue age.
	SetRoutingBehavior(ctx context.Context, b RoutingBehavior) error
	// Invoke calls the host function named function (a name or an ARN, as the
	// flow gives it) and returns its JSON response. ctx carries the
	// invocation's time limit.
	Invoke(ctx context.Context, function string, in Invocation) ([]byte, error)
}

// Checkpointer is an optional Host capability: a host that persists runs is
// given the state just before each host function call (Position is the
// InvokeLambdaFunction action), so a run interrupted inside the call can be
// resumed by calling the function again. An error takes the action's Error
// branch without calling the function.
type Checkpointer interface {
	Checkpoint(ctx context.Context, st *State) error
}

// Tracer is an optional Host capability told of each action as the run
// starts it: for action events and flow logging.
type Tracer interface {
	Trace(action, actionType string)
}

// Target is the working queue a flow sets.
type Target struct {
	Queue string // queue ID or ARN, or agent ID or ARN when Agent
	Agent bool
}

// RoutingBehavior is what UpdateContactRoutingBehavior sets: either a
// priority (1 is the most urgent) or an age adjustment, never both.
type RoutingBehavior struct {
	Priority      int64         // 0: unchanged
	AgeAdjustment time.Duration // added to the task's time in queue
}

// Invocation is the input of a host function.
type Invocation struct {
	Parameters map[string]string // LambdaInvocationAttributes, resolved
	Attempt    int               // 1 for the first call, up to 1+MaxInvokeRetries
}

// State is a run's position and memory: a plain value, serialisable with
// encoding/json, so a caller can persist it and resume a run after a restart.
type State struct {
	// Position is the identifier of the action to run next, or of the Wait
	// the run is parked in; "" before the first Run.
	Position string `json:",omitempty"`
	// FlowAttributes are $.FlowAttributes, set by UpdateFlowAttributes.
	FlowAttributes map[string]string `json:",omitempty"`
	// External is the last host function's response, $.External.
	External json.RawMessage `json:",omitempty"`
	// Loops counts, per Loop identifier, the ContinueLooping results given.
	Loops map[string]int `json:",omitempty"`
	// WaitUntil is the deadline of the Wait at Position, zero when not waiting.
	WaitUntil time.Time `json:",omitzero"`
	// Rand is the state of the generator DistributeByPercentage draws from.
	Rand uint64 `json:",omitempty"`
	// Steps is the number of actions run so far, over all Runs.
	Steps int `json:",omitempty"`
	// Done is set when the run ended (any status but Waiting).
	Done bool `json:",omitempty"`

	ext    any // External, decoded; rebuilt on demand
	extSet bool
}

// NewState returns the state of a run that has not started, with seed for
// DistributeByPercentage.
func NewState(seed uint64) State { return State{Rand: seed} }

// Status says where a run stopped.
type Status uint8

const (
	StatusEnded        Status = iota + 1 // EndFlowExecution
	StatusEnqueued                       // TransferContactToQueue succeeded
	StatusWaiting                        // parked in Wait until Result.Until
	StatusDisconnected                   // DisconnectParticipant
	StatusFailed                         // Result.Err says why
	StatusTransferred                    // TransferToFlow: run Result.Flow from its start
)

var statusNames = [...]string{"", "ended", "enqueued", "waiting", "disconnected", "failed", "transferred"}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "Status(" + strconv.Itoa(int(s)) + ")"
}

// Result is where a Run stopped.
type Result struct {
	Status Status
	Action string    // identifier of the last action run
	Until  time.Time // StatusWaiting: when to call Run again
	Err    error     // StatusFailed: why
	Flow   string    // StatusTransferred: the flow to run next, as the action names it

	interrupted bool // ctx ended inside the action: resumable, not Done
}

// RunOptions tune one Run.
type RunOptions struct {
	// MaxSteps cuts a run that takes more actions; DefaultMaxSteps when 0.
	MaxSteps int
}

type runner struct {
	ctx context.Context
	p   *Program
	st  *State
	h   Host
}

// Run runs p for one task from st until the flow ends, enqueues the task,
// parks in a Wait, or fails. Call it again on a Waiting result once Until has
// passed (earlier calls return Waiting again). st is updated in place.
// When ctx ends, the run stops before the next action, or inside a host
// function call, with StatusFailed and st not Done: calling Run again
// resumes at that action (calling the host function again).
func Run(ctx context.Context, p *Program, st *State, h Host, opts RunOptions) Result {
	if st.Done {
		return Result{Status: StatusFailed, Action: st.Position, Err: ErrFinished}
	}
	max := opts.MaxSteps
	if max <= 0 {
		max = DefaultMaxSteps
	}
	r := runner{ctx: ctx, p: p, st: st, h: h}
	tr, _ := h.(Tracer)
	cur := p.start
	if st.Position != "" {
		i, ok := p.index[st.Position]
		if !ok {
			return r.finish(Result{Status: StatusFailed, Action: st.Position,
				Err: fmt.Errorf("%w: position %q is not an action of this flow", ErrUnhandled, st.Position)})
		}
		cur = i
	}
	if !st.WaitUntil.IsZero() {
		n := &p.nodes[cur]
		if now := h.Now(); now.Before(st.WaitUntil) {
			return Result{Status: StatusWaiting, Action: n.id, Until: st.WaitUntil}
		}
		st.WaitUntil = time.Time{}
		next, res := r.condition(n, "WaitCompleted")
		if res != nil {
			return r.finish(*res)
		}
		cur = next
	}
	for steps := 0; ; steps++ {
		n := &p.nodes[cur]
		st.Position = n.id
		if err := ctx.Err(); err != nil {
			return Result{Status: StatusFailed, Action: n.id, Err: err} // resumable: not Done
		}
		if steps >= max {
			return r.finish(Result{Status: StatusFailed, Action: n.id,
				Err: fmt.Errorf("%w: %d actions in one run", ErrStepBudget, max)})
		}
		st.Steps++
		if tr != nil {
			tr.Trace(n.id, n.typ)
		}
		next, res := r.step(n)
		if res != nil {
			if res.Status == StatusWaiting || res.interrupted {
				return *res
			}
			return r.finish(*res)
		}
		cur = next
	}
}

func (r *runner) finish(res Result) Result {
	r.st.Done = true
	r.st.WaitUntil = time.Time{}
	return res
}

// goTo follows a transition, failing the run when there is none.
func (r *runner) goTo(n *node, next int) (int, *Result) {
	if next < 0 {
		return 0, &Result{Status: StatusFailed, Action: n.id,
			Err: fmt.Errorf("%w: %s %q has no NextAction", ErrUnhandled, n.typ, n.id)}
	}
	return next, nil
}

// branch takes the Error branch named typ, else NoMatchingError, else (when
// orNext) NextAction; with none of them the run fails.
func (r *runner) branch(n *node, typ string, cause error, orNext bool) (int, *Result) {
	for _, want := range [2]string{typ, "NoMatchingError"} {
		for _, e := range n.errs {
			if e.typ == want {
				return e.next, nil
			}
		}
	}
	if orNext && n.next >= 0 {
		return n.next, nil
	}
	return 0, &Result{Status: StatusFailed, Action: n.id,
		Err: fmt.Errorf("%w: %s %q: %s: %v", ErrUnhandled, n.typ, n.id, typ, cause)}
}

// condition follows the condition whose operand is want (Loop, Wait).
func (r *runner) condition(n *node, want string) (int, *Result) {
	for _, c := range n.conds {
		if c.operand == want {
			return c.next, nil
		}
	}
	return r.branch(n, "NoMatchingCondition", errors.New("no condition "+want), false)
}

func (r *runner) step(n *node) (int, *Result) {
	ctx, h, st := r.ctx, r.h, r.st
	switch n.kind {
	case kindSetAttributes:
		p := n.params.(setAttributesParams)
		if p.related {
			return r.branch(n, "NoMatchingError", errors.New("TargetContact Related: a task has no related contact here"), false)
		}
		attrs := make(map[string]string, len(p.attrs))
		for _, a := range p.attrs {
			attrs[a.key], _ = r.resolve(a.val)
		}
		if err := h.SetAttributes(ctx, attrs); err != nil {
			return r.branch(n, "NoMatchingError", err, false)
		}
		return r.goTo(n, n.next)
	case kindCompare:
		v, ok := r.resolve(n.params.(compareParams).value)
		if ok {
			for _, c := range n.conds {
				if match(c, v) {
					return c.next, nil
				}
			}
		}
		return r.branch(n, "NoMatchingCondition", errors.New("no condition matched"), true)
	case kindDistribute:
		draw := 1 + int(splitmix(&st.Rand)%100)
		for _, c := range n.conds {
			if c.isNum && float64(draw) < c.num {
				return c.next, nil
			}
		}
		return r.branch(n, "NoMatchingCondition", errors.New("no condition matched"), true)
	case kindInvoke:
		return r.invoke(n)
	case kindSetQueue:
		p := n.params.(setQueueParams)
		q, ok := r.resolve(p.queue)
		if !ok || q == "" {
			return r.branch(n, "NoMatchingError", fmt.Errorf("%s resolves to nothing", p.queue.text), false)
		}
		if err := h.SetTargetQueue(ctx, Target{Queue: q, Agent: p.agent}); err != nil {
			return r.branch(n, "NoMatchingError", err, false)
		}
		return r.goTo(n, n.next)
	case kindTransfer:
		err := h.TransferToQueue(ctx)
		if err == nil {
			return 0, &Result{Status: StatusEnqueued, Action: n.id}
		}
		if errors.Is(err, ErrQueueAtCapacity) {
			return r.branch(n, "QueueAtCapacity", err, true)
		}
		return r.branch(n, "NoMatchingError", err, true)
	case kindRoutingBehavior:
		p := n.params.(routingParams)
		var b RoutingBehavior
		if p.priority != nil {
			v, err := r.number(*p.priority)
			if err != nil {
				return r.branch(n, "NoMatchingError", err, false)
			}
			b.Priority = v
		} else {
			v, err := r.number(*p.age)
			if err != nil {
				return r.branch(n, "NoMatchingError", err, false)
			}
			b.AgeAdjustment = time.Duration(v) * time.Second
		}
		if err := h.SetRoutingBehavior(ctx, b); err != nil {
			return r.branch(n, "NoMatchingError", err, false)
		}
		return r.goTo(n, n.next)
	case kindWait:
		secs, err := r.number(n.params.(waitParams).limit)
		if err != nil {
			return r.branch(n, "NoMatchingError", err, false)
		}
		st.WaitUntil = h.Now().Add(time.Duration(secs) * time.Second)
		return 0, &Result{Status: StatusWaiting, Action: n.id, Until: st.WaitUntil}
	case kindLoop:
		count, err := r.number(n.params.(loopParams).count)
		if err != nil {
			return r.branch(n, "NoMatchingError", err, false)
		}
		done := st.Loops[n.id]
		if int64(done) < count {
			if st.Loops == nil {
				st.Loops = map[string]int{}
			}
			st.Loops[n.id] = done + 1
			return r.condition(n, "ContinueLooping")
		}
		delete(st.Loops, n.id)
		return r.condition(n, "DoneLooping")
	case kindFlowAttributes:
		p := n.params.(flowAttrsParams)
		if st.FlowAttributes == nil {
			st.FlowAttributes = make(map[string]string, len(p.attrs))
		}
		vals := make([]string, len(p.attrs)) // resolve all first: all or none
		for i, a := range p.attrs {
			vals[i], _ = r.resolve(a.val)
		}
		for i, a := range p.attrs {
			st.FlowAttributes[a.key] = vals[i]
		}
		return r.goTo(n, n.next)
	case kindEnd:
		return 0, &Result{Status: StatusEnded, Action: n.id}
	case kindDisconnect:
		return 0, &Result{Status: StatusDisconnected, Action: n.id}
	case kindNoEffect:
		return r.goTo(n, n.next)
	case kindNotForTasks:
		return r.branch(n, "NoMatchingError", errors.New(n.params.(notForTaskParams).why), true)
	case kindNotYet:
		return r.branch(n, "NoMatchingError", errors.New("not run by this version's interpreter"), false)
	default:
		return r.stepMore(n)
	}
}

func match(c cond, v string) bool {
	switch c.op {
	case opEquals:
		return v == c.operand
	case opStartsWith:
		return strings.HasPrefix(v, c.operand)
	case opEndsWith:
		return strings.HasSuffix(v, c.operand)
	case opContains:
		return strings.Contains(v, c.operand)
	}
	if !c.isNum {
		return false
	}
	x, ok := number(v)
	if !ok {
		return false
	}
	switch c.op {
	case opGT:
		return x > c.num
	case opGE:
		return x >= c.num
	case opLT:
		return x < c.num
	case opLE:
		return x <= c.num
	}
	return false
}

// number resolves an integer parameter and checks its range.
func (r *runner) number(v numValue) (int64, error) {
	if v.path == nil {
		return v.n, nil
	}
	s, ok := r.lookup(v.path)
	if !ok {
		return 0, fmt.Errorf("JSON path %s resolves to nothing", strings.Join(v.path, "."))
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("JSON path %s is %q, not an integer", strings.Join(v.path, "."), shorten(s))
	}
	if n < v.min || n > v.max {
		return 0, fmt.Errorf("JSON path %s is %d, outside %d..%d", strings.Join(v.path, "."), n, v.min, v.max)
	}
	return n, nil
}

// resolve returns a value's text; a JSON path that does not resolve gives
// "" and false.
func (r *runner) resolve(v value) (string, bool) {
	if v.path == nil {
		return v.text, true
	}
	return r.lookup(v.path)
}

func (r *runner) lookup(path []string) (string, bool) {
	switch path[0] {
	case "External":
		return r.external(path[1:])
	case "FlowAttributes":
		if len(path) != 2 {
			return "", false
		}
		s, ok := r.st.FlowAttributes[path[1]]
		return s, ok
	}
	return r.h.Lookup(path)
}

func (r *runner) external(path []string) (string, bool) {
	st := r.st
	if len(st.External) == 0 {
		return "", false
	}
	if !st.extSet {
		d := json.NewDecoder(bytes.NewReader(st.External))
		d.UseNumber()
		st.ext, st.extSet = nil, true
		_ = d.Decode(&st.ext)
	}
	v := st.ext
	for _, seg := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return "", false
		}
		if v, ok = m[seg]; !ok {
			return "", false
		}
	}
	return text(v)
}

// text renders a JSON value the way a flow reads it: strings as they are,
// numbers and booleans as their JSON text, objects and arrays as compact JSON;
// null does not resolve.
func text(v any) (string, bool) {
	switch v := v.(type) {
	case nil:
		return "", false
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		return strconv.FormatBool(v), true
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", false
	}
	return string(b), true
}

func (r *runner) invoke(n *node) (int, *Result) {
	p := n.params.(invokeParams)
	fn, ok := r.resolve(p.fn)
	if !ok || fn == "" {
		return r.branch(n, "NoMatchingError", fmt.Errorf("LambdaFunctionARN %s resolves to nothing", p.fn.text), false)
	}
	if p.async {
		return r.branch(n, "NoMatchingError", errors.New("ASYNCHRONOUS invocation is not supported yet"), false)
	}
	params := make(map[string]string, len(p.attrs))
	for _, a := range p.attrs {
		params[a.key], _ = r.resolve(a.val)
	}
	if cp, ok := r.h.(Checkpointer); ok {
		if err := cp.Checkpoint(r.ctx, r.st); err != nil {
			return r.branch(n, "NoMatchingError", err, false)
		}
	}
	ctx, cancel := context.WithTimeout(r.ctx, time.Duration(p.limit)*time.Second)
	defer cancel()
	var body []byte
	var err error
	for attempt := 1; attempt <= 1+MaxInvokeRetries; attempt++ {
		body, err = call(ctx, r.h, fn, Invocation{Parameters: params, Attempt: attempt})
		if err == nil || !errors.Is(err, ErrThrottled) || ctx.Err() != nil {
			break
		}
	}
	if err != nil && r.ctx.Err() != nil {
		// The run's own ctx ended (the host is shutting down), not the
		// call's time limit: the run stops here, resumable at this action.
		return 0, &Result{Status: StatusFailed, Action: n.id, Err: r.ctx.Err(), interrupted: true}
	}
	if err != nil {
		return r.branch(n, "NoMatchingError", err, false)
	}
	if len(body) > MaxResponseBytes {
		return r.branch(n, "NoMatchingError", fmt.Errorf("response of %d bytes, at most %d", len(body), MaxResponseBytes), false)
	}
	if err := validateResponse(body, p.json); err != nil {
		return r.branch(n, "NoMatchingError", err, false)
	}
	var buf bytes.Buffer
	_ = json.Compact(&buf, body)
	r.st.External, r.st.ext, r.st.extSet = buf.Bytes(), nil, false
	return r.goTo(n, n.next)
}

// call runs the host function and gives up when ctx ends, even if the
// function does not: a function that ignores its context keeps its goroutine
// until it returns, but the flow moves on.
func call(ctx context.Context, h Host, fn string, in Invocation) ([]byte, error) {
	type out struct {
		b   []byte
		err error
	}
	ch := make(chan out, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				ch <- out{err: fmt.Errorf("host function %q panicked: %v", fn, p)}
			}
		}()
		b, err := h.Invoke(ctx, fn, in)
		ch <- out{b, err}
	}()
	select {
	case o := <-ch:
		if o.err == nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return o.b, o.err
	case <-ctx.Done():
		return nil, fmt.Errorf("host function %q: %w", fn, ctx.Err())
	}
}

func validateResponse(body []byte, anyJSON bool) error {
	if anyJSON {
		if !json.Valid(body) {
			return errors.New("response is not valid JSON")
		}
		return nil
	}
	var m map[string]string
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		return errors.New("response is not a flat object of strings (ResponseType STRING_MAP)")
	}
	return nil
}

// splitmix advances a splitmix64 generator: small, fast and serialisable.
func splitmix(s *uint64) uint64 {
	*s += 0x9e3779b97f4a7c15
	z := *s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
