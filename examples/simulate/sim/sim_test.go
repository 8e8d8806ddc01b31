package sim

import (
	"bytes"
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboard-go/switchboard"
)

// collect keeps every contact record the run writes.
type collect struct {
	mu   sync.Mutex
	recs []switchboard.ContactRecord
}

func (c *collect) WriteRecord(r switchboard.ContactRecord) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.recs = append(c.recs, r)
	return nil
}

// smallDay is a day small enough for -race: 100 tickets an hour for 18
// agents, too few: some tickets wait past their expiry (abandoned).
func smallDay() *Scenario { return Day(DayOptions{Agents: 18, Rate: 100}) }

func runDay(t *testing.T, seed uint64, records switchboard.RecordSink) (*Result, *Report, []byte, []byte) {
	t.Helper()
	res, err := Run(context.Background(), smallDay(), &Options{Seed: seed, Records: records})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := NewReport(res)
	if err != nil {
		t.Fatal(err)
	}
	var table, page bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	return res, rep, table.Bytes(), page.Bytes()
}

// A day of tickets: every ticket becomes one task, every task one contact
// record, and the report's totals — per hour, per queue and for the day —
// count each task exactly once, as handled or abandoned, agreeing with the
// records.
func TestDayCountsEveryTaskOnce(t *testing.T) {
	var sink collect
	res, rep, _, _ := runDay(t, 42, &sink)
	recs := sink.recs
	t.Logf("%d tickets, %d tasks, %d records, handled %d, abandoned %d, SL60 %.1f%%", res.Tickets, len(res.TaskIDs), len(recs),
		rep.Total.Handled, rep.Total.Abandoned, rep.Total.ServiceLevel)
	if res.Tickets < 1500 || len(res.TaskIDs) != res.Tickets {
		t.Fatalf("%d tickets created %d tasks; want one task per ticket, about 2,400", res.Tickets, len(res.TaskIDs))
	}

	// Every task has exactly one record, and every record is a task's.
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.TaskID
	}
	slices.Sort(ids)
	want := slices.Clone(res.TaskIDs)
	slices.Sort(want)
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Fatalf("contact records' task IDs (-tasks +records):\n%s", diff)
	}
	if res.Records != uint64(len(recs)) || rep.Records != res.Records {
		t.Errorf("report says %d records, the sink got %d", rep.Records, len(recs))
	}

	// The records' own account, per queue and for the day.
	type tally struct{ created, handled, abandoned int64 }
	byQueue := map[string]*tally{}
	var day tally
	for _, r := range recs {
		q := byQueue[r.QueueID]
		if q == nil {
			q = &tally{}
			byQueue[r.QueueID] = q
		}
		for _, c := range []*tally{q, &day} {
			c.created++
			switch {
			case !r.ConnectedAt.IsZero():
				c.handled++
			case r.FinalState == switchboard.StateExpired || r.FinalState == switchboard.StateStopped:
				c.abandoned++
			default:
				t.Errorf("record %s ended %s without an agent and not abandoned", r.TaskID, r.FinalState)
			}
		}
	}
	got := func(r Row) tally { return tally{r.Created, r.Handled, r.Abandoned} }
	if got(rep.Total) != day {
		t.Errorf("report total %+v, records %+v", got(rep.Total), day)
	}
	if day.handled+day.abandoned != day.created {
		t.Errorf("%d handled + %d abandoned != %d created", day.handled, day.abandoned, day.created)
	}
	if day.abandoned == 0 || day.handled == 0 {
		t.Errorf("the day should see both handled and abandoned tasks: %+v", day)
	}
	for _, q := range rep.Queues {
		if want := byQueue[q.ID]; want == nil || got(q.Total) != *want {
			t.Errorf("queue %s: report %+v, records %+v", q.ID, got(q.Total), byQueue[q.ID])
		}
		var sum tally
		for _, b := range q.Buckets {
			sum.created, sum.handled, sum.abandoned = sum.created+b.Created, sum.handled+b.Handled, sum.abandoned+b.Abandoned
		}
		if sum != got(q.Total) {
			t.Errorf("queue %s: intervals add up to %+v, total %+v", q.ID, sum, got(q.Total))
		}
	}
	if len(rep.Queues) != 3 || len(byQueue) != 3 {
		t.Errorf("%d queues in the report, %d in the records; want 3", len(rep.Queues), len(byQueue))
	}
	var hours tally
	for _, h := range rep.Hours {
		hours.created, hours.handled, hours.abandoned = hours.created+h.Created, hours.handled+h.Handled, hours.abandoned+h.Abandoned
	}
	if hours != day {
		t.Errorf("the hourly table adds up to %+v, the records to %+v", hours, day)
	}
	// Tickets arrive through the whole day, following the curve: the busiest
	// hour is a daytime one, the quietest a night one.
	if len(rep.Hours) < 24 || !rep.Hours[0].Start.Equal(rep.Start) {
		t.Fatalf("%d hours from %v; want the day's 24 from %v", len(rep.Hours), rep.Hours[0].Start, rep.Start)
	}
	busiest, quietest := 0, 0
	for h := range 24 {
		if rep.Hours[h].Created > rep.Hours[busiest].Created {
			busiest = h
		}
		if rep.Hours[h].Created < rep.Hours[quietest].Created {
			quietest = h
		}
	}
	if busiest < 8 || busiest > 16 || (quietest > 5 && quietest < 22) {
		t.Errorf("busiest hour %d:00, quietest %d:00; the curve peaks in the day and is quiet at night", busiest, quietest)
	}
	// The queue-length samples cover the run, one every 5 minutes.
	if n := len(res.Samples); n < int(res.End.Sub(res.Scenario.Start)/(5*time.Minute)) {
		t.Errorf("%d samples for a run of %v", n, res.End.Sub(res.Scenario.Start))
	}
}

// The same seed gives the same report, byte for byte; another seed another.
func TestDaySameSeedSameBytes(t *testing.T) {
	_, _, table1, page1 := runDay(t, 7, nil)
	_, _, table2, page2 := runDay(t, 7, nil)
	if !bytes.Equal(table1, table2) {
		t.Errorf("two runs of seed 7 printed different tables:\n%s\n%s", table1, table2)
	}
	if !bytes.Equal(page1, page2) {
		t.Errorf("two runs of seed 7 wrote different HTML reports (%d and %d bytes)", len(page1), len(page2))
	}
	_, _, _, page3 := runDay(t, 8, nil)
	if bytes.Equal(page1, page3) {
		t.Error("seeds 7 and 8 wrote the same report")
	}
	for _, want := range []string{`<svg class="chart"`, "<polyline", "Hour by hour", "Technical support"} {
		if !bytes.Contains(page1, []byte(want)) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if n := bytes.Count(page1, []byte(`<svg class="chart"`)); n != 2 {
		t.Errorf("%d charts; want 2 (queue length, service level)", n)
	}
	for _, link := range []string{" src=", " href=", "@import", "url("} {
		if bytes.Contains(page1, []byte(link)) {
			t.Errorf("the report is not self-contained: it has %q", link)
		}
	}
}

// A scenario that cannot run is refused before anything runs: a queue
// without handle times, or no arrivals.
func TestRunRefusesIncompleteScenario(t *testing.T) {
	sc := smallDay()
	delete(sc.Handle, QueueTechnical)
	if _, err := Run(context.Background(), sc, nil); err == nil || err.Error() != `sim: queue "technical" has no handle time (Scenario.Handle)` {
		t.Errorf("no handle time for technical: %v", err)
	}
	sc = smallDay()
	sc.MaxRate = 0
	if _, err := Run(context.Background(), sc, nil); err == nil {
		t.Error("a scenario without an arrival rate ran")
	}
	// The caller's scenario keeps its own settings.
	sc = smallDay()
	sc.Duration = time.Hour
	if _, err := Run(context.Background(), sc, nil); err != nil {
		t.Fatal(err)
	}
	if sc.SampleEvery != 0 || sc.ServiceLevel != 0 {
		t.Errorf("Run changed the caller's scenario: SampleEvery %v, ServiceLevel %v", sc.SampleEvery, sc.ServiceLevel)
	}
}

// Every ticket's task goes through the ticket-intake flow, which set its
// priority from the ticket's and asked for a French speaker first on French
// tickets: checked on every task the store holds after a night.
func TestDayTicketsGoThroughTheIntakeFlow(t *testing.T) {
	ctx := context.Background()
	store := switchboard.NewMemoryStore()
	store.MaxFinished = -1
	sc := Day(DayOptions{Agents: 18, Rate: 400, Duration: 6 * time.Hour})
	res, err := Run(ctx, sc, &Options{Seed: 7, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.TaskIDs) < 100 {
		t.Fatalf("only %d tasks in the night", len(res.TaskIDs))
	}
	wantPriority := map[string]int{"urgent": 1, "high": 2, "normal": 5, "low": 5}
	french := 0
	for _, id := range res.TaskIDs {
		task, err := store.Task(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if task.FlowID != "ticket-intake" || task.EnqueuedAt.IsZero() {
			t.Fatalf("%s: flow %q, enqueued %v: want it queued by ticket-intake", id, task.FlowID, task.EnqueuedAt)
		}
		if want := wantPriority[task.Attributes["zendeskPriority"]]; task.Priority != want {
			t.Errorf("%s: a %s ticket has priority %d, want %d", id, task.Attributes["zendeskPriority"], task.Priority, want)
		}
		switch lang := task.Attributes["language"]; {
		case lang == "french":
			french++
			c := task.RoutingCriteria
			if c == nil || len(c.Steps) != 1 || c.Steps[0].Expiry != 2*time.Minute || c.Steps[0].Requirement.String() == "" {
				t.Errorf("%s: French ticket's criteria %v, want a French speaker for 2 minutes", id, c)
			}
		case lang == "english" && task.RoutingCriteria != nil:
			t.Errorf("%s: English ticket has criteria %v", id, task.RoutingCriteria)
		case lang != "english":
			t.Errorf("%s: language attribute %q", id, lang)
		}
	}
	if french == 0 {
		t.Error("no French ticket in the night: the check saw nothing")
	}
}
