package rules

import (
	"errors"
	"slices"
	"testing"

	"github.com/expr-lang/expr/vm"
	"github.com/google/go-cmp/cmp"
)

type testEnv struct {
	Event  map[string]any `expr:"event"`
	Source string         `expr:"source"`
}

// decide decides cond natively on ev with a fresh Scratch.
func decide(cond *Condition, ev map[string]any) (match, decided bool) {
	var s Scratch
	s.Reset(ev)
	return cond.Decide(&s)
}

func eval(t *testing.T, cond string, event map[string]any) bool {
	t.Helper()
	c, err := NewCompiler(&testEnv{}).Condition(cond)
	if err != nil {
		t.Fatalf("%s: %v", cond, err)
	}
	var m vm.VM
	ok, err := c.Run(&m, &testEnv{Event: event})
	if err != nil {
		t.Fatalf("%s: run: %v", cond, err)
	}
	return ok
}

// A TaskRouter workflow filter keeps its meaning: each expression is
// translated, compiled and run against one task's attributes.
func TestTwilioExpressions(t *testing.T) {
	task := map[string]any{
		"type": "support", "priority": 7.0, "language": "fr", "skills": []any{"billing", "french"},
		"customer": map[string]any{"tier": "gold", "orders": []any{3.0, 9.0}}, "vip": true,
		"note": "refund requested",
	}
	for _, tc := range []struct {
		src  string
		want bool
	}{
		{`type == "support"`, true},
		{`task.type == 'support'`, true},
		{`task.type = "support"`, true},
		{`type != "sales"`, true},
		{`priority > 5`, true},
		{`priority >= 7 AND priority <= 7`, true},
		{`priority < 7`, false},
		{`note CONTAINS "refund"`, true},
		{`skills HAS "billing"`, true},
		{`skills HAS "spanish"`, false},
		{`language IN ['fr', 'de']`, true},
		{`language NOT IN ['fr', 'de']`, false},
		{`language in ["en"]`, false},
		{`customer.tier == "gold" OR vip == false`, true},
		{`customer.orders[1] == 9`, true},
		{`vip == true AND (type == "sales" OR priority > 6)`, true},
		{`missing == "x"`, false},      // a missing key is NULL
		{`missing != "x"`, false},      // ... and matches nothing
		{`skills == "billing"`, false}, // scalar operator on a list
		{`type HAS "s"`, false},        // list operator on a scalar
		{`priority NOT IN "abc"`, false},
	} {
		cond, _, err := Twilio(tc.src, TwilioOptions{Task: "event"})
		if err != nil {
			t.Errorf("%s: %v", tc.src, err)
			continue
		}
		if got := eval(t, cond, task); got != tc.want {
			t.Errorf("%s (as %s) = %v, want %v", tc.src, cond, got, tc.want)
		}
	}
}

// Errors point into the TaskRouter text the user wrote.
func TestTwilioErrors(t *testing.T) {
	for _, tc := range []struct {
		src, msg string
		col      int
	}{
		{``, "empty expression", 1},
		{`type == `, `expected a key or a value, found "end of expression"`, 9},
		{`type ~ 1`, `unexpected '~'`, 6},
		{`first-name == "x"`, "hyphens are not supported in TaskRouter expressions", 6},
		{`type == "x`, "unterminated string", 9},
		{`(type == "x"`, `expected ")", found "end of expression"`, 13},
		{`type "x"`, `expected an operator (==, !=, <, <=, >, >=, CONTAINS, HAS, IN, NOT IN), found "x"`, 6},
		{`worker.skill == 1`, "worker keys are not available here", 1},
		{`a NOT b`, "expected IN after NOT", 7},
		{`a IN [1, x]`, `a list holds strings, numbers and booleans, found "x"`, 10},
		{`a == 1 b`, `unexpected "b"`, 8},
	} {
		_, _, err := Twilio(tc.src, TwilioOptions{Task: "event"})
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%q: error %v, want *Error", tc.src, err)
			continue
		}
		if e.Message != tc.msg || e.Column != tc.col || e.Line != 1 {
			t.Errorf("%q: %d:%d %s, want 1:%d %s", tc.src, e.Line, e.Column, e.Message, tc.col, tc.msg)
		}
	}
}

// The example of Connect's CreateRule documentation for Zendesk, in the
// exact shape of the Rules Function language.
const zendeskFunction = `{
  "Version": "2022-11-25",
  "RuleFunction": {
    "Operator": "AND",
    "Operands": [
      {
        "Operator": "EQUALS",
        "Operands": ["incident"],
        "ComparisonValue": "$.ThirdParty.Zendesk.TicketCreate.Type",
        "Negate": false
      },
      {
        "Operator": "EQUALS",
        "Operands": ["low"],
        "ComparisonValue": "$.ThirdParty.Zendesk.TicketCreate.Priority",
        "Negate": true
      },
      {
        "Operator": "OR",
        "Operands": [
          {"Operator": "CONTAINS_ANY", "Operands": ["vip", "escalated"], "ComparisonValue": "$.ThirdParty.Zendesk.TicketCreate.Tags", "Negate": false},
          {"Operator": "NumberGreaterOrEqualTo", "Operands": ["3"], "ComparisonValue": "$.ThirdParty.Zendesk.TicketCreate.Reopens", "Negate": false}
        ]
      }
    ]
  }
}`

func zendesk(typ, prio string, tags []any, reopens any) map[string]any {
	return map[string]any{"ThirdParty": map[string]any{"Zendesk": map[string]any{"TicketCreate": map[string]any{
		"Type": typ, "Priority": prio, "Tags": tags, "Reopens": reopens,
	}}}}
}

func TestConnectRuleFunction(t *testing.T) {
	cond, n, err := ConnectFunction(zendeskFunction)
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Errorf("count = %d, want 4", n)
	}
	for _, tc := range []struct {
		name  string
		event map[string]any
		want  bool
	}{
		{"urgent vip incident", zendesk("incident", "urgent", []any{"vip"}, 0.0), true},
		{"reopened three times", zendesk("incident", "high", nil, 3.0), true},
		{"reopens as a string", zendesk("incident", "high", nil, "4"), true},
		{"low priority is negated", zendesk("incident", "low", []any{"vip"}, 9.0), false},
		{"a question", zendesk("question", "urgent", []any{"vip"}, 9.0), false},
		{"neither tag nor reopens", zendesk("incident", "normal", []any{"billing"}, 1.0), false},
		{"empty payload", map[string]any{}, false},
	} {
		if got := eval(t, cond, tc.event); got != tc.want {
			t.Errorf("%s: %v, want %v (condition %s)", tc.name, got, tc.want, cond)
		}
	}
}

func TestConnectRuleFunctionErrors(t *testing.T) {
	for _, tc := range []struct {
		src, msg  string
		line, col int
	}{
		{`[]`, "a rule function is a JSON object, not an array", 1, 1},
		{`{"Version":"2021-01-01","RuleFunction":{}}`, `Version must be "2022-11-25"`, 1, 12},
		{`{"Version":"2022-11-25"}`, "missing RuleFunction", 1, 1},
		{`{"Version":"2022-11-25","Rule":{}}`, `unknown field "Rule"; want Version and RuleFunction`, 1, 25},
		{"{\"Version\":\"2022-11-25\",\n \"RuleFunction\": {\"Operator\":\"EQUALS\",\"Operands\":[\"a\"],\"ComparisonValue\":\"$.a\"}}", `the top Operator must be AND or OR, not "EQUALS"`, 2, 30},
		{`{"Version":"2022-11-25","RuleFunction":{"Operator":"AND","Operands":[{"Operator":"LIKE","Operands":["a"],"ComparisonValue":"$.a"}]}}`, `unknown Operator "LIKE"`, 1, 82},
		{`{"Version":"2022-11-25","RuleFunction":{"Operator":"AND","Operands":[]}}`, "Operands must be a non-empty array", 1, 69},
		{`{"Version":"2022-11-25","RuleFunction":{"Operator":"AND","Operands":[{"Operator":"EQUALS","Operands":["a"],"ComparisonValue":"a.b"}]}}`, `ComparisonValue "a.b": must start with $`, 1, 126},
		{`{"Version":"2022-11-25","RuleFunction":{"Operator":"AND","Operands":[{"Operator":"EQUALS","Operands":["a","b"],"ComparisonValue":"$.a"}]}}`, "EQUALS takes exactly one operand", 1, 102},
		{`{"Version":"2022-11-25","RuleFunction":{"Operator":"AND","Operands":[{"Operator":"NumberLessThan","Operands":["x"],"ComparisonValue":"$.a"}]}}`, "NumberLessThan needs a number", 1, 111},
		{`{"Version":"2022-11-25","RuleFunction":{"Operator":"AND","Operands":[{"Operator":"EQUALS","Operands":["a"],"ComparisonValue":"$.a","FilterClause":{}}]}}`, "FilterClause is not supported", 1, 132},
		{`{"Version":"2022-11-25","RuleFunction":{"Operator":"AND","Operands":[{"Operator":"EQUALS","Operands":["a"],"ComparisonValue":"$.a","Negate":"no"}]}}`, "Negate must be true or false", 1, 141},
		{`{"Version":`, "invalid JSON: unexpected end of JSON", 1, 12},
	} {
		_, _, err := ConnectFunction(tc.src)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: error %v, want *Error", tc.src, err)
			continue
		}
		if e.Message != tc.msg || e.Line != tc.line || e.Column != tc.col {
			t.Errorf("%s:\n got %d:%d %s\nwant %d:%d %s", tc.src, e.Line, e.Column, e.Message, tc.line, tc.col, tc.msg)
		}
	}
}

// Disjunctions of equalities on one path and "in" lists of constants are
// keys too: the index files the condition under each value, and Decide
// decides it without the VM. Anything else stays with the VM.
func TestConditionAnalysisOfSets(t *testing.T) {
	c := NewCompiler(&testEnv{})
	for _, tc := range []struct {
		src    string
		keys   []Key
		native bool
	}{
		{`(event.g == "a" || event.g == "b") && event.p == "urgent"`,
			[]Key{{Path: []string{"g"}, Values: []any{"a", "b"}}, {Path: []string{"p"}, Values: []any{"urgent"}}}, true},
		{`event.g in ["a", "b", "a"] or "c" == event.g`, []Key{{Path: []string{"g"}, Values: []any{"a", "b", "c"}}}, true},
		{`event.flag in [true]`, []Key{{Path: []string{"flag"}, Values: []any{true}}}, true},
		{`event.g == "a" || event.h == "b"`, nil, true}, // two paths: no key, still native
		{`event.g in ["a", event.h]`, nil, false},       // not all constants
		{`event.g in ["", "a"]`, nil, true},             // expr looks a missing key up as ""
		{`event.g == "a" || event.n > 2`, nil, true},    // not an equality
		{`(event.g == "a" || event.g == "b") && event.n > 2`, []Key{{Path: []string{"g"}, Values: []any{"a", "b"}}}, true},
		{`event.g matches "^a"`, nil, false}, // the VM's
		{`source == "x"`, nil, false},
	} {
		cond, err := c.Condition(tc.src)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.keys, cond.Keys); diff != "" || cond.Native != tc.native {
			t.Errorf("%s: keys (-want +got):\n%s native %v", tc.src, diff, cond.Native)
		}
	}
	cond, _ := c.Condition(`event.g in ["a", "b"] && event.p == "urgent"`)
	for _, tc := range []struct {
		ev             map[string]any
		match, decided bool
	}{
		{map[string]any{"g": "b", "p": "urgent"}, true, true},
		{map[string]any{"g": "c", "p": "urgent"}, false, true},
		{map[string]any{"g": "a", "p": "low"}, false, true},
		{map[string]any{"g": 1.0, "p": "urgent"}, false, false},
	} {
		if m, d := decide(cond, tc.ev); m != tc.match || d != tc.decided {
			t.Errorf("Decide(%v) = %v, %v", tc.ev, m, d)
		}
	}
	// In the index, the condition is a candidate for either value, once,
	// also when the payload's shape sends every condition of the path to the VM.
	var x Index
	x.Add(0, cond)
	deep, _ := c.Condition(`event.t.k in ["a", "b"]`)
	x.Add(1, deep)
	for _, tc := range []struct {
		ev   map[string]any
		want []int
	}{
		{map[string]any{"g": "a", "t": map[string]any{"k": "z"}}, []int{0}},
		{map[string]any{"g": "b", "t": map[string]any{"k": "b"}}, []int{0, 1}},
		{map[string]any{"g": "z", "t": map[string]any{"k": "a"}}, []int{1}},
		{map[string]any{"g": []any{"a"}, "t": map[string]any{}}, nil},
		// No map at "t": the VM decides condition 1, which is filed twice.
		{map[string]any{"g": "a", "t": "not a map"}, []int{0, 1}},
	} {
		if got := x.Candidates(tc.ev, nil); !slices.Equal(got, tc.want) {
			t.Errorf("Candidates(%v) = %v, want %v", tc.ev, got, tc.want)
		}
	}
}

func TestConditionAnalysis(t *testing.T) {
	c := NewCompiler(&testEnv{})
	cond, err := c.Condition(`event.ticket.group == "billing" && event["type"] == "incident" && event.n > 2`)
	if err != nil {
		t.Fatal(err)
	}
	want := []Key{{Path: []string{"ticket", "group"}, Values: []any{"billing"}}, {Path: []string{"type"}, Values: []any{"incident"}}}
	if diff := cmp.Diff(want, cond.Keys); diff != "" || !cond.Native || cond.Count != 3 {
		t.Errorf("keys (-want +got):\n%s native %v count %d", diff, cond.Native, cond.Count)
	}
	cond, _ = c.Condition(`event.a == "x" && true == event.b`)
	if !cond.Native {
		t.Error("a conjunction of equalities should be native")
	}
	if m, ok := decide(cond, map[string]any{"a": "x", "b": true}); !m || !ok {
		t.Error("Decide should match")
	}
	if m, ok := decide(cond, map[string]any{"a": 1.0}); m || !ok {
		t.Error("a number is not the text x: decided, no match")
	}
	if _, ok := decide(cond, map[string]any{"a": "x", "b": map[string]any{}}); ok {
		t.Error("comparing a map needs the VM")
	}
	if cond, err := c.Condition(`source == "x" && event.a == "x"`); err != nil || cond.Native {
		t.Errorf("a condition on more than the payload is not native: %v", err)
	}
}

func TestCompileErrors(t *testing.T) {
	c := NewCompiler(&testEnv{})
	for _, tc := range []struct {
		src, msg  string
		line, col int
		snippet   string
	}{
		{`event.a ==`, "unexpected token EOF", 1, 10, "event.a ==\n         ^"},
		{"event.a == 1 &&\n  nothing", "unknown name nothing", 2, 3, "  nothing\n  ^"},
		{`"text"`, "expected bool, but got string", 1, 1, "\"text\"\n^"},
		{`now()`, "unknown name now", 1, 1, "now()\n^"},
	} {
		_, err := c.Condition(tc.src)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: %v, want *Error", tc.src, err)
			continue
		}
		if e.Message != tc.msg || e.Line != tc.line || e.Column != tc.col || e.Snippet != tc.snippet {
			t.Errorf("%q:\n got %d:%d %q %q\nwant %d:%d %q %q", tc.src, e.Line, e.Column, e.Message, e.Snippet, tc.line, tc.col, tc.msg, tc.snippet)
		}
	}
}

func TestTemplate(t *testing.T) {
	c := NewCompiler(&testEnv{})
	tm, err := c.Template(`Ticket #{{ event.id }}: {{ event.subject }}{{ event.none }}`)
	if err != nil {
		t.Fatal(err)
	}
	var m vm.VM
	got, err := tm.Render(&m, &testEnv{Event: map[string]any{"id": 4411.0, "subject": "Refund"}})
	if err != nil || got != "Ticket #4411: Refund" {
		t.Errorf("Render = %q, %v", got, err)
	}
	_, err = c.Template("ab {{ event. }}")
	var e *Error
	if !errors.As(err, &e) || e.Column != 13 {
		t.Errorf("error %v, want column 13", err)
	}
	_, err = c.Template("x {{ event.a")
	if !errors.As(err, &e) || e.Message != "unterminated {{: missing }}" || e.Column != 3 {
		t.Errorf("error %v", err)
	}
}
