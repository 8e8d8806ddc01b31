package switchboard

// The JSON form of the model and event types, documented in docs/json.md.
// Each type lists its keys once, in jsonFields, in struct order; the codecs
// and the walk over those lists are in json_codec.go. To give a new struct
// field a key, add one fld line to its type's jsonFields (and, for a new enum,
// its values to the enum list below).

// Enums. Closed enums reject unknown values on input; AgentStatus is open.
var (
	channelC          = strC(enumOf("channel", Channels...))
	taskStateP        = enumOf("task state", StateScheduled, StateInFlow, StateQueued, StateOffered, StateConnected, StatePaused, StateAfterContactWork, StateCompleted, StateExpired, StateStopped)
	taskStateC        = strC(taskStateP)
	initiationMethodC = strC(enumOf("initiation method", InitiatedByAPI, InitiatedByRule, InitiatedByFlow, InitiatedByAgent, InitiatedByTransfer, InitiatedByQueueTransfer))
	disconnectReasonC = strC(enumOf("disconnect reason", DisconnectAgentCompleted, DisconnectExpired, DisconnectFlow, DisconnectAPIStopped, DisconnectTransferred))
	referenceTypeC    = strC(enumOf("reference type", ReferenceURL, ReferenceNumber, ReferenceString, ReferenceDate, ReferenceEmail))
	crossChannelC     = strC(enumOf("cross-channel behaviour", CurrentChannelOnly, AnyChannel))
	overrideTypeC     = strC(enumOf("override type", OverrideStandard, OverrideOpen, OverrideClosed))
	blockReasonC      = strC(enumOf("block reason", BlockedMissed, BlockedRejected))
	eventTypeC        = strC(enumOf("event type",
		EventTaskCreated, EventTaskScheduled, EventTaskQueued, EventTaskOffered, EventTaskAccepted,
		EventTaskRejected, EventTaskMissed, EventTaskPaused, EventTaskResumed, EventTaskAfterContactWork,
		EventTaskCompleted, EventTaskTransferred, EventTaskStopped, EventTaskExpired, EventTaskUpdated,
		EventTaskRoutingStep, EventTaskPriorityAged, EventAgentUpdated, EventQueueUpdated, EventQueueDeleted,
		EventRoutingProfileUpdated, EventRoutingProfileDeleted, EventAgentDeleted, EventAgentStatusChanged, EventAgentCleared,
		EventError, EventFlowStarted, EventFlowEnded, EventFlowAction))
	flowOutcomeC = strC(enumOf("flow outcome", FlowOutcomes...))
	agentStatusC = strC(anyString[AgentStatus])
	// Open: a custom status shows as its own name.
	agentActivityC = strC(anyString[AgentActivity])
)

// Enums of task templates and quick connects (template.go).
var (
	templateStatusC   = strC(enumOf("template status", TemplateActive, TemplateInactive))
	fieldTypeC        = strC(enumOf("field type", FieldTypes...))
	quickConnectTypeC = strC(enumOf("quick connect type", QuickConnectUser, QuickConnectQueue))
)

// Plain values and the nested types.
var (
	stringC      = strC(anyString[string])
	stringsC     = sliceC(stringC, false)
	intOf        = intC[int]()
	stringMapC   = mapC(anyString[string], stringC)
	hoursRangesC = sliceC(objC[HoursRange](), false)
	criteriaC    = ptrC(objC[RoutingCriteria]())
)

func (r *Reference) jsonFields() []field {
	return []field{
		fld("type", &r.Type, referenceTypeC),
		fld("value", &r.Value, stringC),
	}
}

func (t *TaskInput) jsonFields() []field {
	return []field{
		fld("name", &t.Name, stringC),
		fld("description", &t.Description, stringC),
		fld("channel", &t.Channel, channelC),
		fld("attributes", &t.Attributes, stringMapC),
		fld("references", &t.References, mapC(anyString[string], objC[Reference]())),
		fld("queueId", &t.QueueID, stringC),
		fld("agentId", &t.AgentID, stringC),
		fld("flowId", &t.FlowID, stringC),
		fld("priority", &t.Priority, intOf),
		fld("queueTimeAdjustment", &t.QueueTimeAdjustment, durationC),
		fld("routingCriteria", &t.RoutingCriteria, criteriaC),
		fld("scheduledAt", &t.ScheduledAt, timeC),
		fld("expiresAt", &t.ExpiresAt, timeC),
		fld("expiry", &t.Expiry, durationC),
		fld("previousTaskId", &t.PreviousTaskID, stringC),
		fld("relatedTaskId", &t.RelatedTaskID, stringC),
		fld("initiationMethod", &t.InitiationMethod, initiationMethodC),
		fld("templateId", &t.TemplateID, stringC),
		fld("createdBy", &t.CreatedBy, stringC),
		fld("clientToken", &t.ClientToken, stringC),
		fld("templateValues", &t.TemplateValues, stringMapC),
	}
}

func (t *Task) jsonFields() []field {
	return []field{
		fld("id", &t.ID, stringC),
		fld("sequence", &t.Sequence, intC[uint64]()),
		fld("version", &t.Version, intC[int64]()),
		fld("name", &t.Name, stringC),
		fld("description", &t.Description, stringC),
		fld("channel", &t.Channel, channelC),
		fld("attributes", &t.Attributes, stringMapC),
		fld("references", &t.References, mapC(anyString[string], objC[Reference]())),
		fld("state", &t.State, taskStateC),
		fld("queueId", &t.QueueID, stringC),
		fld("targetAgentId", &t.TargetAgentID, stringC),
		fld("agentId", &t.AgentID, stringC),
		fld("flowId", &t.FlowID, stringC),
		fld("priority", &t.Priority, intOf),
		fld("effectivePriority", &t.EffectivePriority, intOf),
		fld("queueTimeAdjustment", &t.QueueTimeAdjustment, durationC),
		fld("routingCriteria", &t.RoutingCriteria, criteriaC),
		fld("criteriaActivatedAt", &t.CriteriaActivatedAt, timeC),
		fld("previousTaskId", &t.PreviousTaskID, stringC),
		fld("relatedTaskId", &t.RelatedTaskID, stringC),
		fld("initialTaskId", &t.InitialTaskID, stringC),
		fld("initiationMethod", &t.InitiationMethod, initiationMethodC),
		fld("disconnectReason", &t.DisconnectReason, disconnectReasonC),
		fld("templateId", &t.TemplateID, stringC),
		fld("createdBy", &t.CreatedBy, stringC),
		fld("clientToken", &t.ClientToken, stringC),
		fld("transferCount", &t.TransferCount, intOf),
		fld("rescheduleCount", &t.RescheduleCount, intOf),
		fld("pauseCount", &t.PauseCount, intOf),
		fld("templateChanges", &t.TemplateChanges, intOf),
		fld("rejectedBy", &t.RejectedBy, stringsC),
		fld("rejectedAt", &t.RejectedAt, sliceC(timeC, false)),
		fld("initiatedAt", &t.InitiatedAt, timeC),
		fld("scheduledAt", &t.ScheduledAt, timeC),
		fld("expiresAt", &t.ExpiresAt, timeC),
		fld("enqueuedAt", &t.EnqueuedAt, timeC),
		fld("offeredAt", &t.OfferedAt, timeC),
		fld("offerExpiresAt", &t.OfferExpiresAt, timeC),
		fld("connectedAt", &t.ConnectedAt, timeC),
		fld("lastPausedAt", &t.LastPausedAt, timeC),
		fld("lastResumedAt", &t.LastResumedAt, timeC),
		fld("pausedTotal", &t.PausedTotal, durationC),
		fld("afterContactWorkAt", &t.AfterContactWorkAt, timeC),
		fld("afterContactWorkEnd", &t.AfterContactWorkEnd, timeC),
		fld("disconnectedAt", &t.DisconnectedAt, timeC),
	}
}

func (c *RoutingCriteria) jsonFields() []field {
	return []field{fld("steps", &c.Steps, sliceC(objC[RoutingStep](), false))}
}

func (s *RoutingStep) jsonFields() []field {
	return []field{
		fld("requirement", &s.Requirement, objC[Requirement]()),
		fld("expiry", &s.Expiry, durationC),
	}
}

// Requirement writes whichever of its fields is set, even when empty, so
// that invalid trees (none or several set, empty operands) read back as they
// were and the router reports them.
func (e *Requirement) jsonFields() []field {
	operands := sliceC(objC[Requirement](), true)
	return []field{
		fld("attribute", &e.Attribute, ptrC(objC[AttributeCondition]())),
		fld("preferred", &e.Preferred, sliceC(stringC, true)),
		fld("and", &e.And, operands),
		fld("or", &e.Or, operands),
	}
}

func (a *AttributeCondition) jsonFields() []field {
	return []field{
		fld("name", &a.Name, stringC),
		fld("value", &a.Value, stringC),
		fld("minLevel", &a.MinLevel, intOf),
	}
}

func (q *Queue) jsonFields() []field {
	return []field{
		fld("id", &q.ID, stringC),
		fld("name", &q.Name, stringC),
		fld("description", &q.Description, stringC),
		fld("maxContacts", &q.MaxContacts, intOf),
		fld("disabled", &q.Disabled, boolC),
		fld("hours", &q.Hours, ptrC(objC[HoursOfOperation]())),
		fld("reofferCooldown", &q.ReofferCooldown, ptrC(durationC)),
		fld("priorityAgeing", &q.PriorityAgeing, ptrC(objC[PriorityAgeing]())),
	}
}

func (a *PriorityAgeing) jsonFields() []field {
	return []field{
		fld("every", &a.Every, durationC),
		fld("floor", &a.Floor, intOf),
	}
}

func (h *HoursOfOperation) jsonFields() []field {
	return []field{
		fld("timeZone", &h.TimeZone, stringC),
		fld("ranges", &h.Ranges, hoursRangesC),
		fld("overrides", &h.Overrides, sliceC(objC[HoursOverride](), false)),
	}
}

func (r *HoursRange) jsonFields() []field {
	day := fld("day", &r.Day, weekdayC)
	day.required = true // SUNDAY is the zero Weekday: never left out
	return []field{
		day,
		fld("start", &r.Start, durationC),
		fld("end", &r.End, durationC),
	}
}

func (o *HoursOverride) jsonFields() []field {
	return []field{
		fld("name", &o.Name, stringC),
		fld("type", &o.Type, overrideTypeC),
		fld("from", &o.From, stringC),
		fld("till", &o.Till, stringC),
		fld("ranges", &o.Ranges, hoursRangesC),
	}
}

func (p *RoutingProfile) jsonFields() []field {
	return []field{
		fld("id", &p.ID, stringC),
		fld("name", &p.Name, stringC),
		fld("concurrency", &p.Concurrency, sliceC(objC[MediaConcurrency](), false)),
		fld("queues", &p.Queues, sliceC(objC[QueueConfig](), false)),
	}
}

func (m *MediaConcurrency) jsonFields() []field {
	return []field{
		fld("channel", &m.Channel, channelC),
		fld("concurrency", &m.Concurrency, intOf),
		fld("crossChannel", &m.CrossChannel, crossChannelC),
	}
}

func (c *QueueConfig) jsonFields() []field {
	return []field{
		fld("queueId", &c.QueueID, stringC),
		fld("channel", &c.Channel, channelC),
		fld("priority", &c.Priority, intOf),
		fld("delay", &c.Delay, durationC),
	}
}

func (a *Agent) jsonFields() []field {
	return []field{
		fld("id", &a.ID, stringC),
		fld("name", &a.Name, stringC),
		fld("routingProfileId", &a.RoutingProfileID, stringC),
		fld("proficiencies", &a.Proficiencies, sliceC(objC[Proficiency](), false)),
		fld("autoAccept", &a.AutoAccept, sliceC(channelC, false)),
		fld("afterContactWorkLimit", &a.AfterContactWorkLimit, mapC(enumOf("channel", Channels...), durationC)),
		fld("status", &a.Status, agentStatusC),
		fld("statusSince", &a.StatusSince, timeC),
		fld("lastActivity", &a.LastActivity, timeC),
		fld("blocked", &a.Blocked, blockReasonC),
		fld("blockedTaskId", &a.BlockedTaskID, stringC),
		fld("activity", &a.Activity, agentActivityC),
	}
}

func (p *Proficiency) jsonFields() []field {
	return []field{
		fld("name", &p.Name, stringC),
		fld("value", &p.Value, stringC),
		fld("level", &p.Level, intOf),
	}
}

func (e *Event) jsonFields() []field {
	return []field{
		fld("seq", &e.Seq, intC[uint64]()),
		fld("type", &e.Type, eventTypeC),
		fld("time", &e.Time, timeC),
		fld("taskId", &e.TaskID, stringC),
		fld("agentId", &e.AgentID, stringC),
		fld("queueId", &e.QueueID, stringC),
		fld("channel", &e.Channel, channelC),
		fld("routingProfileId", &e.RoutingProfileID, stringC),
		fld("initiationMethod", &e.InitiationMethod, initiationMethodC),
		fld("priority", &e.Priority, intOf),
		fld("previousState", &e.PreviousState, taskStateC),
		fld("state", &e.State, taskStateC),
		fld("version", &e.Version, intC[int64]()),
		fld("offerExpiresAt", &e.OfferExpiresAt, timeC),
		fld("status", &e.Status, agentStatusC),
		fld("relatedTaskId", &e.RelatedTaskID, stringC),
		fld("flowId", &e.FlowID, stringC),
		fld("flowAction", &e.FlowAction, stringC),
		fld("flowOutcome", &e.FlowOutcome, flowOutcomeC),
		fld("duration", &e.Duration, durationC),
		fld("error", &e.Err, errorC),
	}
}

func (s *Stats) jsonFields() []field {
	return []field{
		fld("tasksByState", &s.TasksByState, mapC(taskStateP, intOf)),
		fld("queuedByQueue", &s.QueuedByQueue, mapC(anyString[string], intOf)),
		fld("agentsByStatus", &s.AgentsByStatus, mapC(anyString[AgentStatus], intOf)),
		fld("agentsBlocked", &s.AgentsBlocked, intOf),
		fld("pendingTimers", &s.PendingTimers, intOf),
		fld("events", &s.Events, intC[uint64]()),
	}
}

func (t *TaskTemplate) jsonFields() []field {
	return []field{
		fld("id", &t.ID, stringC),
		fld("name", &t.Name, stringC),
		fld("description", &t.Description, stringC),
		fld("status", &t.Status, templateStatusC),
		fld("fields", &t.Fields, sliceC(objC[TemplateField](), false)),
		fld("constraints", &t.Constraints, objC[TemplateConstraints]()),
		fld("defaults", &t.Defaults, stringMapC),
		fld("queueId", &t.QueueID, stringC),
	}
}

func (f *TemplateField) jsonFields() []field {
	return []field{
		fld("name", &f.Name, stringC),
		fld("description", &f.Description, stringC),
		fld("type", &f.Type, fieldTypeC),
		fld("singleSelectOptions", &f.SingleSelectOptions, stringsC),
	}
}

func (c *TemplateConstraints) jsonFields() []field {
	return []field{
		fld("required", &c.Required, stringsC),
		fld("readOnly", &c.ReadOnly, stringsC),
		fld("invisible", &c.Invisible, stringsC),
	}
}

func (q *QuickConnect) jsonFields() []field {
	return []field{
		fld("id", &q.ID, stringC),
		fld("name", &q.Name, stringC),
		fld("description", &q.Description, stringC),
		fld("type", &q.Type, quickConnectTypeC),
		fld("userId", &q.UserID, stringC),
		fld("queueId", &q.QueueID, stringC),
		fld("flowId", &q.FlowID, stringC),
		fld("queueIds", &q.QueueIDs, stringsC),
	}
}

// The methods. MarshalJSON writes the form of docs/json.md; UnmarshalJSON
// reads it, replacing the whole value, and reports a bad document as a
// *JSONError naming the JSON path (the value is then unchanged).

// MarshalJSON implements json.Marshaler.
func (r Reference) MarshalJSON() ([]byte, error) { return marshalObject(&r) }

// UnmarshalJSON implements json.Unmarshaler.
func (r *Reference) UnmarshalJSON(b []byte) error { return unmarshalObject(b, r) }

// MarshalJSON implements json.Marshaler.
func (t TaskInput) MarshalJSON() ([]byte, error) { return marshalObject(&t) }

// UnmarshalJSON implements json.Unmarshaler.
func (t *TaskInput) UnmarshalJSON(b []byte) error { return unmarshalObject(b, t) }

// MarshalJSON implements json.Marshaler.
func (t Task) MarshalJSON() ([]byte, error) { return marshalObject(&t) }

// UnmarshalJSON implements json.Unmarshaler.
func (t *Task) UnmarshalJSON(b []byte) error { return unmarshalObject(b, t) }

// MarshalJSON implements json.Marshaler.
func (c RoutingCriteria) MarshalJSON() ([]byte, error) { return marshalObject(&c) }

// UnmarshalJSON implements json.Unmarshaler.
func (c *RoutingCriteria) UnmarshalJSON(b []byte) error { return unmarshalObject(b, c) }

// MarshalJSON implements json.Marshaler.
func (s RoutingStep) MarshalJSON() ([]byte, error) { return marshalObject(&s) }

// UnmarshalJSON implements json.Unmarshaler.
func (s *RoutingStep) UnmarshalJSON(b []byte) error { return unmarshalObject(b, s) }

// MarshalJSON implements json.Marshaler.
func (e Requirement) MarshalJSON() ([]byte, error) { return marshalObject(&e) }

// UnmarshalJSON implements json.Unmarshaler.
func (e *Requirement) UnmarshalJSON(b []byte) error { return unmarshalObject(b, e) }

// MarshalJSON implements json.Marshaler.
func (a AttributeCondition) MarshalJSON() ([]byte, error) { return marshalObject(&a) }

// UnmarshalJSON implements json.Unmarshaler.
func (a *AttributeCondition) UnmarshalJSON(b []byte) error { return unmarshalObject(b, a) }

// MarshalJSON implements json.Marshaler.
func (q Queue) MarshalJSON() ([]byte, error) { return marshalObject(&q) }

// UnmarshalJSON implements json.Unmarshaler.
func (q *Queue) UnmarshalJSON(b []byte) error { return unmarshalObject(b, q) }

// MarshalJSON implements json.Marshaler.
func (a PriorityAgeing) MarshalJSON() ([]byte, error) { return marshalObject(&a) }

// UnmarshalJSON implements json.Unmarshaler.
func (a *PriorityAgeing) UnmarshalJSON(b []byte) error { return unmarshalObject(b, a) }

// MarshalJSON implements json.Marshaler.
func (h HoursOfOperation) MarshalJSON() ([]byte, error) { return marshalObject(&h) }

// UnmarshalJSON implements json.Unmarshaler.
func (h *HoursOfOperation) UnmarshalJSON(b []byte) error { return unmarshalObject(b, h) }

// MarshalJSON implements json.Marshaler.
func (r HoursRange) MarshalJSON() ([]byte, error) { return marshalObject(&r) }

// UnmarshalJSON implements json.Unmarshaler.
func (r *HoursRange) UnmarshalJSON(b []byte) error { return unmarshalObject(b, r) }

// MarshalJSON implements json.Marshaler.
func (o HoursOverride) MarshalJSON() ([]byte, error) { return marshalObject(&o) }

// UnmarshalJSON implements json.Unmarshaler.
func (o *HoursOverride) UnmarshalJSON(b []byte) error { return unmarshalObject(b, o) }

// MarshalJSON implements json.Marshaler.
func (p RoutingProfile) MarshalJSON() ([]byte, error) { return marshalObject(&p) }

// UnmarshalJSON implements json.Unmarshaler.
func (p *RoutingProfile) UnmarshalJSON(b []byte) error { return unmarshalObject(b, p) }

// MarshalJSON implements json.Marshaler.
func (m MediaConcurrency) MarshalJSON() ([]byte, error) { return marshalObject(&m) }

// UnmarshalJSON implements json.Unmarshaler.
func (m *MediaConcurrency) UnmarshalJSON(b []byte) error { return unmarshalObject(b, m) }

// MarshalJSON implements json.Marshaler.
func (c QueueConfig) MarshalJSON() ([]byte, error) { return marshalObject(&c) }

// UnmarshalJSON implements json.Unmarshaler.
func (c *QueueConfig) UnmarshalJSON(b []byte) error { return unmarshalObject(b, c) }

// MarshalJSON implements json.Marshaler.
func (a Agent) MarshalJSON() ([]byte, error) { return marshalObject(&a) }

// UnmarshalJSON implements json.Unmarshaler.
func (a *Agent) UnmarshalJSON(b []byte) error { return unmarshalObject(b, a) }

// MarshalJSON implements json.Marshaler.
func (p Proficiency) MarshalJSON() ([]byte, error) { return marshalObject(&p) }

// UnmarshalJSON implements json.Unmarshaler.
func (p *Proficiency) UnmarshalJSON(b []byte) error { return unmarshalObject(b, p) }

// MarshalJSON implements json.Marshaler.
func (e Event) MarshalJSON() ([]byte, error) { return marshalObject(&e) }

// UnmarshalJSON implements json.Unmarshaler.
func (e *Event) UnmarshalJSON(b []byte) error { return unmarshalObject(b, e) }

// MarshalJSON implements json.Marshaler.
func (s Stats) MarshalJSON() ([]byte, error) { return marshalObject(&s) }

// UnmarshalJSON implements json.Unmarshaler.
func (s *Stats) UnmarshalJSON(b []byte) error { return unmarshalObject(b, s) }

// MarshalJSON implements json.Marshaler.
func (t TaskTemplate) MarshalJSON() ([]byte, error) { return marshalObject(&t) }

// UnmarshalJSON implements json.Unmarshaler.
func (t *TaskTemplate) UnmarshalJSON(b []byte) error { return unmarshalObject(b, t) }

// MarshalJSON implements json.Marshaler.
func (f TemplateField) MarshalJSON() ([]byte, error) { return marshalObject(&f) }

// UnmarshalJSON implements json.Unmarshaler.
func (f *TemplateField) UnmarshalJSON(b []byte) error { return unmarshalObject(b, f) }

// MarshalJSON implements json.Marshaler.
func (c TemplateConstraints) MarshalJSON() ([]byte, error) { return marshalObject(&c) }

// UnmarshalJSON implements json.Unmarshaler.
func (c *TemplateConstraints) UnmarshalJSON(b []byte) error { return unmarshalObject(b, c) }

// MarshalJSON implements json.Marshaler.
func (q QuickConnect) MarshalJSON() ([]byte, error) { return marshalObject(&q) }

// UnmarshalJSON implements json.Unmarshaler.
func (q *QuickConnect) UnmarshalJSON(b []byte) error { return unmarshalObject(b, q) }
