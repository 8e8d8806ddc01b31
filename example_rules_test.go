package switchboard_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/switchboard-go/switchboard"
)

// A rule engine turns a Zendesk ticket into a task, and the router's own
// events into follow-ups: a task that expires unhandled gets one.
func ExampleRuleEngine() {
	ctx := context.Background()
	clock := switchboard.NewManualClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	eng, err := switchboard.NewRuleEngine([]switchboard.Rule{
		{
			Name: "urgent-tickets",
			On:   switchboard.SourceZendeskTicketCreate,
			When: `event.detail.priority == "urgent"`,
			Actions: []switchboard.RuleAction{{CreateTask: &switchboard.CreateTaskAction{
				Name: "Ticket #{{ event.detail.id }}: {{ event.detail.subject }}", QueueID: "support", Expiry: time.Hour,
			}}},
		},
		{
			Name:    "follow-up-expired",
			On:      switchboard.SourceTaskExpired,
			Actions: []switchboard.RuleAction{{CreateTask: &switchboard.CreateTaskAction{Name: "Follow up: {{ task.name }}", QueueID: "support", Priority: 1}}},
		},
	}, &switchboard.RuleEngineOptions{Clock: clock})
	if err != nil {
		log.Fatal(err)
	}
	n := 0
	r, err := switchboard.NewRouter(ctx, nil, &switchboard.Config{Clock: clock, Consumers: []switchboard.Consumer{eng},
		NewID: func() string { n++; return fmt.Sprintf("task-%d", n) }})
	if err != nil {
		log.Fatal(err)
	}
	if err := eng.Bind(r); err != nil {
		log.Fatal(err)
	}
	if err := r.PutQueue(ctx, switchboard.Queue{ID: "support", Name: "Support"}); err != nil {
		log.Fatal(err)
	}

	res, err := eng.Evaluate(ctx, switchboard.RuleEvent{Source: switchboard.SourceZendeskTicketCreate, ID: "zen-1",
		JSON: []byte(`{"type": "zen:event-type:ticket.created", "detail": {"id": "4411", "subject": "Refund", "priority": "urgent"}}`)})
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range res.Created {
		fmt.Printf("%s created %s %q\n", c.Rule, c.Task.ID, c.Task.Name)
	}

	clock.Advance(time.Hour) // nobody took the ticket's task: task.expired
	// The engine consumes router events on its own goroutine: wait for the follow-up.
	for _, err := r.Task(ctx, "task-2"); err != nil; _, err = r.Task(ctx, "task-2") {
		time.Sleep(time.Millisecond)
	}
	defer r.Close(ctx)
	for _, id := range []string{"task-1", "task-2"} {
		t, err := r.Task(ctx, id)
		if err != nil {
			fmt.Println(id, err)
			continue
		}
		fmt.Printf("%s %s %q previous=%q by %s\n", t.ID, t.State, t.Name, t.PreviousTaskID, t.InitiationMethod)
	}
	// Output:
	// urgent-tickets created task-1 "Ticket #4411: Refund"
	// task-1 EXPIRED "Ticket #4411: Refund" previous="" by RULE
	// task-2 QUEUED "Follow up: Ticket #4411: Refund" previous="task-1" by RULE
}
