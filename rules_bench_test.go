package switchboard_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/switchboard-go/switchboard"
)

// BenchmarkRules evaluates one Zendesk ticket event against n rules of its
// source, each for one Zendesk group and priority, as a help desk routes
// tickets to teams; the event matches exactly one rule, whose action
// notifies the host. rules=N/sets gives every rule a set of groups (an or
// of equalities), which the index files under each value. rules=N/native
// gives every rule a condition the index cannot file (a function call), so
// all N are decided by the native evaluator; rules=N/vm one only expr's VM
// runs (a regular expression): the worst case.
func BenchmarkRules(b *testing.B) {
	for _, n := range []int{10, 500} {
		for _, kind := range []string{"", "/sets", "/native", "/vm"} {
			name := fmt.Sprintf("rules=%d%s", n, kind)
			b.Run(name, func(b *testing.B) {
				notified := 0
				var rs []switchboard.Rule
				for i := range n {
					when := fmt.Sprintf(`event.detail.group == "group-%d" && event.detail.priority == "urgent"`, i)
					switch kind {
					case "/sets":
						when = fmt.Sprintf(`(event.detail.group == "group-%d" || event.detail.group == "team-%d") && event.detail.priority == "urgent"`, i, i)
					case "/native":
						when = fmt.Sprintf(`lower(event.detail.group) == "group-%d" && event.detail.priority == "urgent"`, i)
					case "/vm":
						when = fmt.Sprintf(`event.detail.group matches "^group-%d$" && event.detail.priority == "urgent"`, i)
					}
					rs = append(rs, switchboard.Rule{Name: fmt.Sprint("route-", i), On: switchboard.SourceZendeskTicketCreate, When: when,
						Actions: []switchboard.RuleAction{{Notify: &switchboard.NotifyAction{Topic: "team"}}}})
				}
				eng, err := switchboard.NewRuleEngine(rs, &switchboard.RuleEngineOptions{Notify: func(context.Context, switchboard.RuleNotification) error {
					notified++
					return nil
				}})
				if err != nil {
					b.Fatal(err)
				}
				ev := switchboard.RuleEvent{Source: switchboard.SourceZendeskTicketCreate, ID: "evt-1", Time: rulesStart, Payload: map[string]any{
					"type":   "zen:event-type:ticket.created",
					"detail": map[string]any{"id": "4411", "group": fmt.Sprint("group-", n/2), "priority": "urgent", "status": "new"},
				}}
				ctx := context.Background()
				b.ReportAllocs()
				for b.Loop() {
					res, err := eng.Evaluate(ctx, ev)
					if err != nil || len(res.Matched) != 1 {
						b.Fatalf("%+v, %v", res, err)
					}
				}
				if notified == 0 {
					b.Fatal("no notification")
				}
			})
		}
	}
}
