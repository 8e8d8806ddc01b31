package switchboard

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/switchboard-go/switchboard/internal/flow"
)

// This file is the public front of flows: Amazon Connect's flow language as
// data (the model below, its JSON codec in flow_json.go, a Go builder in
// flow_builder.go) and its validation. The interpreter that runs a flow for a
// task lives in internal/flow; docs/flows.md lists every action type and
// what it does here.

// FlowVersion is the only Version of the flow language.
const FlowVersion = "2019-10-30"

// Limits of the flow language, from Connect's flow-language reference.
const (
	MaxFlowActions       = flow.MaxActions       // actions per flow
	MaxFlowIdentifierLen = flow.MaxIdentifierLen // characters of an action Identifier
)

// Flow is a flow in Connect's flow language, exactly as Connect exports it:
//
//	{"Version":"2019-10-30","StartAction":"id","Metadata":{...},"Actions":[...]}
//
// Metadata (the designer's canvas) is kept verbatim and ignored. Members this
// version does not know are kept in Extra and written back, so a flow
// round-trips through JSON without loss (see docs/flows.md, "Round trip").
//
// A Flow returned by LoadFlow or FlowBuilder.Build has been validated. After
// changing its fields, call Validate again before running it.
type Flow struct {
	Version     string
	StartAction string
	Metadata    json.RawMessage            // verbatim; nil when absent
	Actions     []FlowAction               //
	Extra       map[string]json.RawMessage // unknown top-level members, verbatim

	prog *flow.Program
}

// FlowAction is one action ("block") of a flow. Parameters is kept as the
// verbatim JSON the export holds (nil when absent, "null", "{}", or an
// object), whatever the action type: the interpreter reads the parameters of
// the types it runs, the others travel untouched.
type FlowAction struct {
	Identifier  string
	Type        string
	Parameters  json.RawMessage
	Transitions FlowTransitions
	Extra       map[string]json.RawMessage // unknown members, verbatim
}

// FlowTransitions says where a flow goes after an action: NextAction on
// success, the first matching condition when the action has a result, an
// error branch when it fails. A terminating action has empty transitions
// ("Transitions": {}).
type FlowTransitions struct {
	NextAction string
	Conditions []FlowCondition   // nil: absent; empty: "Conditions": []
	Errors     []FlowErrorBranch // nil: absent; empty: "Errors": []
	Extra      map[string]json.RawMessage
}

// FlowCondition is a conditional transition: go to NextAction when the
// action's result satisfies Condition.
type FlowCondition struct {
	NextAction string
	Condition  FlowConditionExpr
}

// FlowConditionExpr is {"Operator": ..., "Operands": [...]}. Operators are
// Connect's eight: Equals, TextStartsWith, TextEndsWith, TextContains,
// NumberGreaterThan, NumberGreaterOrEqualTo, NumberLessThan,
// NumberLessOrEqualTo.
type FlowConditionExpr struct {
	Operator string
	Operands []string
}

// FlowErrorBranch is an error transition: go to NextAction when the action
// fails with ErrorType (NoMatchingError matches any failure without a branch
// of its own; NoMatchingCondition is Compare's default branch).
type FlowErrorBranch struct {
	NextAction string
	ErrorType  string
}

// FlowOptions tune LoadFlow and Validate.
type FlowOptions struct {
	// Strict refuses action types this version does not run for tasks
	// (unknown types and the task actions listed as "not yet" in
	// docs/flows.md). Without it they load, and take their Error branch when
	// a task reaches them.
	Strict bool
}

// Errors of LoadFlow and Validate. Every error they return is a *FlowError
// wrapping one of these; all of them also match ErrValidation.
var (
	ErrFlowSyntax        = errors.New("malformed flow JSON")
	ErrFlowVersion       = errors.New("unsupported flow Version")
	ErrFlowIdentifier    = flow.ErrIdentifier
	ErrFlowTransition    = flow.ErrTransition
	ErrFlowTooLarge      = flow.ErrTooLarge
	ErrFlowParameter     = flow.ErrParameter
	ErrFlowUnknownAction = flow.ErrUnknownAction
)

// FlowError is an invalid flow. Field is the path of the offending member
// from the document's root ("Actions[3].Parameters.LoopCount",
// "Actions[0].Transitions.Errors[1].NextAction", "StartAction", or "$" for the
// document itself); Action is the Identifier of the action it belongs to, ""
// for the flow's own members or when the identifier is itself the problem and
// empty.
type FlowError struct {
	Action string
	Field  string
	Err    error
}

func (e *FlowError) Error() string {
	if e.Action != "" {
		return fmt.Sprintf("switchboard: flow action %q: %s: %v", shorten(e.Action), e.Field, e.Err)
	}
	return fmt.Sprintf("switchboard: flow: %s: %v", e.Field, e.Err)
}

// Unwrap gives the cause, which wraps one of the ErrFlow… sentinels.
func (e *FlowError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrValidation) true for every *FlowError.
func (e *FlowError) Is(target error) bool { return target == ErrValidation }

// FlowWarning is a remark about a flow that loads: today, an action no
// transition reaches.
type FlowWarning struct {
	Action  string
	Field   string
	Message string
}

func (w FlowWarning) String() string {
	return fmt.Sprintf("flow action %q: %s: %s", w.Action, w.Field, w.Message)
}

// LoadFlow decodes a flow in Connect's flow language and validates it: JSON
// shape, Version, identifiers (unique, at most 50 characters, none of
// Connect's forbidden characters and names), at most 250 actions, every
// transition pointing at an action, the parameters and conditions of every
// action type the interpreter runs. Warnings name unreachable actions. The
// error, if any, is a *FlowError; LoadFlow reports the first problem in
// document order.
func LoadFlow(data []byte, opts FlowOptions) (*Flow, []FlowWarning, error) {
	f := new(Flow)
	if err := f.decode(data); err != nil {
		return nil, nil, err
	}
	ws, err := f.Validate(opts)
	if err != nil {
		return nil, nil, err
	}
	return f, ws, nil
}

// Validate checks f as LoadFlow does and prepares it to run.
func (f *Flow) Validate(opts FlowOptions) ([]FlowWarning, error) {
	f.prog = nil
	if f.Version != FlowVersion {
		return nil, &FlowError{Field: "Version", Err: fmt.Errorf("%w: %q, want %q", ErrFlowVersion, shorten(f.Version), FlowVersion)}
	}
	def := flow.Def{Start: f.StartAction, Actions: make([]flow.Action, len(f.Actions))}
	for i, a := range f.Actions {
		fa := flow.Action{ID: a.Identifier, Type: a.Type, Params: a.Parameters, Next: a.Transitions.NextAction}
		for _, c := range a.Transitions.Conditions {
			fa.Conditions = append(fa.Conditions, flow.Condition{Next: c.NextAction, Operator: c.Condition.Operator, Operands: c.Condition.Operands})
		}
		for _, e := range a.Transitions.Errors {
			fa.Errors = append(fa.Errors, flow.ErrorBranch{Next: e.NextAction, Type: e.ErrorType})
		}
		def.Actions[i] = fa
	}
	prog, ws, err := flow.Compile(def, flow.Options{Strict: opts.Strict})
	if err != nil {
		var ce *flow.Error
		if errors.As(err, &ce) {
			fe := &FlowError{Field: ce.Field, Err: ce.Err}
			if ce.Index >= 0 {
				fe.Field = fmt.Sprintf("Actions[%d].%s", ce.Index, ce.Field)
				if ce.Field != "Identifier" || flow.CheckIdentifier(ce.Action) == "" {
					fe.Action = ce.Action
				}
			}
			return nil, fe
		}
		return nil, &FlowError{Field: "$", Err: err}
	}
	f.prog = prog
	out := make([]FlowWarning, len(ws))
	for i, w := range ws {
		out[i] = FlowWarning{Action: w.Action, Field: w.Field, Message: w.Message}
	}
	return out, nil
}

// FlowActionSupport says how the interpreter treats an action type for a
// task: "runs", "no effect" (continues, as Connect does for a task),
// "error branch" (does not apply to tasks), "not yet", or "unknown".
func FlowActionSupport(actionType string) string { return flow.Supported(actionType) }
