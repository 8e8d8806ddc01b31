package switchboard_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-go/switchboard"
)

const benchRecords = 1_000_000

var (
	searchBenchOnce  sync.Once
	searchBenchStore *switchboard.MemoryStore
	searchBenchAll   []switchboard.ContactRecord
)

// searchBenchData fills a MemoryStore with 10⁶ ended records: a week of
// tasks, one every 0.6 s, over 20 queues and 200 agents.
func searchBenchData(b *testing.B) (*switchboard.MemoryStore, []switchboard.ContactRecord) {
	searchBenchOnce.Do(func() {
		t0 := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
		s := &switchboard.MemoryStore{MaxRecords: -1}
		all := make([]switchboard.ContactRecord, benchRecords)
		for i := range all {
			at := t0.Add(time.Duration(i) * 600 * time.Millisecond)
			all[i] = switchboard.ContactRecord{
				TaskID: fmt.Sprintf("task-%07d", i), Channel: switchboard.ChannelTask, InitiationMethod: switchboard.InitiatedByAPI,
				QueueID: fmt.Sprintf("q%02d", i%20), AgentID: fmt.Sprintf("agent-%03d", (i*7)%200), RoutingProfileID: "p",
				Priority: 5, State: switchboard.StateCompleted, FinalState: switchboard.StateCompleted, Name: "Order",
				InitiatedAt: at, EnqueuedAt: at, ConnectedAt: at.Add(30 * time.Second), DisconnectedAt: at.Add(5 * time.Minute),
				ACWStartAt: at.Add(5 * time.Minute), ACWEndAt: at.Add(6 * time.Minute), LastUpdateAt: at.Add(6 * time.Minute),
				LastSeq: uint64(i + 1),
			}
		}
		ctx := context.Background()
		for i := 0; i < len(all); i += 1000 {
			if err := s.PutRecords(ctx, all[i:i+1000]); err != nil {
				panic(err)
			}
		}
		searchBenchStore, searchBenchAll = s, all
	})
	return searchBenchStore, searchBenchAll
}

// BenchmarkSearchContacts measures one page (100 records) of a search over
// 10⁶ records by queue and a one-hour time range (about 300 matches), by
// agent, and against a baseline that filters every record, in one run. Each
// op is one page; pages=next follows NextToken to the second page.
func BenchmarkSearchContacts(b *testing.B) {
	s, all := searchBenchData(b)
	search, err := switchboard.NewContactSearch(s)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	t0 := time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)
	hour := switchboard.TimeRange{Type: switchboard.FieldInitiationTimestamp, Start: t0, End: t0.Add(time.Hour)}
	byQueue := switchboard.SearchContactsInput{SearchCriteria: switchboard.SearchCriteria{TimeRange: hour, QueueIDs: []string{"q07"}}}
	first, err := search.Search(ctx, byQueue)
	if err != nil || len(first.Contacts) != 100 || first.NextToken == "" {
		b.Fatalf("first page: %d records, token %q, %v", len(first.Contacts), first.NextToken, err)
	}
	cases := []struct {
		name string
		in   switchboard.SearchContactsInput
	}{
		{"queue+hour/page=first", byQueue},
		{"queue+hour/page=next", func() switchboard.SearchContactsInput { in := byQueue; in.NextToken = first.NextToken; return in }()},
		{"queue+hour/desc", func() switchboard.SearchContactsInput {
			in := byQueue
			in.Sort.Order = switchboard.Descending
			return in
		}()},
		{"queue+hour/sort=disconnect", func() switchboard.SearchContactsInput {
			in := byQueue
			in.Sort.Field = switchboard.FieldDisconnectTimestamp
			return in
		}()},
		{"agent+day/page=first", switchboard.SearchContactsInput{SearchCriteria: switchboard.SearchCriteria{
			TimeRange: switchboard.TimeRange{Type: switchboard.FieldConnectedToAgentTimestamp, Start: t0, End: t0.Add(24 * time.Hour)},
			AgentIDs:  []string{"agent-042"}}}},
		{"five-queues+hour/page=first", switchboard.SearchContactsInput{SearchCriteria: switchboard.SearchCriteria{TimeRange: hour,
			QueueIDs: []string{"q01", "q03", "q05", "q07", "q09"}}}},
	}
	for _, c := range cases {
		b.Run("impl=index/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				out, err := search.Search(ctx, c.in)
				if err != nil || len(out.Contacts) == 0 {
					b.Fatal(len(out.Contacts), err)
				}
			}
		})
	}
	// The baseline: the first page by queue and hour from a scan of every
	// record.
	b.Run("impl=scan/queue+hour/page=first", func(b *testing.B) {
		crit := byQueue.SearchCriteria
		for range b.N {
			n := 0
			for i := range all {
				if crit.Match(&all[i]) {
					n++
					if n == 100 {
						break
					}
				}
			}
			if n != 100 {
				b.Fatal(n)
			}
		}
	})
}
