package switchboard

import (
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"
)

// This file holds every limit of the model, from Amazon Connect's API and
// quotas where it has one, and the field checks the validators share. Bad
// input is refused with a *ValidationError naming the field and the limit.

// Per-task quotas of Amazon Connect.
const (
	MaxTransfers   = 11
	MaxReschedules = 20
	// MaxTemplateChanges bounds how often a task is re-templated
	// (Router.UpdateTaskTemplate) before an agent connects.
	MaxTemplateChanges = 5
	MaxPauses          = 10
	MaxChainLength     = 12 // tasks linked into one PreviousTaskID chain
	MaxNameLen         = 1024
	MaxDescLen         = 4096
	MaxAttributeSize   = 32 * 1024 // bytes of all attribute keys and values
	MaxReferences      = 25
	MaxReferenceLen    = 4096
)

// MaxIDLen bounds every ID: of tasks (Config.NewID), queues, routing
// profiles, agents. Connect's are 36-character UUIDs or ARNs of at most 256
// characters.
const MaxIDLen = 256

// Limits of queues, routing profiles and agents.
const (
	MaxQueueNameLen           = 127 // Queue.Name: 1..127 characters (CreateQueue)
	MaxQueueDescriptionLen    = 250 // Queue.Description (CreateQueue)
	MaxProfileNameLen         = 127 // RoutingProfile.Name (CreateRoutingProfile); empty allowed here
	MaxQueueConfigsPerProfile = 50
	MaxQueuePriority          = 99
	MaxQueueDelay             = 9999 * time.Second
	MaxAgentNameLen           = 256 // Agent.Name, a display name
	MaxProficiencies          = 10  // per agent
	MaxAfterContactWorkLimit  = 2_000_000 * time.Second
	// MaxAgentStatuses is the most agent statuses one router has, the
	// built-in Available and Offline included (Connect's 50 per instance).
	MaxAgentStatuses      = 50
	MaxAgentStatusNameLen = 127 // characters
)

// Limits of task templates and quick connects (Connect's quotas and
// CreateTaskTemplate, CreateQuickConnect).
const (
	MaxTemplates              = 50 // per router (Connect: per instance, not adjustable)
	MaxTemplateFields         = 50 // per template (not adjustable)
	MaxTemplateNameLen        = 100
	MaxTemplateDescriptionLen = 255 // of a template and of a field
	MaxTemplateFieldNameLen   = 100 // also of a SINGLE_SELECT option
	MaxSingleSelectOptions    = 100
	MaxTemplateDefaultLen     = 4096
	MaxTextFieldLen           = 512  // a TEXT value has fewer characters
	MaxTextAreaFieldLen       = 4096 // a TEXT_AREA value has fewer characters
	// MaxQuickConnects is the most quick connects one router keeps; Connect's
	// default quota is 100 per instance (adjustable).
	MaxQuickConnects              = 100
	MaxQuickConnectNameLen        = 127
	MaxQuickConnectDescriptionLen = 250
	MaxQuickConnectQueues         = 50 // queues one quick connect is attached to
)

// Limits of routing criteria.
const (
	MaxRoutingSteps      = 10 // Connect documents none; this keeps evaluation bounded
	MaxRequirementDepth  = 5
	MaxRequirementLeaves = 50
	MaxPreferredAgents   = 100
)

// checkAttrName and checkAttrValue check a proficiency attribute's name
// (1..100 characters) and value (1..128), as Connect's predefined attributes.
func checkAttrName(field, s string) error { return checkText(field, s, 1, 100) }

func checkAttrValue(field, s string) error { return checkText(field, s, 1, 128) }

// checkID checks an ID of a task, queue, routing profile or agent: 1 to
// MaxIDLen bytes of valid UTF-8, without control characters or spaces at
// either end (IDs appear in logs, URLs and store keys).
func checkID(field, id string) error {
	switch {
	case id == "":
		return invalid(field, "", "required")
	case len(id) > MaxIDLen:
		return invalid(field, id, fmt.Sprintf("at most %d bytes, got %d", MaxIDLen, len(id)))
	case !utf8.ValidString(id):
		return invalid(field, id, "must be valid UTF-8")
	}
	for _, r := range id {
		if unicode.IsControl(r) {
			return invalid(field, id, "must not hold control characters")
		}
	}
	if r, _ := utf8.DecodeRuneInString(id); unicode.IsSpace(r) {
		return invalid(field, id, "must not start with a space")
	}
	if r, _ := utf8.DecodeLastRuneInString(id); unicode.IsSpace(r) {
		return invalid(field, id, "must not end with a space")
	}
	return nil
}

// checkText checks a human-readable name or description: valid UTF-8,
// min..max characters, no control characters other than newline and tab.
func checkText(field, s string, min, max int) error {
	if !utf8.ValidString(s) {
		return invalid(field, s, "must be valid UTF-8")
	}
	if n := utf8.RuneCountInString(s); n < min || n > max {
		if min == 0 {
			return invalid(field, s, fmt.Sprintf("at most %d characters, got %d", max, n))
		}
		return invalid(field, s, fmt.Sprintf("%d..%d characters, got %d", min, max, n))
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return invalid(field, s, "must not hold control characters")
		}
	}
	return nil
}
