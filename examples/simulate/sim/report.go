package sim

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/switchboard-go/switchboard"
)

// Row is one interval (or the total) of the report, from HistoricalMetrics.
type Row struct {
	Start        time.Time
	Created      int64         // CONTACTS_CREATED
	Handled      int64         // CONTACTS_HANDLED
	Abandoned    int64         // CONTACTS_ABANDONED
	ServiceLevel float64       // SERVICE_LEVEL at Report.Threshold, percent
	HasSL        bool          // something was queued
	AvgAnswer    time.Duration // AVG_QUEUE_ANSWER_TIME
	AHT          time.Duration // AVG_HANDLE_TIME
	Occupancy    float64       // AGENT_OCCUPANCY, percent
	HasOccupancy bool          // agents were available or on contact
}

func rowOf(start time.Time, v switchboard.HistoricalValues, threshold time.Duration) Row {
	row := Row{Start: start, Created: v.ContactsCreated, Handled: v.ContactsHandled, Abandoned: v.ContactsAbandoned}
	row.ServiceLevel, _, row.HasSL = v.ServiceLevel(threshold)
	row.AvgAnswer, _ = v.AvgQueueAnswerTime()
	row.AHT, _ = v.AvgHandleTime()
	row.Occupancy, row.HasOccupancy = v.AgentOccupancy()
	return row
}

// QueueReport is one queue's part of the report.
type QueueReport struct {
	ID, Name string
	Total    Row
	Buckets  []Row // per Scenario.Bucket, for the service-level chart
}

// Report is what examples/simulate prints and writes: the hourly table, the
// totals, and per queue the totals, the service level per bucket and the
// queue lengths sampled through the run.
type Report struct {
	Start, End time.Time // the first clock reading, and when the last task ended
	Arrivals   time.Duration
	Seed       uint64
	Agents     int
	Tickets    int
	Tasks      int
	Records    uint64
	Threshold  time.Duration
	Bucket     time.Duration
	Hours      []Row
	Total      Row
	Queues     []QueueReport
	Samples    []Sample
}

var bucketWidth = map[switchboard.IntervalPeriod]time.Duration{
	switchboard.IntervalFifteenMin: 15 * time.Minute, switchboard.IntervalThirtyMin: 30 * time.Minute,
	switchboard.IntervalHour: time.Hour,
}

// NewReport reads the metrics of a run into a Report. Every figure comes
// from the HistoricalMetrics the router's event log fed.
func NewReport(res *Result) (*Report, error) {
	sc := res.Scenario
	bucket := sc.Bucket
	if bucket == "" {
		bucket = switchboard.IntervalHour
	}
	width, ok := bucketWidth[bucket]
	if !ok {
		return nil, fmt.Errorf("sim: Scenario.Bucket %q: FIFTEEN_MIN, THIRTY_MIN or HOUR", bucket)
	}
	rep := &Report{
		Start: sc.Start, End: res.End, Arrivals: sc.Duration, Seed: res.Seed, Agents: len(sc.Agents),
		Tickets: res.Tickets, Tasks: len(res.TaskIDs), Records: res.Records, Threshold: sc.ServiceLevel, Bucket: width,
		Samples: res.Samples,
	}
	hm := res.Historical
	hours, err := hm.Query(switchboard.HistoricalQuery{Period: switchboard.IntervalHour})
	if err != nil {
		return nil, err
	}
	for _, h := range hours {
		rep.Hours = append(rep.Hours, rowOf(h.Start, h.Values, rep.Threshold))
	}
	total, err := hm.Query(switchboard.HistoricalQuery{})
	if err != nil {
		return nil, err
	}
	if len(total) == 1 {
		rep.Total = rowOf(rep.Start, total[0].Values, rep.Threshold)
	}
	for _, q := range sc.Queues {
		qr := QueueReport{ID: q.ID, Name: q.Name}
		f := switchboard.MetricFilter{Queues: []string{q.ID}}
		t, err := hm.Query(switchboard.HistoricalQuery{Filter: f})
		if err != nil {
			return nil, err
		}
		if len(t) == 1 {
			qr.Total = rowOf(rep.Start, t[0].Values, rep.Threshold)
		}
		bs, err := hm.Query(switchboard.HistoricalQuery{Period: bucket, Filter: f})
		if err != nil {
			return nil, err
		}
		for _, b := range bs {
			qr.Buckets = append(qr.Buckets, rowOf(b.Start, b.Values, rep.Threshold))
		}
		rep.Queues = append(rep.Queues, qr)
	}
	return rep, nil
}

// cells are a row's figures as the table prints them; "-" where there is
// nothing to average.
func (r *Row) cells() []string {
	pct := func(v float64, ok bool) string {
		if !ok {
			return "-"
		}
		return fmt.Sprintf("%.1f%%", v)
	}
	dur := func(d time.Duration, ok bool) string {
		if !ok {
			return "-"
		}
		return d.Round(time.Second).String()
	}
	return []string{
		fmt.Sprint(r.Created), fmt.Sprint(r.Handled), fmt.Sprint(r.Abandoned), pct(r.ServiceLevel, r.HasSL),
		dur(r.AvgAnswer, r.Handled > 0), dur(r.AHT, r.AHT > 0), pct(r.Occupancy, r.HasOccupancy),
	}
}

func (rep *Report) columns() []string {
	return []string{"created", "handled", "abandoned", fmt.Sprintf("SL %.0fs", rep.Threshold.Seconds()), "avg answer", "AHT", "occupancy"}
}

// WriteTable writes the hourly table and the totals per queue as text.
func (rep *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	line := func(first string, cells []string) {
		fmt.Fprintf(tw, "%s\t%s\t\n", first, strings.Join(cells, "\t"))
	}
	line("hour", rep.columns())
	for _, h := range rep.Hours {
		first := h.Start.Format("15:04")
		if !sameDay(h.Start, rep.Start) {
			first = h.Start.Format("Jan 2 15:04")
		}
		line(first, h.cells())
	}
	line("total", rep.Total.cells())
	fmt.Fprintf(tw, "\t\t\t\t\t\t\t\t\n")
	line("queue", rep.columns())
	for _, q := range rep.Queues {
		line(q.ID, q.Total.cells())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d agents, %d tickets, %d tasks, %d contact records; tickets from %s for %s, last task ended %s (seed %d)\n",
		rep.Agents, rep.Tickets, rep.Tasks, rep.Records, rep.Start.Format("2006-01-02 15:04 MST"), rep.Arrivals,
		rep.End.Format("2006-01-02 15:04"), rep.Seed)
	return err
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}
