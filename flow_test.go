package switchboard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// normalizeFlowJSON is the normalisation under which a flow round-trips
// byte for byte (docs/flows.md, Round trip): whitespace and member order do
// not count (the value is re-encoded with sorted keys and numbers kept as
// written), a Transitions NextAction that is "" or null and Conditions or
// Errors that are null are the same as absent, and an absent Transitions is {}.
func normalizeFlowJSON(t testing.TB, data []byte) []byte {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("normalize: %v", err)
	}
	if doc, ok := v.(map[string]any); ok {
		actions, _ := doc["Actions"].([]any)
		for _, a := range actions {
			am, ok := a.(map[string]any)
			if !ok {
				continue
			}
			tr, ok := am["Transitions"].(map[string]any)
			if !ok {
				tr = map[string]any{}
				am["Transitions"] = tr
			}
			if n, ok := tr["NextAction"]; ok && (n == nil || n == "") {
				delete(tr, "NextAction")
			}
			for _, k := range []string{"Conditions", "Errors"} {
				if x, ok := tr[k]; ok && x == nil {
					delete(tr, k)
				}
			}
		}
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("normalize: %v", err)
	}
	return out
}

func readCorpus(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "flows", dir, "*.json"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no corpus in testdata/flows/%s: %v", dir, err)
	}
	out := map[string][]byte{}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(n)] = b
	}
	return out
}

func TestFlowCorpusLoadsAndRoundTrips(t *testing.T) {
	for name, data := range readCorpus(t, "valid") {
		t.Run(name, func(t *testing.T) {
			f, _, err := LoadFlow(data, FlowOptions{})
			if err != nil {
				t.Fatalf("LoadFlow: %v", err)
			}
			out, err := json.Marshal(f)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := normalizeFlowJSON(t, out), normalizeFlowJSON(t, data); !bytes.Equal(got, want) {
				t.Fatalf("round trip changed the flow:\n got %s\nwant %s", got, want)
			}
			indented, err := json.MarshalIndent(f, "", "    ")
			if err != nil {
				t.Fatal(err)
			}
			g, _, err := LoadFlow(indented, FlowOptions{})
			if err != nil {
				t.Fatalf("reload of the indented form: %v", err)
			}
			again, _ := json.Marshal(g)
			if !bytes.Equal(again, out) {
				t.Fatalf("second round trip is not byte-identical:\n%s\n%s", again, out)
			}
		})
	}
}

func TestFlowCorpusInvalid(t *testing.T) {
	want := map[string]struct {
		field    string
		sentinel error
	}{
		"truncated.json":                  {"$", ErrFlowSyntax},
		"not_object.json":                 {"$", ErrFlowSyntax},
		"bad_version.json":                {"Version", ErrFlowVersion},
		"missing_start.json":              {"StartAction", ErrFlowTransition},
		"start_dangling.json":             {"StartAction", ErrFlowTransition},
		"next_dangling.json":              {"Actions[0].Transitions.NextAction", ErrFlowTransition},
		"error_dangling.json":             {"Actions[0].Transitions.Errors[0].NextAction", ErrFlowTransition},
		"next_missing.json":               {"Actions[0].Transitions.NextAction", ErrFlowTransition},
		"duplicate_identifier.json":       {"Actions[1].Identifier", ErrFlowIdentifier},
		"identifier_too_long.json":        {"Actions[0].Identifier", ErrFlowIdentifier},
		"identifier_forbidden_char.json":  {"Actions[0].Identifier", ErrFlowIdentifier},
		"identifier_reserved.json":        {"Actions[0].Identifier", ErrFlowIdentifier},
		"identifier_not_string.json":      {"Actions[0].Identifier", ErrFlowSyntax},
		"loop_count_bool.json":            {"Actions[0].Parameters.LoopCount", ErrFlowParameter},
		"loop_count_range.json":           {"Actions[0].Parameters.LoopCount", ErrFlowParameter},
		"loop_missing_done.json":          {"Actions[0].Transitions.Conditions", ErrFlowTransition},
		"invoke_limit_sync.json":          {"Actions[0].Parameters.InvocationTimeLimitSeconds", ErrFlowParameter},
		"invoke_limit_dynamic.json":       {"Actions[0].Parameters.InvocationTimeLimitSeconds", ErrFlowParameter},
		"invoke_response_type.json":       {"Actions[0].Parameters.ResponseValidation.ResponseType", ErrFlowParameter},
		"routing_both.json":               {"Actions[0].Parameters.QueuePriority", ErrFlowParameter},
		"priority_zero.json":              {"Actions[0].Parameters.QueuePriority", ErrFlowParameter},
		"compare_operator.json":           {"Actions[0].Transitions.Conditions[0].Condition.Operator", ErrFlowTransition},
		"compare_bad_path.json":           {"Actions[0].Parameters.ComparisonValue", ErrFlowParameter},
		"wait_too_long.json":              {"Actions[0].Parameters.TimeLimitSeconds", ErrFlowParameter},
		"attributes_not_string.json":      {"Actions[0].Parameters.Attributes.k", ErrFlowParameter},
		"attribute_key_dot.json":          {"Actions[0].Parameters.Attributes.a.b", ErrFlowParameter},
		"parameters_array.json":           {"Actions[0].Parameters", ErrFlowParameter},
		"set_queue_both.json":             {"Actions[0].Parameters.QueueId", ErrFlowParameter},
		"distribute_over_100.json":        {"Actions[0].Transitions.Conditions[0].Condition.Operands", ErrFlowTransition},
		"operands_not_strings.json":       {"Actions[0].Transitions.Conditions[0].Condition.Operands[0]", ErrFlowSyntax},
		"create_task_delay_and_time.json": {"Actions[0].Parameters.DelaySeconds", ErrFlowParameter},
		"create_task_delay_range.json":    {"Actions[0].Parameters.DelaySeconds", ErrFlowParameter},
		"criteria_two_expressions.json":   {"Actions[0].Parameters.RoutingCriteria.Steps[0].Expression", ErrFlowParameter},
		"criteria_level_range.json":       {"Actions[0].Parameters.RoutingCriteria.Steps[0].Expression.AttributeCondition.ProficiencyLevel", ErrFlowParameter},
		"metric_type_unknown.json":        {"Actions[0].Parameters.MetricType", ErrFlowParameter},
		"hours_condition.json":            {"Actions[0].Transitions.Conditions[0].Condition.Operands", ErrFlowTransition},
		"logging_behavior.json":           {"Actions[0].Parameters.FlowLoggingBehavior", ErrFlowParameter},
		"transfer_to_flow_missing.json":   {"Actions[0].Parameters.ContactFlowId", ErrFlowParameter},
	}
	corpus := readCorpus(t, "invalid")
	for name, data := range corpus {
		t.Run(name, func(t *testing.T) {
			w, ok := want[name]
			if !ok {
				t.Fatalf("no expectation for %s", name)
			}
			_, _, err := LoadFlow(data, FlowOptions{})
			var fe *FlowError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T), want a *FlowError", err, err)
			}
			if fe.Field != w.field || !errors.Is(err, w.sentinel) || !errors.Is(err, ErrValidation) {
				t.Fatalf("error %v: field %q, want %q and %v", err, fe.Field, w.field, w.sentinel)
			}
			if strings.HasPrefix(fe.Field, "Actions[") && !strings.HasPrefix(name, "identifier_") && fe.Action == "" {
				t.Fatalf("error %v does not name its action", err)
			}
		})
	}
	if len(corpus) != len(want) {
		t.Fatalf("%d invalid flows, %d expectations", len(corpus), len(want))
	}
}

func chainFlow(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"Version":"2019-10-30","StartAction":"a0","Actions":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		if i == n-1 {
			fmt.Fprintf(&b, `{"Identifier":"a%d","Type":"EndFlowExecution","Parameters":{},"Transitions":{}}`, i)
			continue
		}
		fmt.Fprintf(&b, `{"Identifier":"a%d","Type":"UpdateFlowAttributes","Parameters":{"FlowAttributes":{"n":{"Value":"%d"}}},"Transitions":{"NextAction":"a%d"}}`, i, i, i+1)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

func TestFlowActionLimit(t *testing.T) {
	if _, _, err := LoadFlow(chainFlow(MaxFlowActions), FlowOptions{}); err != nil {
		t.Fatalf("%d actions: %v", MaxFlowActions, err)
	}
	_, _, err := LoadFlow(chainFlow(MaxFlowActions+1), FlowOptions{})
	var fe *FlowError
	if !errors.As(err, &fe) || fe.Field != "Actions" || !errors.Is(err, ErrFlowTooLarge) {
		t.Fatalf("%d actions: %v", MaxFlowActions+1, err)
	}
}

func TestFlowIdentifierLimitIsCharacters(t *testing.T) {
	id := strings.Repeat("é", MaxFlowIdentifierLen) // 100 bytes, 50 characters
	f, _, err := NewFlow(id).EndFlow(id).Build(FlowOptions{})
	if err != nil || f.StartAction != id {
		t.Fatalf("50-character identifier: %v", err)
	}
}

func TestFlowUnknownTypesLoadUnlessStrict(t *testing.T) {
	data := []byte(`{"Version":"2019-10-30","StartAction":"a","Actions":[
		{"Identifier":"a","Type":"SomeFutureBlock","Parameters":{"Anything":[1,{"x":null}]},"Transitions":{"NextAction":"b"}},
		{"Identifier":"b","Type":"EndFlowExecution","Parameters":{},"Transitions":{}}]}`)
	if _, _, err := LoadFlow(data, FlowOptions{}); err != nil {
		t.Fatalf("lenient: %v", err)
	}
	_, _, err := LoadFlow(data, FlowOptions{Strict: true})
	var fe *FlowError
	if !errors.As(err, &fe) || fe.Action != "a" || fe.Field != "Actions[0].Type" || !errors.Is(err, ErrFlowUnknownAction) {
		t.Fatalf("strict: %v", err)
	}
	// Voice-only blocks are Connect's own: strict mode accepts them.
	if _, _, err := LoadFlow(readCorpus(t, "valid")["voice_inbound_with_task_branch.json"], FlowOptions{Strict: true}); err != nil {
		t.Fatalf("strict, voice flow: %v", err)
	}
}

func TestFlowUnreachableIsAWarning(t *testing.T) {
	f, ws, err := NewFlow("a").
		EndFlow("a").
		Disconnect("orphan").
		Build(FlowOptions{})
	if err != nil || f == nil {
		t.Fatal(err)
	}
	if len(ws) != 1 || ws[0].Action != "orphan" || ws[0].Field != "Identifier" {
		t.Fatalf("warnings %v", ws)
	}
}

func TestFlowKeepsUnknownMembers(t *testing.T) {
	data := []byte(`{"Version":"2019-10-30","StartAction":"a","Future":{"x":1},"Actions":[
		{"Identifier":"a","Type":"EndFlowExecution","Transitions":{"Hint":"h"},"Note":"kept"}]}`)
	f, _, err := LoadFlow(data, FlowOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(f)
	const want = `{"Version":"2019-10-30","StartAction":"a","Actions":[{"Identifier":"a","Type":"EndFlowExecution","Transitions":{"Hint":"h"},"Note":"kept"}],"Future":{"x":1}}`
	if string(out) != want {
		t.Fatalf("got  %s\nwant %s", out, want)
	}
}

// claimFlowBuilder builds testdata/flows/builder_claim.json in Go.
func claimFlowBuilder() *FlowBuilder {
	const priorityQueue = "arn:aws:connect:eu-west-2:123456789012:instance/0d5c2a9e-3b7f-4e1d-9c8a-6f4b2e1d0c9a/queue/7a3e9c1b-2d4f-4a6b-8c0e-1f3a5b7d9e2c"
	const standardQueue = "arn:aws:connect:eu-west-2:123456789012:instance/0d5c2a9e-3b7f-4e1d-9c8a-6f4b2e1d0c9a/queue/c4e6a8b0-1d3f-4b5a-9e7c-2a4c6e8f0b1d"
	return NewFlow("lookup").
		InvokeFunction("lookup", "arn:aws:lambda:eu-west-2:123456789012:function:claims-customer-lookup", 3,
			map[string]string{"policy": "$.Attributes.policy_number"}).
		Next("save").OnError("NoMatchingError", "standard queue").
		UpdateAttributes("save", map[string]string{"tier": "$.External.tier"}).
		Next("tier?").OnError("NoMatchingError", "standard queue").
		Compare("tier?", "$.Attributes.tier").
		When("Equals", "gold", "priority 1").
		Next("standard queue").OnError("NoMatchingCondition", "standard queue").
		SetPriority("priority 1", 1).Next("priority queue").OnError("NoMatchingError", "standard queue").
		SetQueue("priority queue", priorityQueue).Next("transfer priority").OnError("NoMatchingError", "standard queue").
		TransferToQueue("transfer priority").Next("standard queue").OnError("QueueAtCapacity", "standard queue").
		SetQueue("standard queue", standardQueue).Next("transfer standard").OnError("NoMatchingError", "end").
		TransferToQueue("transfer standard").Next("end").OnError("QueueAtCapacity", "end").
		Disconnect("end").FlowBuilder
}

func TestFlowBuilderMatchesJSON(t *testing.T) {
	built, _, err := claimFlowBuilder().Build(FlowOptions{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join("testdata", "flows", "builder_claim.json"))
	if err != nil {
		t.Fatal(err)
	}
	loaded, _, err := LoadFlow(data, FlowOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(built)
	b, _ := json.Marshal(loaded)
	if got, want := normalizeFlowJSON(t, a), normalizeFlowJSON(t, b); !bytes.Equal(got, want) {
		t.Fatalf("builder and JSON differ:\n got %s\nwant %s", got, want)
	}
}

func TestFlowBuilderReportsErrors(t *testing.T) {
	_, _, err := NewFlow("a").Loop("a", 500).When("Equals", "ContinueLooping", "a").When("Equals", "DoneLooping", "a").Build(FlowOptions{})
	var fe *FlowError
	if !errors.As(err, &fe) || fe.Action != "a" || fe.Field != "Actions[0].Parameters.LoopCount" {
		t.Fatalf("got %v", err)
	}
}

// FuzzLoadFlow checks that LoadFlow never panics, that every error is a
// *FlowError naming a path (and matching ErrValidation), and that a flow it
// accepts writes out to JSON that loads again to the same bytes.
func FuzzLoadFlow(f *testing.F) {
	for _, dir := range []string{"valid", "invalid"} {
		for _, data := range readCorpus(f, dir) {
			f.Add(data)
		}
	}
	f.Add(chainFlow(3))
	f.Fuzz(func(t *testing.T, data []byte) {
		fl, _, err := LoadFlow(data, FlowOptions{})
		if err != nil {
			var fe *FlowError
			if !errors.As(err, &fe) || fe.Field == "" || !errors.Is(err, ErrValidation) || fe.Err == nil {
				t.Fatalf("error %v (%T) is not a *FlowError naming a path", err, err)
			}
			return
		}
		out, err := json.Marshal(fl)
		if err != nil {
			t.Fatalf("marshal of a loaded flow: %v", err)
		}
		g, _, err := LoadFlow(out, FlowOptions{})
		if err != nil {
			t.Fatalf("reload: %v\n%s", err, out)
		}
		again, _ := json.Marshal(g)
		if !bytes.Equal(again, out) {
			t.Fatalf("not stable:\n%s\n%s", out, again)
		}
	})
}
