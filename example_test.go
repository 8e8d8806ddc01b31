package switchboard_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/switchboard-go/switchboard"
)

// newExampleRouter returns a router on a manual clock that reads Tuesday
// 2026-11-24 09:00 UTC, naming tasks "task-1", "task-2", ... so that the
// examples print the same thing every time.
func newExampleRouter() (*switchboard.Router, *switchboard.ManualClock) {
	clock := switchboard.NewManualClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	n := 0
	r, err := switchboard.NewRouter(context.Background(), nil, &switchboard.Config{
		Clock: clock,
		NewID: func() string { n++; return fmt.Sprintf("task-%d", n) },
		AgentStatuses: []switchboard.AgentStatusDefinition{
			{Name: "Lunch", Type: switchboard.StatusTypeCustom},
			{Name: "Break", Type: switchboard.StatusTypeCustom},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	return r, clock
}

// exampleBilling sets up a "billing" queue served by a one-task-at-a-time
// "billing-desk" profile.
func exampleBilling(r *switchboard.Router) {
	ctx := context.Background()
	if err := r.PutQueue(ctx, switchboard.Queue{ID: "billing", Name: "Billing"}); err != nil {
		log.Fatal(err)
	}
	err := r.PutRoutingProfile(ctx, switchboard.RoutingProfile{
		ID:          "billing-desk",
		Concurrency: []switchboard.MediaConcurrency{{Channel: switchboard.ChannelTask, Concurrency: 1}},
		Queues:      []switchboard.QueueConfig{{QueueID: "billing", Priority: 1}},
	})
	if err != nil {
		log.Fatal(err)
	}
}

// A task goes to the free agent at once; the agent accepts it, completes it,
// and closes the after-contact work.
func ExampleRouter() {
	ctx := context.Background()
	r, clock := newExampleRouter()
	defer r.Close(context.Background())
	exampleBilling(r)
	err := r.PutAgent(ctx, switchboard.Agent{ID: "ana", RoutingProfileID: "billing-desk", Status: switchboard.StatusAvailable})
	if err != nil {
		log.Fatal(err)
	}

	task, err := r.CreateTask(ctx, switchboard.TaskInput{
		Name:       "Refund order 1042",
		QueueID:    "billing",
		Attributes: map[string]string{"order": "1042"},
	})
	if err != nil {
		log.Fatal(err)
	}
	show := func(step string) {
		t, err := r.Task(ctx, task.ID)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%-9s %s %s agent=%s\n", step, t.ID, t.State, t.AgentID)
	}
	show("created")

	if err := r.Accept(ctx, task.ID, "ana"); err != nil {
		log.Fatal(err)
	}
	show("accepted")
	clock.Advance(5 * time.Minute)
	if err := r.Complete(ctx, task.ID); err != nil {
		log.Fatal(err)
	}
	show("completed")
	if err := r.CloseAfterContactWork(ctx, task.ID); err != nil {
		log.Fatal(err)
	}
	show("closed")

	t, _ := r.Task(ctx, task.ID)
	fmt.Println("handled in", t.AfterContactWorkAt.Sub(t.ConnectedAt))
	// Output:
	// created   task-1 OFFERED agent=ana
	// accepted  task-1 CONNECTED agent=ana
	// completed task-1 AFTER_CONTACT_WORK agent=ana
	// closed    task-1 COMPLETED agent=ana
	// handled in 5m0s
}

// CreateTask refuses invalid input with a *ValidationError naming the field
// and the limit; it matches ErrValidation.
func ExampleRouter_CreateTask_validation() {
	r, _ := newExampleRouter()
	defer r.Close(context.Background())
	exampleBilling(r)

	_, err := r.CreateTask(context.Background(), switchboard.TaskInput{
		Name:    strings.Repeat("x", 1025),
		QueueID: "billing",
	})
	var ve *switchboard.ValidationError
	if errors.As(err, &ve) {
		fmt.Println("field:", ve.Field)
		fmt.Println("limit:", ve.Limit)
	}
	fmt.Println("is ErrValidation:", errors.Is(err, switchboard.ErrValidation))
	fmt.Println(err)
	// Output:
	// field: Name
	// limit: at most 1024 characters, got 1025
	// is ErrValidation: true
	// switchboard: invalid Name "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...": at most 1024 characters, got 1025
}

// Routing criteria ask first for a French expert who knows billing, then,
// after 30 seconds, for any French speaker; after another minute anyone in
// the queue may take the task.
func ExampleProficient() {
	ctx := context.Background()
	r, clock := newExampleRouter()
	defer r.Close(context.Background())
	exampleBilling(r)
	for _, a := range []switchboard.Agent{
		{ID: "luc", Proficiencies: []switchboard.Proficiency{{Name: "Language", Value: "French", Level: 2}}},
		{ID: "zoe"},
	} {
		a.RoutingProfileID, a.Status = "billing-desk", switchboard.StatusAvailable
		if err := r.PutAgent(ctx, a); err != nil {
			log.Fatal(err)
		}
	}

	criteria := &switchboard.RoutingCriteria{Steps: []switchboard.RoutingStep{
		{
			Requirement: switchboard.AllOf(
				switchboard.Proficient("Language", "French", 4),
				switchboard.Proficient("Product", "Billing", 3),
			),
			Expiry: 30 * time.Second,
		},
		{Requirement: switchboard.Proficient("Language", "French", 1), Expiry: time.Minute},
	}}
	for i, s := range criteria.Steps {
		fmt.Printf("step %d for %v: %s\n", i, s.Expiry, s.Requirement.String())
	}

	task, err := r.CreateTask(ctx, switchboard.TaskInput{Name: "Facture en double", QueueID: "billing", RoutingCriteria: criteria})
	if err != nil {
		log.Fatal(err)
	}
	show := func() {
		t, _ := r.Task(ctx, task.ID)
		fmt.Printf("after %v: %s\n", clock.Now().Sub(t.InitiatedAt), strings.TrimSpace(string(t.State)+" "+t.AgentID))
	}
	show()
	clock.Advance(29 * time.Second)
	show()
	clock.Advance(time.Second)
	show()
	// Output:
	// step 0 for 30s: ("Language"="French">=4 AND "Product"="Billing">=3)
	// step 1 for 1m0s: "Language"="French">=1
	// after 0s: QUEUED
	// after 29s: QUEUED
	// after 30s: OFFERED luc
}

// A subscription receives every event in order, numbered without gaps. Here
// the agent rejects the offer (and is blocked until cleared), then takes the
// task when it is offered again.
func ExampleRouter_Subscribe() {
	ctx := context.Background()
	r, _ := newExampleRouter()
	defer r.Close(context.Background())
	exampleBilling(r)

	sub := r.Subscribe(nil)
	defer sub.Close()

	if err := r.PutAgent(ctx, switchboard.Agent{ID: "ana", RoutingProfileID: "billing-desk", Status: switchboard.StatusAvailable}); err != nil {
		log.Fatal(err)
	}
	task, err := r.CreateTask(ctx, switchboard.TaskInput{Name: "Call back", QueueID: "billing"})
	if err != nil {
		log.Fatal(err)
	}
	for _, step := range []func(context.Context, string) error{
		func(ctx context.Context, id string) error { return r.Reject(ctx, id, "ana") },
		func(ctx context.Context, _ string) error { return r.ClearAgent(ctx, "ana") },
		func(ctx context.Context, id string) error { return r.Accept(ctx, id, "ana") },
		r.Complete,
		r.CloseAfterContactWork,
	} {
		if err := step(ctx, task.ID); err != nil {
			log.Fatal(err)
		}
	}

	for sub.Pending() > 0 {
		e, err := sub.Next(ctx)
		if err != nil {
			log.Fatal(err)
		}
		var who []string
		for _, s := range []string{e.TaskID, e.AgentID, string(e.State), string(e.Status)} {
			if s != "" {
				who = append(who, s)
			}
		}
		fmt.Printf("%d %s: %s\n", e.Seq, e.Type, strings.Join(who, " "))
	}
	// Output:
	// 3 agent.updated: ana Available
	// 4 task.created: task-1 QUEUED
	// 5 task.queued: task-1 QUEUED
	// 6 task.offered: task-1 ana OFFERED
	// 7 task.rejected: task-1 ana QUEUED
	// 8 agent.cleared: ana Available
	// 9 task.offered: task-1 ana OFFERED
	// 10 task.accepted: task-1 ana CONNECTED
	// 11 task.after_contact_work: task-1 ana AFTER_CONTACT_WORK
	// 12 task.completed: task-1 ana COMPLETED
}
