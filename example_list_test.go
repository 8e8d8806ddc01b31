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

// The configuration reads: one queue or routing profile by ID, every queue
// and profile in ID order, and iterators that walk agents, queues and
// profiles a page at a time without holding the router while the loop runs.
func ExampleRouter_Queues() {
	ctx := context.Background()
	r, _ := newExampleRouter()
	defer r.Close(ctx)
	exampleBilling(r)
	if err := r.PutQueue(ctx, switchboard.Queue{ID: "appointments", Name: "Appointments", MaxContacts: 20}); err != nil {
		log.Fatal(err)
	}
	if err := r.PutAgent(ctx, switchboard.Agent{ID: "ana", RoutingProfileID: "billing-desk"}); err != nil {
		log.Fatal(err)
	}

	q, err := r.Queue("appointments")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("queue:", q.Name, q.MaxContacts)
	p, err := r.RoutingProfile("billing-desk")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("profile:", p.ID, len(p.Queues), "queue(s)")
	queues, _ := r.ListQueues()
	profiles, _ := r.ListRoutingProfiles()
	fmt.Println(len(queues), "queues,", len(profiles), "profile(s)")

	for q, err := range r.Queues() {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("walk queue", q.ID)
	}
	for p, err := range r.RoutingProfiles() {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("walk profile", p.ID)
	}
	for a, err := range r.Agents() {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("walk agent", a.ID, a.Activity)
	}
	// Output:
	// queue: Appointments 20
	// profile: billing-desk 1 queue(s)
	// 2 queues, 1 profile(s)
	// walk queue appointments
	// walk queue billing
	// walk profile billing-desk
	// walk agent ana Offline
}
