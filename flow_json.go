package switchboard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// The JSON codec of flows. Decoding keeps every member: the known ones in
// fields, Metadata and Parameters verbatim, the unknown ones in Extra.
// Encoding writes the known members in Connect's order (Version, StartAction,
// Metadata, Actions; Identifier, Type, Parameters, Transitions; NextAction,
// Conditions, Errors), then Extra in key order. What is not kept, and so
// defines "the same flow" (docs/flows.md, Round trip): whitespace, the order
// of an object's members, a NextAction that is "" or null (the same as
// absent), Conditions or Errors that are null (the same as absent), and an
// absent Transitions (written as {}).

// MarshalJSON writes the flow in Connect's flow language.
func (f Flow) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"Version":`)
	writeJSONString(&b, f.Version)
	b.WriteString(`,"StartAction":`)
	writeJSONString(&b, f.StartAction)
	if f.Metadata != nil {
		b.WriteString(`,"Metadata":`)
		if err := writeRaw(&b, f.Metadata); err != nil {
			return nil, fmt.Errorf("Metadata: %w", err)
		}
	}
	b.WriteString(`,"Actions":[`)
	for i := range f.Actions {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := f.Actions[i].write(&b); err != nil {
			return nil, fmt.Errorf("Actions[%d]: %w", i, err)
		}
	}
	b.WriteByte(']')
	if err := writeExtra(&b, f.Extra); err != nil {
		return nil, err
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads a flow without validating it; LoadFlow also validates.
func (f *Flow) UnmarshalJSON(data []byte) error { return f.decode(data) }

func (a *FlowAction) write(b *bytes.Buffer) error {
	b.WriteString(`{"Identifier":`)
	writeJSONString(b, a.Identifier)
	b.WriteString(`,"Type":`)
	writeJSONString(b, a.Type)
	if a.Parameters != nil {
		b.WriteString(`,"Parameters":`)
		if err := writeRaw(b, a.Parameters); err != nil {
			return fmt.Errorf("Parameters: %w", err)
		}
	}
	b.WriteString(`,"Transitions":{`)
	t := &a.Transitions
	sep := ""
	if t.NextAction != "" {
		b.WriteString(`"NextAction":`)
		writeJSONString(b, t.NextAction)
		sep = ","
	}
	if t.Conditions != nil {
		b.WriteString(sep + `"Conditions":[`)
		for i, c := range t.Conditions {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"NextAction":`)
			writeJSONString(b, c.NextAction)
			b.WriteString(`,"Condition":{"Operator":`)
			writeJSONString(b, c.Condition.Operator)
			b.WriteString(`,"Operands":[`)
			for j, o := range c.Condition.Operands {
				if j > 0 {
					b.WriteByte(',')
				}
				writeJSONString(b, o)
			}
			b.WriteString(`]}}`)
		}
		b.WriteByte(']')
		sep = ","
	}
	if t.Errors != nil {
		b.WriteString(sep + `"Errors":[`)
		for i, e := range t.Errors {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"NextAction":`)
			writeJSONString(b, e.NextAction)
			b.WriteString(`,"ErrorType":`)
			writeJSONString(b, e.ErrorType)
			b.WriteByte('}')
		}
		b.WriteByte(']')
		sep = ","
	}
	if len(t.Extra) > 0 {
		if sep == "" {
			// writeExtra starts each member with a comma; open with a placeholder-free form.
			var inner bytes.Buffer
			if err := writeExtra(&inner, t.Extra); err != nil {
				return err
			}
			b.Write(inner.Bytes()[1:])
		} else if err := writeExtra(b, t.Extra); err != nil {
			return err
		}
	}
	b.WriteByte('}')
	if err := writeExtra(b, a.Extra); err != nil {
		return err
	}
	b.WriteByte('}')
	return nil
}

func writeJSONString(b *bytes.Buffer, s string) {
	out, _ := json.Marshal(s) // a string always marshals
	b.Write(out)
}

func writeRaw(b *bytes.Buffer, raw json.RawMessage) error {
	if err := json.Compact(b, raw); err != nil {
		return err
	}
	return nil
}

func writeExtra(b *bytes.Buffer, extra map[string]json.RawMessage) error {
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b.WriteByte(',')
		writeJSONString(b, k)
		b.WriteByte(':')
		if err := writeRaw(b, extra[k]); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	return nil
}

// decoding

func syntaxErr(field, format string, args ...any) *FlowError {
	return &FlowError{Field: field, Err: fmt.Errorf("%w: "+format, append([]any{ErrFlowSyntax}, args...)...)}
}

// members decodes a JSON object into its members; null gives nil.
func members(raw json.RawMessage, field string) (map[string]json.RawMessage, *FlowError) {
	raw = bytes.TrimSpace(raw)
	if string(raw) == "null" {
		return nil, nil
	}
	if len(raw) == 0 || raw[0] != '{' {
		return nil, syntaxErr(field, "%s must be an object", field)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, syntaxErr(field, "%v", err)
	}
	if m == nil {
		m = map[string]json.RawMessage{}
	}
	return m, nil
}

// takeString removes member name from m and decodes it as a string; null
// and absent give "".
func takeString(m map[string]json.RawMessage, name, field string) (string, *FlowError) {
	raw, ok := m[name]
	if !ok {
		return "", nil
	}
	delete(m, name)
	if string(bytes.TrimSpace(raw)) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", syntaxErr(field, "%s must be a string", field)
	}
	return s, nil
}

// takeArray removes member name and decodes it as an array; absent and null
// give nil, [] gives an empty non-nil slice.
func takeArray(m map[string]json.RawMessage, name, field string) ([]json.RawMessage, *FlowError) {
	raw, ok := m[name]
	if !ok {
		return nil, nil
	}
	delete(m, name)
	raw = bytes.TrimSpace(raw)
	if string(raw) == "null" {
		return nil, nil
	}
	if len(raw) == 0 || raw[0] != '[' {
		return nil, syntaxErr(field, "%s must be an array", field)
	}
	out := []json.RawMessage{}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, syntaxErr(field, "%v", err)
	}
	return out, nil
}

func extra(m map[string]json.RawMessage) map[string]json.RawMessage {
	if len(m) == 0 {
		return nil
	}
	return m
}

func (f *Flow) decode(data []byte) error {
	*f = Flow{}
	if !json.Valid(data) {
		var v any
		err := json.Unmarshal(data, &v)
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return syntaxErr("$", "invalid JSON at byte %d: %v", se.Offset, se)
		}
		return syntaxErr("$", "invalid JSON")
	}
	m, ferr := members(data, "$")
	if ferr != nil {
		return ferr
	}
	if m == nil {
		return syntaxErr("$", "a flow is a JSON object, not null")
	}
	if f.Version, ferr = takeString(m, "Version", "Version"); ferr != nil {
		return ferr
	}
	if f.StartAction, ferr = takeString(m, "StartAction", "StartAction"); ferr != nil {
		return ferr
	}
	if raw, ok := m["Metadata"]; ok {
		f.Metadata = bytes.Clone(raw)
		delete(m, "Metadata")
	}
	actions, ferr := takeArray(m, "Actions", "Actions")
	if ferr != nil {
		return ferr
	}
	if len(actions) > MaxFlowActions {
		return &FlowError{Field: "Actions", Err: fmt.Errorf("%w: %d actions, at most %d", ErrFlowTooLarge, len(actions), MaxFlowActions)}
	}
	f.Extra = extra(m)
	f.Actions = make([]FlowAction, len(actions))
	for i, raw := range actions {
		if err := f.Actions[i].decode(raw, fmt.Sprintf("Actions[%d]", i)); err != nil {
			return err
		}
	}
	return nil
}

func (a *FlowAction) decode(raw json.RawMessage, field string) *FlowError {
	m, ferr := members(raw, field)
	if ferr != nil {
		return ferr
	}
	if m == nil {
		return syntaxErr(field, "%s must be an object, not null", field)
	}
	if a.Identifier, ferr = takeString(m, "Identifier", field+".Identifier"); ferr != nil {
		return ferr
	}
	named := func(e *FlowError) *FlowError {
		e.Action = a.Identifier
		return e
	}
	if a.Type, ferr = takeString(m, "Type", field+".Type"); ferr != nil {
		return named(ferr)
	}
	if p, ok := m["Parameters"]; ok {
		a.Parameters = bytes.Clone(p)
		delete(m, "Parameters")
	}
	if t, ok := m["Transitions"]; ok {
		delete(m, "Transitions")
		if ferr = a.Transitions.decode(t, field+".Transitions"); ferr != nil {
			return named(ferr)
		}
	}
	a.Extra = extra(m)
	return nil
}

func (t *FlowTransitions) decode(raw json.RawMessage, field string) *FlowError {
	m, ferr := members(raw, field)
	if ferr != nil || m == nil {
		return ferr
	}
	if t.NextAction, ferr = takeString(m, "NextAction", field+".NextAction"); ferr != nil {
		return ferr
	}
	conds, ferr := takeArray(m, "Conditions", field+".Conditions")
	if ferr != nil {
		return ferr
	}
	if conds != nil {
		t.Conditions = make([]FlowCondition, len(conds))
	}
	for i, raw := range conds {
		cf := fmt.Sprintf("%s.Conditions[%d]", field, i)
		cm, ferr := members(raw, cf)
		if ferr != nil {
			return ferr
		}
		c := &t.Conditions[i]
		if c.NextAction, ferr = takeString(cm, "NextAction", cf+".NextAction"); ferr != nil {
			return ferr
		}
		em, ferr := members(cm["Condition"], cf+".Condition")
		if ferr != nil {
			return ferr
		}
		if c.Condition.Operator, ferr = takeString(em, "Operator", cf+".Condition.Operator"); ferr != nil {
			return ferr
		}
		ops, ferr := takeArray(em, "Operands", cf+".Condition.Operands")
		if ferr != nil {
			return ferr
		}
		c.Condition.Operands = make([]string, len(ops))
		for j, o := range ops {
			if err := json.Unmarshal(o, &c.Condition.Operands[j]); err != nil {
				return syntaxErr(fmt.Sprintf("%s.Condition.Operands[%d]", cf, j), "an operand must be a string")
			}
		}
	}
	errs, ferr := takeArray(m, "Errors", field+".Errors")
	if ferr != nil {
		return ferr
	}
	if errs != nil {
		t.Errors = make([]FlowErrorBranch, len(errs))
	}
	for i, raw := range errs {
		ef := fmt.Sprintf("%s.Errors[%d]", field, i)
		em, ferr := members(raw, ef)
		if ferr != nil {
			return ferr
		}
		e := &t.Errors[i]
		if e.NextAction, ferr = takeString(em, "NextAction", ef+".NextAction"); ferr != nil {
			return ferr
		}
		if e.ErrorType, ferr = takeString(em, "ErrorType", ef+".ErrorType"); ferr != nil {
			return ferr
		}
	}
	t.Extra = extra(m)
	return nil
}
