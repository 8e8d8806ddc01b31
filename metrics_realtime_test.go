package switchboard_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/switchboard-go/switchboard"
	"github.com/switchboard-go/switchboard/switchboardtest"
)

func TestRealTimeMetrics(t *testing.T) {
	statuses := []switchboard.AgentStatusDefinition{{Name: "Break", Type: switchboard.StatusTypeCustom}}
	task := switchboard.ChannelTask
	p1 := &switchboard.RoutingProfile{ID: "p1", Concurrency: []switchboard.MediaConcurrency{{Channel: task, Concurrency: 2}},
		Queues: []switchboard.QueueConfig{{QueueID: "q1", Priority: 1}}}
	p2 := &switchboard.RoutingProfile{ID: "p2", Concurrency: []switchboard.MediaConcurrency{{Channel: task, Concurrency: 1}},
		Queues: []switchboard.QueueConfig{{QueueID: "q2", Priority: 1}}}
	m := switchboard.NewRealTimeMetrics(&switchboard.RealTimeOptions{AgentStatuses: statuses, RoutingProfiles: []*switchboard.RoutingProfile{p1, p2}})
	h := switchboardtest.New(t, &switchboardtest.Options{Config: &switchboard.Config{AgentStatuses: statuses, Consumers: []switchboard.Consumer{m}}})
	t0 := h.Clock.Now()
	h.Queue("q1")
	h.Queue("q2")
	h.Must(h.Router.PutRoutingProfile(h.Ctx, *p1))
	h.Must(h.Router.PutRoutingProfile(h.Ctx, *p2))
	h.Agent("ana", "p1")
	h.Must(h.Router.PutAgent(h.Ctx, switchboard.Agent{ID: "dan", RoutingProfileID: "p1"})) // Offline
	h.Agent("bob", "p2")
	h.Must(h.Router.PutAgent(h.Ctx, switchboard.Agent{ID: "cat", RoutingProfileID: "p2", Status: "Break"}))

	t1 := h.CreateTask(switchboard.TaskInput{QueueID: "q1"})
	h.Must(h.Router.Accept(h.Ctx, t1.ID, "ana"))
	t2 := h.CreateTask(switchboard.TaskInput{QueueID: "q1"}) // offered to ana's second slot
	h.Must(h.Router.Reject(h.Ctx, t2.ID, "ana"))             // ana in error; T2 waits
	h.Advance(10 * time.Second)
	t3 := h.CreateTask(switchboard.TaskInput{QueueID: "q2"})
	h.Must(h.Router.Accept(h.Ctx, t3.ID, "bob"))
	h.Must(h.Router.Complete(h.Ctx, t3.ID)) // bob in ACW
	h.Advance(10 * time.Second)
	h.CreateTask(switchboard.TaskInput{QueueID: "q2"}) // waits: bob is full, cat on a break
	h.CreateTask(switchboard.TaskInput{QueueID: "q2", ScheduledAt: t0.Add(time.Hour)})
	h.Advance(40 * time.Second)
	caughtUp(t, h, m.LastSeq)

	now := h.Clock.Now()
	snap := func(m *switchboard.RealTimeMetrics, q switchboard.RealTimeQuery) map[switchboard.Dimensions]switchboard.RealTimeValues {
		t.Helper()
		q.Now = now
		res, err := m.Snapshot(q)
		if err != nil {
			t.Fatal(err)
		}
		out := map[switchboard.Dimensions]switchboard.RealTimeValues{}
		for _, r := range res {
			out[r.Dimensions] = r.Values
		}
		return out
	}
	q1 := switchboard.RealTimeValues{ContactsInQueue: 1, OldestContactAge: 60 * time.Second, AgentsOnline: 1, AgentsOnContact: 1,
		AgentsStaffed: 1, AgentsError: 1, SlotsActive: 1}
	q2 := switchboard.RealTimeValues{ContactsInQueue: 1, OldestContactAge: 40 * time.Second, ContactsScheduled: 1, AgentsOnline: 2,
		AgentsOnContact: 1, AgentsStaffed: 1, AgentsAfterContactWork: 1, AgentsNonProductive: 1, SlotsActive: 1}
	byQueue := snap(m, switchboard.RealTimeQuery{Groupings: []switchboard.Grouping{switchboard.GroupQueue}})
	if diff := cmp.Diff(map[switchboard.Dimensions]switchboard.RealTimeValues{{QueueID: "q1"}: q1, {QueueID: "q2"}: q2}, byQueue); diff != "" {
		t.Errorf("by queue (-want +got):\n%s", diff)
	}
	byProfile := snap(m, switchboard.RealTimeQuery{Groupings: []switchboard.Grouping{switchboard.GroupRoutingProfile}})
	if diff := cmp.Diff(map[switchboard.Dimensions]switchboard.RealTimeValues{{RoutingProfileID: "p1"}: q1, {RoutingProfileID: "p2"}: q2}, byProfile); diff != "" {
		t.Errorf("by routing profile (-want +got):\n%s", diff)
	}
	total := snap(m, switchboard.RealTimeQuery{})
	want := switchboard.RealTimeValues{ContactsInQueue: 2, OldestContactAge: 60 * time.Second, ContactsScheduled: 1, AgentsOnline: 3,
		AgentsOnContact: 2, AgentsStaffed: 2, AgentsAfterContactWork: 1, AgentsError: 1, AgentsNonProductive: 1, SlotsActive: 2}
	if diff := cmp.Diff(map[switchboard.Dimensions]switchboard.RealTimeValues{{}: want}, total); diff != "" {
		t.Errorf("whole instance (-want +got):\n%s", diff)
	}
	filtered := snap(m, switchboard.RealTimeQuery{Filter: switchboard.MetricFilter{Queues: []string{"q2"}, Channels: []switchboard.Channel{task}},
		Groupings: []switchboard.Grouping{switchboard.GroupQueue, switchboard.GroupChannel}})
	q2c := q2
	if diff := cmp.Diff(map[switchboard.Dimensions]switchboard.RealTimeValues{{QueueID: "q2", Channel: task}: q2c}, filtered); diff != "" {
		t.Errorf("q2 by queue and channel (-want +got):\n%s", diff)
	}

	// State survives a round trip; a replay of the recorded log gives the
	// same figures, and replaying twice adds nothing.
	st, err := m.State()
	h.Must(err)
	b, err := json.Marshal(st)
	h.Must(err)
	var back switchboard.MetricsState
	h.Must(json.Unmarshal(b, &back))
	restored := switchboard.NewRealTimeMetrics(&switchboard.RealTimeOptions{AgentStatuses: statuses, RoutingProfiles: []*switchboard.RoutingProfile{p1, p2}})
	h.Must(restored.Restore(back))
	replayed := switchboard.NewRealTimeMetrics(&switchboard.RealTimeOptions{AgentStatuses: statuses, RoutingProfiles: []*switchboard.RoutingProfile{p1, p2}})
	for range 2 {
		for _, e := range h.Events() {
			replayed.Consume(e)
			restored.Consume(e)
		}
	}
	for name, other := range map[string]*switchboard.RealTimeMetrics{"restored": restored, "replayed": replayed} {
		if diff := cmp.Diff(byQueue, snap(other, switchboard.RealTimeQuery{Groupings: []switchboard.Grouping{switchboard.GroupQueue}})); diff != "" {
			t.Errorf("%s (-live +%s):\n%s", name, name, diff)
		}
	}

	// ana cleared: T2 offered (still in queue), then accepted; T1 ends.
	h.Must(h.Router.ClearAgent(h.Ctx, "ana"))
	h.Must(h.Router.Accept(h.Ctx, t2.ID, "ana"))
	h.Must(h.Router.Complete(h.Ctx, t1.ID))
	h.Must(h.Router.CloseAfterContactWork(h.Ctx, t1.ID))
	caughtUp(t, h, m.LastSeq)
	got := snap(m, switchboard.RealTimeQuery{Filter: switchboard.MetricFilter{RoutingProfiles: []string{"p1"}}})
	want1 := switchboard.RealTimeValues{AgentsOnline: 1, AgentsOnContact: 1, AgentsStaffed: 1, SlotsActive: 1, SlotsAvailable: 1}
	if diff := cmp.Diff(map[switchboard.Dimensions]switchboard.RealTimeValues{{}: want1}, got); diff != "" {
		t.Errorf("p1 after ana took T2 (-want +got):\n%s", diff)
	}
	if _, err := m.Snapshot(switchboard.RealTimeQuery{Groupings: []switchboard.Grouping{switchboard.GroupAgent}}); err == nil {
		t.Error("AGENT grouping accepted for real-time metrics")
	}
}

// TestRealTimeMetricsReportIdleQueues: at night, with everyone signed out and
// nothing waiting, a queue a routing profile serves is still in the snapshot,
// every figure zero, so a wallboard shows 0 and an alert on "nobody staffed"
// can fire. A queue no profile serves has nothing to report and is left out;
// filters and groupings apply to the idle rows as to any other.
func TestRealTimeMetricsReportIdleQueues(t *testing.T) {
	task, chat := switchboard.ChannelTask, switchboard.ChannelChat
	day := &switchboard.RoutingProfile{ID: "day", Concurrency: []switchboard.MediaConcurrency{{Channel: task, Concurrency: 1}, {Channel: chat, Concurrency: 2}},
		Queues: []switchboard.QueueConfig{{QueueID: "billing", Priority: 1}, {QueueID: "billing", Channel: chat, Priority: 1}}}
	night := &switchboard.RoutingProfile{ID: "night", Concurrency: []switchboard.MediaConcurrency{{Channel: task, Concurrency: 1}},
		Queues: []switchboard.QueueConfig{{QueueID: "billing", Priority: 1}, {QueueID: "claims", Priority: 1}}}
	m := switchboard.NewRealTimeMetrics(&switchboard.RealTimeOptions{RoutingProfiles: []*switchboard.RoutingProfile{day, night}})
	h := switchboardtest.New(t, &switchboardtest.Options{Config: &switchboard.Config{Consumers: []switchboard.Consumer{m}}})
	h.Queue("billing")
	h.Queue("claims")
	h.Queue("archive") // served by no profile
	h.Must(h.Router.PutRoutingProfile(h.Ctx, *day))
	h.Must(h.Router.PutRoutingProfile(h.Ctx, *night))
	h.Must(h.Router.PutAgent(h.Ctx, switchboard.Agent{ID: "ana", RoutingProfileID: "day"})) // Offline
	caughtUp(t, h, m.LastSeq)

	rows := func(q switchboard.RealTimeQuery) []switchboard.Dimensions {
		t.Helper()
		q.Now = h.Clock.Now()
		res, err := m.Snapshot(q)
		h.Must(err)
		var ds []switchboard.Dimensions
		for _, r := range res {
			if r.Values != (switchboard.RealTimeValues{}) {
				t.Errorf("%+v: %+v, want every figure zero", r.Dimensions, r.Values)
			}
			ds = append(ds, r.Dimensions)
		}
		return ds
	}
	by := func(gs ...switchboard.Grouping) switchboard.RealTimeQuery {
		return switchboard.RealTimeQuery{Groupings: gs}
	}
	for _, c := range []struct {
		name string
		q    switchboard.RealTimeQuery
		want []switchboard.Dimensions
	}{
		{"by queue and channel", by(switchboard.GroupQueue, switchboard.GroupChannel),
			[]switchboard.Dimensions{{QueueID: "billing", Channel: chat}, {QueueID: "billing", Channel: task}, {QueueID: "claims", Channel: task}}},
		{"by queue", by(switchboard.GroupQueue), []switchboard.Dimensions{{QueueID: "billing"}, {QueueID: "claims"}}},
		{"by routing profile", by(switchboard.GroupRoutingProfile), []switchboard.Dimensions{{RoutingProfileID: "day"}, {RoutingProfileID: "night"}}},
		{"whole instance", by(), []switchboard.Dimensions{{}}},
		{"claims only", switchboard.RealTimeQuery{Filter: switchboard.MetricFilter{Queues: []string{"claims"}}, Groupings: []switchboard.Grouping{switchboard.GroupQueue}},
			[]switchboard.Dimensions{{QueueID: "claims"}}},
		{"chat by profile", switchboard.RealTimeQuery{Filter: switchboard.MetricFilter{Channels: []switchboard.Channel{chat}}, Groupings: []switchboard.Grouping{switchboard.GroupRoutingProfile}},
			[]switchboard.Dimensions{{RoutingProfileID: "day"}}},
		{"archive", switchboard.RealTimeQuery{Filter: switchboard.MetricFilter{Queues: []string{"archive"}}, Groupings: []switchboard.Grouping{switchboard.GroupQueue}}, nil},
	} {
		if diff := cmp.Diff(c.want, rows(c.q)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
}
