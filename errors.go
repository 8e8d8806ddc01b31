package switchboard

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// Sentinel errors. Callers match them with errors.Is; typed errors below wrap
// them so that both the category and the details are available.
var (
	// ErrNotFound is returned when a task, queue, routing profile or agent does not exist.
	ErrNotFound = errors.New("switchboard: not found")
	// ErrInvalidState is returned when an operation is not legal in the task's or agent's current state.
	ErrInvalidState = errors.New("switchboard: invalid state")
	// ErrValidation is matched by every *ValidationError.
	ErrValidation = errors.New("switchboard: invalid input")
	// ErrQueueAtCapacity is returned when a queue already holds MaxContacts tasks.
	// A flow sees it as the QueueAtCapacity branch.
	ErrQueueAtCapacity = errors.New("switchboard: queue at capacity")
	// ErrQueueDisabled is returned when new work is sent to a disabled queue.
	ErrQueueDisabled = errors.New("switchboard: queue disabled")
	// ErrLimitExceeded is returned when a per-task quota is exhausted (transfers,
	// reschedules, pauses, tasks linked to one chain).
	ErrLimitExceeded = errors.New("switchboard: limit exceeded")
	// ErrConflict is returned by a Store when a write carries a stale Version, and
	// by the router when a store reports one.
	ErrConflict = errors.New("switchboard: version conflict")
	// ErrClosed is returned by every Router method after Close.
	ErrClosed = errors.New("switchboard: router closed")
	// ErrStorePanicked is matched by the *StoreError of a Store method that
	// panicked. The router recovers the panic. A panicking write counts as
	// refused: a direct operation returns the error and changes nothing; the
	// router's own work (a timer, a follow-up offer) reports it as a
	// router.error event and retries after Config.RetryInterval. A panicking
	// read (Task, TaskByClientToken, Chain, Load, a TemplateStore's loads)
	// fails the call that needed it, NewRouter included.
	ErrStorePanicked = errors.New("switchboard: store panicked")
	// ErrSubscriberTooSlow is returned by Subscription.Next once the subscription
	// fell further behind than its MaxPending and was cut off.
	ErrSubscriberTooSlow = errors.New("switchboard: subscriber too slow")
)

// ValidationError reports one invalid input field. Field is the path of the
// field ("Attributes[customer id]", "RoutingCriteria.Steps[1].Requirement"),
// Limit states the rule it broke.
type ValidationError struct {
	Field string // which field, as a Go-ish path
	Value string // the offending value, shortened; empty when not useful
	Limit string // the rule that was broken, e.g. "at most 1024 characters"
}

func (e *ValidationError) Error() string {
	if e.Value != "" {
		return fmt.Sprintf("switchboard: invalid %s %q: %s", e.Field, e.Value, e.Limit)
	}
	return fmt.Sprintf("switchboard: invalid %s: %s", e.Field, e.Limit)
}

// Is makes errors.Is(err, ErrValidation) true for every *ValidationError.
func (e *ValidationError) Is(target error) bool { return target == ErrValidation }

func invalid(field, value, limit string) *ValidationError {
	return &ValidationError{Field: field, Value: shorten(value), Limit: limit}
}

// shorten cuts a value quoted in an error message to at most 64 bytes, on a
// rune boundary, so that a hostile 10 MB ID gives a short message.
func shorten(value string) string {
	if len(value) <= 64 {
		return value
	}
	cut := 61
	for cut > 0 && !utf8.RuneStart(value[cut]) {
		cut--
	}
	return value[:cut] + "..."
}

// StateError reports an operation that is not legal in the current state.
// It matches ErrInvalidState.
type StateError struct {
	Op     string // the operation attempted, e.g. "Accept"
	TaskID string // the task, if any
	State  string // the state found (for other objects, a description of it)
	Want   string // what the operation needs, e.g. "OFFERED to agent ana"
}

func (e *StateError) Error() string {
	if e.TaskID == "" {
		// State describes the object itself, e.g. "agent ana holds 2 task(s)".
		return fmt.Sprintf("switchboard: %s: %s; needs %s", e.Op, e.State, e.Want)
	}
	return fmt.Sprintf("switchboard: %s: task %s is %s, needs %s", e.Op, e.TaskID, e.State, e.Want)
}

// Is makes errors.Is(err, ErrInvalidState) true.
func (e *StateError) Is(target error) bool { return target == ErrInvalidState }

// NotFoundError names the kind and ID of a missing object. It matches
// ErrNotFound. ID holds the whole ID; Error quotes at most 64 bytes of it.
type NotFoundError struct {
	Kind string // "task", "queue", "routing profile", "agent"
	ID   string
	// Reason, when set, says why the object may be missing (a store that
	// prunes finished tasks says so).
	Reason string
}

func (e *NotFoundError) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("switchboard: %s %q not found: %s", e.Kind, shorten(e.ID), e.Reason)
	}
	return fmt.Sprintf("switchboard: %s %q not found", e.Kind, shorten(e.ID))
}

// Is makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

func notFound(kind, id string) error { return &NotFoundError{Kind: kind, ID: id} }

// LimitError reports an exhausted quota. It matches ErrLimitExceeded.
type LimitError struct {
	What  string // e.g. "transfers"
	Limit int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("switchboard: %s: at most %d", e.What, e.Limit)
}

// Is makes errors.Is(err, ErrLimitExceeded) true.
func (e *LimitError) Is(target error) bool { return target == ErrLimitExceeded }

// StoreError wraps an error returned by the Store. The operation did not take
// effect.
type StoreError struct {
	Op  string
	Err error
}

func (e *StoreError) Error() string { return "switchboard: store: " + e.Op + ": " + e.Err.Error() }

// Unwrap returns the store's error.
func (e *StoreError) Unwrap() error { return e.Err }
