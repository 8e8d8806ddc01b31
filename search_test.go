package switchboard_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/switchboard-go/switchboard"
	"github.com/switchboard-go/switchboard/switchboardtest"
)

// searchBench is a router whose contact records go to its MemoryStore
// through a StoreRecordSink, with a ContactSearch over them.
type searchBench struct {
	*switchboardtest.Harness
	records *switchboard.RecordBuilder
	search  *switchboard.ContactSearch
}

func newSearchBench(t *testing.T) *searchBench {
	t.Helper()
	store := switchboard.NewMemoryStore()
	sink, err := switchboard.NewStoreRecordSink(store)
	if err != nil {
		t.Fatal(err)
	}
	records := switchboard.NewRecordBuilder(sink)
	h := switchboardtest.New(t, &switchboardtest.Options{Store: store,
		Config: &switchboard.Config{Consumers: []switchboard.Consumer{records}}})
	search, err := switchboard.NewContactSearch(store)
	h.Must(err)
	return &searchBench{Harness: h, records: records, search: search}
}

// find runs a search, fetching every page, after the records caught up
// with the router, and returns the task IDs found.
func (b *searchBench) find(t *testing.T, in switchboard.SearchContactsInput) []string {
	t.Helper()
	caughtUp(t, b.Harness, b.records.LastSeq)
	var ids []string
	for {
		out, err := b.search.Search(b.Ctx, in)
		b.Must(err)
		for _, r := range out.Contacts {
			ids = append(ids, r.TaskID)
		}
		if out.NextToken == "" {
			return ids
		}
		in.NextToken = out.NextToken
	}
}

func TestSearchContactsFollowsTasksFromCreation(t *testing.T) {
	b := newSearchBench(t)
	b.Queue("billing")
	b.Queue("returns")
	b.Profile("p1", 1, "billing", "returns")
	t0 := b.Clock.Now()
	day := switchboard.TimeRange{Type: switchboard.FieldInitiationTimestamp, Start: t0, End: t0.Add(24 * time.Hour)}

	// A customer asks for a refund; the task waits in billing with no agent
	// online, and is searchable at once, as QUEUED.
	refund := b.CreateTask(switchboard.TaskInput{Name: "Refund order 1001", Description: "Customer asks for a refund",
		QueueID: "billing", Attributes: map[string]string{"ticket": "Z-1001", "tier": "gold"}})
	b.Advance(time.Minute)
	address := b.CreateTask(switchboard.TaskInput{Name: "Address change", QueueID: "returns",
		Attributes: map[string]string{"ticket": "Z-1002", "tier": "silver"}})
	if got := b.find(t, switchboard.SearchContactsInput{SearchCriteria: switchboard.SearchCriteria{TimeRange: day,
		States: []switchboard.TaskState{switchboard.StateQueued}}}); !cmp.Equal(got, []string{refund.ID, address.ID}) {
		t.Errorf("queued tasks: %v, want the refund and the address change", got)
	}

	// Ana comes online at 09:05, takes the refund (offered at once), and
	// transfers it to returns at 09:10.
	b.Advance(4 * time.Minute)
	b.Agent("ana", "p1")
	b.Must(b.Router.Accept(b.Ctx, refund.ID, "ana"))
	b.Advance(5 * time.Minute)
	moved, err := b.Router.Transfer(b.Ctx, refund.ID, switchboard.TransferTarget{QueueID: "returns"})
	b.Must(err)
	b.Must(b.Router.CloseAfterContactWork(b.Ctx, refund.ID))
	// A rule raises a follow-up on the refund, and a related audit task.
	b.Advance(time.Minute)
	followUp := b.CreateTask(switchboard.TaskInput{Name: "Refund follow-up", QueueID: "billing", PreviousTaskID: refund.ID,
		InitiationMethod: switchboard.InitiatedByRule, CreatedBy: "rule:refund-follow-up"})
	audit := b.CreateTask(switchboard.TaskInput{Name: "Audit", QueueID: "billing", RelatedTaskID: refund.ID})
	b.Advance(time.Minute)

	connected := switchboard.TimeRange{Type: switchboard.FieldConnectedToAgentTimestamp, Start: t0, End: t0.Add(time.Hour)}
	for _, tc := range []struct {
		name string
		c    switchboard.SearchCriteria
		want []string
	}{
		{"connected to ana", switchboard.SearchCriteria{TimeRange: connected, AgentIDs: []string{"ana"}}, []string{refund.ID}},
		{"enqueued in returns", switchboard.SearchCriteria{TimeRange: switchboard.TimeRange{Type: switchboard.FieldEnqueueTimestamp, Start: t0, End: t0.Add(time.Hour)},
			QueueIDs: []string{"returns"}}, []string{address.ID, moved.ID}},
		{"ended", switchboard.SearchCriteria{TimeRange: switchboard.TimeRange{Type: switchboard.FieldDisconnectTimestamp, Start: t0, End: t0.Add(time.Hour)}},
			[]string{refund.ID}},
		{"transferred in", switchboard.SearchCriteria{TimeRange: day,
			InitiationMethods: []switchboard.InitiationMethod{switchboard.InitiatedByQueueTransfer}}, []string{moved.ID}},
		{"created by rules", switchboard.SearchCriteria{TimeRange: day,
			InitiationMethods: []switchboard.InitiationMethod{switchboard.InitiatedByRule}}, []string{followUp.ID}},
		// The transfer keeps the attributes and RelatedTaskID copies them;
		// a PreviousTaskID chain shares later updates, not the start.
		{"gold tier", switchboard.SearchCriteria{TimeRange: day,
			Attributes: &switchboard.SearchAttributes{Conditions: []switchboard.SearchAttribute{{Key: "tier", Values: []string{"gold"}}}}},
			[]string{refund.ID, moved.ID, audit.ID}},
		{"refund in the name or description", switchboard.SearchCriteria{TimeRange: day,
			Text: &switchboard.TextCriteria{SearchText: []string{"REFUND"}}}, []string{refund.ID, moved.ID, followUp.ID}},
		{"completed", switchboard.SearchCriteria{TimeRange: day, States: []switchboard.TaskState{switchboard.StateCompleted}},
			[]string{refund.ID}},
		{"before the day", switchboard.SearchCriteria{TimeRange: switchboard.TimeRange{Type: switchboard.FieldInitiationTimestamp,
			Start: t0.Add(-time.Hour), End: t0}}, nil},
	} {
		if got := b.find(t, switchboard.SearchContactsInput{SearchCriteria: tc.c, MaxResults: 2}); !cmp.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}

	// Newest first.
	desc := b.find(t, switchboard.SearchContactsInput{SearchCriteria: switchboard.SearchCriteria{TimeRange: day},
		Sort: switchboard.SearchSort{Field: switchboard.FieldInitiationTimestamp, Order: switchboard.Descending}, MaxResults: 1})
	if want := []string{audit.ID, followUp.ID, moved.ID, address.ID, refund.ID}; !cmp.Equal(desc, want) {
		t.Errorf("newest first: %v, want %v", desc, want)
	}

	// The supervisor traces the refund: its segments, what it led to.
	linked, err := b.search.Linked(b.Ctx, refund.ID)
	b.Must(err)
	ids := func(rs []switchboard.ContactRecord) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.TaskID)
		}
		return out
	}
	if got, want := ids(linked.Chain), []string{refund.ID, moved.ID, followUp.ID}; !cmp.Equal(got, want) {
		t.Errorf("chain of the refund: %v, want %v", got, want)
	}
	if got, want := ids(linked.Created), []string{moved.ID, followUp.ID, audit.ID}; !cmp.Equal(got, want) {
		t.Errorf("contacts the refund led to: %v, want %v", got, want)
	}
	// From the follow-up, one call tells which contact's event created it.
	linked, err = b.search.Linked(b.Ctx, followUp.ID)
	b.Must(err)
	if linked.Previous == nil || linked.Previous.TaskID != refund.ID || linked.CreatedBy != "rule:refund-follow-up" ||
		linked.InitiationMethod != switchboard.InitiatedByRule {
		t.Errorf("follow-up: previous %v, created by %q (%s); want the refund, by rule:refund-follow-up", linked.Previous, linked.CreatedBy, linked.InitiationMethod)
	}
	linked, err = b.search.Linked(b.Ctx, audit.ID)
	b.Must(err)
	if linked.Related == nil || linked.Related.TaskID != refund.ID || len(linked.Chain) != 1 {
		t.Errorf("audit: related %v, chain %v; want the refund and itself", linked.Related, ids(linked.Chain))
	}
	if _, err := b.search.Linked(b.Ctx, "no-such-task"); !errors.Is(err, switchboard.ErrNotFound) {
		t.Errorf("Linked of a missing task: %v, want ErrNotFound", err)
	}

	// The stored record carries what the task had, and the timestamps.
	rec := linked.Related
	want := switchboard.ContactRecord{
		TaskID: refund.ID, NextTaskID: moved.ID, Channel: switchboard.ChannelTask, InitiationMethod: switchboard.InitiatedByAPI,
		QueueID: "billing", AgentID: "ana", RoutingProfileID: "p1", Priority: 5, State: switchboard.StateCompleted,
		Name: "Refund order 1001", Description: "Customer asks for a refund", Attributes: map[string]string{"ticket": "Z-1001", "tier": "gold"},
		InitialTaskID: refund.ID, ExpiresAt: refund.ExpiresAt,
		InitiatedAt: t0, EnqueuedAt: t0, DequeuedAt: t0.Add(5 * time.Minute), OfferedAt: t0.Add(5 * time.Minute),
		ConnectedAt: t0.Add(5 * time.Minute), ACWStartAt: t0.Add(10 * time.Minute), ACWEndAt: t0.Add(10 * time.Minute),
		DisconnectedAt: t0.Add(10 * time.Minute), LastUpdateAt: t0.Add(10 * time.Minute),
		QueueDuration: 5 * time.Minute, InteractionTime: 5 * time.Minute, ConnectionAttempts: 1,
		DisconnectReason: switchboard.DisconnectTransferred, FinalState: switchboard.StateCompleted, LastSeq: rec.LastSeq,
	}
	if diff := cmp.Diff(want, *rec); diff != "" {
		t.Errorf("stored record of the refund (-want +got):\n%s", diff)
	}
	if ok, failed := b.records.Written(); ok != 1 || failed != 0 {
		t.Errorf("records written: %d ok, %d failed; want 1 ended segment, no failure", ok, failed)
	}
}

func TestSearchContactsRefusesBadInput(t *testing.T) {
	b := newSearchBench(t)
	t0 := b.Clock.Now()
	day := switchboard.TimeRange{Type: switchboard.FieldInitiationTimestamp, Start: t0, End: t0.Add(24 * time.Hour)}
	b.Queue("billing")
	for range 3 {
		b.CreateTask(switchboard.TaskInput{QueueID: "billing"})
	}
	caughtUp(t, b.Harness, b.records.LastSeq)
	first, err := b.search.Search(b.Ctx, switchboard.SearchContactsInput{SearchCriteria: switchboard.SearchCriteria{TimeRange: day}, MaxResults: 1})
	b.Must(err)
	long := make([]string, 101)
	for _, tc := range []struct {
		field string
		in    switchboard.SearchContactsInput
	}{
		{"TimeRange.Type", switchboard.SearchContactsInput{SearchCriteria: switchboard.SearchCriteria{TimeRange: switchboard.TimeRange{Type: "LAST_UPDATE", Start: t0, End: t0.Add(time.Hour)}}}},
		{"TimeRange", switchboard.SearchContactsInput{SearchCriteria: switchboard.SearchCriteria{TimeRange: switchboard.TimeRange{Type: switchboard.FieldInitiationTimestamp, Start: t0, End: t0}}}},
		{"TimeRange", switchboard.SearchContactsInput{SearchCriteria: switchboard.SearchCriteria{TimeRange: switchboard.TimeRange{Type: switchboard.FieldInitiationTimestamp, End: t0}}}},
		{"MaxResults", switchboard.SearchContactsInput{SearchCriteria: switchboard.SearchCriteria{TimeRange: day}, MaxResults: 101}},
		{"MaxResults", switchboard.SearchContactsInput{SearchCriteria: switchboard.SearchCriteria{TimeRange: day}, MaxResults: -1}},
		{"QueueIDs", switchboard.SearchContactsInput{SearchCriteria: switchboard.SearchCriteria{TimeRange: day, QueueIDs: long}}},
		{"Sort.Field", switchboard.SearchContactsInput{SearchCriteria: switchboard.SearchCriteria{TimeRange: day}, Sort: switchboard.SearchSort{Field: "NAME"}}},
		{"Sort.Order", switchboard.SearchContactsInput{SearchCriteria: switchboard.SearchCriteria{TimeRange: day}, Sort: switchboard.SearchSort{Order: "UP"}}},
		{"Attributes.MatchType", switchboard.SearchContactsInput{SearchCriteria: switchboard.SearchCriteria{TimeRange: day, Attributes: &switchboard.SearchAttributes{MatchType: "MATCH_EXACT"}}}},
		{"Attributes.Conditions[0].Key", switchboard.SearchContactsInput{SearchCriteria: switchboard.SearchCriteria{TimeRange: day, Attributes: &switchboard.SearchAttributes{Conditions: []switchboard.SearchAttribute{{}}}}}},
		{"Attributes.Conditions[0].Values", switchboard.SearchContactsInput{SearchCriteria: switchboard.SearchCriteria{TimeRange: day, Attributes: &switchboard.SearchAttributes{Conditions: []switchboard.SearchAttribute{{Key: "k", Values: long}}}}}},
		{"Text.SearchText[0]", switchboard.SearchContactsInput{SearchCriteria: switchboard.SearchCriteria{TimeRange: day, Text: &switchboard.TextCriteria{SearchText: []string{""}}}}},
		{"NextToken", switchboard.SearchContactsInput{SearchCriteria: switchboard.SearchCriteria{TimeRange: day}, NextToken: "not-a-token"}},
		// A token of one search does not continue another.
		{"NextToken", switchboard.SearchContactsInput{SearchCriteria: switchboard.SearchCriteria{TimeRange: day, QueueIDs: []string{"billing"}}, NextToken: first.NextToken}},
		{"NextToken", switchboard.SearchContactsInput{SearchCriteria: switchboard.SearchCriteria{TimeRange: day}, NextToken: first.NextToken,
			Sort: switchboard.SearchSort{Order: switchboard.Descending}}},
	} {
		_, err := b.search.Search(b.Ctx, tc.in)
		var ve *switchboard.ValidationError
		if !errors.As(err, &ve) || ve.Field != tc.field || ve.Limit == "" {
			t.Errorf("%s: got %v, want a ValidationError on %s", tc.field, err, tc.field)
		}
	}
	// The same token with its own search continues it.
	next, err := b.search.Search(b.Ctx, switchboard.SearchContactsInput{SearchCriteria: switchboard.SearchCriteria{TimeRange: day}, MaxResults: 1, NextToken: first.NextToken})
	b.Must(err)
	if len(next.Contacts) != 1 || next.Contacts[0].TaskID == first.Contacts[0].TaskID {
		t.Errorf("second page: %v after %v", next.Contacts, first.Contacts)
	}

	// A store without the capability is refused up front.
	if _, err := switchboard.NewContactSearch(storeWithoutRecords{switchboard.NewMemoryStore()}); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("NewContactSearch on a store without RecordStore: %v, want ErrUnsupported", err)
	}
	if _, err := switchboard.NewStoreRecordSink(storeWithoutRecords{switchboard.NewMemoryStore()}); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("NewStoreRecordSink on a store without RecordStore: %v, want ErrUnsupported", err)
	}
}

// storeWithoutRecords hides every capability of the store it wraps.
type storeWithoutRecords struct{ s switchboard.Store }

func (w storeWithoutRecords) Write(ctx context.Context, c *switchboard.Change) error {
	return w.s.Write(ctx, c)
}
func (w storeWithoutRecords) Task(ctx context.Context, id string) (*switchboard.Task, error) {
	return w.s.Task(ctx, id)
}
func (w storeWithoutRecords) TaskByClientToken(ctx context.Context, token string) (*switchboard.Task, error) {
	return w.s.TaskByClientToken(ctx, token)
}
func (w storeWithoutRecords) Chain(ctx context.Context, id string) ([]*switchboard.Task, error) {
	return w.s.Chain(ctx, id)
}
func (w storeWithoutRecords) Load(ctx context.Context) (*switchboard.Snapshot, error) {
	return w.s.Load(ctx)
}

func TestMemoryStoreKeepsTheLastEndedRecords(t *testing.T) {
	ctx := context.Background()
	s := &switchboard.MemoryStore{MaxRecords: 2}
	t0 := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	rec := func(id string, min int, state switchboard.TaskState) switchboard.ContactRecord {
		return switchboard.ContactRecord{TaskID: id, QueueID: "q", State: state, InitiatedAt: t0.Add(time.Duration(min) * time.Minute), LastSeq: uint64(min + 1)}
	}
	// One in progress and three ended: the oldest ended goes; the one in
	// progress stays however many end after it.
	for _, r := range []switchboard.ContactRecord{rec("open", 0, switchboard.StateQueued), rec("a", 1, switchboard.StateCompleted),
		rec("b", 2, switchboard.StateExpired), rec("c", 3, switchboard.StateStopped)} {
		if err := s.PutRecords(ctx, []switchboard.ContactRecord{r}); err != nil {
			t.Fatal(err)
		}
	}
	search, err := switchboard.NewContactSearch(s)
	if err != nil {
		t.Fatal(err)
	}
	out, err := search.Search(ctx, switchboard.SearchContactsInput{SearchCriteria: switchboard.SearchCriteria{
		TimeRange: switchboard.TimeRange{Type: switchboard.FieldInitiationTimestamp, Start: t0, End: t0.Add(time.Hour)}, QueueIDs: []string{"q"}}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range out.Contacts {
		ids = append(ids, r.TaskID)
	}
	if want := []string{"open", "b", "c"}; !cmp.Equal(ids, want) || s.RecordsPruned() != 1 {
		t.Errorf("kept %v (%d pruned), want %v (1 pruned)", ids, s.RecordsPruned(), want)
	}
	if _, err := s.Record(ctx, "a"); !errors.Is(err, switchboard.ErrNotFound) {
		t.Errorf("record of the pruned task: %v, want ErrNotFound", err)
	}
}
