package flow

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// value is a parameter that is either static text or one JSON path, resolved
// when the action runs ("may be defined statically or dynamically").
type value struct {
	text string
	path []string // nil: static
}

func (v value) static() bool { return v.path == nil }

// kv is one key and its value, kept sorted by key so a run is deterministic.
type kv struct {
	key string
	val value
}

// numValue is an integer parameter, static (checked at load) or a JSON path
// (checked when the action runs).
type numValue struct {
	n    int64
	path []string
	min  int64
	max  int64
}

type paramReader struct {
	i   int
	id  string
	obj map[string]json.RawMessage
}

func (r *paramReader) fail(name, format string, args ...any) *Error {
	return errf(r.i, r.id, "Parameters."+name, ErrParameter, format, args...)
}

// str reads a member that must be a JSON string.
func (r *paramReader) str(name string) (string, bool, *Error) {
	raw, ok := r.obj[name]
	if !ok || string(raw) == "null" {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, r.fail(name, "%s must be a string", name)
	}
	return s, true, nil
}

// value reads a string member that is static text or a JSON path.
func (r *paramReader) value(name string) (value, bool, *Error) {
	s, ok, err := r.str(name)
	if err != nil || !ok {
		return value{}, ok, err
	}
	v, perr := parseValue(s)
	if perr != "" {
		return value{}, false, r.fail(name, "%s: %s", name, perr)
	}
	return v, true, nil
}

func parseValue(s string) (value, string) {
	if !strings.HasPrefix(s, "$.") && !strings.HasPrefix(s, "$[") {
		return value{text: s}, ""
	}
	p, err := ParsePath(s)
	if err != "" {
		return value{}, err
	}
	return value{text: s, path: p}, ""
}

// num reads an integer given as a JSON number or a string ("2" in exports),
// or, when dynamic is true, a JSON path.
func (r *paramReader) num(name string, min, max int64, dynamic bool) (numValue, bool, *Error) {
	raw, ok := r.obj[name]
	if !ok || string(raw) == "null" {
		return numValue{}, false, nil
	}
	nv := numValue{min: min, max: max}
	var text string
	if len(raw) > 0 && raw[0] == '"' {
		if err := json.Unmarshal(raw, &text); err != nil {
			return nv, false, r.fail(name, "%s must be a string or a number", name)
		}
		if strings.HasPrefix(text, "$") {
			if !dynamic {
				return nv, false, r.fail(name, "%s must be set statically", name)
			}
			p, perr := ParsePath(text)
			if perr != "" {
				return nv, false, r.fail(name, "%s: %s", name, perr)
			}
			nv.path = p
			return nv, true, nil
		}
	} else {
		text = string(raw)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(text), 10, 64)
	if err != nil {
		return nv, false, r.fail(name, "%s must be an integer, not %s", name, shorten(string(raw)))
	}
	if n < min || n > max {
		return nv, false, r.fail(name, "%s must be between %d and %d, not %d", name, min, max, n)
	}
	nv.n = n
	return nv, true, nil
}

// strMap reads an object whose members are strings (static or JSON paths).
// For UpdateFlowAttributes a member may also be {"Value": "..."} (the form
// exports use), with other members of that object ignored.
func (r *paramReader) strMap(name string, valueObjects bool, checkKey func(string) string) ([]kv, bool, *Error) {
	raw, ok := r.obj[name]
	if !ok || string(raw) == "null" {
		return nil, false, nil
	}
	var m map[string]json.RawMessage
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &m) != nil {
		return nil, false, r.fail(name, "%s must be an object", name)
	}
	out := make([]kv, 0, len(m))
	for k, vraw := range m {
		field := name + "." + k
		if checkKey != nil {
			if why := checkKey(k); why != "" {
				return nil, false, r.fail(field, "key %q %s", shorten(k), why)
			}
		}
		var s string
		if json.Unmarshal(vraw, &s) != nil {
			var obj struct{ Value *string }
			if !valueObjects || len(vraw) == 0 || vraw[0] != '{' || json.Unmarshal(vraw, &obj) != nil || obj.Value == nil {
				return nil, false, r.fail(field, "%s must be a string", field)
			}
			s = *obj.Value
		}
		v, perr := parseValue(s)
		if perr != "" {
			return nil, false, r.fail(field, "%s: %s", field, perr)
		}
		out = append(out, kv{key: k, val: v})
	}
	slices.SortFunc(out, func(a, b kv) int { return strings.Compare(a.key, b.key) })
	return out, true, nil
}

func attributeKey(k string) string {
	switch {
	case k == "":
		return "must not be empty"
	case strings.ContainsAny(k, "$."):
		return "must not contain $ or ."
	}
	return ""
}

// ParsePath parses a JSON path of the flow language: "$.Attributes.tier",
// "$.Attributes['customer id']", "$.Attributes.['customer id']",
// "$['Channel']". It returns the segments or why the path is malformed.
func ParsePath(s string) ([]string, string) {
	if !strings.HasPrefix(s, "$") {
		return nil, "a JSON path starts with $"
	}
	var segs []string
	i := 1
	for i < len(s) {
		switch s[i] {
		case '.':
			i++
			if i < len(s) && s[i] == '[' {
				continue
			}
			j := i
			for j < len(s) && s[j] != '.' && s[j] != '[' {
				j++
			}
			if j == i {
				return nil, fmt.Sprintf("empty segment in JSON path %q", shorten(s))
			}
			segs = append(segs, s[i:j])
			i = j
		case '[':
			if i+1 >= len(s) || (s[i+1] != '\'' && s[i+1] != '"') {
				return nil, fmt.Sprintf("a [ in JSON path %q must hold a quoted name", shorten(s))
			}
			q := s[i+1]
			end := strings.IndexByte(s[i+2:], q)
			if end < 0 || i+2+end+1 >= len(s) || s[i+2+end+1] != ']' {
				return nil, fmt.Sprintf("unterminated [ in JSON path %q", shorten(s))
			}
			name := s[i+2 : i+2+end]
			if name == "" {
				return nil, fmt.Sprintf("empty segment in JSON path %q", shorten(s))
			}
			segs = append(segs, name)
			i = i + 2 + end + 2
		default:
			return nil, fmt.Sprintf("unexpected %q in JSON path %q", s[i], shorten(s))
		}
	}
	if len(segs) == 0 {
		return nil, fmt.Sprintf("JSON path %q names nothing", shorten(s))
	}
	return segs, ""
}
