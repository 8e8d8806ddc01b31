package switchboard_test

import (
	"context"
	"fmt"
	"log"

	"github.com/switchboard-go/switchboard"
)

// A supervisor's screen lists the staff in ID order: who is on which
// routing profile and in what status.
func ExampleRouter_ListAgents() {
	ctx := context.Background()
	r, _ := newExampleRouter()
	defer r.Close(ctx)
	exampleBilling(r)
	for _, a := range []switchboard.Agent{
		{ID: "cleo", RoutingProfileID: "billing-desk", Status: switchboard.StatusAvailable},
		{ID: "ana", RoutingProfileID: "billing-desk", Status: "Lunch"},
		{ID: "ben", RoutingProfileID: "billing-desk"},
	} {
		if err := r.PutAgent(ctx, a); err != nil {
			log.Fatal(err)
		}
	}
	agents, err := r.ListAgents()
	if err != nil {
		log.Fatal(err)
	}
	for _, a := range agents {
		fmt.Println(a.ID, a.RoutingProfileID, a.Status)
	}
	// Output:
	// ana billing-desk Lunch
	// ben billing-desk Offline
	// cleo billing-desk Available
}

// Seven refunds wait in billing; the host shows them three at a time,
// passing each page's NextToken back for the next one. The last page has no
// NextToken.
func ExampleRouter_ListTasks() {
	ctx := context.Background()
	r, _ := newExampleRouter()
	defer r.Close(ctx)
	exampleBilling(r)
	for i := range 7 {
		_, err := r.CreateTask(ctx, switchboard.TaskInput{Name: fmt.Sprintf("Refund order %d", 1040+i), QueueID: "billing"})
		if err != nil {
			log.Fatal(err)
		}
	}
	q := switchboard.TaskQuery{QueueID: "billing", States: []switchboard.TaskState{switchboard.StateQueued}, PageSize: 3}
	for n := 1; ; n++ {
		page, err := r.ListTasks(q)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("page %d:", n)
		for _, t := range page.Tasks {
			fmt.Printf(" %s", t.ID)
		}
		fmt.Println()
		if page.NextToken == "" {
			break
		}
		q.NextToken = page.NextToken
	}
	// Output:
	// page 1: task-1 task-2 task-3
	// page 2: task-4 task-5 task-6
	// page 3: task-7
}

// The iterator walks every page for the host. Here it lists an agent's work:
// the task ana holds and the ones waiting in her agent queue, in creation
// order.
func ExampleRouter_Tasks() {
	ctx := context.Background()
	r, _ := newExampleRouter()
	defer r.Close(ctx)
	exampleBilling(r)
	err := r.PutAgent(ctx, switchboard.Agent{ID: "ana", RoutingProfileID: "billing-desk", Status: switchboard.StatusAvailable})
	if err != nil {
		log.Fatal(err)
	}
	for _, in := range []switchboard.TaskInput{
		{Name: "Refund order 1042", QueueID: "billing"},          // offered to ana at once
		{Name: "Refund order 1043", QueueID: "billing"},          // waits: ana handles one at a time
		{Name: "Call Mrs Smith back", AgentID: "ana"},            // ana's own agent queue
		{Name: "Send the contract", AgentID: "ana", Priority: 1}, // also hers, and urgent
	} {
		if _, err := r.CreateTask(ctx, in); err != nil {
			log.Fatal(err)
		}
	}
	for t, err := range r.Tasks(switchboard.TaskQuery{AgentID: "ana"}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(t.ID, t.State, t.Name)
	}
	// QueuedTasks on an agent gives her agent queue in the order she will
	// be offered it.
	queued, err := r.QueuedTasks("ana")
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range queued {
		fmt.Println("next for ana:", t.Name)
	}
	// Output:
	// task-1 OFFERED Refund order 1042
	// task-3 QUEUED Call Mrs Smith back
	// task-4 QUEUED Send the contract
	// next for ana: Send the contract
	// next for ana: Call Mrs Smith back
}
