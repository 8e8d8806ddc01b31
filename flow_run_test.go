package switchboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-go/switchboard/internal/flow"
)

// fakeFlowHost is a task seen by a flow: attributes, working queue, priority,
// queues with a capacity, and host functions by name, on a manual clock.
type fakeFlowHost struct {
	clock    *ManualClock
	attrs    map[string]string
	fields   map[string]string // Name, Channel, ...
	queue    string
	agent    bool
	full     map[string]bool // queues at capacity
	enqueued string
	priority int64
	age      time.Duration
	funcs    map[string]func(ctx context.Context, in flow.Invocation) ([]byte, error)
	calls    []string
}

func newFakeFlowHost() *fakeFlowHost {
	return &fakeFlowHost{
		clock:  NewManualClock(time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)),
		attrs:  map[string]string{},
		fields: map[string]string{"Channel": "TASK", "Name": "Claim 42"},
		full:   map[string]bool{},
		funcs:  map[string]func(context.Context, flow.Invocation) ([]byte, error){},
	}
}

func (h *fakeFlowHost) Now() time.Time { return h.clock.Now() }
func (h *fakeFlowHost) Lookup(path []string) (string, bool) {
	if len(path) == 2 && path[0] == "Attributes" {
		v, ok := h.attrs[path[1]]
		return v, ok
	}
	if len(path) == 2 && path[0] == "Queue" && path[1] == "ARN" && h.queue != "" {
		return h.queue, true
	}
	v, ok := h.fields[strings.Join(path, ".")]
	return v, ok
}
func (h *fakeFlowHost) SetAttributes(_ context.Context, attrs map[string]string) error {
	h.calls = append(h.calls, "SetAttributes")
	for k, v := range attrs {
		if v == "refuse" {
			return errors.New("refused")
		}
		h.attrs[k] = v
	}
	return nil
}
func (h *fakeFlowHost) SetTargetQueue(_ context.Context, t flow.Target) error {
	h.calls = append(h.calls, "SetTargetQueue "+t.Queue)
	if t.Queue == "missing" {
		return ErrNotFound
	}
	h.queue, h.agent = t.Queue, t.Agent
	return nil
}
func (h *fakeFlowHost) TransferToQueue(context.Context) error {
	h.calls = append(h.calls, "TransferToQueue "+h.queue)
	switch {
	case h.queue == "":
		return errors.New("no working queue")
	case h.full[h.queue]:
		return fmt.Errorf("%w: %w", ErrQueueAtCapacity, flow.ErrQueueAtCapacity)
	}
	h.enqueued = h.queue
	return nil
}
func (h *fakeFlowHost) SetRoutingBehavior(_ context.Context, b flow.RoutingBehavior) error {
	h.calls = append(h.calls, fmt.Sprintf("SetRoutingBehavior %d %s", b.Priority, b.AgeAdjustment))
	if b.Priority != 0 {
		h.priority = b.Priority
	}
	h.age += b.AgeAdjustment
	return nil
}
func (h *fakeFlowHost) Invoke(ctx context.Context, fn string, in flow.Invocation) ([]byte, error) {
	h.calls = append(h.calls, "Invoke "+fn)
	name := fn[strings.LastIndexByte(fn, ':')+1:] // a name or an ARN's last part
	f, ok := h.funcs[name]
	if !ok {
		return nil, fmt.Errorf("no host function %q", fn)
	}
	return f(ctx, in)
}

func loadTestFlow(t testing.TB, data []byte) *Flow {
	t.Helper()
	f, _, err := LoadFlow(data, FlowOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func runFlow(f *Flow, st *flow.State, h *fakeFlowHost) flow.Result {
	return flow.Run(context.Background(), f.prog, st, h, flow.RunOptions{})
}

func claimCorpus(t *testing.T) *Flow {
	data, err := os.ReadFile(filepath.Join("testdata", "flows", "valid", "insurance_claim.json"))
	if err != nil {
		t.Fatal(err)
	}
	return loadTestFlow(t, data)
}

const (
	claimPriorityQueue = "arn:aws:connect:eu-west-2:123456789012:instance/0d5c2a9e-3b7f-4e1d-9c8a-6f4b2e1d0c9a/queue/7a3e9c1b-2d4f-4a6b-8c0e-1f3a5b7d9e2c"
	claimStandardQueue = "arn:aws:connect:eu-west-2:123456789012:instance/0d5c2a9e-3b7f-4e1d-9c8a-6f4b2e1d0c9a/queue/c4e6a8b0-1d3f-4b5a-9e7c-2a4c6e8f0b1d"
)

func lookupReturning(tier string) func(context.Context, flow.Invocation) ([]byte, error) {
	return func(_ context.Context, in flow.Invocation) ([]byte, error) {
		if in.Parameters["policy"] != "P-7" || in.Parameters["source"] != "task" {
			return nil, fmt.Errorf("unexpected parameters %v", in.Parameters)
		}
		return json.Marshal(map[string]string{"name": "Ada", "tier": tier})
	}
}

func TestFlowInsuranceClaim(t *testing.T) {
	f := claimCorpus(t)
	for _, tc := range []struct {
		name, tier string
		full       []string
		fail       bool
		status     flow.Status
		queue      string
		priority   int64
	}{
		{name: "gold goes to the priority queue at priority 1", tier: "gold", status: flow.StatusEnqueued, queue: claimPriorityQueue, priority: 1},
		{name: "silver gets priority 3 in the standard queue", tier: "silver", status: flow.StatusEnqueued, queue: claimStandardQueue, priority: 3},
		{name: "bronze matches no condition", tier: "bronze", status: flow.StatusEnqueued, queue: claimStandardQueue},
		{name: "priority queue at capacity falls back", tier: "gold", full: []string{claimPriorityQueue}, status: flow.StatusEnqueued, queue: claimStandardQueue, priority: 1},
		{name: "both full disconnects", tier: "gold", full: []string{claimPriorityQueue, claimStandardQueue}, status: flow.StatusDisconnected, priority: 1},
		{name: "lookup failure takes the Error branch", fail: true, status: flow.StatusEnqueued, queue: claimStandardQueue},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newFakeFlowHost()
			h.attrs["policy_number"] = "P-7"
			h.funcs["claims-customer-lookup"] = lookupReturning(tc.tier)
			if tc.fail {
				h.funcs["claims-customer-lookup"] = func(context.Context, flow.Invocation) ([]byte, error) { return nil, errors.New("crm down") }
			}
			for _, q := range tc.full {
				h.full[q] = true
			}
			st := flow.NewState(1)
			res := runFlow(f, &st, h)
			if res.Status != tc.status || h.enqueued != tc.queue || h.priority != tc.priority {
				t.Fatalf("result %+v, enqueued %q, priority %d; calls %v", res, h.enqueued, h.priority, h.calls)
			}
			if !tc.fail && h.attrs["customer_name"] != "Ada" {
				t.Fatalf("attributes %v", h.attrs)
			}
		})
	}
}

// flowOf builds a one-purpose flow from actions written as JSON.
func flowOf(t testing.TB, start string, actions ...string) *Flow {
	t.Helper()
	return loadTestFlow(t, []byte(`{"Version":"2019-10-30","StartAction":"`+start+`","Actions":[`+strings.Join(append(actions,
		`{"Identifier":"ok","Type":"EndFlowExecution","Parameters":{},"Transitions":{}}`,
		`{"Identifier":"err","Type":"DisconnectParticipant","Parameters":{},"Transitions":{}}`,
		`{"Identifier":"other","Type":"DisconnectParticipant","Parameters":{},"Transitions":{}}`), ",")+`]}`))
}

// ends reports which terminal action a run reached: "ok", "err" or "other".
func ends(t *testing.T, f *Flow, h *fakeFlowHost) (string, flow.State) {
	t.Helper()
	st := flow.NewState(7)
	res := runFlow(f, &st, h)
	if res.Status != flow.StatusEnded && res.Status != flow.StatusDisconnected {
		t.Fatalf("run stopped with %+v", res)
	}
	return res.Action, st
}

func TestFlowUpdateContactAttributes(t *testing.T) {
	f := flowOf(t, "a", `{"Identifier":"a","Type":"UpdateContactAttributes","Parameters":{"Attributes":{"copy":"$.Attributes.src","name":"$.Name","none":"$.Attributes.nope","static":"x"},"TargetContact":"Current"},"Transitions":{"NextAction":"ok","Errors":[{"NextAction":"err","ErrorType":"NoMatchingError"}]}}`)
	h := newFakeFlowHost()
	h.attrs["src"] = "v1"
	if end, _ := ends(t, f, h); end != "ok" {
		t.Fatalf("ended at %s", end)
	}
	want := map[string]string{"src": "v1", "copy": "v1", "name": "Claim 42", "none": "", "static": "x"}
	if fmt.Sprint(h.attrs) != fmt.Sprint(want) {
		t.Fatalf("attributes %v", h.attrs)
	}
	h = newFakeFlowHost()
	h.attrs["src"] = "refuse"
	if end, _ := ends(t, f, h); end != "err" {
		t.Fatalf("refused write ended at %s", end)
	}
	related := flowOf(t, "a", `{"Identifier":"a","Type":"UpdateContactAttributes","Parameters":{"Attributes":{"k":"v"},"TargetContact":"Related"},"Transitions":{"NextAction":"ok","Errors":[{"NextAction":"err","ErrorType":"NoMatchingError"}]}}`)
	if end, _ := ends(t, related, newFakeFlowHost()); end != "err" {
		t.Fatalf("Related ended at %s", end)
	}
}

func TestFlowCompareOperators(t *testing.T) {
	for _, tc := range []struct {
		op, operand, value string
		match              bool
	}{
		{"Equals", "gold", "gold", true}, {"Equals", "gold", "Gold", false},
		{"TextStartsWith", "CLM-", "CLM-9", true}, {"TextStartsWith", "CLM-", "X-CLM-", false},
		{"TextEndsWith", ".pdf", "a.pdf", true}, {"TextEndsWith", ".pdf", "a.pdf.exe", false},
		{"TextContains", "urgent", "very urgent claim", true}, {"TextContains", "urgent", "calm", false},
		{"NumberGreaterThan", "10", "10.5", true}, {"NumberGreaterThan", "10", "10", false},
		{"NumberGreaterOrEqualTo", "10", "10", true}, {"NumberGreaterOrEqualTo", "10", "9.99", false},
		{"NumberLessThan", "10", "-3", true}, {"NumberLessThan", "10", "10", false},
		{"NumberLessOrEqualTo", "10", "10", true}, {"NumberLessOrEqualTo", "10", "11", false},
		{"NumberGreaterThan", "10", "eleven", false}, {"NumberLessThan", "ten", "1", false},
	} {
		f := flowOf(t, "c", fmt.Sprintf(`{"Identifier":"c","Type":"Compare","Parameters":{"ComparisonValue":"$.Attributes.v"},"Transitions":{"NextAction":"other","Conditions":[{"NextAction":"ok","Condition":{"Operator":%q,"Operands":[%q]}}],"Errors":[{"NextAction":"err","ErrorType":"NoMatchingCondition"}]}}`, tc.op, tc.operand))
		h := newFakeFlowHost()
		h.attrs["v"] = tc.value
		end, _ := ends(t, f, h)
		if (end == "ok") != tc.match || (!tc.match && end != "err") {
			t.Errorf("%q %s %q: ended at %s", tc.value, tc.op, tc.operand, end)
		}
	}
}

func TestFlowCompareFirstMatchWinsAndUnresolved(t *testing.T) {
	f := flowOf(t, "c", `{"Identifier":"c","Type":"Compare","Parameters":{"ComparisonValue":"$.Attributes.v"},"Transitions":{"NextAction":"other","Conditions":[
		{"NextAction":"ok","Condition":{"Operator":"NumberGreaterThan","Operands":["5"]}},
		{"NextAction":"other","Condition":{"Operator":"NumberGreaterThan","Operands":["1"]}}],"Errors":[{"NextAction":"err","ErrorType":"NoMatchingCondition"}]}}`)
	h := newFakeFlowHost()
	h.attrs["v"] = "9"
	if end, _ := ends(t, f, h); end != "ok" {
		t.Fatalf("first match: %s", end)
	}
	if end, _ := ends(t, f, newFakeFlowHost()); end != "err" {
		t.Fatalf("unresolved path: %s", end)
	}
	// Without a NoMatchingCondition branch, NextAction is the default.
	g := flowOf(t, "c", `{"Identifier":"c","Type":"Compare","Parameters":{"ComparisonValue":"$.Channel"},"Transitions":{"NextAction":"other","Conditions":[{"NextAction":"ok","Condition":{"Operator":"Equals","Operands":["VOICE"]}}]}}`)
	if end, _ := ends(t, g, newFakeFlowHost()); end != "other" {
		t.Fatalf("default: %s", end)
	}
}

func invokeFlow(t testing.TB, params string) *Flow {
	return flowOf(t, "i", `{"Identifier":"i","Type":"InvokeLambdaFunction","Parameters":{`+params+`},"Transitions":{"NextAction":"save","Errors":[{"NextAction":"err","ErrorType":"NoMatchingError"}]}}`,
		`{"Identifier":"save","Type":"UpdateContactAttributes","Parameters":{"Attributes":{"got":"$.External.a","nested":"$.External.deep.n"}},"Transitions":{"NextAction":"ok"}}`)
}

func TestFlowInvokeFunction(t *testing.T) {
	const arn = `"LambdaFunctionARN":"arn:aws:lambda:eu-west-2:123456789012:function:f","InvocationTimeLimitSeconds":"2"`
	reply := func(body string, err error) func(context.Context, flow.Invocation) ([]byte, error) {
		return func(context.Context, flow.Invocation) ([]byte, error) { return []byte(body), err }
	}
	t.Run("string map", func(t *testing.T) {
		h := newFakeFlowHost()
		h.funcs["f"] = reply(`{"a":"1"}`, nil)
		end, st := ends(t, invokeFlow(t, arn), h)
		if end != "ok" || h.attrs["got"] != "1" || string(st.External) != `{"a":"1"}` {
			t.Fatalf("%s %v %s", end, h.attrs, st.External)
		}
	})
	t.Run("string map refuses nesting", func(t *testing.T) {
		h := newFakeFlowHost()
		h.funcs["f"] = reply(`{"a":"1","deep":{"n":2}}`, nil)
		if end, _ := ends(t, invokeFlow(t, arn), h); end != "err" {
			t.Fatal(end)
		}
	})
	t.Run("JSON allows nesting", func(t *testing.T) {
		h := newFakeFlowHost()
		h.funcs["f"] = reply(`{"a":true,"deep":{"n":2.50}}`, nil)
		end, _ := ends(t, invokeFlow(t, arn+`,"ResponseValidation":{"ResponseType":"JSON"}`), h)
		if end != "ok" || h.attrs["got"] != "true" || h.attrs["nested"] != "2.50" {
			t.Fatalf("%s %v", end, h.attrs)
		}
	})
	t.Run("by name", func(t *testing.T) {
		h := newFakeFlowHost()
		h.funcs["f"] = reply(`{"a":"x"}`, nil)
		if end, _ := ends(t, invokeFlow(t, `"LambdaFunctionARN":"f"`), h); end != "ok" || h.attrs["got"] != "x" {
			t.Fatal(end)
		}
	})
	t.Run("response over 32 KB", func(t *testing.T) {
		h := newFakeFlowHost()
		h.funcs["f"] = reply(`{"a":"`+strings.Repeat("x", 32*1024)+`"}`, nil)
		if end, _ := ends(t, invokeFlow(t, arn), h); end != "err" {
			t.Fatal(end)
		}
	})
	t.Run("throttled is retried three times", func(t *testing.T) {
		h := newFakeFlowHost()
		attempts := 0
		h.funcs["f"] = func(_ context.Context, in flow.Invocation) ([]byte, error) {
			attempts++
			if in.Attempt < 4 {
				return nil, flow.ErrThrottled
			}
			return []byte(`{"a":"late"}`), nil
		}
		if end, _ := ends(t, invokeFlow(t, arn), h); end != "ok" || attempts != 4 {
			t.Fatalf("%s after %d attempts", end, attempts)
		}
		attempts = 0
		h.funcs["f"] = func(context.Context, flow.Invocation) ([]byte, error) { attempts++; return nil, flow.ErrThrottled }
		if end, _ := ends(t, invokeFlow(t, arn), h); end != "err" || attempts != 4 {
			t.Fatalf("%s after %d attempts", end, attempts)
		}
	})
	t.Run("other errors are not retried", func(t *testing.T) {
		h := newFakeFlowHost()
		attempts := 0
		h.funcs["f"] = func(context.Context, flow.Invocation) ([]byte, error) { attempts++; return nil, errors.New("bug") }
		if end, _ := ends(t, invokeFlow(t, arn), h); end != "err" || attempts != 1 {
			t.Fatalf("%s after %d attempts", end, attempts)
		}
	})
	t.Run("panic takes the Error branch", func(t *testing.T) {
		h := newFakeFlowHost()
		h.funcs["f"] = func(context.Context, flow.Invocation) ([]byte, error) { panic("boom") }
		if end, _ := ends(t, invokeFlow(t, arn), h); end != "err" {
			t.Fatal(end)
		}
	})
}

func TestFlowHostFunctionPastItsLimitTakesErrorBranch(t *testing.T) {
	h := newFakeFlowHost()
	release := make(chan struct{})
	defer close(release)
	h.funcs["slow"] = func(context.Context, flow.Invocation) ([]byte, error) {
		<-release // ignores its context: the flow must not wait for it
		return []byte(`{"a":"too late"}`), nil
	}
	f := invokeFlow(t, `"LambdaFunctionARN":"slow","InvocationTimeLimitSeconds":"1"`)
	start := time.Now()
	end, _ := ends(t, f, h)
	if took := time.Since(start); end != "err" || took < time.Second || took > 5*time.Second {
		t.Fatalf("ended at %s after %v", end, took)
	}
}

func TestFlowSetQueueAndTransfer(t *testing.T) {
	f := flowOf(t, "q",
		`{"Identifier":"q","Type":"UpdateContactTargetQueue","Parameters":{"QueueId":"$.Attributes.queue_arn"},"Transitions":{"NextAction":"t","Errors":[{"NextAction":"err","ErrorType":"NoMatchingError"}]}}`,
		`{"Identifier":"t","Type":"TransferContactToQueue","Parameters":{},"Transitions":{"NextAction":"other","Errors":[{"NextAction":"full","ErrorType":"QueueAtCapacity"},{"NextAction":"err","ErrorType":"NoMatchingError"}]}}`,
		`{"Identifier":"full","Type":"EndFlowExecution","Parameters":{},"Transitions":{}}`)
	h := newFakeFlowHost()
	h.attrs["queue_arn"] = "arn:q1"
	st := flow.NewState(1)
	if res := runFlow(f, &st, h); res.Status != flow.StatusEnqueued || res.Action != "t" || h.enqueued != "arn:q1" || !st.Done {
		t.Fatalf("%+v %q", res, h.enqueued)
	}
	h = newFakeFlowHost()
	h.attrs["queue_arn"] = "arn:q1"
	h.full["arn:q1"] = true
	st = flow.NewState(1)
	if res := runFlow(f, &st, h); res.Action != "full" {
		t.Fatalf("at capacity: %+v", res)
	}
	h = newFakeFlowHost()
	h.attrs["queue_arn"] = "missing"
	if end, _ := ends(t, f, h); end != "err" {
		t.Fatalf("unknown queue: %s", end)
	}
	if end, _ := ends(t, f, newFakeFlowHost()); end != "err" {
		t.Fatalf("unresolved queue path: %s", end)
	}
	agent := flowOf(t, "q", `{"Identifier":"q","Type":"UpdateContactTargetQueue","Parameters":{"AgentId":"agent-1"},"Transitions":{"NextAction":"ok"}}`)
	h = newFakeFlowHost()
	if end, _ := ends(t, agent, h); end != "ok" || !h.agent || h.queue != "agent-1" {
		t.Fatalf("agent queue: %s %v", end, h.calls)
	}
}

func TestFlowRoutingBehavior(t *testing.T) {
	h := newFakeFlowHost()
	f := flowOf(t, "p", `{"Identifier":"p","Type":"UpdateContactRoutingBehavior","Parameters":{"QueuePriority":"2"},"Transitions":{"NextAction":"a"}}`,
		`{"Identifier":"a","Type":"UpdateContactRoutingBehavior","Parameters":{"QueueTimeAdjustmentSeconds":"1800"},"Transitions":{"NextAction":"d"}}`,
		`{"Identifier":"d","Type":"UpdateContactRoutingBehavior","Parameters":{"QueuePriority":"$.Attributes.prio"},"Transitions":{"NextAction":"ok","Errors":[{"NextAction":"err","ErrorType":"NoMatchingError"}]}}`)
	h.attrs["prio"] = "4"
	if end, _ := ends(t, f, h); end != "ok" || h.priority != 4 || h.age != 30*time.Minute {
		t.Fatalf("%s priority %d age %v", end, h.priority, h.age)
	}
	h = newFakeFlowHost()
	h.attrs["prio"] = "0"
	if end, _ := ends(t, f, h); end != "err" {
		t.Fatalf("dynamic priority 0: %s", end)
	}
}

func TestFlowWaitOnManualClock(t *testing.T) {
	f := flowOf(t, "w", `{"Identifier":"w","Type":"Wait","Parameters":{"TimeLimitSeconds":"$.Attributes.delay"},"Transitions":{"NextAction":"other","Conditions":[{"NextAction":"ok","Condition":{"Operator":"Equals","Operands":["WaitCompleted"]}}],"Errors":[{"NextAction":"err","ErrorType":"NoMatchingError"}]}}`)
	h := newFakeFlowHost()
	h.attrs["delay"] = "3600"
	st := flow.NewState(1)
	res := runFlow(f, &st, h)
	if res.Status != flow.StatusWaiting || !res.Until.Equal(h.Now().Add(time.Hour)) || res.Action != "w" {
		t.Fatalf("%+v", res)
	}
	// The state survives a round trip through JSON, as a restart would do.
	saved, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var restored flow.State
	if err := json.Unmarshal(saved, &restored); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(59 * time.Minute)
	if res := runFlow(f, &restored, h); res.Status != flow.StatusWaiting {
		t.Fatalf("early: %+v", res)
	}
	h.clock.Advance(time.Minute)
	if res := runFlow(f, &restored, h); res.Status != flow.StatusEnded || res.Action != "ok" {
		t.Fatalf("after the limit: %+v", res)
	}
	h = newFakeFlowHost()
	h.attrs["delay"] = "604801"
	if end, _ := ends(t, f, h); end != "err" {
		t.Fatalf("dynamic limit over 7 days: %s", end)
	}
}

func TestFlowLoop(t *testing.T) {
	f := flowOf(t, "l", `{"Identifier":"l","Type":"Loop","Parameters":{"LoopCount":"3"},"Transitions":{"Conditions":[{"NextAction":"body","Condition":{"Operator":"Equals","Operands":["ContinueLooping"]}},{"NextAction":"ok","Condition":{"Operator":"Equals","Operands":["DoneLooping"]}}]}}`,
		`{"Identifier":"body","Type":"InvokeLambdaFunction","Parameters":{"LambdaFunctionARN":"count"},"Transitions":{"NextAction":"l","Errors":[{"NextAction":"err","ErrorType":"NoMatchingError"}]}}`)
	h := newFakeFlowHost()
	n := 0
	h.funcs["count"] = func(context.Context, flow.Invocation) ([]byte, error) { n++; return []byte(`{}`), nil }
	end, st := ends(t, f, h)
	if end != "ok" || n != 3 || len(st.Loops) != 0 {
		t.Fatalf("%s after %d iterations, loops %v", end, n, st.Loops)
	}
	zero := flowOf(t, "l", `{"Identifier":"l","Type":"Loop","Parameters":{"LoopCount":0},"Transitions":{"Conditions":[{"NextAction":"err","Condition":{"Operator":"Equals","Operands":["ContinueLooping"]}},{"NextAction":"ok","Condition":{"Operator":"Equals","Operands":["DoneLooping"]}}]}}`)
	if end, _ := ends(t, zero, newFakeFlowHost()); end != "ok" {
		t.Fatalf("LoopCount 0: %s", end)
	}
}

func TestFlowDistributeByPercentageIsSeeded(t *testing.T) {
	f := flowOf(t, "d", `{"Identifier":"d","Type":"DistributeByPercentage","Parameters":{},"Transitions":{"NextAction":"other","Conditions":[{"NextAction":"ok","Condition":{"Operator":"NumberLessThan","Operands":["21"]}},{"NextAction":"err","Condition":{"Operator":"NumberLessThan","Operands":["61"]}}],"Errors":[{"NextAction":"other","ErrorType":"NoMatchingCondition"}]}}`)
	count := map[string]int{}
	for seed := uint64(0); seed < 10000; seed++ {
		st := flow.NewState(seed)
		res := runFlow(f, &st, newFakeFlowHost())
		count[res.Action]++
	}
	// 20 % / 40 % / 40 %, within 2 points on 10,000 draws; the seeds make it exact run to run.
	if c := count["ok"]; c < 1800 || c > 2200 {
		t.Fatalf("A: %v", count)
	}
	if c := count["err"]; c < 3800 || c > 4200 {
		t.Fatalf("B: %v", count)
	}
	st1, st2 := flow.NewState(42), flow.NewState(42)
	if a, b := runFlow(f, &st1, newFakeFlowHost()), runFlow(f, &st2, newFakeFlowHost()); a.Action != b.Action {
		t.Fatal("same seed, different branch")
	}
}

func TestFlowAttributesAndPaths(t *testing.T) {
	f := flowOf(t, "fa", `{"Identifier":"fa","Type":"UpdateFlowAttributes","Parameters":{"FlowAttributes":{"where":{"Value":"$.Channel"},"plain":"p"}},"Transitions":{"NextAction":"c"}}`,
		`{"Identifier":"c","Type":"Compare","Parameters":{"ComparisonValue":"$.FlowAttributes.where"},"Transitions":{"NextAction":"err","Conditions":[{"NextAction":"s","Condition":{"Operator":"Equals","Operands":["TASK"]}}]}}`,
		`{"Identifier":"s","Type":"UpdateContactAttributes","Parameters":{"Attributes":{"copied":"$.FlowAttributes.plain","bracket":"$.Attributes['customer id']"}},"Transitions":{"NextAction":"ok"}}`)
	h := newFakeFlowHost()
	h.attrs["customer id"] = "c-1"
	end, st := ends(t, f, h)
	if end != "ok" || st.FlowAttributes["where"] != "TASK" || h.attrs["copied"] != "p" || h.attrs["bracket"] != "c-1" {
		t.Fatalf("%s %v %v", end, st.FlowAttributes, h.attrs)
	}
}

func TestFlowTerminalAndNonTaskActions(t *testing.T) {
	f := flowOf(t, "m",
		`{"Identifier":"m","Type":"MessageParticipant","Parameters":{"Text":"hello"},"Transitions":{"NextAction":"rec"}}`,
		`{"Identifier":"rec","Type":"UpdateContactRecordingBehavior","Parameters":{"RecordingBehavior":{"RecordedParticipants":["Agent"]}},"Transitions":{"NextAction":"other","Errors":[{"NextAction":"input","ErrorType":"NoMatchingError"}]}}`,
		`{"Identifier":"input","Type":"GetParticipantInput","Parameters":{"Text":"Press 1"},"Transitions":{"NextAction":"ok"}}`)
	if end, _ := ends(t, f, newFakeFlowHost()); end != "ok" {
		t.Fatalf("voice-only blocks: %s", end) // play prompt continues; recording takes Error; input without Error continues
	}
	g := flowOf(t, "x", `{"Identifier":"x","Type":"CreateTask","Parameters":{"Name":"n"},"Transitions":{"NextAction":"ok","Errors":[{"NextAction":"err","ErrorType":"NoMatchingError"}]}}`)
	if end, _ := ends(t, g, newFakeFlowHost()); end != "err" {
		t.Fatalf("not-yet action: %s", end)
	}
	u := flowOf(t, "x", `{"Identifier":"x","Type":"FutureThing","Parameters":null,"Transitions":{"NextAction":"ok"}}`)
	st := flow.NewState(1)
	if res := runFlow(u, &st, newFakeFlowHost()); res.Status != flow.StatusFailed || !errors.Is(res.Err, flow.ErrUnhandled) {
		t.Fatalf("unknown action without an Error branch: %+v", res)
	}
}

func TestFlowStepBudgetCutsEndlessLoops(t *testing.T) {
	f := flowOf(t, "a", `{"Identifier":"a","Type":"UpdateFlowAttributes","Parameters":{"FlowAttributes":{"x":"1"}},"Transitions":{"NextAction":"b"}}`,
		`{"Identifier":"b","Type":"Compare","Parameters":{"ComparisonValue":"$.FlowAttributes.x"},"Transitions":{"NextAction":"a","Conditions":[{"NextAction":"a","Condition":{"Operator":"Equals","Operands":["1"]}}]}}`)
	st := flow.NewState(1)
	res := flow.Run(context.Background(), f.prog, &st, newFakeFlowHost(), flow.RunOptions{MaxSteps: 500})
	if res.Status != flow.StatusFailed || !errors.Is(res.Err, flow.ErrStepBudget) || st.Steps != 500 || !st.Done {
		t.Fatalf("%+v after %d steps", res, st.Steps)
	}
	if again := runFlow(f, &st, newFakeFlowHost()); !errors.Is(again.Err, flow.ErrFinished) {
		t.Fatalf("rerun of a finished state: %+v", again)
	}
}

func TestFlowCorpusRunsForTasks(t *testing.T) {
	want := map[string]string{
		"insurance_claim.json":                "Disconnect", // no queue has room in this fake: both full
		"task_enqueue_pattern.json":           "a9b8c7d6-2222-4222-8222-222222222222",
		"voice_inbound_with_task_branch.json": "Hang up", // Channel TASK skips the voice blocks; the queue is full
		"follow_up_wait.json":                 "End",     // QueueAtCapacity branch
		"routing_criteria_and_hooks.json":     "disconnect",
		"claims_intake_criteria.json":         "Transfer standard", // the priority queue is full
		"task_enqueue_loop_wait.json":         "Give up",           // no working queue in this fake
	}
	for name, data := range readCorpus(t, "valid") {
		f := loadTestFlow(t, data)
		h := newFakeFlowHost()
		h.attrs = map[string]string{"queue_arn": "arn:q", "reason": "claim follow-up", "delay_seconds": "60", "policy_number": "P-7"}
		h.funcs["claims-customer-lookup"] = lookupReturning("gold")
		h.full[claimPriorityQueue], h.full[claimStandardQueue] = true, true
		st := flow.NewState(3)
		res := runFlow(f, &st, h)
		for res.Status == flow.StatusWaiting {
			h.clock.Set(res.Until)
			res = runFlow(f, &st, h)
		}
		if res.Action != want[name] || res.Status == flow.StatusFailed {
			t.Errorf("%s: %+v; calls %v", name, res, h.calls)
		}
	}
}

// BenchmarkFlow runs a 10-action flow (attributes, compare, set queue,
// transfer) per task, with no host function calls.
func BenchmarkFlow(b *testing.B) {
	f := NewFlow("a1").
		UpdateAttributes("a1", map[string]string{"stage": "intake"}).Next("f1").
		UpdateFlowAttributes("f1", map[string]string{"tier": "$.Attributes.tier"}).Next("c1").
		Compare("c1", "$.FlowAttributes.tier").When("Equals", "gold", "p1").When("Equals", "silver", "p2").Next("q2").
		SetPriority("p1", 1).Next("q1").
		SetPriority("p2", 3).Next("q2").
		SetQueue("q1", "arn:aws:connect:eu-west-2:123456789012:instance/i/queue/gold").Next("a2").
		SetQueue("q2", "arn:aws:connect:eu-west-2:123456789012:instance/i/queue/std").Next("a2").
		UpdateAttributes("a2", map[string]string{"routed": "yes", "by": "$.Name"}).Next("c2").
		Compare("c2", "$.Attributes.amount").When("NumberGreaterThan", "10000", "t").Next("t").
		TransferToQueue("t").OnError("QueueAtCapacity", "end").
		Disconnect("end").FlowBuilder
	fl, _, err := f.Build(FlowOptions{})
	if err != nil {
		b.Fatal(err)
	}
	h := newFakeFlowHost()
	h.attrs["tier"] = "gold"
	h.attrs["amount"] = "25000"
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.calls = h.calls[:0]
		st := flow.NewState(uint64(i))
		if res := flow.Run(ctx, fl.prog, &st, h, flow.RunOptions{}); res.Status != flow.StatusEnqueued {
			b.Fatalf("%+v", res)
		}
	}
}
