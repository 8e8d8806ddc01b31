package switchboard

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/switchboard-go/switchboard/internal/metrics"
)

// This file is the public front of metrics: Amazon Connect's real-time and
// historical metrics, computed by Consumers of the lossless event log
// (RealTimeMetrics in metrics_realtime.go, HistoricalMetrics in
// metrics_historical.go), never by the Router. Both are pure functions of the
// log: a test can feed them a recorded one. Their machinery (interval slots,
// the percentile sketch) lives in internal/metrics. docs/metrics.md gives
// every definition and where it differs from Connect.

// Grouping names a dimension results are grouped by, as Connect's
// Groupings.
type Grouping string

// Groupings.
const (
	GroupQueue            Grouping = "QUEUE"
	GroupChannel          Grouping = "CHANNEL"
	GroupRoutingProfile   Grouping = "ROUTING_PROFILE"
	GroupAgent            Grouping = "AGENT"             // historical only
	GroupInitiationMethod Grouping = "INITIATION_METHOD" // historical only
)

// Dimensions identify a group of results. Fields the query does not group
// by are empty.
type Dimensions struct {
	QueueID          string
	Channel          Channel
	RoutingProfileID string
	AgentID          string
	InitiationMethod InitiationMethod
}

// project keeps the fields named by groupings.
func (d Dimensions) project(groupings []Grouping) Dimensions {
	var out Dimensions
	for _, g := range groupings {
		switch g {
		case GroupQueue:
			out.QueueID = d.QueueID
		case GroupChannel:
			out.Channel = d.Channel
		case GroupRoutingProfile:
			out.RoutingProfileID = d.RoutingProfileID
		case GroupAgent:
			out.AgentID = d.AgentID
		case GroupInitiationMethod:
			out.InitiationMethod = d.InitiationMethod
		}
	}
	return out
}

func compareDimensions(a, b Dimensions) int {
	for _, c := range [][2]string{
		{a.QueueID, b.QueueID}, {string(a.Channel), string(b.Channel)}, {a.RoutingProfileID, b.RoutingProfileID},
		{a.AgentID, b.AgentID}, {string(a.InitiationMethod), string(b.InitiationMethod)},
	} {
		if c[0] != c[1] {
			if c[0] < c[1] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// MetricFilter selects what metrics count. Every non-empty list must contain
// the value; empty lists match everything.
type MetricFilter struct {
	Queues            []string
	Channels          []Channel
	RoutingProfiles   []string
	Agents            []string           // historical only
	InitiationMethods []InitiationMethod // historical only
}

func (f *MetricFilter) match(d Dimensions) bool {
	return in(f.Queues, d.QueueID) && in(f.Channels, d.Channel) && in(f.RoutingProfiles, d.RoutingProfileID) &&
		in(f.Agents, d.AgentID) && in(f.InitiationMethods, d.InitiationMethod)
}

func in[T comparable](list []T, v T) bool { return len(list) == 0 || slices.Contains(list, v) }

func checkGroupings(field string, gs []Grouping, allowed ...Grouping) error {
	for i, g := range gs {
		if !slices.Contains(allowed, g) {
			return invalid(field, string(g), "not a grouping of these metrics")
		}
		if slices.Contains(gs[:i], g) {
			return invalid(field, string(g), "listed twice")
		}
	}
	return nil
}

// IntervalPeriod is the width of a historical interval, as Connect's
// IntervalPeriod.
type IntervalPeriod string

// Interval periods.
const (
	IntervalTotal      IntervalPeriod = "TOTAL"
	IntervalFifteenMin IntervalPeriod = "FIFTEEN_MIN"
	IntervalThirtyMin  IntervalPeriod = "THIRTY_MIN"
	IntervalHour       IntervalPeriod = "HOUR"
	IntervalDay        IntervalPeriod = "DAY"
	IntervalWeek       IntervalPeriod = "WEEK"
)

var periods = map[IntervalPeriod]metrics.Period{
	"": metrics.Total, IntervalTotal: metrics.Total, IntervalFifteenMin: metrics.FifteenMin,
	IntervalThirtyMin: metrics.ThirtyMin, IntervalHour: metrics.Hour, IntervalDay: metrics.Day, IntervalWeek: metrics.Week,
}

// DefaultServiceLevels are the service-level thresholds HistoricalMetrics
// counts exactly when HistoricalOptions.ServiceLevels is empty: Connect's
// presets.
var DefaultServiceLevels = []time.Duration{
	15 * time.Second, 20 * time.Second, 25 * time.Second, 30 * time.Second, 45 * time.Second, 60 * time.Second,
	90 * time.Second, 120 * time.Second, 180 * time.Second, 240 * time.Second, 300 * time.Second, 600 * time.Second,
}

// statusTypes classifies agent statuses for metrics: the built-ins plus the
// given definitions (Router.AgentStatuses or Config.AgentStatuses).
type statusTypes map[AgentStatus]AgentStatusType

func newStatusTypes(defs []AgentStatusDefinition) statusTypes {
	m := statusTypes{StatusAvailable: StatusTypeRoutable, StatusOffline: StatusTypeOffline}
	for _, d := range defs {
		if _, builtin := m[d.Name]; !builtin {
			m[d.Name] = d.Type
		}
	}
	return m
}

// of returns the type of s; a status not listed counts as CUSTOM (it is not
// Available and not Offline).
func (m statusTypes) of(s AgentStatus) AgentStatusType {
	if t, ok := m[s]; ok {
		return t
	}
	return StatusTypeCustom
}

// MetricsState is the whole state of a HistoricalMetrics or a
// RealTimeMetrics as a value a host keeps (it marshals to JSON) and gives to
// Restore after a restart: the last Seq applied and the aggregates, open
// tasks and agents as versioned JSON. Each type restores only its own.
type MetricsState struct {
	LastSeq uint64          `json:"lastSeq"`
	Data    json.RawMessage `json:"data"`
}

// advance records that a consumer applies the event numbered seq, and
// reports false for one at or below *last, already applied: a consumer
// restored from saved state then ignores the events replayed at start, so
// nothing is counted twice. Seq 0 (an event built by hand, not by a router)
// is always applied.
func advance(last *uint64, seq uint64) bool {
	if seq == 0 {
		return true
	}
	if seq <= *last {
		return false
	}
	*last = seq
	return true
}

// lastEntry remembers the entry of the task looked up last: a task's
// events come in runs (created, queued, offered; accepted; …), so most
// lookups compare the ID instead of hashing it. The owner forgets it when
// the entry leaves its map or the map is replaced.
type lastEntry[T any] struct {
	id string
	e  *T
}

// get returns m[id], remembering it.
func (l *lastEntry[T]) get(m map[string]*T, id string) *T {
	if l.e != nil && l.id == id {
		return l.e
	}
	e := m[id]
	if e != nil {
		l.id, l.e = id, e
	}
	return e
}

// set remembers e as the entry of id.
func (l *lastEntry[T]) set(id string, e *T) { l.id, l.e = id, e }

// forget forgets the entry.
func (l *lastEntry[T]) forget() { *l = lastEntry[T]{} }
