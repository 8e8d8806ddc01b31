package switchboard_test

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/switchboard-go/switchboard"
	"github.com/switchboard-go/switchboard/switchboardtest"
)

// histTimeline drives a known day on the manual clock (seconds from 09:00:00
// UTC in the comments) and returns the HistoricalMetrics that consumed it.
// With restart set, the router is closed at 250 s (in the middle of the
// first 15-minute slot) and a new router is started over the same store
// with a fresh aggregator restored from the saved state, which is also fed
// the old events again (they must be ignored).
//
//	0    ana (p1, concurrency 1) Available; A created in q1, offered to ana
//	10   ana accepts A                       (A waited 10 s)
//	20   B created, queued
//	70   A completed: after-contact work
//	100  A's ACW closed (handle 90 s, ACW 30 s); B offered to ana
//	115  ana rejects B (non-response; blocked, so idle)
//	130  ana cleared; B offered again
//	135  ana accepts B                       (B waited 115 s)
//	200  B transferred to q1: B in ACW, C created and queued (QUEUE_TRANSFER)
//	230  B's ACW closed (handle 95 s, ACW 30 s); C offered
//	240  ana accepts C                       (C waited 40 s)
//	250  D created (expires at 1200), queued  [restart here]
//	300  E created, queued
//	400  E stopped: abandoned                (E waited 100 s)
//	1200 D expires: abandoned                (D waited 950 s; second slot)
//	1300 C completed; 1310 C's ACW closed    (handle 1070 s, ACW 10 s)
func histTimeline(t *testing.T, restart bool) (*switchboard.HistoricalMetrics, time.Time) {
	opts := &switchboard.HistoricalOptions{ServiceLevels: []time.Duration{20 * time.Second, 60 * time.Second, 120 * time.Second}}
	m := switchboard.NewHistoricalMetrics(opts)
	store := switchboard.NewMemoryStore()
	clock := switchboard.NewManualClock(switchboardtest.DefaultStart)
	t0 := clock.Now()
	h := switchboardtest.New(t, &switchboardtest.Options{Store: store, Config: &switchboard.Config{Clock: clock, Consumers: []switchboard.Consumer{m}}})
	to := func(s int) { clock.Set(t0.Add(time.Duration(s) * time.Second)) }
	h.Queue("q1")
	h.Profile("p1", 1, "q1")
	h.Agent("ana", "p1")
	a := h.CreateTask(switchboard.TaskInput{QueueID: "q1"})
	to(10)
	h.Must(h.Router.Accept(h.Ctx, a.ID, "ana"))
	to(20)
	b := h.CreateTask(switchboard.TaskInput{QueueID: "q1"})
	to(70)
	h.Must(h.Router.Complete(h.Ctx, a.ID))
	to(100)
	h.Must(h.Router.CloseAfterContactWork(h.Ctx, a.ID))
	to(115)
	h.Must(h.Router.Reject(h.Ctx, b.ID, "ana"))
	to(130)
	h.Must(h.Router.ClearAgent(h.Ctx, "ana"))
	to(135)
	h.Must(h.Router.Accept(h.Ctx, b.ID, "ana"))
	to(200)
	c, err := h.Router.Transfer(h.Ctx, b.ID, switchboard.TransferTarget{QueueID: "q1"})
	h.Must(err)
	to(230)
	h.Must(h.Router.CloseAfterContactWork(h.Ctx, b.ID))
	to(240)
	h.Must(h.Router.Accept(h.Ctx, c.ID, "ana"))
	to(250)
	h.CreateTask(switchboard.TaskInput{QueueID: "q1", ExpiresAt: t0.Add(1200 * time.Second)})
	if restart {
		old := h.Events()
		h.Must(h.Router.Close(h.Ctx))
		state, err := m.State()
		h.Must(err)
		saved, err := json.Marshal(state)
		h.Must(err)
		var st switchboard.MetricsState
		h.Must(json.Unmarshal(saved, &st))
		m = switchboard.NewHistoricalMetrics(opts)
		h.Must(m.Restore(st))
		h = switchboardtest.New(t, &switchboardtest.Options{IDPrefix: "after-restart-", Store: store, Config: &switchboard.Config{Clock: clock, Consumers: []switchboard.Consumer{m}}})
		for _, e := range old {
			m.Consume(e)
		}
	}
	to(300)
	e := h.CreateTask(switchboard.TaskInput{QueueID: "q1"})
	to(400)
	h.Must(h.Router.Stop(h.Ctx, e.ID))
	to(1200)
	to(1300)
	h.Must(h.Router.Complete(h.Ctx, c.ID))
	to(1310)
	h.Must(h.Router.CloseAfterContactWork(h.Ctx, c.ID))
	caughtUp(t, h, m.LastSeq)
	return m, t0
}

func sec(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func TestHistoricalMetrics(t *testing.T) {
	m, t0 := histTimeline(t, false)
	res, err := m.Query(switchboard.HistoricalQuery{Period: switchboard.IntervalFifteenMin})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 {
		t.Fatalf("%d intervals, want 2: %+v", len(res), res)
	}
	first, second := res[0].Values, res[1].Values
	if !res[0].Start.Equal(t0) || !res[0].End.Equal(t0.Add(15*time.Minute)) || !res[1].Start.Equal(t0.Add(15*time.Minute)) {
		t.Errorf("intervals %v–%v, %v", res[0].Start, res[0].End, res[1].Start)
	}
	type counts struct{ Created, Queued, Handled, Abandoned, TransferredOut, NonResponse, Removed int64 }
	c := func(v switchboard.HistoricalValues) counts {
		return counts{v.ContactsCreated, v.ContactsQueued, v.ContactsHandled, v.ContactsAbandoned, v.ContactsTransferredOut, v.AgentNonResponse, v.ContactsRemoved}
	}
	if diff := cmp.Diff(counts{5, 5, 3, 1, 1, 1, 5}, c(first)); diff != "" {
		t.Errorf("09:00 counts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(counts{Abandoned: 1}, c(second)); diff != "" {
		t.Errorf("09:15 counts (-want +got):\n%s", diff)
	}
	durs := func(v switchboard.HistoricalValues) []time.Duration {
		aqa, _ := v.AvgQueueAnswerTime()
		aht, _ := v.AvgHandleTime()
		acw, _ := v.AvgAfterContactWorkTime()
		return []time.Duration{aqa, aht, acw, v.MaxQueuedTime}
	}
	if diff := cmp.Diff([]time.Duration{sec(55), sec(92.5), sec(30), sec(115)}, durs(first)); diff != "" {
		t.Errorf("09:00 AVG_QUEUE_ANSWER_TIME, AVG_HANDLE_TIME, AVG_AFTER_CONTACT_WORK_TIME, MAX_QUEUED_TIME (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]time.Duration{0, sec(1070), sec(10), sec(950)}, durs(second)); diff != "" {
		t.Errorf("09:15 durations (-want +got):\n%s", diff)
	}
	if _, ok := second.AvgQueueAnswerTime(); ok {
		t.Error("09:15 has an average queue answer time with nothing handled")
	}
	// Service level counts contacts by the slot they were queued in: waits
	// 10, 115, 40, 950, 100 s.
	for _, c := range []struct {
		x     time.Duration
		want  float64
		exact bool
	}{{20 * time.Second, 20, true}, {60 * time.Second, 40, true}, {120 * time.Second, 80, true}, {45 * time.Second, 40, false}} {
		got, exact, ok := first.ServiceLevel(c.x)
		if !ok || exact != c.exact || math.Abs(got-c.want) > 1e-9 {
			t.Errorf("SERVICE_LEVEL %v = %v (exact %v, ok %v), want %v (exact %v)", c.x, got, exact, ok, c.want, c.exact)
		}
	}
	if _, _, ok := second.ServiceLevel(20 * time.Second); ok {
		t.Error("09:15 has a service level with nothing queued")
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, sec(100)}, {0.9, sec(950)}, {0.99, sec(950)}} {
		got, ok := first.QueueWait(c.q)
		if !ok || math.Abs(float64(got-c.want)) > 0.01*float64(c.want) {
			t.Errorf("queue wait p%v = %v, want %v ±1%%", c.q*100, got, c.want)
		}
	}
	// ana: on contact 10–100, 135–230, 240–1310; idle (blocked) 115–130;
	// ringing 0–10, 100–115, 130–135, 230–240 counts as neither.
	if first.AgentOnContactTime != sec(845) || first.AgentIdleTime != sec(15) || second.AgentOnContactTime != sec(410) {
		t.Errorf("agent time: %v/%v, %v/%v", first.AgentOnContactTime, first.AgentIdleTime, second.AgentOnContactTime, second.AgentIdleTime)
	}
	if occ, ok := first.AgentOccupancy(); !ok || math.Abs(occ-100*845.0/860) > 1e-9 {
		t.Errorf("09:00 AGENT_OCCUPANCY = %v", occ)
	}

	// By agent and initiation method over the hour.
	res, err = m.Query(switchboard.HistoricalQuery{Period: switchboard.IntervalHour, Groupings: []switchboard.Grouping{switchboard.GroupAgent, switchboard.GroupInitiationMethod}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[switchboard.Dimensions]counts{}
	for _, r := range res {
		got[r.Dimensions] = c(r.Values)
		if r.Dimensions.AgentID == "ana" && r.Dimensions.InitiationMethod == "" {
			if occ, _ := r.Values.AgentOccupancy(); math.Abs(occ-100*1255.0/1270) > 1e-9 {
				t.Errorf("hourly occupancy of ana = %v", occ)
			}
		}
	}
	api, qt := switchboard.InitiatedByAPI, switchboard.InitiatedByQueueTransfer
	want := map[switchboard.Dimensions]counts{
		{InitiationMethod: api}:                 {Created: 4, Queued: 4, Abandoned: 2, Removed: 4},
		{InitiationMethod: qt}:                  {Created: 1, Queued: 1, Removed: 1},
		{AgentID: "ana", InitiationMethod: api}: {Handled: 2, TransferredOut: 1, NonResponse: 1},
		{AgentID: "ana", InitiationMethod: qt}:  {Handled: 1},
		{AgentID: "ana"}:                        {}, // agent time
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("by agent and initiation method (-want +got):\n%s", diff)
	}

	// Filters and a day in another time zone: 09:00 UTC is 04:00 in New York.
	ny := time.FixedZone("EST", -5*3600)
	res, err = m.Query(switchboard.HistoricalQuery{Period: switchboard.IntervalDay, Location: ny, Filter: switchboard.MetricFilter{Queues: []string{"q1"}}, Groupings: []switchboard.Grouping{switchboard.GroupQueue}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || !res[0].Start.Equal(time.Date(2026, 11, 24, 0, 0, 0, 0, ny)) || res[0].Values.ContactsQueued != 5 || res[0].Values.AgentOnContactTime != 0 {
		t.Errorf("daily in New York: %+v", res)
	}
	// A window: only the second slot.
	res, _ = m.Query(switchboard.HistoricalQuery{Start: t0.Add(15 * time.Minute), End: t0.Add(time.Hour)})
	if len(res) != 1 || res[0].Values.ContactsAbandoned != 1 || !res[0].Start.Equal(t0.Add(15*time.Minute)) {
		t.Errorf("TOTAL over [09:15, 10:00): %+v", res)
	}
	if _, err := m.Query(switchboard.HistoricalQuery{Period: "MONTH"}); err == nil {
		t.Error("Period MONTH accepted")
	}
}

// TestHistoricalMetricsRestart: closing the router in the middle of an
// interval, restoring a fresh aggregator from the saved state and replaying
// the old events gives exactly the figures of the uninterrupted run.
func TestHistoricalMetricsRestart(t *testing.T) {
	whole, _ := histTimeline(t, false)
	restarted, _ := histTimeline(t, true)
	for _, p := range []switchboard.IntervalPeriod{switchboard.IntervalFifteenMin, switchboard.IntervalTotal} {
		q := switchboard.HistoricalQuery{Period: p, Groupings: []switchboard.Grouping{switchboard.GroupAgent, switchboard.GroupQueue}}
		want, _ := whole.Query(q)
		got, _ := restarted.Query(q)
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(switchboard.HistoricalValues{}), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s after a restart (-uninterrupted +restarted):\n%s", p, diff)
		}
	}
}

func TestHistoricalAgentTimeCountsUpToQueryNow(t *testing.T) {
	// An agent's time accrues at its events. A supervisor looking at
	// occupancy in the middle of a long idle stretch (or a long contact)
	// passes the clock reading as Now, and sees the stretch so far, without
	// it being counted twice once the next event comes.
	m := switchboard.NewHistoricalMetrics(nil)
	nine := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	h := switchboardtest.New(t, &switchboardtest.Options{Start: nine, Config: &switchboard.Config{Consumers: []switchboard.Consumer{m}}})
	h.Queue("q1")
	h.Profile("p1", 1, "q1")
	h.Agent("ana", "p1") // Available at 09:00
	h.Advance(20 * time.Minute)
	caughtUp(t, h, m.LastSeq)

	type agentTime struct {
		Start            time.Time
		OnContact, Idle  time.Duration
		Occupancy        float64
		HasOccupancyData bool
	}
	query := func(now time.Time) []agentTime {
		t.Helper()
		res, err := m.Query(switchboard.HistoricalQuery{Period: switchboard.IntervalFifteenMin, Now: now,
			Groupings: []switchboard.Grouping{switchboard.GroupAgent}, Filter: switchboard.MetricFilter{Agents: []string{"ana"}}})
		if err != nil {
			t.Fatal(err)
		}
		var out []agentTime
		for _, r := range res {
			occ, ok := r.Values.AgentOccupancy()
			out = append(out, agentTime{r.Start, r.Values.AgentOnContactTime, r.Values.AgentIdleTime, occ, ok})
		}
		return out
	}
	quarter := func(n int) time.Time { return nine.Add(time.Duration(n) * 15 * time.Minute) }

	// 09:20, ana idle since 09:00 and no event since.
	if got := query(time.Time{}); len(got) != 0 {
		t.Errorf("without Now, agent time so far = %+v, want none (it accrues at the next event)", got)
	}
	want := []agentTime{{quarter(0), 0, 15 * time.Minute, 0, true}, {quarter(1), 0, 5 * time.Minute, 0, true}}
	for range 2 { // asking does not count anything
		if diff := cmp.Diff(want, query(h.Clock.Now())); diff != "" {
			t.Fatalf("at 09:20 with Now (-want +got):\n%s", diff)
		}
	}

	// 09:20 a task is offered and ana accepts it; 09:30 she is still on it.
	task := h.CreateTask(switchboard.TaskInput{QueueID: "q1"})
	h.Must(h.Router.Accept(h.Ctx, task.ID, "ana"))
	h.Advance(10 * time.Minute)
	caughtUp(t, h, m.LastSeq)
	want = []agentTime{{quarter(0), 0, 15 * time.Minute, 0, true}, {quarter(1), 0, 5 * time.Minute, 0, true}}
	if diff := cmp.Diff(want, query(time.Time{})); diff != "" {
		t.Errorf("at 09:30 without Now (-want +got):\n%s", diff)
	}
	want[1] = agentTime{quarter(1), 10 * time.Minute, 5 * time.Minute, 100 * 10.0 / 15, true}
	if diff := cmp.Diff(want, query(h.Clock.Now())); diff != "" {
		t.Errorf("at 09:30 with Now (-want +got):\n%s", diff)
	}

	// 09:35 the contact ends (after-contact work is still on contact, so
	// ana's time accrues when it closes): the stretch is counted once.
	h.Advance(5 * time.Minute)
	h.Must(h.Router.Complete(h.Ctx, task.ID))
	h.Must(h.Router.CloseAfterContactWork(h.Ctx, task.ID))
	caughtUp(t, h, m.LastSeq)
	want = []agentTime{{quarter(0), 0, 15 * time.Minute, 0, true}, {quarter(1), 10 * time.Minute, 5 * time.Minute, 100 * 10.0 / 15, true},
		{quarter(2), 5 * time.Minute, 0, 100, true}}
	for _, now := range []time.Time{{}, h.Clock.Now()} {
		if diff := cmp.Diff(want, query(now)); diff != "" {
			t.Errorf("at 09:35, after the contact's end, Now %v (-want +got):\n%s", now, diff)
		}
	}
}

// A query whose End is not after its Start is refused, as ContactSearch
// refuses such a time range, rather than answered with nothing.
func TestHistoricalQueryRefusesAnEndBeforeItsStart(t *testing.T) {
	m := switchboard.NewHistoricalMetrics(nil)
	at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	for _, q := range []switchboard.HistoricalQuery{
		{Period: switchboard.IntervalHour, Start: at, End: at.Add(-time.Hour)},
		{Period: switchboard.IntervalHour, Start: at, End: at},
	} {
		_, err := m.Query(q)
		var ve *switchboard.ValidationError
		if !errors.As(err, &ve) || ve.Field != "HistoricalQuery.End" {
			t.Errorf("Query(Start %v, End %v) = %v, want a *ValidationError for HistoricalQuery.End", q.Start, q.End, err)
		}
	}
	if _, err := m.Query(switchboard.HistoricalQuery{Period: switchboard.IntervalHour, Start: at}); err != nil {
		t.Errorf("an open-ended query: %v", err)
	}
}
