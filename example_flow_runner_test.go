package switchboard_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/switchboard-go/switchboard"
)

// A task created with a flow is IN_FLOW: the flow looks the customer up with
// a host function, sets the priority by tier, picks the queue and transfers
// the task there. The runner works outside the router's lock, on its own
// workers; Wait returns once every flow has parked or finished.
func ExampleFlowRunner() {
	ctx := context.Background()
	clock := switchboard.NewManualClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))

	claims, _, err := switchboard.NewFlow("lookup").
		InvokeFunction("lookup", "customer-lookup", 3, map[string]string{"customer": "$.Attributes.customer"}).
		Next("tier").OnError("NoMatchingError", "queue").
		Compare("tier", "$.External.tier").When("Equals", "gold", "vip").Next("queue").
		SetPriority("vip", 1).Next("queue").
		SetQueue("queue", "claims").Next("transfer").
		TransferToQueue("transfer").Next("end").OnError("QueueAtCapacity", "end").
		Disconnect("end").
		Build(switchboard.FlowOptions{})
	if err != nil {
		log.Fatal(err)
	}
	flows := switchboard.NewFlowRunner(nil)
	if err := flows.PutFlow("claims-intake", claims); err != nil {
		log.Fatal(err)
	}
	tiers := map[string]string{"c-1": "gold", "c-2": "silver"}
	err = flows.RegisterFunction("customer-lookup", func(ctx context.Context, call switchboard.FlowCall) (any, error) {
		return map[string]string{"tier": tiers[call.Parameters["customer"]]}, nil
	})
	if err != nil {
		log.Fatal(err)
	}

	n := 0
	r, err := switchboard.NewRouter(ctx, nil, &switchboard.Config{Clock: clock, Flows: flows,
		NewID: func() string { n++; return fmt.Sprintf("claim-%d", n) }})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close(ctx)
	if err := flows.Bind(r); err != nil {
		log.Fatal(err)
	}
	defer flows.Close(ctx)
	if err := r.PutQueue(ctx, switchboard.Queue{ID: "claims", Name: "Claims"}); err != nil {
		log.Fatal(err)
	}

	for _, customer := range []string{"c-1", "c-2"} {
		t, err := r.CreateTask(ctx, switchboard.TaskInput{Name: "Claim from " + customer, FlowID: "claims-intake",
			Attributes: map[string]string{"customer": customer}})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(t.ID, t.State)
	}
	if err := flows.Wait(ctx); err != nil {
		log.Fatal(err)
	}
	for _, id := range []string{"claim-1", "claim-2"} {
		t, _ := r.Task(ctx, id)
		fmt.Println(t.ID, t.State, t.QueueID, "priority", t.Priority)
	}
	// Output:
	// claim-1 IN_FLOW
	// claim-2 IN_FLOW
	// claim-1 QUEUED claims priority 1
	// claim-2 QUEUED claims priority 5
}

// hostFlows is a FlowStarter of the host's own: it notes the tasks that
// enter a flow, and the host runs them.
type hostFlows struct{ started chan string }

func (h hostFlows) HasFlow(id string) bool     { return id == "triage" }
func (h hostFlows) StartFlow(taskID, _ string) { h.started <- taskID }

// A host may run flows its own way: Config.Flows is any FlowStarter, and
// ExitFlow ends a task's flow, into a queue or to the end.
func ExampleRouter_ExitFlow() {
	ctx := context.Background()
	clock := switchboard.NewManualClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	starter := hostFlows{started: make(chan string, 8)}
	r, err := switchboard.NewRouter(ctx, nil, &switchboard.Config{Clock: clock, Flows: starter,
		NewID: func() string { return "task-1" }})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close(ctx)
	if err := r.PutQueue(ctx, switchboard.Queue{ID: "triage", Name: "Triage", MaxContacts: 1}); err != nil {
		log.Fatal(err)
	}
	if _, err := r.CreateTask(ctx, switchboard.TaskInput{Name: "Sort the mail", FlowID: "triage"}); err != nil {
		log.Fatal(err)
	}
	_, err = r.CreateTask(ctx, switchboard.TaskInput{Name: "No such flow", FlowID: "billing"})
	fmt.Println(errors.Is(err, switchboard.ErrNotFound))

	id := <-starter.started
	clock.Advance(30 * time.Second)
	if err := r.LogFlowAction(ctx, id, "", "to-triage"); err != nil { // flow.action, when the host traces its flows
		log.Fatal(err)
	}
	err = r.ExitFlow(ctx, id, switchboard.FlowExit{Outcome: switchboard.FlowOutcomeEnqueued, QueueID: "triage", Action: "to-triage"})
	t, _ := r.Task(ctx, id)
	fmt.Println(err, t.State, t.QueueID)
	// Output:
	// true
	// <nil> QUEUED triage
}
