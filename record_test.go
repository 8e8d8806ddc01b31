package switchboard_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/switchboard-go/switchboard"
	"github.com/switchboard-go/switchboard/switchboardtest"
)

// recordList is a RecordSink keeping records in memory.
type recordList struct {
	mu   sync.Mutex
	recs []switchboard.ContactRecord
}

func (l *recordList) WriteRecord(r switchboard.ContactRecord) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs = append(l.recs, r)
	return nil
}

func (l *recordList) byTask() map[string]switchboard.ContactRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := map[string]switchboard.ContactRecord{}
	for _, r := range l.recs {
		m[r.TaskID] = r
	}
	return m
}

// caughtUp waits until a consumer reporting lastSeq has applied every event
// the harness recorded.
func caughtUp(t testing.TB, h *switchboardtest.Harness, lastSeq func() uint64) {
	t.Helper()
	evs := h.Events()
	if len(evs) == 0 {
		return
	}
	want := evs[len(evs)-1].Seq
	for deadline := time.Now().Add(5 * time.Second); lastSeq() < want; {
		if time.Now().After(deadline) {
			t.Fatalf("consumer at Seq %d, want %d", lastSeq(), want)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestContactRecords(t *testing.T) {
	sink := &recordList{}
	b := switchboard.NewRecordBuilder(sink)
	h := switchboardtest.New(t, &switchboardtest.Options{Config: &switchboard.Config{Consumers: []switchboard.Consumer{b}}})
	h.Queue("q1")
	h.Queue("q2")
	h.Profile("p1", 1, "q1", "q2")
	t0 := h.Clock.Now()

	// task-1: offered to ana, missed, offered again, accepted, paused,
	// resumed, completed, ACW closed.
	one := h.CreateTask(switchboard.TaskInput{QueueID: "q1", Priority: 3})
	h.Advance(10 * time.Second)
	h.Agent("ana", "p1") // offered at t0+10s
	h.Advance(20 * time.Second)
	h.Must(h.Router.ClearAgent(h.Ctx, "ana")) // missed at +30s, offered again
	h.Advance(5 * time.Second)
	h.Must(h.Router.Accept(h.Ctx, one.ID, "ana")) // +35s
	h.Advance(60 * time.Second)
	h.Must(h.Router.Pause(h.Ctx, one.ID)) // +95s
	h.Advance(15 * time.Second)
	h.Must(h.Router.Resume(h.Ctx, one.ID)) // +110s
	h.Advance(30 * time.Second)
	h.Must(h.Router.Complete(h.Ctx, one.ID)) // +140s
	h.Advance(20 * time.Second)
	h.Must(h.Router.CloseAfterContactWork(h.Ctx, one.ID)) // +160s

	// task-2: accepted, then transferred to q2 (task-3), which is stopped.
	two := h.CreateTask(switchboard.TaskInput{QueueID: "q1"}) // +160s, offered at once
	h.Must(h.Router.Accept(h.Ctx, two.ID, "ana"))
	h.Advance(40 * time.Second)
	three, err := h.Router.Transfer(h.Ctx, two.ID, switchboard.TransferTarget{QueueID: "q2"}) // +200s
	h.Must(err)
	h.Advance(10 * time.Second)
	h.Must(h.Router.CloseAfterContactWork(h.Ctx, two.ID)) // +210s; ana takes task-3
	h.Advance(5 * time.Second)
	h.Must(h.Router.Stop(h.Ctx, three.ID)) // +215s

	// task-4: expires in the queue.
	exp := t0.Add(215*time.Second + time.Hour)
	h.Must(h.Router.SetAgentStatus(h.Ctx, "ana", switchboard.StatusOffline))
	four := h.CreateTask(switchboard.TaskInput{QueueID: "q2", ExpiresAt: exp})
	h.Clock.Set(exp)
	caughtUp(t, h, b.LastSeq)

	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	got := sink.byTask()
	want := map[string]switchboard.ContactRecord{
		one.ID: {
			TaskID: one.ID, InitialTaskID: one.ID, ExpiresAt: one.ExpiresAt, Channel: switchboard.ChannelTask, InitiationMethod: switchboard.InitiatedByAPI, QueueID: "q1",
			AgentID: "ana", RoutingProfileID: "p1", Priority: 3,
			InitiatedAt: t0, EnqueuedAt: t0, DequeuedAt: at(35), OfferedAt: at(30), ConnectedAt: at(35),
			ACWStartAt: at(140), ACWEndAt: at(160), DisconnectedAt: at(140), LastUpdateAt: at(160),
			LastPausedAt: at(95), LastResumedAt: at(110),
			QueueDuration: 35 * time.Second, InteractionTime: 105 * time.Second, ACWDuration: 20 * time.Second,
			PauseCount: 1, PauseDuration: 15 * time.Second, ConnectionAttempts: 2,
			DisconnectReason: switchboard.DisconnectAgentCompleted, FinalState: switchboard.StateCompleted, State: switchboard.StateCompleted,
		},
		two.ID: {
			TaskID: two.ID, InitialTaskID: two.ID, ExpiresAt: two.ExpiresAt, NextTaskID: three.ID, Channel: switchboard.ChannelTask, InitiationMethod: switchboard.InitiatedByAPI,
			QueueID: "q1", AgentID: "ana", RoutingProfileID: "p1", Priority: 5,
			InitiatedAt: at(160), EnqueuedAt: at(160), DequeuedAt: at(160), OfferedAt: at(160), ConnectedAt: at(160),
			ACWStartAt: at(200), ACWEndAt: at(210), DisconnectedAt: at(200), LastUpdateAt: at(210),
			InteractionTime: 40 * time.Second, ACWDuration: 10 * time.Second, ConnectionAttempts: 1,
			DisconnectReason: switchboard.DisconnectTransferred, FinalState: switchboard.StateCompleted, State: switchboard.StateCompleted,
		},
		three.ID: {
			TaskID: three.ID, InitialTaskID: two.ID, ExpiresAt: three.ExpiresAt, PreviousTaskID: two.ID, Channel: switchboard.ChannelTask, InitiationMethod: switchboard.InitiatedByQueueTransfer,
			QueueID: "q2", AgentID: "ana", RoutingProfileID: "p1", Priority: 5,
			InitiatedAt: at(200), EnqueuedAt: at(200), DequeuedAt: at(215), OfferedAt: at(210), LastUpdateAt: at(215),
			DisconnectedAt: at(215), QueueDuration: 15 * time.Second, ConnectionAttempts: 1,
			DisconnectReason: switchboard.DisconnectAPIStopped, FinalState: switchboard.StateStopped, State: switchboard.StateStopped,
		},
		four.ID: {
			TaskID: four.ID, InitialTaskID: four.ID, ExpiresAt: four.ExpiresAt, Channel: switchboard.ChannelTask, InitiationMethod: switchboard.InitiatedByAPI, QueueID: "q2", Priority: 5,
			InitiatedAt: at(215), EnqueuedAt: at(215), DequeuedAt: exp, DisconnectedAt: exp, LastUpdateAt: exp,
			QueueDuration: time.Hour, DisconnectReason: switchboard.DisconnectExpired, FinalState: switchboard.StateExpired, State: switchboard.StateExpired,
		},
	}
	for id, w := range want {
		g := got[id]
		w.LastSeq = g.LastSeq // checked below
		if diff := cmp.Diff(w, g); diff != "" {
			t.Errorf("record of %s (-want +got):\n%s", id, diff)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d records, want %d", len(got), len(want))
	}

	// A pure function of the log: replaying the recorded events into a fresh
	// builder gives the same records, and replaying them twice adds nothing.
	again := &recordList{}
	b2 := switchboard.NewRecordBuilder(again)
	for range 2 {
		for _, e := range h.Events() {
			b2.Consume(e)
		}
	}
	if diff := cmp.Diff(sink.recs, again.recs); diff != "" {
		t.Errorf("replayed records differ (-live +replayed):\n%s", diff)
	}
	for _, r := range sink.recs {
		b, err := json.Marshal(r)
		h.Must(err)
		var back switchboard.ContactRecord
		h.Must(json.Unmarshal(b, &back))
		if diff := cmp.Diff(r, back); diff != "" {
			t.Errorf("JSON round trip of %s: %s", r.TaskID, diff)
		}
	}
}

func TestRecordBuilderRestore(t *testing.T) {
	store := switchboard.NewMemoryStore()
	sink := &recordList{}
	b := switchboard.NewRecordBuilder(sink)
	clock := switchboard.NewManualClock(switchboardtest.DefaultStart)
	h := switchboardtest.New(t, &switchboardtest.Options{Store: store, Config: &switchboard.Config{Clock: clock, Consumers: []switchboard.Consumer{b}}})
	h.Queue("q1")
	h.Profile("p1", 1, "q1")
	h.Agent("ana", "p1")
	one := h.CreateTask(switchboard.TaskInput{QueueID: "q1"})
	h.Must(h.Router.Accept(h.Ctx, one.ID, "ana"))
	h.Advance(time.Minute)
	h.Must(h.Router.Close(h.Ctx))
	saved, err := json.Marshal(b.State())
	h.Must(err)

	var st switchboard.RecordBuilderState
	h.Must(json.Unmarshal(saved, &st))
	b2 := switchboard.NewRecordBuilder(sink)
	h.Must(b2.Restore(st))
	h2 := switchboardtest.New(t, &switchboardtest.Options{Store: store, Config: &switchboard.Config{Clock: clock, Consumers: []switchboard.Consumer{b2}}})
	// Events at or below the restored Seq are ignored.
	for _, e := range h.Events() {
		b2.Consume(e)
	}
	h.Must(h2.Router.Complete(h2.Ctx, one.ID))
	h.Must(h2.Router.CloseAfterContactWork(h2.Ctx, one.ID))
	caughtUp(t, h2, b2.LastSeq)
	recs := sink.byTask()
	r := recs[one.ID]
	if len(sink.recs) != 1 || r.InteractionTime != time.Minute || r.ConnectedAt != switchboardtest.DefaultStart || r.ConnectionAttempts != 1 {
		t.Fatalf("records after restart: %+v", sink.recs)
	}
}

func TestJSONLinesSinkRotation(t *testing.T) {
	dir := t.TempDir()
	clock := switchboard.NewManualClock(time.Date(2026, 11, 24, 9, 59, 0, 0, time.UTC))
	rec := func(id string) switchboard.ContactRecord {
		return switchboard.ContactRecord{TaskID: id, QueueID: "q1", InitiatedAt: clock.Now(), FinalState: switchboard.StateCompleted}
	}
	line, _ := json.Marshal(rec("a"))
	// Two lines fit, three do not.
	s, err := switchboard.NewJSONLinesSink(switchboard.JSONLinesOptions{Dir: dir, Prefix: "ctr", MaxBytes: int64(2*len(line) + 3), RotateEvery: time.Hour, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b", "c"} {
		if err := s.WriteRecord(rec(id)); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(time.Minute) // 10:00: a new hour, a new file
	if err := s.WriteRecord(rec("d")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteRecord(rec("e")); err != switchboard.ErrClosed {
		t.Errorf("write after Close: %v, want ErrClosed", err)
	}
	wantFiles := []string{"ctr-20261124T090000Z-0001.jsonl", "ctr-20261124T090000Z-0002.jsonl", "ctr-20261124T100000Z-0001.jsonl"}
	wantIDs := [][]string{{"a", "b"}, {"c"}, {"d"}}
	files := s.Files()
	if len(files) != len(wantFiles) {
		t.Fatalf("files %v, want %v", files, wantFiles)
	}
	for i, f := range files {
		if filepath.Base(f) != wantFiles[i] {
			t.Errorf("file %d is %s, want %s", i, filepath.Base(f), wantFiles[i])
		}
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			var r switchboard.ContactRecord
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, r.TaskID)
		}
		fh.Close()
		if diff := cmp.Diff(wantIDs[i], ids); diff != "" {
			t.Errorf("%s: %s", f, diff)
		}
	}
	// A second sink over the same directory never overwrites a file.
	s2, _ := switchboard.NewJSONLinesSink(switchboard.JSONLinesOptions{Dir: dir, Prefix: "ctr", RotateEvery: time.Hour, Clock: clock})
	if err := s2.WriteRecord(rec("f")); err != nil {
		t.Fatal(err)
	}
	s2.Close()
	if got := filepath.Base(s2.Files()[0]); got != "ctr-20261124T100000Z-0002.jsonl" {
		t.Errorf("second sink wrote %s", got)
	}
}

// A record's durations are seconds in its JSON form; every nanosecond
// survives the round trip (a store keeping the JSON form returns what the
// builder measured).
func TestContactRecordJSONKeepsNanoseconds(t *testing.T) {
	r := switchboard.ContactRecord{TaskID: "task-000019", QueueDuration: 41*time.Second + 7,
		InteractionTime: 8*time.Minute + 50*time.Second + 232114221, ACWDuration: 23127680909, PauseDuration: 1}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back switchboard.ContactRecord
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, back); diff != "" {
		t.Errorf("JSON round trip (-put +got):\n%s", diff)
	}
}
