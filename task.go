package switchboard

import (
	"maps"
	"time"
)

// Channel is a media channel. Tasks use ChannelTask; the others exist so that
// routing-profile concurrency and cross-channel rules work across channels.
type Channel string

// The channels of Amazon Connect.
const (
	ChannelVoice Channel = "VOICE"
	ChannelChat  Channel = "CHAT"
	ChannelTask  Channel = "TASK"
	ChannelEmail Channel = "EMAIL"
)

// Channels lists every channel in a fixed order.
var Channels = []Channel{ChannelVoice, ChannelChat, ChannelTask, ChannelEmail}

func (c Channel) index() int {
	switch c {
	case ChannelVoice:
		return 0
	case ChannelChat:
		return 1
	case ChannelTask:
		return 2
	case ChannelEmail:
		return 3
	}
	return -1
}

const numChannels = 4

// InitiationMethod says how a task came to exist.
type InitiationMethod string

// Initiation methods.
const (
	InitiatedByAPI           InitiationMethod = "API"
	InitiatedByRule          InitiationMethod = "RULE"
	InitiatedByFlow          InitiationMethod = "FLOW"
	InitiatedByAgent         InitiationMethod = "AGENT"
	InitiatedByTransfer      InitiationMethod = "TRANSFER"       // transferred to an agent
	InitiatedByQueueTransfer InitiationMethod = "QUEUE_TRANSFER" // transferred to a queue
)

// DisconnectReason says why a task segment ended.
type DisconnectReason string

// Disconnect reasons.
const (
	DisconnectAgentCompleted DisconnectReason = "AGENT_COMPLETED"
	DisconnectExpired        DisconnectReason = "EXPIRED"
	DisconnectFlow           DisconnectReason = "FLOW_DISCONNECT"
	DisconnectAPIStopped     DisconnectReason = "API_STOPPED"
	DisconnectTransferred    DisconnectReason = "TRANSFERRED"
)

// ReferenceType is the type of a task reference.
type ReferenceType string

// Reference types allowed when a task is created.
const (
	ReferenceURL    ReferenceType = "URL"
	ReferenceNumber ReferenceType = "NUMBER"
	ReferenceString ReferenceType = "STRING"
	ReferenceDate   ReferenceType = "DATE" // value is an epoch timestamp in seconds
	ReferenceEmail  ReferenceType = "EMAIL"
)

// Reference is a typed value shown to the agent with the task (a link to the
// CRM ticket, an order number, a due date).
type Reference struct {
	Type  ReferenceType
	Value string
}

// TaskInput describes a task to create. Name and one of QueueID or AgentID are
// required; everything else has a default. Text fields must be valid UTF-8
// and must not hold NUL (U+0000), which durable stores cannot keep;
// newlines, tabs and every other character are kept as given.
type TaskInput struct {
	Name        string // required, at most 1024 characters
	Description string // at most 4096 characters
	Channel     Channel
	// Attributes are string key/value pairs; keys use [A-Za-z0-9_-] and all
	// keys and values together take at most 32 KiB.
	Attributes map[string]string
	// References are named typed values shown to the agent; at most
	// MaxReferences.
	References map[string]Reference

	QueueID string // the queue to route through; or
	AgentID string // the agent whose agent queue receives the task
	// FlowID names a flow of Config.Flows the task runs first: it is
	// IN_FLOW, not routed, until the flow transfers it to a queue or ends
	// it. With a flow, QueueID and AgentID are optional: they are the
	// flow's working queue to start with. See docs/flows.md.
	FlowID string

	Priority            int           // 1 is routed first; 0 means DefaultPriority (5)
	QueueTimeAdjustment time.Duration // moves the task in line as if it had waited this much longer
	RoutingCriteria     *RoutingCriteria

	ScheduledAt time.Time     // zero: now; otherwise in the future, at most Config.MaxScheduleAhead ahead
	ExpiresAt   time.Time     // zero: start + Config.DefaultTaskDuration; at most start + 90 days
	Expiry      time.Duration // alternative to ExpiresAt: lifetime from the start (creation, or ScheduledAt)

	PreviousTaskID string // links into a chain that shares attribute updates
	RelatedTaskID  string // copies attributes once; no propagation

	InitiationMethod InitiationMethod // defaults to API
	TemplateID       string
	CreatedBy        string // agent or system that created it
	ClientToken      string // idempotency key, valid for Config.ClientTokenTTL

	// TemplateValues are the values of the fields of the template TemplateID
	// names (Router.PutTaskTemplate), by field name. The template validates
	// and fills the task: its NAME, DESCRIPTION, SCHEDULED_TIME,
	// EXPIRY_DURATION and QUICK_CONNECT fields set Name, Description,
	// ScheduledAt, Expiry and the destination, which must then be left unset
	// here; its other fields become References. See TaskTemplate.
	TemplateValues map[string]string
}

// Task is one task segment as the router knows it. Values returned by the
// Router are copies: changing them changes nothing in the router.
type Task struct {
	ID          string
	Sequence    uint64 // creation order, unique per router; breaks ties in line
	Version     int64  // incremented by every stored change
	Name        string
	Description string
	Channel     Channel
	Attributes  map[string]string
	References  map[string]Reference

	State   TaskState
	QueueID string // the queue, or empty for an agent-queue task
	// TargetAgentID is the agent whose agent queue holds the task, if any.
	TargetAgentID string
	// AgentID is the agent the task is offered to or connected with.
	AgentID string
	// FlowID is the flow the task was created with (TaskInput.FlowID).
	FlowID string

	Priority int
	// EffectivePriority is the priority the task routes with: Priority,
	// improved by its queue's PriorityAgeing while it waits. The router sets it
	// when the task is placed in line and at each ageing step; outside QUEUED
	// it keeps its last value (the priority the task was offered at). It is
	// derived from EnqueuedAt, Priority, the queue's rule and the time, never
	// read back: a restart recomputes it, and the stored value is only what it
	// was at the task's last write.
	EffectivePriority   int
	QueueTimeAdjustment time.Duration
	RoutingCriteria     *RoutingCriteria
	// CriteriaActivatedAt is when the current routing criteria started to
	// apply (the enqueue time, or the last criteria update).
	CriteriaActivatedAt time.Time

	PreviousTaskID string
	RelatedTaskID  string
	InitialTaskID  string // first task of the chain (itself when not linked)

	InitiationMethod InitiationMethod
	DisconnectReason DisconnectReason
	TemplateID       string
	CreatedBy        string
	ClientToken      string

	TransferCount   int // transfers that led to this segment
	RescheduleCount int
	// TemplateChanges counts UpdateTaskTemplate calls (at most
	// MaxTemplateChanges).
	TemplateChanges int
	PauseCount      int
	// RejectedBy lists agents that rejected or missed this task, oldest first.
	RejectedBy []string
	// RejectedAt[i] is when RejectedBy[i] last rejected or missed the task
	// (zero for entries stored before the field existed). It times the
	// re-offer cool-down (Config.ReofferCooldown), so a restart rebuilds it.
	RejectedAt []time.Time

	InitiatedAt         time.Time
	ScheduledAt         time.Time // zero when not scheduled
	ExpiresAt           time.Time
	EnqueuedAt          time.Time // last time it entered a queue
	OfferedAt           time.Time
	OfferExpiresAt      time.Time // deadline of the pending offer
	ConnectedAt         time.Time
	LastPausedAt        time.Time
	LastResumedAt       time.Time
	PausedTotal         time.Duration
	AfterContactWorkAt  time.Time
	AfterContactWorkEnd time.Time // deadline while in ACW, end time once completed
	DisconnectedAt      time.Time
}

// RoutingAge is the instant the task counts as having entered the queue for
// ordering: EnqueuedAt - QueueTimeAdjustment. Reported wait times use
// EnqueuedAt.
func (t *Task) RoutingAge() time.Time { return t.EnqueuedAt.Add(-t.QueueTimeAdjustment) }

// Clone returns a deep copy of t.
func (t *Task) Clone() *Task {
	c := *t
	c.Attributes = maps.Clone(t.Attributes)
	c.References = maps.Clone(t.References)
	c.RoutingCriteria = t.RoutingCriteria.Clone()
	c.RejectedBy = append([]string(nil), t.RejectedBy...)
	c.RejectedAt = append([]time.Time(nil), t.RejectedAt...)
	return &c
}
