package switchboard

import (
	"fmt"
	"time"
)

// DefaultMaxFinished is MemoryStore.MaxFinished when it is 0: about 12 MB of
// finished tasks of typical size, enough for a day or more of a small
// contact center's history, and a bound a host running for months can live
// with. Completed work meant to be kept belongs in a durable store.
const DefaultMaxFinished = 10_000

// pruneBudget bounds the finished tasks one Write examines, so that pruning
// costs a constant amount per write however many tasks are due.
const pruneBudget = 16

// retention is the MemoryStore's record of finished tasks in the order they
// finished, from which the oldest are pruned.
type retention struct {
	queue  []finishedTask // finished tasks, oldest first from head
	head   int
	newest time.Time // the latest finish seen: the store's notion of now
	pruned uint64    // tasks dropped so far
	free   []*Task   // records of pruned tasks, for reuse
}

type finishedTask struct {
	t  *Task  // the stored record: records are reused only after drop
	id string // t.ID when queued, to notice a record replaced since
	at time.Time
}

const maxFreeRecords = 1024

// finished records that t has just reached a final state.
func (k *retention) finished(t *Task) {
	at := finishTime(t)
	if at.After(k.newest) {
		k.newest = at
	}
	k.queue = append(k.queue, finishedTask{t: t, id: t.ID, at: at})
}

// finishTime is when a task ended: its last lifecycle timestamp.
func finishTime(t *Task) time.Time {
	at := t.InitiatedAt
	for _, x := range [...]time.Time{t.DisconnectedAt, t.AfterContactWorkEnd, t.ScheduledAt, t.EnqueuedAt} {
		if x.After(at) {
			at = x
		}
	}
	return at
}

func (k *retention) len() int { return len(k.queue) - k.head }

func (k *retention) pop() finishedTask {
	f := k.queue[k.head]
	k.queue[k.head] = finishedTask{}
	k.head++
	if k.head >= len(k.queue)/2 && k.head >= 64 {
		n := copy(k.queue, k.queue[k.head:])
		clear(k.queue[n:])
		k.queue, k.head = k.queue[:n], 0
	}
	return f
}

// reuse returns the zeroed record of a pruned task, or nil.
func (k *retention) reuse() *Task {
	n := len(k.free)
	if n == 0 {
		return nil
	}
	t := k.free[n-1]
	k.free[n-1] = nil
	k.free = k.free[:n-1]
	return t
}

func (s *MemoryStore) maxFinished() int {
	if s.MaxFinished == 0 {
		return DefaultMaxFinished
	}
	return s.MaxFinished
}

// prune drops the oldest finished tasks while the store holds more than
// MaxFinished of them or they are older than FinishedTTL, never one still
// needed (see needed). s.mu must be held for writing.
func (s *MemoryStore) prune() {
	k := &s.keep
	limit := s.maxFinished()
	for range pruneBudget {
		if k.len() == 0 {
			return
		}
		f := k.queue[k.head]
		over := limit >= 0 && k.len() > limit
		old := s.FinishedTTL > 0 && k.newest.Sub(f.at) > s.FinishedTTL
		if !over && !old {
			return
		}
		k.pop()
		t := f.t
		if t.ID != f.id || !t.State.Final() {
			continue
		}
		if s.needed(t) {
			// Look again once the newer finished tasks have had their turn.
			k.queue = append(k.queue, finishedTask{t: t, id: f.id, at: k.newest})
			continue
		}
		s.drop(t)
	}
}

// needed reports whether a finished task must stay: a task of its chain is
// still open (attribute updates propagate along the chain, and an open
// segment links back to it), or it is the task its ClientToken returns and
// the token is younger than ClientTokenTTLDefault (a router started over the
// store asks for it to keep creation idempotent).
func (s *MemoryStore) needed(t *Task) bool {
	if t.ClientToken != "" && s.tokens[t.ClientToken] == t.ID && s.keep.newest.Sub(t.InitiatedAt) < ClientTokenTTLDefault {
		return true
	}
	initial := t.InitialTaskID
	if initial == "" {
		return false
	}
	linked := s.chains[initial]
	if len(linked) == 0 {
		return false // a task alone in its chain, and finished
	}
	if first := s.tasks[initial]; first != nil && !first.State.Final() {
		return true
	}
	for _, id := range linked {
		if c := s.tasks[id]; c != nil && !c.State.Final() {
			return true
		}
	}
	return false
}

// drop removes a finished task and every index entry naming it.
func (s *MemoryStore) drop(t *Task) {
	delete(s.tasks, t.ID)
	if s.last == t {
		s.last = nil
	}
	if t.InitialTaskID != "" && t.InitialTaskID != t.ID {
		s.unchain(t.InitialTaskID, t.ID)
	}
	if t.ClientToken != "" && s.tokens[t.ClientToken] == t.ID {
		delete(s.tokens, t.ClientToken)
	}
	s.keep.pruned++
	*t = Task{}
	if len(s.keep.free) < maxFreeRecords {
		s.keep.free = append(s.keep.free, t)
	}
}

// taskNotFound is the error for a task the store does not hold. Once the
// store has pruned anything, it says that the task may have been pruned.
// s.mu must be held.
func (s *MemoryStore) taskNotFound(id string) error {
	if s.keep.pruned == 0 {
		return notFound("task", id)
	}
	return &NotFoundError{Kind: "task", ID: id, Reason: fmt.Sprintf(
		"the memory store keeps the last %d finished tasks and has pruned %d; a finished task may be among them",
		s.maxFinished(), s.keep.pruned)}
}

// Pruned reports how many finished tasks the store has dropped under its
// retention policy.
func (s *MemoryStore) Pruned() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.keep.pruned
}
