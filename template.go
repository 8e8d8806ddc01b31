package switchboard

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// This file holds task templates and quick connects, as Amazon Connect models
// them: the types, their validation, the Router's admin methods, and how
// CreateTask fills a task from a template. Both are kept through the optional
// TemplateStore capability of the Store.

// TemplateStatus says whether tasks may be created from a template.
type TemplateStatus string

// Template statuses. Tasks are created only from ACTIVE templates.
const (
	TemplateActive   TemplateStatus = "ACTIVE"
	TemplateInactive TemplateStatus = "INACTIVE"
)

// FieldType is the type of a task template field.
type FieldType string

// Field types, as Connect's TaskTemplateFieldType. NAME, DESCRIPTION,
// SCHEDULED_TIME and EXPIRY_DURATION fill the task's own fields;
// QUICK_CONNECT picks its destination; the others become references.
const (
	FieldName           FieldType = "NAME"            // the task's Name
	FieldDescription    FieldType = "DESCRIPTION"     // the task's Description
	FieldScheduledTime  FieldType = "SCHEDULED_TIME"  // the task's ScheduledAt: RFC 3339
	FieldQuickConnect   FieldType = "QUICK_CONNECT"   // the ID of a quick connect: where the task goes
	FieldURL            FieldType = "URL"             // URL reference: an absolute URL
	FieldNumber         FieldType = "NUMBER"          // NUMBER reference: a decimal number
	FieldText           FieldType = "TEXT"            // STRING reference, fewer than 512 characters
	FieldTextArea       FieldType = "TEXT_AREA"       // STRING reference, fewer than 4096 characters
	FieldDateTime       FieldType = "DATE_TIME"       // DATE reference: RFC 3339 or epoch seconds
	FieldBoolean        FieldType = "BOOLEAN"         // STRING reference: true or false
	FieldSingleSelect   FieldType = "SINGLE_SELECT"   // STRING reference: one of SingleSelectOptions
	FieldEmail          FieldType = "EMAIL"           // EMAIL reference: a plain address
	FieldExpiryDuration FieldType = "EXPIRY_DURATION" // the task's Expiry: minutes, or a Go duration like 36h
)

// FieldTypes lists every FieldType.
var FieldTypes = []FieldType{
	FieldName, FieldDescription, FieldScheduledTime, FieldQuickConnect, FieldURL, FieldNumber, FieldText,
	FieldTextArea, FieldDateTime, FieldBoolean, FieldSingleSelect, FieldEmail, FieldExpiryDuration,
}

// TaskTemplate is a form for creating tasks (Connect's CreateTaskTemplate):
// named, typed fields with constraints and defaults. A task created with
// TaskInput.TemplateID is validated and filled from it.
type TaskTemplate struct {
	ID          string         // 1..MaxIDLen bytes
	Name        string         // 1..100 characters
	Description string         // at most 255 characters
	Status      TemplateStatus // ACTIVE or INACTIVE; empty means ACTIVE
	// Fields are the template's fields, 1..MaxTemplateFields, with unique
	// names; exactly one of type NAME, and at most one each of DESCRIPTION,
	// SCHEDULED_TIME, QUICK_CONNECT and EXPIRY_DURATION.
	Fields      []TemplateField
	Constraints TemplateConstraints
	// Defaults are values of fields, by field name, used when the caller
	// gives none; each a valid value of its field, at most 4096 characters.
	Defaults map[string]string
	// QueueID is the queue tasks of the template go to when neither a
	// QUICK_CONNECT value nor the caller names a destination (a stand-in for
	// Connect's ContactFlowId). Optional; the queue must exist when the
	// template is put.
	QueueID string
}

// TemplateField is one field of a task template.
type TemplateField struct {
	Name        string    // 1..100 characters; the key of its value and reference
	Description string    // at most 255 characters
	Type        FieldType // one of FieldTypes
	// SingleSelectOptions are the values a SINGLE_SELECT field allows (1..100
	// unique options of 1..100 characters); empty for other types.
	SingleSelectOptions []string
}

// TemplateConstraints lists field names by constraint. A required field must
// have a value (given or default); a read-only or invisible field cannot be
// given by the caller and keeps its default.
type TemplateConstraints struct {
	Required  []string
	ReadOnly  []string
	Invisible []string
}

// Clone returns a deep copy of t.
func (t *TaskTemplate) Clone() *TaskTemplate {
	c := *t
	c.Fields = slices.Clone(t.Fields)
	for i := range c.Fields {
		c.Fields[i].SingleSelectOptions = slices.Clone(c.Fields[i].SingleSelectOptions)
	}
	c.Constraints.Required = slices.Clone(t.Constraints.Required)
	c.Constraints.ReadOnly = slices.Clone(t.Constraints.ReadOnly)
	c.Constraints.Invisible = slices.Clone(t.Constraints.Invisible)
	c.Defaults = maps.Clone(t.Defaults)
	return &c
}

// field returns the field called name, or nil.
func (t *TaskTemplate) field(name string) *TemplateField {
	for i := range t.Fields {
		if t.Fields[i].Name == name {
			return &t.Fields[i]
		}
	}
	return nil
}

// Validate checks t against Connect's rules and this package's limits and
// returns a *ValidationError naming the first bad field
// ("TaskTemplate.Fields[3].Type"), or nil. It needs no router state: whether
// QueueID and the quick connects the template names exist is checked by the
// Router.
func (t *TaskTemplate) Validate() error {
	const p = "TaskTemplate."
	if err := checkID(p+"ID", t.ID); err != nil {
		return err
	}
	if err := checkText(p+"Name", t.Name, 1, MaxTemplateNameLen); err != nil {
		return err
	}
	if err := checkText(p+"Description", t.Description, 0, MaxTemplateDescriptionLen); err != nil {
		return err
	}
	switch t.Status {
	case "", TemplateActive, TemplateInactive:
	default:
		return invalid(p+"Status", string(t.Status), "must be ACTIVE or INACTIVE")
	}
	if len(t.Fields) == 0 {
		return invalid(p+"Fields", "", "required: at least one field, of type NAME")
	}
	if len(t.Fields) > MaxTemplateFields {
		return invalid(p+"Fields", "", fmt.Sprintf("at most %d fields, got %d", MaxTemplateFields, len(t.Fields)))
	}
	seen := make(map[string]bool, len(t.Fields))
	byType := map[FieldType]int{}
	nameField := ""
	for i := range t.Fields {
		f := &t.Fields[i]
		fp := fmt.Sprintf("%sFields[%d]", p, i)
		if err := checkText(fp+".Name", f.Name, 1, MaxTemplateFieldNameLen); err != nil {
			return err
		}
		if seen[f.Name] {
			return invalid(fp+".Name", f.Name, "duplicate field name")
		}
		seen[f.Name] = true
		if err := checkText(fp+".Description", f.Description, 0, MaxTemplateDescriptionLen); err != nil {
			return err
		}
		if !slices.Contains(FieldTypes, f.Type) {
			return invalid(fp+".Type", string(f.Type), "unknown field type")
		}
		switch f.Type {
		case FieldName, FieldDescription, FieldScheduledTime, FieldQuickConnect, FieldExpiryDuration:
			if byType[f.Type] > 0 {
				if f.Type == FieldName {
					return invalid(fp+".Type", string(f.Type), "exactly one field of type NAME")
				}
				return invalid(fp+".Type", string(f.Type), "at most one field of type "+string(f.Type))
			}
			if f.Type == FieldName {
				nameField = f.Name
			}
		}
		byType[f.Type]++
		if f.Type != FieldSingleSelect {
			if len(f.SingleSelectOptions) > 0 {
				return invalid(fp+".SingleSelectOptions", "", "only a SINGLE_SELECT field has options")
			}
			continue
		}
		if n := len(f.SingleSelectOptions); n == 0 || n > MaxSingleSelectOptions {
			return invalid(fp+".SingleSelectOptions", "", fmt.Sprintf("1..%d options, got %d", MaxSingleSelectOptions, n))
		}
		for j, o := range f.SingleSelectOptions {
			op := fmt.Sprintf("%s.SingleSelectOptions[%d]", fp, j)
			if err := checkText(op, o, 1, MaxTemplateFieldNameLen); err != nil {
				return err
			}
			if slices.Contains(f.SingleSelectOptions[:j], o) {
				return invalid(op, o, "duplicate option")
			}
		}
	}
	if nameField == "" {
		return invalid(p+"Fields", "", "exactly one field of type NAME")
	}
	c := &t.Constraints
	for _, l := range []struct {
		name  string
		names []string
	}{{"Required", c.Required}, {"ReadOnly", c.ReadOnly}, {"Invisible", c.Invisible}} {
		for i, n := range l.names {
			fp := fmt.Sprintf("%sConstraints.%s[%d]", p, l.name, i)
			if !seen[n] {
				return invalid(fp, n, "not a field of the template")
			}
			if slices.Contains(l.names[:i], n) {
				return invalid(fp, n, "listed twice")
			}
			if l.name != "Required" && slices.Contains(c.Required, n) && t.Defaults[n] == "" {
				return invalid(fp, n, "a required field that the caller cannot set needs a default")
			}
		}
	}
	if !slices.Contains(c.Required, nameField) {
		return invalid(p+"Constraints.Required", nameField, "the NAME field must be required")
	}
	for _, n := range slices.Sorted(maps.Keys(t.Defaults)) {
		fp := p + "Defaults[" + fieldKey(n) + "]"
		v := t.Defaults[n]
		f := t.field(n)
		if f == nil {
			return invalid(fp, n, "not a field of the template")
		}
		if n := utf8.RuneCountInString(v); n > MaxTemplateDefaultLen {
			return invalid(fp, "", fmt.Sprintf("at most %d characters, got %d", MaxTemplateDefaultLen, n))
		}
		if v == "" {
			continue // an empty default is no default
		}
		if _, _, msg := f.parse(v); msg != "" {
			return invalid(fp, v, msg)
		}
	}
	if t.QueueID != "" {
		if err := checkID(p+"QueueID", t.QueueID); err != nil {
			return err
		}
	}
	return nil
}

// fieldValue is a parsed template field value.
type fieldValue struct {
	s string        // the text (for references, their value)
	t time.Time     // SCHEDULED_TIME
	d time.Duration // EXPIRY_DURATION
}

// parse checks v as a value of f and returns it parsed, the reference type it
// becomes ("" for fields that fill task fields), or the rule it breaks.
func (f *TemplateField) parse(v string) (fieldValue, ReferenceType, string) {
	if !utf8.ValidString(v) {
		return fieldValue{}, "", "must be valid UTF-8"
	}
	n := utf8.RuneCountInString(v)
	switch f.Type {
	case FieldName:
		if n > MaxNameLen {
			return fieldValue{}, "", fmt.Sprintf("at most %d characters, got %d", MaxNameLen, n)
		}
		return fieldValue{s: v}, "", ""
	case FieldDescription:
		if n > MaxDescLen {
			return fieldValue{}, "", fmt.Sprintf("at most %d characters, got %d", MaxDescLen, n)
		}
		return fieldValue{s: v}, "", ""
	case FieldScheduledTime:
		at, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return fieldValue{}, "", "SCHEDULED_TIME must be an RFC 3339 time like 2026-05-01T09:00:00Z"
		}
		return fieldValue{t: at}, "", ""
	case FieldExpiryDuration:
		d, err := parseExpiry(v)
		if err != nil || d <= 0 || d > MaxTaskDuration {
			return fieldValue{}, "", "EXPIRY_DURATION must be minutes (90) or a duration (36h), positive and at most 90 days"
		}
		return fieldValue{d: d}, "", ""
	case FieldQuickConnect:
		if v == "" || len(v) > MaxIDLen {
			return fieldValue{}, "", "QUICK_CONNECT must be the ID of a quick connect"
		}
		return fieldValue{s: v}, "", ""
	case FieldURL:
		u, err := url.Parse(v)
		if err != nil || u.Scheme == "" || u.Host == "" || len(v) > MaxReferenceLen {
			return fieldValue{}, "", "URL must be absolute, like https://example.com/ticket/1"
		}
		return fieldValue{s: v}, ReferenceURL, ""
	case FieldNumber:
		if !isDecimal(v) {
			return fieldValue{}, "", "NUMBER must be a decimal number like -12.5 or 3e2"
		}
		return fieldValue{s: v}, ReferenceNumber, ""
	case FieldText:
		if n >= MaxTextFieldLen {
			return fieldValue{}, "", fmt.Sprintf("TEXT must be shorter than %d characters, got %d", MaxTextFieldLen, n)
		}
		return fieldValue{s: v}, ReferenceString, ""
	case FieldTextArea:
		if n >= MaxTextAreaFieldLen {
			return fieldValue{}, "", fmt.Sprintf("TEXT_AREA must be shorter than %d characters, got %d", MaxTextAreaFieldLen, n)
		}
		return fieldValue{s: v}, ReferenceString, ""
	case FieldDateTime:
		if _, err := strconv.ParseInt(v, 10, 64); err == nil {
			return fieldValue{s: v}, ReferenceDate, ""
		}
		at, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return fieldValue{}, "", "DATE_TIME must be an RFC 3339 time or epoch seconds"
		}
		return fieldValue{s: strconv.FormatInt(at.Unix(), 10)}, ReferenceDate, ""
	case FieldBoolean:
		if v != "true" && v != "false" {
			return fieldValue{}, "", "BOOLEAN must be true or false"
		}
		return fieldValue{s: v}, ReferenceString, ""
	case FieldSingleSelect:
		if !slices.Contains(f.SingleSelectOptions, v) {
			return fieldValue{}, "", "must be one of " + strings.Join(f.SingleSelectOptions, ", ")
		}
		return fieldValue{s: v}, ReferenceString, ""
	case FieldEmail:
		if a, err := mail.ParseAddress(v); err != nil || a.Address != v {
			return fieldValue{}, "", "EMAIL must be a plain address like ana@example.com"
		}
		return fieldValue{s: v}, ReferenceEmail, ""
	}
	return fieldValue{}, "", "unknown field type"
}

// parseExpiry reads an EXPIRY_DURATION value: whole minutes, or a Go
// duration.
func parseExpiry(v string) (time.Duration, error) {
	if m, err := strconv.ParseInt(v, 10, 64); err == nil {
		if m <= 0 || m > int64(MaxTaskDuration/time.Minute) {
			return 0, errors.New("out of range")
		}
		return time.Duration(m) * time.Minute, nil
	}
	return time.ParseDuration(v)
}

// QuickConnectType is the kind of destination of a quick connect.
type QuickConnectType string

// Quick connect types. Connect's PHONE_NUMBER and FLOW have no equivalent
// here.
const (
	QuickConnectUser  QuickConnectType = "USER"  // an agent: the task goes to the agent's agent queue
	QuickConnectQueue QuickConnectType = "QUEUE" // a queue
)

// QuickConnect is a named destination (Connect's CreateQuickConnect): an
// agent or a queue, each with an optional flow. Agents see the quick connects
// of the queues it is attached to; a template's QUICK_CONNECT field takes its
// ID.
type QuickConnect struct {
	ID          string           // 1..MaxIDLen bytes
	Name        string           // 1..127 characters
	Description string           // at most 250 characters
	Type        QuickConnectType // USER or QUEUE
	UserID      string           // USER: the agent
	QueueID     string           // QUEUE: the queue
	// FlowID is the transfer flow (optional). When the router has a flow
	// runner (Config.Flows), a Transfer through the quick connect starts the
	// new segment IN_FLOW in this flow, with the quick connect's queue or
	// agent as its working queue (the flow enqueues it, typically with
	// TransferContactToQueue); a flow the runner does not have fails the
	// transfer. Without a runner the flow is kept and not run.
	FlowID string
	// QueueIDs are the queues the quick connect is attached to: those whose
	// agents are offered it (ListQuickConnects with a queue ID).
	QueueIDs []string
}

// Clone returns a deep copy of q.
func (q *QuickConnect) Clone() *QuickConnect {
	c := *q
	c.QueueIDs = slices.Clone(q.QueueIDs)
	return &c
}

// Validate checks q without router state and returns a *ValidationError
// naming the first bad field, or nil.
func (q *QuickConnect) Validate() error {
	const p = "QuickConnect."
	if err := checkID(p+"ID", q.ID); err != nil {
		return err
	}
	if err := checkText(p+"Name", q.Name, 1, MaxQuickConnectNameLen); err != nil {
		return err
	}
	if err := checkText(p+"Description", q.Description, 0, MaxQuickConnectDescriptionLen); err != nil {
		return err
	}
	switch q.Type {
	case QuickConnectUser:
		if err := checkID(p+"UserID", q.UserID); err != nil {
			return err
		}
		if q.QueueID != "" {
			return invalid(p+"QueueID", q.QueueID, "a USER quick connect names UserID, not QueueID")
		}
	case QuickConnectQueue:
		if err := checkID(p+"QueueID", q.QueueID); err != nil {
			return err
		}
		if q.UserID != "" {
			return invalid(p+"UserID", q.UserID, "a QUEUE quick connect names QueueID, not UserID")
		}
	default:
		return invalid(p+"Type", string(q.Type), "must be USER or QUEUE")
	}
	if q.FlowID != "" {
		if err := checkID(p+"FlowID", q.FlowID); err != nil {
			return err
		}
	}
	if len(q.QueueIDs) > MaxQuickConnectQueues {
		return invalid(p+"QueueIDs", "", fmt.Sprintf("at most %d queues, got %d", MaxQuickConnectQueues, len(q.QueueIDs)))
	}
	for i, id := range q.QueueIDs {
		fp := fmt.Sprintf("%sQueueIDs[%d]", p, i)
		if err := checkID(fp, id); err != nil {
			return err
		}
		if slices.Contains(q.QueueIDs[:i], id) {
			return invalid(fp, id, "listed twice")
		}
	}
	return nil
}

// TemplateStore is the optional Store capability that keeps task templates
// and quick connects across restarts. A Store that implements it is found by
// type assertion, as database/sql/driver finds optional interfaces; without
// it the Router's template and quick connect methods fail with an error
// matching errors.ErrUnsupported.
//
// Ownership follows Store: a record passed to a Put method belongs to the
// router and is valid only during the call (copy what you keep); records
// returned belong to the caller (return copies). Deleting a missing ID is not
// an error. Implementations must be safe for concurrent use.
type TemplateStore interface {
	PutTemplate(ctx context.Context, t *TaskTemplate) error
	DeleteTemplate(ctx context.Context, id string) error
	// Templates returns every stored template, in any order.
	Templates(ctx context.Context) ([]*TaskTemplate, error)
	PutQuickConnect(ctx context.Context, q *QuickConnect) error
	DeleteQuickConnect(ctx context.Context, id string) error
	// QuickConnects returns every stored quick connect, in any order.
	QuickConnects(ctx context.Context) ([]*QuickConnect, error)
}

// templateStore returns the store's TemplateStore, or an error matching
// errors.ErrUnsupported that says what is missing.
func (r *Router) templateStore(op string) (TemplateStore, error) {
	ts, ok := r.store.s.(TemplateStore)
	if !ok {
		return nil, fmt.Errorf("switchboard: %s: the store (%T) does not implement switchboard.TemplateStore, which keeps templates and quick connects: %w", op, r.store.s, errors.ErrUnsupported)
	}
	return ts, nil
}

// loadTemplates reads the templates and quick connects of a store that keeps
// them; NewRouter calls it before it takes the lock.
func (r *Router) loadTemplates(ctx context.Context) (err error) {
	defer r.store.containAs("Templates", "load templates", &err)
	r.templates = map[string]*TaskTemplate{}
	r.quickConnects = map[string]*QuickConnect{}
	ts, ok := r.store.s.(TemplateStore)
	if !ok {
		return nil
	}
	tpls, err := ts.Templates(ctx)
	if err != nil {
		return &StoreError{Op: "load templates", Err: err}
	}
	for _, t := range tpls {
		if t == nil {
			return &StoreError{Op: "load templates", Err: errors.New("nil template")}
		}
		r.templates[t.ID] = t
	}
	qcs, err := ts.QuickConnects(ctx)
	if err != nil {
		return &StoreError{Op: "load quick connects", Err: err}
	}
	for _, q := range qcs {
		if q == nil {
			return &StoreError{Op: "load quick connects", Err: errors.New("nil quick connect")}
		}
		r.quickConnects[q.ID] = q
	}
	return nil
}

// PutTaskTemplate creates or replaces a task template. It must be valid
// (TaskTemplate.Validate), its QueueID must name an existing queue, and a
// router holds at most MaxTemplates templates. The store must implement
// TemplateStore. Tasks already created from the template keep what they
// were filled with.
func (r *Router) PutTaskTemplate(ctx context.Context, t TaskTemplate) (err error) {
	if err := t.Validate(); err != nil {
		return err
	}
	t = *t.Clone()
	if t.Status == "" {
		t.Status = TemplateActive
	}
	if err := r.lock(ctx); err != nil {
		return err
	}
	defer r.unlock(ctx, &err)
	ts, err := r.templateStore("PutTaskTemplate")
	if err != nil {
		return err
	}
	if t.QueueID != "" && r.queues[t.QueueID] == nil {
		return fmt.Errorf("TaskTemplate.QueueID: %w", notFound("queue", t.QueueID))
	}
	if r.templates[t.ID] == nil && len(r.templates) >= MaxTemplates {
		return &LimitError{What: "task templates per router", Limit: MaxTemplates}
	}
	if err := ts.PutTemplate(ctx, &t); err != nil {
		return &StoreError{Op: "put task template", Err: err}
	}
	r.templates[t.ID] = &t
	return nil
}

// TaskTemplate returns a copy of the template with id. It is answered from
// memory.
func (r *Router) TaskTemplate(id string) (*TaskTemplate, error) {
	if err := r.rlock(); err != nil {
		return nil, err
	}
	defer r.mu.Unlock()
	t := r.templates[id]
	if t == nil {
		return nil, notFound("task template", id)
	}
	return t.Clone(), nil
}

// ListTaskTemplates returns copies of every template, by ID. It is answered
// from memory.
func (r *Router) ListTaskTemplates() ([]*TaskTemplate, error) {
	if err := r.rlock(); err != nil {
		return nil, err
	}
	defer r.mu.Unlock()
	out := make([]*TaskTemplate, 0, len(r.templates))
	for _, id := range slices.Sorted(maps.Keys(r.templates)) {
		out = append(out, r.templates[id].Clone())
	}
	return out, nil
}

// DeleteTaskTemplate removes a template. Tasks created from it keep their
// TemplateID and values.
func (r *Router) DeleteTaskTemplate(ctx context.Context, id string) (err error) {
	if err := r.lock(ctx); err != nil {
		return err
	}
	defer r.unlock(ctx, &err)
	ts, err := r.templateStore("DeleteTaskTemplate")
	if err != nil {
		return err
	}
	if r.templates[id] == nil {
		return notFound("task template", id)
	}
	if err := ts.DeleteTemplate(ctx, id); err != nil {
		return &StoreError{Op: "delete task template", Err: err}
	}
	delete(r.templates, id)
	return nil
}

// PutQuickConnect creates or replaces a quick connect. It must be valid
// (QuickConnect.Validate), and its agent or queue and the queues it is
// attached to must exist. The store must implement TemplateStore.
func (r *Router) PutQuickConnect(ctx context.Context, q QuickConnect) (err error) {
	if err := q.Validate(); err != nil {
		return err
	}
	q = *q.Clone()
	if err := r.lock(ctx); err != nil {
		return err
	}
	defer r.unlock(ctx, &err)
	ts, err := r.templateStore("PutQuickConnect")
	if err != nil {
		return err
	}
	switch {
	case q.Type == QuickConnectUser && r.agents[q.UserID] == nil:
		return fmt.Errorf("QuickConnect.UserID: %w", notFound("agent", q.UserID))
	case q.Type == QuickConnectQueue && r.queues[q.QueueID] == nil:
		return fmt.Errorf("QuickConnect.QueueID: %w", notFound("queue", q.QueueID))
	}
	for i, id := range q.QueueIDs {
		if r.queues[id] == nil {
			return fmt.Errorf("QuickConnect.QueueIDs[%d]: %w", i, notFound("queue", id))
		}
	}
	if r.quickConnects[q.ID] == nil && len(r.quickConnects) >= MaxQuickConnects {
		return &LimitError{What: "quick connects per router", Limit: MaxQuickConnects}
	}
	if err := ts.PutQuickConnect(ctx, &q); err != nil {
		return &StoreError{Op: "put quick connect", Err: err}
	}
	r.quickConnects[q.ID] = &q
	return nil
}

// ListQuickConnects returns copies of the quick connects attached to the
// queue queueID (Connect's ListQueueQuickConnects), or of every quick
// connect when queueID is empty, by ID. It is answered from memory.
func (r *Router) ListQuickConnects(queueID string) ([]*QuickConnect, error) {
	if err := r.rlock(); err != nil {
		return nil, err
	}
	defer r.mu.Unlock()
	out := []*QuickConnect{}
	for _, id := range slices.Sorted(maps.Keys(r.quickConnects)) {
		q := r.quickConnects[id]
		if queueID == "" || slices.Contains(q.QueueIDs, queueID) {
			out = append(out, q.Clone())
		}
	}
	return out, nil
}

// DeleteQuickConnect removes a quick connect. A template whose default
// names it keeps the default; tasks created with that default then fail
// validation until the template is changed.
func (r *Router) DeleteQuickConnect(ctx context.Context, id string) (err error) {
	if err := r.lock(ctx); err != nil {
		return err
	}
	defer r.unlock(ctx, &err)
	ts, err := r.templateStore("DeleteQuickConnect")
	if err != nil {
		return err
	}
	if r.quickConnects[id] == nil {
		return notFound("quick connect", id)
	}
	if err := ts.DeleteQuickConnect(ctx, id); err != nil {
		return &StoreError{Op: "delete quick connect", Err: err}
	}
	delete(r.quickConnects, id)
	return nil
}

// applyTemplate fills in from the template it names, as Connect does when a
// task is created from a template. r.mu must be held. The result replaces in:
//
//   - TemplateValues are the values of template fields by field name; a
//     field the caller leaves out takes its default. Keys that name no field,
//     values of read-only or invisible fields, and values a field's type does
//     not allow are refused with a *ValidationError on TemplateValues[name].
//   - Required fields must end up with a value (given or default).
//   - NAME, DESCRIPTION, SCHEDULED_TIME and EXPIRY_DURATION set Name,
//     Description, ScheduledAt and Expiry, which the caller must then leave
//     unset; other fields become References named after the field (TEXT,
//     TEXT_AREA, BOOLEAN, SINGLE_SELECT → STRING; NUMBER → NUMBER; DATE_TIME
//     → DATE; URL → URL; EMAIL → EMAIL), which the caller must not also give.
//   - A QUICK_CONNECT value sends the task to the quick connect's agent
//     (USER) or queue (QUEUE), and the caller must then leave QueueID and
//     AgentID unset; otherwise the caller's QueueID or AgentID applies, and
//     failing those the template's QueueID.
func (r *Router) applyTemplate(in *TaskInput) error {
	if len(in.TemplateID) > 500 {
		return invalid("TemplateID", in.TemplateID, "at most 500 bytes")
	}
	t := r.templates[in.TemplateID]
	if t == nil {
		return fmt.Errorf("TemplateID: %w", notFound("task template", in.TemplateID))
	}
	if t.Status == TemplateInactive {
		return invalid("TemplateID", in.TemplateID, "template is INACTIVE: tasks are created only from ACTIVE templates")
	}
	for _, k := range slices.Sorted(maps.Keys(in.TemplateValues)) {
		fp := "TemplateValues[" + fieldKey(k) + "]"
		switch {
		case t.field(k) == nil:
			return invalid(fp, k, fmt.Sprintf("template %s has no such field", shorten(t.ID)))
		case slices.Contains(t.Constraints.ReadOnly, k):
			return invalid(fp, in.TemplateValues[k], "the field is read-only: it keeps its default")
		case slices.Contains(t.Constraints.Invisible, k):
			return invalid(fp, in.TemplateValues[k], "the field is invisible: it keeps its default")
		}
	}
	out := *in
	out.TemplateValues = nil
	cloned := false // out.References is a copy of in.References
	for i := range t.Fields {
		f := &t.Fields[i]
		fp := "TemplateValues[" + fieldKey(f.Name) + "]"
		v, given := in.TemplateValues[f.Name]
		if !given || v == "" {
			v = t.Defaults[f.Name]
		}
		// The caller's own field for what the template field fills.
		var own string
		var set bool
		switch f.Type {
		case FieldName:
			own, set = "Name", in.Name != ""
		case FieldDescription:
			own, set = "Description", in.Description != ""
		case FieldScheduledTime:
			own, set = "ScheduledAt", !in.ScheduledAt.IsZero()
		case FieldExpiryDuration:
			own, set = "Expiry", in.Expiry != 0 || !in.ExpiresAt.IsZero()
		case FieldQuickConnect:
			if v != "" {
				own, set = "QueueID", in.QueueID != "" || in.AgentID != ""
			}
		default:
			_, set = in.References[f.Name]
			own = "References[" + fieldKey(f.Name) + "]"
		}
		if set {
			return invalid(own, "", fmt.Sprintf("template %s sets it through its %s field %q: give the value in TemplateValues", shorten(t.ID), f.Type, f.Name))
		}
		if v == "" {
			if slices.Contains(t.Constraints.Required, f.Name) {
				return invalid(fp, "", "required by template "+shorten(t.ID))
			}
			continue
		}
		val, ref, msg := f.parse(v)
		if msg != "" {
			return invalid(fp, v, msg)
		}
		switch f.Type {
		case FieldName:
			out.Name = val.s
		case FieldDescription:
			out.Description = val.s
		case FieldScheduledTime:
			out.ScheduledAt = val.t
		case FieldExpiryDuration:
			out.Expiry = val.d
		case FieldQuickConnect:
			q := r.quickConnects[val.s]
			if q == nil {
				return fmt.Errorf("%s: %w", fp, notFound("quick connect", val.s))
			}
			if q.Type == QuickConnectUser {
				out.AgentID = q.UserID
			} else {
				out.QueueID = q.QueueID
			}
		default:
			if !cloned {
				out.References = maps.Clone(in.References)
				if out.References == nil {
					out.References = map[string]Reference{}
				}
				cloned = true
			}
			out.References[f.Name] = Reference{Type: ref, Value: val.s}
		}
	}
	if out.QueueID == "" && out.AgentID == "" {
		out.QueueID = t.QueueID
	}
	*in = out
	return nil
}

// UpdateTaskTemplate re-templates a task before an agent connects to it
// (SCHEDULED, IN_FLOW, QUEUED or OFFERED), at most MaxTemplateChanges times,
// as an agent does in Connect's agent workspace. values are checked and
// filled exactly as CreateTask does with TemplateValues; the task takes the
// new template's name, description and field references (the previous
// template's field references are dropped, other references stay). Its
// destination, schedule and expiry do not change: use UpdateRouting,
// Transfer or Reschedule for those.
func (r *Router) UpdateTaskTemplate(ctx context.Context, taskID, templateID string, values map[string]string) (err error) {
	if err := r.lock(ctx); err != nil {
		return err
	}
	defer r.unlock(ctx, &err)
	e, err := r.open(ctx, "UpdateTaskTemplate", taskID)
	if err != nil {
		return err
	}
	switch e.t.State {
	case StateScheduled, StateInFlow, StateQueued, StateOffered:
	default:
		return &StateError{Op: "UpdateTaskTemplate", TaskID: taskID, State: string(e.t.State), Want: "a task no agent has connected to"}
	}
	if e.t.TemplateChanges >= MaxTemplateChanges {
		return &LimitError{What: "template changes of task " + taskID, Limit: MaxTemplateChanges}
	}
	in := TaskInput{TemplateID: templateID, TemplateValues: values}
	if err := r.applyTemplate(&in); err != nil {
		return err
	}
	refs := maps.Clone(e.t.References)
	if old := r.templates[e.t.TemplateID]; old != nil {
		for _, f := range old.Fields {
			delete(refs, f.Name)
		}
	}
	if refs == nil {
		refs = map[string]Reference{}
	}
	maps.Copy(refs, in.References)
	check := TaskInput{Name: in.Name, Description: in.Description, References: refs}
	if err := checkTaskText(&check); err != nil {
		return err
	}
	now := r.clock.Now()
	nt := r.edit(e)
	nt.TemplateID = templateID
	nt.Name, nt.Description, nt.References = in.Name, in.Description, refs
	nt.TemplateChanges++
	r.stageTask(EventTaskUpdated, e.t.State, nt, now)
	if err := r.write1(ctx, "update task template", nt); err != nil {
		return err
	}
	r.apply(e, nt, now)
	return nil
}
