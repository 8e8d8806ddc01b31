// Package prometheus exposes switchboard's metrics to Prometheus: the
// real-time figures of a switchboard.RealTimeMetrics and the historical
// ones of a switchboard.HistoricalMetrics, as collectors of the official
// client library, named after Amazon Connect's metrics
// (CONTACTS_IN_QUEUE is switchboard_contacts_in_queue, and so on; the
// README of this directory lists every name).
//
//	rt := switchboard.NewRealTimeMetrics(&switchboard.RealTimeOptions{...})
//	hm := switchboard.NewHistoricalMetrics(nil)
//	r, err := switchboard.NewRouter(ctx, store, &switchboard.Config{Consumers: []switchboard.Consumer{rt, hm}})
//	reg := prometheus.NewRegistry() // client_golang's
//	reg.MustRegister(sbprom.NewRealTime(rt, nil), sbprom.NewHistorical(hm, nil))
//	http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// The collectors hold no state and start no goroutine: a scrape reads the
// metrics types (a Snapshot and a few Query calls, which never touch the
// Router), and nothing happens between scrapes, so an unregistered
// collector costs nothing. They are safe for concurrent use.
package prometheus

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-go/switchboard"
)

// Namespace prefixes every metric name.
const Namespace = "switchboard"

// Labels of the series.
const (
	LabelQueue          = "queue"           // the queue ID ("" for agent queues)
	LabelChannel        = "channel"         // TASK, CHAT, VOICE, EMAIL
	LabelRoutingProfile = "routing_profile" // the routing profile ID
	LabelThreshold      = "threshold"       // a service-level threshold in seconds
	LabelQuantile       = "quantile"        // 0.5, 0.9 or 0.99
)

// RealTimeOptions configures NewRealTime. A nil *RealTimeOptions means the
// defaults.
type RealTimeOptions struct {
	// Clock is the router's Config.Clock, read at each scrape for
	// OLDEST_CONTACT_AGE. Defaults to switchboard.SystemClock().
	Clock switchboard.Clock
	// ByRoutingProfile adds a routing_profile label to every series (Connect's
	// ROUTING_PROFILE grouping): agents are counted per profile, and a
	// waiting contact in every profile that serves its queue.
	ByRoutingProfile bool
}

// RealTime is a prometheus.Collector of Amazon Connect's real-time metrics
// (GetCurrentMetricData), as gauges labelled by queue and channel.
type RealTime struct {
	m      *switchboard.RealTimeMetrics
	clock  switchboard.Clock
	groups []switchboard.Grouping
	labels []string
	descs  []*prometheus.Desc
}

// realTimeMetrics are the gauges of RealTime, in Connect's order, with
// how each is read from a RealTimeValues.
var realTimeMetrics = []struct {
	name, connect, help string
	value               func(v *switchboard.RealTimeValues) float64
}{
	{"contacts_in_queue", "CONTACTS_IN_QUEUE", "Tasks waiting in the queue (QUEUED or OFFERED).",
		func(v *switchboard.RealTimeValues) float64 { return float64(v.ContactsInQueue) }},
	{"oldest_contact_age_seconds", "OLDEST_CONTACT_AGE", "Time the oldest waiting task has been in the queue, from its enqueue time.",
		func(v *switchboard.RealTimeValues) float64 { return v.OldestContactAge.Seconds() }},
	{"contacts_scheduled", "CONTACTS_SCHEDULED", "Tasks scheduled for later.",
		func(v *switchboard.RealTimeValues) float64 { return float64(v.ContactsScheduled) }},
	{"agents_online", "AGENTS_ONLINE", "Agents in a status that is not OFFLINE.",
		func(v *switchboard.RealTimeValues) float64 { return float64(v.AgentsOnline) }},
	{"agents_available", "AGENTS_AVAILABLE", "Agents Available, not in error and holding nothing.",
		func(v *switchboard.RealTimeValues) float64 { return float64(v.AgentsAvailable) }},
	{"agents_on_contact", "AGENTS_ON_CONTACT", "Agents holding a connected, paused or after-contact-work task.",
		func(v *switchboard.RealTimeValues) float64 { return float64(v.AgentsOnContact) }},
	{"agents_staffed", "AGENTS_STAFFED", "Agents online and not in a CUSTOM status.",
		func(v *switchboard.RealTimeValues) float64 { return float64(v.AgentsStaffed) }},
	{"agents_after_contact_work", "AGENTS_AFTER_CONTACT_WORK", "Tasks in after-contact work (Connect counts contacts).",
		func(v *switchboard.RealTimeValues) float64 { return float64(v.AgentsAfterContactWork) }},
	{"agents_error", "AGENTS_ERROR", "Agents blocked by a missed or rejected offer.",
		func(v *switchboard.RealTimeValues) float64 { return float64(v.AgentsError) }},
	{"agents_non_productive", "AGENTS_NON_PRODUCTIVE", "Agents in a CUSTOM status.",
		func(v *switchboard.RealTimeValues) float64 { return float64(v.AgentsNonProductive) }},
	{"slots_active", "SLOTS_ACTIVE", "Slots taken by connected, paused or after-contact-work tasks.",
		func(v *switchboard.RealTimeValues) float64 { return float64(v.SlotsActive) }},
	{"slots_available", "SLOTS_AVAILABLE", "Free slots of routable agents not in error.",
		func(v *switchboard.RealTimeValues) float64 { return float64(v.SlotsAvailable) }},
}

// NewRealTime returns a collector of m's figures.
func NewRealTime(m *switchboard.RealTimeMetrics, o *RealTimeOptions) *RealTime {
	if o == nil {
		o = &RealTimeOptions{}
	}
	c := &RealTime{m: m, clock: o.Clock,
		groups: []switchboard.Grouping{switchboard.GroupQueue, switchboard.GroupChannel},
		labels: []string{LabelQueue, LabelChannel}}
	if c.clock == nil {
		c.clock = switchboard.SystemClock()
	}
	if o.ByRoutingProfile {
		c.groups = append(c.groups, switchboard.GroupRoutingProfile)
		c.labels = append(c.labels, LabelRoutingProfile)
	}
	for _, rm := range realTimeMetrics {
		c.descs = append(c.descs, prometheus.NewDesc(Namespace+"_"+rm.name, rm.help+" Amazon Connect's "+rm.connect+".", c.labels, nil))
	}
	return c
}

// Describe sends the descriptors of every gauge.
func (c *RealTime) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

// Collect takes a snapshot and sends one gauge per metric and group.
func (c *RealTime) Collect(ch chan<- prometheus.Metric) {
	res, err := c.m.Snapshot(switchboard.RealTimeQuery{Groupings: c.groups, Now: c.clock.Now()})
	if err != nil {
		for _, d := range c.descs {
			ch <- prometheus.NewInvalidMetric(d, err)
		}
		return
	}
	for i := range res {
		labels := []string{res[i].Dimensions.QueueID, string(res[i].Dimensions.Channel)}
		if len(c.labels) == 3 {
			labels = append(labels, res[i].Dimensions.RoutingProfileID)
		}
		for j, rm := range realTimeMetrics {
			ch <- prometheus.MustNewConstMetric(c.descs[j], prometheus.GaugeValue, rm.value(&res[i].Values), labels...)
		}
	}
}

// seconds formats a threshold as a label value: 20, 60, 1.5.
func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) }
