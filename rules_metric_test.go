package switchboard_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-go/switchboard"
	"github.com/switchboard-go/switchboard/switchboardtest"
)

// metricDesk is a billing queue whose metrics feed a MetricWatch, with one
// OnMetricDataUpdate rule that tells the supervisor when three or more tasks
// wait or the 60-second service level of the last 30 minutes drops below
// 80 %. notes returns what the supervisor was told.
func metricDesk(t *testing.T) (*switchboardtest.Harness, *switchboard.MetricWatch, func() []string, func()) {
	t.Helper()
	hist := switchboard.NewHistoricalMetrics(&switchboard.HistoricalOptions{ServiceLevels: []time.Duration{time.Minute}})
	rt := switchboard.NewRealTimeMetrics(nil)
	var mu sync.Mutex
	var notes []string
	eng := mustEngine(t, []switchboard.Rule{{
		Name: "billing-backlog", On: switchboard.SourceMetricDataUpdate,
		When: `event.queueId == "billing" && (event.metrics.CONTACTS_IN_QUEUE >= 3 || (event.metrics.SERVICE_LEVEL_60 ?? 100) < 80)`,
		Actions: []switchboard.RuleAction{{Notify: &switchboard.NotifyAction{
			Topic: "backlog {{ event.queueId }}: {{ event.metrics.CONTACTS_IN_QUEUE }} waiting, oldest {{ event.metrics.OLDEST_CONTACT_AGE }} s",
		}}},
	}}, &switchboard.RuleEngineOptions{Notify: func(_ context.Context, n switchboard.RuleNotification) error {
		mu.Lock()
		defer mu.Unlock()
		notes = append(notes, n.Topic)
		return nil
	}})
	h := switchboardtest.New(t, &switchboardtest.Options{Config: &switchboard.Config{Consumers: []switchboard.Consumer{hist, rt, eng}}})
	h.Must(eng.Bind(h.Router))
	h.Queue("billing")
	h.Queue("claims")
	h.Profile("desk", 1, "billing", "claims")
	w, err := switchboard.NewMetricWatch(eng, switchboard.MetricWatchOptions{Historical: hist, RealTime: rt, Clock: h.Clock})
	h.Must(err)
	read := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), notes...)
	}
	sync := func() {
		caughtUp(t, h, hist.LastSeq)
		caughtUp(t, h, rt.LastSeq)
	}
	return h, w, read, sync
}

// Three billing tasks wait with nobody online: the supervisor is told once,
// not on every pass while the backlog lasts; once an agent has cleared it the
// rule re-arms, and a new backlog is reported again.
func TestMetricRuleFiresWhenTheBacklogStarts(t *testing.T) {
	h, w, notes, sync := metricDesk(t)
	for range 3 {
		h.CreateTask(switchboard.TaskInput{QueueID: "billing"})
	}
	h.CreateTask(switchboard.TaskInput{QueueID: "claims"})
	h.Advance(90 * time.Second)
	sync()
	res, err := w.Check(h.Ctx)
	h.Must(err)
	if got := notes(); len(got) != 1 || got[0] != "backlog billing: 3 waiting, oldest 90 s" {
		t.Fatalf("after the first pass the supervisor heard %q", got)
	}
	if len(res.Matched) != 1 {
		t.Errorf("matched %v", res.Matched)
	}

	// A minute later the backlog is still there: the rule still matches,
	// and says nothing new.
	h.Advance(time.Minute)
	res, err = w.Check(h.Ctx)
	h.Must(err)
	if len(res.Matched) != 1 || len(notes()) != 1 {
		t.Errorf("second pass: matched %v, notes %q", res.Matched, notes())
	}

	// Ana comes in and works through everything; an hour later the window
	// (30 minutes, rounded out to whole 15-minute slots) no longer holds the
	// slow answers, and the rule re-arms.
	h.Agent("ana", "desk")
	for range 4 {
		for _, e := range h.EventsMatching(switchboard.EventFilter{Types: []switchboard.EventType{switchboard.EventTaskOffered}, AgentID: "ana"}) {
			_ = h.Router.Accept(h.Ctx, e.TaskID, "ana")
			_ = h.Router.Complete(h.Ctx, e.TaskID)
			_ = h.Router.CloseAfterContactWork(h.Ctx, e.TaskID)
		}
	}
	if page, _ := h.Router.ListTasks(switchboard.TaskQuery{}); len(page.Tasks) != 0 {
		t.Fatalf("%d tasks still open", len(page.Tasks))
	}
	h.Advance(time.Hour)
	sync()
	res, err = w.Check(h.Ctx)
	h.Must(err)
	if len(res.Matched) != 0 {
		t.Errorf("after the backlog cleared: matched %v", res.Matched)
	}

	// Ana leaves; a new backlog builds and is reported again.
	h.Must(h.Router.SetAgentStatus(h.Ctx, "ana", switchboard.StatusOffline))
	for range 3 {
		h.CreateTask(switchboard.TaskInput{QueueID: "billing"})
	}
	h.Advance(30 * time.Second)
	sync()
	_, err = w.Check(h.Ctx)
	h.Must(err)
	if got := notes(); len(got) != 2 || got[1] != "backlog billing: 3 waiting, oldest 30 s" {
		t.Errorf("the second backlog: %q", got)
	}
}

// Start runs passes on the router's clock, every minute by default, until
// Stop.
func TestMetricWatchRunsOnTheClock(t *testing.T) {
	h, w, notes, sync := metricDesk(t)
	for range 3 {
		h.CreateTask(switchboard.TaskInput{QueueID: "billing"})
	}
	sync()
	w.Start()
	h.Advance(59 * time.Second)
	if len(notes()) != 0 {
		t.Fatalf("a pass ran before a minute passed: %q", notes())
	}
	h.Advance(time.Second)
	if got := notes(); len(got) != 1 {
		t.Fatalf("after a minute: %q", got)
	}
	w.Stop()
	h.Advance(10 * time.Minute)
	if got := notes(); len(got) != 1 {
		t.Errorf("after Stop: %q", got)
	}
}

// Bad options are refused with the field and the limit.
func TestMetricWatchOptions(t *testing.T) {
	eng := mustEngine(t, nil, nil)
	hist := switchboard.NewHistoricalMetrics(nil)
	for _, tc := range []struct {
		opts  switchboard.MetricWatchOptions
		field string
	}{
		{switchboard.MetricWatchOptions{}, "MetricWatchOptions.Historical"},
		{switchboard.MetricWatchOptions{Historical: hist, Window: 5 * time.Minute}, "MetricWatchOptions.Window"},
		{switchboard.MetricWatchOptions{Historical: hist, Window: 25 * time.Hour}, "MetricWatchOptions.Window"},
		{switchboard.MetricWatchOptions{Historical: hist, Every: -time.Second}, "MetricWatchOptions.Every"},
		{switchboard.MetricWatchOptions{Historical: hist, Grouping: switchboard.GroupChannel}, "MetricWatchOptions.Grouping"},
		{switchboard.MetricWatchOptions{Historical: hist, ServiceLevels: []time.Duration{1500 * time.Millisecond}}, "MetricWatchOptions.ServiceLevels[0]"},
	} {
		_, err := switchboard.NewMetricWatch(eng, tc.opts)
		var ve *switchboard.ValidationError
		if !errors.As(err, &ve) || ve.Field != tc.field {
			t.Errorf("%+v: %v, want a *ValidationError for %s", tc.opts, err, tc.field)
		}
	}
	if _, err := switchboard.NewMetricWatch(nil, switchboard.MetricWatchOptions{Historical: hist}); err == nil {
		t.Error("a nil engine was accepted")
	}
}

// The afternoon is quiet: Ana has been idle since she came in, and nothing
// has happened for an hour. A watch by routing profile still sees her idle
// time in its window (counted up to the pass, not up to her last event), so
// a rule on low occupancy tells the supervisor the desk is overstaffed.
func TestMetricWatchCountsAnIdleAgentUpToThePass(t *testing.T) {
	hist := switchboard.NewHistoricalMetrics(nil)
	var mu sync.Mutex
	var notes []string
	eng := mustEngine(t, []switchboard.Rule{{
		Name: "desk-overstaffed", On: switchboard.SourceMetricDataUpdate,
		When: `event.routingProfileId == "desk" && (event.metrics.AGENT_OCCUPANCY ?? 100) < 20`,
		Actions: []switchboard.RuleAction{{Notify: &switchboard.NotifyAction{
			Topic: "{{ event.routingProfileId }} occupancy {{ event.metrics.AGENT_OCCUPANCY }} %",
		}}},
	}}, &switchboard.RuleEngineOptions{Notify: func(_ context.Context, n switchboard.RuleNotification) error {
		mu.Lock()
		defer mu.Unlock()
		notes = append(notes, n.Topic)
		return nil
	}})
	h := switchboardtest.New(t, &switchboardtest.Options{Config: &switchboard.Config{Consumers: []switchboard.Consumer{hist, eng}}})
	h.Must(eng.Bind(h.Router))
	h.Queue("billing")
	h.Profile("desk", 1, "billing")
	h.Agent("ana", "desk")
	w, err := switchboard.NewMetricWatch(eng, switchboard.MetricWatchOptions{Historical: hist, Clock: h.Clock,
		Grouping: switchboard.GroupRoutingProfile})
	h.Must(err)
	h.Advance(time.Hour)
	caughtUp(t, h, hist.LastSeq)
	if _, err := w.Check(h.Ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(notes) != 1 || notes[0] != "desk occupancy 0 %" {
		t.Errorf("after an idle hour the supervisor heard %q, want the desk at 0 %% occupancy", notes)
	}
}
