// Package flow is the interpreter core of switchboard's flows: it compiles a
// flow in Amazon Connect's flow language (already decoded from JSON by the
// switchboard package) into a Program, and runs a Program for one task against
// a small Host interface. It knows nothing of the Router: everything it does to
// a task goes through the Host, and everything it remembers between runs is in
// State, a plain value the caller can serialise.
package flow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits of the flow language (Connect's flow-language reference).
const (
	MaxActions          = 250    // actions per flow
	MaxIdentifierLen    = 50     // characters of an action Identifier
	MaxWaitSeconds      = 604800 // Wait.TimeLimitSeconds: seven days
	MaxLoopCount        = 100    // Loop.LoopCount
	MaxSyncInvokeLimit  = 8      // InvokeLambdaFunction.InvocationTimeLimitSeconds, SYNCHRONOUS
	MaxAsyncInvokeLimit = 60     // InvokeLambdaFunction.InvocationTimeLimitSeconds, ASYNCHRONOUS
	MaxResponseBytes    = 32 * 1024
	MaxInvokeRetries    = 3
	DefaultInvokeLimit  = 3 // seconds, when an export leaves InvocationTimeLimitSeconds out
)

// Sentinels of load-time errors. Every *Error wraps exactly one of them.
var (
	ErrIdentifier    = errors.New("invalid action identifier")
	ErrTransition    = errors.New("invalid transition")
	ErrTooLarge      = errors.New("too many actions")
	ErrParameter     = errors.New("invalid parameter")
	ErrUnknownAction = errors.New("unknown action type")
)

// Action is one action of a flow as the switchboard package decoded it.
// Params is the verbatim JSON of the action's Parameters (nil when absent).
type Action struct {
	ID         string
	Type       string
	Params     json.RawMessage
	Next       string
	Conditions []Condition
	Errors     []ErrorBranch
}

// Condition is one conditional transition.
type Condition struct {
	Next     string
	Operator string
	Operands []string
}

// ErrorBranch is one error transition.
type ErrorBranch struct {
	Next string
	Type string
}

// Def is a flow to compile.
type Def struct {
	Start   string
	Actions []Action
}

// Options tune Compile.
type Options struct {
	// Strict refuses action types this package does not know.
	Strict bool
}

// Error is a load-time error. Index is the action's position in Def.Actions
// (-1 for the flow itself), Action its Identifier, Field the path of the
// offending member inside the action ("Parameters.LoopCount",
// "Transitions.Conditions[1].NextAction") or of the flow ("StartAction").
type Error struct {
	Index  int
	Action string
	Field  string
	Err    error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func errf(i int, id, field string, sentinel error, format string, args ...any) *Error {
	return &Error{Index: i, Action: id, Field: field, Err: fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)}
}

// Warning is a load-time remark that does not stop the flow from loading.
type Warning struct {
	Action  string
	Field   string
	Message string
}

// Program is a compiled flow, safe for concurrent use by many runs.
type Program struct {
	start int
	nodes []node
	index map[string]int
}

// Start is the identifier of the first action.
func (p *Program) Start() string { return p.nodes[p.start].id }

// Len is the number of actions.
func (p *Program) Len() int { return len(p.nodes) }

type node struct {
	id     string
	typ    string
	kind   kind
	next   int // -1: none
	conds  []cond
	errs   []errBranch
	params any // the kind's parameter struct, see params.go
}

type cond struct {
	op      operator
	operand string
	num     float64
	isNum   bool
	next    int
}

type errBranch struct {
	typ  string
	next int
}

type operator uint8

const (
	opEquals operator = iota + 1
	opStartsWith
	opEndsWith
	opContains
	opGT
	opGE
	opLT
	opLE
)

var operators = map[string]operator{
	"Equals":                 opEquals,
	"TextStartsWith":         opStartsWith,
	"TextEndsWith":           opEndsWith,
	"TextContains":           opContains,
	"NumberGreaterThan":      opGT,
	"NumberGreaterOrEqualTo": opGE,
	"NumberLessThan":         opLT,
	"NumberLessOrEqualTo":    opLE,
}

// Operators lists the eight Compare operators, in Connect's order.
var Operators = []string{"Equals", "TextStartsWith", "TextEndsWith", "TextContains",
	"NumberGreaterThan", "NumberGreaterOrEqualTo", "NumberLessThan", "NumberLessOrEqualTo"}

var forbiddenIDStrings = map[string]bool{
	"__proto__": true, "constructor": true, "__defineGetter__": true, "__defineSetter__": true,
	"toString": true, "hasOwnProperty": true, "isPrototypeOf": true, "propertyIsEnumerable": true,
	"toLocaleString": true, "valueOf": true,
}

// CheckIdentifier reports why id is not a valid action Identifier, or "".
func CheckIdentifier(id string) string {
	switch {
	case id == "":
		return "must not be empty"
	case !utf8.ValidString(id):
		return "must be valid UTF-8"
	case utf8.RuneCountInString(id) > MaxIdentifierLen:
		return fmt.Sprintf("at most %d characters", MaxIdentifierLen)
	case strings.ContainsAny(id, `%:(\/)=$,;[]{}`):
		return `must not contain any of % : ( \ / ) = $ , ; [ ] { }`
	case forbiddenIDStrings[id]:
		return "is a reserved name"
	}
	return ""
}

// Compile checks def and compiles it. It returns the first error in document
// order (flow-level checks, then each action in turn), and warnings for
// actions that cannot be reached from the start action.
func Compile(def Def, opts Options) (*Program, []Warning, error) {
	if len(def.Actions) == 0 {
		return nil, nil, errf(-1, "", "Actions", ErrTooLarge, "a flow needs at least one action")
	}
	if len(def.Actions) > MaxActions {
		return nil, nil, errf(-1, "", "Actions", ErrTooLarge, "%d actions, at most %d", len(def.Actions), MaxActions)
	}
	p := &Program{nodes: make([]node, len(def.Actions)), index: make(map[string]int, len(def.Actions))}
	for i, a := range def.Actions {
		if why := CheckIdentifier(a.ID); why != "" {
			return nil, nil, errf(i, a.ID, "Identifier", ErrIdentifier, "Identifier %q %s", shorten(a.ID), why)
		}
		if _, dup := p.index[a.ID]; dup {
			return nil, nil, errf(i, a.ID, "Identifier", ErrIdentifier, "duplicate Identifier %q", a.ID)
		}
		p.index[a.ID] = i
	}
	if def.Start == "" {
		return nil, nil, errf(-1, "", "StartAction", ErrTransition, "StartAction is missing")
	}
	start, ok := p.index[def.Start]
	if !ok {
		return nil, nil, errf(-1, "", "StartAction", ErrTransition, "StartAction %q names no action", shorten(def.Start))
	}
	p.start = start
	for i, a := range def.Actions {
		if err := p.compileAction(i, a, opts); err != nil {
			return nil, nil, err
		}
	}
	return p, p.unreachable(), nil
}

func (p *Program) target(i int, id, field, next string) (int, *Error) {
	if next == "" {
		return -1, nil
	}
	t, ok := p.index[next]
	if !ok {
		return 0, errf(i, id, field, ErrTransition, "%s %q names no action", field, shorten(next))
	}
	return t, nil
}

func (p *Program) compileAction(i int, a Action, opts Options) error {
	n := &p.nodes[i]
	n.id, n.typ = a.ID, a.Type
	var err *Error
	if n.next, err = p.target(i, a.ID, "Transitions.NextAction", a.Next); err != nil {
		return err
	}
	for j, c := range a.Conditions {
		field := fmt.Sprintf("Transitions.Conditions[%d]", j)
		if c.Next == "" {
			return errf(i, a.ID, field+".NextAction", ErrTransition, "a condition needs a NextAction")
		}
		t, err := p.target(i, a.ID, field+".NextAction", c.Next)
		if err != nil {
			return err
		}
		cd := cond{next: t, op: operators[c.Operator]}
		if len(c.Operands) > 0 {
			cd.operand = c.Operands[0]
			cd.num, cd.isNum = number(cd.operand)
		}
		n.conds = append(n.conds, cd)
	}
	for j, e := range a.Errors {
		field := fmt.Sprintf("Transitions.Errors[%d]", j)
		if e.Next == "" {
			return errf(i, a.ID, field+".NextAction", ErrTransition, "an error branch needs a NextAction")
		}
		t, err := p.target(i, a.ID, field+".NextAction", e.Next)
		if err != nil {
			return err
		}
		n.errs = append(n.errs, errBranch{typ: e.Type, next: t})
	}
	spec, known := specs[a.Type]
	if !known {
		if opts.Strict {
			return errf(i, a.ID, "Type", ErrUnknownAction, "action type %q is not supported (strict mode)", shorten(a.Type))
		}
		n.kind = kindUnknown
		return nil
	}
	n.kind = spec.kind
	if spec.conditions != nil {
		if err := spec.conditions(i, a); err != nil {
			return err
		}
	} else if len(a.Conditions) > 0 && spec.noConditions {
		return errf(i, a.ID, "Transitions.Conditions", ErrTransition, "%s takes no conditions", a.Type)
	}
	if spec.needsNext && a.Next == "" {
		return errf(i, a.ID, "Transitions.NextAction", ErrTransition, "%s needs a NextAction", a.Type)
	}
	if spec.parse != nil {
		obj, perr := paramObject(i, a)
		if perr != nil {
			return perr
		}
		v, perr := spec.parse(&paramReader{i: i, id: a.ID, obj: obj})
		if perr != nil {
			return perr
		}
		n.params = v
	}
	return nil
}

// paramObject decodes Parameters into its members. null, absent and {} are
// all an empty object.
func paramObject(i int, a Action) (map[string]json.RawMessage, *Error) {
	raw := bytes.TrimSpace(a.Params)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] != '{' {
		return nil, errf(i, a.ID, "Parameters", ErrParameter, "Parameters must be an object")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, errf(i, a.ID, "Parameters", ErrParameter, "Parameters: %v", err)
	}
	return obj, nil
}

func (p *Program) unreachable() []Warning {
	seen := make([]bool, len(p.nodes))
	stack := []int{p.start}
	seen[p.start] = true
	push := func(t int) {
		if t >= 0 && !seen[t] {
			seen[t] = true
			stack = append(stack, t)
		}
	}
	for len(stack) > 0 {
		n := &p.nodes[stack[len(stack)-1]]
		stack = stack[:len(stack)-1]
		push(n.next)
		for _, c := range n.conds {
			push(c.next)
		}
		for _, e := range n.errs {
			push(e.next)
		}
	}
	var ws []Warning
	for i, ok := range seen {
		if !ok {
			ws = append(ws, Warning{Action: p.nodes[i].id, Field: "Identifier",
				Message: "unreachable: no transition from the start action leads here"})
		}
	}
	return ws
}

// number parses a decimal number the way the Number* operators read one:
// finite, no NaN or Inf spellings, surrounding spaces ignored.
func number(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	c := s[0]
	if c != '-' && c != '+' && c != '.' && (c < '0' || c > '9') {
		return 0, false
	}
	if strings.ContainsAny(s, "xX_") {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

func shorten(s string) string {
	if len(s) <= 64 {
		return s
	}
	cut := 61
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
