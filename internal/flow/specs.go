package flow

import (
	"encoding/json"
	"fmt"
)

type kind uint8

const (
	kindUnknown kind = iota
	kindSetAttributes
	kindCompare
	kindInvoke
	kindSetQueue
	kindTransfer
	kindRoutingBehavior
	kindWait
	kindLoop
	kindDistribute
	kindFlowAttributes
	kindEnd
	kindDisconnect
	kindNoEffect    // continues with NextAction and does nothing for a task
	kindNotForTasks // takes its Error branch for a task, as Connect's channel table says
	kindNotYet      // a task action the interpreter core does not run yet: Error branch
	kindCriteria    // the kinds of actions.go
	kindCreateTask
	kindTransferFlow
	kindHours
	kindDequeue
)

type spec struct {
	kind         kind
	needsNext    bool
	noConditions bool
	conditions   func(i int, a Action) *Error
	parse        func(r *paramReader) (any, *Error)
}

// Parameters of the supported actions.
type (
	setAttributesParams struct {
		attrs   []kv
		related bool
	}
	compareParams struct{ value value }
	invokeParams  struct {
		fn    value
		limit int64 // seconds
		async bool
		attrs []kv
		json  bool
	}
	setQueueParams struct {
		queue value
		agent bool
	}
	routingParams struct {
		priority *numValue
		age      *numValue
	}
	waitParams       struct{ limit numValue }
	loopParams       struct{ count numValue }
	flowAttrsParams  struct{ attrs []kv }
	notForTaskParams struct{ why string }
)

var specs = map[string]spec{}

func init() {
	simple := func(k kind, parse func(*paramReader) (any, *Error)) spec {
		return spec{kind: k, needsNext: true, noConditions: true, parse: parse}
	}
	specs["UpdateContactAttributes"] = simple(kindSetAttributes, parseSetAttributes)
	specs["Compare"] = spec{kind: kindCompare, conditions: checkOperators(nil), parse: parseCompare}
	specs["InvokeLambdaFunction"] = simple(kindInvoke, parseInvoke)
	specs["UpdateContactTargetQueue"] = simple(kindSetQueue, parseSetQueue)
	specs["TransferContactToQueue"] = spec{kind: kindTransfer, noConditions: true}
	specs["UpdateContactRoutingBehavior"] = simple(kindRoutingBehavior, parseRouting)
	specs["Wait"] = spec{kind: kindWait, conditions: checkWait, parse: parseWait}
	specs["Loop"] = spec{kind: kindLoop, conditions: checkLoop, parse: parseLoop}
	specs["DistributeByPercentage"] = spec{kind: kindDistribute, conditions: checkDistribute}
	specs["UpdateFlowAttributes"] = simple(kindFlowAttributes, parseFlowAttributes)
	specs["EndFlowExecution"] = spec{kind: kindEnd, noConditions: true}
	specs["DisconnectParticipant"] = spec{kind: kindDisconnect, noConditions: true}
	for _, t := range []string{
		"MessageParticipant",             // Play prompt / Send message: Okay branch, no effect for a task
		"UpdateFlowLoggingBehavior",      // Set logging behavior: no effect in the core (logging is the runner's)
		"UpdateContactTextToSpeechVoice", // Set voice: no effect for a task
		"UpdateContactEventHooks",        // Set disconnect / customer queue flow: wired by the runner
	} {
		specs[t] = spec{kind: kindNoEffect}
	}
	for t, why := range map[string]string{
		"GetParticipantInput":                 "Get customer input needs a customer to answer",
		"MessageParticipantIteratively":       "Loop prompts does not support tasks",
		"ConnectParticipantWithLexBot":        "a Lex bot needs a voice or chat participant",
		"UpdateContactRecordingBehavior":      "Set recording and analytics behavior takes Error for tasks",
		"UpdateContactMediaStreamingBehavior": "media streaming is voice only",
		"UpdateContactCallbackNumber":         "a callback number is voice only",
		"CreateCallbackContact":               "callbacks are voice only",
		"TransferParticipantToThirdParty":     "transfer to phone number is voice only",
		"ShowView":                            "views need an agent workspace, which switchboard does not have",
	} {
		specs[t] = spec{kind: kindNotForTasks, parse: func(*paramReader) (any, *Error) { return notForTaskParams{why}, nil }}
	}
	for _, t := range []string{
		"CheckMetricData", "GetMetricData",
		"InvokeFlowModule", "EndFlowModuleExecution", "UpdateContactData", "TagContact",
	} {
		specs[t] = spec{kind: kindNotYet}
	}
}

// Supported reports how the interpreter treats an action type: "runs",
// "no effect", "error branch" (does not apply to tasks), "not yet" or
// "unknown".
func Supported(typ string) string {
	s, ok := specs[typ]
	switch {
	case !ok:
		return "unknown"
	case s.kind == kindNoEffect:
		return "no effect"
	case s.kind == kindNotForTasks:
		return "error branch"
	case s.kind == kindNotYet:
		return "not yet"
	}
	return "runs"
}

func parseSetAttributes(r *paramReader) (any, *Error) {
	attrs, ok, err := r.strMap("Attributes", false, attributeKey)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, r.fail("Attributes", "Attributes is required")
	}
	p := setAttributesParams{attrs: attrs}
	target, ok, err := r.str("TargetContact")
	if err != nil {
		return nil, err
	}
	switch {
	case !ok, target == "Current":
	case target == "Related":
		p.related = true
	default:
		return nil, r.fail("TargetContact", "TargetContact must be Current or Related, not %q", shorten(target))
	}
	return p, nil
}

func parseCompare(r *paramReader) (any, *Error) {
	v, ok, err := r.value("ComparisonValue")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, r.fail("ComparisonValue", "ComparisonValue is required")
	}
	return compareParams{value: v}, nil
}

func parseInvoke(r *paramReader) (any, *Error) {
	var p invokeParams
	fn, ok, err := r.value("LambdaFunctionARN")
	if err != nil {
		return nil, err
	}
	if !ok || fn.text == "" {
		return nil, r.fail("LambdaFunctionARN", "LambdaFunctionARN is required")
	}
	p.fn = fn
	typ, ok, err := r.str("InvocationType")
	if err != nil {
		return nil, err
	}
	switch {
	case !ok, typ == "SYNCHRONOUS":
	case typ == "ASYNCHRONOUS":
		p.async = true
	default:
		return nil, r.fail("InvocationType", "InvocationType must be SYNCHRONOUS or ASYNCHRONOUS, not %q", shorten(typ))
	}
	max := int64(MaxSyncInvokeLimit)
	if p.async {
		max = MaxAsyncInvokeLimit
	}
	limit, ok, err := r.num("InvocationTimeLimitSeconds", 1, max, false)
	if err != nil {
		return nil, err
	}
	p.limit = DefaultInvokeLimit
	if ok {
		p.limit = limit.n
	}
	if p.attrs, _, err = r.strMap("LambdaInvocationAttributes", false, nil); err != nil {
		return nil, err
	}
	if raw, ok := r.obj["ResponseValidation"]; ok && string(raw) != "null" {
		var rv struct{ ResponseType *string }
		if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &rv) != nil {
			return nil, r.fail("ResponseValidation", "ResponseValidation must be an object with a string ResponseType")
		}
		switch {
		case rv.ResponseType == nil, *rv.ResponseType == "STRING_MAP":
		case *rv.ResponseType == "JSON":
			p.json = true
		default:
			return nil, r.fail("ResponseValidation.ResponseType", "ResponseType must be STRING_MAP or JSON, not %q", shorten(*rv.ResponseType))
		}
	}
	return p, nil
}

func parseSetQueue(r *paramReader) (any, *Error) {
	q, hasQ, err := r.value("QueueId")
	if err != nil {
		return nil, err
	}
	a, hasA, err := r.value("AgentId")
	if err != nil {
		return nil, err
	}
	switch {
	case hasQ && hasA:
		return nil, r.fail("QueueId", "QueueId and AgentId are exclusive")
	case hasQ && q.text != "":
		return setQueueParams{queue: q}, nil
	case hasA && a.text != "":
		return setQueueParams{queue: a, agent: true}, nil
	}
	return nil, r.fail("QueueId", "QueueId or AgentId is required")
}

func parseRouting(r *paramReader) (any, *Error) {
	prio, hasP, err := r.num("QueuePriority", 1, 1<<53, true)
	if err != nil {
		return nil, err
	}
	age, hasA, err := r.num("QueueTimeAdjustmentSeconds", -(1 << 40), 1<<40, true)
	if err != nil {
		return nil, err
	}
	switch {
	case hasP && hasA:
		return nil, r.fail("QueuePriority", "QueuePriority and QueueTimeAdjustmentSeconds are exclusive")
	case hasP:
		return routingParams{priority: &prio}, nil
	case hasA:
		return routingParams{age: &age}, nil
	}
	return nil, r.fail("QueuePriority", "QueuePriority or QueueTimeAdjustmentSeconds is required")
}

func parseWait(r *paramReader) (any, *Error) {
	name := "TimeLimitSeconds"
	if _, ok := r.obj[name]; !ok {
		if _, ok := r.obj["TimeoutSeconds"]; ok {
			name = "TimeoutSeconds" // the API reference's spelling; exports use TimeLimitSeconds
		}
	}
	limit, ok, err := r.num(name, 1, MaxWaitSeconds, true)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, r.fail("TimeLimitSeconds", "TimeLimitSeconds is required")
	}
	return waitParams{limit: limit}, nil
}

func parseLoop(r *paramReader) (any, *Error) {
	n, ok, err := r.num("LoopCount", 0, MaxLoopCount, true)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, r.fail("LoopCount", "LoopCount is required")
	}
	return loopParams{count: n}, nil
}

func parseFlowAttributes(r *paramReader) (any, *Error) {
	attrs, ok, err := r.strMap("FlowAttributes", true, attributeKey)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, r.fail("FlowAttributes", "FlowAttributes is required")
	}
	return flowAttrsParams{attrs: attrs}, nil
}

// checkOperators checks that every condition has one of the eight operators
// (or, when allowed is not nil, one of those) and exactly one operand.
func checkOperators(allowed map[string]bool) func(int, Action) *Error {
	return func(i int, a Action) *Error {
		for j, c := range a.Conditions {
			field := fmt.Sprintf("Transitions.Conditions[%d].Condition", j)
			if _, ok := operators[c.Operator]; !ok || (allowed != nil && !allowed[c.Operator]) {
				return errf(i, a.ID, field+".Operator", ErrTransition, "operator %q is not allowed in %s", shorten(c.Operator), a.Type)
			}
			if len(c.Operands) != 1 {
				return errf(i, a.ID, field+".Operands", ErrTransition, "a condition takes exactly one operand, not %d", len(c.Operands))
			}
		}
		return nil
	}
}

var equalsOnly = checkOperators(map[string]bool{"Equals": true})

func requireOperands(i int, a Action, want ...string) *Error {
	if err := equalsOnly(i, a); err != nil {
		return err
	}
	have := map[string]bool{}
	for _, c := range a.Conditions {
		have[c.Operands[0]] = true
	}
	for _, w := range want {
		if !have[w] {
			return errf(i, a.ID, "Transitions.Conditions", ErrTransition, "%s needs a condition Equals %s", a.Type, w)
		}
	}
	return nil
}

func checkWait(i int, a Action) *Error { return requireOperands(i, a, "WaitCompleted") }

func checkLoop(i int, a Action) *Error {
	if err := requireOperands(i, a, "ContinueLooping", "DoneLooping"); err != nil {
		return err
	}
	for j, c := range a.Conditions {
		if op := c.Operands[0]; op != "ContinueLooping" && op != "DoneLooping" {
			return errf(i, a.ID, fmt.Sprintf("Transitions.Conditions[%d].Condition.Operands", j), ErrTransition,
				"Loop takes only ContinueLooping and DoneLooping, not %q", shorten(op))
		}
	}
	return nil
}

func checkDistribute(i int, a Action) *Error {
	if err := checkOperators(map[string]bool{"NumberLessThan": true})(i, a); err != nil {
		return err
	}
	for j, c := range a.Conditions {
		if n, ok := number(c.Operands[0]); !ok || n > 100 {
			return errf(i, a.ID, fmt.Sprintf("Transitions.Conditions[%d].Condition.Operands", j), ErrTransition,
				"DistributeByPercentage compares with a number up to 100, not %q", shorten(c.Operands[0]))
		}
	}
	return nil
}
