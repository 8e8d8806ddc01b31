package switchboard

import (
	"cmp"
	"encoding/base64"
	"encoding/binary"
	"hash/fnv"
	"iter"
	"maps"
	"slices"
	"strconv"
)

// This file holds the Router's listings: the queues, routing profiles and
// agents it knows, and its open tasks by filter, a page at a time. Like every
// read answered from memory they take no ctx and never wait on the Store.

// ---- configuration listings ----

// walkPage is how many objects an iterator copies per hold of the router
// lock; the caller's loop body runs with the lock released.
const walkPage = 100

// Queue returns a copy of the queue with id. It is answered from memory and
// never waits on the Store; it costs one map lookup and the copy.
func (r *Router) Queue(id string) (out *Queue, err error) {
	if err := r.rlock(); err != nil {
		return nil, err
	}
	defer runlock(r, &out, &err)
	q := r.queues[id]
	if q == nil {
		return nil, notFound("queue", id)
	}
	return q.Queue.clone(), nil
}

// RoutingProfile returns a copy of the routing profile with id, defaults
// filled in as PutRoutingProfile stored it. It is answered from memory and
// never waits on the Store; it costs one map lookup and the copy.
func (r *Router) RoutingProfile(id string) (out *RoutingProfile, err error) {
	if err := r.rlock(); err != nil {
		return nil, err
	}
	defer runlock(r, &out, &err)
	p := r.profiles[id]
	if p == nil {
		return nil, notFound("routing profile", id)
	}
	return p.RoutingProfile.clone(), nil
}

// ListAgents returns copies of every agent, runtime fields included, sorted
// by ID, so that a host can show or reconcile its whole staff. It is answered
// from memory and never waits on the Store. It holds the router lock while it
// copies and sorts every agent: O(agents · log agents); for a large staff
// walk Agents instead, which lets routing run between pages.
func (r *Router) ListAgents() ([]*Agent, error) {
	return listSorted(r, r.agents, r.agentView)
}

// ListQueues returns copies of every queue sorted by ID. It is answered from
// memory and never waits on the Store; O(queues · log queues) under the
// router lock.
func (r *Router) ListQueues() ([]*Queue, error) {
	return listSorted(r, r.queues, func(q *queueEntry) *Queue { return q.Queue.clone() })
}

// ListRoutingProfiles returns copies of every routing profile sorted by ID.
// It is answered from memory and never waits on the Store; O(profiles · log
// profiles) under the router lock.
func (r *Router) ListRoutingProfiles() ([]*RoutingProfile, error) {
	return listSorted(r, r.profiles, func(p *profileEntry) *RoutingProfile { return p.RoutingProfile.clone() })
}

// Agents returns an iterator over copies of every agent in ID order, for a
// host that walks its staff without holding the router still: the IDs are
// sorted once, then agents are copied walkPage at a time under the lock and
// yielded with the lock released, so the loop body may call the Router. An
// agent present for the whole walk is yielded exactly once; one deleted
// during the walk may be missed, one added during it is not yielded. After
// Close, or if the router closes mid-walk, it yields (nil, ErrClosed) once
// and stops. It never waits on the Store. Total cost O(agents · log agents).
func (r *Router) Agents() iter.Seq2[*Agent, error] {
	return walkSorted(r, func() map[string]*agentEntry { return r.agents },
		r.agentView)
}

// Queues returns an iterator over copies of every queue in ID order, with
// the same page-at-a-time locking and guarantees as Agents.
func (r *Router) Queues() iter.Seq2[*Queue, error] {
	return walkSorted(r, func() map[string]*queueEntry { return r.queues },
		func(q *queueEntry) *Queue { return q.Queue.clone() })
}

// RoutingProfiles returns an iterator over copies of every routing profile
// in ID order, with the same page-at-a-time locking and guarantees as Agents.
func (r *Router) RoutingProfiles() iter.Seq2[*RoutingProfile, error] {
	return walkSorted(r, func() map[string]*profileEntry { return r.profiles },
		func(p *profileEntry) *RoutingProfile { return p.RoutingProfile.clone() })
}

// listSorted copies every value of m under the router lock, in key order.
func listSorted[E any, T any](r *Router, m map[string]E, copyOf func(E) T) (out []T, err error) {
	if err := r.rlock(); err != nil {
		return nil, err
	}
	defer runlock(r, &out, &err)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out = make([]T, len(keys))
	for i, k := range keys {
		out[i] = copyOf(m[k])
	}
	return out, nil
}

// walkSorted yields copies of the values of the map m returns, in key order,
// walkPage at a time: the keys are sorted under the lock once, each page is
// copied under the lock, and values are yielded with the lock released.
// m is called with the lock held (the router's maps are only read under it).
func walkSorted[E any, T any](r *Router, m func() map[string]E, copyOf func(E) T) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		if err := r.rlock(); err != nil {
			yield(zero, err)
			return
		}
		keys := make([]string, 0, len(m()))
		for k := range m() {
			keys = append(keys, k)
		}
		r.mu.Unlock()
		slices.Sort(keys)
		page := make([]T, 0, min(walkPage, len(keys)))
		var err error
		for len(keys) > 0 {
			n := min(walkPage, len(keys))
			if err = r.rlock(); err != nil {
				yield(zero, err)
				return
			}
			page = page[:0]
			cur := m()
			for _, k := range keys[:n] {
				if e, ok := cur[k]; ok {
					page = append(page, copyOf(e))
				}
			}
			if runlock(r, &page, &err); err != nil {
				yield(zero, err)
				return
			}
			keys = keys[n:]
			for _, v := range page {
				if !yield(v, nil) {
					return
				}
			}
		}
	}
}

// ---- open tasks ----

// Page sizes of ListTasks.
const (
	// DefaultTaskPageSize is the page size of ListTasks when TaskQuery.PageSize
	// is 0: small enough that a page copies quickly under the router lock.
	DefaultTaskPageSize = 50
	// MaxTaskPageSize is the largest TaskQuery.PageSize, Amazon Connect's
	// search page limit; it bounds the copying one call does under the lock.
	MaxTaskPageSize = 100
)

// TaskQuery selects open tasks (every state but COMPLETED, EXPIRED and
// STOPPED) for ListTasks and Tasks. Empty fields match everything; the
// filters combine with AND. Finished tasks are only in the Store: read them
// with Task.
type TaskQuery struct {
	// States matches tasks in any of these states; they must be open states.
	States []TaskState
	// QueueID matches tasks whose QueueID is this queue. An ID that names no
	// queue matches nothing.
	QueueID string
	// AgentID matches the tasks an agent has to do: those it holds (offered,
	// connected, paused or in after-contact work) and those bound for its
	// agent queue (TargetAgentID: queued there, or scheduled to be). An ID
	// that names no agent matches nothing.
	AgentID string
	// Channel matches tasks on this channel.
	Channel Channel
	// Attributes matches tasks holding every one of these attributes with
	// exactly this value ("caseId": "141" finds the open tasks of a case).
	// Keys and values are checked as CreateTask checks attributes. Scanning
	// attributes adds no index: the cost is that of the other filters.
	Attributes map[string]string
	// PageSize is how many tasks a page holds at most: 1..MaxTaskPageSize, or
	// 0 for DefaultTaskPageSize.
	PageSize int
	// NextToken continues a walk: the NextToken of the previous page of the
	// same query (PageSize may change between pages). Empty starts at the
	// first task.
	NextToken string
}

// TaskPage is one page of ListTasks.
type TaskPage struct {
	// Tasks are copies, in Sequence (creation) order.
	Tasks []*Task
	// NextToken is opaque; pass it in TaskQuery.NextToken for the next page.
	// It is empty when no matching task comes after this page.
	NextToken string
}

// ListTasks returns one page of the open tasks that match q, in Sequence
// (creation) order, so that a host can show work in progress and page
// through it. It is answered from memory and never waits on the Store.
//
// The NextToken carries the last Sequence returned, so paging is stable
// while tasks come and go: no task is returned twice in one walk, and a task
// that matches for the whole walk is returned exactly once. Tasks created
// during the walk are returned if they still match when the walk reaches
// them; tasks that finish before it does are not.
//
// Bad input is a *ValidationError: a PageSize outside 0..MaxTaskPageSize, an
// unknown or finished state, an unknown channel, or a NextToken that this
// query did not return.
//
// Cost, under the router lock, for a page of k tasks: with AgentID, O(h + w)
// for the h tasks the agent holds and the w waiting in its agent queue, plus
// O(open tasks) when SCHEDULED tasks are open and States admits them (a
// scheduled task bound for an agent queue is in no index); with QueueID and
// States exactly QUEUED, O(w) for the w tasks waiting in that queue;
// otherwise O(open tasks). Selecting the page adds O(m log k) for the m
// matches after the token. A full walk therefore costs O(open tasks) per
// page for unselective queries: prefer a selective filter or a large page.
func (r *Router) ListTasks(q TaskQuery) (TaskPage, error) {
	lq, err := parseTaskQuery(&q)
	if err != nil {
		return TaskPage{}, err
	}
	if err := r.rlock(); err != nil {
		return TaskPage{}, err
	}
	es, more := r.taskPage(lq)
	page := TaskPage{Tasks: make([]*Task, len(es))}
	for i, e := range es {
		page.Tasks[i] = e.t.Clone()
	}
	if runlock(r, &page, &err); err != nil {
		return TaskPage{}, err
	}
	if more {
		page.NextToken = lq.token(page.Tasks[len(page.Tasks)-1].Sequence)
	}
	return page, nil
}

// Tasks returns an iterator over copies of every open task that matches q,
// in Sequence order, walking ListTasks pages from q.NextToken (PageSize 0
// means MaxTaskPageSize here). Each page is copied under the router lock and
// yielded with the lock released, so the loop body may call the Router; the
// guarantees and costs are those of ListTasks, per page. An error (bad
// input, ErrClosed) is yielded once as (nil, err) and ends the walk. It
// never waits on the Store.
func (r *Router) Tasks(q TaskQuery) iter.Seq2[*Task, error] {
	if q.PageSize == 0 {
		q.PageSize = MaxTaskPageSize
	}
	return func(yield func(*Task, error) bool) {
		q := q
		for {
			page, err := r.ListTasks(q)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, t := range page.Tasks {
				if !yield(t, nil) {
					return
				}
			}
			if page.NextToken == "" {
				return
			}
			q.NextToken = page.NextToken
		}
	}
}

// taskQuery is a validated TaskQuery.
type taskQuery struct {
	states   [numStates]bool
	anyState bool
	queueID  string
	agentID  string
	ch       int // -1 for any
	attrs    map[string]string
	size     int
	after    uint64 // Sequence of the last task already returned
	hash     uint32 // of the filters, carried by the token
}

// openStates indexes the open states for taskQuery.states.
var openStates = [...]TaskState{StateScheduled, StateInFlow, StateQueued, StateOffered, StateConnected, StatePaused, StateAfterContactWork}

const numStates = len(openStates)

func stateIndex(s TaskState) int { return slices.Index(openStates[:], s) }

// tokenVersion is the first byte of every NextToken, so that the format can
// change without misreading tokens of an older router.
const tokenVersion = 1

func parseTaskQuery(q *TaskQuery) (*taskQuery, error) {
	lq := &taskQuery{queueID: q.QueueID, agentID: q.AgentID, ch: -1, size: q.PageSize, anyState: len(q.States) == 0}
	switch {
	case q.PageSize == 0:
		lq.size = DefaultTaskPageSize
	case q.PageSize < 1 || q.PageSize > MaxTaskPageSize:
		return nil, invalid("PageSize", strconv.Itoa(q.PageSize), "1..100, or 0 for the default of 50")
	}
	for i, s := range q.States {
		x := stateIndex(s)
		if x < 0 {
			return nil, invalid("States["+strconv.Itoa(i)+"]", string(s), "an open task state (finished tasks are read with Task)")
		}
		lq.states[x] = true
	}
	if q.Channel != "" {
		if lq.ch = q.Channel.index(); lq.ch < 0 {
			return nil, invalid("Channel", string(q.Channel), "VOICE, CHAT, TASK or EMAIL")
		}
	}
	if len(q.Attributes) > 0 {
		if err := validateAttributes("Attributes", q.Attributes); err != nil {
			return nil, err
		}
		lq.attrs = q.Attributes
	}
	h := fnv.New32a()
	for i, ok := range lq.states {
		if ok || lq.anyState {
			h.Write([]byte{byte(i)})
		}
	}
	for _, s := range []string{q.QueueID, q.AgentID, string(q.Channel)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	for _, k := range slices.Sorted(maps.Keys(q.Attributes)) {
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write([]byte(q.Attributes[k]))
		h.Write([]byte{0})
	}
	lq.hash = h.Sum32()
	if q.NextToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(q.NextToken)
		if err != nil || len(b) != 13 || b[0] != tokenVersion || binary.BigEndian.Uint32(b[9:]) != lq.hash {
			return nil, invalid("NextToken", q.NextToken, "a NextToken returned by ListTasks for the same filters")
		}
		lq.after = binary.BigEndian.Uint64(b[1:9])
	}
	return lq, nil
}

// token encodes the position after the task with Sequence seq.
func (lq *taskQuery) token(seq uint64) string {
	var b [13]byte
	b[0] = tokenVersion
	binary.BigEndian.PutUint64(b[1:9], seq)
	binary.BigEndian.PutUint32(b[9:], lq.hash)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (lq *taskQuery) admits(s TaskState) bool {
	if lq.anyState {
		return true
	}
	x := stateIndex(s)
	return x >= 0 && lq.states[x]
}

// matches reports whether an open task is in the page's range and filters.
func (lq *taskQuery) matches(t *Task) bool {
	if t.Sequence <= lq.after || !lq.admits(t.State) {
		return false
	}
	if lq.queueID != "" && t.QueueID != lq.queueID {
		return false
	}
	if lq.agentID != "" {
		held := t.State.holdsSlot() && t.AgentID == lq.agentID
		if !held && (t.TargetAgentID != lq.agentID || t.State.holdsSlot()) {
			return false
		}
	}
	for k, v := range lq.attrs {
		if got, ok := t.Attributes[k]; !ok || got != v {
			return false
		}
	}
	return lq.ch < 0 || t.Channel.index() == lq.ch
}

// taskPage returns the entries of the next page of lq, in Sequence order,
// and whether more match after them. Called with r.mu held.
func (r *Router) taskPage(lq *taskQuery) ([]*taskEntry, bool) {
	sel := pageSelect{k: lq.size + 1}
	visit := func(e *taskEntry) {
		if lq.matches(e.t) {
			sel.add(e)
		}
	}
	switch {
	case lq.agentID != "":
		a := r.agents[lq.agentID]
		if a == nil {
			return nil, false
		}
		for e := range a.held {
			visit(e)
		}
		for ch, tree := range a.queue {
			if tree != nil && (lq.ch < 0 || lq.ch == ch) {
				tree.Ascend(func(k taskKey) bool { visit(k.e); return true })
			}
		}
		if r.openByState.get(StateScheduled)+r.openByState.get(StateInFlow) > 0 &&
			(lq.admits(StateScheduled) || lq.admits(StateInFlow)) {
			for _, e := range r.tasks {
				if s := e.t.State; s == StateScheduled || s == StateInFlow {
					visit(e)
				}
			}
		}
	case lq.queueID != "" && !lq.anyState && onlyQueued(lq):
		q := r.queues[lq.queueID]
		if q == nil {
			return nil, false
		}
		for ch, l := range q.lanes {
			if l == nil || (lq.ch >= 0 && lq.ch != ch) {
				continue
			}
			for _, cl := range l.levels[0].classes {
				cl.tree.Ascend(func(k taskKey) bool { visit(k.e); return true })
			}
		}
	default:
		for _, e := range r.tasks {
			visit(e)
		}
	}
	es := sel.sorted()
	if len(es) > lq.size {
		return es[:lq.size], true
	}
	return es, false
}

func onlyQueued(lq *taskQuery) bool {
	for i, ok := range lq.states {
		if ok && openStates[i] != StateQueued {
			return false
		}
	}
	return true
}

// pageSelect keeps the k entries with the smallest Sequence seen so far, as
// a max-heap on Sequence: O(log k) per entry that enters, O(1) per entry
// that does not.
type pageSelect struct {
	k  int
	es []*taskEntry
}

func (s *pageSelect) add(e *taskEntry) {
	seq := e.t.Sequence
	if len(s.es) < s.k {
		s.es = append(s.es, e)
		for i := len(s.es) - 1; i > 0; { // sift up
			p := (i - 1) / 2
			if s.es[p].t.Sequence >= s.es[i].t.Sequence {
				break
			}
			s.es[p], s.es[i] = s.es[i], s.es[p]
			i = p
		}
		return
	}
	if seq >= s.es[0].t.Sequence {
		return
	}
	s.es[0] = e
	for i, n := 0, len(s.es); ; { // sift down
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && s.es[c+1].t.Sequence > s.es[c].t.Sequence {
			c++
		}
		if s.es[i].t.Sequence >= s.es[c].t.Sequence {
			break
		}
		s.es[i], s.es[c] = s.es[c], s.es[i]
		i = c
	}
}

func (s *pageSelect) sorted() []*taskEntry {
	slices.SortFunc(s.es, func(a, b *taskEntry) int { return cmp.Compare(a.t.Sequence, b.t.Sequence) })
	return s.es
}
