package switchboard_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboard-go/switchboard"
)

// A rule routes French tickets to French speakers first: the task it
// creates carries the rule's routing criteria, until a flow can set them.
func TestRuleSetsRoutingCriteria(t *testing.T) {
	french := &switchboard.RoutingCriteria{Steps: []switchboard.RoutingStep{
		{Requirement: switchboard.Proficient("Language", "French", 3), Expiry: 2 * time.Minute},
	}}
	eng := mustEngine(t, []switchboard.Rule{{
		Name: "french-tickets", On: switchboard.SourceZendeskTicketCreate,
		When: `"french" in event.detail.tags`,
		Actions: []switchboard.RuleAction{{CreateTask: &switchboard.CreateTaskAction{
			Name: "Ticket #{{ event.detail.id }}", QueueID: "support", RoutingCriteria: french,
		}}},
	}}, nil)
	rulesDesk(t, eng)
	payload := zendeskTicket(4411, "normal", "new")
	payload["detail"].(map[string]any)["tags"] = []any{"french"}
	res, err := eng.Evaluate(context.Background(), switchboard.RuleEvent{Source: switchboard.SourceZendeskTicketCreate, ID: "zen-evt-9", Payload: payload})
	if err != nil || len(res.Created) != 1 {
		t.Fatalf("Evaluate: %+v, %v; want one task", res, err)
	}
	if diff := cmp.Diff(french, res.Created[0].Task.RoutingCriteria); diff != "" {
		t.Errorf("routing criteria (-want +got):\n%s", diff)
	}

	// Criteria a task could not carry are refused when the engine is built.
	_, err = switchboard.NewRuleEngine([]switchboard.Rule{{Name: "bad", On: "OnX", Actions: []switchboard.RuleAction{{CreateTask: &switchboard.CreateTaskAction{
		Name: "x", QueueID: "support", RoutingCriteria: &switchboard.RoutingCriteria{},
	}}}}}, nil)
	var ve *switchboard.ValidationError
	if !errors.As(err, &ve) || err.Error() != `switchboard: invalid Rules[bad].Actions[0].CreateTask.RoutingCriteria.Steps: at least one step (or no criteria at all)` {
		t.Errorf("empty criteria: %v", err)
	}
}
