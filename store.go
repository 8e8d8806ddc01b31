package switchboard

import (
	"context"
	"errors"
)

// Store is where the router keeps its state. The host implements it over its
// own database; NewMemoryStore is the in-memory default. Every change the
// router acknowledges has been written with Write first, and NewRouter
// rebuilds everything from Load, so a restarted router continues exactly.
//
// Ownership follows database/sql/driver: the records in a Change belong to
// the router and are valid only during Write, so a store copies what it
// keeps. Inside a Task, the Attributes and References maps, the RejectedBy
// slice and the RoutingCriteria are never modified in place by the router (a
// change replaces them), so a shallow copy of the Task struct is enough to
// keep. Records a store returns belong to the caller, who may modify them:
// return deep copies (Task.Clone) or freshly decoded values.
//
// Implementations must be safe for concurrent use. The storetest package is a
// conformance suite every Store should pass.
//
// Optional capabilities are found by type assertion on the Store:
// GroupWriter (group commit: the router then never holds its lock across a
// round trip, see commit.go), TemplateStore, FlowStore and RecordStore. A
// store over a real database should implement GroupWriter.
type Store interface {
	// Write applies every record of c atomically: all or nothing. A task's
	// Version must be exactly one more than the stored task's (1 for a task
	// not yet stored); otherwise Write returns an error matching ErrConflict
	// and applies nothing. A task listed twice in one change is checked in
	// order: the second entry's Version must follow the first's.
	Write(ctx context.Context, c *Change) error
	// Task returns the task with id, open or finished, or an error matching
	// ErrNotFound.
	Task(ctx context.Context, id string) (*Task, error)
	// TaskByClientToken returns the most recently created task with the given
	// ClientToken, or an error matching ErrNotFound.
	TaskByClientToken(ctx context.Context, token string) (*Task, error)
	// Chain returns every task whose InitialTaskID is id, in Sequence order.
	Chain(ctx context.Context, initialTaskID string) ([]*Task, error)
	// Load returns the queues, routing profiles and agents, every task not in
	// a final state, and the highest task Sequence ever written.
	Load(ctx context.Context) (*Snapshot, error)
}

// Change is one atomic write: records to insert or replace, keyed by ID, and
// IDs of agents, queues and routing profiles to delete. Tasks are never
// deleted.
type Change struct {
	Tasks    []*Task
	Agents   []*Agent
	Queues   []*Queue
	Profiles []*RoutingProfile

	DeleteAgents   []string
	DeleteQueues   []string
	DeleteProfiles []string

	// Events are the events this change causes, numbered in Seq order, to be
	// published once Write succeeds. A store must keep at least the highest
	// Seq it was ever given (Snapshot.LastEventSeq), so that the event log
	// continues without a repeated Seq after a restart; a store may also keep
	// the events themselves, in the same transaction, as an outbox. A change
	// may carry only Events (Close writes the Seqs of events no change
	// carried). Like the rest of the change, the slice is valid only during
	// Write.
	Events []Event

	// handles[i], when set, is the MemoryStore record of Tasks[i] as the
	// router last wrote it: the default store finds the task there without
	// a lookup by ID, and updates it. Other stores never see it.
	handles []memHandle
	// agentHandles[i] is the same for Agents[i].
	agentHandles []memAgentHandle
}

func (c *Change) reset() {
	clear(c.handles)
	c.handles = c.handles[:0]
	clear(c.agentHandles)
	c.agentHandles = c.agentHandles[:0]
	clear(c.Tasks)
	clear(c.Agents)
	clear(c.Queues)
	clear(c.Profiles)
	c.Tasks, c.Agents, c.Queues, c.Profiles = c.Tasks[:0], c.Agents[:0], c.Queues[:0], c.Profiles[:0]
}

// Snapshot is what Store.Load returns.
type Snapshot struct {
	Queues    []*Queue
	Profiles  []*RoutingProfile
	Agents    []*Agent
	OpenTasks []*Task // tasks whose State is not final, in any order
	// LastSequence is the highest Task.Sequence ever written, open or
	// finished, so that a restarted router never hands one out twice.
	LastSequence uint64
	// LastEventSeq is the highest Event.Seq ever written with a Change, so
	// that a restarted router continues the event log after it.
	LastEventSeq uint64
}

var errNilSnapshot = errors.New("store returned no snapshot and no error")
