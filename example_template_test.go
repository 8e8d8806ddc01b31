package switchboard_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	sb "github.com/switchboard-go/switchboard"
)

// A task template validates and fills the tasks created from it: the NAME
// field becomes the task's name, other fields become references, defaults
// apply, and a QUICK_CONNECT field sends the task to an agent or a queue.
// Templates and quick connects survive a restart over the same store.
func ExampleRouter_PutTaskTemplate() {
	ctx := context.Background()
	store := sb.NewMemoryStore()
	n := 0
	cfg := &sb.Config{
		Clock: sb.NewManualClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)),
		NewID: func() string { n++; return fmt.Sprintf("task-%d", n) },
	}
	r, _ := sb.NewRouter(ctx, store, cfg)
	r.PutQueue(ctx, sb.Queue{ID: "billing", Name: "Billing"})
	r.PutQueue(ctx, sb.Queue{ID: "escalations", Name: "Escalations"})
	r.PutQuickConnect(ctx, sb.QuickConnect{ID: "qc-esc", Name: "Escalations", Type: sb.QuickConnectQueue,
		QueueID: "escalations", QueueIDs: []string{"billing"}})
	err := r.PutTaskTemplate(ctx, sb.TaskTemplate{
		ID: "refund", Name: "Refund", QueueID: "billing",
		Fields: []sb.TemplateField{
			{Name: "Title", Type: sb.FieldName},
			{Name: "Amount", Type: sb.FieldNumber},
			{Name: "Reason", Type: sb.FieldSingleSelect, SingleSelectOptions: []string{"damaged", "late"}},
			{Name: "Urgent", Type: sb.FieldBoolean},
			{Name: "Escalate to", Type: sb.FieldQuickConnect},
		},
		Constraints: sb.TemplateConstraints{Required: []string{"Title", "Amount"}, ReadOnly: []string{"Urgent"}},
		Defaults:    map[string]string{"Urgent": "false"},
	})
	fmt.Println("put:", err)

	t, _ := r.CreateTask(ctx, sb.TaskInput{TemplateID: "refund",
		TemplateValues: map[string]string{"Title": "Refund order 1234", "Amount": "42.50", "Reason": "late"}})
	fmt.Println(t.Name, t.QueueID, t.References["Amount"], t.References["Reason"], t.References["Urgent"])
	t, _ = r.CreateTask(ctx, sb.TaskInput{TemplateID: "refund",
		TemplateValues: map[string]string{"Title": "Angry customer", "Amount": "900", "Escalate to": "qc-esc"}})
	fmt.Println(t.Name, t.QueueID)
	_, err = r.CreateTask(ctx, sb.TaskInput{TemplateID: "refund",
		TemplateValues: map[string]string{"Title": "Refund", "Amount": "12", "Urgent": "true"}})
	fmt.Println(err)
	_, err = r.CreateTask(ctx, sb.TaskInput{TemplateID: "refund",
		TemplateValues: map[string]string{"Title": "Refund", "Amount": "twelve"}})
	fmt.Println(err)
	qcs, _ := r.ListQuickConnects("billing")
	fmt.Println("quick connects of billing:", len(qcs), qcs[0].Name)
	r.Close(ctx)

	r, _ = sb.NewRouter(ctx, store, cfg) // templates and quick connects are kept by the store
	defer r.Close(ctx)
	tpl, _ := r.TaskTemplate("refund")
	fmt.Println("after restart:", tpl.Name, tpl.Status, len(tpl.Fields), "fields")
	r.DeleteTaskTemplate(ctx, "refund")
	r.DeleteQuickConnect(ctx, "qc-esc")
	tpls, _ := r.ListTaskTemplates()
	qcs, _ = r.ListQuickConnects("")
	fmt.Println("after delete:", len(tpls), len(qcs))

	// A store without the TemplateStore capability cannot keep templates.
	plain, _ := sb.NewRouter(ctx, storeWithoutTemplates{sb.NewMemoryStore()}, nil)
	defer plain.Close(ctx)
	err = plain.PutTaskTemplate(ctx, sb.TaskTemplate{ID: "t", Name: "T",
		Fields: []sb.TemplateField{{Name: "Name", Type: sb.FieldName}}, Constraints: sb.TemplateConstraints{Required: []string{"Name"}}})
	fmt.Println(errors.Is(err, errors.ErrUnsupported))
	// Output:
	// put: <nil>
	// Refund order 1234 billing {NUMBER 42.50} {STRING late} {STRING false}
	// Angry customer escalations
	// switchboard: invalid TemplateValues[Urgent] "true": the field is read-only: it keeps its default
	// switchboard: invalid TemplateValues[Amount] "twelve": NUMBER must be a decimal number like -12.5 or 3e2
	// quick connects of billing: 1 Escalations
	// after restart: Refund ACTIVE 5 fields
	// after delete: 0 0
	// true
}

// storeWithoutTemplates hides the TemplateStore methods of the store it
// wraps: a Store with the five methods only.
type storeWithoutTemplates struct{ sb.Store }

// An agent who finds a task filed under the wrong template re-templates it
// before connecting: the task takes the new template's name and fields, keeps
// its place in line, and may be re-templated at most five times.
func ExampleRouter_UpdateTaskTemplate() {
	ctx := context.Background()
	r, _ := newExampleRouter()
	defer r.Close(ctx)
	exampleBilling(r)
	field := func(name string, typ sb.FieldType) sb.TemplateField { return sb.TemplateField{Name: name, Type: typ} }
	r.PutTaskTemplate(ctx, sb.TaskTemplate{ID: "refund", Name: "Refund", QueueID: "billing",
		Fields:      []sb.TemplateField{field("Title", sb.FieldName), field("Amount", sb.FieldNumber)},
		Constraints: sb.TemplateConstraints{Required: []string{"Title"}}})
	r.PutTaskTemplate(ctx, sb.TaskTemplate{ID: "complaint", Name: "Complaint", QueueID: "billing",
		Fields:      []sb.TemplateField{field("Subject", sb.FieldName), field("Ticket", sb.FieldURL)},
		Constraints: sb.TemplateConstraints{Required: []string{"Subject"}}})

	task, _ := r.CreateTask(ctx, sb.TaskInput{TemplateID: "refund",
		TemplateValues: map[string]string{"Title": "Refund order 1234", "Amount": "42"}})
	err := r.UpdateTaskTemplate(ctx, task.ID, "complaint",
		map[string]string{"Subject": "Complaint about order 1234", "Ticket": "https://crm.example/t/77"})
	fmt.Println("update:", err)
	task, _ = r.Task(ctx, task.ID)
	fmt.Println(task.Name, task.TemplateID, task.References["Ticket"].Value, len(task.References), task.TemplateChanges)
	// Output:
	// update: <nil>
	// Complaint about order 1234 complaint https://crm.example/t/77 1 1
}
