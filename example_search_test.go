package switchboard_test

import (
	"context"
	"fmt"
	"time"

	"github.com/switchboard-go/switchboard"
)

// Contact records go to the store through a StoreRecordSink; a
// ContactSearch around the store answers Connect's SearchContacts, and
// Linked traces a contact's segments.
func Example_searchContacts() {
	ctx := context.Background()
	clock := switchboard.NewManualClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	store := switchboard.NewMemoryStore()
	sink, _ := switchboard.NewStoreRecordSink(store)
	r, _ := switchboard.NewRouter(ctx, store, &switchboard.Config{Clock: clock,
		Consumers: []switchboard.Consumer{switchboard.NewRecordBuilder(sink)}})

	r.PutQueue(ctx, switchboard.Queue{ID: "billing", Name: "Billing"})
	r.PutQueue(ctx, switchboard.Queue{ID: "returns", Name: "Returns"})
	r.PutRoutingProfile(ctx, switchboard.RoutingProfile{ID: "tier1",
		Concurrency: []switchboard.MediaConcurrency{{Channel: switchboard.ChannelTask, Concurrency: 1}},
		Queues:      []switchboard.QueueConfig{{QueueID: "billing", Priority: 1}}})
	r.PutAgent(ctx, switchboard.Agent{ID: "ana", RoutingProfileID: "tier1", Status: switchboard.StatusAvailable})
	refund, _ := r.CreateTask(ctx, switchboard.TaskInput{Name: "Refund order 1001", QueueID: "billing",
		Attributes: map[string]string{"tier": "gold"}})
	clock.Advance(10 * time.Second)
	r.Accept(ctx, refund.ID, "ana")
	clock.Advance(3 * time.Minute)
	moved, _ := r.Transfer(ctx, refund.ID, switchboard.TransferTarget{QueueID: "returns"})
	r.Close(ctx) // waits until the records are stored

	search, _ := switchboard.NewContactSearch(store)
	page, _ := search.Search(ctx, switchboard.SearchContactsInput{SearchCriteria: switchboard.SearchCriteria{
		TimeRange:  switchboard.TimeRange{Type: switchboard.FieldInitiationTimestamp, Start: clock.Now().Add(-time.Hour), End: clock.Now().Add(time.Hour)},
		Attributes: &switchboard.SearchAttributes{Conditions: []switchboard.SearchAttribute{{Key: "tier", Values: []string{"gold"}}}},
	}})
	for _, c := range page.Contacts {
		fmt.Println(c.TaskID == moved.ID, c.Name, c.QueueID, c.State, c.InitiationMethod)
	}
	linked, _ := search.Linked(ctx, moved.ID)
	fmt.Println("transferred from the refund:", linked.Previous.TaskID == refund.ID, "segments:", len(linked.Chain))
	// Output:
	// false Refund order 1001 billing AFTER_CONTACT_WORK API
	// true Refund order 1001 returns QUEUED QUEUE_TRANSFER
	// transferred from the refund: true segments: 2
}
