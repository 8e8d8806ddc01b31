package switchboard

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// MemoryStore is the in-memory Store: the default when the host has no
// database. It keeps every open task, and finished tasks as its retention
// policy allows (MaxFinished, FinishedTTL: by default the last 10,000), so
// that a process running for months does not grow without bound. It loses
// everything when the process ends. It is safe for concurrent use; set its
// exported fields before its first use.
//
// A MemoryStore copies what it is given and returns copies: Write keeps a
// shallow copy (as the Store contract allows) and reuses the memory of a
// task's earlier version, so updating a stored task allocates nothing; reads
// return deep copies that the caller may change freely.
type MemoryStore struct {
	// MaxFinished is how many finished tasks (completed, stopped, expired,
	// transferred) the store keeps; the oldest finished go first. 0 means
	// DefaultMaxFinished; a negative value keeps every task forever.
	MaxFinished int
	// FinishedTTL, when positive, also drops finished tasks that finished
	// longer than this before the newest finish the store has seen (the
	// store has no clock of its own).
	FinishedTTL time.Duration
	// MaxRecords is how many contact records of ended segments the store
	// keeps as a RecordStore (memstore_records.go), the oldest ended going
	// first; records of segments in progress are always kept. 0 means
	// DefaultMaxRecords; a negative value keeps every record.
	MaxRecords int

	mu       sync.RWMutex
	tasks    map[string]*Task
	tokens   map[string]string   // ClientToken → ID of the newest task with it
	chains   map[string][]string // InitialTaskID → IDs of the tasks with it
	agents   map[string]*Agent
	queues   map[string]*Queue
	profiles map[string]*RoutingProfile
	// templates and quickConnects implement TemplateStore
	// (memstore_template.go); nil until the first put.
	templates     map[string]*TaskTemplate
	quickConnects map[string]*QuickConnect
	flows         memFlowRuns // FlowStore (memstore_flow.go)
	// pending is scratch space for Write, used under mu: the version each
	// task ID reaches earlier in a large change.
	pending map[string]int64
	lastSeq uint64 // highest Task.Sequence written
	lastEvt uint64 // highest Event.Seq written
	slab    []Task // unused task records, carved off one at a time
	found   *Task  // scratch: the stored record checkTasks found last
	// last and lastAgent are the task and agent records written last: a
	// router writes one task (or agent) several times in a row (complete,
	// then close; offer, then accept), and finds it here without a lookup
	// in a map of every task. nil, or records held in tasks and agents.
	last      *Task
	lastAgent *Agent
	keep      retention
	// records implement RecordStore (memstore_records.go).
	recOnce sync.Once
	records *memRecords
}

const memSlabSize = 64

// memHandle names a MemoryStore's record of a task. The router keeps the
// handle of each open task it wrote and passes it back with the task's next
// change (Change.handles), so that the store finds the record without a
// lookup in a map of every task. A handle is only a hint: the store uses it
// when it is its own and the record still holds a task with that ID (records
// of dropped tasks are zeroed before reuse), and looks the ID up otherwise.
type memHandle struct {
	s *MemoryStore
	t *Task
}

// memAgentHandle is memHandle for an agent's record. Records of deleted
// agents are zeroed, so that a handle of one never matches.
type memAgentHandle struct {
	s *MemoryStore
	a *Agent
}

// memOverlayMin is the number of tasks in one change from which Write looks up
// earlier versions of the same ID in a map rather than by scanning the change.
const memOverlayMin = 16

// NewMemoryStore returns an empty MemoryStore. The zero MemoryStore is
// empty and ready to use too.
func NewMemoryStore() *MemoryStore {
	s := &MemoryStore{}
	s.init()
	return s
}

// init makes the maps of a zero MemoryStore. s.mu must be held for writing.
func (s *MemoryStore) init() {
	s.tasks = make(map[string]*Task)
	s.tokens = make(map[string]string)
	s.chains = make(map[string][]string)
	s.agents = make(map[string]*Agent)
	s.queues = make(map[string]*Queue)
	s.profiles = make(map[string]*RoutingProfile)
	s.pending = make(map[string]int64)
}

var (
	errMemNilTask    = errors.New("switchboard: memory store: nil task in change")
	errMemNilAgent   = errors.New("switchboard: memory store: nil agent in change")
	errMemNilQueue   = errors.New("switchboard: memory store: nil queue in change")
	errMemNilProfile = errors.New("switchboard: memory store: nil routing profile in change")
)

// Write applies every record of c, or none of them. A task's Version must be
// one more than that of the stored task with its ID, or 1 for a new ID; when
// c holds one ID more than once, each later entry must be one more than the
// entry before it. Otherwise Write returns an error matching ErrConflict and
// stores nothing. Agents, queues and routing profiles replace any stored
// record with the same ID.
func (s *MemoryStore) Write(ctx context.Context, c *Change) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c == nil {
		return nil
	}
	for _, a := range c.Agents {
		if a == nil {
			return errMemNilAgent
		}
	}
	for _, q := range c.Queues {
		if q == nil {
			return errMemNilQueue
		}
	}
	for _, p := range c.Profiles {
		if p == nil {
			return errMemNilProfile
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tasks == nil {
		s.init()
	}
	if err := s.checkTasks(c.Tasks, c.handles); err != nil {
		return err
	}
	for i := range c.Events {
		s.lastEvt = max(s.lastEvt, c.Events[i].Seq)
	}
	if len(c.Tasks) == 1 {
		// The common case: checkTasks already looked the task up.
		s.last = s.putTask(c.Tasks[0], s.found)
		s.found = nil
		s.handOut(c, 0)
	} else {
		for i, t := range c.Tasks {
			s.last = s.putTask(t, s.tasks[t.ID])
			s.handOut(c, i)
		}
	}
	for i, a := range c.Agents {
		var rec *Agent
		if i < len(c.agentHandles) {
			if h := c.agentHandles[i]; h.s == s && h.a != nil && a.ID != "" && h.a.ID == a.ID {
				rec = h.a
			}
		}
		if la := s.lastAgent; rec == nil && la != nil && la.ID == a.ID {
			rec = la
		}
		if rec != nil {
			*rec = *a
		} else {
			rec = memPut(s.agents, a.ID, a)
		}
		s.lastAgent = rec
		if i < len(c.agentHandles) {
			c.agentHandles[i] = memAgentHandle{s, rec}
		}
	}
	for _, q := range c.Queues {
		memPut(s.queues, q.ID, q)
	}
	for _, p := range c.Profiles {
		memPut(s.profiles, p.ID, p)
	}
	for _, id := range c.DeleteAgents {
		if rec := s.agents[id]; rec != nil {
			*rec = Agent{} // a handle of it must not match again
		}
		delete(s.agents, id)
		s.lastAgent = nil
	}
	for _, id := range c.DeleteQueues {
		delete(s.queues, id)
	}
	for _, id := range c.DeleteProfiles {
		delete(s.profiles, id)
	}
	s.prune()
	return nil
}

// handOut gives the writer the handle of the record of c.Tasks[i], which
// s.last holds, when the change carries handles.
func (s *MemoryStore) handOut(c *Change, i int) {
	if i < len(c.handles) {
		c.handles[i] = memHandle{s, s.last}
	}
}

// record returns the stored record of t when h names it, or nil.
func (s *MemoryStore) record(h memHandle, t *Task) *Task {
	if h.s == s && h.t != nil && t.ID != "" && h.t.ID == t.ID {
		return h.t
	}
	return nil
}

// memPut stores a copy of *v under id, reusing the stored record's memory,
// and returns the record.
func memPut[V any](m map[string]*V, id string, v *V) *V {
	if old := m[id]; old != nil {
		*old = *v
		return old
	}
	cp := new(V)
	*cp = *v
	m[id] = cp
	return cp
}

// memClone returns a deep copy of a stored task: a reader may change anything
// in it without touching the store or the router, which share the stored
// task's maps.
func memClone(t *Task) *Task { return t.Clone() }

// checkTasks verifies the versions of tasks against the store and against
// earlier entries of tasks with the same ID; handles, when given, name the
// records of tasks. s.mu must be held for writing.
func (s *MemoryStore) checkTasks(tasks []*Task, handles []memHandle) error {
	useMap := len(tasks) >= memOverlayMin
	if useMap {
		defer clear(s.pending)
	}
	for i, t := range tasks {
		if t == nil {
			return errMemNilTask
		}
		var prev int64
		found := false
		if useMap {
			prev, found = s.pending[t.ID]
		} else {
			for j := i - 1; j >= 0; j-- {
				if tasks[j].ID == t.ID {
					prev, found = tasks[j].Version, true
					break
				}
			}
		}
		if !found {
			var old *Task
			if i < len(handles) {
				old = s.record(handles[i], t)
			}
			if old == nil {
				old = s.record(memHandle{s, s.last}, t)
			}
			if old == nil {
				old = s.tasks[t.ID]
			}
			if old != nil {
				prev = old.Version
			}
			s.found = old
		}
		if t.Version != prev+1 {
			return fmt.Errorf("%w: task %q has version %d, stored %d", ErrConflict, t.ID, t.Version, prev)
		}
		if useMap {
			s.pending[t.ID] = t.Version
		}
	}
	return nil
}

// putTask stores a copy of t, whose stored record is old (nil if none),
// updates the indexes and returns the record. s.mu must be held for
// writing. Chains are recorded only for linked tasks (InitialTaskID other
// than their own ID); Chain answers for an unlinked task from s.tasks.
func (s *MemoryStore) putTask(t *Task, old *Task) *Task {
	s.lastSeq = max(s.lastSeq, t.Sequence)
	finishing := t.State.Final() && (old == nil || !old.State.Final())
	rec := old
	if old != nil {
		if old.InitialTaskID != t.InitialTaskID {
			if old.InitialTaskID != old.ID {
				s.unchain(old.InitialTaskID, t.ID)
			}
			s.chain(t)
		}
		oldToken := old.ClientToken
		*old = *t
		if oldToken != "" && oldToken != t.ClientToken && s.tokens[oldToken] == t.ID {
			s.retoken(oldToken)
		}
	} else {
		// Records come from pruned tasks or are carved from chunks: that
		// spares the allocator one large object per task.
		cp := s.keep.reuse()
		if cp == nil {
			if len(s.slab) == 0 {
				s.slab = make([]Task, memSlabSize)
			}
			cp = &s.slab[0]
			s.slab = s.slab[1:]
		}
		*cp = *t
		s.tasks[t.ID] = cp
		s.chain(t)
		rec = cp
	}
	if finishing {
		s.keep.finished(rec)
	}
	if t.ClientToken != "" {
		cur, ok := s.tokens[t.ClientToken]
		if !ok || cur == t.ID || s.tasks[cur].Sequence <= t.Sequence {
			s.tokens[t.ClientToken] = t.ID
		}
	}
	return rec
}

// chain records a linked task under its InitialTaskID.
func (s *MemoryStore) chain(t *Task) {
	if t.InitialTaskID == "" || t.InitialTaskID == t.ID {
		return
	}
	s.chains[t.InitialTaskID] = append(s.chains[t.InitialTaskID], t.ID)
}

// unchain removes id from the chain of initialID.
func (s *MemoryStore) unchain(initialID, id string) {
	ids := slices.DeleteFunc(s.chains[initialID], func(x string) bool { return x == id })
	if len(ids) == 0 {
		delete(s.chains, initialID)
		return
	}
	s.chains[initialID] = ids
}

// retoken points token at the newest task still carrying it, after the task it
// pointed at changed its ClientToken. Rare: the router never does that.
func (s *MemoryStore) retoken(token string) {
	var newest *Task
	for _, t := range s.tasks {
		if t.ClientToken == token && (newest == nil || t.Sequence > newest.Sequence) {
			newest = t
		}
	}
	if newest == nil {
		delete(s.tokens, token)
		return
	}
	s.tokens[token] = newest.ID
}

// Task returns the stored task with id, or an error matching ErrNotFound.
func (s *MemoryStore) Task(ctx context.Context, id string) (*Task, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.tasks[id]
	if t == nil {
		return nil, s.taskNotFound(id)
	}
	return memClone(t), nil
}

// TaskByClientToken returns the task with the highest Sequence among those
// whose ClientToken is token, or an error matching ErrNotFound. The empty
// token matches no task.
func (s *MemoryStore) TaskByClientToken(ctx context.Context, token string) (*Task, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var t *Task
	if token != "" {
		s.mu.RLock()
		if id, ok := s.tokens[token]; ok {
			t = memClone(s.tasks[id])
		}
		s.mu.RUnlock()
	}
	if t == nil {
		return nil, notFound("task with client token", token)
	}
	return t, nil
}

// Chain returns every stored task whose InitialTaskID is initialTaskID, in
// Sequence order; none (and no error) when there is no such task. The empty
// ID matches no task.
func (s *MemoryStore) Chain(ctx context.Context, initialTaskID string) ([]*Task, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if initialTaskID == "" {
		return nil, nil
	}
	s.mu.RLock()
	ids := s.chains[initialTaskID]
	var out []*Task
	// The chain's first task is not in s.chains (see putTask).
	if t := s.tasks[initialTaskID]; t != nil && t.InitialTaskID == initialTaskID {
		out = append(out, memClone(t))
	}
	for _, id := range ids {
		out = append(out, memClone(s.tasks[id]))
	}
	s.mu.RUnlock()
	slices.SortFunc(out, memBySequence)
	return out, nil
}

// Load returns every queue, routing profile and agent, each sorted by ID, and
// every task whose State is not final, sorted by Sequence.
func (s *MemoryStore) Load(ctx context.Context) (*Snapshot, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	snap := &Snapshot{
		Queues:   memSortedByID(s.queues, func(q *Queue) string { return q.ID }, (*Queue).clone),
		Profiles: memSortedByID(s.profiles, func(p *RoutingProfile) string { return p.ID }, (*RoutingProfile).clone),
		Agents:   memSortedByID(s.agents, func(a *Agent) string { return a.ID }, (*Agent).clone),

		LastSequence: s.lastSeq,
		LastEventSeq: s.lastEvt,
	}
	for _, t := range s.tasks {
		if !t.State.Final() {
			snap.OpenTasks = append(snap.OpenTasks, memClone(t))
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(snap.OpenTasks, memBySequence)
	return snap, nil
}

// Len returns the number of tasks stored, open or finished.
func (s *MemoryStore) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.tasks)
}

func memBySequence(a, b *Task) int {
	return cmp.Or(cmp.Compare(a.Sequence, b.Sequence), cmp.Compare(a.ID, b.ID))
}

func memSortedByID[V any](m map[string]*V, id func(*V) string, clone func(*V) *V) []*V {
	out := make([]*V, 0, len(m))
	for _, v := range m {
		out = append(out, clone(v))
	}
	slices.SortFunc(out, func(a, b *V) int { return cmp.Compare(id(a), id(b)) })
	return out
}
