package switchboard

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
)

// RealTimeOptions configures RealTimeMetrics with what the event log does
// not carry.
type RealTimeOptions struct {
	// AgentStatuses classifies statuses into ROUTABLE, CUSTOM and OFFLINE:
	// pass Router.AgentStatuses() or Config.AgentStatuses. Available and
	// Offline are always known; an unknown status counts as CUSTOM.
	AgentStatuses []AgentStatusDefinition
	// RoutingProfiles give slot capacities (concurrency per channel, cross
	// channel behaviour) and which queues a profile serves (for queue filters
	// and groupings of agent metrics): pass Router.ListRoutingProfiles(), and
	// call SetRoutingProfiles when they change.
	RoutingProfiles []*RoutingProfile
	// MissedPolicy is the router's Config.MissedPolicy: with
	// BlockUntilCleared (the default) a missed or rejected offer puts the
	// agent in error until agent.cleared.
	MissedPolicy MissedPolicy
}

// RealTimeMetrics keeps Amazon Connect's real-time metrics (GetCurrentMetricData)
// up to date from a router's events: counters changed by each event, so a
// Snapshot costs O(queues × channels × routing profiles), never O(tasks) or
// O(agents), and never touches the Router. Attach it as a Config.Consumer.
// It is safe for concurrent use.
//
// Like the other consumers it ignores events at or below the last Seq it
// applied; State and Restore carry it across a restart (a fresh one knows
// only what it has seen: agents and tasks that produce no event after it
// starts are not counted).
type RealTimeMetrics struct {
	mu       sync.Mutex
	statuses statusTypes
	block    bool
	profiles map[string]*RoutingProfile
	st       rtState
	last     lastEntry[rtTask]
	free     []*rtTask // entries of ended tasks, for reuse
}

type rtState struct {
	LastSeq uint64                `json:"lastSeq"`
	Tasks   map[string]*rtTask    `json:"tasks,omitempty"`
	Agents  map[string]*rtAgent   `json:"agents,omitempty"`
	queues  map[qcKey]*rtQueue    // derived from Tasks
	acw     map[rtKey]int         // contacts in ACW by queue, channel, profile; derived
	byProf  map[string]*rtProfile // agent counters by profile; derived
}

type qcKey struct {
	Queue   string
	Channel Channel
}

type rtKey struct {
	Queue   string
	Channel Channel
	Profile string
}

type rtTask struct {
	Queue      string    `json:"queue,omitempty"`
	Channel    Channel   `json:"channel"`
	State      TaskState `json:"state"`
	Agent      string    `json:"agent,omitempty"`
	Profile    string    `json:"profile,omitempty"`
	EnqueuedAt time.Time `json:"enqueuedAt,omitzero"`

	q *rtQueue // the counters of (Queue, Channel) once counted; derived
}

// rtAgent is what the metrics know of an agent. Besides its state it keeps
// what it adds to its profile's counters (counted, in prof), so that a
// change subtracts that instead of computing it again, and the profile and
// status type it was counted with, so that an event looks nothing up by
// name that did not change. derive recounts every agent.
type rtAgent struct {
	Profile string
	Status  AgentStatus
	Blocked bool
	Held    []rtHeld // tasks offered to or held by the agent, in no order

	counted  contribution    // what the agent adds to prof's counters
	prof     *rtProfile      // the counters of profID; nil: not counted
	profID   string          // the Profile it is counted under
	rp       *RoutingProfile // the profile profID, nil if not known
	typ      AgentStatusType // the type of status statusOf
	statusOf AgentStatus     // the Status typ was found for
}

// rtHeld is a task an agent is offered or holds.
type rtHeld struct {
	id    string
	ch    Channel
	state TaskState
}

// rtAgentJSON is rtAgent's saved form: Held as a map of task ID to
// channel and state.
type rtAgentJSON struct {
	Profile string            `json:"profile,omitempty"`
	Status  AgentStatus       `json:"status"`
	Blocked bool              `json:"blocked,omitempty"`
	Held    map[string]rtTask `json:"held,omitempty"`
}

func (a *rtAgent) MarshalJSON() ([]byte, error) {
	j := rtAgentJSON{Profile: a.Profile, Status: a.Status, Blocked: a.Blocked}
	if len(a.Held) > 0 {
		j.Held = make(map[string]rtTask, len(a.Held))
		for _, h := range a.Held {
			j.Held[h.id] = rtTask{Channel: h.ch, State: h.state}
		}
	}
	return json.Marshal(j)
}

func (a *rtAgent) UnmarshalJSON(b []byte) error {
	var j rtAgentJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*a = rtAgent{Profile: j.Profile, Status: j.Status, Blocked: j.Blocked}
	for _, id := range slices.Sorted(maps.Keys(j.Held)) {
		a.Held = append(a.Held, rtHeld{id, j.Held[id].Channel, j.Held[id].State})
	}
	return nil
}

// hold records that the agent is offered or holds task id in state st.
func (a *rtAgent) hold(id string, ch Channel, st TaskState) {
	for i := range a.Held {
		if a.Held[i].id == id {
			a.Held[i].ch, a.Held[i].state = ch, st
			return
		}
	}
	a.Held = append(a.Held, rtHeld{id, ch, st})
}

// release forgets task id.
func (a *rtAgent) release(id string) {
	for i := range a.Held {
		if a.Held[i].id == id {
			last := len(a.Held) - 1
			a.Held[i] = a.Held[last]
			a.Held[last] = rtHeld{}
			a.Held = a.Held[:last]
			return
		}
	}
}

// rtQueue is one (queue, channel): waiting and scheduled counts and the
// waiting tasks in enqueue order (entries of tasks that left are skipped
// lazily).
type rtQueue struct {
	inQueue, scheduled int
	fifo               []fifoEntry
	head               int
}

type fifoEntry struct {
	id  string
	enq time.Time
}

// rtProfile sums the contributions of a profile's agents.
type rtProfile struct {
	c contribution
}

// contribution is what one agent adds to its profile's counters.
type contribution struct {
	online, available, onContact, staffed, errorN, npt int
	active, free                                       chanCounts
}

// chanCounts counts per channel, indexed by Channel.index: an array, so
// that an agent's contribution costs no allocation.
type chanCounts [numChannels]int

// of returns the count of ch (0 for a channel not known).
func (c *chanCounts) of(ch Channel) int {
	if i := ch.index(); i >= 0 {
		return c[i]
	}
	return 0
}

// inc adds n to the count of ch (a channel not known is not counted).
func (c *chanCounts) inc(ch Channel, n int) {
	if i := ch.index(); i >= 0 {
		c[i] += n
	}
}

func (c *contribution) add(o contribution, sign int) {
	c.online += sign * o.online
	c.available += sign * o.available
	c.onContact += sign * o.onContact
	c.staffed += sign * o.staffed
	c.errorN += sign * o.errorN
	c.npt += sign * o.npt
	for i := range numChannels {
		c.active[i] += sign * o.active[i]
		c.free[i] += sign * o.free[i]
	}
}

// NewRealTimeMetrics returns real-time metrics that know nothing yet.
func NewRealTimeMetrics(o *RealTimeOptions) *RealTimeMetrics {
	var opts RealTimeOptions
	if o != nil {
		opts = *o
	}
	m := &RealTimeMetrics{statuses: newStatusTypes(opts.AgentStatuses), block: opts.MissedPolicy == BlockUntilCleared}
	m.st = rtState{Tasks: map[string]*rtTask{}, Agents: map[string]*rtAgent{}}
	m.derive()
	m.setProfiles(opts.RoutingProfiles)
	return m
}

func (m *RealTimeMetrics) setProfiles(ps []*RoutingProfile) {
	m.profiles = map[string]*RoutingProfile{}
	for _, p := range ps {
		if p != nil {
			m.profiles[p.ID] = p.clone()
		}
	}
}

// SetRoutingProfiles replaces the routing profiles the metrics know (slot
// capacities and the queues each serves) and recounts every agent: O(agents).
func (m *RealTimeMetrics) SetRoutingProfiles(ps []*RoutingProfile) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.setProfiles(ps)
	m.derive()
}

// derive rebuilds the counters from Tasks and Agents.
func (m *RealTimeMetrics) derive() {
	m.st.queues, m.st.acw, m.st.byProf = map[qcKey]*rtQueue{}, map[rtKey]int{}, map[string]*rtProfile{}
	ids := slices.SortedFunc(maps.Keys(m.st.Tasks), func(a, b string) int {
		return cmp.Or(m.st.Tasks[a].EnqueuedAt.Compare(m.st.Tasks[b].EnqueuedAt), cmp.Compare(a, b))
	})
	for _, id := range ids {
		t := m.st.Tasks[id]
		t.q = nil
		m.countTask(id, t, 1)
	}
	for _, a := range m.st.Agents {
		a.prof = nil
		m.count(a)
	}
}

// count adds what agent a adds to its profile's counters, and remembers it.
func (m *RealTimeMetrics) count(a *rtAgent) {
	if a.prof == nil || a.profID != a.Profile {
		a.prof, a.profID, a.rp = m.prof(a.Profile), a.Profile, m.profiles[a.Profile]
	}
	a.counted = m.contrib(a)
	a.prof.c.add(a.counted, 1)
}

// uncount removes what agent a added to its profile's counters.
func (m *RealTimeMetrics) uncount(a *rtAgent) {
	if a.prof != nil {
		a.prof.c.add(a.counted, -1)
	}
}

func (m *RealTimeMetrics) prof(id string) *rtProfile {
	p := m.st.byProf[id]
	if p == nil {
		p = &rtProfile{}
		m.st.byProf[id] = p
	}
	return p
}

func inQueue(s TaskState) bool { return s == StateQueued || s == StateOffered }

func activeState(s TaskState) bool {
	return s == StateConnected || s == StatePaused || s == StateAfterContactWork
}

// countTask adds (sign 1) or removes (-1) a task's part of the queue counters.
func (m *RealTimeMetrics) countTask(id string, t *rtTask, sign int) {
	q := m.queue(t)
	switch {
	case inQueue(t.State):
		q.inQueue += sign
		if sign > 0 {
			q.fifo = append(q.fifo, fifoEntry{id, t.EnqueuedAt})
		}
	case t.State == StateScheduled:
		q.scheduled += sign
	case t.State == StateAfterContactWork:
		m.st.acw[rtKey{t.Queue, t.Channel, t.Profile}] += sign
	}
}

// queue returns the counters of t's queue and channel, remembered in t.
func (m *RealTimeMetrics) queue(t *rtTask) *rtQueue {
	if t.q == nil {
		k := qcKey{t.Queue, t.Channel}
		q := m.st.queues[k]
		if q == nil {
			q = &rtQueue{}
			m.st.queues[k] = q
		}
		t.q = q
	}
	return t.q
}

// contrib computes what agent a adds to the counters of its profile a.rp.
func (m *RealTimeMetrics) contrib(a *rtAgent) contribution {
	if a.statusOf != a.Status || a.typ == "" {
		a.typ, a.statusOf = m.statuses.of(a.Status), a.Status
	}
	typ := a.typ
	var c contribution
	b := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	var held chanCounts
	exclusive := false // a held channel routes only more of itself
	p := a.rp
	for _, t := range a.Held {
		held.inc(t.ch, 1)
		if activeState(t.state) {
			c.onContact = 1
			c.active.inc(t.ch, 1)
		}
		if p != nil {
			for _, mc := range p.Concurrency {
				if mc.Channel == t.ch && mc.CrossChannel != AnyChannel {
					exclusive = true
				}
			}
		}
	}
	routable := typ == StatusTypeRoutable && !a.Blocked
	c.online = b(typ != StatusTypeOffline)
	c.staffed = b(typ == StatusTypeRoutable)
	c.npt = b(typ == StatusTypeCustom)
	c.errorN = b(a.Blocked)
	c.available = b(routable && len(a.Held) == 0)
	if routable && p != nil {
		for _, mc := range p.Concurrency {
			free := mc.Concurrency - held.of(mc.Channel)
			if exclusive && held.of(mc.Channel) == 0 {
				free = 0
			}
			if free > 0 {
				c.free.inc(mc.Channel, free-c.free.of(mc.Channel))
			}
		}
	}
	return c
}

// Consume applies one event.
func (m *RealTimeMetrics) Consume(e Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.apply(&e)
}

// consumeEvents applies es[*at:] under one lock, advancing *at past each
// event applied (see eventConsumer).
func (m *RealTimeMetrics) consumeEvents(es []Event, at *int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for ; *at < len(es); *at++ {
		m.apply(&es[*at])
	}
}

// apply applies one event; the lock is held.
func (m *RealTimeMetrics) apply(e *Event) {
	if !advance(&m.st.LastSeq, e.Seq) {
		return
	}
	switch e.Type {
	case EventAgentUpdated, EventAgentStatusChanged:
		m.changeAgent(e.AgentID, func(a *rtAgent) { a.Profile, a.Status = e.RoutingProfileID, e.Status })
		return
	case EventAgentCleared:
		m.changeAgent(e.AgentID, func(a *rtAgent) { a.Blocked = false })
		return
	case EventAgentDeleted:
		if a := m.st.Agents[e.AgentID]; a != nil {
			m.uncount(a)
			delete(m.st.Agents, e.AgentID)
		}
		return
	}
	if e.TaskID == "" {
		return
	}
	old := m.last.get(m.st.Tasks, e.TaskID)
	if old == nil && e.Type != EventTaskCreated && e.PreviousState == "" {
		return
	}
	// The task's entry is updated in place (no allocation per event); prev
	// keeps what it was.
	var prev rtTask
	had := old != nil
	nt := old
	if had {
		m.countTask(e.TaskID, old, -1)
		prev = *old
	} else {
		nt = m.newTask()
	}
	*nt = rtTask{Queue: e.QueueID, Channel: e.Channel, State: e.State, EnqueuedAt: prev.EnqueuedAt}
	if had && prev.Queue == nt.Queue && prev.Channel == nt.Channel {
		nt.q = prev.q
	}
	if nt.EnqueuedAt.IsZero() && inQueue(e.State) {
		nt.EnqueuedAt = e.Time
	}
	if e.State.holdsSlot() {
		nt.Agent, nt.Profile = e.AgentID, e.RoutingProfileID
	}
	if (e.Type == EventTaskMissed || e.Type == EventTaskRejected) && m.block && e.AgentID != "" {
		m.changeAgent(e.AgentID, func(a *rtAgent) { a.Blocked = true })
	}
	if had && prev.Agent != "" && prev.Agent != nt.Agent {
		m.changeAgent(prev.Agent, func(a *rtAgent) { a.release(e.TaskID) })
	}
	if nt.Agent != "" {
		// The same agent as before: its entry is updated in place.
		m.changeAgent(nt.Agent, func(a *rtAgent) {
			if a.Profile == "" {
				a.Profile = e.RoutingProfileID
			}
			a.hold(e.TaskID, nt.Channel, nt.State)
		})
	}
	if e.State.Final() {
		delete(m.st.Tasks, e.TaskID)
		m.last.forget()
		defer m.freeTask(nt) // after trim, which reads the entries left
	} else {
		if !had {
			m.st.Tasks[e.TaskID] = nt
			m.last.set(e.TaskID, nt)
		}
		if !had || !inQueue(prev.State) || !inQueue(nt.State) {
			m.countTask(e.TaskID, nt, 1)
		} else {
			// Still waiting: counted again without a second queue entry.
			m.queue(nt).inQueue++
		}
	}
	if had && inQueue(prev.State) {
		m.trim(prev.q, prev.Queue)
	}
}

// newTask returns an empty task entry, reusing one of an ended task.
func (m *RealTimeMetrics) newTask() *rtTask {
	if n := len(m.free); n > 0 {
		t := m.free[n-1]
		m.free = m.free[:n-1]
		return t
	}
	return &rtTask{}
}

// freeTask keeps the entry of an ended task for reuse.
func (m *RealTimeMetrics) freeTask(t *rtTask) {
	if len(m.free) < maxFreeEntries {
		*t = rtTask{}
		m.free = append(m.free, t)
	}
}

// changeAgent applies f to an agent (created Offline if unknown), keeping
// its profile's counters right.
func (m *RealTimeMetrics) changeAgent(id string, f func(a *rtAgent)) {
	a := m.st.Agents[id]
	if a == nil {
		a = &rtAgent{Status: StatusAvailable}
		m.st.Agents[id] = a
	} else {
		m.uncount(a)
	}
	f(a)
	m.count(a)
}

// trim drops the entries of tasks no longer waiting from the front of a
// queue's line, so its front is the oldest waiting task. Each entry is
// dropped once: O(1) amortised per event.
func (m *RealTimeMetrics) trim(q *rtQueue, queue string) {
	if q == nil {
		return
	}
	for q.head < len(q.fifo) {
		f := q.fifo[q.head]
		if t := m.st.Tasks[f.id]; t != nil && inQueue(t.State) && t.EnqueuedAt.Equal(f.enq) && t.Queue == queue {
			break
		}
		q.fifo[q.head] = fifoEntry{}
		q.head++
	}
	if q.head > 32 && q.head*2 > len(q.fifo) {
		live := len(q.fifo) - q.head
		if cap(q.fifo) > 4*live+64 {
			q.fifo = slices.Clone(q.fifo[q.head:]) // give back the memory of a long line
		} else {
			copy(q.fifo, q.fifo[q.head:])
			clear(q.fifo[live:])
			q.fifo = q.fifo[:live]
		}
		q.head = 0
	}
}

// oldest returns the enqueue time of the oldest waiting task.
func (q *rtQueue) oldest() (time.Time, bool) {
	if q.inQueue == 0 || q.head >= len(q.fifo) {
		return time.Time{}, false
	}
	return q.fifo[q.head].enq, true
}

// LastSeq returns the Seq of the last event applied.
func (m *RealTimeMetrics) LastSeq() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.st.LastSeq
}

// RealTimeQuery asks for a snapshot.
type RealTimeQuery struct {
	Filter    MetricFilter // Queues, Channels, RoutingProfiles
	Groupings []Grouping   // any of QUEUE, CHANNEL, ROUTING_PROFILE
	// Now is the instant OLDEST_CONTACT_AGE is measured at: the router's
	// clock reading (the metrics have no clock of their own).
	Now time.Time
}

// RealTimeValues are Connect's real-time metrics of one group.
type RealTimeValues struct {
	ContactsInQueue        int           // CONTACTS_IN_QUEUE: QUEUED or OFFERED
	OldestContactAge       time.Duration // OLDEST_CONTACT_AGE: Now − the oldest waiting contact's enqueue time
	ContactsScheduled      int           // CONTACTS_SCHEDULED
	AgentsOnline           int           // AGENTS_ONLINE: status not OFFLINE
	AgentsAvailable        int           // AGENTS_AVAILABLE: Available, not in error, holding nothing
	AgentsOnContact        int           // AGENTS_ON_CONTACT: holding a connected, paused or ACW task
	AgentsStaffed          int           // AGENTS_STAFFED: online and not in a CUSTOM status
	AgentsAfterContactWork int           // AGENTS_AFTER_CONTACT_WORK: contacts in ACW (Connect counts contacts)
	AgentsError            int           // AGENTS_ERROR: blocked by a missed or rejected offer
	AgentsNonProductive    int           // AGENTS_NON_PRODUCTIVE: in a CUSTOM status
	SlotsActive            int           // SLOTS_ACTIVE: slots of connected, paused or ACW tasks
	SlotsAvailable         int           // SLOTS_AVAILABLE: free slots of routable agents not in error
}

// RealTimeResult is one group of a snapshot.
type RealTimeResult struct {
	Dimensions Dimensions
	Values     RealTimeValues
}

// Snapshot returns the metrics of every group with something to report, and
// of every group a known routing profile serves (its queues and channels)
// even when all its figures are zero, ordered by dimensions: an idle queue
// reads 0, not "no data". An agent is counted in the queues and channels its
// routing profile serves; a waiting contact in every profile that serves
// its queue and channel.
func (m *RealTimeMetrics) Snapshot(q RealTimeQuery) ([]RealTimeResult, error) {
	if err := checkGroupings("RealTimeQuery.Groupings", q.Groupings, GroupQueue, GroupChannel, GroupRoutingProfile); err != nil {
		return nil, err
	}
	if len(q.Filter.Agents) > 0 || len(q.Filter.InitiationMethods) > 0 {
		return nil, invalid("RealTimeQuery.Filter", "", "real-time metrics filter by queue, channel and routing profile only")
	}
	f := q.Filter
	byProfile := slices.Contains(q.Groupings, GroupRoutingProfile) || len(f.RoutingProfiles) > 0
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[Dimensions]*RealTimeValues{}
	get := func(d Dimensions) *RealTimeValues {
		d = d.project(q.Groupings)
		v := out[d]
		if v == nil {
			v = &RealTimeValues{}
			out[d] = v
		}
		return v
	}
	// Which profiles serve (queue, channel).
	serving := func(k qcKey) []string {
		var ps []string
		for _, id := range slices.Sorted(maps.Keys(m.profiles)) {
			for _, qc := range m.profiles[id].Queues {
				if qc.QueueID == k.Queue && cmp.Or(qc.Channel, ChannelTask) == k.Channel && in(f.RoutingProfiles, id) {
					ps = append(ps, id)
					break
				}
			}
		}
		return ps
	}
	for k, qu := range m.st.queues {
		if (qu.inQueue == 0 && qu.scheduled == 0) || !in(f.Queues, k.Queue) || !in(f.Channels, k.Channel) {
			continue
		}
		dims := []Dimensions{{QueueID: k.Queue, Channel: k.Channel}}
		if byProfile {
			dims = nil
			for _, p := range serving(k) {
				dims = append(dims, Dimensions{QueueID: k.Queue, Channel: k.Channel, RoutingProfileID: p})
			}
		}
		for _, d := range dims {
			v := get(d)
			v.ContactsInQueue += qu.inQueue
			v.ContactsScheduled += qu.scheduled
			if at, ok := qu.oldest(); ok && q.Now.Sub(at) > v.OldestContactAge {
				v.OldestContactAge = q.Now.Sub(at)
			}
		}
	}
	for k, n := range m.st.acw {
		d := Dimensions{QueueID: k.Queue, Channel: k.Channel, RoutingProfileID: k.Profile}
		if n != 0 && f.match(d) {
			get(d).AgentsAfterContactWork += n
		}
	}
	groupQ, groupC := slices.Contains(q.Groupings, GroupQueue), slices.Contains(q.Groupings, GroupChannel)
	for id, pc := range m.st.byProf {
		if !in(f.RoutingProfiles, id) {
			continue
		}
		c := pc.c
		// The (queue, channel) pairs and channels the profile serves.
		var pairs []qcKey
		var chans []Channel
		if p := m.profiles[id]; p != nil {
			for _, qc := range p.Queues {
				pairs = append(pairs, qcKey{qc.QueueID, cmp.Or(qc.Channel, ChannelTask)})
			}
			for _, mc := range p.Concurrency {
				chans = append(chans, mc.Channel)
			}
		}
		// Agent counts: once per group the profile falls in.
		seen := map[Dimensions]bool{}
		agentDims := func(ch Channel, anyChannel bool) []Dimensions {
			var ds []Dimensions
			add := func(d Dimensions) {
				d = d.project(q.Groupings)
				if !seen[d] {
					seen[d] = true
					ds = append(ds, d)
				}
			}
			if len(f.Queues) == 0 && !groupQ {
				if len(f.Channels) == 0 && !groupC && anyChannel {
					add(Dimensions{RoutingProfileID: id})
				}
				if !anyChannel && in(f.Channels, ch) {
					add(Dimensions{RoutingProfileID: id, Channel: ch})
				}
				return ds
			}
			for _, k := range pairs {
				if in(f.Queues, k.Queue) && in(f.Channels, k.Channel) && (anyChannel || k.Channel == ch) {
					add(Dimensions{QueueID: k.Queue, Channel: k.Channel, RoutingProfileID: id})
				}
			}
			return ds
		}
		var ds []Dimensions
		if len(f.Channels) == 0 && !groupC {
			ds = agentDims("", true)
		} else {
			for _, ch := range chans {
				ds = append(ds, agentDims(ch, false)...)
			}
		}
		for _, d := range ds {
			v := get(d)
			v.AgentsOnline += c.online
			v.AgentsAvailable += c.available
			v.AgentsOnContact += c.onContact
			v.AgentsStaffed += c.staffed
			v.AgentsError += c.errorN
			v.AgentsNonProductive += c.npt
		}
		// Slots: per channel, once per group.
		for _, ch := range chans {
			seen = map[Dimensions]bool{}
			for _, d := range agentDims(ch, false) {
				v := get(d)
				v.SlotsActive += c.active.of(ch)
				v.SlotsAvailable += c.free.of(ch)
			}
		}
		if len(chans) == 0 && len(f.Channels) == 0 && !groupC && len(f.Queues) == 0 && !groupQ {
			for _, n := range c.active {
				get(Dimensions{RoutingProfileID: id}).SlotsActive += n
			}
		}
	}
	// A group the routing profiles serve is reported even when every figure
	// is zero, so that an idle queue reads 0, not "no data"; any other group
	// only when it has something to report.
	served := map[Dimensions]bool{}
	for id, p := range m.profiles {
		for _, qc := range p.Queues {
			if d := (Dimensions{QueueID: qc.QueueID, Channel: cmp.Or(qc.Channel, ChannelTask), RoutingProfileID: id}); f.match(d) {
				served[d.project(q.Groupings)] = true
			}
		}
	}
	res := make([]RealTimeResult, 0, max(len(out), len(served)))
	for d, v := range out {
		if *v != (RealTimeValues{}) || served[d] {
			res = append(res, RealTimeResult{Dimensions: d, Values: *v})
		}
	}
	for d := range served {
		if out[d] == nil {
			res = append(res, RealTimeResult{Dimensions: d})
		}
	}
	slices.SortFunc(res, func(a, b RealTimeResult) int { return compareDimensions(a.Dimensions, b.Dimensions) })
	return res, nil
}

// State returns the metrics' state: open tasks and agents (the counters are
// derived from them).
func (m *RealTimeMetrics) State() (MetricsState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, err := json.Marshal(m.st)
	if err != nil {
		return MetricsState{}, err
	}
	return MetricsState{LastSeq: m.st.LastSeq, Data: b}, nil
}

// Restore replaces the state with s; call it before the metrics see any
// event (before NewRouter). O(tasks + agents).
func (m *RealTimeMetrics) Restore(s MetricsState) error {
	var st rtState
	if err := json.Unmarshal(s.Data, &st); err != nil {
		return fmt.Errorf("switchboard: RealTimeMetrics.Restore: %w", err)
	}
	if st.Tasks == nil {
		st.Tasks = map[string]*rtTask{}
	}
	if st.Agents == nil {
		st.Agents = map[string]*rtAgent{}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.st = st
	m.last.forget()
	m.derive()
	return nil
}
