package switchboard

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// allTypesTemplate has one field of every type; only the NAME field is
// required.
func allTypesTemplate() TaskTemplate {
	return TaskTemplate{
		ID: "all", Name: "All types",
		Fields: []TemplateField{
			{Name: "name", Type: FieldName},
			{Name: "desc", Type: FieldDescription},
			{Name: "when", Type: FieldScheduledTime},
			{Name: "qc", Type: FieldQuickConnect},
			{Name: "url", Type: FieldURL},
			{Name: "num", Type: FieldNumber},
			{Name: "text", Type: FieldText},
			{Name: "area", Type: FieldTextArea},
			{Name: "date", Type: FieldDateTime},
			{Name: "bool", Type: FieldBoolean},
			{Name: "pick", Type: FieldSingleSelect, SingleSelectOptions: []string{"red", "green"}},
			{Name: "mail", Type: FieldEmail},
			{Name: "ttl", Type: FieldExpiryDuration},
		},
		Constraints: TemplateConstraints{Required: []string{"name"}},
		QueueID:     "q",
	}
}

func newTemplateBench(t *testing.T) *bench {
	b := newBench(t, nil)
	b.queue("q")
	b.queue("esc")
	b.profile("p", 1, "q")
	b.must(b.r.PutAgent(b.ctx, Agent{ID: "ana", RoutingProfileID: "p", Status: StatusOffline}))
	b.must(b.r.PutQuickConnect(b.ctx, QuickConnect{ID: "to-esc", Name: "Escalations", Type: QuickConnectQueue, QueueID: "esc", QueueIDs: []string{"q"}}))
	b.must(b.r.PutQuickConnect(b.ctx, QuickConnect{ID: "to-ana", Name: "Ana", Type: QuickConnectUser, UserID: "ana", FlowID: "xfer"}))
	b.must(b.r.PutTaskTemplate(b.ctx, allTypesTemplate()))
	return b
}

// createFrom creates a task from a template; unlike bench.create, it leaves
// Name unset.
func createFrom(b *bench, in TaskInput) *Task {
	b.t.Helper()
	t, err := b.r.CreateTask(b.ctx, in)
	b.must(err)
	return t
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestTemplateFieldTypes: every field type with valid and invalid values, and
// what each fills.
func TestTemplateFieldTypes(t *testing.T) {
	b := newTemplateBench(t)
	sched := t0.Add(time.Hour).Format(time.RFC3339)
	for _, tc := range []struct {
		field, value string
		err          string          // the exact error, or ""
		check        func(*Task) any // what the task got
		want         any             // check's expected result
	}{
		{"desc", "a description", "", func(t *Task) any { return t.Description }, "a description"},
		{"desc", strings.Repeat("d", 4097), `switchboard: invalid TemplateValues[desc] "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd...": at most 4096 characters, got 4097`, nil, nil},
		{"when", sched, "", func(t *Task) any { return []any{t.State, t.ScheduledAt.Equal(t0.Add(time.Hour))} }, []any{StateScheduled, true}},
		{"when", "tomorrow", `switchboard: invalid TemplateValues[when] "tomorrow": SCHEDULED_TIME must be an RFC 3339 time like 2026-05-01T09:00:00Z`, nil, nil},
		{"when", t0.Add(-time.Hour).Format(time.RFC3339), `switchboard: invalid ScheduledAt "2026-11-24T08:00:00Z": must not be in the past`, nil, nil},
		{"qc", "to-esc", "", func(t *Task) any { return []string{t.QueueID, t.TargetAgentID} }, []string{"esc", ""}},
		{"qc", "to-ana", "", func(t *Task) any { return []string{t.QueueID, t.TargetAgentID} }, []string{"", "ana"}},
		{"qc", "nope", `TemplateValues[qc]: switchboard: quick connect "nope" not found`, nil, nil},
		{"url", "https://crm.example/1", "", func(t *Task) any { return t.References["url"] }, Reference{ReferenceURL, "https://crm.example/1"}},
		{"url", "crm/1", `switchboard: invalid TemplateValues[url] "crm/1": URL must be absolute, like https://example.com/ticket/1`, nil, nil},
		{"num", "-12.5", "", func(t *Task) any { return t.References["num"] }, Reference{ReferenceNumber, "-12.5"}},
		{"num", "0x10", `switchboard: invalid TemplateValues[num] "0x10": NUMBER must be a decimal number like -12.5 or 3e2`, nil, nil},
		{"text", strings.Repeat("é", 511), "", func(t *Task) any { return t.References["text"].Type }, ReferenceString},
		{"text", strings.Repeat("x", 512), `switchboard: invalid TemplateValues[text] "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...": TEXT must be shorter than 512 characters, got 512`, nil, nil},
		{"area", strings.Repeat("x", 4095), "", func(t *Task) any { return len(t.References["area"].Value) }, 4095},
		{"area", strings.Repeat("x", 4096), `switchboard: invalid TemplateValues[area] "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...": TEXT_AREA must be shorter than 4096 characters, got 4096`, nil, nil},
		{"date", "2026-12-01T00:00:00Z", "", func(t *Task) any { return t.References["date"] }, Reference{ReferenceDate, "1796083200"}},
		{"date", "1796083200", "", func(t *Task) any { return t.References["date"] }, Reference{ReferenceDate, "1796083200"}},
		{"date", "next week", `switchboard: invalid TemplateValues[date] "next week": DATE_TIME must be an RFC 3339 time or epoch seconds`, nil, nil},
		{"bool", "true", "", func(t *Task) any { return t.References["bool"] }, Reference{ReferenceString, "true"}},
		{"bool", "false", "", func(t *Task) any { return t.References["bool"] }, Reference{ReferenceString, "false"}},
		{"bool", "yes", `switchboard: invalid TemplateValues[bool] "yes": BOOLEAN must be true or false`, nil, nil},
		{"bool", "True", `switchboard: invalid TemplateValues[bool] "True": BOOLEAN must be true or false`, nil, nil},
		{"pick", "green", "", func(t *Task) any { return t.References["pick"] }, Reference{ReferenceString, "green"}},
		{"pick", "blue", `switchboard: invalid TemplateValues[pick] "blue": must be one of red, green`, nil, nil},
		{"mail", "ana@example.com", "", func(t *Task) any { return t.References["mail"] }, Reference{ReferenceEmail, "ana@example.com"}},
		{"mail", "Ana <ana@example.com>", `switchboard: invalid TemplateValues[mail] "Ana <ana@example.com>": EMAIL must be a plain address like ana@example.com`, nil, nil},
		{"ttl", "90", "", func(t *Task) any { return t.ExpiresAt.Sub(t.InitiatedAt) }, 90 * time.Minute},
		{"ttl", "36h", "", func(t *Task) any { return t.ExpiresAt.Sub(t.InitiatedAt) }, 36 * time.Hour},
		{"ttl", "0", `switchboard: invalid TemplateValues[ttl] "0": EXPIRY_DURATION must be minutes (90) or a duration (36h), positive and at most 90 days`, nil, nil},
		{"ttl", "91d", `switchboard: invalid TemplateValues[ttl] "91d": EXPIRY_DURATION must be minutes (90) or a duration (36h), positive and at most 90 days`, nil, nil},
		{"ttl", "2161h", `switchboard: invalid TemplateValues[ttl] "2161h": EXPIRY_DURATION must be minutes (90) or a duration (36h), positive and at most 90 days`, nil, nil},
		{"name", strings.Repeat("n", 1025), `switchboard: invalid TemplateValues[name] "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...": at most 1024 characters, got 1025`, nil, nil},
	} {
		t.Run(tc.field+"="+tc.value[:min(len(tc.value), 20)], func(t *testing.T) {
			vals := map[string]string{"name": "templated", tc.field: tc.value}
			task, err := b.r.CreateTask(b.ctx, TaskInput{TemplateID: "all", TemplateValues: vals})
			if got := errText(err); got != tc.err {
				t.Fatalf("error:\n got %s\nwant %s", got, tc.err)
			}
			if err != nil {
				if !errors.Is(err, ErrValidation) && !errors.Is(err, ErrNotFound) {
					t.Errorf("%v matches neither ErrValidation nor ErrNotFound", err)
				}
				return
			}
			if task.Name != "templated" || task.TemplateID != "all" {
				t.Errorf("name %q, template %q", task.Name, task.TemplateID)
			}
			if diff := cmp.Diff(tc.want, tc.check(task)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestTemplateConstraints: required, read-only, invisible, defaults, status
// and the caller's own fields.
func TestTemplateConstraints(t *testing.T) {
	b := newTemplateBench(t)
	tpl := TaskTemplate{
		ID: "c", Name: "Constrained",
		Fields: []TemplateField{
			{Name: "Title", Type: FieldName}, {Name: "Order", Type: FieldNumber}, {Name: "Tier", Type: FieldText},
			{Name: "Secret", Type: FieldText}, {Name: "Notes", Type: FieldTextArea}, {Name: "Route", Type: FieldQuickConnect},
		},
		Constraints: TemplateConstraints{Required: []string{"Title", "Order", "Tier"}, ReadOnly: []string{"Tier", "Route"}, Invisible: []string{"Secret"}},
		Defaults:    map[string]string{"Tier": "gold", "Secret": "s3", "Notes": "none yet", "Route": "to-esc"},
	}
	b.must(b.r.PutTaskTemplate(b.ctx, tpl))
	ok := map[string]string{"Title": "T", "Order": "7"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{"Title": "T", "Order": "7"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		name string
		in   TaskInput
		err  string
	}{
		{"defaults", TaskInput{TemplateID: "c", TemplateValues: ok}, ""},
		{"required missing", TaskInput{TemplateID: "c", TemplateValues: map[string]string{"Title": "T"}}, `switchboard: invalid TemplateValues[Order]: required by template c`},
		{"required empty", TaskInput{TemplateID: "c", TemplateValues: with("Order", "")}, `switchboard: invalid TemplateValues[Order]: required by template c`},
		{"name missing", TaskInput{TemplateID: "c", TemplateValues: map[string]string{"Order": "1"}}, `switchboard: invalid TemplateValues[Title]: required by template c`},
		{"read-only", TaskInput{TemplateID: "c", TemplateValues: with("Tier", "silver")}, `switchboard: invalid TemplateValues[Tier] "silver": the field is read-only: it keeps its default`},
		{"read-only quick connect", TaskInput{TemplateID: "c", TemplateValues: with("Route", "to-ana")}, `switchboard: invalid TemplateValues[Route] "to-ana": the field is read-only: it keeps its default`},
		{"invisible", TaskInput{TemplateID: "c", TemplateValues: with("Secret", "x")}, `switchboard: invalid TemplateValues[Secret] "x": the field is invisible: it keeps its default`},
		{"unknown field", TaskInput{TemplateID: "c", TemplateValues: with("Colour", "red")}, `switchboard: invalid TemplateValues[Colour] "Colour": template c has no such field`},
		{"own name", TaskInput{TemplateID: "c", Name: "direct", TemplateValues: ok}, `switchboard: invalid Name: template c sets it through its NAME field "Title": give the value in TemplateValues`},
		{"own reference", TaskInput{TemplateID: "c", References: map[string]Reference{"Order": {ReferenceNumber, "1"}}, TemplateValues: ok}, `switchboard: invalid References[Order]: template c sets it through its NUMBER field "Order": give the value in TemplateValues`},
		{"other reference", TaskInput{TemplateID: "c", References: map[string]Reference{"crm": {ReferenceURL, "https://crm.example/1"}}, TemplateValues: ok}, ""},
		{"own queue with quick connect", TaskInput{TemplateID: "c", QueueID: "q", TemplateValues: ok}, `switchboard: invalid QueueID: template c sets it through its QUICK_CONNECT field "Route": give the value in TemplateValues`},
		{"unknown template", TaskInput{TemplateID: "zz", TemplateValues: ok}, `TemplateID: switchboard: task template "zz" not found`},
		{"values without template", TaskInput{Name: "n", QueueID: "q", TemplateValues: ok}, `switchboard: invalid TemplateValues: given without a TemplateID`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			task, err := b.r.CreateTask(b.ctx, tc.in)
			if got := errText(err); got != tc.err {
				t.Fatalf("error:\n got %s\nwant %s", got, tc.err)
			}
			if err != nil {
				return
			}
			want := map[string]Reference{"Order": {ReferenceNumber, "7"}, "Tier": {ReferenceString, "gold"}, "Secret": {ReferenceString, "s3"}, "Notes": {ReferenceString, "none yet"}}
			for k, v := range tc.in.References {
				want[k] = v
			}
			if diff := cmp.Diff(want, task.References); diff != "" {
				t.Errorf("references (-want +got):\n%s", diff)
			}
			if task.Name != "T" || task.QueueID != "esc" {
				t.Errorf("name %q queue %q, want T esc (the default quick connect)", task.Name, task.QueueID)
			}
		})
	}
	if ok["Title"] != "T" || len(ok) != 2 {
		t.Errorf("CreateTask changed the caller's TemplateValues: %v", ok)
	}

	// The template's QueueID applies when nothing else names a destination;
	// the caller's QueueID or AgentID wins over it.
	task := createFrom(b, TaskInput{TemplateID: "all", TemplateValues: map[string]string{"name": "n"}})
	if task.QueueID != "q" {
		t.Errorf("queue %q, want the template's q", task.QueueID)
	}
	task = createFrom(b, TaskInput{TemplateID: "all", QueueID: "esc", TemplateValues: map[string]string{"name": "n"}})
	if task.QueueID != "esc" {
		t.Errorf("queue %q, want the caller's esc", task.QueueID)
	}
	// A template with neither QueueID nor QUICK_CONNECT needs the caller's.
	b.must(b.r.PutTaskTemplate(b.ctx, TaskTemplate{ID: "bare", Name: "Bare", Fields: []TemplateField{{Name: "N", Type: FieldName}}, Constraints: TemplateConstraints{Required: []string{"N"}}}))
	_, err := b.r.CreateTask(b.ctx, TaskInput{TemplateID: "bare", TemplateValues: map[string]string{"N": "x"}})
	if got, want := errText(err), `switchboard: invalid QueueID: one of QueueID, AgentID or FlowID is required`; got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}

	// INACTIVE refuses; ACTIVE again accepts.
	tpl.Status = TemplateInactive
	b.must(b.r.PutTaskTemplate(b.ctx, tpl))
	_, err = b.r.CreateTask(b.ctx, TaskInput{TemplateID: "c", TemplateValues: ok})
	if got, want := errText(err), `switchboard: invalid TemplateID "c": template is INACTIVE: tasks are created only from ACTIVE templates`; got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	tpl.Status = ""
	b.must(b.r.PutTaskTemplate(b.ctx, tpl))
	if got, _ := b.r.TaskTemplate("c"); got.Status != TemplateActive {
		t.Errorf("status %q, want ACTIVE for an empty Status", got.Status)
	}
	createFrom(b, TaskInput{TemplateID: "c", TemplateValues: ok})
}

// TestTemplateValidate: every rule of TaskTemplate.Validate, with its exact
// message.
func TestTemplateValidate(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	for _, tc := range []struct {
		name string
		edit func(*TaskTemplate)
		err  string
	}{
		{"valid", func(*TaskTemplate) {}, ""},
		{"no ID", func(t *TaskTemplate) { t.ID = "" }, `switchboard: invalid TaskTemplate.ID: required`},
		{"no name", func(t *TaskTemplate) { t.Name = "" }, `switchboard: invalid TaskTemplate.Name: 1..100 characters, got 0`},
		{"long name", func(t *TaskTemplate) { t.Name = long(101) }, `switchboard: invalid TaskTemplate.Name "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...": 1..100 characters, got 101`},
		{"long description", func(t *TaskTemplate) { t.Description = long(256) }, `switchboard: invalid TaskTemplate.Description "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...": at most 255 characters, got 256`},
		{"status", func(t *TaskTemplate) { t.Status = "active" }, `switchboard: invalid TaskTemplate.Status "active": must be ACTIVE or INACTIVE`},
		{"no fields", func(t *TaskTemplate) { t.Fields = nil; t.Constraints = TemplateConstraints{} }, `switchboard: invalid TaskTemplate.Fields: required: at least one field, of type NAME`},
		{"51 fields", func(t *TaskTemplate) {
			for i := len(t.Fields); i < 51; i++ {
				t.Fields = append(t.Fields, TemplateField{Name: fmt.Sprint("f", i), Type: FieldText})
			}
		}, `switchboard: invalid TaskTemplate.Fields: at most 50 fields, got 51`},
		{"field name", func(t *TaskTemplate) { t.Fields[4].Name = "" }, `switchboard: invalid TaskTemplate.Fields[4].Name: 1..100 characters, got 0`},
		{"field name long", func(t *TaskTemplate) { t.Fields[4].Name = long(101) }, `switchboard: invalid TaskTemplate.Fields[4].Name "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...": 1..100 characters, got 101`},
		{"duplicate field", func(t *TaskTemplate) { t.Fields[5].Name = "url" }, `switchboard: invalid TaskTemplate.Fields[5].Name "url": duplicate field name`},
		{"field description", func(t *TaskTemplate) { t.Fields[1].Description = long(256) }, `switchboard: invalid TaskTemplate.Fields[1].Description "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...": at most 255 characters, got 256`},
		{"type", func(t *TaskTemplate) { t.Fields[3].Type = "PHONE" }, `switchboard: invalid TaskTemplate.Fields[3].Type "PHONE": unknown field type`},
		{"self assign", func(t *TaskTemplate) { t.Fields[3].Type = "SELF_ASSIGN" }, `switchboard: invalid TaskTemplate.Fields[3].Type "SELF_ASSIGN": unknown field type`},
		{"no NAME", func(t *TaskTemplate) { t.Fields[0].Type = FieldText; t.Constraints.Required = nil }, `switchboard: invalid TaskTemplate.Fields: exactly one field of type NAME`},
		{"two NAME", func(t *TaskTemplate) { t.Fields[6].Type = FieldName }, `switchboard: invalid TaskTemplate.Fields[6].Type "NAME": exactly one field of type NAME`},
		{"two DESCRIPTION", func(t *TaskTemplate) { t.Fields[6].Type = FieldDescription }, `switchboard: invalid TaskTemplate.Fields[6].Type "DESCRIPTION": at most one field of type DESCRIPTION`},
		{"two QUICK_CONNECT", func(t *TaskTemplate) { t.Fields[6].Type = FieldQuickConnect }, `switchboard: invalid TaskTemplate.Fields[6].Type "QUICK_CONNECT": at most one field of type QUICK_CONNECT`},
		{"NAME not required", func(t *TaskTemplate) { t.Constraints.Required = nil }, `switchboard: invalid TaskTemplate.Constraints.Required "name": the NAME field must be required`},
		{"options on text", func(t *TaskTemplate) { t.Fields[6].SingleSelectOptions = []string{"a"} }, `switchboard: invalid TaskTemplate.Fields[6].SingleSelectOptions: only a SINGLE_SELECT field has options`},
		{"no options", func(t *TaskTemplate) { t.Fields[10].SingleSelectOptions = nil }, `switchboard: invalid TaskTemplate.Fields[10].SingleSelectOptions: 1..100 options, got 0`},
		{"empty option", func(t *TaskTemplate) { t.Fields[10].SingleSelectOptions[1] = "" }, `switchboard: invalid TaskTemplate.Fields[10].SingleSelectOptions[1]: 1..100 characters, got 0`},
		{"duplicate option", func(t *TaskTemplate) { t.Fields[10].SingleSelectOptions[1] = "red" }, `switchboard: invalid TaskTemplate.Fields[10].SingleSelectOptions[1] "red": duplicate option`},
		{"constraint unknown", func(t *TaskTemplate) { t.Constraints.ReadOnly = []string{"nope"} }, `switchboard: invalid TaskTemplate.Constraints.ReadOnly[0] "nope": not a field of the template`},
		{"constraint twice", func(t *TaskTemplate) { t.Constraints.Required = []string{"name", "name"} }, `switchboard: invalid TaskTemplate.Constraints.Required[1] "name": listed twice`},
		{"required read-only without default", func(t *TaskTemplate) { t.Constraints.ReadOnly = []string{"name"} }, `switchboard: invalid TaskTemplate.Constraints.ReadOnly[0] "name": a required field that the caller cannot set needs a default`},
		{"required invisible without default", func(t *TaskTemplate) { t.Constraints.Invisible = []string{"name"} }, `switchboard: invalid TaskTemplate.Constraints.Invisible[0] "name": a required field that the caller cannot set needs a default`},
		{"default unknown", func(t *TaskTemplate) { t.Defaults = map[string]string{"nope": "1"} }, `switchboard: invalid TaskTemplate.Defaults[nope] "nope": not a field of the template`},
		{"default too long", func(t *TaskTemplate) { t.Defaults = map[string]string{"area": long(4097)} }, `switchboard: invalid TaskTemplate.Defaults[area]: at most 4096 characters, got 4097`},
		{"default bad value", func(t *TaskTemplate) { t.Defaults = map[string]string{"bool": "1"} }, `switchboard: invalid TaskTemplate.Defaults[bool] "1": BOOLEAN must be true or false`},
		{"default bad option", func(t *TaskTemplate) { t.Defaults = map[string]string{"pick": "blue"} }, `switchboard: invalid TaskTemplate.Defaults[pick] "blue": must be one of red, green`},
		{"queue", func(t *TaskTemplate) { t.QueueID = " q" }, `switchboard: invalid TaskTemplate.QueueID " q": must not start with a space`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tpl := allTypesTemplate()
			tc.edit(&tpl)
			err := tpl.Validate()
			if got := errText(err); got != tc.err {
				t.Fatalf("got  %s\nwant %s", got, tc.err)
			}
			var ve *ValidationError
			if err != nil && !errors.As(err, &ve) {
				t.Errorf("%T is not a *ValidationError", err)
			}
		})
	}
}

// TestQuickConnects: validation, what Put checks against the router, listing
// by queue, deletion, and the destinations a template field gives.
func TestQuickConnects(t *testing.T) {
	b := newTemplateBench(t)
	for _, tc := range []struct {
		name string
		q    QuickConnect
		err  string
	}{
		{"no type", QuickConnect{ID: "x", Name: "X"}, `switchboard: invalid QuickConnect.Type: must be USER or QUEUE`},
		{"phone", QuickConnect{ID: "x", Name: "X", Type: "PHONE_NUMBER"}, `switchboard: invalid QuickConnect.Type "PHONE_NUMBER": must be USER or QUEUE`},
		{"no name", QuickConnect{ID: "x", Type: QuickConnectQueue, QueueID: "q"}, `switchboard: invalid QuickConnect.Name: 1..127 characters, got 0`},
		{"no ID", QuickConnect{Name: "X", Type: QuickConnectQueue, QueueID: "q"}, `switchboard: invalid QuickConnect.ID: required`},
		{"user without user", QuickConnect{ID: "x", Name: "X", Type: QuickConnectUser}, `switchboard: invalid QuickConnect.UserID: required`},
		{"user with queue", QuickConnect{ID: "x", Name: "X", Type: QuickConnectUser, UserID: "ana", QueueID: "q"}, `switchboard: invalid QuickConnect.QueueID "q": a USER quick connect names UserID, not QueueID`},
		{"queue without queue", QuickConnect{ID: "x", Name: "X", Type: QuickConnectQueue}, `switchboard: invalid QuickConnect.QueueID: required`},
		{"queue with user", QuickConnect{ID: "x", Name: "X", Type: QuickConnectQueue, QueueID: "q", UserID: "ana"}, `switchboard: invalid QuickConnect.UserID "ana": a QUEUE quick connect names QueueID, not UserID`},
		{"queue listed twice", QuickConnect{ID: "x", Name: "X", Type: QuickConnectQueue, QueueID: "q", QueueIDs: []string{"q", "q"}}, `switchboard: invalid QuickConnect.QueueIDs[1] "q": listed twice`},
		{"missing agent", QuickConnect{ID: "x", Name: "X", Type: QuickConnectUser, UserID: "bo"}, `QuickConnect.UserID: switchboard: agent "bo" not found`},
		{"missing queue", QuickConnect{ID: "x", Name: "X", Type: QuickConnectQueue, QueueID: "zz"}, `QuickConnect.QueueID: switchboard: queue "zz" not found`},
		{"missing attached queue", QuickConnect{ID: "x", Name: "X", Type: QuickConnectQueue, QueueID: "q", QueueIDs: []string{"q", "zz"}}, `QuickConnect.QueueIDs[1]: switchboard: queue "zz" not found`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := errText(b.r.PutQuickConnect(b.ctx, tc.q)); got != tc.err {
				t.Fatalf("got  %s\nwant %s", got, tc.err)
			}
		})
	}
	ids := func(qs []*QuickConnect, err error) []string {
		b.must(err)
		out := []string{}
		for _, q := range qs {
			out = append(out, q.ID)
		}
		return out
	}
	if diff := cmp.Diff([]string{"to-ana", "to-esc"}, ids(b.r.ListQuickConnects(""))); diff != "" {
		t.Error(diff)
	}
	if diff := cmp.Diff([]string{"to-esc"}, ids(b.r.ListQuickConnects("q"))); diff != "" {
		t.Error(diff)
	}
	if diff := cmp.Diff([]string{}, ids(b.r.ListQuickConnects("esc"))); diff != "" {
		t.Error(diff)
	}
	// A USER quick connect puts the task in the agent's agent queue; once
	// the agent is available it is offered there.
	task := createFrom(b, TaskInput{TemplateID: "all", TemplateValues: map[string]string{"name": "n", "qc": "to-ana"}})
	if task.TargetAgentID != "ana" || task.QueueID != "" {
		t.Errorf("target %q queue %q, want ana's agent queue", task.TargetAgentID, task.QueueID)
	}
	b.status("ana", StatusAvailable)
	b.wantState(task.ID, StateOffered, "ana")
	// Delete, then the quick connect is gone for tasks too.
	b.must(b.r.DeleteQuickConnect(b.ctx, "to-ana"))
	if err := b.r.DeleteQuickConnect(b.ctx, "to-ana"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}
	_, err := b.r.CreateTask(b.ctx, TaskInput{TemplateID: "all", TemplateValues: map[string]string{"name": "n", "qc": "to-ana"}})
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("task to a deleted quick connect: %v, want ErrNotFound", err)
	}
}

// TestTemplateAdmin: limits, not found, and that the router keeps its own
// copies.
func TestTemplateAdmin(t *testing.T) {
	b := newTemplateBench(t)
	tpl := allTypesTemplate()
	tpl.QueueID = "nope"
	if got, want := errText(b.r.PutTaskTemplate(b.ctx, tpl)), `TaskTemplate.QueueID: switchboard: queue "nope" not found`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// The router copies what it is given and returns copies.
	tpl = allTypesTemplate()
	tpl.ID = "mine"
	b.must(b.r.PutTaskTemplate(b.ctx, tpl))
	tpl.Fields[0].Name = "changed"
	tpl.Fields[10].SingleSelectOptions[0] = "changed"
	got, err := b.r.TaskTemplate("mine")
	b.must(err)
	got.Constraints.Required[0] = "changed"
	again, _ := b.r.TaskTemplate("mine")
	want := allTypesTemplate()
	want.ID, want.Status = "mine", TemplateActive
	if diff := cmp.Diff(&want, again); diff != "" {
		t.Errorf("stored template changed through a caller's copy (-want +got):\n%s", diff)
	}
	if _, err := b.r.TaskTemplate("zz"); errText(err) != `switchboard: task template "zz" not found` {
		t.Errorf("TaskTemplate(zz): %v", err)
	}
	if err := b.r.DeleteTaskTemplate(b.ctx, "zz"); !errors.Is(err, ErrNotFound) {
		t.Errorf("DeleteTaskTemplate(zz): %v", err)
	}
	// 50 templates per router; replacing one at the limit is fine.
	for i := 2; i < MaxTemplates; i++ {
		tpl := allTypesTemplate()
		tpl.ID = fmt.Sprint("t", i)
		b.must(b.r.PutTaskTemplate(b.ctx, tpl))
	}
	list, err := b.r.ListTaskTemplates()
	b.must(err)
	if len(list) != MaxTemplates || list[0].ID != "all" {
		t.Fatalf("%d templates, first %s", len(list), list[0].ID)
	}
	tpl = allTypesTemplate()
	tpl.ID = "one-too-many"
	err = b.r.PutTaskTemplate(b.ctx, tpl)
	if !errors.Is(err, ErrLimitExceeded) {
		t.Errorf("51st template: %v, want ErrLimitExceeded", err)
	}
	b.must(b.r.PutTaskTemplate(b.ctx, allTypesTemplate()))
	b.must(b.r.DeleteTaskTemplate(b.ctx, "t2"))
	b.must(b.r.PutTaskTemplate(b.ctx, tpl))
}

// TestTemplateRestart: templates and quick connects survive Close and
// NewRouter over the same MemoryStore, and tasks are created from them.
func TestTemplateRestart(t *testing.T) {
	b := newTemplateBench(t)
	b.must(b.r.DeleteQuickConnect(b.ctx, "to-ana"))
	wantT, _ := b.r.ListTaskTemplates()
	wantQ, _ := b.r.ListQuickConnects("")
	b.must(b.r.Close(b.ctx))
	b.open(nil)
	gotT, err := b.r.ListTaskTemplates()
	b.must(err)
	gotQ, err := b.r.ListQuickConnects("")
	b.must(err)
	if diff := cmp.Diff(wantT, gotT); diff != "" {
		t.Errorf("templates after restart (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantQ, gotQ); diff != "" {
		t.Errorf("quick connects after restart (-want +got):\n%s", diff)
	}
	task := createFrom(b, TaskInput{TemplateID: "all", TemplateValues: map[string]string{"name": "after", "qc": "to-esc"}})
	if task.QueueID != "esc" {
		t.Errorf("queue %q, want esc", task.QueueID)
	}
}

// plainStore hides the TemplateStore methods of the store it wraps.
type plainStore struct{ Store }

// TestTemplateStoreUnsupported: a Store without TemplateStore runs, and every
// template write says what is missing; reads find nothing.
func TestTemplateStoreUnsupported(t *testing.T) {
	ctx := context.Background()
	r, err := NewRouter(ctx, plainStore{NewMemoryStore()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(ctx)
	r.PutQueue(ctx, Queue{ID: "q", Name: "q"})
	for name, err := range map[string]error{
		"PutTaskTemplate":    r.PutTaskTemplate(ctx, allTypesTemplate()),
		"DeleteTaskTemplate": r.DeleteTaskTemplate(ctx, "all"),
		"PutQuickConnect":    r.PutQuickConnect(ctx, QuickConnect{ID: "x", Name: "X", Type: QuickConnectQueue, QueueID: "q"}),
		"DeleteQuickConnect": r.DeleteQuickConnect(ctx, "x"),
	} {
		want := "switchboard: " + name + ": the store (switchboard.plainStore) does not implement switchboard.TemplateStore, which keeps templates and quick connects: unsupported operation"
		if got := errText(err); got != want || !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	}
	if l, err := r.ListTaskTemplates(); len(l) != 0 || err != nil {
		t.Errorf("ListTaskTemplates: %v, %v", l, err)
	}
}

// failingTemplateStore refuses template writes and loads.
type failingTemplateStore struct {
	*MemoryStore
	loadErr error
}

func (s failingTemplateStore) PutTemplate(context.Context, *TaskTemplate) error {
	return errors.New("disk full")
}

func (s failingTemplateStore) Templates(ctx context.Context) ([]*TaskTemplate, error) {
	if s.loadErr != nil {
		return nil, s.loadErr
	}
	return s.MemoryStore.Templates(ctx)
}

// TestTemplateStoreErrors: a refused write changes nothing; a failed load
// fails NewRouter.
func TestTemplateStoreErrors(t *testing.T) {
	ctx := context.Background()
	r, err := NewRouter(ctx, failingTemplateStore{MemoryStore: NewMemoryStore()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(ctx)
	r.PutQueue(ctx, Queue{ID: "q", Name: "q"})
	err = r.PutTaskTemplate(ctx, allTypesTemplate())
	if got, want := errText(err), "switchboard: store: put task template: disk full"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if _, err := r.TaskTemplate("all"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a refused template is in the router: %v", err)
	}
	_, err = NewRouter(ctx, failingTemplateStore{MemoryStore: NewMemoryStore(), loadErr: errors.New("io")}, nil)
	if got, want := errText(err), "switchboard: store: load templates: io"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// Re-templating: only before an agent connects, at most MaxTemplateChanges
// times, with the same checks as creation, and a refused change changes
// nothing.
func TestUpdateTaskTemplate(t *testing.T) {
	b := newBench(t, nil)
	b.queue("q")
	b.profile("p", 1, "q")
	b.put(Agent{ID: "ana", RoutingProfileID: "p", Status: StatusOffline})
	tpl := func(id, name string) TaskTemplate {
		return TaskTemplate{ID: id, Name: id, QueueID: "q",
			Fields:      []TemplateField{{Name: name, Type: FieldName}, {Name: "Amount", Type: FieldNumber}},
			Constraints: TemplateConstraints{Required: []string{name}}}
	}
	b.must(b.r.PutTaskTemplate(b.ctx, tpl("a", "Title")))
	b.must(b.r.PutTaskTemplate(b.ctx, tpl("b", "Subject")))
	task, err := b.r.CreateTask(b.ctx, TaskInput{TemplateID: "a", TemplateValues: map[string]string{"Title": "first", "Amount": "1"},
		References: map[string]Reference{"crm": {Type: ReferenceURL, Value: "https://crm.example/1"}}})
	b.must(err)

	// A bad value is refused and changes nothing.
	err = b.r.UpdateTaskTemplate(b.ctx, task.ID, "b", map[string]string{"Subject": "x", "Amount": "many"})
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Field != "TemplateValues[Amount]" {
		t.Fatalf("UpdateTaskTemplate with a bad value = %v, want a *ValidationError on TemplateValues[Amount]", err)
	}
	if got := b.task(task.ID); got.Version != task.Version || got.TemplateChanges != 0 {
		t.Fatalf("a refused change wrote version %d, %d changes", got.Version, got.TemplateChanges)
	}

	for i := range MaxTemplateChanges {
		id := []string{"a", "b"}[i%2]
		name := map[string]string{"a": "Title", "b": "Subject"}[id]
		b.must(b.r.UpdateTaskTemplate(b.ctx, task.ID, id, map[string]string{name: fmt.Sprint("name ", i)}))
	}
	got := b.task(task.ID)
	if got.TemplateChanges != MaxTemplateChanges || got.Name != fmt.Sprint("name ", MaxTemplateChanges-1) || got.References["crm"].Value == "" {
		t.Fatalf("after %d changes: %d changes, name %q, refs %v", MaxTemplateChanges, got.TemplateChanges, got.Name, got.References)
	}
	if _, ok := got.References["Amount"]; ok {
		t.Errorf("the previous template's field references stayed: %v", got.References)
	}
	err = b.r.UpdateTaskTemplate(b.ctx, task.ID, "a", map[string]string{"Title": "one more"})
	if !errors.Is(err, ErrLimitExceeded) {
		t.Fatalf("change %d = %v, want ErrLimitExceeded", MaxTemplateChanges+1, err)
	}

	// Once an agent connects, the template is fixed.
	other, err := b.r.CreateTask(b.ctx, TaskInput{TemplateID: "a", TemplateValues: map[string]string{"Title": "second"}})
	b.must(err)
	b.status("ana", StatusAvailable)
	b.must(b.r.Accept(b.ctx, task.ID, "ana"))
	err = b.r.UpdateTaskTemplate(b.ctx, task.ID, "a", map[string]string{"Title": "late"})
	if !errors.Is(err, ErrInvalidState) {
		t.Errorf("re-templating a connected task = %v, want ErrInvalidState", err)
	}
	b.must(b.r.UpdateTaskTemplate(b.ctx, other.ID, "b", map[string]string{"Subject": "still waiting"}))
}

// An agent transfers a task through a quick connect: a QUEUE quick connect
// sends the new segment to its queue, a USER one to its agent's agent queue.
func TestTransferThroughQuickConnect(t *testing.T) {
	b := newBench(t, nil)
	b.queue("billing")
	b.queue("escalations")
	b.profile("p", 2, "billing")
	b.agent("ana", "p")
	b.put(Agent{ID: "ben", RoutingProfileID: "p", Status: StatusOffline})
	b.must(b.r.PutQuickConnect(b.ctx, QuickConnect{ID: "qc-esc", Name: "Escalations", Type: QuickConnectQueue, QueueID: "escalations", QueueIDs: []string{"billing"}}))
	b.must(b.r.PutQuickConnect(b.ctx, QuickConnect{ID: "qc-ben", Name: "Ben", Type: QuickConnectUser, UserID: "ben", QueueIDs: []string{"billing"}}))
	first := b.create(TaskInput{QueueID: "billing"})
	b.must(b.r.Accept(b.ctx, first.ID, "ana"))

	next, err := b.r.Transfer(b.ctx, first.ID, TransferTarget{QuickConnectID: "qc-esc"})
	b.must(err)
	if next.QueueID != "escalations" || next.PreviousTaskID != first.ID {
		t.Errorf("through qc-esc: queue %q, previous %q", next.QueueID, next.PreviousTaskID)
	}
	second := b.create(TaskInput{QueueID: "billing"})
	b.must(b.r.Accept(b.ctx, second.ID, "ana"))
	toBen, err := b.r.Transfer(b.ctx, second.ID, TransferTarget{QuickConnectID: "qc-ben"})
	b.must(err)
	if toBen.TargetAgentID != "ben" || toBen.InitiationMethod != InitiatedByTransfer {
		t.Errorf("through qc-ben: target agent %q, method %s", toBen.TargetAgentID, toBen.InitiationMethod)
	}

	third := b.create(TaskInput{QueueID: "billing"})
	if _, err := b.r.Transfer(b.ctx, third.ID, TransferTarget{QuickConnectID: "qc-nobody"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown quick connect: %v, want ErrNotFound", err)
	}
	if _, err := b.r.Transfer(b.ctx, third.ID, TransferTarget{QueueID: "escalations", QuickConnectID: "qc-esc"}); !errors.Is(err, ErrValidation) {
		t.Errorf("queue and quick connect: %v, want a validation error", err)
	}
}
