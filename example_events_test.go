package switchboard_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-go/switchboard"
)

// A lossless Consumer is attached through Config.Consumers before NewRouter:
// it sees every event exactly once, in Seq order, on a goroutine of its own,
// and Close waits until it has taken them all. The Filtered adapter passes
// it only the task events of one queue.
func ExampleConsumer_lossless() {
	ctx := context.Background()
	var mu sync.Mutex
	var seen []string
	record := switchboard.ConsumerFunc(func(e switchboard.Event) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, strings.TrimSpace(fmt.Sprintf("%d %s %s", e.Seq, e.Type, e.TaskID)))
	})
	clock := switchboard.NewManualClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	r, err := switchboard.NewRouter(ctx, nil, &switchboard.Config{
		Clock:     clock,
		NewID:     func() string { return "task-1" },
		Consumers: []switchboard.Consumer{switchboard.Filtered(switchboard.EventFilter{QueueID: "billing"}, record)},
	})
	if err != nil {
		log.Fatal(err)
	}
	exampleBilling(r)
	exampleStaff(r, clock, "ana")
	task, _ := r.CreateTask(ctx, switchboard.TaskInput{Name: "Refund", QueueID: "billing"})
	r.Accept(ctx, task.ID, "ana")

	if err := r.Close(ctx); err != nil { // waits for the consumer
		log.Fatal(err)
	}
	for _, s := range seen {
		fmt.Println(s)
	}
	// Output:
	// 1 queue.updated
	// 4 task.created task-1
	// 5 task.queued task-1
	// 6 task.offered task-1
	// 7 task.accepted task-1
}

// Subscription.Events is an iterator over a subscription's events; with an
// EventFilter the subscription receives only what the filter matches — here
// the offers and misses of one agent. Break leaves the subscription open.
func ExampleSubscription_Events_filter() {
	ctx := context.Background()
	r, clock := newExampleRouter()
	defer r.Close(context.Background())
	exampleBilling(r)
	sub := r.Subscribe(&switchboard.SubscribeOptions{Filter: &switchboard.EventFilter{
		AgentID: "ana",
		Types:   []switchboard.EventType{switchboard.EventTaskOffered, switchboard.EventTaskMissed},
	}})
	defer sub.Close()

	exampleStaff(r, clock, "ana", "bob")
	r.CreateTask(ctx, switchboard.TaskInput{Name: "Call back", QueueID: "billing"})
	clock.Advance(20 * time.Second) // ana misses the offer; bob gets it

	n := 0
	for e, err := range sub.Events(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(e.Seq, e.Type, e.TaskID, e.AgentID, e.Time.Format("15:04:05"))
		if n++; n == 2 {
			break
		}
	}
	// Output:
	// 7 task.offered task-1 ana 09:00:02
	// 8 task.missed task-1 ana 09:00:22
}

// Router.Check verifies the router's indexes against its tasks and agents; a
// host's test calls it after a scenario (switchboardtest does so at cleanup).
// Stats counts the same state for monitoring.
func ExampleRouter_Check_stats() {
	ctx := context.Background()
	r, clock := newExampleRouter()
	exampleBilling(r)
	exampleStaff(r, clock, "ana")
	for range 3 {
		r.CreateTask(ctx, switchboard.TaskInput{Name: "Follow up", QueueID: "billing"})
	}

	fmt.Println("check:", r.Check())
	s, _ := r.Stats()
	fmt.Println("offered:", s.TasksByState[switchboard.StateOffered], "queued:", s.TasksByState[switchboard.StateQueued])
	fmt.Println("waiting in billing:", s.QueuedByQueue["billing"], "events:", s.Events)

	r.Close(ctx)
	fmt.Println("after close:", r.Check())
	// Output:
	// check: <nil>
	// offered: 1 queued: 2
	// waiting in billing: 3 events: 10
	// after close: switchboard: router closed
}

// countingStore is a host's own Store: here a MemoryStore that counts the
// writes the router makes. A real one wraps a database.
type countingStore struct {
	switchboard.MemoryStore
	writes atomic.Int64
}

func (s *countingStore) Write(ctx context.Context, c *switchboard.Change) error {
	s.writes.Add(1)
	return s.MemoryStore.Write(ctx, c)
}

// A host's own Store plugs into NewRouter. Before trusting it, run the
// conformance suite of package storetest from a test in the host's module —
// an Example cannot, since it needs a *testing.T:
//
//	func TestCountingStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) switchboard.Store { return new(countingStore) })
//	}
//
// Every subtest gets a fresh, empty store; run it with -race too.
func ExampleStore_conformance() {
	ctx := context.Background()
	store := new(countingStore) // the zero MemoryStore is ready to use
	r, err := switchboard.NewRouter(ctx, store, nil)
	if err != nil {
		log.Fatal(err)
	}
	exampleBilling(r)
	r.CreateTask(ctx, switchboard.TaskInput{Name: "Follow up", QueueID: "billing"})
	r.Close(ctx)
	fmt.Println("writes:", store.writes.Load())
	// Output:
	// writes: 3
}

// Agents, queues and routing profiles are removed once nothing depends on
// them; until then the error matches ErrInvalidState and says what does.
// An agent is set Offline and its work finished first; a queue is emptied
// and taken off its profiles; a profile goes when no agent uses it.
func ExampleRouter_DeleteAgent_offline() {
	ctx := context.Background()
	r, clock := newExampleRouter()
	defer r.Close(context.Background())
	exampleBilling(r)
	exampleStaff(r, clock, "ana")
	task, _ := r.CreateTask(ctx, switchboard.TaskInput{Name: "Last one", QueueID: "billing"})

	err := r.DeleteAgent(ctx, "ana")
	fmt.Println(errors.Is(err, switchboard.ErrInvalidState), err)
	r.SetAgentStatus(ctx, "ana", switchboard.StatusOffline) // no new work
	r.Accept(ctx, task.ID, "ana")
	r.Complete(ctx, task.ID)
	r.CloseAfterContactWork(ctx, task.ID)
	fmt.Println("delete ana:", r.DeleteAgent(ctx, "ana"))

	err = r.DeleteQueue(ctx, "billing")
	fmt.Println(errors.Is(err, switchboard.ErrInvalidState), err)
	fmt.Println("delete billing-desk:", r.DeleteRoutingProfile(ctx, "billing-desk"))
	fmt.Println("delete billing:", r.DeleteQueue(ctx, "billing"))
	_, err = r.Agent("ana")
	fmt.Println(errors.Is(err, switchboard.ErrNotFound))
	// Output:
	// true switchboard: DeleteAgent: agent ana holds 1 task(s); needs no tasks held
	// delete ana: <nil>
	// true switchboard: DeleteQueue: queue billing is listed by routing profile billing-desk; needs no routing profile listing it
	// delete billing-desk: <nil>
	// delete billing: <nil>
	// true
}

// A queue with hours of operation answers QueueOpen from the router's clock,
// in the schedule's time zone. The hours do not stop routing of tasks
// already queued; a host checks them before it creates or transfers a task.
func ExampleRouter_QueueOpen_hours() {
	ctx := context.Background()
	r, clock := newExampleRouter() // Tuesday 09:00 UTC
	defer r.Close(context.Background())
	weekdays := []switchboard.HoursRange{}
	for d := time.Monday; d <= time.Friday; d++ {
		weekdays = append(weekdays, switchboard.HoursRange{Day: d, Start: 9 * time.Hour, End: 17 * time.Hour})
	}
	r.PutQueue(ctx, switchboard.Queue{ID: "paris", Name: "Paris", Hours: &switchboard.HoursOfOperation{
		TimeZone: "Europe/Paris", Ranges: weekdays,
	}})
	for range 4 {
		open, _ := r.QueueOpen("paris")
		fmt.Println(clock.Now().Format("Mon 15:04 MST"), "open:", open)
		clock.Advance(8 * time.Hour)
	}
	// Output:
	// Tue 09:00 UTC open: true
	// Tue 17:00 UTC open: false
	// Wed 01:00 UTC open: false
	// Wed 09:00 UTC open: true
}
