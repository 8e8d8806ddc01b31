package pgstore_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboard-go/switchboard"
	"github.com/switchboard-go/switchboard/examples/quickstart/story"
	"github.com/switchboard-go/switchboard/examples/simulate/sim"
)

// The quickstart's story told on PostgreSQL is the story told in memory,
// line for line: the same offers, the same missed offer and block, the same
// order in the queue.
func TestQuickstartStorySameOnPostgres(t *testing.T) {
	var mem, pg bytes.Buffer
	if err := story.Run(context.Background(), nil, &mem); err != nil {
		t.Fatal(err)
	}
	if err := story.Run(context.Background(), openStore(t), &pg); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(mem.String(), "task-3") {
		t.Fatalf("the story in memory tells nothing of task-3:\n%s", mem.String())
	}
	if d := cmp.Diff(mem.String(), pg.String()); d != "" {
		t.Errorf("the story differs on PostgreSQL (-memory +postgres):\n%s", d)
	}
}

// A morning of the simulator's contact center run twice, in memory and on
// PostgreSQL, prints the same report byte for byte, and the contact records
// the PostgreSQL run kept answer the same searches as the memory run's.
func TestSimulatedMorningSameOnPostgres(t *testing.T) {
	ctx := context.Background()
	day := func() *sim.Scenario { return sim.Day(sim.DayOptions{Agents: 12, Rate: 60, Duration: 4 * time.Hour}) }
	run := func(store switchboard.Store) ([]byte, *sim.Report) {
		t.Helper()
		sink, err := switchboard.NewStoreRecordSink(store)
		if err != nil {
			t.Fatal(err)
		}
		res, err := sim.Run(ctx, day(), &sim.Options{Seed: 3, Store: store, Records: sink})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := sim.NewReport(res)
		if err != nil {
			t.Fatal(err)
		}
		var table bytes.Buffer
		if err := rep.WriteTable(&table); err != nil {
			t.Fatal(err)
		}
		return table.Bytes(), rep
	}
	mem := switchboard.NewMemoryStore()
	mem.MaxFinished = -1
	pg := openStore(t)
	memTable, rep := run(mem)
	pgTable, _ := run(pg)
	if d := cmp.Diff(string(memTable), string(pgTable)); d != "" {
		t.Fatalf("the report differs on PostgreSQL (-memory +postgres):\n%s", d)
	}
	if rep.Tasks == 0 {
		t.Fatal("the morning created no tasks")
	}
	// Each hour's contacts, by initiation and by disconnect, newest first,
	// three to a page: the same records on both stores.
	for _, f := range []switchboard.ContactField{switchboard.FieldInitiationTimestamp, switchboard.FieldDisconnectTimestamp} {
		for _, h := range rep.Hours {
			in := switchboard.SearchContactsInput{
				SearchCriteria: switchboard.SearchCriteria{TimeRange: switchboard.TimeRange{Type: f, Start: h.Start, End: h.Start.Add(time.Hour)}},
				Sort:           switchboard.SearchSort{Order: switchboard.Descending},
				MaxResults:     3,
			}
			want, got := searchAll(t, mem, in), searchAll(t, pg, in)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("%s in the hour from %s (-memory +postgres):\n%s", f, h.Start.Format("15:04"), d)
			}
			if f == switchboard.FieldInitiationTimestamp && int64(len(got)) != h.Created {
				t.Errorf("hour from %s: %d records initiated, the report counts %d created", h.Start.Format("15:04"), len(got), h.Created)
			}
		}
	}
}

// searchAll returns every record of in, page by page.
func searchAll(t *testing.T, store switchboard.Store, in switchboard.SearchContactsInput) []switchboard.ContactRecord {
	t.Helper()
	search, err := switchboard.NewContactSearch(store)
	if err != nil {
		t.Fatal(err)
	}
	var out []switchboard.ContactRecord
	for {
		page, err := search.Search(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Contacts...)
		if page.NextToken == "" {
			return out
		}
		in.NextToken = page.NextToken
	}
}
