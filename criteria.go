package switchboard

import (
	"fmt"
	"strconv"
	"time"
)

// RoutingCriteria restricts which agents may take a task, in steps that relax
// over time. While a step is active only agents matching its Requirement
// qualify; when its Expiry passes the next step applies; after the last step
// expires, any agent of the queue qualifies. A step with no Expiry never
// expires. Criteria apply in standard queues only, not in agent queues.
type RoutingCriteria struct {
	Steps []RoutingStep
}

// RoutingStep is one step of routing criteria.
type RoutingStep struct {
	Requirement Requirement
	Expiry      time.Duration // 0 means the step never expires
}

// Requirement is a tree of conditions on agents. Exactly one field is set.
// Build one with Proficient, PreferredAgents, AllOf and AnyOf.
type Requirement struct {
	// Attribute: the agent has Name=Value at level MinLevel or higher.
	Attribute *AttributeCondition
	// Preferred: the agent is one of AgentIDs.
	Preferred []string
	And       []Requirement
	Or        []Requirement
}

// AttributeCondition requires a proficiency of at least MinLevel.
type AttributeCondition struct {
	Name     string
	Value    string
	MinLevel int // 1..5
}

// Proficient is the condition "agent has name=value at level ≥ minLevel".
func Proficient(name, value string, minLevel int) Requirement {
	return Requirement{Attribute: &AttributeCondition{Name: name, Value: value, MinLevel: minLevel}}
}

// PreferredAgents is the condition "agent is one of ids".
func PreferredAgents(ids ...string) Requirement {
	return Requirement{Preferred: append(make([]string, 0, len(ids)), ids...)}
}

// AllOf is the conjunction of es.
func AllOf(es ...Requirement) Requirement {
	return Requirement{And: append(make([]Requirement, 0, len(es)), es...)}
}

// AnyOf is the disjunction of es.
func AnyOf(es ...Requirement) Requirement {
	return Requirement{Or: append(make([]Requirement, 0, len(es)), es...)}
}

// Clone returns a deep copy of c (nil for nil).
func (c *RoutingCriteria) Clone() *RoutingCriteria {
	if c == nil {
		return nil
	}
	out := &RoutingCriteria{Steps: make([]RoutingStep, len(c.Steps))}
	for i, s := range c.Steps {
		out.Steps[i] = RoutingStep{Requirement: s.Requirement.clone(), Expiry: s.Expiry}
	}
	return out
}

func (e Requirement) clone() Requirement {
	var out Requirement
	if e.Attribute != nil {
		a := *e.Attribute
		out.Attribute = &a
	}
	if e.Preferred != nil {
		out.Preferred = append(make([]string, 0, len(e.Preferred)), e.Preferred...)
	}
	if e.And != nil {
		out.And = make([]Requirement, 0, len(e.And))
		for _, x := range e.And {
			out.And = append(out.And, x.clone())
		}
	}
	if e.Or != nil {
		out.Or = make([]Requirement, 0, len(e.Or))
		for _, x := range e.Or {
			out.Or = append(out.Or, x.clone())
		}
	}
	return out
}

func (c *RoutingCriteria) validate(field string) error {
	if len(c.Steps) == 0 {
		return invalid(field+".Steps", "", "at least one step (or no criteria at all)")
	}
	if len(c.Steps) > MaxRoutingSteps {
		return invalid(field+".Steps", fmt.Sprint(len(c.Steps)), fmt.Sprintf("at most %d steps", MaxRoutingSteps))
	}
	p := make(fieldPath, 0, 2*MaxRequirementDepth+2)
	p = append(p, pathElem{field + ".Steps", 0})
	for i, s := range c.Steps {
		p[0].index = i
		if s.Expiry < 0 || s.Expiry%time.Second != 0 {
			return invalid(p.String()+".Expiry", s.Expiry.String(), "whole seconds, 0 for never")
		}
		leaves := 0
		if err := s.Requirement.validate(append(p, pathElem{".Requirement", -1}), 1, &leaves); err != nil {
			return err
		}
	}
	return nil
}

// fieldPath is the path to a field inside routing criteria, rendered only
// when an error names it, so that validating good input builds no strings.
type fieldPath []pathElem

type pathElem struct {
	name  string
	index int // -1 when the element is not indexed
}

func (p fieldPath) String() string {
	var b []byte
	for _, e := range p {
		b = append(b, e.name...)
		if e.index >= 0 {
			b = append(b, '[')
			b = strconv.AppendInt(b, int64(e.index), 10)
			b = append(b, ']')
		}
	}
	return string(b)
}

func (e *Requirement) validate(p fieldPath, depth int, leaves *int) error {
	if depth > MaxRequirementDepth {
		return invalid(p.String(), "", fmt.Sprintf("nested at most %d deep", MaxRequirementDepth))
	}
	set := 0
	if e.Attribute != nil {
		set++
	}
	if e.Preferred != nil {
		set++
	}
	if e.And != nil {
		set++
	}
	if e.Or != nil {
		set++
	}
	if set != 1 {
		return invalid(p.String(), "", "exactly one of Attribute, Preferred, And, Or must be set")
	}
	switch {
	case e.Attribute != nil:
		*leaves++
		a := e.Attribute
		if err := checkAttrName(p.String()+".Attribute.Name", a.Name); err != nil {
			return err
		}
		if err := checkAttrValue(p.String()+".Attribute.Value", a.Value); err != nil {
			return err
		}
		if a.MinLevel < 1 || a.MinLevel > 5 {
			return invalid(p.String()+".Attribute.MinLevel", fmt.Sprint(a.MinLevel), "must be 1..5")
		}
	case e.Preferred != nil:
		*leaves++
		if len(e.Preferred) == 0 || len(e.Preferred) > MaxPreferredAgents {
			return invalid(p.String()+".Preferred", fmt.Sprint(len(e.Preferred)), fmt.Sprintf("1..%d agent IDs", MaxPreferredAgents))
		}
		for i, id := range e.Preferred {
			if err := checkID(fmt.Sprintf("%s.Preferred[%d]", p, i), id); err != nil {
				return err
			}
		}
	default:
		kids, name := e.And, ".And"
		if e.Or != nil {
			kids, name = e.Or, ".Or"
		}
		if len(kids) == 0 {
			return invalid(p.String()+name, "", "at least one operand")
		}
		for i := range kids {
			if err := kids[i].validate(append(p, pathElem{name, i}), depth+1, leaves); err != nil {
				return err
			}
		}
	}
	if *leaves > MaxRequirementLeaves {
		return invalid(p.String(), "", fmt.Sprintf("at most %d conditions", MaxRequirementLeaves))
	}
	return nil
}

// Matches reports whether agent a satisfies e.
func (e *Requirement) Matches(a *Agent) bool {
	switch {
	case e.Attribute != nil:
		return a.proficiency(e.Attribute.Name, e.Attribute.Value) >= e.Attribute.MinLevel
	case e.Preferred != nil:
		for _, id := range e.Preferred {
			if id == a.ID {
				return true
			}
		}
		return false
	case e.And != nil:
		for i := range e.And {
			if !e.And[i].Matches(a) {
				return false
			}
		}
		return true
	default:
		for i := range e.Or {
			if e.Or[i].Matches(a) {
				return true
			}
		}
		return false
	}
}

// String renders e canonically, e.g. `("Language"="French">=4 AND agent in ["ana"])`.
// Equal expressions render equally; the router groups waiting tasks by it.
func (e *Requirement) String() string { return string(e.appendTo(nil)) }

// appendTo appends the canonical form of e to b.
func (e *Requirement) appendTo(b []byte) []byte {
	switch {
	case e.Attribute != nil:
		b = strconv.AppendQuote(b, e.Attribute.Name)
		b = append(b, '=')
		b = strconv.AppendQuote(b, e.Attribute.Value)
		b = append(b, ">="...)
		b = strconv.AppendInt(b, int64(e.Attribute.MinLevel), 10)
	case e.Preferred != nil:
		b = append(b, "agent in ["...)
		for i, id := range e.Preferred {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendQuote(b, id)
		}
		b = append(b, ']')
	default:
		kids, op := e.And, " AND "
		if e.Or != nil {
			kids, op = e.Or, " OR "
		}
		b = append(b, '(')
		for i := range kids {
			if i > 0 {
				b = append(b, op...)
			}
			b = kids[i].appendTo(b)
		}
		b = append(b, ')')
	}
	return b
}

// activeStep returns the index of the step active at now for criteria
// activated at start, or -1 when every step has expired, and the instant the
// active step expires (zero if never).
func (c *RoutingCriteria) activeStep(start, now time.Time) (int, time.Time) {
	at := start
	for i, s := range c.Steps {
		if s.Expiry == 0 {
			return i, time.Time{}
		}
		at = at.Add(s.Expiry)
		if now.Before(at) {
			return i, at
		}
	}
	return -1, time.Time{}
}
