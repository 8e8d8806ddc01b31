package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-go/switchboard"
	"github.com/switchboard-go/switchboard/adapters/pgstore"
)

// A month of a contact center's records: a supervisor's searches over one
// hour, one queue or one agent read an index range, never the whole table.
func TestSearchReadsAnIndexRange(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	base := monthStart
	putMonth(t, s)
	if _, err := s.Pool().Exec(ctx, "ANALYZE "+pgx.Identifier{s.Schema(), "records"}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	hour := func(f switchboard.ContactField) switchboard.TimeRange {
		return switchboard.TimeRange{Type: f, Start: base.Add(10 * 24 * time.Hour), End: base.Add(10*24*time.Hour + time.Hour)}
	}
	month := switchboard.TimeRange{Type: switchboard.FieldInitiationTimestamp, Start: base, End: base.Add(31 * 24 * time.Hour)}
	for _, q := range []switchboard.RecordQuery{
		{Criteria: switchboard.SearchCriteria{TimeRange: hour(switchboard.FieldInitiationTimestamp)}},
		{Criteria: switchboard.SearchCriteria{TimeRange: hour(switchboard.FieldDisconnectTimestamp)},
			Sort: switchboard.SearchSort{Field: switchboard.FieldDisconnectTimestamp, Order: switchboard.Descending}},
		{Criteria: switchboard.SearchCriteria{TimeRange: hour(switchboard.FieldEnqueueTimestamp)},
			Sort: switchboard.SearchSort{Field: switchboard.FieldChannel}},
		// A month of one queue, or of two agents, newest first: the
		// per-queue and per-agent indexes.
		{Criteria: switchboard.SearchCriteria{TimeRange: month, QueueIDs: []string{"queue-07"}},
			Sort: switchboard.SearchSort{Field: switchboard.FieldInitiationTimestamp, Order: switchboard.Descending}},
		{Criteria: switchboard.SearchCriteria{TimeRange: month, AgentIDs: []string{"agent-03", "agent-04"},
			InitiationMethods: []switchboard.InitiationMethod{switchboard.InitiatedByRule}}},
		// The second page of a month: the index continues from the token.
		{Criteria: switchboard.SearchCriteria{TimeRange: month},
			After: &switchboard.RecordCursor{Time: base.Add(15 * 24 * time.Hour), TaskID: "task-03085"}},
	} {
		if q.Sort.Field == "" {
			q.Sort.Field = q.Criteria.TimeRange.Type
		}
		q.Sort.Order = cmpOr(q.Sort.Order, switchboard.Ascending)
		q.Limit = 26
		sql, args, err := pgstore.SearchSQL(s, &q)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := s.Pool().Query(ctx, "EXPLAIN "+sql, args...)
		if err != nil {
			t.Fatal(err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		plan := strings.Join(lines, "\n")
		if strings.Contains(plan, "Seq Scan") || !strings.Contains(plan, "Index") {
			t.Errorf("search %+v sort %+v is not an index scan:\n%s", q.Criteria, q.Sort, plan)
		}
		got, err := s.SearchRecords(ctx, &q)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			t.Errorf("search %+v found nothing", q.Criteria)
		}
	}
}

// A field the store does not know (one a later core adds) is refused,
// naming it, rather than answered approximately.
func TestSearchRefusesAnUnknownField(t *testing.T) {
	s := openStore(t)
	tr := switchboard.TimeRange{Type: switchboard.FieldInitiationTimestamp, Start: time.Unix(0, 0), End: time.Unix(1, 0)}
	for _, q := range []switchboard.RecordQuery{
		{Criteria: switchboard.SearchCriteria{TimeRange: switchboard.TimeRange{Type: "LAST_RESUMED_TIMESTAMP", Start: tr.Start, End: tr.End}},
			Sort: switchboard.SearchSort{Field: switchboard.FieldInitiationTimestamp}, Limit: 1},
		{Criteria: switchboard.SearchCriteria{TimeRange: tr}, Sort: switchboard.SearchSort{Field: "PRIORITY"}, Limit: 1},
	} {
		_, err := s.SearchRecords(context.Background(), &q)
		if !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("search with an unknown field: %v, want errors.ErrUnsupported", err)
		}
		if err != nil && !strings.Contains(err.Error(), "LAST_RESUMED_TIMESTAMP") && !strings.Contains(err.Error(), "PRIORITY") {
			t.Errorf("error %q does not name the field", err)
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

var monthStart = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// putMonth puts a month of finished contacts into store, one every seven
// minutes, 6,000 in all, over 20 queues and 50 agents.
func putMonth(t testing.TB, store switchboard.RecordStore) {
	t.Helper()
	methods := []switchboard.InitiationMethod{switchboard.InitiatedByAPI, switchboard.InitiatedByRule, switchboard.InitiatedByTransfer}
	var batch []switchboard.ContactRecord
	for i := range 6000 {
		at := monthStart.Add(time.Duration(i) * 7 * time.Minute)
		batch = append(batch, switchboard.ContactRecord{
			TaskID: fmt.Sprintf("task-%05d", i), Channel: switchboard.ChannelTask, InitiationMethod: methods[i%3],
			QueueID: fmt.Sprintf("queue-%02d", i%20), AgentID: fmt.Sprintf("agent-%02d", i%50), Priority: 5,
			State: switchboard.StateCompleted, FinalState: switchboard.StateCompleted, Name: "Refund order",
			InitiatedAt: at, EnqueuedAt: at.Add(time.Second), ConnectedAt: at.Add(time.Minute),
			DisconnectedAt: at.Add(6 * time.Minute), ExpiresAt: at.Add(7 * 24 * time.Hour), LastUpdateAt: at.Add(6 * time.Minute),
			LastSeq: uint64(i + 1), InitialTaskID: fmt.Sprintf("task-%05d", i),
		})
		if len(batch) == 500 {
			if err := store.PutRecords(context.Background(), batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
}

// BenchmarkSearchPage: one page of 25 contacts, five days of one queue, sorted
// by initiation, over the same month on PostgreSQL and in memory (the
// baseline, in the same run).
func BenchmarkSearchPage(b *testing.B) {
	in := switchboard.SearchContactsInput{
		SearchCriteria: switchboard.SearchCriteria{
			TimeRange: switchboard.TimeRange{Type: switchboard.FieldInitiationTimestamp,
				Start: monthStart.Add(10 * 24 * time.Hour), End: monthStart.Add(15 * 24 * time.Hour)},
			QueueIDs: []string{"queue-07"},
		},
		MaxResults: 25,
	}
	for _, c := range []struct {
		name string
		open func(b *testing.B) switchboard.Store
	}{
		{"memory", func(*testing.B) switchboard.Store { return switchboard.NewMemoryStore() }},
		{"postgres", func(b *testing.B) switchboard.Store { return openStore(b) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			store := c.open(b)
			putMonth(b, store.(switchboard.RecordStore))
			if s, ok := store.(*pgstore.Store); ok {
				if _, err := s.Pool().Exec(context.Background(), "ANALYZE "+pgx.Identifier{s.Schema(), "records"}.Sanitize()); err != nil {
					b.Fatal(err)
				}
			}
			search, err := switchboard.NewContactSearch(store)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				out, err := search.Search(context.Background(), in)
				if err != nil || len(out.Contacts) != 25 {
					b.Fatalf("%d contacts, %v; want a full page of 25", len(out.Contacts), err)
				}
			}
		})
	}
}
