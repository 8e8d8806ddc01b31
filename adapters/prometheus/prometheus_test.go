package prometheus_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/switchboard-go/switchboard"
	sbprom "github.com/switchboard-go/switchboard/adapters/prometheus"
)

var nine = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// desk is a billing queue worked by ana (Available, one task at a time) and
// bob (Offline), on a manual clock at 09:00, with both metrics consumers
// attached.
type desk struct {
	t     *testing.T
	ctx   context.Context
	clock *switchboard.ManualClock
	r     *switchboard.Router
	rt    *switchboard.RealTimeMetrics
	hm    *switchboard.HistoricalMetrics
}

func newDesk(t *testing.T) *desk {
	d := &desk{t: t, ctx: context.Background(), clock: switchboard.NewManualClock(nine)}
	profile := switchboard.RoutingProfile{ID: "billing-desk",
		Concurrency: []switchboard.MediaConcurrency{{Channel: switchboard.ChannelTask, Concurrency: 1}},
		Queues:      []switchboard.QueueConfig{{QueueID: "billing", Priority: 1}}}
	d.rt = switchboard.NewRealTimeMetrics(&switchboard.RealTimeOptions{RoutingProfiles: []*switchboard.RoutingProfile{&profile}})
	d.hm = switchboard.NewHistoricalMetrics(nil)
	n := 0
	r, err := switchboard.NewRouter(d.ctx, nil, &switchboard.Config{Clock: d.clock, Consumers: []switchboard.Consumer{d.rt, d.hm},
		NewID: func() string { n++; return "task-" + string(rune('0'+n)) }})
	if err != nil {
		t.Fatal(err)
	}
	d.r = r
	t.Cleanup(func() { r.Close(context.Background()) })
	d.must(r.PutQueue(d.ctx, switchboard.Queue{ID: "billing", Name: "Billing"}))
	d.must(r.PutRoutingProfile(d.ctx, profile))
	d.must(r.PutAgent(d.ctx, switchboard.Agent{ID: "ana", RoutingProfileID: "billing-desk"}))
	d.must(r.PutAgent(d.ctx, switchboard.Agent{ID: "bob", RoutingProfileID: "billing-desk"}))
	d.must(r.SetAgentStatus(d.ctx, "ana", switchboard.StatusAvailable))
	return d
}

func (d *desk) must(err error) {
	d.t.Helper()
	if err != nil {
		d.t.Fatal(err)
	}
}

func (d *desk) at(offset time.Duration) { d.clock.Set(nine.Add(offset)) }

func (d *desk) create(expiry time.Duration) string {
	d.t.Helper()
	task, err := d.r.CreateTask(d.ctx, switchboard.TaskInput{Name: "Refund", QueueID: "billing", Expiry: expiry})
	d.must(err)
	return task.ID
}

// settle waits until both consumers have taken every event the router
// emitted: they run on goroutines of their own.
func (d *desk) settle() {
	d.t.Helper()
	st, err := d.r.Stats()
	d.must(err)
	deadline := time.Now().Add(10 * time.Second)
	for d.rt.LastSeq() < st.Events || d.hm.LastSeq() < st.Events {
		if time.Now().After(deadline) {
			d.t.Fatalf("consumers stuck at %d and %d of %d events", d.rt.LastSeq(), d.hm.LastSeq(), st.Events)
		}
		time.Sleep(time.Millisecond)
	}
}

// compare checks the series of the metrics named in want (its # TYPE
// lines) exactly; the collector's other metrics are not looked at.
func compare(t *testing.T, c prometheus.Collector, want string) {
	t.Helper()
	var names []string
	for _, line := range strings.Split(want, "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[1] == "TYPE" {
			names = append(names, f[2])
		}
	}
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
}

// The story: at 09:00 a refund task reaches ana, who accepts it 10 s later;
// a second task arrives then and waits; ana completes the first at 09:01:10
// and closes its after-contact work at 09:01:40, takes the second at once,
// completes it at 09:02:40 and closes it at 09:02:50. A third task, created
// at 09:01:40 with a 5-minute expiry, waits behind the second; offered to
// ana at 09:02:50, it rings out unanswered at 09:03:10 (ana is in error),
// goes back to the queue and expires at 09:06:40, when a supervisor clears
// ana and she signs out. bob stays Offline.
func TestCollectors(t *testing.T) {
	d := newDesk(t)
	first := d.create(0) // offered to ana at once
	d.at(10 * time.Second)
	d.must(d.r.Accept(d.ctx, first, "ana"))
	second := d.create(0) // waits: ana holds the first
	d.at(70 * time.Second)
	d.must(d.r.Complete(d.ctx, first))
	d.at(100 * time.Second)
	d.must(d.r.CloseAfterContactWork(d.ctx, first)) // the second is offered to ana
	d.must(d.r.Accept(d.ctx, second, "ana"))
	d.create(5 * time.Minute) // the third waits behind the second

	// 09:02:00, real time: one task waiting for 20 s; ana on contact.
	d.at(120 * time.Second)
	d.settle()
	rt := sbprom.NewRealTime(d.rt, &sbprom.RealTimeOptions{Clock: d.clock})
	compare(t, rt, `
# HELP switchboard_contacts_in_queue Tasks waiting in the queue (QUEUED or OFFERED). Amazon Connect's CONTACTS_IN_QUEUE.
# TYPE switchboard_contacts_in_queue gauge
switchboard_contacts_in_queue{channel="TASK",queue="billing"} 1
# HELP switchboard_oldest_contact_age_seconds Time the oldest waiting task has been in the queue, from its enqueue time. Amazon Connect's OLDEST_CONTACT_AGE.
# TYPE switchboard_oldest_contact_age_seconds gauge
switchboard_oldest_contact_age_seconds{channel="TASK",queue="billing"} 20
# HELP switchboard_agents_online Agents in a status that is not OFFLINE. Amazon Connect's AGENTS_ONLINE.
# TYPE switchboard_agents_online gauge
switchboard_agents_online{channel="TASK",queue="billing"} 1
# HELP switchboard_agents_available Agents Available, not in error and holding nothing. Amazon Connect's AGENTS_AVAILABLE.
# TYPE switchboard_agents_available gauge
switchboard_agents_available{channel="TASK",queue="billing"} 0
# HELP switchboard_agents_on_contact Agents holding a connected, paused or after-contact-work task. Amazon Connect's AGENTS_ON_CONTACT.
# TYPE switchboard_agents_on_contact gauge
switchboard_agents_on_contact{channel="TASK",queue="billing"} 1
# HELP switchboard_agents_error Agents blocked by a missed or rejected offer. Amazon Connect's AGENTS_ERROR.
# TYPE switchboard_agents_error gauge
switchboard_agents_error{channel="TASK",queue="billing"} 0
# HELP switchboard_slots_active Slots taken by connected, paused or after-contact-work tasks. Amazon Connect's SLOTS_ACTIVE.
# TYPE switchboard_slots_active gauge
switchboard_slots_active{channel="TASK",queue="billing"} 1
# HELP switchboard_slots_available Free slots of routable agents not in error. Amazon Connect's SLOTS_AVAILABLE.
# TYPE switchboard_slots_available gauge
switchboard_slots_available{channel="TASK",queue="billing"} 0
`)

	// Grouped by routing profile too: the waiting task counts in every
	// profile that serves its queue, ana in hers.
	compare(t, sbprom.NewRealTime(d.rt, &sbprom.RealTimeOptions{Clock: d.clock, ByRoutingProfile: true}), `
# HELP switchboard_contacts_in_queue Tasks waiting in the queue (QUEUED or OFFERED). Amazon Connect's CONTACTS_IN_QUEUE.
# TYPE switchboard_contacts_in_queue gauge
switchboard_contacts_in_queue{channel="TASK",queue="billing",routing_profile="billing-desk"} 1
# HELP switchboard_agents_on_contact Agents holding a connected, paused or after-contact-work task. Amazon Connect's AGENTS_ON_CONTACT.
# TYPE switchboard_agents_on_contact gauge
switchboard_agents_on_contact{channel="TASK",queue="billing",routing_profile="billing-desk"} 1
`)

	d.at(160 * time.Second)
	d.must(d.r.Complete(d.ctx, second))
	d.at(170 * time.Second)
	d.must(d.r.CloseAfterContactWork(d.ctx, second)) // the third rings at ana's
	d.at(190 * time.Second)                          // and rings out: ana is in error
	d.settle()
	compare(t, rt, `
# HELP switchboard_contacts_in_queue Tasks waiting in the queue (QUEUED or OFFERED). Amazon Connect's CONTACTS_IN_QUEUE.
# TYPE switchboard_contacts_in_queue gauge
switchboard_contacts_in_queue{channel="TASK",queue="billing"} 1
# HELP switchboard_oldest_contact_age_seconds Time the oldest waiting task has been in the queue, from its enqueue time. Amazon Connect's OLDEST_CONTACT_AGE.
# TYPE switchboard_oldest_contact_age_seconds gauge
switchboard_oldest_contact_age_seconds{channel="TASK",queue="billing"} 90
# HELP switchboard_agents_error Agents blocked by a missed or rejected offer. Amazon Connect's AGENTS_ERROR.
# TYPE switchboard_agents_error gauge
switchboard_agents_error{channel="TASK",queue="billing"} 1
# HELP switchboard_agents_available Agents Available, not in error and holding nothing. Amazon Connect's AGENTS_AVAILABLE.
# TYPE switchboard_agents_available gauge
switchboard_agents_available{channel="TASK",queue="billing"} 0
`)

	d.at(400 * time.Second) // the third expires
	d.must(d.r.ClearAgent(d.ctx, "ana"))
	d.settle()
	compare(t, rt, `
# HELP switchboard_contacts_in_queue Tasks waiting in the queue (QUEUED or OFFERED). Amazon Connect's CONTACTS_IN_QUEUE.
# TYPE switchboard_contacts_in_queue gauge
switchboard_contacts_in_queue{channel="TASK",queue="billing"} 0
# HELP switchboard_agents_available Agents Available, not in error and holding nothing. Amazon Connect's AGENTS_AVAILABLE.
# TYPE switchboard_agents_available gauge
switchboard_agents_available{channel="TASK",queue="billing"} 1
# HELP switchboard_slots_available Free slots of routable agents not in error. Amazon Connect's SLOTS_AVAILABLE.
# TYPE switchboard_slots_available gauge
switchboard_slots_available{channel="TASK",queue="billing"} 1
`)
	d.must(d.r.SetAgentStatus(d.ctx, "ana", switchboard.StatusOffline))
	d.settle()
	// Nobody online and nothing waiting: the queue the profile serves still
	// has its twelve series, at zero, so that a dashboard reads 0 and an
	// alert on "nobody staffed" fires, instead of the series going stale.
	if n := testutil.CollectAndCount(rt); n != 12 {
		t.Errorf("%d real-time series with everyone signed out and nothing waiting; want 12, one per metric", n)
	}
	compare(t, rt, `
# HELP switchboard_contacts_in_queue Tasks waiting in the queue (QUEUED or OFFERED). Amazon Connect's CONTACTS_IN_QUEUE.
# TYPE switchboard_contacts_in_queue gauge
switchboard_contacts_in_queue{channel="TASK",queue="billing"} 0
# HELP switchboard_agents_staffed Agents online and not in a CUSTOM status. Amazon Connect's AGENTS_STAFFED.
# TYPE switchboard_agents_staffed gauge
switchboard_agents_staffed{channel="TASK",queue="billing"} 0
# HELP switchboard_slots_available Free slots of routable agents not in error. Amazon Connect's SLOTS_AVAILABLE.
# TYPE switchboard_slots_available gauge
switchboard_slots_available{channel="TASK",queue="billing"} 0
`)

	// Historical counters, by hand: waits 10 s, 90 s and 300 s (the third
	// until it expired; its missed offer does not re-queue it); handle
	// times 90 s and 70 s with after-contact work 30 s and 10 s; ana on
	// contact 90 + 70 s and idle, counting error time, from 09:03:10 to
	// 09:06:40 (210 s; ringing time is neither), accrued when she signs out.
	hist := sbprom.NewHistorical(d.hm, &sbprom.HistoricalOptions{Window: time.Hour, Clock: d.clock})
	compare(t, hist, `
# HELP switchboard_contacts_created_total Tasks created (CONTACTS_CREATED); a transfer creates a new segment.
# TYPE switchboard_contacts_created_total counter
switchboard_contacts_created_total{channel="TASK",queue="billing"} 3
# HELP switchboard_contacts_queued_total Task segments queued (CONTACTS_QUEUED).
# TYPE switchboard_contacts_queued_total counter
switchboard_contacts_queued_total{channel="TASK",queue="billing"} 3
# HELP switchboard_contacts_handled_total Tasks connected to an agent (CONTACTS_HANDLED).
# TYPE switchboard_contacts_handled_total counter
switchboard_contacts_handled_total{channel="TASK",queue="billing"} 2
# HELP switchboard_contacts_abandoned_total Tasks that left the queue without an agent: expired or stopped (CONTACTS_ABANDONED).
# TYPE switchboard_contacts_abandoned_total counter
switchboard_contacts_abandoned_total{channel="TASK",queue="billing"} 1
# HELP switchboard_contacts_transferred_out_total Tasks transferred out (CONTACTS_TRANSFERRED_OUT).
# TYPE switchboard_contacts_transferred_out_total counter
switchboard_contacts_transferred_out_total{channel="TASK",queue="billing"} 0
# HELP switchboard_agent_non_response_total Offers missed, rejected, or ended by expiry or stop (AGENT_NON_RESPONSE).
# TYPE switchboard_agent_non_response_total counter
switchboard_agent_non_response_total{channel="TASK",queue="billing"} 1
# HELP switchboard_queue_answer_time_seconds_total Sum of the queue waits of handled tasks: AVG_QUEUE_ANSWER_TIME is this ÷ contacts_handled_total.
# TYPE switchboard_queue_answer_time_seconds_total counter
switchboard_queue_answer_time_seconds_total{channel="TASK",queue="billing"} 100
# HELP switchboard_handle_time_seconds_total Sum of handle times, connection to the end of after-contact work: AVG_HANDLE_TIME is this ÷ handle_count_total.
# TYPE switchboard_handle_time_seconds_total counter
switchboard_handle_time_seconds_total{channel="TASK",queue="billing"} 160
# HELP switchboard_handle_count_total Task segments whose handling ended.
# TYPE switchboard_handle_count_total counter
switchboard_handle_count_total{channel="TASK",queue="billing"} 2
# HELP switchboard_after_contact_work_time_seconds_total Sum of after-contact work times: AVG_AFTER_CONTACT_WORK_TIME is this ÷ after_contact_work_count_total.
# TYPE switchboard_after_contact_work_time_seconds_total counter
switchboard_after_contact_work_time_seconds_total{channel="TASK",queue="billing"} 40
# HELP switchboard_after_contact_work_count_total After-contact work ended.
# TYPE switchboard_after_contact_work_count_total counter
switchboard_after_contact_work_count_total{channel="TASK",queue="billing"} 2
# HELP switchboard_contacts_removed_from_queue_total Tasks queued that have left the queue (answered, abandoned or transferred), counted in the interval they were queued.
# TYPE switchboard_contacts_removed_from_queue_total counter
switchboard_contacts_removed_from_queue_total{channel="TASK",queue="billing"} 3
# HELP switchboard_contacts_removed_within_threshold_total Tasks queued that left the queue within the threshold: SERVICE_LEVEL is this ÷ contacts_queued_total.
# TYPE switchboard_contacts_removed_within_threshold_total counter
switchboard_contacts_removed_within_threshold_total{channel="TASK",queue="billing",threshold="20"} 1
switchboard_contacts_removed_within_threshold_total{channel="TASK",queue="billing",threshold="60"} 1
# HELP switchboard_agent_on_contact_seconds_total Agent time on contact while routable: AGENT_OCCUPANCY is this ÷ (this + agent_idle_seconds_total).
# TYPE switchboard_agent_on_contact_seconds_total counter
switchboard_agent_on_contact_seconds_total{routing_profile="billing-desk"} 160
# HELP switchboard_agent_idle_seconds_total Agent time routable and holding nothing.
# TYPE switchboard_agent_idle_seconds_total counter
switchboard_agent_idle_seconds_total{routing_profile="billing-desk"} 210
# HELP switchboard_service_level_ratio SERVICE_LEVEL over the window, as a ratio (Connect shows a percentage).
# TYPE switchboard_service_level_ratio gauge
switchboard_service_level_ratio{channel="TASK",queue="billing",threshold="20"} 0.3333333333333333
switchboard_service_level_ratio{channel="TASK",queue="billing",threshold="60"} 0.3333333333333333
# HELP switchboard_avg_queue_answer_time_seconds AVG_QUEUE_ANSWER_TIME over the window.
# TYPE switchboard_avg_queue_answer_time_seconds gauge
switchboard_avg_queue_answer_time_seconds{channel="TASK",queue="billing"} 50
# HELP switchboard_avg_handle_time_seconds AVG_HANDLE_TIME over the window.
# TYPE switchboard_avg_handle_time_seconds gauge
switchboard_avg_handle_time_seconds{channel="TASK",queue="billing"} 80
# HELP switchboard_avg_after_contact_work_time_seconds AVG_AFTER_CONTACT_WORK_TIME over the window.
# TYPE switchboard_avg_after_contact_work_time_seconds gauge
switchboard_avg_after_contact_work_time_seconds{channel="TASK",queue="billing"} 20
# HELP switchboard_max_queued_time_seconds MAX_QUEUED_TIME over the window.
# TYPE switchboard_max_queued_time_seconds gauge
switchboard_max_queued_time_seconds{channel="TASK",queue="billing"} 300
# HELP switchboard_agent_occupancy_ratio AGENT_OCCUPANCY over the window, as a ratio.
# TYPE switchboard_agent_occupancy_ratio gauge
switchboard_agent_occupancy_ratio{routing_profile="billing-desk"} 0.43243243243243246
`)
	// Wait quantiles come from a sketch with bins 2 % wide: 90 s and 300 s
	// (the median and the longest of three waits) within 2 %.
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(hist, rt)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"0.5": 90, "0.9": 300, "0.99": 300}
	seen := 0
	for _, mf := range mfs {
		if mf.GetName() != "switchboard_queue_wait_seconds" {
			continue
		}
		for _, m := range mf.Metric {
			for _, l := range m.Label {
				if l.GetName() == "quantile" {
					seen++
					got, w := m.GetGauge().GetValue(), want[l.GetValue()]
					if got < 0.98*w || got > 1.02*w {
						t.Errorf("queue wait quantile %s = %.2fs, want %.0fs ±2%%", l.GetValue(), got, w)
					}
				}
			}
		}
	}
	if seen != 3 {
		t.Errorf("%d queue-wait quantiles, want 3", seen)
	}
}

// A window that has seen nothing yields counters only; a collector that is
// never registered costs nothing (it holds no state and runs nothing).
func TestHistoricalWindowOutsideActivity(t *testing.T) {
	d := newDesk(t)
	d.create(0)
	d.at(3 * time.Hour)
	d.settle()
	hist := sbprom.NewHistorical(d.hm, &sbprom.HistoricalOptions{Window: 30 * time.Minute, Clock: d.clock})
	if n := testutil.CollectAndCount(hist, "switchboard_service_level_ratio", "switchboard_avg_queue_answer_time_seconds"); n != 0 {
		t.Errorf("%d window gauges three hours after the last task; want none", n)
	}
	if n := testutil.CollectAndCount(hist, "switchboard_contacts_created_total"); n != 1 {
		t.Errorf("%d created counters, want 1", n)
	}
}
