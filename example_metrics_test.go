package switchboard_test

import (
	"context"
	"fmt"
	"time"

	"github.com/switchboard-go/switchboard"
)

// Metrics and contact records are consumers of the event log: attach them in
// Config.Consumers, then query them; they never touch the Router.
func Example_metrics() {
	ctx := context.Background()
	clock := switchboard.NewManualClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	var records []switchboard.ContactRecord
	rb := switchboard.NewRecordBuilder(switchboard.RecordSinkFunc(func(r switchboard.ContactRecord) error {
		records = append(records, r)
		return nil
	}))
	hist := switchboard.NewHistoricalMetrics(nil)
	r, _ := switchboard.NewRouter(ctx, nil, &switchboard.Config{Clock: clock, Consumers: []switchboard.Consumer{rb, hist}})

	r.PutQueue(ctx, switchboard.Queue{ID: "billing", Name: "Billing"})
	r.PutRoutingProfile(ctx, switchboard.RoutingProfile{ID: "tier1",
		Concurrency: []switchboard.MediaConcurrency{{Channel: switchboard.ChannelTask, Concurrency: 1}},
		Queues:      []switchboard.QueueConfig{{QueueID: "billing", Priority: 1}}})
	task, _ := r.CreateTask(ctx, switchboard.TaskInput{Name: "Call back", QueueID: "billing"})
	clock.Advance(30 * time.Second)
	r.PutAgent(ctx, switchboard.Agent{ID: "ana", RoutingProfileID: "tier1", Status: switchboard.StatusAvailable})
	clock.Advance(5 * time.Second)
	r.Accept(ctx, task.ID, "ana")
	clock.Advance(4 * time.Minute)
	r.Complete(ctx, task.ID)
	clock.Advance(time.Minute)
	r.CloseAfterContactWork(ctx, task.ID)
	r.Close(ctx) // waits until the consumers took every event

	rec := records[0]
	fmt.Println("queue", rec.QueueDuration, "interaction", rec.InteractionTime, "ACW", rec.ACWDuration, rec.DisconnectReason)
	res, _ := hist.Query(switchboard.HistoricalQuery{Period: switchboard.IntervalHour, Groupings: []switchboard.Grouping{switchboard.GroupQueue}})
	for _, x := range res {
		if x.Dimensions.QueueID == "" {
			continue // agent time has no queue
		}
		asa, _ := x.Values.AvgQueueAnswerTime()
		aht, _ := x.Values.AvgHandleTime()
		sl, _, _ := x.Values.ServiceLevel(20 * time.Second)
		fmt.Println(x.Start.Format("15:04"), x.Dimensions.QueueID, "handled", x.Values.ContactsHandled, "ASA", asa, "AHT", aht, "SL20", sl)
	}
	// Output:
	// queue 35s interaction 4m0s ACW 1m0s AGENT_COMPLETED
	// 09:00 billing handled 1 ASA 35s AHT 5m0s SL20 0
}

// Consumers run on their own goroutines, about a millisecond behind the
// router: WaitConsumers lets a caller read metrics right after its own
// operations, with the router still open.
func ExampleRouter_WaitConsumers() {
	ctx := context.Background()
	clock := switchboard.NewManualClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	rt := switchboard.NewRealTimeMetrics(nil)
	r, _ := switchboard.NewRouter(ctx, nil, &switchboard.Config{Clock: clock, Consumers: []switchboard.Consumer{rt}})
	defer r.Close(ctx)

	r.PutQueue(ctx, switchboard.Queue{ID: "billing", Name: "Billing"})
	for _, name := range []string{"Call back Mrs Smith", "Refund order 4411", "Check invoice"} {
		r.CreateTask(ctx, switchboard.TaskInput{Name: name, QueueID: "billing"})
	}
	if err := r.WaitConsumers(ctx); err != nil {
		fmt.Println(err)
		return
	}
	res, _ := rt.Snapshot(switchboard.RealTimeQuery{Groupings: []switchboard.Grouping{switchboard.GroupQueue}})
	for _, x := range res {
		fmt.Println(x.Dimensions.QueueID, "in queue:", x.Values.ContactsInQueue)
	}
	// Output:
	// billing in queue: 3
}
