package switchboard_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/switchboard-go/switchboard"
)

// Agent statuses are configured once, with Amazon Connect's types: only the
// built-in Available is ROUTABLE. A status that is not configured is refused,
// and Agent.Activity says what the agent is doing.
func ExampleConfig_agentStatuses() {
	ctx := context.Background()
	r, err := switchboard.NewRouter(ctx, nil, &switchboard.Config{
		Clock: switchboard.NewManualClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)),
		AgentStatuses: []switchboard.AgentStatusDefinition{
			{Name: "Break", Type: switchboard.StatusTypeCustom},
			{Name: "Lunch", Type: switchboard.StatusTypeCustom},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close(ctx)
	for _, s := range r.AgentStatuses() {
		fmt.Println(s.Name, s.Type)
	}

	exampleBilling(r)
	if err := r.PutAgent(ctx, switchboard.Agent{ID: "ana", RoutingProfileID: "billing-desk"}); err != nil {
		log.Fatal(err)
	}
	fmt.Println(r.SetAgentStatus(ctx, "ana", "available"))
	activity := func() {
		a, err := r.Agent("ana")
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("ana: status %s, activity %s\n", a.Status, a.Activity)
	}
	activity()
	if err := r.SetAgentStatus(ctx, "ana", switchboard.StatusAvailable); err != nil {
		log.Fatal(err)
	}
	task, err := r.CreateTask(ctx, switchboard.TaskInput{Name: "Refund order 1042", QueueID: "billing"})
	if err != nil {
		log.Fatal(err)
	}
	activity()
	if err := r.Accept(ctx, task.ID, "ana"); err != nil {
		log.Fatal(err)
	}
	if err := r.SetAgentStatus(ctx, "ana", "Lunch"); err != nil { // no new work; the task stays
		log.Fatal(err)
	}
	activity()
	if err := r.Complete(ctx, task.ID); err != nil {
		log.Fatal(err)
	}
	activity()
	if err := r.CloseAfterContactWork(ctx, task.ID); err != nil {
		log.Fatal(err)
	}
	activity()
	// Output:
	// Available ROUTABLE
	// Offline OFFLINE
	// Break CUSTOM
	// Lunch CUSTOM
	// switchboard: invalid Status "available": not a configured agent status (see Config.AgentStatuses and Router.AgentStatuses)
	// ana: status Offline, activity Offline
	// ana: status Available, activity Incoming
	// ana: status Lunch, activity On contact
	// ana: status Lunch, activity After contact work
	// ana: status Lunch, activity Lunch
}
