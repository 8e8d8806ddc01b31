package switchboard

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// A template exported from Connect (GetTaskTemplate's answer, as the AWS CLI
// prints it) loads unchanged, is put on the router, and an agent's form
// filled from it becomes a task with Connect's references; written back, it
// loads to the same template.
func TestConnectTaskTemplateLoadsAnExport(t *testing.T) {
	data, err := os.ReadFile("testdata/connect/get_task_template_claim.json")
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := LoadConnectTaskTemplate(data, "")
	if err != nil {
		t.Fatal(err)
	}
	if tmpl.ID != "0b2e3f8c-1d4a-4e7f-9c6b-EXAMPLE22222" || tmpl.Name != "Insurance claim follow-up" || tmpl.Status != TemplateActive || len(tmpl.Fields) != 11 {
		t.Fatalf("template %+v", tmpl)
	}
	want := TemplateConstraints{Required: []string{"Task name", "Claim number"}, ReadOnly: []string{"Source"}, Invisible: []string{"Internal score"}}
	if diff := cmp.Diff(want, tmpl.Constraints); diff != "" {
		t.Errorf("constraints (-want +got):\n%s", diff)
	}

	b := newBench(t, nil)
	b.queue("claims")
	b.must(b.r.PutTaskTemplate(b.ctx, tmpl))
	task, err := b.r.CreateTask(b.ctx, TaskInput{TemplateID: tmpl.ID, QueueID: "claims", TemplateValues: map[string]string{
		"Task name": "Claim 88-1207: call back", "Notes": "Customer asked about the payout date",
		"Claim number": "88-1207", "Claim link": "https://claims.example.com/88-1207", "Amount": "1250.40",
		"Customer email": "dana@example.com", "Severity": "high",
	}})
	b.must(err)
	if task.Name != "Claim 88-1207: call back" || task.Description != "Customer asked about the payout date" {
		t.Errorf("task %q / %q", task.Name, task.Description)
	}
	if got := task.ExpiresAt.Sub(task.InitiatedAt); got != 48*time.Hour {
		t.Errorf("expiry %v, want the template's default of 2880 minutes", got)
	}
	for name, ref := range map[string]Reference{
		"Claim number": {ReferenceString, "88-1207"}, "Claim link": {ReferenceURL, "https://claims.example.com/88-1207"},
		"Amount": {ReferenceNumber, "1250.40"}, "Customer email": {ReferenceEmail, "dana@example.com"},
		"Severity": {ReferenceString, "high"}, "Source": {ReferenceString, "claims-portal"}, "Internal score": {ReferenceNumber, "7"},
	} {
		if task.References[name] != ref {
			t.Errorf("reference %q = %+v, want %+v", name, task.References[name], ref)
		}
	}
	// The read-only field keeps its default.
	_, err = b.r.CreateTask(b.ctx, TaskInput{TemplateID: tmpl.ID, QueueID: "claims", TemplateValues: map[string]string{
		"Task name": "x", "Claim number": "1", "Source": "phone"}})
	if err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("read-only field given: %v", err)
	}

	// Written back in Connect's form and loaded again: the same template.
	back, err := json.Marshal(ConnectTaskTemplateOf(&tmpl))
	b.must(err)
	again, err := LoadConnectTaskTemplate(back, "")
	b.must(err)
	if diff := cmp.Diff(tmpl, again); diff != "" {
		t.Errorf("round trip (-first +second):\n%s", diff)
	}
	b.must(b.r.Check())
}

// A CreateTaskTemplate request body has no Id: the caller names the
// template, or gets an error that says so.
func TestConnectTaskTemplateCreateBody(t *testing.T) {
	body := `{"Name": "Callback", "Fields": [{"Id": {"Name": "Subject"}, "Type": "NAME"}],
	  "Constraints": {"RequiredFields": [{"Id": {"Name": "Subject"}}]}, "ClientToken": "e1f2"}`
	if _, err := LoadConnectTaskTemplate([]byte(body), ""); errText(err) != `switchboard: invalid Id: required: the template has no Id or Arn, and no ID was given` {
		t.Errorf("no id: %v", err)
	}
	tmpl, err := LoadConnectTaskTemplate([]byte(body), "callback")
	if err != nil || tmpl.ID != "callback" || tmpl.Status != "" {
		t.Errorf("%+v %v", tmpl, err)
	}
	arn := `{"Arn": "arn:aws:connect:eu-west-2:123456789012:instance/i-1/task-template/tt-9", "Name": "Callback",
	  "Fields": [{"Id": {"Name": "Subject"}, "Type": "NAME"}], "Constraints": {"RequiredFields": [{"Id": {"Name": "Subject"}}]}}`
	if tmpl, err := LoadConnectTaskTemplate([]byte(arn), "ignored"); err != nil || tmpl.ID != "tt-9" {
		t.Errorf("from the ARN: %+v %v", tmpl, err)
	}
}

// What this package cannot represent, and what breaks a limit, is refused
// with the Connect member that holds the fault.
func TestConnectTaskTemplateErrors(t *testing.T) {
	const name = `{"Id": {"Name": "Subject"}, "Type": "NAME"}`
	const req = `"Constraints": {"RequiredFields": [{"Id": {"Name": "Subject"}}]}`
	for _, tc := range []struct{ doc, err string }{
		{`{"Id": "t", "Name": "x", ` + req + `, "Fields": [` + name + `, {"Id": {"Name": "Me"}, "Type": "SELF_ASSIGN"}]}`,
			`switchboard: invalid Fields[1].Type "SELF_ASSIGN": not supported: tasks are assigned by routing, a quick connect or TaskInput.AgentID`},
		{`{"Id": "t", "Name": "x", ` + req + `, "Fields": [` + name + `, {"Id": {"Name": "Mood"}, "Type": "EMOJI"}]}`,
			`switchboard: invalid Fields[1].Type "EMOJI": one of Connect's TaskTemplateFieldType values`},
		{`{"Id": "t", "Name": "x", "Constraints": {"RequiredFields": [{"Id": {"Name": "Subject"}}, {"Id": {"Name": "Ghost"}}]}, "Fields": [` + name + `]}`,
			`switchboard: invalid Constraints.RequiredFields[1].Id.Name "Ghost": names no field of the template`},
		{`{"Id": "t", "Name": "x", ` + req + `, "Fields": [` + name + `], "Defaults": {"DefaultFieldValues": [{"Id": {"Name": "Subject"}, "DefaultValue": "a"}, {"Id": {"Name": "Subject"}, "DefaultValue": "b"}]}}`,
			`switchboard: invalid Defaults.DefaultFieldValues[1].Id.Name "Subject": a field has at most one default`},
		{`{"Id": "t", "Name": "x", ` + req + `, "Fields": [` + name + `, {"Id": {"Name": "` + strings.Repeat("f", 101) + `"}, "Type": "TEXT"}]}`,
			`switchboard: invalid Fields[1].Id.Name "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff...": 1..100 characters, got 101`},
		{`{"Id": "t", "Name": "x", "Fields": [` + name + `]}`,
			`switchboard: invalid Constraints.RequiredFields "Subject": the NAME field must be required`},
		{`{"Id": "t", "Name": "x", ` + req + `, "Fields": [` + name + `], "Status": "DRAFT"}`,
			`switchboard: invalid Status "DRAFT": ACTIVE or INACTIVE`},
		{`{"Id": "t", "Name": "x", ` + req + `, "Fields": [` + name + `], "Defaults": {"DefaultFieldValues": [{"Id": {"Name": "Subject"}, "DefaultValue": ""}]}}`, ``},
		{`{"Id": "t", "Name": 7}`, `switchboard: json: Name: want string, got JSON number`},
		{`{"Id": "t", "Name": "x"`, `switchboard: json: unexpected EOF`},
		{`{"Id": "t"} {"Id": "u"}`, `switchboard: json: more than one JSON value`},
	} {
		_, err := LoadConnectTaskTemplate([]byte(tc.doc), "")
		if got := errText(err); got != tc.err {
			t.Errorf("%.60s...:\n got %s\nwant %s", tc.doc, got, tc.err)
		}
		var je *JSONError
		if err != nil && !errors.Is(err, ErrValidation) && !errors.As(err, &je) {
			t.Errorf("%v is neither a *ValidationError nor a *JSONError", err)
		}
	}
}
