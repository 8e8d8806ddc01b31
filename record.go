package switchboard

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"
	"time"
)

// This file is the public front of contact records: one ContactRecord per
// task segment, built from the lossless event log by a RecordBuilder (a
// Consumer) and handed to a RecordSink when the segment ends. record_sink.go
// holds the JSON Lines sink. See docs/metrics.md.

// ContactRecord describes one task segment from creation to its final state,
// as Amazon Connect's contact record (CTR): every timestamp the event log
// shows, the durations between them, the agent, queue and links. Timestamps
// that did not happen are zero; durations that do not apply are 0.
type ContactRecord struct {
	TaskID           string
	PreviousTaskID   string // the segment this one was transferred from
	NextTaskID       string // the segment this one was transferred to
	Channel          Channel
	InitiationMethod InitiationMethod
	QueueID          string    // "" for a task in an agent queue
	AgentID          string    // the agent who connected, else the last one offered, else the target agent
	RoutingProfileID string    // AgentID's routing profile when the event log named it
	Priority         int       // the last priority the segment routed with
	State            TaskState // the segment's state after LastUpdateAt's event (FinalState once ended)

	InitialTaskID string // the first task of the chain (PreviousTaskID links)
	ExpiresAt     time.Time

	// Filled from the stored task by a StoreRecordSink (record_store.go),
	// not from the event log: empty in the records a RecordBuilder hands
	// to other sinks.
	Name          string
	Description   string
	Attributes    map[string]string
	RelatedTaskID string // the task this one copied its attributes from
	CreatedBy     string // the agent or system that created it ("rule:<name>" for a rule)

	InitiatedAt        time.Time
	ScheduledAt        time.Time // the time a scheduled task was scheduled for
	EnqueuedAt         time.Time
	DequeuedAt         time.Time // connected, or left the queue another way (transfer, expiry, stop)
	OfferedAt          time.Time // the last offer
	ConnectedAt        time.Time
	ACWStartAt         time.Time
	ACWEndAt           time.Time
	DisconnectedAt     time.Time // the agent's part ended (ACW start) or the segment ended
	LastUpdateAt       time.Time // the last event of the segment
	LastPausedAt       time.Time
	LastResumedAt      time.Time
	QueueDuration      time.Duration
	InteractionTime    time.Duration // ConnectedAt to ACW start (or the end), pauses included
	ACWDuration        time.Duration
	PauseCount         int
	PauseDuration      time.Duration // closed pauses (a pause still running is not counted)
	ConnectionAttempts int           // offers made (task.offered events)
	DisconnectReason   DisconnectReason
	FinalState         TaskState
	LastSeq            uint64 // the Seq of the event that ended the segment
}

// RecordSink receives each contact record once, when its segment ends.
// WriteRecord is called on the RecordBuilder's goroutine (the consumer's),
// one record at a time.
type RecordSink interface {
	WriteRecord(r ContactRecord) error
}

// ProgressSink is an optional interface of a RecordSink that also wants the
// records of segments still in progress, so that they can be searched from
// creation (Connect's SearchContacts finds tasks as soon as they are
// initiated). A RecordBuilder calls WriteProgress, on its goroutine, after
// each event that changes an open segment's state, and after each
// EventTaskUpdated; the record is as far as the events tell (durations are
// not filled in). The record of the final event still goes to WriteRecord.
type ProgressSink interface {
	WriteProgress(r ContactRecord) error
}

// RecordSinkFunc adapts a function to a RecordSink.
type RecordSinkFunc func(r ContactRecord) error

// WriteRecord calls f(r).
func (f RecordSinkFunc) WriteRecord(r ContactRecord) error { return f(r) }

// RecordBuilder builds contact records from a router's events. Attach it as
// a Config.Consumer; it keeps the record of every open segment and writes
// each to its sink when the segment reaches a final state. It is a pure
// function of the event log: feeding it a recorded log gives the same
// records. It is safe for concurrent use.
//
// It remembers the Seq of the last event it applied and ignores any event at
// or below it, so a builder restored with Restore never counts an event
// twice.
type RecordBuilder struct {
	mu       sync.Mutex
	sink     RecordSink
	progress ProgressSink // sink's, when it has one
	open     map[string]*ContactRecord
	lastOpen lastEntry[ContactRecord] // in open
	free     []*ContactRecord         // records of ended segments, for reuse
	prev     map[string]string        // new segment -> the segment it was transferred from
	last     uint64
	written  uint64
	failed   uint64
	err      error
}

// NewRecordBuilder returns a RecordBuilder writing to sink (nil: records are
// built and dropped, which only makes sense with Open).
func NewRecordBuilder(sink RecordSink) *RecordBuilder {
	b := &RecordBuilder{sink: sink, open: map[string]*ContactRecord{}, prev: map[string]string{}}
	b.progress, _ = sink.(ProgressSink)
	return b
}

// Consume applies one event.
func (b *RecordBuilder) Consume(e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.apply(&e)
}

// consumeEvents applies es[*at:] under one lock, advancing *at past each
// event applied (see eventConsumer).
func (b *RecordBuilder) consumeEvents(es []Event, at *int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ; *at < len(es); *at++ {
		b.apply(&es[*at])
	}
}

// apply applies one event; the lock is held.
func (b *RecordBuilder) apply(e *Event) {
	if !advance(&b.last, e.Seq) {
		return
	}
	if e.TaskID == "" {
		return
	}
	r := b.lastOpen.get(b.open, e.TaskID)
	if r == nil {
		if e.Type != EventTaskCreated && e.PreviousState == "" {
			return
		}
		// A segment created before the builder started: its record begins
		// with what this event tells.
		if n := len(b.free); n > 0 {
			r, b.free = b.free[n-1], b.free[:n-1]
		} else {
			r = new(ContactRecord)
		}
		*r = ContactRecord{TaskID: e.TaskID}
		if len(b.prev) > 0 {
			r.PreviousTaskID = b.prev[e.TaskID]
			delete(b.prev, e.TaskID)
		}
		b.open[e.TaskID] = r
		b.lastOpen.set(e.TaskID, r)
	}
	applyRecord(r, e)
	if e.Type == EventTaskTransferred && e.RelatedTaskID != "" {
		b.prev[e.RelatedTaskID] = e.TaskID
	}
	if !e.State.Final() {
		if b.progress != nil && (e.State != e.PreviousState || e.Type == EventTaskUpdated) {
			b.check(r.TaskID, b.progress.WriteProgress(*r))
		}
		return
	}
	delete(b.open, e.TaskID)
	b.lastOpen.forget()
	r.finish()
	if b.sink != nil && b.check(r.TaskID, b.sink.WriteRecord(*r)) {
		b.written++
	}
	// The sink got a copy: the record's memory serves the next segment.
	if len(b.free) < maxFreeRecords {
		*r = ContactRecord{}
		b.free = append(b.free, r)
	}
}

// check counts a refused write and keeps the first error; it reports
// whether err is nil.
func (b *RecordBuilder) check(taskID string, err error) bool {
	if err == nil {
		return true
	}
	b.failed++
	if b.err == nil {
		b.err = fmt.Errorf("switchboard: writing the contact record of %s: %w", taskID, err)
	}
	return false
}

// applyRecord folds one event of the segment into r.
func applyRecord(r *ContactRecord, e *Event) {
	r.Channel, r.InitiationMethod, r.QueueID, r.Priority = e.Channel, e.InitiationMethod, e.QueueID, e.Priority
	r.LastUpdateAt, r.LastSeq, r.State = e.Time, e.Seq, e.State
	if !e.ScheduledAt.IsZero() {
		r.ScheduledAt = e.ScheduledAt
	}
	if !e.ExpiresAt.IsZero() {
		r.ExpiresAt = e.ExpiresAt
	}
	if e.InitialTaskID != "" {
		r.InitialTaskID = e.InitialTaskID
	}
	if e.AgentID != "" && (r.ConnectedAt.IsZero() || e.Type == EventTaskAccepted) {
		r.AgentID = e.AgentID
		r.RoutingProfileID = e.RoutingProfileID
	}
	fromQueue := e.PreviousState == StateQueued || e.PreviousState == StateOffered
	switch e.Type {
	case EventTaskCreated:
		r.InitiatedAt = e.Time
	case EventTaskQueued:
		if e.PreviousState == StateScheduled && r.ScheduledAt.IsZero() {
			r.ScheduledAt = e.Time // an event without ScheduledAt (recorded before it existed)
		}
		if r.EnqueuedAt.IsZero() {
			r.EnqueuedAt = e.Time
		}
	case EventTaskOffered:
		r.ConnectionAttempts++
		r.OfferedAt = e.Time
	case EventTaskAccepted:
		r.ConnectedAt, r.DequeuedAt = e.Time, e.Time
	case EventTaskPaused:
		r.PauseCount++
		r.LastPausedAt = e.Time
	case EventTaskResumed:
		r.LastResumedAt = e.Time
	case EventTaskAfterContactWork:
		r.ACWStartAt, r.DisconnectedAt = e.Time, e.Time
		if r.DisconnectReason == "" {
			r.DisconnectReason = DisconnectAgentCompleted
		}
	case EventTaskTransferred:
		r.NextTaskID = e.RelatedTaskID
		r.DisconnectReason, r.DisconnectedAt = DisconnectTransferred, e.Time
		if e.State == StateAfterContactWork {
			r.ACWStartAt = e.Time
		}
		if fromQueue {
			r.DequeuedAt = e.Time
		}
	case EventTaskCompleted, EventTaskExpired, EventTaskStopped:
		if e.PreviousState == StateAfterContactWork {
			r.ACWEndAt = e.Time
		}
		if fromQueue {
			r.DequeuedAt = e.Time
		}
		if r.DisconnectReason == "" {
			switch {
			case e.Type == EventTaskExpired:
				r.DisconnectReason = DisconnectExpired
			case e.Type == EventTaskStopped:
				r.DisconnectReason = DisconnectAPIStopped
			case e.PreviousState == StateInFlow:
				r.DisconnectReason = DisconnectFlow
			default:
				r.DisconnectReason = DisconnectAgentCompleted
			}
		}
	}
	if e.PreviousState == StatePaused && e.State != StatePaused && !r.LastPausedAt.IsZero() {
		// Paused until this event (resumed, after-contact work, expiry, stop).
		r.PauseDuration += e.Time.Sub(r.LastPausedAt)
	}
	if e.State.Final() {
		if e.DisconnectReason != "" {
			r.DisconnectReason = e.DisconnectReason // the router's own
		}
		r.FinalState = e.State
		if r.DisconnectedAt.IsZero() {
			r.DisconnectedAt = e.Time
		}
	}
}

// finish computes the durations of an ended record.
func (r *ContactRecord) finish() {
	if !r.EnqueuedAt.IsZero() && !r.DequeuedAt.IsZero() {
		r.QueueDuration = r.DequeuedAt.Sub(r.EnqueuedAt)
	}
	if !r.ConnectedAt.IsZero() {
		end := r.ACWStartAt
		if end.IsZero() {
			end = r.DisconnectedAt
		}
		r.InteractionTime = end.Sub(r.ConnectedAt)
	}
	if !r.ACWStartAt.IsZero() && !r.ACWEndAt.IsZero() {
		r.ACWDuration = r.ACWEndAt.Sub(r.ACWStartAt)
	}
}

// LastSeq returns the Seq of the last event applied.
func (b *RecordBuilder) LastSeq() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.last
}

// Written returns how many records of ended segments the sink accepted,
// and how many writes it refused (WriteProgress refusals included).
func (b *RecordBuilder) Written() (ok, failed uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.written, b.failed
}

// Err returns the first error the sink returned, or nil. A refused record is
// not retried.
func (b *RecordBuilder) Err() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// Open returns the records of the segments not ended yet, by TaskID, as far
// as the events seen so far tell (durations are not filled in).
func (b *RecordBuilder) Open() []ContactRecord {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]ContactRecord, 0, len(b.open))
	for _, id := range slices.Sorted(maps.Keys(b.open)) {
		out = append(out, *b.open[id])
	}
	return out
}

// RecordBuilderState is a RecordBuilder's state as a value a host can keep
// (it marshals to JSON) and give to Restore after a restart.
type RecordBuilderState struct {
	LastSeq uint64            `json:"lastSeq"`
	Open    []ContactRecord   `json:"open,omitempty"`
	Prev    map[string]string `json:"prev,omitempty"`
}

// State returns a copy of the builder's state.
func (b *RecordBuilder) State() RecordBuilderState {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := RecordBuilderState{LastSeq: b.last, Prev: maps.Clone(b.prev)}
	for _, id := range slices.Sorted(maps.Keys(b.open)) {
		s.Open = append(s.Open, *b.open[id])
	}
	return s
}

// Restore replaces the builder's state with s. Call it before the builder
// sees any event (before NewRouter).
func (b *RecordBuilder) Restore(s RecordBuilderState) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	open := map[string]*ContactRecord{}
	for i := range s.Open {
		r := s.Open[i]
		if r.TaskID == "" || open[r.TaskID] != nil {
			return errors.New("switchboard: RecordBuilderState: open records need distinct task IDs")
		}
		open[r.TaskID] = &r
	}
	b.open, b.prev, b.last = open, maps.Clone(s.Prev), s.LastSeq
	b.lastOpen.forget()
	if b.prev == nil {
		b.prev = map[string]string{}
	}
	return nil
}

// contactRecordJSON is the JSON form of a ContactRecord: lowerCamel keys,
// RFC 3339 timestamps, durations in seconds (as Connect's contact records),
// zero values left out.
type contactRecordJSON struct {
	TaskID             string            `json:"taskId"`
	PreviousTaskID     string            `json:"previousTaskId,omitempty"`
	NextTaskID         string            `json:"nextTaskId,omitempty"`
	Channel            Channel           `json:"channel,omitempty"`
	InitiationMethod   InitiationMethod  `json:"initiationMethod,omitempty"`
	QueueID            string            `json:"queueId,omitempty"`
	AgentID            string            `json:"agentId,omitempty"`
	RoutingProfileID   string            `json:"routingProfileId,omitempty"`
	Priority           int               `json:"priority,omitempty"`
	State              TaskState         `json:"state,omitempty"`
	Name               string            `json:"name,omitempty"`
	Description        string            `json:"description,omitempty"`
	Attributes         map[string]string `json:"attributes,omitempty"`
	InitialTaskID      string            `json:"initialTaskId,omitempty"`
	RelatedTaskID      string            `json:"relatedTaskId,omitempty"`
	CreatedBy          string            `json:"createdBy,omitempty"`
	ExpiresAt          time.Time         `json:"expiryTimestamp,omitzero"`
	InitiatedAt        time.Time         `json:"initiationTimestamp,omitzero"`
	ScheduledAt        time.Time         `json:"scheduledTimestamp,omitzero"`
	EnqueuedAt         time.Time         `json:"enqueueTimestamp,omitzero"`
	DequeuedAt         time.Time         `json:"dequeueTimestamp,omitzero"`
	OfferedAt          time.Time         `json:"offeredTimestamp,omitzero"`
	ConnectedAt        time.Time         `json:"connectedToAgentTimestamp,omitzero"`
	ACWStartAt         time.Time         `json:"afterContactWorkStartTimestamp,omitzero"`
	ACWEndAt           time.Time         `json:"afterContactWorkEndTimestamp,omitzero"`
	DisconnectedAt     time.Time         `json:"disconnectTimestamp,omitzero"`
	LastUpdateAt       time.Time         `json:"lastUpdateTimestamp,omitzero"`
	LastPausedAt       time.Time         `json:"lastPausedTimestamp,omitzero"`
	LastResumedAt      time.Time         `json:"lastResumedTimestamp,omitzero"`
	QueueDuration      float64           `json:"queueDuration,omitempty"`
	InteractionTime    float64           `json:"agentInteractionDuration,omitempty"`
	ACWDuration        float64           `json:"afterContactWorkDuration,omitempty"`
	PauseCount         int               `json:"totalPauseCount,omitempty"`
	PauseDuration      float64           `json:"totalPauseDuration,omitempty"`
	ConnectionAttempts int               `json:"agentConnectionAttempts,omitempty"`
	DisconnectReason   DisconnectReason  `json:"disconnectReason,omitempty"`
	FinalState         TaskState         `json:"finalState,omitempty"`
	LastSeq            uint64            `json:"lastSeq,omitempty"`
}

// MarshalJSON encodes the record with lowerCamel keys named after Connect's
// contact record fields, durations in seconds.
func (r ContactRecord) MarshalJSON() ([]byte, error) {
	return json.Marshal(contactRecordJSON{
		r.TaskID, r.PreviousTaskID, r.NextTaskID, r.Channel, r.InitiationMethod, r.QueueID, r.AgentID,
		r.RoutingProfileID, r.Priority, r.State, r.Name, r.Description, r.Attributes, r.InitialTaskID,
		r.RelatedTaskID, r.CreatedBy, r.ExpiresAt, r.InitiatedAt, r.ScheduledAt, r.EnqueuedAt, r.DequeuedAt, r.OfferedAt,
		r.ConnectedAt, r.ACWStartAt, r.ACWEndAt, r.DisconnectedAt, r.LastUpdateAt, r.LastPausedAt, r.LastResumedAt,
		r.QueueDuration.Seconds(), r.InteractionTime.Seconds(), r.ACWDuration.Seconds(), r.PauseCount,
		r.PauseDuration.Seconds(), r.ConnectionAttempts, r.DisconnectReason, r.FinalState, r.LastSeq,
	})
}

// UnmarshalJSON decodes the form MarshalJSON writes.
func (r *ContactRecord) UnmarshalJSON(b []byte) error {
	var j contactRecordJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	// Rounded, not truncated: 530.232114221 s times 1e9 is just under
	// 530232114221 in float64, and the nanosecond must survive the trip.
	sec := func(f float64) time.Duration { return time.Duration(math.Round(f * float64(time.Second))) }
	*r = ContactRecord{
		j.TaskID, j.PreviousTaskID, j.NextTaskID, j.Channel, j.InitiationMethod, j.QueueID, j.AgentID,
		j.RoutingProfileID, j.Priority, j.State, j.InitialTaskID, j.ExpiresAt, j.Name, j.Description, j.Attributes,
		j.RelatedTaskID, j.CreatedBy, j.InitiatedAt, j.ScheduledAt, j.EnqueuedAt, j.DequeuedAt, j.OfferedAt,
		j.ConnectedAt, j.ACWStartAt, j.ACWEndAt, j.DisconnectedAt, j.LastUpdateAt, j.LastPausedAt, j.LastResumedAt,
		sec(j.QueueDuration), sec(j.InteractionTime), sec(j.ACWDuration), j.PauseCount,
		sec(j.PauseDuration), j.ConnectionAttempts, j.DisconnectReason, j.FinalState, j.LastSeq,
	}
	return nil
}
