package switchboard_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/switchboard-go/switchboard"
	"github.com/switchboard-go/switchboard/switchboardtest"
)

// restartDay runs one morning, restarting the router at 09:06:40 (in the
// middle of the 09:00 15-minute interval) when crash is set. The crash
// loses the RecordBuilder's state: the new builder is rebuilt from the
// records in the store (OpenRecordsState). The historical metrics come back
// from the State saved at Close. With replay, the new router's consumers
// are then fed every event of the old run again, as a host replaying its
// outbox would: nothing may be counted twice. Without it, the records of
// the segments in progress must come from the store alone. It returns the records searchable at the
// end, the day's metrics, and how many records the sinks were given.
func restartDay(t *testing.T, crash, replay bool) ([]switchboard.ContactRecord, []switchboard.HistoricalResult, uint64) {
	store := switchboard.NewMemoryStore()
	clock := switchboard.NewManualClock(switchboardtest.DefaultStart)
	t0 := clock.Now()
	n := 0
	newID := func() string { n++; return fmt.Sprintf("task-%d", n) }
	attach := func(st *switchboard.RecordBuilderState, ms *switchboard.MetricsState) (*switchboard.RecordBuilder, *switchboard.HistoricalMetrics, *switchboard.Config) {
		sink, err := switchboard.NewStoreRecordSink(store)
		if err != nil {
			t.Fatal(err)
		}
		b, m := switchboard.NewRecordBuilder(sink), switchboard.NewHistoricalMetrics(nil)
		if st != nil {
			if err := b.Restore(*st); err != nil {
				t.Fatal(err)
			}
		}
		if ms != nil {
			if err := m.Restore(*ms); err != nil {
				t.Fatal(err)
			}
		}
		return b, m, &switchboard.Config{Clock: clock, NewID: newID, Consumers: []switchboard.Consumer{b, m}}
	}
	b, m, cfg := attach(nil, nil)
	h := switchboardtest.New(t, &switchboardtest.Options{Store: store, Config: cfg})
	to := func(s int) { clock.Set(t0.Add(time.Duration(s) * time.Second)) }
	h.Queue("billing")
	h.Profile("p1", 1, "billing")
	// 09:00 the refund waits, 09:01 the address change too; 09:02 Ana
	// comes online and takes the refund at 09:02:10.
	refund := h.CreateTask(switchboard.TaskInput{Name: "Refund order 1001", QueueID: "billing"})
	to(60)
	address := h.CreateTask(switchboard.TaskInput{Name: "Address change", QueueID: "billing"})
	to(120)
	h.Agent("ana", "p1")
	to(130)
	h.Must(h.Router.Accept(h.Ctx, refund.ID, "ana"))
	to(400)
	if crash {
		old := h.Events()
		caughtUp(t, h, b.LastSeq)
		caughtUp(t, h, m.LastSeq)
		h.Must(h.Router.Close(h.Ctx))
		ms, err := m.State()
		h.Must(err)
		saved, err := json.Marshal(ms)
		h.Must(err)
		var back switchboard.MetricsState
		h.Must(json.Unmarshal(saved, &back))
		written, _ := b.Written()
		// The builder's own state is lost; the store has the records.
		st, err := switchboard.OpenRecordsState(h.Ctx, store)
		h.Must(err)
		if len(st.Open) != 2 {
			t.Fatalf("open records in the store at the crash: %d, want the refund and the address change", len(st.Open))
		}
		b, m, cfg = attach(&st, &back)
		h = switchboardtest.New(t, &switchboardtest.Options{Store: store, Config: cfg})
		if replay {
			for _, e := range old {
				b.Consume(e)
				m.Consume(e)
			}
		}
		if w, _ := b.Written(); w != 0 || written != 0 {
			t.Fatalf("records written around the restart: %d before, %d on replay; want none yet", written, w)
		}
	}
	// 09:08:20 Ana completes the refund, closes its ACW at 09:08:40 and is
	// offered the address change, which she takes at 09:08:50 and completes
	// in the next interval.
	to(500)
	h.Must(h.Router.Complete(h.Ctx, refund.ID))
	to(520)
	h.Must(h.Router.CloseAfterContactWork(h.Ctx, refund.ID))
	to(530)
	h.Must(h.Router.Accept(h.Ctx, address.ID, "ana"))
	to(1000)
	h.Must(h.Router.Complete(h.Ctx, address.ID))
	to(1010)
	h.Must(h.Router.CloseAfterContactWork(h.Ctx, address.ID))
	caughtUp(t, h, b.LastSeq)
	caughtUp(t, h, m.LastSeq)

	search, err := switchboard.NewContactSearch(store)
	h.Must(err)
	out, err := search.Search(h.Ctx, switchboard.SearchContactsInput{SearchCriteria: switchboard.SearchCriteria{
		TimeRange: switchboard.TimeRange{Type: switchboard.FieldInitiationTimestamp, Start: t0, End: t0.Add(time.Hour)}}})
	h.Must(err)
	res, err := m.Query(switchboard.HistoricalQuery{Start: t0, End: t0.Add(time.Hour), Period: switchboard.IntervalFifteenMin,
		Groupings: []switchboard.Grouping{switchboard.GroupQueue}})
	h.Must(err)
	written, failed := b.Written()
	if failed != 0 {
		t.Fatalf("%d record writes failed: %v", failed, b.Err())
	}
	return out.Contacts, res, written
}

func TestRecordsAndMetricsSurviveARestartMidInterval(t *testing.T) {
	wantRecs, wantMetrics, _ := restartDay(t, false, false)
	for _, replay := range []bool{false, true} {
		t.Run(fmt.Sprintf("replay=%v", replay), func(t *testing.T) { checkRestartDay(t, wantRecs, wantMetrics, replay) })
	}
}

func checkRestartDay(t *testing.T, wantRecs []switchboard.ContactRecord, wantMetrics []switchboard.HistoricalResult, replay bool) {
	recs, metrics, written := restartDay(t, true, replay)
	// Seqs differ (Close and the rebuild emit events of their own); every
	// other field is the same as without the restart.
	if diff := cmp.Diff(wantRecs, recs, cmpopts.IgnoreFields(switchboard.ContactRecord{}, "LastSeq")); diff != "" {
		t.Errorf("records after a restart (-uninterrupted +restarted):\n%s", diff)
	}
	if diff := cmp.Diff(wantMetrics, metrics, cmp.AllowUnexported(switchboard.HistoricalValues{}), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("metrics after a restart (-uninterrupted +restarted):\n%s", diff)
	}
	// Hand-computed: both tasks created, queued and handled in the 09:00
	// interval, answered after 130 s and 470 s; the address change's
	// handle time ends in the 09:15 interval.
	var v switchboard.HistoricalValues
	for _, r := range metrics {
		if r.Dimensions.QueueID == "billing" && r.Start.Equal(switchboardtest.DefaultStart) {
			v = r.Values
		}
	}
	if v.ContactsCreated != 2 || v.ContactsQueued != 2 || v.ContactsHandled != 2 {
		t.Errorf("09:00 interval: created %d queued %d handled %d, want 2 2 2", v.ContactsCreated, v.ContactsQueued, v.ContactsHandled)
	}
	if got, ok := v.AvgQueueAnswerTime(); !ok || got != 300*time.Second {
		t.Errorf("09:00 average queue answer time %v, want 5m0s", got)
	}
	if written != 2 || len(recs) != 2 || recs[0].QueueDuration != 130*time.Second || recs[1].QueueDuration != 470*time.Second ||
		recs[0].InitiatedAt != switchboardtest.DefaultStart || recs[0].ConnectionAttempts != 1 {
		t.Errorf("records: %d written, %+v", written, recs)
	}
}
