package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The actions that need more of the host than Host offers: routing
// criteria, linked tasks, other flows, hours of operation. Each is an
// optional capability of the Host; a host without it sends the action down
// its Error branch.

// CriteriaSetter sets a task's routing criteria (UpdateContactRoutingCriteria).
type CriteriaSetter interface {
	SetRoutingCriteria(ctx context.Context, steps []CriteriaStep) error
}

// CriteriaStep is one step of routing criteria, its JSON paths resolved.
type CriteriaStep struct {
	Expiry time.Duration // 0: the step never expires
	Expr   CriteriaExpr
}

// CriteriaExpr is an expression of a step: an attribute condition (Name,
// Value, Level; or Agents, the preferred agents of a Match condition), or
// an And or Or of expressions.
type CriteriaExpr struct {
	Name   string
	Value  string
	Level  int
	Agents []string
	And    []CriteriaExpr
	Or     []CriteriaExpr
}

// TaskCreator creates a linked task (CreateTask) and returns its ID.
type TaskCreator interface {
	CreateTask(ctx context.Context, t NewTask) (string, error)
}

// NewTask is what CreateTask asks for, its JSON paths resolved.
type NewTask struct {
	Flow        string // ContactFlowId: a flow ID or ARN; "" for none
	Name        string
	Description string
	Attributes  map[string]string
	References  map[string]NewReference
	Delay       time.Duration // DelaySeconds; 0 when not set
	Scheduled   time.Time     // ScheduledTime; zero when not set
	Template    string        // TaskTemplateId
	// Token is the same for every run of this action at this point of this
	// run, so that a run resumed after a restart does not create the task
	// twice.
	Token string
}

// NewReference is a reference of a NewTask.
type NewReference struct{ Type, Value string }

// FlowSwitcher moves the run to another flow (TransferToFlow): it checks
// that the flow exists, and the run ends with StatusTransferred.
type FlowSwitcher interface {
	CheckFlow(ctx context.Context, flow string) error
}

// HoursChecker answers CheckHoursOfOperation: whether the hours named (an
// ID or ARN; "" for those of the working queue) are open at t.
type HoursChecker interface {
	InHours(ctx context.Context, hours string, t time.Time) (bool, error)
}

type (
	criteriaParams    struct{ steps []criteriaStepParam }
	criteriaStepParam struct {
		expiry int64
		expr   criteriaExprParam
	}
	criteriaExprParam struct {
		name   string
		value  value
		level  int
		agents []value
		and    []criteriaExprParam
		or     []criteriaExprParam
	}
	createTaskParams struct {
		flow        value
		name        value
		description value
		attrs       []kv
		refs        map[string][2]value
		delay       int64
		scheduled   value
		template    string
	}
	transferFlowParams struct{ flow value }
	hoursParams        struct{ hours value }
	dequeueParams      struct{ target setQueueParams }
)

// MaxCreateTaskDelay is CreateTask's DelaySeconds limit: six days.
const MaxCreateTaskDelay = 518400

func init() {
	specs["UpdateContactRoutingCriteria"] = spec{kind: kindCriteria, needsNext: true, noConditions: true, parse: parseCriteria}
	specs["UpdateRoutingCriteria"] = specs["UpdateContactRoutingCriteria"] // the block reference's name
	specs["CreateTask"] = spec{kind: kindCreateTask, needsNext: true, noConditions: true, parse: parseCreateTask}
	specs["TransferToFlow"] = spec{kind: kindTransferFlow, noConditions: true, parse: parseTransferFlow}
	specs["CheckHoursOfOperation"] = spec{kind: kindHours, conditions: checkHours, parse: parseHours}
	specs["TransferContactToAgent"] = spec{kind: kindTransfer, noConditions: true}
	specs["DequeueContactAndTransferToQueue"] = spec{kind: kindDequeue, noConditions: true, parse: parseDequeue}
}

func checkHours(i int, a Action) *Error {
	if err := equalsOnly(i, a); err != nil {
		return err
	}
	for j, c := range a.Conditions {
		if op := c.Operands[0]; op != "True" && op != "False" {
			return errf(i, a.ID, fmt.Sprintf("Transitions.Conditions[%d].Condition.Operands", j), ErrTransition,
				"CheckHoursOfOperation takes True and False, not %q", shorten(op))
		}
	}
	return nil
}

func parseHours(r *paramReader) (any, *Error) {
	v, _, err := r.value("HoursOfOperationId")
	return hoursParams{hours: v}, err
}

func parseTransferFlow(r *paramReader) (any, *Error) {
	v, ok, err := r.value("ContactFlowId")
	if err != nil {
		return nil, err
	}
	if !ok || v.text == "" {
		return nil, r.fail("ContactFlowId", "ContactFlowId is required")
	}
	return transferFlowParams{flow: v}, nil
}

func parseDequeue(r *paramReader) (any, *Error) {
	p, err := parseSetQueue(r)
	if err != nil {
		return nil, err
	}
	return dequeueParams{target: p.(setQueueParams)}, nil
}

// rawExpr is Connect's Expression: a tagged union.
type rawExpr struct {
	AttributeCondition *struct {
		Name               string
		Value              string
		ProficiencyLevel   json.RawMessage
		ComparisonOperator string
		MatchCriteria      *struct{ AgentsCriteria struct{ AgentIds []string } }
	}
	AndExpression []rawExpr
	OrExpression  []rawExpr
}

func parseCriteria(r *paramReader) (any, *Error) {
	raw, ok := r.obj["RoutingCriteria"]
	if !ok || string(raw) == "null" {
		return nil, r.fail("RoutingCriteria", "RoutingCriteria is required")
	}
	var rc struct {
		Steps []struct {
			Expiry *struct {
				DurationInSeconds json.RawMessage
			}
			Expression rawExpr
		}
	}
	if err := json.Unmarshal(raw, &rc); err != nil {
		return nil, r.fail("RoutingCriteria", "RoutingCriteria must be {\"Steps\": [{\"Expression\": ..., \"Expiry\": ...}]}: %v", err)
	}
	if len(rc.Steps) == 0 {
		return nil, r.fail("RoutingCriteria.Steps", "at least one step is required")
	}
	var p criteriaParams
	for i, s := range rc.Steps {
		field := fmt.Sprintf("RoutingCriteria.Steps[%d]", i)
		var st criteriaStepParam
		if s.Expiry != nil && len(s.Expiry.DurationInSeconds) > 0 && string(s.Expiry.DurationInSeconds) != "null" {
			n, ok := jsonInt(s.Expiry.DurationInSeconds)
			if !ok || n < 1 || n > MaxWaitSeconds {
				return nil, r.fail(field+".Expiry.DurationInSeconds", "DurationInSeconds must be a static number of seconds, 1..%d", MaxWaitSeconds)
			}
			st.expiry = n
		}
		e, err := parseExpr(r, field+".Expression", s.Expression, 0)
		if err != nil {
			return nil, err
		}
		st.expr = e
		p.steps = append(p.steps, st)
	}
	return p, nil
}

func parseExpr(r *paramReader, field string, e rawExpr, depth int) (criteriaExprParam, *Error) {
	var out criteriaExprParam
	if depth > 5 {
		return out, r.fail(field, "expressions nest at most 5 deep")
	}
	set := 0
	if c := e.AttributeCondition; c != nil {
		set++
		out.name = c.Name
		if c.MatchCriteria != nil {
			if len(c.MatchCriteria.AgentsCriteria.AgentIds) == 0 {
				return out, r.fail(field+".AttributeCondition.MatchCriteria", "a Match condition names at least one agent")
			}
			for _, id := range c.MatchCriteria.AgentsCriteria.AgentIds {
				v, perr := parseValue(id)
				if perr != "" {
					return out, r.fail(field+".AttributeCondition.MatchCriteria", "%s", perr)
				}
				out.agents = append(out.agents, v)
			}
		} else {
			if c.Name == "" {
				return out, r.fail(field+".AttributeCondition.Name", "Name is required")
			}
			v, perr := parseValue(c.Value)
			if perr != "" {
				return out, r.fail(field+".AttributeCondition.Value", "%s", perr)
			}
			out.value = v
			if len(c.ProficiencyLevel) > 0 && string(c.ProficiencyLevel) != `""` && string(c.ProficiencyLevel) != "null" {
				lv, ok := jsonFloat(c.ProficiencyLevel)
				if !ok || lv < 1 || lv > 5 {
					return out, r.fail(field+".AttributeCondition.ProficiencyLevel", "ProficiencyLevel must be 1.0..5.0")
				}
				out.level = int(lv)
			}
		}
	}
	for _, sub := range [2]struct {
		name string
		list []rawExpr
		dst  *[]criteriaExprParam
	}{{"AndExpression", e.AndExpression, &out.and}, {"OrExpression", e.OrExpression, &out.or}} {
		if sub.list == nil {
			continue
		}
		set++
		for i, x := range sub.list {
			pe, err := parseExpr(r, fmt.Sprintf("%s.%s[%d]", field, sub.name, i), x, depth+1)
			if err != nil {
				return out, err
			}
			*sub.dst = append(*sub.dst, pe)
		}
	}
	if set != 1 {
		return out, r.fail(field, "an Expression holds exactly one of AttributeCondition, AndExpression, OrExpression")
	}
	return out, nil
}

func jsonInt(raw json.RawMessage) (int64, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		raw = json.RawMessage(strings.TrimSpace(s))
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	return n, err == nil
}

func jsonFloat(raw json.RawMessage) (float64, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		raw = json.RawMessage(strings.TrimSpace(s))
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	return f, err == nil
}

func parseCreateTask(r *paramReader) (any, *Error) {
	var p createTaskParams
	var err *Error
	if p.flow, _, err = r.value("ContactFlowId"); err != nil {
		return nil, err
	}
	var ok bool
	if p.name, ok, err = r.value("Name"); err != nil {
		return nil, err
	}
	tpl, hasTpl, err := r.str("TaskTemplateId")
	if err != nil {
		return nil, err
	}
	p.template = tpl
	if (!ok || p.name.text == "") && !hasTpl {
		return nil, r.fail("Name", "Name is required (or TaskTemplateId)")
	}
	if p.description, _, err = r.value("Description"); err != nil {
		return nil, err
	}
	if p.attrs, _, err = r.strMap("Attributes", false, attributeKey); err != nil {
		return nil, err
	}
	if raw, ok := r.obj["References"]; ok && string(raw) != "null" {
		var m map[string]struct{ Type, Value string }
		if json.Unmarshal(raw, &m) != nil {
			return nil, r.fail("References", "References must be an object of {\"Type\", \"Value\"}")
		}
		p.refs = map[string][2]value{}
		for name, ref := range m {
			v, perr := parseValue(ref.Value)
			if perr != "" {
				return nil, r.fail("References."+name+".Value", "%s", perr)
			}
			p.refs[name] = [2]value{{text: ref.Type}, v}
		}
	}
	delay, hasDelay, err := r.num("DelaySeconds", 1, MaxCreateTaskDelay, false)
	if err != nil {
		return nil, err
	}
	p.delay = delay.n
	var hasSched bool
	if p.scheduled, hasSched, err = r.value("ScheduledTime"); err != nil {
		return nil, err
	}
	if hasDelay && hasSched {
		return nil, r.fail("DelaySeconds", "DelaySeconds and ScheduledTime are exclusive")
	}
	return p, nil
}

// stepMore runs the actions of this file.
func (r *runner) stepMore(n *node) (int, *Result) {
	ctx := r.ctx
	switch n.kind {
	case kindCriteria:
		cs, ok := r.h.(CriteriaSetter)
		if !ok {
			return r.branch(n, "NoMatchingError", errors.New("the host cannot set routing criteria"), false)
		}
		p := n.params.(criteriaParams)
		steps := make([]CriteriaStep, len(p.steps))
		for i, s := range p.steps {
			steps[i] = CriteriaStep{Expiry: time.Duration(s.expiry) * time.Second, Expr: r.expr(s.expr)}
		}
		if err := cs.SetRoutingCriteria(ctx, steps); err != nil {
			return r.branch(n, "NoMatchingError", err, false)
		}
		return r.goTo(n, n.next)
	case kindCreateTask:
		tc, ok := r.h.(TaskCreator)
		if !ok {
			return r.branch(n, "NoMatchingError", errors.New("the host cannot create tasks"), false)
		}
		p := n.params.(createTaskParams)
		t := NewTask{Template: p.template, Delay: time.Duration(p.delay) * time.Second,
			Token: fmt.Sprintf("%s#%d", n.id, r.st.Steps)}
		t.Flow, _ = r.resolve(p.flow)
		t.Name, _ = r.resolve(p.name)
		t.Description, _ = r.resolve(p.description)
		if len(p.attrs) > 0 {
			t.Attributes = make(map[string]string, len(p.attrs))
			for _, a := range p.attrs {
				t.Attributes[a.key], _ = r.resolve(a.val)
			}
		}
		if len(p.refs) > 0 {
			t.References = make(map[string]NewReference, len(p.refs))
			for name, ref := range p.refs {
				v, _ := r.resolve(ref[1])
				t.References[name] = NewReference{Type: ref[0].text, Value: v}
			}
		}
		if p.scheduled.text != "" {
			s, _ := r.resolve(p.scheduled)
			at, err := parseTime(s)
			if err != nil {
				return r.branch(n, "NoMatchingError", err, false)
			}
			if !at.After(r.h.Now()) {
				return r.branch(n, "NoMatchingError", fmt.Errorf("ScheduledTime %s is not in the future", s), false)
			}
			t.Scheduled = at
		}
		if _, err := tc.CreateTask(ctx, t); err != nil {
			return r.branch(n, "NoMatchingError", err, false)
		}
		return r.goTo(n, n.next)
	case kindTransferFlow:
		fs, ok := r.h.(FlowSwitcher)
		if !ok {
			return r.branch(n, "NoMatchingError", errors.New("the host cannot transfer to a flow"), true)
		}
		f, _ := r.resolve(n.params.(transferFlowParams).flow)
		if err := fs.CheckFlow(ctx, f); err != nil {
			return r.branch(n, "NoMatchingError", err, true)
		}
		return 0, &Result{Status: StatusTransferred, Action: n.id, Flow: f}
	case kindHours:
		hc, ok := r.h.(HoursChecker)
		if !ok {
			return r.branch(n, "NoMatchingError", errors.New("the host has no hours of operation"), false)
		}
		hours, _ := r.resolve(n.params.(hoursParams).hours)
		open, err := hc.InHours(ctx, hours, r.h.Now())
		if err != nil {
			return r.branch(n, "NoMatchingError", err, false)
		}
		want := "False"
		if open {
			want = "True"
		}
		return r.condition(n, want)
	case kindDequeue:
		p := n.params.(dequeueParams).target
		q, ok := r.resolve(p.queue)
		if !ok || q == "" {
			return r.branch(n, "NoMatchingError", fmt.Errorf("%s resolves to nothing", p.queue.text), true)
		}
		if err := r.h.SetTargetQueue(ctx, Target{Queue: q, Agent: p.agent}); err != nil {
			return r.branch(n, "NoMatchingError", err, true)
		}
		n2 := *n
		n2.kind = kindTransfer
		return r.step(&n2)
	}
	return r.branch(n, "NoMatchingError", errors.New("unknown action type"), false)
}

func (r *runner) expr(p criteriaExprParam) CriteriaExpr {
	e := CriteriaExpr{Name: p.name, Level: p.level}
	e.Value, _ = r.resolve(p.value)
	for _, a := range p.agents {
		if id, ok := r.resolve(a); ok && id != "" {
			e.Agents = append(e.Agents, id)
		}
	}
	for _, x := range p.and {
		e.And = append(e.And, r.expr(x))
	}
	for _, x := range p.or {
		e.Or = append(e.Or, r.expr(x))
	}
	return e
}

// parseTime reads ScheduledTime: epoch seconds, as Connect takes it, or
// RFC 3339.
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("ScheduledTime %q is neither epoch seconds nor RFC 3339", shorten(s))
	}
	return t, nil
}
