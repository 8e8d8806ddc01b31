package switchboard_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboard-go/switchboard"
)

// A rule creates its task from a task template: the template's fields are
// filled from the event, its defaults and queue apply, and its NAME field
// names the task.
func TestRuleCreatesTaskFromTemplate(t *testing.T) {
	eng := mustEngine(t, []switchboard.Rule{{
		Name: "tickets-by-template",
		On:   switchboard.SourceZendeskTicketCreate,
		Actions: []switchboard.RuleAction{{CreateTask: &switchboard.CreateTaskAction{
			TemplateID: "zendesk-ticket",
			TemplateValues: map[string]string{
				"Title":  "Ticket #{{ event.detail.id }}",
				"Ticket": "https://acme.zendesk.com/agent/tickets/{{ event.detail.id }}",
				"Urgent": `{{ event.detail.priority == "urgent" }}`,
			},
		}}},
	}}, nil)
	r, _ := rulesDesk(t, eng)
	ctx := context.Background()
	err := r.PutTaskTemplate(ctx, switchboard.TaskTemplate{
		ID: "zendesk-ticket", Name: "Zendesk ticket", QueueID: "support",
		Fields: []switchboard.TemplateField{
			{Name: "Title", Type: switchboard.FieldName},
			{Name: "Ticket", Type: switchboard.FieldURL},
			{Name: "Urgent", Type: switchboard.FieldBoolean},
			{Name: "Team", Type: switchboard.FieldText},
		},
		Constraints: switchboard.TemplateConstraints{Required: []string{"Title", "Ticket"}, ReadOnly: []string{"Team"}},
		Defaults:    map[string]string{"Team": "Refunds"},
	})
	if err != nil {
		t.Fatal(err)
	}

	res, err := eng.Evaluate(ctx, switchboard.RuleEvent{Source: switchboard.SourceZendeskTicketCreate, ID: "zen-evt-7", Payload: zendeskTicket(4411, "urgent", "new")})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Created) != 1 {
		t.Fatalf("created %d tasks, want 1", len(res.Created))
	}
	task := res.Created[0].Task
	if task.Name != "Ticket #4411" || task.QueueID != "support" || task.TemplateID != "zendesk-ticket" || task.InitiationMethod != switchboard.InitiatedByRule {
		t.Errorf("task %q in %q from template %q by %s", task.Name, task.QueueID, task.TemplateID, task.InitiationMethod)
	}
	want := map[string]switchboard.Reference{
		"Ticket": {Type: switchboard.ReferenceURL, Value: "https://acme.zendesk.com/agent/tickets/4411"},
		"Urgent": {Type: switchboard.ReferenceString, Value: "true"},
		"Team":   {Type: switchboard.ReferenceString, Value: "Refunds"},
	}
	if diff := cmp.Diff(want, task.References); diff != "" {
		t.Errorf("references (-want +got):\n%s", diff)
	}
}

// A template action that also names the task is refused at load: the
// template's NAME field names it.
func TestRuleTemplateActionLoadErrors(t *testing.T) {
	for name, act := range map[string]*switchboard.CreateTaskAction{
		"name and template":   {TemplateID: "t", Name: "x"},
		"values, no template": {Name: "x", QueueID: "support", TemplateValues: map[string]string{"a": "b"}},
		"queue and agent":     {TemplateID: "t", QueueID: "support", AgentID: "ana"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := switchboard.NewRuleEngine([]switchboard.Rule{{Name: "r", On: "OnX", Actions: []switchboard.RuleAction{{CreateTask: act}}}}, nil)
			if !errors.Is(err, switchboard.ErrValidation) {
				t.Fatalf("NewRuleEngine = %v, want a validation error", err)
			}
		})
	}
}
