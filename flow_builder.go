package switchboard

import (
	"encoding/json"
	"strconv"
)

// FlowBuilder builds a flow in Go. It produces the same graph, and the same
// JSON, as an export holding those actions:
//
//	f, warnings, err := switchboard.NewFlow("lookup").
//		InvokeFunction("lookup", "customer-lookup", 3, nil).Next("tier").OnError("NoMatchingError", "queue").
//		Compare("tier", "$.External.tier").When("Equals", "gold", "vip").Next("queue").
//		SetPriority("vip", 1).Next("queue").
//		SetQueue("queue", "claims").Next("transfer").
//		TransferToQueue("transfer").OnError("QueueAtCapacity", "end").
//		Disconnect("end").
//		Build(switchboard.FlowOptions{})
//
// Numbers are written as strings, as Connect exports them. Each method adds
// one action and returns a FlowStep, which sets the action's transitions and
// carries on to the next action. Build validates as LoadFlow does.
type FlowBuilder struct {
	f Flow
}

// FlowStep is the action just added to a FlowBuilder.
type FlowStep struct {
	*FlowBuilder
	i int
}

// NewFlow starts a flow whose StartAction is start.
func NewFlow(start string) *FlowBuilder {
	return &FlowBuilder{f: Flow{Version: FlowVersion, StartAction: start}}
}

// Action adds an action of any type; params is marshalled with
// encoding/json (nil gives {}).
func (b *FlowBuilder) Action(id, actionType string, params any) *FlowStep {
	raw := json.RawMessage(`{}`)
	if params != nil {
		out, err := json.Marshal(params)
		if err != nil {
			out = []byte(strconv.Quote(err.Error())) // refused by Build as a non-object Parameters
		}
		raw = out
	}
	b.f.Actions = append(b.f.Actions, FlowAction{Identifier: id, Type: actionType, Parameters: raw})
	return &FlowStep{b, len(b.f.Actions) - 1}
}

// UpdateAttributes adds UpdateContactAttributes (Set contact attributes).
// Values are static text or JSON paths ("$.External.tier").
func (b *FlowBuilder) UpdateAttributes(id string, attrs map[string]string) *FlowStep {
	return b.Action(id, "UpdateContactAttributes", struct {
		Attributes    map[string]string
		TargetContact string
	}{attrs, "Current"})
}

// UpdateFlowAttributes adds UpdateFlowAttributes ($.FlowAttributes).
func (b *FlowBuilder) UpdateFlowAttributes(id string, attrs map[string]string) *FlowStep {
	m := make(map[string]struct{ Value string }, len(attrs))
	for k, v := range attrs {
		m[k] = struct{ Value string }{v}
	}
	return b.Action(id, "UpdateFlowAttributes", struct{ FlowAttributes any }{m})
}

// Compare adds Compare (Check contact attributes) on one JSON path; add its
// conditions with When and its default branch with Next.
func (b *FlowBuilder) Compare(id, path string) *FlowStep {
	return b.Action(id, "Compare", struct{ ComparisonValue string }{path})
}

// InvokeFunction adds InvokeLambdaFunction calling the host function named
// function, synchronously, with a time limit in seconds (1..8), a
// STRING_MAP response and attrs as LambdaInvocationAttributes.
func (b *FlowBuilder) InvokeFunction(id, function string, limitSeconds int, attrs map[string]string) *FlowStep {
	return b.Action(id, "InvokeLambdaFunction", struct {
		LambdaFunctionARN          string
		InvocationTimeLimitSeconds string
		InvocationType             string
		LambdaInvocationAttributes map[string]string `json:",omitempty"`
		ResponseValidation         struct{ ResponseType string }
	}{function, strconv.Itoa(limitSeconds), "SYNCHRONOUS", attrs, struct{ ResponseType string }{"STRING_MAP"}})
}

// SetQueue adds UpdateContactTargetQueue (Set working queue).
func (b *FlowBuilder) SetQueue(id, queue string) *FlowStep {
	return b.Action(id, "UpdateContactTargetQueue", struct{ QueueId string }{queue})
}

// TransferToQueue adds TransferContactToQueue; on success the flow ends and
// the task is queued. Give it OnError("QueueAtCapacity", ...).
func (b *FlowBuilder) TransferToQueue(id string) *FlowStep {
	return b.Action(id, "TransferContactToQueue", nil)
}

// SetPriority adds UpdateContactRoutingBehavior with QueuePriority.
func (b *FlowBuilder) SetPriority(id string, priority int) *FlowStep {
	return b.Action(id, "UpdateContactRoutingBehavior", struct{ QueuePriority string }{strconv.Itoa(priority)})
}

// AdjustAge adds UpdateContactRoutingBehavior with QueueTimeAdjustmentSeconds.
func (b *FlowBuilder) AdjustAge(id string, seconds int) *FlowStep {
	return b.Action(id, "UpdateContactRoutingBehavior", struct{ QueueTimeAdjustmentSeconds string }{strconv.Itoa(seconds)})
}

// Wait adds Wait for seconds; it leaves by When("Equals", "WaitCompleted", next).
func (b *FlowBuilder) Wait(id string, seconds int) *FlowStep {
	return b.Action(id, "Wait", struct{ TimeLimitSeconds string }{strconv.Itoa(seconds)})
}

// Loop adds Loop; it leaves by When("Equals", "ContinueLooping", body) and
// When("Equals", "DoneLooping", after).
func (b *FlowBuilder) Loop(id string, count int) *FlowStep {
	return b.Action(id, "Loop", struct{ LoopCount string }{strconv.Itoa(count)})
}

// Distribute adds DistributeByPercentage; give it When("NumberLessThan", "21",
// a) for the first 20 %, and so on, and a default with OnError
// ("NoMatchingCondition", ...).
func (b *FlowBuilder) Distribute(id string) *FlowStep {
	return b.Action(id, "DistributeByPercentage", nil)
}

// EndFlow adds EndFlowExecution.
func (b *FlowBuilder) EndFlow(id string) *FlowStep { return b.Action(id, "EndFlowExecution", nil) }

// Disconnect adds DisconnectParticipant.
func (b *FlowBuilder) Disconnect(id string) *FlowStep {
	return b.Action(id, "DisconnectParticipant", nil)
}

// Next sets the action's NextAction.
func (s *FlowStep) Next(id string) *FlowStep {
	s.f.Actions[s.i].Transitions.NextAction = id
	return s
}

// When adds a condition: go to next when the result satisfies operator and
// operand. Conditions are tried in the order they are added.
func (s *FlowStep) When(operator, operand, next string) *FlowStep {
	t := &s.f.Actions[s.i].Transitions
	t.Conditions = append(t.Conditions, FlowCondition{NextAction: next,
		Condition: FlowConditionExpr{Operator: operator, Operands: []string{operand}}})
	return s
}

// OnError adds an error branch.
func (s *FlowStep) OnError(errorType, next string) *FlowStep {
	t := &s.f.Actions[s.i].Transitions
	t.Errors = append(t.Errors, FlowErrorBranch{NextAction: next, ErrorType: errorType})
	return s
}

// Build validates the flow as LoadFlow does and returns it. The builder may
// be reused; the flow returned does not share memory with it.
func (b *FlowBuilder) Build(opts FlowOptions) (*Flow, []FlowWarning, error) {
	data, err := b.f.MarshalJSON()
	if err != nil {
		return nil, nil, &FlowError{Field: "$", Err: err}
	}
	return LoadFlow(data, opts)
}
