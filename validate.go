package switchboard

import (
	"fmt"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ValidateTaskInput checks in against every limit that needs no router state
// (field lengths, attribute size and keys, references, priority, schedule and
// expiry windows, links), as CreateTask does, using now as the current time
// and cfg's limits (nil for the defaults). It returns a *ValidationError
// naming the first bad field, or nil.
func ValidateTaskInput(in *TaskInput, now time.Time, cfg *Config) error {
	c, err := cfg.withDefaults()
	if err != nil {
		return err
	}
	return validateInput(in, now, &c)
}

func validateInput(in *TaskInput, now time.Time, cfg *Config) error {
	if err := checkTaskText(in); err != nil {
		return err
	}
	if in.Channel != "" && in.Channel.index() < 0 {
		return invalid("Channel", string(in.Channel), "must be VOICE, CHAT, TASK or EMAIL")
	}
	switch {
	case in.QueueID == "" && in.AgentID == "" && in.FlowID == "":
		return invalid("QueueID", "", "one of QueueID, AgentID or FlowID is required")
	case in.QueueID != "" && in.AgentID != "":
		return invalid("AgentID", in.AgentID, "set QueueID or AgentID, not both")
	}
	if in.Priority < 0 {
		return invalid("Priority", strconv.Itoa(in.Priority), "must be 1 or more (0 for the default 5)")
	}
	if d := in.QueueTimeAdjustment; d > MaxTaskDuration || d < -MaxTaskDuration {
		return invalid("QueueTimeAdjustment", d.String(), "within ±90 days")
	}
	if in.RoutingCriteria != nil {
		if err := in.RoutingCriteria.validate("RoutingCriteria"); err != nil {
			return err
		}
	}
	if !in.ScheduledAt.IsZero() {
		if in.ScheduledAt.Before(now) {
			return invalid("ScheduledAt", in.ScheduledAt.Format(time.RFC3339), "must not be in the past")
		}
		if in.ScheduledAt.Sub(now) > cfg.MaxScheduleAhead {
			return invalid("ScheduledAt", in.ScheduledAt.Format(time.RFC3339),
				fmt.Sprintf("at most %s ahead", cfg.MaxScheduleAhead))
		}
	}
	if !in.ExpiresAt.IsZero() && in.Expiry != 0 {
		return invalid("Expiry", in.Expiry.String(), "set ExpiresAt or Expiry, not both")
	}
	if in.Expiry < 0 {
		return invalid("Expiry", in.Expiry.String(), "must be positive")
	}
	exp, start := expiryOf(in, now, cfg), startOf(in, now)
	badExpiry := func(limit string) error {
		if in.Expiry > 0 {
			return invalid("Expiry", in.Expiry.String(), limit)
		}
		return invalid("ExpiresAt", exp.Format(time.RFC3339), limit)
	}
	if !exp.After(start) {
		if start.Equal(now) {
			return badExpiry("must be in the future")
		}
		return badExpiry("must be after ScheduledAt")
	}
	if exp.Sub(start) > MaxTaskDuration {
		return badExpiry("at most 90 days after the task starts (creation, or ScheduledAt)")
	}
	if len(in.TemplateValues) > 0 && in.TemplateID == "" {
		return invalid("TemplateValues", "", "given without a TemplateID")
	}
	if in.PreviousTaskID != "" && in.RelatedTaskID != "" {
		return invalid("RelatedTaskID", in.RelatedTaskID, "set PreviousTaskID or RelatedTaskID, not both")
	}
	switch in.InitiationMethod {
	case "", InitiatedByAPI, InitiatedByRule, InitiatedByFlow, InitiatedByAgent, InitiatedByTransfer, InitiatedByQueueTransfer:
	default:
		return invalid("InitiationMethod", string(in.InitiationMethod), "unknown initiation method")
	}
	for _, f := range []struct{ name, v string }{
		{"QueueID", in.QueueID}, {"AgentID", in.AgentID}, {"PreviousTaskID", in.PreviousTaskID},
		{"RelatedTaskID", in.RelatedTaskID}, {"TemplateID", in.TemplateID}, {"CreatedBy", in.CreatedBy},
		{"ClientToken", in.ClientToken}, {"FlowID", in.FlowID},
	} {
		if len(f.v) > 500 {
			return invalid(f.name, f.v, "at most 500 bytes")
		}
		if !utf8.ValidString(f.v) {
			return invalid(f.name, f.v, "must be valid UTF-8")
		}
		if err := noNUL(f.name, f.v); err != nil {
			return err
		}
	}
	return nil
}

// noNUL refuses a NUL character (U+0000) in task text. Go strings and the
// memory store keep it, but a durable store cannot: PostgreSQL's text and
// JSONB refuse it, so a task holding one would fail its store write — and,
// on a group-commit store, the writes of every caller that shared its group.
// Every other character, newlines and tabs included, is kept as given.
func noNUL(field, s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return invalid(field, s, "must not hold NUL (U+0000)")
	}
	return nil
}

// checkTaskText checks a task's name, description, attributes and
// references: what CreateTask and UpdateTaskTemplate both validate.
func checkTaskText(in *TaskInput) error {
	if in.Name == "" {
		return invalid("Name", "", "required")
	}
	if !utf8.ValidString(in.Name) {
		return invalid("Name", in.Name, "must be valid UTF-8")
	}
	if n := utf8.RuneCountInString(in.Name); n > MaxNameLen {
		return invalid("Name", in.Name, fmt.Sprintf("at most %d characters, got %d", MaxNameLen, n))
	}
	if err := noNUL("Name", in.Name); err != nil {
		return err
	}
	if !utf8.ValidString(in.Description) {
		return invalid("Description", in.Description, "must be valid UTF-8")
	}
	if n := utf8.RuneCountInString(in.Description); n > MaxDescLen {
		return invalid("Description", "", fmt.Sprintf("at most %d characters, got %d", MaxDescLen, n))
	}
	if err := noNUL("Description", in.Description); err != nil {
		return err
	}
	if err := validateAttributes("Attributes", in.Attributes); err != nil {
		return err
	}
	return validateReferences(in.References)
}

// startOf is when the task's lifetime starts: its ScheduledAt, or now.
func startOf(in *TaskInput, now time.Time) time.Time {
	if in.ScheduledAt.After(now) {
		return in.ScheduledAt
	}
	return now
}

// expiryOf returns the task's expiry instant. Expiry and the default
// duration count from the task's start, so a task scheduled for next week
// still gets its whole lifetime.
func expiryOf(in *TaskInput, now time.Time, cfg *Config) time.Time {
	switch {
	case !in.ExpiresAt.IsZero():
		return in.ExpiresAt
	case in.Expiry > 0:
		return startOf(in, now).Add(in.Expiry)
	default:
		return startOf(in, now).Add(cfg.DefaultTaskDuration)
	}
}

// validateAttributes checks keys and the 32 KiB total.
func validateAttributes(field string, attrs map[string]string) error {
	total := 0
	for k, v := range attrs {
		if k == "" {
			return invalid(field, "", "empty key")
		}
		for i := 0; i < len(k); i++ {
			c := k[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
				return invalid(field+"["+fieldKey(k)+"]", k, "keys may hold only A-Z a-z 0-9 _ -")
			}
		}
		if !utf8.ValidString(v) {
			return invalid(field+"["+fieldKey(k)+"]", v, "value must be valid UTF-8")
		}
		if err := noNUL(field+"["+fieldKey(k)+"]", v); err != nil {
			return err
		}
		total += len(k) + len(v)
	}
	if total > MaxAttributeSize {
		return invalid(field, "", fmt.Sprintf("at most %d bytes of keys and values in total, got %d", MaxAttributeSize, total))
	}
	return nil
}

func validateReferences(refs map[string]Reference) error {
	if len(refs) > MaxReferences {
		return invalid("References", strconv.Itoa(len(refs)), fmt.Sprintf("at most %d references", MaxReferences))
	}
	for name, ref := range refs {
		f := "References[" + fieldKey(name) + "]"
		if name == "" || len(name) > MaxReferenceLen || !utf8.ValidString(name) || strings.IndexByte(name, 0) >= 0 {
			return invalid("References", name, "names are 1..4096 bytes of UTF-8 without NUL (U+0000)")
		}
		if len(ref.Value) > MaxReferenceLen || !utf8.ValidString(ref.Value) {
			return invalid(f+".Value", ref.Value, "at most 4096 bytes of UTF-8")
		}
		if err := noNUL(f+".Value", ref.Value); err != nil {
			return err
		}
		switch ref.Type {
		case ReferenceString:
		case ReferenceURL:
			u, err := url.Parse(ref.Value)
			if err != nil || u.Scheme == "" || u.Host == "" {
				return invalid(f+".Value", ref.Value, "URL must be absolute, like https://example.com/ticket/1")
			}
		case ReferenceNumber:
			if !isDecimal(ref.Value) {
				return invalid(f+".Value", ref.Value, "NUMBER must be a decimal number like -12.5 or 3e2")
			}
		case ReferenceDate:
			if _, err := strconv.ParseInt(ref.Value, 10, 64); err != nil {
				return invalid(f+".Value", ref.Value, "DATE must be an epoch timestamp in seconds")
			}
		case ReferenceEmail:
			if a, err := mail.ParseAddress(ref.Value); err != nil || a.Address != ref.Value {
				return invalid(f+".Value", ref.Value, "EMAIL must be a plain address like ana@example.com")
			}
		default:
			return invalid(f+".Type", string(ref.Type), "must be URL, NUMBER, STRING, DATE or EMAIL")
		}
	}
	return nil
}

// isDecimal reports whether s is a plain decimal number: optional sign,
// digits with an optional fraction, optional exponent. No hex, no
// underscores, no NaN or Inf.
func isDecimal(s string) bool {
	i, n := 0, len(s)
	if i < n && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < n && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < n && s[i] == '.' {
		i++
		for i < n && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < n && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < n && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < n && s[i] >= '0' && s[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == n
}

// fieldKey renders a map key for a field path: quoted (so invalid UTF-8 and
// control characters show as escapes) and shortened.
func fieldKey(k string) string {
	if len(k) > 64 {
		cut := 61
		for cut > 0 && !utf8.RuneStart(k[cut]) {
			cut--
		}
		k = k[:cut] + "..."
	}
	q := strconv.Quote(k)
	if q[1:len(q)-1] == k {
		return k // plain keys stay unquoted: Attributes[customer_id]
	}
	return q
}
