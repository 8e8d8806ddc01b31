package switchboard

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"
)

// SourceMetricDataUpdate is Connect's OnMetricDataUpdate: rules on it run
// over metric figures, one event per queue, routing profile or agent, fed
// by a MetricWatch.
const SourceMetricDataUpdate = "OnMetricDataUpdate"

// MetricWatchOptions configures a MetricWatch.
type MetricWatchOptions struct {
	// Historical supplies the windowed figures (required).
	Historical *HistoricalMetrics
	// RealTime, when set, adds the real-time figures of queue and routing
	// profile groups.
	RealTime *RealTimeMetrics
	// Clock is the router's Config.Clock: it times the passes and gives
	// the window's end. Defaults to SystemClock().
	Clock Clock
	// Every is how often a pass runs once Start is called: 1 minute when 0.
	Every time.Duration
	// Window is Connect's MetricDataPeriodSeconds, the trailing window the
	// historical figures cover: at least 15 minutes (the width of the
	// metrics' slots), rounded out to whole slots. 30 minutes when 0.
	Window time.Duration
	// Grouping is the one grouping of the events, as Connect's
	// MetricDataGrouping: QUEUE (the default), ROUTING_PROFILE or AGENT.
	Grouping Grouping
	// ServiceLevels are the thresholds whose SERVICE_LEVEL_<seconds> the
	// events carry; 60 s when empty.
	ServiceLevels []time.Duration
}

// MetricWatch evaluates OnMetricDataUpdate rules: on every pass it computes
// the metrics of each queue, routing profile or agent over the trailing
// window, and hands the rule engine one RuleEvent per group, whose payload
// is
//
//	{"grouping": "QUEUE", "queueId": "billing", "periodSeconds": 1800,
//	 "metrics": {"CONTACTS_QUEUED": 40, "SERVICE_LEVEL_60": 72.5, "AVG_QUEUE_ANSWER_TIME": 41.2,
//	             "CONTACTS_IN_QUEUE": 6, "OLDEST_CONTACT_AGE": 95, ...}}
//
// with counts as numbers, durations in seconds and ratios in percent, as
// Connect reports them. A metric with no data (an average over nothing, a
// service level with nothing queued) is absent, as Connect's are null:
// write `(event.metrics.SERVICE_LEVEL_60 ?? 100) < 80` for "below 80 % when
// there is data". The event's ID names the group and the pass, so a created
// task is idempotent per pass.
//
// A rule fires when its condition starts to hold for a group, not on every
// pass while it holds: once the service level of billing drops below 80 %,
// the rule's actions run once; they run again only after a pass where it
// was not below. RuleResult.Matched of a pass still lists every rule whose
// condition held.
type MetricWatch struct {
	eng  *RuleEngine
	opts MetricWatchOptions

	mu     sync.Mutex // serialises passes
	active map[string]bool
	stop   func() bool
	closed bool
}

// NewMetricWatch returns a watch feeding eng; call Start to run passes on
// the clock, or Check for one pass.
func NewMetricWatch(eng *RuleEngine, opts MetricWatchOptions) (*MetricWatch, error) {
	switch {
	case eng == nil:
		return nil, errors.New("switchboard: NewMetricWatch: nil RuleEngine")
	case opts.Historical == nil:
		return nil, invalid("MetricWatchOptions.Historical", "", "required: the metrics the windows are cut from")
	case opts.Every < 0:
		return nil, invalid("MetricWatchOptions.Every", opts.Every.String(), "positive, or 0 for 1 minute")
	case opts.Window != 0 && opts.Window < 15*time.Minute:
		return nil, invalid("MetricWatchOptions.Window", opts.Window.String(), "at least 15m (the metrics' slot), or 0 for 30m")
	case opts.Window > 24*time.Hour:
		return nil, invalid("MetricWatchOptions.Window", opts.Window.String(), "at most 24h")
	}
	switch opts.Grouping {
	case "":
		opts.Grouping = GroupQueue
	case GroupQueue, GroupRoutingProfile, GroupAgent:
	default:
		return nil, invalid("MetricWatchOptions.Grouping", string(opts.Grouping), "QUEUE, ROUTING_PROFILE or AGENT")
	}
	for i, d := range opts.ServiceLevels {
		if d <= 0 || d > 7*24*time.Hour || d%time.Second != 0 {
			return nil, invalid("MetricWatchOptions.ServiceLevels["+strconv.Itoa(i)+"]", d.String(), "whole seconds, 1s..168h")
		}
	}
	if len(opts.ServiceLevels) == 0 {
		opts.ServiceLevels = []time.Duration{time.Minute}
	}
	if opts.Every == 0 {
		opts.Every = time.Minute
	}
	if opts.Window == 0 {
		opts.Window = 30 * time.Minute
	}
	if opts.Clock == nil {
		opts.Clock = SystemClock()
	}
	return &MetricWatch{eng: eng, opts: opts, active: map[string]bool{}}, nil
}

// Start runs a pass every Every on the clock until Stop. Errors of a pass
// are the engine's RuleErrors, already logged and passed to OnError.
func (w *MetricWatch) Start() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stop != nil || w.closed {
		return
	}
	w.schedule()
}

func (w *MetricWatch) schedule() {
	w.stop = w.opts.Clock.AfterFunc(w.opts.Every, func() {
		ctx, cancel := context.WithTimeout(context.Background(), w.eng.opts.Timeout)
		defer cancel()
		_, _ = w.Check(ctx)
		w.mu.Lock()
		defer w.mu.Unlock()
		if !w.closed {
			w.schedule()
		}
	})
}

// Stop ends the passes Start began; a pass under way finishes.
func (w *MetricWatch) Stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	if w.stop != nil {
		w.stop()
	}
}

// Check runs one pass now: one event per group with figures in the window
// (or, for queues and profiles, real-time figures), in group order.
func (w *MetricWatch) Check(ctx context.Context) (RuleResult, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.opts.Clock.Now()
	evs, err := w.events(now)
	if err != nil {
		return RuleResult{}, err
	}
	seen := make(map[string]bool, len(w.active))
	var res RuleResult
	var errs []error
	for _, g := range evs {
		r, err := w.eng.evaluate(ctx, g.ev, func(rule string) bool {
			k := rule + "\x00" + g.id
			seen[k] = true
			return !w.active[k]
		})
		res.Matched = append(res.Matched, r.Matched...)
		res.Created = append(res.Created, r.Created...)
		res.Ended = append(res.Ended, r.Ended...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	w.active = seen
	return res, errors.Join(errs...)
}

// metricGroup is one group's event of a pass.
type metricGroup struct {
	id string // the queue, routing profile or agent
	ev RuleEvent
}

// events builds the pass's events at now.
func (w *MetricWatch) events(now time.Time) ([]metricGroup, error) {
	o := &w.opts
	start := now.Add(-o.Window).Truncate(15 * time.Minute)
	// Now: an agent idle since before the window counts as idle in it.
	hist, err := o.Historical.Query(HistoricalQuery{Start: start, End: now.Add(time.Nanosecond), Groupings: []Grouping{o.Grouping}, Now: now})
	if err != nil {
		return nil, err
	}
	groups := map[string]map[string]any{}
	var order []string
	get := func(id string) map[string]any {
		m := groups[id]
		if m == nil {
			m = map[string]any{}
			groups[id] = m
			order = append(order, id)
		}
		return m
	}
	for _, h := range hist {
		id := dimensionID(h.Dimensions, o.Grouping)
		if id == "" {
			continue
		}
		historicalFigures(get(id), h.Values, o.ServiceLevels)
	}
	if o.RealTime != nil && o.Grouping != GroupAgent {
		rt, err := o.RealTime.Snapshot(RealTimeQuery{Groupings: []Grouping{o.Grouping}, Now: now})
		if err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		for _, r := range rt {
			if id := dimensionID(r.Dimensions, o.Grouping); id != "" {
				realTimeFigures(get(id), r.Values)
				seen[id] = true
			}
		}
		// A group the snapshot leaves out has nothing waiting and nobody
		// on it right now: zeros, as Connect reports them.
		for _, id := range order {
			if !seen[id] {
				realTimeFigures(groups[id], RealTimeValues{})
			}
		}
	}
	slices.Sort(order)
	key := map[Grouping]string{GroupQueue: "queueId", GroupRoutingProfile: "routingProfileId", GroupAgent: "agentId"}[o.Grouping]
	evs := make([]metricGroup, 0, len(order))
	for _, id := range order {
		evs = append(evs, metricGroup{id, RuleEvent{
			Source: SourceMetricDataUpdate,
			ID:     fmt.Sprintf("metric:%s:%s:%d", o.Grouping, id, now.Unix()),
			Time:   now,
			Payload: map[string]any{
				"grouping": string(o.Grouping), key: id, "periodSeconds": o.Window.Seconds(),
				"metrics": groups[id],
			},
		}})
	}
	return evs, nil
}

func dimensionID(d Dimensions, g Grouping) string {
	switch g {
	case GroupRoutingProfile:
		return d.RoutingProfileID
	case GroupAgent:
		return d.AgentID
	}
	return d.QueueID
}

func historicalFigures(m map[string]any, v HistoricalValues, levels []time.Duration) {
	m["CONTACTS_CREATED"] = float64(v.ContactsCreated)
	m["CONTACTS_QUEUED"] = float64(v.ContactsQueued)
	m["CONTACTS_HANDLED"] = float64(v.ContactsHandled)
	m["CONTACTS_ABANDONED"] = float64(v.ContactsAbandoned)
	m["CONTACTS_TRANSFERRED_OUT"] = float64(v.ContactsTransferredOut)
	m["AGENT_NON_RESPONSE"] = float64(v.AgentNonResponse)
	if v.ContactsQueued > 0 || v.MaxQueuedTime > 0 {
		m["MAX_QUEUED_TIME"] = v.MaxQueuedTime.Seconds()
	}
	for name, f := range map[string]func() (time.Duration, bool){
		"AVG_QUEUE_ANSWER_TIME": v.AvgQueueAnswerTime, "AVG_HANDLE_TIME": v.AvgHandleTime,
		"AVG_AFTER_CONTACT_WORK_TIME": v.AvgAfterContactWorkTime,
	} {
		if d, ok := f(); ok {
			m[name] = d.Seconds()
		}
	}
	for _, x := range levels {
		if pct, _, ok := v.ServiceLevel(x); ok {
			m["SERVICE_LEVEL_"+strconv.Itoa(int(x/time.Second))] = pct
		}
	}
	if pct, ok := v.AgentOccupancy(); ok {
		m["AGENT_OCCUPANCY"] = pct
	}
}

func realTimeFigures(m map[string]any, v RealTimeValues) {
	for name, n := range map[string]int{
		"CONTACTS_IN_QUEUE": v.ContactsInQueue, "CONTACTS_SCHEDULED": v.ContactsScheduled,
		"AGENTS_ONLINE": v.AgentsOnline, "AGENTS_AVAILABLE": v.AgentsAvailable, "AGENTS_ON_CONTACT": v.AgentsOnContact,
		"AGENTS_STAFFED": v.AgentsStaffed, "AGENTS_AFTER_CONTACT_WORK": v.AgentsAfterContactWork, "AGENTS_ERROR": v.AgentsError,
		"AGENTS_NON_PRODUCTIVE": v.AgentsNonProductive, "SLOTS_ACTIVE": v.SlotsActive, "SLOTS_AVAILABLE": v.SlotsAvailable,
	} {
		m[name] = float64(n)
	}
	if v.ContactsInQueue > 0 {
		m["OLDEST_CONTACT_AGE"] = v.OldestContactAge.Seconds()
	}
}
