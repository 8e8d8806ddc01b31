package switchboard_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/switchboard-go/switchboard"
	"github.com/switchboard-go/switchboard/switchboardtest"
)

// The metrics keep what they looked up or computed for one event to spare
// the next (RealTimeMetrics: each agent's counted contribution, its routing
// profile and status type, each task's queue counters; HistoricalMetrics:
// the sums it looked up last). These tests check that nothing they keep
// goes stale: after every event of a day where agents change profile and
// status, are blocked and cleared, are deleted and come back, and tasks are
// rejected, transferred, paused and stopped, the metrics kept incrementally
// equal metrics rebuilt from their saved state (Restore derives every
// counter afresh and remembers nothing).

// cacheDay drives that day and returns its events and the profiles as they
// stand at the end.
func cacheDay(t *testing.T) ([]switchboard.Event, []*switchboard.RoutingProfile) {
	statuses := []switchboard.AgentStatusDefinition{{Name: "Break", Type: switchboard.StatusTypeCustom}}
	h := switchboardtest.New(t, &switchboardtest.Options{Config: &switchboard.Config{AgentStatuses: statuses}})
	h.Queue("q1")
	h.Queue("q2")
	p1 := switchboard.RoutingProfile{ID: "p1", Concurrency: []switchboard.MediaConcurrency{{Channel: switchboard.ChannelTask, Concurrency: 2}},
		Queues: []switchboard.QueueConfig{{QueueID: "q1", Priority: 1}}}
	p2 := switchboard.RoutingProfile{ID: "p2", Concurrency: []switchboard.MediaConcurrency{{Channel: switchboard.ChannelTask, Concurrency: 2}},
		Queues: []switchboard.QueueConfig{{QueueID: "q2", Priority: 1}}}
	h.Must(h.Router.PutRoutingProfile(h.Ctx, p1))
	h.Must(h.Router.PutRoutingProfile(h.Ctx, p2))
	h.Agent("ana", "p1")
	h.Agent("bob", "p2")

	a := h.CreateTask(switchboard.TaskInput{QueueID: "q1"}) // offered to ana
	h.Advance(5 * time.Second)
	h.Must(h.Router.Accept(h.Ctx, a.ID, "ana"))
	b := h.CreateTask(switchboard.TaskInput{QueueID: "q2"}) // offered to bob
	h.Advance(5 * time.Second)
	h.Must(h.Router.Reject(h.Ctx, b.ID, "bob")) // bob blocked; b waits
	h.Advance(5 * time.Second)
	// ana moves to p2 while holding a task: b is offered to her second slot.
	h.Must(h.Router.PutAgent(h.Ctx, switchboard.Agent{ID: "ana", RoutingProfileID: "p2", Status: switchboard.StatusAvailable}))
	h.RequireOffered(b.ID, "ana")
	h.Must(h.Router.Accept(h.Ctx, b.ID, "ana"))
	h.Must(h.Router.ClearAgent(h.Ctx, "bob"))
	h.Advance(10 * time.Second)
	h.Must(h.Router.Pause(h.Ctx, a.ID))
	h.Must(h.Router.SetAgentStatus(h.Ctx, "ana", "Break"))
	h.Advance(10 * time.Second)
	h.Must(h.Router.Resume(h.Ctx, a.ID))
	c, err := h.Router.Transfer(h.Ctx, b.ID, switchboard.TransferTarget{QueueID: "q2"}) // b to ACW, c offered to bob
	h.Must(err)
	h.Must(h.Router.CloseAfterContactWork(h.Ctx, b.ID))
	h.RequireOffered(c.ID, "bob")
	h.Must(h.Router.Accept(h.Ctx, c.ID, "bob"))
	h.Advance(15 * time.Minute) // the next slot
	h.Must(h.Router.Complete(h.Ctx, a.ID))
	h.Must(h.Router.SetAgentStatus(h.Ctx, "ana", switchboard.StatusAvailable))
	h.Must(h.Router.CloseAfterContactWork(h.Ctx, a.ID))
	// cat comes, is deleted, and comes back under another profile.
	h.Must(h.Router.PutAgent(h.Ctx, switchboard.Agent{ID: "cat", RoutingProfileID: "p1", Status: switchboard.StatusAvailable}))
	d := h.CreateTask(switchboard.TaskInput{QueueID: "q1"}) // offered to ana or cat
	h.Advance(time.Minute)
	h.Must(h.Router.Stop(h.Ctx, d.ID))
	h.Must(h.Router.DeleteAgent(h.Ctx, "cat"))
	h.Must(h.Router.PutAgent(h.Ctx, switchboard.Agent{ID: "cat", RoutingProfileID: "p2", Status: switchboard.StatusAvailable}))
	e := h.CreateTask(switchboard.TaskInput{QueueID: "q2"})
	h.Advance(time.Minute)
	h.Must(h.Router.Complete(h.Ctx, c.ID))
	h.Must(h.Router.CloseAfterContactWork(h.Ctx, c.ID))
	h.Must(h.Router.Stop(h.Ctx, e.ID))
	h.CreateTask(switchboard.TaskInput{QueueID: "q2"}) // left waiting or offered
	h.Must(h.Router.Close(h.Ctx))
	return h.Events(), []*switchboard.RoutingProfile{&p1, &p2}
}

func TestRealTimeMetricsKeptIncrementallyEqualRebuilt(t *testing.T) {
	evs, profiles := cacheDay(t)
	statuses := []switchboard.AgentStatusDefinition{{Name: "Break", Type: switchboard.StatusTypeCustom}}
	opts := &switchboard.RealTimeOptions{AgentStatuses: statuses, RoutingProfiles: profiles}
	m := switchboard.NewRealTimeMetrics(opts)
	queries := [][]switchboard.Grouping{
		nil,
		{switchboard.GroupQueue},
		{switchboard.GroupRoutingProfile},
		{switchboard.GroupQueue, switchboard.GroupChannel, switchboard.GroupRoutingProfile},
	}
	snap := func(m *switchboard.RealTimeMetrics, g []switchboard.Grouping, now time.Time) []switchboard.RealTimeResult {
		res, err := m.Snapshot(switchboard.RealTimeQuery{Groupings: g, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	for i, e := range evs {
		m.Consume(e)
		if i == len(evs)/2 {
			// The profiles change: p2 takes three tasks at once.
			p2 := *profiles[1]
			p2.Concurrency = []switchboard.MediaConcurrency{{Channel: switchboard.ChannelTask, Concurrency: 3}}
			opts.RoutingProfiles = []*switchboard.RoutingProfile{profiles[0], &p2}
			m.SetRoutingProfiles(opts.RoutingProfiles)
		}
		st, err := m.State()
		if err != nil {
			t.Fatal(err)
		}
		rebuilt := switchboard.NewRealTimeMetrics(opts)
		if err := rebuilt.Restore(st); err != nil {
			t.Fatal(err)
		}
		for _, g := range queries {
			if diff := cmp.Diff(snap(rebuilt, g, e.Time), snap(m, g, e.Time)); diff != "" {
				t.Fatalf("after event %d (%s %s %s), grouped by %v, incremental vs rebuilt (-rebuilt +incremental):\n%s",
					e.Seq, e.Type, e.TaskID, e.AgentID, g, diff)
			}
		}
	}
}

func TestHistoricalMetricsKeptIncrementallyEqualRebuilt(t *testing.T) {
	evs, _ := cacheDay(t)
	statuses := []switchboard.AgentStatusDefinition{{Name: "Break", Type: switchboard.StatusTypeCustom}}
	opts := &switchboard.HistoricalOptions{AgentStatuses: statuses}
	m := switchboard.NewHistoricalMetrics(opts)
	// Every figure of every interval and group: the sums, and what the
	// methods compute from the thresholds' counts and the wait sketch.
	type figures struct {
		R         switchboard.HistoricalResult
		SL        []float64
		P50, P99  time.Duration
		Occupancy float64
	}
	query := func(m *switchboard.HistoricalMetrics) []figures {
		res, err := m.Query(switchboard.HistoricalQuery{Period: switchboard.IntervalFifteenMin,
			Groupings: []switchboard.Grouping{switchboard.GroupQueue, switchboard.GroupAgent, switchboard.GroupRoutingProfile}})
		if err != nil {
			t.Fatal(err)
		}
		var out []figures
		for _, r := range res {
			f := figures{R: r}
			for _, x := range switchboard.DefaultServiceLevels {
				pct, _, _ := r.Values.ServiceLevel(x)
				f.SL = append(f.SL, pct)
			}
			f.P50, _ = r.Values.QueueWait(0.5)
			f.P99, _ = r.Values.QueueWait(0.99)
			f.Occupancy, _ = r.Values.AgentOccupancy()
			out = append(out, f)
		}
		return out
	}
	for _, e := range evs {
		// One step from the saved state, remembering nothing, against the
		// aggregator that remembers its last lookups.
		st, err := m.State()
		if err != nil {
			t.Fatal(err)
		}
		fresh := switchboard.NewHistoricalMetrics(opts)
		if err := fresh.Restore(st); err != nil {
			t.Fatal(err)
		}
		fresh.Consume(e)
		m.Consume(e)
		if diff := cmp.Diff(query(fresh), query(m), cmpopts.IgnoreUnexported(switchboard.HistoricalValues{})); diff != "" {
			t.Fatalf("after event %d (%s %s %s) (-fresh +incremental):\n%s", e.Seq, e.Type, e.TaskID, e.AgentID, diff)
		}
	}
}

func TestHistoricalMetricsCountAfterPruneInTheSameSlot(t *testing.T) {
	// Prune drops the slot the aggregator last counted in; an event in the
	// same slot afterwards starts it again rather than adding to the
	// dropped sums.
	m := switchboard.NewHistoricalMetrics(nil)
	at := time.Date(2026, 11, 24, 9, 1, 0, 0, time.UTC)
	created := func(seq uint64, id string) switchboard.Event {
		return switchboard.Event{Seq: seq, Type: switchboard.EventTaskCreated, Time: at, TaskID: id, QueueID: "q",
			Channel: switchboard.ChannelTask, State: switchboard.StateQueued, InitiationMethod: switchboard.InitiatedByAPI}
	}
	m.Consume(created(1, "a"))
	m.Prune(at.Add(time.Hour))
	m.Consume(created(2, "b"))
	res, err := m.Query(switchboard.HistoricalQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Values.ContactsCreated != 1 {
		t.Fatalf("after a prune and one more task: %+v, want one result counting 1 created", res)
	}
}
