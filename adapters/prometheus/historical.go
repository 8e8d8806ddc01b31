package prometheus

import (
	"math"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-go/switchboard"
)

// HistoricalOptions configures NewHistorical. A nil *HistoricalOptions
// means the defaults.
type HistoricalOptions struct {
	// ServiceLevels are the thresholds of the service-level series, each a
	// value of the threshold label in seconds. They should be thresholds
	// the HistoricalMetrics counts exactly (HistoricalOptions.ServiceLevels,
	// Connect's presets by default); others are estimated from its
	// queue-wait sketch. Defaults to 20 s and 60 s.
	ServiceLevels []time.Duration
	// Window, when positive, adds gauges of Connect's averages and ratios
	// over the current 15-minute interval and the ones before it that
	// start within Window (rounded up to 15 minutes): 1 h means the current
	// quarter hour and the three before. 0: counters only.
	Window time.Duration
	// Clock is the router's Config.Clock, which places the window.
	// Defaults to switchboard.SystemClock().
	Clock switchboard.Clock
}

// Historical is a prometheus.Collector of Amazon Connect's historical
// metrics (GetMetricDataV2). Sums and counts are counters over everything
// the HistoricalMetrics holds (they drop if it is pruned, which Prometheus
// reads as a counter reset), so that any interval's figure is a PromQL
// expression: AVG_QUEUE_ANSWER_TIME over 1 h is
// increase(switchboard_queue_answer_time_seconds_total[1h]) /
// increase(switchboard_contacts_handled_total[1h]). With
// HistoricalOptions.Window, the averages and ratios of the last interval
// are gauges too.
type Historical struct {
	m          *switchboard.HistoricalMetrics
	thresholds []time.Duration
	window     time.Duration
	clock      switchboard.Clock
}

var contactLabels = []string{LabelQueue, LabelChannel}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(Namespace+"_"+name, help, labels, nil)
}

// historicalCounters are the counters labelled by queue and channel.
var historicalCounters = []struct {
	desc  *prometheus.Desc
	value func(v *switchboard.HistoricalValues) float64
}{
	{desc("contacts_created_total", "Tasks created (CONTACTS_CREATED); a transfer creates a new segment.", contactLabels...),
		func(v *switchboard.HistoricalValues) float64 { return float64(v.ContactsCreated) }},
	{desc("contacts_queued_total", "Task segments queued (CONTACTS_QUEUED).", contactLabels...),
		func(v *switchboard.HistoricalValues) float64 { return float64(v.ContactsQueued) }},
	{desc("contacts_handled_total", "Tasks connected to an agent (CONTACTS_HANDLED).", contactLabels...),
		func(v *switchboard.HistoricalValues) float64 { return float64(v.ContactsHandled) }},
	{desc("contacts_abandoned_total", "Tasks that left the queue without an agent: expired or stopped (CONTACTS_ABANDONED).", contactLabels...),
		func(v *switchboard.HistoricalValues) float64 { return float64(v.ContactsAbandoned) }},
	{desc("contacts_transferred_out_total", "Tasks transferred out (CONTACTS_TRANSFERRED_OUT).", contactLabels...),
		func(v *switchboard.HistoricalValues) float64 { return float64(v.ContactsTransferredOut) }},
	{desc("agent_non_response_total", "Offers missed, rejected, or ended by expiry or stop (AGENT_NON_RESPONSE).", contactLabels...),
		func(v *switchboard.HistoricalValues) float64 { return float64(v.AgentNonResponse) }},
	{desc("queue_answer_time_seconds_total", "Sum of the queue waits of handled tasks: AVG_QUEUE_ANSWER_TIME is this ÷ contacts_handled_total.", contactLabels...),
		func(v *switchboard.HistoricalValues) float64 { return v.SumQueueAnswerTime.Seconds() }},
	{desc("handle_time_seconds_total", "Sum of handle times, connection to the end of after-contact work: AVG_HANDLE_TIME is this ÷ handle_count_total.", contactLabels...),
		func(v *switchboard.HistoricalValues) float64 { return v.SumHandleTime.Seconds() }},
	{desc("handle_count_total", "Task segments whose handling ended.", contactLabels...),
		func(v *switchboard.HistoricalValues) float64 { return float64(v.HandleCount) }},
	{desc("after_contact_work_time_seconds_total", "Sum of after-contact work times: AVG_AFTER_CONTACT_WORK_TIME is this ÷ after_contact_work_count_total.", contactLabels...),
		func(v *switchboard.HistoricalValues) float64 { return v.SumAfterContactWork.Seconds() }},
	{desc("after_contact_work_count_total", "After-contact work ended.", contactLabels...),
		func(v *switchboard.HistoricalValues) float64 { return float64(v.AfterContactWorkCount) }},
	{desc("contacts_removed_from_queue_total", "Tasks queued that have left the queue (answered, abandoned or transferred), counted in the interval they were queued.", contactLabels...),
		func(v *switchboard.HistoricalValues) float64 { return float64(v.ContactsRemoved) }},
}

var (
	withinDesc = desc("contacts_removed_within_threshold_total",
		"Tasks queued that left the queue within the threshold: SERVICE_LEVEL is this ÷ contacts_queued_total.",
		LabelQueue, LabelChannel, LabelThreshold)
	onContactDesc = desc("agent_on_contact_seconds_total", "Agent time on contact while routable: AGENT_OCCUPANCY is this ÷ (this + agent_idle_seconds_total).", LabelRoutingProfile)
	idleDesc      = desc("agent_idle_seconds_total", "Agent time routable and holding nothing.", LabelRoutingProfile)

	serviceLevelDesc = desc("service_level_ratio", "SERVICE_LEVEL over the window, as a ratio (Connect shows a percentage).",
		LabelQueue, LabelChannel, LabelThreshold)
	avgAnswerDesc = desc("avg_queue_answer_time_seconds", "AVG_QUEUE_ANSWER_TIME over the window.", contactLabels...)
	avgHandleDesc = desc("avg_handle_time_seconds", "AVG_HANDLE_TIME over the window.", contactLabels...)
	avgACWDesc    = desc("avg_after_contact_work_time_seconds", "AVG_AFTER_CONTACT_WORK_TIME over the window.", contactLabels...)
	maxQueuedDesc = desc("max_queued_time_seconds", "MAX_QUEUED_TIME over the window.", contactLabels...)
	queueWaitDesc = desc("queue_wait_seconds", "Queue-wait quantiles of the tasks queued in the window that have left the queue (within about 1 %).",
		LabelQueue, LabelChannel, LabelQuantile)
	occupancyDesc = desc("agent_occupancy_ratio", "AGENT_OCCUPANCY over the window, as a ratio.", LabelRoutingProfile)
)

var quantiles = []struct {
	q     float64
	label string
}{{0.5, "0.5"}, {0.9, "0.9"}, {0.99, "0.99"}}

// NewHistorical returns a collector of m's figures.
func NewHistorical(m *switchboard.HistoricalMetrics, o *HistoricalOptions) *Historical {
	if o == nil {
		o = &HistoricalOptions{}
	}
	c := &Historical{m: m, thresholds: o.ServiceLevels, clock: o.Clock}
	if len(c.thresholds) == 0 {
		c.thresholds = []time.Duration{20 * time.Second, 60 * time.Second}
	}
	if o.Window > 0 {
		const slot = 15 * time.Minute
		c.window = (o.Window + slot - 1) / slot * slot
	}
	if c.clock == nil {
		c.clock = switchboard.SystemClock()
	}
	return c
}

// Describe sends the descriptors of every series.
func (c *Historical) Describe(ch chan<- *prometheus.Desc) {
	for _, hc := range historicalCounters {
		ch <- hc.desc
	}
	ch <- withinDesc
	ch <- onContactDesc
	ch <- idleDesc
	if c.window > 0 {
		for _, d := range []*prometheus.Desc{serviceLevelDesc, avgAnswerDesc, avgHandleDesc, avgACWDesc, maxQueuedDesc, queueWaitDesc, occupancyDesc} {
			ch <- d
		}
	}
}

var (
	byQueueChannel = []switchboard.Grouping{switchboard.GroupQueue, switchboard.GroupChannel}
	byProfile      = []switchboard.Grouping{switchboard.GroupRoutingProfile}
)

// Collect queries the HistoricalMetrics (two queries, four with a window)
// and sends the series.
func (c *Historical) Collect(ch chan<- prometheus.Metric) {
	fail := func(err error) {
		ch <- prometheus.NewInvalidMetric(historicalCounters[0].desc, err)
	}
	contacts, err := c.m.Query(switchboard.HistoricalQuery{Groupings: byQueueChannel})
	if err != nil {
		fail(err)
		return
	}
	for i := range contacts {
		v := &contacts[i].Values
		q, chn := contacts[i].Dimensions.QueueID, string(contacts[i].Dimensions.Channel)
		if chn == "" {
			continue // agent time only: no task event has no channel
		}
		for _, hc := range historicalCounters {
			ch <- prometheus.MustNewConstMetric(hc.desc, prometheus.CounterValue, hc.value(v), q, chn)
		}
		for _, x := range c.thresholds {
			ch <- prometheus.MustNewConstMetric(withinDesc, prometheus.CounterValue, within(v, x), q, chn, seconds(x))
		}
	}
	agents, err := c.m.Query(switchboard.HistoricalQuery{Groupings: byProfile})
	if err != nil {
		fail(err)
		return
	}
	for i := range agents {
		v := &agents[i].Values
		if v.AgentOnContactTime == 0 && v.AgentIdleTime == 0 {
			continue // a group with contact figures only
		}
		p := agents[i].Dimensions.RoutingProfileID
		ch <- prometheus.MustNewConstMetric(onContactDesc, prometheus.CounterValue, v.AgentOnContactTime.Seconds(), p)
		ch <- prometheus.MustNewConstMetric(idleDesc, prometheus.CounterValue, v.AgentIdleTime.Seconds(), p)
	}
	if c.window > 0 {
		c.collectWindow(ch, fail)
	}
}

func (c *Historical) collectWindow(ch chan<- prometheus.Metric, fail func(error)) {
	const slot = 15 * time.Minute
	now := c.clock.Now()
	start := now.Truncate(slot).Add(slot - c.window)
	contacts, err := c.m.Query(switchboard.HistoricalQuery{Start: start, Groupings: byQueueChannel})
	if err != nil {
		fail(err)
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for i := range contacts {
		v := &contacts[i].Values
		q, chn := contacts[i].Dimensions.QueueID, string(contacts[i].Dimensions.Channel)
		if chn == "" {
			continue
		}
		for _, x := range c.thresholds {
			if v.ContactsQueued > 0 {
				gauge(serviceLevelDesc, within(v, x)/float64(v.ContactsQueued), q, chn, seconds(x))
			}
		}
		if d, ok := v.AvgQueueAnswerTime(); ok {
			gauge(avgAnswerDesc, d.Seconds(), q, chn)
		}
		if d, ok := v.AvgHandleTime(); ok {
			gauge(avgHandleDesc, d.Seconds(), q, chn)
		}
		if d, ok := v.AvgAfterContactWorkTime(); ok {
			gauge(avgACWDesc, d.Seconds(), q, chn)
		}
		if v.ContactsRemoved > 0 {
			gauge(maxQueuedDesc, v.MaxQueuedTime.Seconds(), q, chn)
			for _, qt := range quantiles {
				if d, ok := v.QueueWait(qt.q); ok {
					gauge(queueWaitDesc, d.Seconds(), q, chn, qt.label)
				}
			}
		}
	}
	// Occupancy is a gauge: it counts each agent's open stretch up to now
	// (the cumulative time counters above do not, so that they never go
	// back when a late event turns idle time into time on contact).
	agents, err := c.m.Query(switchboard.HistoricalQuery{Start: start, Groupings: byProfile, Now: now})
	if err != nil {
		fail(err)
		return
	}
	for i := range agents {
		v := &agents[i].Values
		if total := v.AgentOnContactTime + v.AgentIdleTime; total > 0 {
			gauge(occupancyDesc, float64(v.AgentOnContactTime)/float64(total), agents[i].Dimensions.RoutingProfileID)
		}
	}
}

// within is the number of contacts queued that left the queue within x,
// which HistoricalValues gives as a percentage of those queued.
func within(v *switchboard.HistoricalValues, x time.Duration) float64 {
	pct, _, ok := v.ServiceLevel(x)
	if !ok {
		return 0
	}
	return math.Round(pct * float64(v.ContactsQueued) / 100)
}
