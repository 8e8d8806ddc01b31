package switchboard

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/switchboard-go/switchboard/internal/metrics"
)

// HistoricalOptions configures HistoricalMetrics.
type HistoricalOptions struct {
	// ServiceLevels are the thresholds whose service level is counted
	// exactly; DefaultServiceLevels when empty. Any other threshold is
	// answered from the queue-wait sketch (within about 2 %).
	ServiceLevels []time.Duration
	// AgentStatuses classifies agent statuses for AGENT_OCCUPANCY: pass
	// Router.AgentStatuses() or Config.AgentStatuses. Available and Offline
	// are always known; an unknown status counts as CUSTOM.
	AgentStatuses []AgentStatusDefinition
}

// HistoricalMetrics aggregates Amazon Connect's historical metrics from a
// router's events into 15-minute slots, which a query rolls up into
// 15-minute, 30-minute, hourly, daily, weekly or total intervals in any time
// zone, filtered and grouped by queue, channel, agent, routing profile and
// initiation method. Attach it as a Config.Consumer. It is safe for
// concurrent use; a query never touches the Router.
//
// It remembers the Seq of the last event it applied and ignores any event at
// or below it, so one restored with Restore (from State saved before a
// restart) never counts an event twice. Memory: one slot per 15 minutes and
// combination of dimensions that saw an event, and one small entry per open
// task and per agent; Prune drops old slots.
type HistoricalMetrics struct {
	mu         sync.Mutex
	thresholds []time.Duration
	statuses   statusTypes
	st         histState
	recent     histRecent
	last       lastEntry[histTask]
	free       []*histTask // entries of ended tasks, for reuse
}

// histRecent remembers the sums looked up last. The events of a task name
// the same few slots and dimensions (the task's queue, its agent), so most
// lookups are answered here by comparing the dimensions, without hashing
// them. Cleared whenever slots are dropped or replaced.
type histRecent struct {
	hits [4]histHit
	next int
}

type histHit struct {
	slot int64
	dims Dimensions
	vals *histVals
}

// histState is everything HistoricalMetrics knows; it marshals to JSON.
type histState struct {
	LastSeq    uint64                             `json:"lastSeq"`
	Thresholds []time.Duration                    `json:"thresholds"`
	Slots      map[int64]map[Dimensions]*histVals `json:"-"`
	Tasks      map[string]*histTask               `json:"tasks,omitempty"`
	Agents     map[string]*histAgent              `json:"agents,omitempty"`
	Buckets    []histBucket                       `json:"buckets,omitempty"` // Slots, flattened for JSON
}

type histBucket struct {
	Slot int64      `json:"slot"`
	Dims Dimensions `json:"dims"`
	Vals *histVals  `json:"vals"`
}

// histVals are the sums of one slot and combination of dimensions.
type histVals struct {
	Created, Queued, Handled, Abandoned, TransferredOut, NonResponse int64
	QueueAnswer                                                      time.Duration
	Handle                                                           time.Duration
	HandleCount                                                      int64
	ACW                                                              time.Duration
	ACWCount                                                         int64
	MaxQueued                                                        time.Duration
	Removed                                                          int64   // removals of the contacts queued in this slot
	Within                                                           []int64 // of them, removed within each threshold
	Waits                                                            metrics.Sketch
	OnContact, Idle                                                  time.Duration
}

// histTask is what an open task's later events need.
type histTask struct {
	EnqueuedAt  time.Time  `json:",omitzero"`
	EnqSlot     int64      `json:",omitempty"`
	EnqDims     Dimensions `json:",omitzero"`
	InQueue     bool       `json:",omitempty"`
	ConnectedAt time.Time  `json:",omitzero"`
	ACWAt       time.Time  `json:",omitzero"`
	Holder      string     `json:",omitempty"` // agent offered or holding it
	Active      bool       `json:",omitempty"` // Holder holds it connected, paused or in ACW (else offered)
}

// histAgent tracks an agent's time on contact and idle.
type histAgent struct {
	Profile string
	Status  AgentStatus
	Active  int // tasks held connected, paused or in ACW
	Offered int
	Since   time.Time
}

// NewHistoricalMetrics returns an empty aggregator.
func NewHistoricalMetrics(o *HistoricalOptions) *HistoricalMetrics {
	var opts HistoricalOptions
	if o != nil {
		opts = *o
	}
	th := slices.Clone(opts.ServiceLevels)
	if len(th) == 0 {
		th = slices.Clone(DefaultServiceLevels)
	}
	slices.Sort(th)
	th = slices.Compact(th)
	m := &HistoricalMetrics{thresholds: th, statuses: newStatusTypes(opts.AgentStatuses)}
	m.st = newHistState(th)
	return m
}

func newHistState(th []time.Duration) histState {
	return histState{Thresholds: th, Slots: map[int64]map[Dimensions]*histVals{}, Tasks: map[string]*histTask{}, Agents: map[string]*histAgent{}}
}

func dimsOf(e *Event) Dimensions {
	return Dimensions{QueueID: e.QueueID, Channel: e.Channel, RoutingProfileID: e.RoutingProfileID, AgentID: e.AgentID, InitiationMethod: e.InitiationMethod}
}

func (m *HistoricalMetrics) vals(slot int64, d Dimensions) *histVals {
	for i := range m.recent.hits {
		if h := &m.recent.hits[i]; h.vals != nil && h.slot == slot && h.dims == d {
			return h.vals
		}
	}
	v := m.lookup(slot, d)
	m.recent.hits[m.recent.next] = histHit{slot, d, v}
	m.recent.next = (m.recent.next + 1) % len(m.recent.hits)
	return v
}

// lookup returns the sums of slot and d, creating them.
func (m *HistoricalMetrics) lookup(slot int64, d Dimensions) *histVals {
	s := m.st.Slots[slot]
	if s == nil {
		s = map[Dimensions]*histVals{}
		m.st.Slots[slot] = s
	}
	v := s[d]
	if v == nil {
		v = &histVals{Within: make([]int64, len(m.thresholds))}
		s[d] = v
	}
	return v
}

func (m *HistoricalMetrics) at(t time.Time, d Dimensions) *histVals {
	return m.vals(metrics.SlotStart(t), d)
}

// Consume applies one event.
func (m *HistoricalMetrics) Consume(e Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.apply(&e)
}

// consumeEvents applies es[*at:] under one lock, advancing *at past each
// event applied (see eventConsumer).
func (m *HistoricalMetrics) consumeEvents(es []Event, at *int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for ; *at < len(es); *at++ {
		m.apply(&es[*at])
	}
}

// apply applies one event; the lock is held.
func (m *HistoricalMetrics) apply(e *Event) {
	if !advance(&m.st.LastSeq, e.Seq) {
		return
	}
	switch e.Type {
	case EventAgentUpdated, EventAgentStatusChanged:
		a := m.agent(e.AgentID, e.Time)
		m.accrue(e.AgentID, a, e.Time)
		a.Profile, a.Status = e.RoutingProfileID, e.Status
		return
	case EventAgentDeleted:
		if a := m.st.Agents[e.AgentID]; a != nil {
			m.accrue(e.AgentID, a, e.Time)
			delete(m.st.Agents, e.AgentID)
		}
		return
	}
	if e.TaskID == "" {
		return
	}
	t := m.last.get(m.st.Tasks, e.TaskID)
	if t == nil {
		if e.Type != EventTaskCreated && e.PreviousState == "" {
			return
		}
		if n := len(m.free); n > 0 {
			t, m.free = m.free[n-1], m.free[:n-1]
		} else {
			t = &histTask{}
		}
		m.st.Tasks[e.TaskID] = t
		m.last.set(e.TaskID, t)
	}
	d := dimsOf(e)
	fromQueue := e.PreviousState == StateQueued || e.PreviousState == StateOffered
	switch e.Type {
	case EventTaskCreated:
		m.at(e.Time, d).Created++
	case EventTaskQueued:
		if !t.InQueue && t.EnqueuedAt.IsZero() {
			t.EnqueuedAt, t.EnqSlot, t.EnqDims, t.InQueue = e.Time, metrics.SlotStart(e.Time), d, true
			m.vals(t.EnqSlot, d).Queued++
		}
	case EventTaskMissed, EventTaskRejected:
		m.at(e.Time, d).NonResponse++
	case EventTaskAccepted:
		v := m.at(e.Time, d)
		v.Handled++
		if !t.EnqueuedAt.IsZero() {
			v.QueueAnswer += e.Time.Sub(t.EnqueuedAt)
		}
		m.removed(t, e.Time, d)
		t.ConnectedAt = e.Time
	case EventTaskAfterContactWork:
		t.ACWAt = e.Time
	case EventTaskTransferred:
		m.at(e.Time, d).TransferredOut++
		if fromQueue {
			m.removed(t, e.Time, d)
		}
		if e.State == StateAfterContactWork {
			t.ACWAt = e.Time
		}
	}
	if e.State.Final() {
		if fromQueue && (e.Type == EventTaskExpired || e.Type == EventTaskStopped) {
			m.at(e.Time, d).Abandoned++
			m.removed(t, e.Time, d)
			if e.PreviousState == StateOffered {
				m.at(e.Time, d).NonResponse++
			}
		}
		if !t.ConnectedAt.IsZero() {
			v := m.at(e.Time, d)
			v.Handle += e.Time.Sub(t.ConnectedAt)
			v.HandleCount++
		}
		if !t.ACWAt.IsZero() {
			v := m.at(e.Time, d)
			v.ACW += e.Time.Sub(t.ACWAt)
			v.ACWCount++
		}
	}
	// The agent side: who offers or holds the task now.
	holder, active := "", false
	switch e.State {
	case StateOffered:
		holder = e.AgentID
	case StateConnected, StatePaused, StateAfterContactWork:
		holder, active = e.AgentID, true
	}
	if holder != t.Holder || active != t.Active {
		if t.Holder != "" {
			a := m.agent(t.Holder, e.Time)
			m.accrue(t.Holder, a, e.Time)
			if t.Active {
				a.Active--
			} else {
				a.Offered--
			}
		}
		if holder != "" {
			a := m.agent(holder, e.Time)
			m.accrue(holder, a, e.Time)
			if e.RoutingProfileID != "" {
				a.Profile = e.RoutingProfileID
			}
			if active {
				a.Active++
			} else {
				a.Offered++
			}
		}
		t.Holder, t.Active = holder, active
	}
	if e.State.Final() {
		delete(m.st.Tasks, e.TaskID)
		m.last.forget()
		if len(m.free) < maxFreeEntries {
			*t = histTask{}
			m.free = append(m.free, t)
		}
	}
}

// removed counts a contact leaving the queue at now, on the slot and
// dimensions it was queued with (service level, waits) and on now's
// (MAX_QUEUED_TIME).
func (m *HistoricalMetrics) removed(t *histTask, now time.Time, d Dimensions) {
	if !t.InQueue {
		return
	}
	t.InQueue = false
	wait := now.Sub(t.EnqueuedAt)
	if v := m.at(now, d); wait > v.MaxQueued {
		v.MaxQueued = wait
	}
	v := m.vals(t.EnqSlot, t.EnqDims)
	v.Removed++
	for i, x := range m.thresholds {
		if wait <= x {
			v.Within[i]++
		}
	}
	v.Waits.Add(wait)
}

// agent returns the agent's entry, creating one (status Available: it gets
// work) for an agent first seen in a task event.
func (m *HistoricalMetrics) agent(id string, now time.Time) *histAgent {
	a := m.st.Agents[id]
	if a == nil {
		a = &histAgent{Status: StatusAvailable, Since: now}
		m.st.Agents[id] = a
	}
	return a
}

// accrue adds the agent's time since a.Since to its on-contact or idle time,
// split over the 15-minute slots it spans.
func (m *HistoricalMetrics) accrue(id string, a *histAgent, now time.Time) {
	from := a.Since
	a.Since = now
	m.stretch(id, a, from, now, m.vals)
}

// stretch adds the agent's time from from to now, in its present status
// and load, to the on-contact or idle time of the sums vals returns for
// each 15-minute slot it spans.
func (m *HistoricalMetrics) stretch(id string, a *histAgent, from, now time.Time, vals func(int64, Dimensions) *histVals) {
	if !now.After(from) || m.statuses.of(a.Status) != StatusTypeRoutable {
		return
	}
	onContact := a.Active > 0
	if !onContact && a.Offered > 0 {
		return // ringing: neither on contact nor idle
	}
	d := Dimensions{AgentID: id, RoutingProfileID: a.Profile}
	for from.Before(now) {
		slot := metrics.SlotStart(from)
		end := time.Unix(slot, 0).Add(metrics.Slot)
		if end.After(now) {
			end = now
		}
		v := vals(slot, d)
		if onContact {
			v.OnContact += end.Sub(from)
		} else {
			v.Idle += end.Sub(from)
		}
		from = end
	}
}

// LastSeq returns the Seq of the last event applied.
func (m *HistoricalMetrics) LastSeq() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.st.LastSeq
}

// HistoricalQuery asks for historical metrics.
type HistoricalQuery struct {
	// Start and End bound the slots counted: a 15-minute slot counts when
	// its start is in [Start, End). Zero Start or End: unbounded; an End
	// not after Start is refused.
	Start, End time.Time
	// Period is the interval width; IntervalTotal (or empty) gives one
	// interval from Start to End.
	Period IntervalPeriod
	// Location is the time zone intervals are cut in (days start at local
	// midnight, weeks on Monday); UTC when nil.
	Location  *time.Location
	Filter    MetricFilter
	Groupings []Grouping // any of QUEUE, CHANNEL, AGENT, ROUTING_PROFILE, INITIATION_METHOD
	// Now, when set, is the instant agent time is counted up to: the
	// router's clock reading. An agent's time accrues at its events; with
	// Now the stretch since each agent's last event (idle or on contact) is
	// counted too, as far as Now, without changing the aggregator. Zero:
	// agent time as of each agent's last event.
	Now time.Time
}

// HistoricalResult is one interval of one group.
type HistoricalResult struct {
	Dimensions Dimensions
	Start, End time.Time // for IntervalTotal, the query's Start and End
	Values     HistoricalValues
}

// HistoricalValues are the sums of an interval and group; the methods
// compute Connect's averages and ratios from them. See docs/metrics.md for
// the definitions.
type HistoricalValues struct {
	ContactsCreated        int64 // CONTACTS_CREATED
	ContactsQueued         int64 // CONTACTS_QUEUED
	ContactsHandled        int64 // CONTACTS_HANDLED
	ContactsAbandoned      int64 // CONTACTS_ABANDONED
	ContactsTransferredOut int64 // CONTACTS_TRANSFERRED_OUT
	AgentNonResponse       int64 // AGENT_NON_RESPONSE
	SumQueueAnswerTime     time.Duration
	SumHandleTime          time.Duration
	HandleCount            int64 // contacts whose handling ended
	SumAfterContactWork    time.Duration
	AfterContactWorkCount  int64
	MaxQueuedTime          time.Duration // MAX_QUEUED_TIME
	// ContactsRemoved counts the contacts queued in the interval that have
	// left the queue (answered, abandoned or transferred).
	ContactsRemoved    int64
	AgentOnContactTime time.Duration
	AgentIdleTime      time.Duration

	thresholds []time.Duration
	within     []int64
	waits      metrics.Sketch
}

func (v *HistoricalValues) add(o *histVals, thresholds []time.Duration) {
	v.ContactsCreated += o.Created
	v.ContactsQueued += o.Queued
	v.ContactsHandled += o.Handled
	v.ContactsAbandoned += o.Abandoned
	v.ContactsTransferredOut += o.TransferredOut
	v.AgentNonResponse += o.NonResponse
	v.SumQueueAnswerTime += o.QueueAnswer
	v.SumHandleTime += o.Handle
	v.HandleCount += o.HandleCount
	v.SumAfterContactWork += o.ACW
	v.AfterContactWorkCount += o.ACWCount
	v.MaxQueuedTime = max(v.MaxQueuedTime, o.MaxQueued)
	v.ContactsRemoved += o.Removed
	v.AgentOnContactTime += o.OnContact
	v.AgentIdleTime += o.Idle
	if v.within == nil {
		v.thresholds, v.within = thresholds, make([]int64, len(thresholds))
	}
	for i, n := range o.Within {
		v.within[i] += n
	}
	v.waits.Merge(&o.Waits)
}

func avg(sum time.Duration, n int64) (time.Duration, bool) {
	if n == 0 {
		return 0, false
	}
	return sum / time.Duration(n), true
}

// AvgQueueAnswerTime is AVG_QUEUE_ANSWER_TIME: the mean time handled
// contacts waited in the queue. ok is false when none was handled.
func (v HistoricalValues) AvgQueueAnswerTime() (d time.Duration, ok bool) {
	return avg(v.SumQueueAnswerTime, v.ContactsHandled)
}

// AvgHandleTime is AVG_HANDLE_TIME: connected to the end of after-contact
// work (or disconnect), pauses included.
func (v HistoricalValues) AvgHandleTime() (d time.Duration, ok bool) {
	return avg(v.SumHandleTime, v.HandleCount)
}

// AvgAfterContactWorkTime is AVG_AFTER_CONTACT_WORK_TIME.
func (v HistoricalValues) AvgAfterContactWorkTime() (d time.Duration, ok bool) {
	return avg(v.SumAfterContactWork, v.AfterContactWorkCount)
}

// ServiceLevel is SERVICE_LEVEL at threshold x: the contacts queued in the
// interval that left the queue within x, ÷ the contacts queued, × 100.
// exact is false when x is not one of HistoricalOptions.ServiceLevels and
// the count comes from the queue-wait sketch; ok is false when nothing was
// queued.
func (v HistoricalValues) ServiceLevel(x time.Duration) (pct float64, exact, ok bool) {
	if v.ContactsQueued == 0 {
		return 0, false, false
	}
	if i := slices.Index(v.thresholds, x); i >= 0 {
		return 100 * float64(v.within[i]) / float64(v.ContactsQueued), true, true
	}
	return 100 * float64(v.waits.CountAtMost(x)) / float64(v.ContactsQueued), false, true
}

// AgentOccupancy is AGENT_OCCUPANCY in percent: time on contact ÷ (time on
// contact + idle time), concurrency ignored.
func (v HistoricalValues) AgentOccupancy() (pct float64, ok bool) {
	total := v.AgentOnContactTime + v.AgentIdleTime
	if total == 0 {
		return 0, false
	}
	return 100 * float64(v.AgentOnContactTime) / float64(total), true
}

// QueueWait returns the q-quantile (0.5, 0.9, 0.99, …) of the queue waits
// of the contacts queued in the interval that have left the queue, within
// about 1 %.
func (v HistoricalValues) QueueWait(q float64) (d time.Duration, ok bool) {
	return v.waits.Quantile(q)
}

// Query returns the metrics of every interval and group that saw an event,
// ordered by interval start, then dimensions. It costs O(slots × groups in
// range), never O(tasks).
func (m *HistoricalMetrics) Query(q HistoricalQuery) ([]HistoricalResult, error) {
	p, ok := periods[q.Period]
	if !ok {
		return nil, invalid("HistoricalQuery.Period", string(q.Period), "must be FIFTEEN_MIN, THIRTY_MIN, HOUR, DAY, WEEK or TOTAL")
	}
	if err := checkGroupings("HistoricalQuery.Groupings", q.Groupings, GroupQueue, GroupChannel, GroupRoutingProfile, GroupAgent, GroupInitiationMethod); err != nil {
		return nil, err
	}
	if !q.Start.IsZero() && !q.End.IsZero() && !q.Start.Before(q.End) {
		return nil, invalid("HistoricalQuery.End", q.End.Format(time.RFC3339), "must be after Start ("+q.Start.Format(time.RFC3339)+")")
	}
	loc := q.Location
	if loc == nil {
		loc = time.UTC
	}
	type key struct {
		start int64
		dims  Dimensions
	}
	out := map[key]*HistoricalResult{}
	m.mu.Lock()
	defer m.mu.Unlock()
	// The agents' open stretches up to q.Now, in sums of their own.
	open := map[int64]map[Dimensions]*histVals{}
	if !q.Now.IsZero() {
		openVals := func(slot int64, d Dimensions) *histVals {
			if open[slot] == nil {
				open[slot] = map[Dimensions]*histVals{}
			}
			v := open[slot][d]
			if v == nil {
				v = &histVals{}
				open[slot][d] = v
			}
			return v
		}
		for id, a := range m.st.Agents {
			m.stretch(id, a, a.Since, q.Now, openVals)
		}
	}
	for _, slots := range []map[int64]map[Dimensions]*histVals{m.st.Slots, open} {
		m.rollUp(q, p, loc, slots, func(start, end time.Time, d Dimensions, v *histVals) {
			k := key{start.Unix(), d.project(q.Groupings)}
			r := out[k]
			if r == nil {
				r = &HistoricalResult{Dimensions: k.dims, Start: start, End: end}
				out[k] = r
			}
			r.Values.add(v, m.thresholds)
		})
	}
	res := make([]HistoricalResult, 0, len(out))
	for _, r := range out {
		res = append(res, *r)
	}
	slices.SortFunc(res, func(a, b HistoricalResult) int {
		return cmp.Or(a.Start.Compare(b.Start), compareDimensions(a.Dimensions, b.Dimensions))
	})
	return res, nil
}

// rollUp calls f with the interval of period p each slot of slots in q's
// range falls in, and each of its groups q's filter matches.
func (m *HistoricalMetrics) rollUp(q HistoricalQuery, p metrics.Period, loc *time.Location, slots map[int64]map[Dimensions]*histVals, f func(start, end time.Time, d Dimensions, v *histVals)) {
	for slot, groups := range slots {
		st := time.Unix(slot, 0)
		if (!q.Start.IsZero() && st.Before(q.Start)) || (!q.End.IsZero() && !st.Before(q.End)) {
			continue
		}
		start, end := q.Start, q.End
		if p != metrics.Total {
			start = metrics.IntervalStart(p, st, loc)
			end = metrics.IntervalEnd(p, start)
		}
		for d, v := range groups {
			if q.Filter.match(d) {
				f(start, end, d, v)
			}
		}
	}
}

// Prune drops the slots that start before t; open tasks and agents are
// kept.
func (m *HistoricalMetrics) Prune(t time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for slot := range m.st.Slots {
		if time.Unix(slot, 0).Before(t) {
			delete(m.st.Slots, slot)
		}
	}
	m.recent = histRecent{}
}

// State returns the aggregator's state.
func (m *HistoricalMetrics) State() (MetricsState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.st
	s.Buckets = nil
	for _, slot := range slices.Sorted(maps.Keys(s.Slots)) {
		groups := s.Slots[slot]
		dims := slices.SortedFunc(maps.Keys(groups), compareDimensions)
		for _, d := range dims {
			s.Buckets = append(s.Buckets, histBucket{Slot: slot, Dims: d, Vals: groups[d]})
		}
	}
	b, err := json.Marshal(s)
	if err != nil {
		return MetricsState{}, err
	}
	return MetricsState{LastSeq: s.LastSeq, Data: b}, nil
}

// Restore replaces the aggregator's state with s, taken by State from an
// aggregator with the same ServiceLevels. Call it before the aggregator
// sees any event (before NewRouter).
func (m *HistoricalMetrics) Restore(s MetricsState) error {
	st := newHistState(nil)
	if err := json.Unmarshal(s.Data, &st); err != nil {
		return fmt.Errorf("switchboard: HistoricalMetrics.Restore: %w", err)
	}
	if !slices.Equal(st.Thresholds, m.thresholds) {
		return errors.New("switchboard: HistoricalMetrics.Restore: counted for other service-level thresholds")
	}
	if st.LastSeq != s.LastSeq {
		return errors.New("switchboard: HistoricalMetrics.Restore: LastSeq does not match its data")
	}
	for _, b := range st.Buckets {
		if st.Slots[b.Slot] == nil {
			st.Slots[b.Slot] = map[Dimensions]*histVals{}
		}
		if b.Vals == nil || len(b.Vals.Within) != len(m.thresholds) {
			return errors.New("switchboard: HistoricalMetrics.Restore: malformed bucket")
		}
		st.Slots[b.Slot][b.Dims] = b.Vals
	}
	st.Buckets = nil
	if st.Tasks == nil {
		st.Tasks = map[string]*histTask{}
	}
	if st.Agents == nil {
		st.Agents = map[string]*histAgent{}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.st = st
	m.recent = histRecent{}
	m.last.forget()
	return nil
}
