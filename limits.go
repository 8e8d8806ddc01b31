package switchboard

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// Limits of configuration objects, from Amazon Connect's API where it has
// one. Task limits (MaxNameLen, MaxAttributeSize, ...) are in config.go.
const (
	MaxQueueNameLen        = 127 // Queue.Name: 1..127 characters (CreateQueue)
	MaxQueueDescriptionLen = 250 // Queue.Description (CreateQueue)
	MaxProfileNameLen      = 127 // RoutingProfile.Name (CreateRoutingProfile); empty allowed here
	MaxAgentNameLen        = 256 // Agent.Name, a display name
)

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
