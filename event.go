package switchboard

import (
	"context"
	"iter"
	"slices"
	"sync"
	"time"
)

// EventType names a lifecycle event.
type EventType string

// Event types.
const (
	EventTaskCreated          EventType = "task.created"
	EventTaskScheduled        EventType = "task.scheduled"
	EventTaskQueued           EventType = "task.queued"
	EventTaskOffered          EventType = "task.offered"
	EventTaskAccepted         EventType = "task.accepted" // connected to the agent
	EventTaskRejected         EventType = "task.rejected"
	EventTaskMissed           EventType = "task.missed" // offer timed out
	EventTaskPaused           EventType = "task.paused"
	EventTaskResumed          EventType = "task.resumed"
	EventTaskAfterContactWork EventType = "task.after_contact_work"
	EventTaskCompleted        EventType = "task.completed"
	EventTaskTransferred      EventType = "task.transferred"
	EventTaskStopped          EventType = "task.stopped"
	EventTaskExpired          EventType = "task.expired"
	EventTaskUpdated          EventType = "task.updated" // attributes, priority, age or criteria changed
	EventTaskRoutingStep      EventType = "task.routing_step"
	EventTaskPriorityAged     EventType = "task.priority_aged"
	EventAgentUpdated         EventType = "agent.updated" // created or configuration replaced (PutAgent)
	EventAgentDeleted         EventType = "agent.deleted"
	EventAgentStatusChanged   EventType = "agent.status_changed"
	EventAgentCleared         EventType = "agent.cleared"
	// Configuration events, so that consumers (real-time metrics' slot
	// capacities, a host's cache) can follow queues and routing profiles;
	// the new value is read with Router.Queue or Router.RoutingProfile.
	EventQueueUpdated          EventType = "queue.updated" // created or replaced (PutQueue)
	EventQueueDeleted          EventType = "queue.deleted"
	EventRoutingProfileUpdated EventType = "routing_profile.updated" // created or replaced
	EventRoutingProfileDeleted EventType = "routing_profile.deleted"
	// EventError reports work the router did on its own (a timer, a follow-up
	// offer) that failed because the Store refused it; Err says why. The router
	// retries timers after Config.RetryInterval.
	EventError EventType = "router.error"
	// Flow events (flow_router.go). EventFlowStarted: the task entered
	// IN_FLOW (created with a flow, or scheduled and due); FlowID names the
	// flow. EventFlowEnded: the task left its flow (FlowOutcome, FlowAction
	// the terminal action, Duration the time in the flow, Err why a failed
	// flow failed). EventFlowAction, published only when the runner is asked
	// to (FlowRunnerOptions.LogActions): one action run, FlowAction.
	EventFlowStarted EventType = "flow.started"
	EventFlowEnded   EventType = "flow.ended"
	EventFlowAction  EventType = "flow.action"
)

// Event is one lifecycle event. Seq increases by one per event for the life
// of the data: it continues across restarts (the store keeps the highest
// Seq written, Snapshot.LastEventSeq), so gaps never occur and order is
// total.
//
// An event carries what a consumer needs without reading the task back. Task
// events describe the task as the event left it; fields that do not apply are
// zero.
type Event struct {
	Seq    uint64
	Type   EventType
	Time   time.Time
	TaskID string
	// AgentID is the agent the event concerns: the one offered, holding,
	// rejecting or missing the task, the agent whose agent queue holds it, or
	// the agent of an agent event.
	AgentID          string
	QueueID          string // the task's queue ("" for a task in an agent queue)
	Channel          Channel
	RoutingProfileID string // the routing profile of AgentID, when there is one
	InitiationMethod InitiationMethod
	Priority         int         // the priority the task routes with (Task.EffectivePriority)
	PreviousState    TaskState   // the task's state before the event ("" for a new task)
	State            TaskState   // the task's state after the event
	Version          int64       // the task's Version after the event
	OfferExpiresAt   time.Time   // for EventTaskOffered: when the offer times out
	Status           AgentStatus // for agent events: the agent's status
	// RelatedTaskID is the new segment for EventTaskTransferred.
	RelatedTaskID string
	// For task events, the task's ScheduledAt and ExpiresAt, the first
	// task of its chain (InitialTaskID), and why it ended
	// (DisconnectReason, set once it has), as contact records want them.
	ScheduledAt      time.Time
	ExpiresAt        time.Time
	InitialTaskID    string
	DisconnectReason DisconnectReason
	// FlowID is the flow of a flow event; FlowAction the identifier of the
	// action it concerns (the terminal action for EventFlowEnded).
	FlowID      string
	FlowAction  string
	FlowOutcome FlowOutcome   // for EventFlowEnded: how the flow ended
	Duration    time.Duration // for EventFlowEnded: time the task spent in the flow
	Err         error         // for EventError; for EventFlowEnded, why a flow failed
}

// SubscribeOptions configures a Subscription.
type SubscribeOptions struct {
	// MaxPending is how many undelivered events the subscription may hold.
	// Past it the subscription is cut off: Next returns ErrSubscriberTooSlow
	// after the events already held. 0 means DefaultMaxPending; -1 unlimited.
	MaxPending int
	// Filter selects the events the subscription receives; nil: all.
	// Filtered-out events do not count towards MaxPending.
	Filter *EventFilter
}

// DefaultMaxPending is the default SubscribeOptions.MaxPending.
const DefaultMaxPending = 1 << 16

// Subscription receives the router's events in order. Publishing never
// blocks the router: events wait in the subscription until Next takes them.
// A subscription is safe for concurrent use.
type Subscription struct {
	mu     sync.Mutex
	buf    []Event
	head   int
	max    int
	err    error         // ErrSubscriberTooSlow or ErrClosed once ended
	cutSeq uint64        // Seq of the first event refused when cut off
	signal chan struct{} // one wake-up per publish
	done   chan struct{} // closed when the subscription ends: wakes every Next
	filter *EventFilter
	r      *Router
}

func newSubscription(r *Router, opts *SubscribeOptions) *Subscription {
	max := DefaultMaxPending
	if opts != nil && opts.MaxPending != 0 {
		max = opts.MaxPending
	}
	s := &Subscription{max: max, signal: make(chan struct{}, 1), done: make(chan struct{}), r: r}
	if opts != nil && opts.Filter != nil {
		f := *opts.Filter
		f.Types = slices.Clone(f.Types)
		s.filter = &f
	}
	return s
}

// publish delivers e; it reports false once the subscription has ended, so
// the router can forget it.
func (s *Subscription) publish(e *Event) bool {
	if !s.filter.Match(e) {
		return true
	}
	s.mu.Lock()
	if s.err != nil {
		s.mu.Unlock()
		return false
	}
	if s.max > 0 && len(s.buf)-s.head >= s.max {
		s.err = ErrSubscriberTooSlow
		s.cutSeq = e.Seq
		close(s.done)
		s.mu.Unlock()
		return false
	}
	if s.head > 0 && s.head >= len(s.buf)/2 {
		// Compact: taken events are at least half the buffer, so the copy
		// is paid for by the Next calls that took them.
		n := copy(s.buf, s.buf[s.head:])
		clear(s.buf[n:])
		s.buf, s.head = s.buf[:n], 0
	}
	s.buf = append(s.buf, *e)
	s.mu.Unlock()
	select {
	case s.signal <- struct{}{}:
	default:
	}
	return true
}

func (s *Subscription) end(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = err
		close(s.done)
	}
}

// Next returns the next event, waiting until one arrives, ctx is done, or the
// subscription ends (ErrClosed after Close or Router.Close;
// ErrSubscriberTooSlow after falling MaxPending events behind).
func (s *Subscription) Next(ctx context.Context) (Event, error) {
	for {
		s.mu.Lock()
		if s.head < len(s.buf) {
			e := s.buf[s.head]
			s.buf[s.head] = Event{}
			s.head++
			s.mu.Unlock()
			return e, nil
		}
		err := s.err
		s.mu.Unlock()
		if err != nil {
			return Event{}, err
		}
		select {
		case <-s.signal:
		case <-s.done:
		case <-ctx.Done():
			return Event{}, ctx.Err()
		}
	}
}

// Events returns an iterator over the subscription's events: each event with
// a nil error, waiting for the next as Next does, until ctx ends or the
// subscription ends; the error that ended it is then yielded once with a
// zero Event. Breaking out of the loop leaves the subscription open.
func (s *Subscription) Events(ctx context.Context) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for {
			e, err := s.Next(ctx)
			if err != nil {
				yield(Event{}, err)
				return
			}
			if !yield(e, nil) {
				return
			}
		}
	}
}

// Drain returns every event already delivered and not yet taken, without
// waiting.
func (s *Subscription) Drain() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]Event(nil), s.buf[s.head:]...)
	s.buf, s.head = s.buf[:0], 0
	return out
}

// Pending reports how many events wait to be taken.
func (s *Subscription) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.buf) - s.head
}

// Dropped reports how many of the router's events a subscription cut off
// for falling behind (ErrSubscriberTooSlow) did not receive: every event from
// the one that found it full to the latest. It is 0 for a subscription that
// is live or was closed.
func (s *Subscription) Dropped() uint64 {
	s.mu.Lock()
	cut := s.cutSeq
	s.mu.Unlock()
	if cut == 0 || s.r == nil {
		return 0
	}
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	return s.r.eventSeq - cut + 1
}

// Close ends the subscription; Next returns an error matching ErrClosed
// ("switchboard: subscription closed") once the events already held are
// taken.
func (s *Subscription) Close() {
	if s.r != nil {
		s.r.unsubscribe(s)
	}
	s.end(errSubscriptionClosed)
}

// errSubscriptionClosed is what Next returns after Subscription.Close: it
// matches ErrClosed, without saying the router closed when it did not.
var errSubscriptionClosed error = closedError("switchboard: subscription closed")

type closedError string

func (e closedError) Error() string        { return string(e) }
func (e closedError) Is(target error) bool { return target == ErrClosed }
