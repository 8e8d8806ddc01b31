package switchboard

// Values for the JSON tests: one fully populated value per type (the golden
// files), and random valid values (the round-trip property).

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/google/go-cmp/cmp"
)

// jsonCmp compares decoded values: instants by Equal, errors by message.
var jsonCmp = cmp.Options{
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
	cmp.Comparer(func(a, b error) bool {
		return a == nil && b == nil || a != nil && b != nil && a.Error() == b.Error()
	}),
}

// jsonCase is one value of one type, with a decoder for that type.
type jsonCase struct {
	name   string
	value  any
	decode func([]byte) (any, error)
	fields int // struct fields of the type
	keys   int // JSON keys of the type
}

func jcase[T any, PT interface {
	*T
	fielder
}](name string, v T) jsonCase {
	return jsonCase{
		name:  name,
		value: v,
		decode: func(b []byte) (any, error) {
			var x T
			err := json.Unmarshal(b, &x)
			return x, err
		},
		fields: countFields(v),
		keys:   len(PT(&v).jsonFields()),
	}
}

var goldenTime = time.Date(2026, 11, 24, 9, 30, 15, 123456789, time.UTC)

func goldenCriteria() *RoutingCriteria {
	return &RoutingCriteria{Steps: []RoutingStep{
		{Requirement: AllOf(Proficient("Language", "French", 4), PreferredAgents("ana", "bo")), Expiry: 30 * time.Second},
		{Requirement: AnyOf(Proficient("Skill", "Billing", 2), Proficient("Skill", "Refunds", 3)), Expiry: 90 * time.Minute},
		{Requirement: Proficient("Language", "English", 1)},
	}}
}

func goldenHours() *HoursOfOperation {
	return &HoursOfOperation{
		TimeZone: "Europe/Paris",
		Ranges: []HoursRange{
			{Day: time.Sunday, Start: 10 * time.Hour, End: 14 * time.Hour},
			{Day: time.Monday, Start: 9 * time.Hour, End: 17*time.Hour + 30*time.Minute},
			{Day: time.Friday, Start: 22 * time.Hour, End: 2 * time.Hour},
		},
		Overrides: []HoursOverride{{
			Name: "Christmas", Type: OverrideClosed, From: "2026-12-24", Till: "2026-12-26",
			Ranges: []HoursRange{{Day: time.Thursday, Start: 12 * time.Hour}},
		}},
	}
}

func goldenTaskInput() TaskInput {
	return TaskInput{
		Name:                "Call back about order 1234",
		Description:         "Customer asked for a refund by phone, then by email.",
		Channel:             ChannelTask,
		Attributes:          map[string]string{"customer": "c-42", "tier": "gold"},
		References:          map[string]Reference{"order": {Type: ReferenceURL, Value: "https://crm.example/orders/1234"}, "due date": {Type: ReferenceDate, Value: "1795000000"}},
		QueueID:             "billing",
		FlowID:              "claims-intake",
		Priority:            2,
		QueueTimeAdjustment: 5 * time.Minute,
		RoutingCriteria:     goldenCriteria(),
		ScheduledAt:         goldenTime.Add(time.Hour),
		Expiry:              7 * 24 * time.Hour,
		PreviousTaskID:      "task-1",
		RelatedTaskID:       "task-0",
		InitiationMethod:    InitiatedByFlow,
		TemplateID:          "refund-callback",
		CreatedBy:           "flow:intake",
		ClientToken:         "3f8e2a6c",
		TemplateValues:      map[string]string{"Amount": "42.50", "Callback": "true"},
	}
}

func goldenTemplate() TaskTemplate {
	return TaskTemplate{
		ID: "refund-callback", Name: "Refund callback", Description: "Call the customer back about a refund", Status: TemplateActive,
		Fields: []TemplateField{
			{Name: "Title", Description: "What to do", Type: FieldName},
			{Name: "Amount", Type: FieldNumber},
			{Name: "Reason", Type: FieldSingleSelect, SingleSelectOptions: []string{"damaged", "late", "other"}},
			{Name: "Assign to", Type: FieldQuickConnect},
		},
		Constraints: TemplateConstraints{Required: []string{"Title", "Amount"}, ReadOnly: []string{"Assign to"}, Invisible: []string{"Reason"}},
		Defaults:    map[string]string{"Reason": "other", "Assign to": "qc-billing"},
		QueueID:     "billing",
	}
}

func goldenTask() Task {
	in := goldenTaskInput()
	at := goldenTime
	return Task{
		ID: "task-2", Sequence: 2, Version: 7, Name: in.Name, Description: in.Description, Channel: ChannelTask,
		Attributes: in.Attributes, References: in.References,
		State: StateCompleted, QueueID: "billing", TargetAgentID: "ana", AgentID: "ana", FlowID: "claims-intake",
		Priority: 2, EffectivePriority: 1, QueueTimeAdjustment: in.QueueTimeAdjustment, RoutingCriteria: in.RoutingCriteria,
		CriteriaActivatedAt: at.Add(time.Minute),
		PreviousTaskID:      "task-1", RelatedTaskID: "task-0", InitialTaskID: "task-1",
		InitiationMethod: InitiatedByTransfer, DisconnectReason: DisconnectAgentCompleted,
		TemplateID: in.TemplateID, CreatedBy: in.CreatedBy, ClientToken: in.ClientToken,
		TransferCount: 1, RescheduleCount: 1, PauseCount: 2, TemplateChanges: 1, RejectedBy: []string{"bo", "cy"},
		RejectedAt:  []time.Time{at.Add(70 * time.Second), at.Add(100 * time.Second)},
		InitiatedAt: at, ScheduledAt: at.Add(30 * time.Second), ExpiresAt: at.Add(7 * 24 * time.Hour),
		EnqueuedAt: at.Add(time.Minute), OfferedAt: at.Add(2 * time.Minute), OfferExpiresAt: at.Add(2*time.Minute + 20*time.Second),
		ConnectedAt: at.Add(3 * time.Minute), LastPausedAt: at.Add(4 * time.Minute), LastResumedAt: at.Add(5 * time.Minute),
		PausedTotal: 90*time.Second + 500*time.Millisecond, AfterContactWorkAt: at.Add(10 * time.Minute),
		AfterContactWorkEnd: at.Add(12 * time.Minute), DisconnectedAt: at.Add(10 * time.Minute),
	}
}

func goldenAgent() Agent {
	return Agent{
		ID: "ana", Name: "Ana Lima", RoutingProfileID: "billing-fr",
		Proficiencies:         []Proficiency{{Name: "Language", Value: "French", Level: 4}, {Name: "Skill", Value: "Billing", Level: 5}},
		AutoAccept:            []Channel{ChannelTask, ChannelChat},
		AfterContactWorkLimit: map[Channel]time.Duration{ChannelTask: 2 * time.Minute, ChannelVoice: 45 * time.Second},
		Status:                "Break", StatusSince: goldenTime, LastActivity: goldenTime.Add(-time.Hour),
		Blocked: BlockedMissed, BlockedTaskID: "task-9", Activity: ActivityMissed,
	}
}

func goldenProfile() RoutingProfile {
	return RoutingProfile{
		ID: "billing-fr", Name: "Billing (French)",
		Concurrency: []MediaConcurrency{{Channel: ChannelTask, Concurrency: 3, CrossChannel: AnyChannel}, {Channel: ChannelVoice, Concurrency: 1, CrossChannel: CurrentChannelOnly}},
		Queues:      []QueueConfig{{QueueID: "billing", Channel: ChannelTask, Priority: 1}, {QueueID: "general", Channel: ChannelTask, Priority: 2, Delay: 30 * time.Second}},
	}
}

// jsonCases are the golden values: one per type, and minimal ones.
func jsonCases() []jsonCase {
	crit := goldenCriteria()
	hours := goldenHours()
	profile := goldenProfile()
	agent := goldenAgent()
	cooldown := 30 * time.Second
	return []jsonCase{
		jcase("task_input", goldenTaskInput()),
		jcase("task_input_minimal", TaskInput{Name: "Review", QueueID: "support"}),
		jcase("task", goldenTask()),
		jcase("task_minimal", Task{ID: "task-1", Sequence: 1, Version: 1, Name: "Review", State: StateQueued, QueueID: "support", Priority: DefaultPriority, InitialTaskID: "task-1", InitiationMethod: InitiatedByAPI, InitiatedAt: goldenTime, ExpiresAt: goldenTime.Add(7 * 24 * time.Hour), EnqueuedAt: goldenTime}),
		jcase("reference", Reference{Type: ReferenceURL, Value: "https://crm.example/orders/1234"}),
		jcase("routing_criteria", *crit),
		jcase("routing_step", crit.Steps[0]),
		jcase("requirement", crit.Steps[1].Requirement),
		jcase("attribute_condition", *crit.Steps[2].Requirement.Attribute),
		jcase("queue", Queue{ID: "billing", Name: "Billing", Description: "Invoices and refunds", MaxContacts: 500, Disabled: true, Hours: hours,
			ReofferCooldown: &cooldown, PriorityAgeing: &PriorityAgeing{Every: 2 * time.Minute, Floor: 2}}),
		jcase("priority_ageing", PriorityAgeing{Every: 90 * time.Second, Floor: 1}),
		jcase("hours_of_operation", *hours),
		jcase("hours_range", hours.Ranges[1]),
		jcase("hours_override", hours.Overrides[0]),
		jcase("routing_profile", profile),
		jcase("media_concurrency", profile.Concurrency[0]),
		jcase("queue_config", profile.Queues[1]),
		jcase("agent", agent),
		jcase("proficiency", agent.Proficiencies[0]),
		jcase("event", Event{Seq: 42, Type: EventTaskTransferred, Time: goldenTime, TaskID: "task-2", AgentID: "ana", QueueID: "billing",
			Channel: ChannelTask, RoutingProfileID: "billing-fr", InitiationMethod: InitiatedByAPI, Priority: 3,
			PreviousState: StateConnected, State: StateCompleted, Version: 7, Status: StatusAvailable, RelatedTaskID: "task-3"}),
		jcase("event_offered", Event{Seq: 41, Type: EventTaskOffered, Time: goldenTime, TaskID: "task-2", AgentID: "ana", QueueID: "billing",
			Channel: ChannelTask, RoutingProfileID: "billing-fr", InitiationMethod: InitiatedByRule, Priority: 5,
			PreviousState: StateQueued, State: StateOffered, Version: 3, OfferExpiresAt: goldenTime.Add(20 * time.Second)}),
		jcase("event_flow_ended", Event{Seq: 44, Type: EventFlowEnded, Time: goldenTime, TaskID: "task-2", QueueID: "claims",
			Channel: ChannelTask, InitiationMethod: InitiatedByAPI, Priority: 1, PreviousState: StateInFlow, State: StateQueued, Version: 4,
			FlowID: "claims-intake", FlowAction: "Transfer to claims", FlowOutcome: FlowOutcomeFailed, Duration: 90 * time.Second,
			Err: errors.New("flow step budget exhausted: 1000 actions in one run")}),
		jcase("event_error", Event{Seq: 43, Type: EventError, Time: goldenTime, TaskID: "task-2", Err: errors.New("store: connection refused")}),
		jcase("task_template", goldenTemplate()),
		jcase("task_template_minimal", TaskTemplate{ID: "t", Name: "T", Fields: []TemplateField{{Name: "Name", Type: FieldName}}, Constraints: TemplateConstraints{Required: []string{"Name"}}}),
		jcase("template_field", goldenTemplate().Fields[2]),
		jcase("template_constraints", goldenTemplate().Constraints),
		jcase("quick_connect", QuickConnect{ID: "qc-billing", Name: "Billing", Description: "The billing queue", Type: QuickConnectQueue, QueueID: "billing", FlowID: "transfer-to-queue", QueueIDs: []string{"billing", "general"}}),
		jcase("quick_connect_user", QuickConnect{ID: "qc-ana", Name: "Ana", Type: QuickConnectUser, UserID: "ana"}),
		jcase("stats", Stats{
			TasksByState:   map[TaskState]int{StateQueued: 12, StateConnected: 3, StateScheduled: 1},
			QueuedByQueue:  map[string]int{"billing": 12, "general": 0},
			AgentsByStatus: map[AgentStatus]int{StatusAvailable: 4, StatusOffline: 10, "Lunch": 1},
			AgentsBlocked:  1, PendingTimers: 17, Events: 12345,
		}),
	}
}

// jsonGen makes random valid values.
type jsonGen struct{ r *rand.Rand }

func (g jsonGen) n(k int) int { return g.r.IntN(k) }

// maybe is true one time in k.
func (g jsonGen) maybe(k int) bool { return g.r.IntN(k) == 0 }

var jsonAlphabet = []string{"a", "b", "Z", "0", "9", "-", "_", " ", ".", "é", "日本", "\"", "\\", "\n", "\t", "<", "&", "\u2028", "😀", "\x00"}

func (g jsonGen) str() string {
	if g.maybe(4) {
		return ""
	}
	s := ""
	for range 1 + g.n(8) {
		s += jsonAlphabet[g.n(len(jsonAlphabet))]
	}
	return s
}

func (g jsonGen) time() time.Time {
	if g.maybe(3) {
		return time.Time{}
	}
	t := time.Unix(g.r.Int64N(5e9)-1e9, g.r.Int64N(1e9)*int64(g.n(2)))
	locs := []*time.Location{time.UTC, time.Local, time.FixedZone("X", -7*3600-30*60)}
	return t.In(locs[g.n(len(locs))])
}

func (g jsonGen) dur() time.Duration {
	switch g.n(5) {
	case 0:
		return 0
	case 1:
		return time.Duration(g.r.Int64N(1e6)) * time.Second
	case 2:
		return time.Duration(g.r.Int64N(1e4)) * time.Minute
	case 3:
		return time.Duration(g.r.Int64() - 1<<62) // any, negative too
	}
	return time.Duration(g.r.Int64N(1e10))
}

func (g jsonGen) int() int {
	if g.maybe(3) {
		return 0
	}
	return g.n(1000) - 100
}

func pick[T any](g jsonGen, xs ...T) T { return xs[g.n(len(xs))] }

// list makes 0..3 values; none is nil.
func list[T any](g jsonGen, f func() T) []T {
	var out []T
	for range g.n(4) {
		out = append(out, f())
	}
	return out
}

// dict makes 0..3 entries; none is nil.
func dict[K comparable, V any](g jsonGen, k func() K, v func() V) map[K]V {
	var out map[K]V
	for range g.n(4) {
		if out == nil {
			out = map[K]V{}
		}
		out[k()] = v()
	}
	return out
}

func (g jsonGen) channel() Channel {
	return pick(g, "", ChannelVoice, ChannelChat, ChannelTask, ChannelEmail)
}
func (g jsonGen) state() TaskState {
	return pick(g, "", StateScheduled, StateInFlow, StateQueued, StateOffered, StateConnected, StatePaused, StateAfterContactWork, StateCompleted, StateExpired, StateStopped)
}
func (g jsonGen) initiation() InitiationMethod {
	return pick(g, "", InitiatedByAPI, InitiatedByRule, InitiatedByFlow, InitiatedByAgent, InitiatedByTransfer, InitiatedByQueueTransfer)
}

func (g jsonGen) reference() Reference {
	return Reference{Type: pick(g, "", ReferenceURL, ReferenceNumber, ReferenceString, ReferenceDate, ReferenceEmail), Value: g.str()}
}

func (g jsonGen) attrs() map[string]string { return dict(g, g.str, g.str) }
func (g jsonGen) refs() map[string]Reference {
	return dict(g, g.str, g.reference)
}

func (g jsonGen) condition() AttributeCondition {
	return AttributeCondition{Name: g.str(), Value: g.str(), MinLevel: g.n(6)}
}

// requirement sets one field, or (rarely) none or several, at depth ≤ 3.
func (g jsonGen) requirement(depth int) Requirement {
	var e Requirement
	kinds := 2
	if depth < 3 {
		kinds = 4
	}
	for {
		switch g.n(kinds) {
		case 0:
			c := g.condition()
			e.Attribute = &c
		case 1:
			e.Preferred = append([]string{}, list(g, g.str)...)
		case 2:
			e.And = append([]Requirement{}, list(g, func() Requirement { return g.requirement(depth + 1) })...)
		case 3:
			e.Or = append([]Requirement{}, list(g, func() Requirement { return g.requirement(depth + 1) })...)
		}
		if !g.maybe(10) {
			return e
		}
	}
}

func (g jsonGen) step() RoutingStep {
	return RoutingStep{Requirement: g.requirement(1), Expiry: g.dur()}
}

func (g jsonGen) criteria() *RoutingCriteria {
	if g.maybe(3) {
		return nil
	}
	return &RoutingCriteria{Steps: list(g, g.step)}
}

func (g jsonGen) taskInput() TaskInput {
	return TaskInput{
		Name: g.str(), Description: g.str(), Channel: g.channel(), Attributes: g.attrs(), References: g.refs(),
		QueueID: g.str(), AgentID: g.str(), FlowID: g.str(), Priority: g.int(), QueueTimeAdjustment: g.dur(), RoutingCriteria: g.criteria(),
		ScheduledAt: g.time(), ExpiresAt: g.time(), Expiry: g.dur(), PreviousTaskID: g.str(), RelatedTaskID: g.str(),
		InitiationMethod: g.initiation(), TemplateID: g.str(), CreatedBy: g.str(), ClientToken: g.str(),
		TemplateValues: g.attrs(),
	}
}

func (g jsonGen) templateField() TemplateField {
	return TemplateField{Name: g.str(), Description: g.str(), Type: pick(g, FieldTypes...), SingleSelectOptions: list(g, g.str)}
}

func (g jsonGen) constraints() TemplateConstraints {
	return TemplateConstraints{Required: list(g, g.str), ReadOnly: list(g, g.str), Invisible: list(g, g.str)}
}

func (g jsonGen) template() TaskTemplate {
	return TaskTemplate{
		ID: g.str(), Name: g.str(), Description: g.str(), Status: pick(g, "", TemplateActive, TemplateInactive),
		Fields: list(g, g.templateField), Constraints: g.constraints(), Defaults: g.attrs(), QueueID: g.str(),
	}
}

func (g jsonGen) quickConnect() QuickConnect {
	return QuickConnect{
		ID: g.str(), Name: g.str(), Description: g.str(), Type: pick(g, "", QuickConnectUser, QuickConnectQueue),
		UserID: g.str(), QueueID: g.str(), FlowID: g.str(), QueueIDs: list(g, g.str),
	}
}

func (g jsonGen) task() Task {
	return Task{
		ID: g.str(), Sequence: g.r.Uint64(), Version: g.r.Int64(), Name: g.str(), Description: g.str(), Channel: g.channel(),
		Attributes: g.attrs(), References: g.refs(), State: g.state(), QueueID: g.str(), TargetAgentID: g.str(), AgentID: g.str(), FlowID: g.str(),
		Priority: g.int(), EffectivePriority: g.int(), QueueTimeAdjustment: g.dur(), RoutingCriteria: g.criteria(), CriteriaActivatedAt: g.time(),
		PreviousTaskID: g.str(), RelatedTaskID: g.str(), InitialTaskID: g.str(), InitiationMethod: g.initiation(),
		DisconnectReason: pick(g, "", DisconnectAgentCompleted, DisconnectExpired, DisconnectFlow, DisconnectAPIStopped, DisconnectTransferred),
		TemplateID:       g.str(), CreatedBy: g.str(), ClientToken: g.str(),
		TransferCount: g.int(), RescheduleCount: g.int(), PauseCount: g.int(), TemplateChanges: g.int(), RejectedBy: list(g, g.str), RejectedAt: list(g, g.time),
		InitiatedAt: g.time(), ScheduledAt: g.time(), ExpiresAt: g.time(), EnqueuedAt: g.time(), OfferedAt: g.time(),
		OfferExpiresAt: g.time(), ConnectedAt: g.time(), LastPausedAt: g.time(), LastResumedAt: g.time(), PausedTotal: g.dur(),
		AfterContactWorkAt: g.time(), AfterContactWorkEnd: g.time(), DisconnectedAt: g.time(),
	}
}

func (g jsonGen) hoursRange() HoursRange {
	return HoursRange{Day: time.Weekday(g.n(7)), Start: time.Duration(g.n(1440)) * time.Minute, End: time.Duration(g.n(1440)) * time.Minute}
}

func (g jsonGen) override() HoursOverride {
	return HoursOverride{Name: g.str(), Type: pick(g, "", OverrideStandard, OverrideOpen, OverrideClosed), From: g.str(), Till: g.str(), Ranges: list(g, g.hoursRange)}
}

func (g jsonGen) hours() HoursOfOperation {
	return HoursOfOperation{TimeZone: pick(g, "", "UTC", "Europe/Paris"), Ranges: list(g, g.hoursRange), Overrides: list(g, g.override)}
}

func (g jsonGen) queue() Queue {
	q := Queue{ID: g.str(), Name: g.str(), Description: g.str(), MaxContacts: g.int(), Disabled: g.maybe(2)}
	if !g.maybe(3) {
		h := g.hours()
		q.Hours = &h
	}
	if g.maybe(2) {
		d := g.dur()
		q.ReofferCooldown = &d
	}
	if g.maybe(2) {
		q.PriorityAgeing = &PriorityAgeing{Every: g.dur(), Floor: g.int()}
	}
	return q
}

func (g jsonGen) concurrency() MediaConcurrency {
	return MediaConcurrency{Channel: g.channel(), Concurrency: g.int(), CrossChannel: pick(g, "", CurrentChannelOnly, AnyChannel)}
}

func (g jsonGen) queueConfig() QueueConfig {
	return QueueConfig{QueueID: g.str(), Channel: g.channel(), Priority: g.int(), Delay: g.dur()}
}

func (g jsonGen) profile() RoutingProfile {
	return RoutingProfile{ID: g.str(), Name: g.str(), Concurrency: list(g, g.concurrency), Queues: list(g, g.queueConfig)}
}

func (g jsonGen) proficiency() Proficiency {
	return Proficiency{Name: g.str(), Value: g.str(), Level: g.int()}
}

func (g jsonGen) agent() Agent {
	return Agent{
		ID: g.str(), Name: g.str(), RoutingProfileID: g.str(), Proficiencies: list(g, g.proficiency),
		AutoAccept: list(g, g.channel), AfterContactWorkLimit: dict(g, g.channel, g.dur),
		Status: AgentStatus(g.str()), StatusSince: g.time(), LastActivity: g.time(),
		Blocked: pick(g, NotBlocked, BlockedMissed, BlockedRejected), BlockedTaskID: g.str(),
		Activity: AgentActivity(g.str()),
	}
}

func (g jsonGen) event() Event {
	e := Event{
		Seq: g.r.Uint64(), Type: pick(g, "", EventTaskCreated, EventTaskOffered, EventTaskRoutingStep, EventAgentCleared, EventError, EventFlowEnded),
		Time: g.time(), TaskID: g.str(), AgentID: g.str(), QueueID: g.str(),
		Channel: g.channel(), RoutingProfileID: g.str(), InitiationMethod: pick(g, "", InitiatedByAPI, InitiatedByTransfer),
		Priority: g.int(), PreviousState: g.state(), State: g.state(), Version: int64(g.int()), OfferExpiresAt: g.time(),
		Status: AgentStatus(g.str()), RelatedTaskID: g.str(),
		FlowID: g.str(), FlowAction: g.str(), FlowOutcome: pick(g, "", FlowOutcomeEnqueued, FlowOutcomeFailed, FlowOutcomeExpired), Duration: g.dur(),
	}
	if g.maybe(3) {
		e.Err = errors.New(g.str())
	}
	return e
}

func (g jsonGen) stats() Stats {
	return Stats{
		TasksByState: dict(g, g.state, g.int), QueuedByQueue: dict(g, g.str, g.int),
		AgentsByStatus: dict(g, func() AgentStatus { return AgentStatus(g.str()) }, g.int),
		AgentsBlocked:  g.int(), PendingTimers: g.int(), Events: g.r.Uint64(),
	}
}

// jsonGenerators makes a random case of every type.
func jsonGenerators() []func(g jsonGen) jsonCase {
	return []func(g jsonGen) jsonCase{
		func(g jsonGen) jsonCase { return jcase("TaskInput", g.taskInput()) },
		func(g jsonGen) jsonCase { return jcase("Task", g.task()) },
		func(g jsonGen) jsonCase { return jcase("Reference", g.reference()) },
		func(g jsonGen) jsonCase {
			if c := g.criteria(); c != nil {
				return jcase("RoutingCriteria", *c)
			}
			return jcase("RoutingCriteria", RoutingCriteria{})
		},
		func(g jsonGen) jsonCase { return jcase("RoutingStep", g.step()) },
		func(g jsonGen) jsonCase { return jcase("Requirement", g.requirement(1)) },
		func(g jsonGen) jsonCase { return jcase("AttributeCondition", g.condition()) },
		func(g jsonGen) jsonCase { return jcase("Queue", g.queue()) },
		func(g jsonGen) jsonCase { return jcase("HoursOfOperation", g.hours()) },
		func(g jsonGen) jsonCase { return jcase("HoursRange", g.hoursRange()) },
		func(g jsonGen) jsonCase { return jcase("HoursOverride", g.override()) },
		func(g jsonGen) jsonCase { return jcase("RoutingProfile", g.profile()) },
		func(g jsonGen) jsonCase { return jcase("MediaConcurrency", g.concurrency()) },
		func(g jsonGen) jsonCase { return jcase("QueueConfig", g.queueConfig()) },
		func(g jsonGen) jsonCase { return jcase("Agent", g.agent()) },
		func(g jsonGen) jsonCase { return jcase("Proficiency", g.proficiency()) },
		func(g jsonGen) jsonCase { return jcase("Event", g.event()) },
		func(g jsonGen) jsonCase { return jcase("Stats", g.stats()) },
		func(g jsonGen) jsonCase { return jcase("TaskTemplate", g.template()) },
		func(g jsonGen) jsonCase { return jcase("TemplateField", g.templateField()) },
		func(g jsonGen) jsonCase { return jcase("TemplateConstraints", g.constraints()) },
		func(g jsonGen) jsonCase { return jcase("QuickConnect", g.quickConnect()) },
	}
}
