package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboard-go/switchboard"
)

// testRecordStore checks the optional switchboard.RecordStore capability:
// records round-trip, a lower LastSeq never replaces a higher one, links
// are found, and every search (each filter, each sort field and order, page
// sizes on and around the number of matches) returns, page by page through
// switchboard.ContactSearch, exactly what filtering and sorting every
// record gives. A store without the capability skips the test.
func testRecordStore(t *testing.T, s switchboard.Store) {
	rs, ok := s.(switchboard.RecordStore)
	if !ok {
		t.Skip("the store does not implement switchboard.RecordStore")
	}
	ctx := context.Background()
	if _, err := rs.Record(ctx, "none"); !errors.Is(err, switchboard.ErrNotFound) {
		t.Fatalf("Record of a missing task: %v, want ErrNotFound", err)
	}

	// Round trip and ownership.
	full := recordFixture(0)
	full.Attributes = map[string]string{"ticket": "Z-1"}
	if err := rs.PutRecords(ctx, []switchboard.ContactRecord{full}); err != nil {
		t.Fatal(err)
	}
	full.Attributes["ticket"] = "changed by the caller"
	got, err := rs.Record(ctx, full.TaskID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Attributes["ticket"] != "Z-1" {
		t.Errorf("the store kept the caller's map: attribute %q", got.Attributes["ticket"])
	}
	got.Attributes["ticket"] = "changed by the reader"
	again, _ := rs.Record(ctx, full.TaskID)
	full.Attributes["ticket"] = "Z-1"
	if diff := cmp.Diff(full, *again); diff != "" {
		t.Errorf("record round trip (-put +got):\n%s", diff)
	}

	// A record with a lower LastSeq (a replayed log) changes nothing; one
	// with a higher LastSeq replaces it.
	stale := full
	stale.LastSeq, stale.State = full.LastSeq-1, switchboard.StateQueued
	newer := full
	newer.LastSeq, newer.Name = full.LastSeq+1, "renamed"
	for _, step := range []struct {
		put  switchboard.ContactRecord
		want string
	}{{stale, full.Name}, {newer, "renamed"}} {
		if err := rs.PutRecords(ctx, []switchboard.ContactRecord{step.put}); err != nil {
			t.Fatal(err)
		}
		if got, _ := rs.Record(ctx, full.TaskID); got.Name != step.want || got.State != switchboard.StateCompleted {
			t.Errorf("after putting LastSeq %d: name %q state %s, want %q COMPLETED", step.put.LastSeq, got.Name, got.State, step.want)
		}
	}

	// A population covering every filter value.
	all := []switchboard.ContactRecord{newer}
	for i := 1; i < 60; i++ {
		all = append(all, recordFixture(i))
	}
	if err := rs.PutRecords(ctx, all[1:]); err != nil {
		t.Fatal(err)
	}

	// Links: records naming a task as InitialTaskID, PreviousTaskID or
	// RelatedTaskID, by initiation time.
	for _, id := range []string{"rec-00", "rec-01", "rec-07"} {
		var want []string
		for _, r := range sortedRecords(all, switchboard.SearchSort{Field: switchboard.FieldInitiationTimestamp, Order: switchboard.Ascending}) {
			if r.TaskID != id && (r.InitialTaskID == id || r.PreviousTaskID == id || r.RelatedTaskID == id) {
				want = append(want, r.TaskID)
			}
		}
		linked, err := rs.LinkedRecords(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range linked {
			ids = append(ids, r.TaskID)
		}
		if diff := cmp.Diff(want, ids); diff != "" {
			t.Errorf("LinkedRecords(%s) (-want +got):\n%s", id, diff)
		}
	}

	search, err := switchboard.NewContactSearch(s)
	if err != nil {
		t.Fatal(err)
	}
	start := recordBase.Add(-time.Minute)
	end := recordBase.Add(2 * time.Hour)
	var queries []switchboard.SearchContactsInput
	for _, f := range switchboard.TimeRangeFields {
		tr := switchboard.TimeRange{Type: f, Start: start, End: end}
		narrow := switchboard.TimeRange{Type: f, Start: recordBase.Add(10 * time.Minute), End: recordBase.Add(40 * time.Minute)}
		queries = append(queries,
			switchboard.SearchContactsInput{SearchCriteria: switchboard.SearchCriteria{TimeRange: tr}},
			switchboard.SearchContactsInput{SearchCriteria: switchboard.SearchCriteria{TimeRange: narrow}},
			switchboard.SearchContactsInput{SearchCriteria: switchboard.SearchCriteria{TimeRange: tr, QueueIDs: []string{"billing"}}},
			switchboard.SearchContactsInput{SearchCriteria: switchboard.SearchCriteria{TimeRange: narrow, QueueIDs: []string{"billing", "returns"}}},
			switchboard.SearchContactsInput{SearchCriteria: switchboard.SearchCriteria{TimeRange: tr, AgentIDs: []string{"ana"}}},
			switchboard.SearchContactsInput{SearchCriteria: switchboard.SearchCriteria{TimeRange: tr, AgentIDs: []string{"ana", "bo"}, QueueIDs: []string{"billing"}}},
		)
	}
	tr := switchboard.TimeRange{Type: switchboard.FieldInitiationTimestamp, Start: start, End: end}
	for _, c := range []switchboard.SearchCriteria{
		{TimeRange: tr, Channels: []switchboard.Channel{switchboard.ChannelChat}},
		{TimeRange: tr, InitiationMethods: []switchboard.InitiationMethod{switchboard.InitiatedByRule, switchboard.InitiatedByTransfer}},
		{TimeRange: tr, States: []switchboard.TaskState{switchboard.StateQueued, switchboard.StateConnected}},
		{TimeRange: tr, Attributes: &switchboard.SearchAttributes{Conditions: []switchboard.SearchAttribute{{Key: "tier", Values: []string{"gold"}}}}},
		{TimeRange: tr, Attributes: &switchboard.SearchAttributes{Conditions: []switchboard.SearchAttribute{{Key: "tier", Values: []string{"gold"}}, {Key: "region"}}}},
		{TimeRange: tr, Attributes: &switchboard.SearchAttributes{MatchType: switchboard.MatchAny, Conditions: []switchboard.SearchAttribute{{Key: "tier", Values: []string{"gold"}}, {Key: "region", Values: []string{"EU"}}}}},
		{TimeRange: tr, Text: &switchboard.TextCriteria{SearchText: []string{"REFUND"}}},
		{TimeRange: tr, Text: &switchboard.TextCriteria{SearchText: []string{"refund", "urgent"}}},
		{TimeRange: tr, Text: &switchboard.TextCriteria{SearchText: []string{"refund", "urgent"}, MatchType: switchboard.MatchAny}},
	} {
		queries = append(queries, switchboard.SearchContactsInput{SearchCriteria: c})
	}
	var sorted []switchboard.SearchContactsInput
	for _, q := range queries[:2] {
		for _, f := range []switchboard.ContactField{"", switchboard.FieldInitiationTimestamp, switchboard.FieldScheduledTimestamp,
			switchboard.FieldConnectedToAgentTimestamp, switchboard.FieldDisconnectTimestamp, switchboard.FieldEnqueueTimestamp,
			switchboard.FieldExpiryTimestamp, switchboard.FieldInitiationMethod, switchboard.FieldChannel} {
			for _, o := range []switchboard.SortOrder{switchboard.Ascending, switchboard.Descending} {
				q.Sort = switchboard.SearchSort{Field: f, Order: o}
				sorted = append(sorted, q)
			}
		}
	}
	for _, q := range queries {
		q.Sort.Order = switchboard.Descending
		sorted = append(sorted, q)
	}
	queries = append(queries, sorted...)
	for qi, q := range queries {
		sort := q.Sort
		sort.Field = cmpOr(sort.Field, q.TimeRange.Type)
		sort.Order = cmpOr(sort.Order, switchboard.Ascending)
		var want []string
		for _, r := range sortedRecords(all, sort) {
			if q.SearchCriteria.Match(&r) {
				want = append(want, r.TaskID)
			}
		}
		for _, size := range []int{1, 7, len(want), len(want) + 1, 100} {
			if size == 0 {
				continue
			}
			q.MaxResults, q.NextToken = size, ""
			var ids []string
			for pages := 0; ; pages++ {
				out, err := search.Search(ctx, q)
				if err != nil {
					t.Fatalf("query %d page %d: %v", qi, pages, err)
				}
				if len(out.Contacts) > size || (out.NextToken != "" && len(out.Contacts) != size) {
					t.Fatalf("query %d: page of %d records with MaxResults %d and next token %q", qi, len(out.Contacts), size, out.NextToken)
				}
				for _, r := range out.Contacts {
					ids = append(ids, r.TaskID)
				}
				if out.NextToken == "" || pages > len(all) {
					break
				}
				q.NextToken = out.NextToken
			}
			if diff := cmp.Diff(want, ids); diff != "" {
				t.Errorf("query %d %s by %d (-want +got):\n%s", qi, describeQuery(q), size, diff)
			}
		}
	}
}

func cmpOr[T comparable](a, b T) T {
	var zero T
	if a == zero {
		return b
	}
	return a
}

func describeQuery(q switchboard.SearchContactsInput) string {
	return fmt.Sprintf("%+v sort %+v", q.SearchCriteria, q.Sort)
}

func sortedRecords(rs []switchboard.ContactRecord, s switchboard.SearchSort) []switchboard.ContactRecord {
	out := slices.Clone(rs)
	slices.SortFunc(out, func(a, b switchboard.ContactRecord) int { return s.Compare(&a, &b) })
	return out
}

var recordBase = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

// recordFixture returns the i-th record of a population in which every
// filter value, missing timestamp and tie (two records sharing a
// timestamp) occurs.
func recordFixture(i int) switchboard.ContactRecord {
	at := func(min int) time.Time { return recordBase.Add(time.Duration(min) * time.Minute) }
	queues := []string{"billing", "returns", "sales", ""}
	agents := []string{"ana", "bo", "cy", ""}
	methods := []switchboard.InitiationMethod{switchboard.InitiatedByAPI, switchboard.InitiatedByRule, switchboard.InitiatedByTransfer, switchboard.InitiatedByFlow}
	states := []switchboard.TaskState{switchboard.StateCompleted, switchboard.StateQueued, switchboard.StateConnected, switchboard.StateExpired, switchboard.StateStopped}
	names := []string{"Refund order 1", "Urgent refund", "Address change", "URGENT: call back"}
	r := switchboard.ContactRecord{
		TaskID: fmt.Sprintf("rec-%02d", i), Channel: switchboard.ChannelTask, InitiationMethod: methods[i%4],
		QueueID: queues[i%4], AgentID: agents[(i/2)%4], RoutingProfileID: "p", Priority: 1 + i%9, State: states[i%5],
		Name: names[i%4], Description: fmt.Sprintf("ticket %d", i),
		Attributes:  map[string]string{"tier": []string{"gold", "silver"}[i%2]},
		InitiatedAt: at(i / 2), EnqueuedAt: at(i/2 + 1), ExpiresAt: at(600 - i%7),
		LastUpdateAt: at(i + 30), LastSeq: uint64(100 + i),
	}
	if i%3 == 0 {
		r.Attributes["region"] = []string{"EU", "US"}[i%2]
	}
	if i%5 == 0 {
		r.Channel = switchboard.ChannelChat
	}
	if i%4 == 1 {
		r.ScheduledAt = at(i / 3)
	}
	if r.AgentID != "" {
		r.ConnectedAt, r.OfferedAt = at(i/2+2+i%3), at(i/2+2)
	}
	if r.State.Final() {
		r.FinalState, r.DisconnectedAt = r.State, at(i+5)
		r.QueueDuration = time.Minute
	}
	if i > 0 {
		r.InitialTaskID = fmt.Sprintf("rec-%02d", i%3)
		r.PreviousTaskID = fmt.Sprintf("rec-%02d", i-1)
		if i%7 == 0 {
			r.RelatedTaskID = "rec-07"
		}
	} else {
		r.InitialTaskID = r.TaskID
	}
	return r
}
