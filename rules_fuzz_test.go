package switchboard_test

import (
	"context"
	"errors"
	"testing"

	"github.com/switchboard-go/switchboard"
)

// checkRuleError fails unless err is nil, an *ExprError or a
// *ValidationError (the documented load errors).
func checkRuleError(t *testing.T, err error) {
	t.Helper()
	var ee *switchboard.ExprError
	var ve *switchboard.ValidationError
	if err != nil && !errors.As(err, &ee) && !errors.As(err, &ve) {
		t.Fatalf("error %T %v is neither *ExprError nor *ValidationError", err, err)
	}
	if ee != nil && (ee.Line < 1 || ee.Column < 1) {
		t.Fatalf("ExprError without a position: %+v", ee)
	}
}

// evalFuzz evaluates a loaded engine on a few payloads: it must not panic.
func evalFuzz(eng *switchboard.RuleEngine, source string) {
	for _, p := range []map[string]any{
		{}, {"status": "open", "type": "x", "n": 3.0, "tags": []any{"a"}, "detail": map[string]any{"id": 1.0}},
	} {
		_, _ = eng.Evaluate(context.Background(), switchboard.RuleEvent{Source: source, ID: "e", Payload: p})
	}
}

func FuzzCompileRule(f *testing.F) {
	for _, s := range []string{
		`event.status == "open"`, `event["type"] == "x" && task.priority < 3`, `now.Hour() > 8`, `event.a ==`,
		"event.a == 1 &&\n nothing", `len(event.tags) > 0 || not (event.n in [1, 2])`, `"x"`, `now()`, "{{ event.a }}",
	} {
		f.Add(s, "Ticket {{ event.detail.id }}")
	}
	f.Fuzz(func(t *testing.T, when, name string) {
		eng, err := switchboard.NewRuleEngine([]switchboard.Rule{{Name: "fuzz", On: "OnX", When: when,
			Actions: []switchboard.RuleAction{{Notify: &switchboard.NotifyAction{Topic: name}}}}},
			&switchboard.RuleEngineOptions{Notify: func(context.Context, switchboard.RuleNotification) error { return nil }})
		checkRuleError(t, err)
		if err == nil {
			evalFuzz(eng, "OnX")
		}
	})
}

func FuzzTwilioExpression(f *testing.F) {
	for _, s := range []string{
		`type == "support"`, `task.priority > 5 AND task.language IN ['fr', 'de']`, `skills HAS "billing" OR (vip == true)`,
		`a NOT IN [1, 2]`, `first-name == "x"`, `worker.sid = task.worker_sid`, `a == -1.5`, `customer.orders[1] == 9`, `((a == 1)`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		eng, err := switchboard.NewRuleEngine([]switchboard.Rule{{Name: "fuzz", On: "OnX", Twilio: src,
			Actions: []switchboard.RuleAction{{Notify: &switchboard.NotifyAction{}}}}},
			&switchboard.RuleEngineOptions{Notify: func(context.Context, switchboard.RuleNotification) error { return nil }})
		checkRuleError(t, err)
		if err == nil {
			evalFuzz(eng, "OnX")
		}
	})
}

func FuzzConnectRuleFunction(f *testing.F) {
	for _, s := range []string{
		`{"Version":"2022-11-25","RuleFunction":{"Operator":"AND","Operands":[{"Operator":"EQUALS","Operands":["incident"],"ComparisonValue":"$.ThirdParty.Zendesk.TicketCreate.Type","Negate":false}]}}`,
		`{"Version":"2022-11-25","RuleFunction":{"Operator":"OR","Operands":[{"Operator":"CONTAINS_ANY","Operands":["a","b"],"ComparisonValue":"$.tags"},{"Operator":"NumberGreaterThan","Operands":[3],"ComparisonValue":"$.n","Negate":true}]}}`,
		`{"Version":"2022-11-25","RuleFunction":{"Operator":"AND","Operands":[{"Operator":"AND","Operands":[{"Operator":"CONTAINS","Operands":["x"],"ComparisonValue":"$['a b'][0].c"}]}]}}`,
		`{"Version":"2022-11-25"`, `[]`, `{"Version":"2022-11-25","RuleFunction":{"Operator":"EQUALS"}}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		eng, err := switchboard.NewRuleEngine([]switchboard.Rule{{Name: "fuzz", On: "OnX", Function: src,
			Actions: []switchboard.RuleAction{{Notify: &switchboard.NotifyAction{}}}}},
			&switchboard.RuleEngineOptions{Notify: func(context.Context, switchboard.RuleNotification) error { return nil }})
		checkRuleError(t, err)
		if err == nil {
			evalFuzz(eng, "OnX")
		}
	})
}
