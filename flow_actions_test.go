package switchboard

import (
	"errors"
	"os"

	"github.com/google/go-cmp/cmp"
	"path/filepath"
	"testing"
	"time"
)

// loadFlowFile loads a flow of testdata/flows/valid.
func loadFlowFile(t *testing.T, name string) *Flow {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "flows", "valid", name))
	if err != nil {
		t.Fatal(err)
	}
	return loadTestFlow(t, data)
}

// The exported "routing criteria and hooks" flow, run for real: in hours it
// sets routing criteria (the preferred agent named by an attribute for a
// minute, then any Motor claims agent at level 3 or more) and transfers the
// task; out of hours it schedules a call-back task in another flow, linked
// to this one, and transfers the task to the after-hours flow. Flows and
// hours are named by full ARNs, as in the export.
func TestFlowExportWithCriteriaHoursCreateTaskAndTransferToFlow(t *testing.T) {
	fb := newFlowBench(t, nil)
	fb.queue("claims")
	fb.queue("after-hours")
	fb.profile("p", 2, "claims")
	fb.put(Agent{ID: "bo", RoutingProfileID: "p", Proficiencies: []Proficiency{{Name: "Claims", Value: "Motor", Level: 4}}})
	fb.put(Agent{ID: "ana", RoutingProfileID: "p"})
	fb.must(fb.fr.PutHours("1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", HoursOfOperation{TimeZone: "UTC",
		Ranges: []HoursRange{{Day: time.Tuesday, Start: 8 * time.Hour, End: 18 * time.Hour}}}))
	fb.flow("main", mustStep(t, loadFlowFile(t, "routing_criteria_and_hooks.json")))
	fb.flow("9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", NewFlow("q").SetQueue("q", "claims").Next("t").TransferToQueue("t"))
	fb.flow("3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f", NewFlow("tag").
		UpdateAttributes("tag", map[string]string{"handled": "after hours"}).Next("q").
		SetQueue("q", "after-hours").Next("t").TransferToQueue("t"))

	// Tuesday 09:00: open.
	day := fb.create(TaskInput{Name: "Claim by day", FlowID: "main", QueueID: "claims",
		Attributes: map[string]string{"preferred_agent": "ana", "customer_name": "Ines"}})
	fb.settle()
	got := fb.task(day.ID)
	want := &RoutingCriteria{Steps: []RoutingStep{
		{Requirement: Requirement{Preferred: []string{"ana"}}, Expiry: time.Minute},
		{Requirement: Requirement{Attribute: &AttributeCondition{Name: "Claims", Value: "Motor", MinLevel: 3}}},
	}}
	if d := cmp.Diff(want, got.RoutingCriteria); d != "" {
		t.Fatalf("day claim criteria (-want +got):\n%s", d)
	}
	if got.State != StateOffered || got.AgentID != "ana" {
		t.Fatalf("day claim: %s to %q, want OFFERED to ana", got.State, got.AgentID)
	}

	// Tuesday 19:00: closed.
	fb.clock.Advance(10 * time.Hour)
	night := fb.create(TaskInput{Name: "Claim by night", FlowID: "main", QueueID: "claims",
		Attributes: map[string]string{"customer_name": "Rui", "claim_url": "https://claims.example/77"}})
	fb.settle()
	got = fb.task(night.ID)
	if got.State != StateQueued || got.QueueID != "after-hours" || got.Attributes["handled"] != "after hours" {
		t.Fatalf("night claim: %s in %q with %v, want QUEUED in after-hours, handled", got.State, got.QueueID, got.Attributes)
	}
	page, err := fb.r.ListTasks(TaskQuery{States: []TaskState{StateScheduled}})
	fb.must(err)
	if len(page.Tasks) != 1 {
		t.Fatalf("%d scheduled tasks, want the call-back", len(page.Tasks))
	}
	cb := page.Tasks[0]
	if cb.Name != "Call back: $.Attributes.customer_name" || cb.RelatedTaskID != night.ID || cb.FlowID != "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d" ||
		cb.InitiationMethod != InitiatedByFlow || !cb.ScheduledAt.Equal(fb.clock.Now().Add(12*time.Hour)) ||
		cb.References["Claim"].Value != "https://claims.example/77" || cb.Attributes["origin"] != "after-hours" || cb.Attributes["customer_name"] != "Rui" {
		t.Fatalf("call-back task: %+v", cb)
	}
	fb.clock.Advance(12 * time.Hour) // the call-back's flow runs when it is due
	fb.settle()
	fb.wantState(cb.ID, StateQueued, "")
}

// mustStep wraps a loaded flow for flowBench.flow.
func mustStep(t *testing.T, f *Flow) *FlowStep {
	t.Helper()
	b := &FlowBuilder{f: *f}
	return &FlowStep{b, 0}
}

// DequeueContactAndTransferToQueue and TransferContactToAgent enqueue the
// task, in the named queue and in the working agent's queue.
func TestFlowDequeueAndTransferToAgent(t *testing.T) {
	fb := newFlowBench(t, nil)
	fb.queue("claims")
	fb.queue("escalations")
	fb.profile("p", 1, "claims")
	fb.put(Agent{ID: "ana", RoutingProfileID: "p", Status: "Break"})
	fb.flow("escalate", NewFlow("d").
		Action("d", "DequeueContactAndTransferToQueue", map[string]string{"QueueId": "arn:aws:connect:eu-west-2:123456789012:instance/i/queue/escalations"}).
		Next("end").OnError("NoMatchingError", "end").
		Disconnect("end"))
	fb.flow("to-ana", NewFlow("a").
		Action("a", "UpdateContactTargetQueue", map[string]string{"AgentId": "ana"}).Next("t").
		Action("t", "TransferContactToAgent", nil).Next("end").
		Disconnect("end"))
	a := fb.create(TaskInput{Name: "Escalate", FlowID: "escalate"})
	b := fb.create(TaskInput{Name: "For Ana", FlowID: "to-ana"})
	fb.settle()
	if got := fb.task(a.ID); got.State != StateQueued || got.QueueID != "escalations" {
		t.Fatalf("dequeue: %s in %q", got.State, got.QueueID)
	}
	if got := fb.task(b.ID); got.State != StateQueued || got.TargetAgentID != "ana" {
		t.Fatalf("transfer to agent: %s for %q", got.State, got.TargetAgentID)
	}
}

// CheckHoursOfOperation without an ID reads the working queue's hours; a
// queue without hours is always open.
func TestFlowCheckHoursOfTheWorkingQueue(t *testing.T) {
	fb := newFlowBench(t, nil)
	fb.must(fb.r.PutQueue(fb.ctx, Queue{ID: "office", Name: "Office", Hours: &HoursOfOperation{TimeZone: "UTC",
		Ranges: []HoursRange{{Day: time.Tuesday, Start: 10 * time.Hour, End: 12 * time.Hour}}}}))
	fb.queue("always")
	fb.flow("hours", NewFlow("h").
		Action("h", "CheckHoursOfOperation", nil).When("Equals", "True", "open").When("Equals", "False", "closed").
		UpdateAttributes("open", map[string]string{"hours": "open"}).Next("end").
		UpdateAttributes("closed", map[string]string{"hours": "closed"}).Next("end").
		EndFlow("end"))
	early := fb.create(TaskInput{Name: "Early", FlowID: "hours", QueueID: "office"}) // 09:00
	always := fb.create(TaskInput{Name: "Any time", FlowID: "hours", QueueID: "always"})
	fb.settle()
	fb.clock.Advance(90 * time.Minute)
	late := fb.create(TaskInput{Name: "Open", FlowID: "hours", QueueID: "office"}) // 10:30
	fb.settle()
	for id, want := range map[string]string{early.ID: "closed", always.ID: "open", late.ID: "open"} {
		if got := fb.task(id).Attributes["hours"]; got != want {
			t.Errorf("%s: hours %q, want %q", id, got, want)
		}
	}
}

// A rule's CreateTask can name a flow: the task it creates starts IN_FLOW
// and the flow queues it.
func TestFlowRuleCreatesTaskInAFlow(t *testing.T) {
	fb := newFlowBench(t, nil)
	fb.queue("claims")
	fb.flow("triage", NewFlow("tag").
		UpdateAttributes("tag", map[string]string{"triaged": "yes"}).Next("q").
		SetQueue("q", "claims").Next("t").TransferToQueue("t"))
	eng, err := NewRuleEngine([]Rule{{
		Name: "new-claims", On: SourceZendeskTicketCreate,
		Actions: []RuleAction{{CreateTask: &CreateTaskAction{Name: "Ticket {{ event.detail.id }}", FlowID: "triage"}}},
	}}, &RuleEngineOptions{Clock: fb.clock})
	fb.must(err)
	fb.must(eng.Bind(fb.r))
	res, err := eng.Evaluate(fb.ctx, RuleEvent{Source: SourceZendeskTicketCreate, ID: "zen-9",
		JSON: []byte(`{"type": "zen:event-type:ticket.created", "detail": {"id": "9"}}`)})
	fb.must(err)
	if len(res.Created) != 1 || res.Created[0].Task.State != StateInFlow {
		t.Fatalf("rule created %+v, want one task IN_FLOW", res.Created)
	}
	fb.settle()
	got := fb.task(res.Created[0].Task.ID)
	if got.State != StateQueued || got.QueueID != "claims" || got.Attributes["triaged"] != "yes" || got.InitiationMethod != InitiatedByRule {
		t.Fatalf("rule's task: %s in %q, %v, by %s", got.State, got.QueueID, got.Attributes, got.InitiationMethod)
	}
}

// A quick connect with a flow runs it on transfer: the new segment is
// IN_FLOW with the quick connect's queue as its working queue until the
// flow enqueues it; a flow the runner lacks fails the transfer.
func TestFlowQuickConnectRunsItsFlowOnTransfer(t *testing.T) {
	fb := newFlowBench(t, nil)
	fb.queue("claims")
	fb.queue("fraud")
	fb.flow("to-fraud", NewFlow("tag").
		UpdateAttributes("tag", map[string]string{"transferred_by": "$.Queue.Name"}).Next("t").
		TransferToQueue("t"))
	fb.must(fb.r.PutQuickConnect(fb.ctx, QuickConnect{ID: "qc-fraud", Name: "Fraud", Type: QuickConnectQueue, QueueID: "fraud", FlowID: "to-fraud", QueueIDs: []string{"claims"}}))
	fb.must(fb.r.PutQuickConnect(fb.ctx, QuickConnect{ID: "qc-bad", Name: "Bad", Type: QuickConnectQueue, QueueID: "fraud", FlowID: "missing", QueueIDs: []string{"claims"}}))
	task := fb.create(TaskInput{Name: "Suspicious claim", QueueID: "claims"})
	if _, err := fb.r.Transfer(fb.ctx, task.ID, TransferTarget{QuickConnectID: "qc-bad"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("transfer through a quick connect with an unknown flow: %v", err)
	}
	seg, err := fb.r.Transfer(fb.ctx, task.ID, TransferTarget{QuickConnectID: "qc-fraud"})
	fb.must(err)
	if seg.State != StateInFlow || seg.FlowID != "to-fraud" || seg.QueueID != "fraud" {
		t.Fatalf("new segment %s in %q with flow %q", seg.State, seg.QueueID, seg.FlowID)
	}
	fb.settle()
	got := fb.task(seg.ID)
	if got.State != StateQueued || got.QueueID != "fraud" || got.Attributes["transferred_by"] != "fraud" || got.PreviousTaskID != task.ID {
		t.Fatalf("after its flow: %s in %q, %v, previous %q", got.State, got.QueueID, got.Attributes, got.PreviousTaskID)
	}
}
