package switchboard_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/switchboard-go/switchboard"
)

// This file tells each task operation of the Router as a short story on a
// manual clock; example_events_test.go does the same for events, checks and
// stores.

// exampleStaff puts available agents on the "billing-desk" profile of
// exampleBilling, one second apart, so that the first is idle the longest
// and takes the first task.
func exampleStaff(r *switchboard.Router, clock *switchboard.ManualClock, ids ...string) {
	for _, id := range ids {
		err := r.PutAgent(context.Background(), switchboard.Agent{ID: id, RoutingProfileID: "billing-desk", Status: switchboard.StatusAvailable})
		if err != nil {
			log.Fatal(err)
		}
		clock.Advance(time.Second)
	}
}

// exampleShow prints a task's state and agent.
func exampleShow(r *switchboard.Router, id string) {
	t, err := r.Task(context.Background(), id)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s %s agent=%s\n", t.ID, t.State, t.AgentID)
}

// A connected task is transferred to another queue: its segment goes to
// after-contact work with ana, and a new task linked to it (PreviousTaskID)
// waits in "refunds", where bob takes it.
func ExampleRouter_Transfer_queue() {
	ctx := context.Background()
	r, clock := newExampleRouter()
	defer r.Close(context.Background())
	exampleBilling(r)
	exampleStaff(r, clock, "ana")
	r.PutQueue(ctx, switchboard.Queue{ID: "refunds", Name: "Refunds"})
	r.PutRoutingProfile(ctx, switchboard.RoutingProfile{
		ID:          "refunds-desk",
		Concurrency: []switchboard.MediaConcurrency{{Channel: switchboard.ChannelTask, Concurrency: 1}},
		Queues:      []switchboard.QueueConfig{{QueueID: "refunds", Priority: 1}},
	})
	r.PutAgent(ctx, switchboard.Agent{ID: "bob", RoutingProfileID: "refunds-desk", Status: switchboard.StatusAvailable})

	task, _ := r.CreateTask(ctx, switchboard.TaskInput{Name: "Refund order 1042", QueueID: "billing"})
	r.Accept(ctx, task.ID, "ana")
	next, err := r.Transfer(ctx, task.ID, switchboard.TransferTarget{QueueID: "refunds"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("new segment:", next.ID, "after", next.PreviousTaskID, "via", next.InitiationMethod)
	exampleShow(r, task.ID)
	exampleShow(r, next.ID)
	held, _ := r.AgentTasks("ana")
	fmt.Println("ana holds", len(held), "task until she closes its after-contact work")
	// Output:
	// new segment: task-2 after task-1 via QUEUE_TRANSFER
	// task-1 AFTER_CONTACT_WORK agent=ana
	// task-2 OFFERED agent=bob
	// ana holds 1 task until she closes its after-contact work
}

// Ana rejects an offer: the task keeps its place in line and goes to bob,
// and ana gets no more work until she is cleared.
func ExampleRouter_Reject_reoffer() {
	ctx := context.Background()
	r, clock := newExampleRouter()
	defer r.Close(context.Background())
	exampleBilling(r)
	exampleStaff(r, clock, "ana", "bob")

	task, _ := r.CreateTask(ctx, switchboard.TaskInput{Name: "Call back", QueueID: "billing"})
	exampleShow(r, task.ID)
	if err := r.Reject(ctx, task.ID, "ana"); err != nil {
		log.Fatal(err)
	}
	exampleShow(r, task.ID)
	ana, _ := r.Agent("ana")
	fmt.Println("ana blocked:", ana.Blocked, ana.BlockedTaskID)
	// Output:
	// task-1 OFFERED agent=ana
	// task-1 OFFERED agent=bob
	// ana blocked: REJECTED task-1
}

// An offer times out after 20 seconds on the manual clock. Ana, the only
// agent, is blocked until ClearAgent; then the task is offered to her again.
func ExampleRouter_ClearAgent_offerTimeout() {
	ctx := context.Background()
	r, clock := newExampleRouter()
	defer r.Close(context.Background())
	exampleBilling(r)
	exampleStaff(r, clock, "ana")

	task, _ := r.CreateTask(ctx, switchboard.TaskInput{Name: "Call back", QueueID: "billing"})
	t, _ := r.Task(ctx, task.ID)
	fmt.Println("offer expires after", t.OfferExpiresAt.Sub(t.OfferedAt))
	clock.Advance(20 * time.Second)
	exampleShow(r, task.ID)
	ana, _ := r.Agent("ana")
	fmt.Println("ana blocked:", ana.Blocked)

	clock.Advance(time.Minute) // nothing happens while she is blocked
	exampleShow(r, task.ID)
	if err := r.ClearAgent(ctx, "ana"); err != nil {
		log.Fatal(err)
	}
	exampleShow(r, task.ID)
	// Output:
	// offer expires after 20s
	// task-1 QUEUED agent=
	// ana blocked: MISSED
	// task-1 QUEUED agent=
	// task-1 OFFERED agent=ana
}

// Routing criteria relax step by step: first only bob, the customer's usual
// agent, may take the task; after 10 minutes any French speaker; after that
// anyone in the queue.
func ExampleRoutingCriteria_relax() {
	ctx := context.Background()
	r, clock := newExampleRouter()
	defer r.Close(context.Background())
	exampleBilling(r)
	r.PutAgent(ctx, switchboard.Agent{ID: "bob", RoutingProfileID: "billing-desk", Status: switchboard.StatusOffline})
	r.PutAgent(ctx, switchboard.Agent{ID: "luc", RoutingProfileID: "billing-desk", Status: switchboard.StatusOffline,
		Proficiencies: []switchboard.Proficiency{{Name: "Language", Value: "French", Level: 3}}})
	exampleStaff(r, clock, "zoe") // the only one available for now

	task, _ := r.CreateTask(ctx, switchboard.TaskInput{Name: "Rappel", QueueID: "billing",
		RoutingCriteria: &switchboard.RoutingCriteria{Steps: []switchboard.RoutingStep{
			{Requirement: switchboard.PreferredAgents("bob"), Expiry: 10 * time.Minute},
			{Requirement: switchboard.Proficient("Language", "French", 2), Expiry: 5 * time.Minute},
		}}})
	r.SetAgentStatus(ctx, "luc", switchboard.StatusAvailable) // not bob: the task waits
	exampleShow(r, task.ID)
	clock.Advance(10 * time.Minute) // step 1 expires: luc speaks French
	exampleShow(r, task.ID)
	r.Reject(ctx, task.ID, "luc")
	clock.Advance(5 * time.Minute) // step 2 expires: anyone, zoe
	exampleShow(r, task.ID)
	// Output:
	// task-1 QUEUED agent=
	// task-1 OFFERED agent=luc
	// task-1 OFFERED agent=zoe
}

// A connected task is paused while ana waits for the customer and resumed
// later; it keeps her slot throughout, and the pause is accounted for.
func ExampleRouter_Pause_resume() {
	ctx := context.Background()
	r, clock := newExampleRouter()
	defer r.Close(context.Background())
	exampleBilling(r)
	exampleStaff(r, clock, "ana")

	task, _ := r.CreateTask(ctx, switchboard.TaskInput{Name: "Await documents", QueueID: "billing"})
	r.Accept(ctx, task.ID, "ana")
	if err := r.Pause(ctx, task.ID); err != nil {
		log.Fatal(err)
	}
	exampleShow(r, task.ID)
	clock.Advance(2 * time.Hour)
	if err := r.Resume(ctx, task.ID); err != nil {
		log.Fatal(err)
	}
	exampleShow(r, task.ID)
	t, _ := r.Task(ctx, task.ID)
	fmt.Println("paused", t.PauseCount, "time(s) for", t.PausedTotal)
	// Output:
	// task-1 PAUSED agent=ana
	// task-1 CONNECTED agent=ana
	// paused 1 time(s) for 2h0m0s
}

// A task scheduled for tomorrow morning is moved to the afternoon; it enters
// its queue at the new time, not before.
func ExampleRouter_Reschedule_scheduled() {
	ctx := context.Background()
	r, clock := newExampleRouter()
	defer r.Close(context.Background())
	exampleBilling(r)
	exampleStaff(r, clock, "ana")

	tomorrow := clock.Now().Add(24 * time.Hour)
	task, _ := r.CreateTask(ctx, switchboard.TaskInput{Name: "Promised callback", QueueID: "billing", ScheduledAt: tomorrow})
	exampleShow(r, task.ID)
	if err := r.Reschedule(ctx, task.ID, tomorrow.Add(5*time.Hour)); err != nil {
		log.Fatal(err)
	}
	clock.Advance(24 * time.Hour)
	exampleShow(r, task.ID)
	clock.Advance(5 * time.Hour)
	exampleShow(r, task.ID)
	t, _ := r.Task(ctx, task.ID)
	fmt.Println("rescheduled", t.RescheduleCount, "time(s), offered at", t.OfferedAt.Format("Mon 15:04"))
	// Output:
	// task-1 SCHEDULED agent=
	// task-1 SCHEDULED agent=
	// task-1 OFFERED agent=ana
	// rescheduled 1 time(s), offered at Wed 14:00
}

// Stop ends a task in any open state; the agent holding it gets the slot
// back at once and takes the next task.
func ExampleRouter_Stop_connected() {
	ctx := context.Background()
	r, clock := newExampleRouter()
	defer r.Close(context.Background())
	exampleBilling(r)
	exampleStaff(r, clock, "ana")

	first, _ := r.CreateTask(ctx, switchboard.TaskInput{Name: "Duplicate ticket", QueueID: "billing"})
	second, _ := r.CreateTask(ctx, switchboard.TaskInput{Name: "Refund", QueueID: "billing"})
	r.Accept(ctx, first.ID, "ana")
	if err := r.Stop(ctx, first.ID); err != nil {
		log.Fatal(err)
	}
	t, _ := r.Task(ctx, first.ID)
	fmt.Println(t.ID, t.State, t.DisconnectReason)
	exampleShow(r, second.ID)
	// Output:
	// task-1 STOPPED API_STOPPED
	// task-2 OFFERED agent=ana
}

// UpdateAttributes on any task of a PreviousTaskID chain updates every task
// of the chain, open or finished, in one write. A task linked by
// RelatedTaskID instead copied the attributes once, when it was created, and
// does not follow later updates.
func ExampleRouter_UpdateAttributes_chain() {
	ctx := context.Background()
	r, _ := newExampleRouter()
	defer r.Close(context.Background())
	exampleBilling(r)

	first, _ := r.CreateTask(ctx, switchboard.TaskInput{Name: "Open case", QueueID: "billing",
		Attributes: map[string]string{"case": "77"}})
	r.Stop(ctx, first.ID)
	followUp, _ := r.CreateTask(ctx, switchboard.TaskInput{Name: "Follow up", QueueID: "billing", PreviousTaskID: first.ID})
	related, _ := r.CreateTask(ctx, switchboard.TaskInput{Name: "Related", QueueID: "billing", RelatedTaskID: first.ID})

	if err := r.UpdateAttributes(ctx, followUp.ID, map[string]string{"status": "escalated"}); err != nil {
		log.Fatal(err)
	}
	for _, id := range []string{first.ID, followUp.ID, related.ID} {
		t, _ := r.Task(ctx, id)
		fmt.Println(t.ID, t.State, t.Attributes)
	}
	// Output:
	// task-1 STOPPED map[case:77 status:escalated]
	// task-2 QUEUED map[status:escalated]
	// task-3 QUEUED map[case:77]
}

// UpdateRouting raises a waiting task's priority: it moves ahead in line at
// once and is the next one offered.
func ExampleRouter_UpdateRouting_priority() {
	ctx := context.Background()
	r, clock := newExampleRouter()
	defer r.Close(context.Background())
	exampleBilling(r)

	for _, name := range []string{"routine", "routine", "angry customer"} {
		r.CreateTask(ctx, switchboard.TaskInput{Name: name, QueueID: "billing"})
	}
	if err := r.UpdateRouting(ctx, "task-3", switchboard.RoutingUpdate{Priority: 1}); err != nil {
		log.Fatal(err)
	}
	line, _ := r.QueuedTasks("billing")
	for _, t := range line {
		fmt.Println(t.ID, t.Name, "priority", t.Priority)
	}
	exampleStaff(r, clock, "ana")
	exampleShow(r, "task-3")
	// Output:
	// task-3 angry customer priority 1
	// task-1 routine priority 5
	// task-2 routine priority 5
	// task-3 OFFERED agent=ana
}
