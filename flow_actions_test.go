package switchboard

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"sync"

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

// UpdateFlowLoggingBehavior turns the flow's logging on and off: while on,
// the runner logs each action it runs through its Logger.
func TestFlowLoggingBehavior(t *testing.T) {
	var buf syncBuffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
	fb := newFlowBench(t, &FlowRunnerOptions{Logger: logger})
	fb.flow("logged", NewFlow("on").
		Action("on", "UpdateFlowLoggingBehavior", map[string]string{"FlowLoggingBehavior": "Enabled"}).Next("tag").
		UpdateAttributes("tag", map[string]string{"seen": "yes"}).Next("off").
		Action("off", "UpdateFlowLoggingBehavior", map[string]string{"FlowLoggingBehavior": "Disabled"}).Next("quiet").
		UpdateAttributes("quiet", map[string]string{"unseen": "yes"}).Next("end").
		EndFlow("end"))
	fb.create(TaskInput{Name: "Logged", FlowID: "logged"})
	fb.settle()
	want := "level=INFO msg=\"switchboard: flow action\" task=t1 flow=logged action=tag type=UpdateContactAttributes\n" +
		"level=INFO msg=\"switchboard: flow action\" task=t1 flow=logged action=off type=UpdateFlowLoggingBehavior\n"
	if got := buf.String(); got != want {
		t.Fatalf("log:\n%s\nwant:\n%s", got, want)
	}
}

// syncBuffer is a bytes.Buffer safe for the runner's workers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Connect's recommended task enqueue pattern: loop, check staffing, transfer
// when someone is staffed, wait otherwise. The figures come from the
// RealTimeMetrics the router feeds; GetMetricData puts them under $.Metrics.
func TestFlowCheckStaffingAndGetMetricData(t *testing.T) {
	m := NewRealTimeMetrics(&RealTimeOptions{AgentStatuses: testStatuses})
	fb := &flowBench{flows: map[string]*Flow{}, funcs: map[string]FlowFunction{},
		opts: FlowRunnerOptions{Metrics: m}}
	fb.fr = NewFlowRunner(&fb.opts)
	fb.bench = newBench(t, &Config{Flows: fb.fr, Consumers: []Consumer{m}})
	fb.fsub = fb.r.Subscribe(&SubscribeOptions{MaxPending: -1, Filter: &EventFilter{Types: []EventType{EventFlowStarted, EventFlowEnded}}})
	fb.must(fb.fr.Bind(fb.r))
	t.Cleanup(func() { fb.fr.Close(fb.ctx) })
	fb.queue("claims")
	fb.profile("p", 1, "claims")
	profiles, err := fb.r.ListRoutingProfiles()
	fb.must(err)
	m.SetRoutingProfiles(profiles)
	fb.put(Agent{ID: "ana", RoutingProfileID: "p", Status: StatusOffline})
	fb.flow("enqueue", NewFlow("loop").
		Loop("loop", 10).When("Equals", "ContinueLooping", "staffing").When("Equals", "DoneLooping", "end").
		Action("staffing", "CheckMetricData", map[string]string{"MetricType": "NumberOfAgentsStaffed"}).
		When("NumberGreaterThan", "0", "transfer").Next("wait").
		TransferToQueue("transfer").Next("wait").
		Wait("wait", 60).When("Equals", "WaitCompleted", "loop").
		Disconnect("end"))
	fb.flow("figures", NewFlow("get").
		Action("get", "GetMetricData", map[string]string{"QueueId": "arn:aws:connect:eu-west-2:123456789012:instance/i/queue/claims"}).Next("save").
		UpdateAttributes("save", map[string]string{"queue": "$.Metrics.Queue.Name", "waiting": "$.Metrics.Queue.Size",
			"staffed": "$.Metrics.Agents.Staffed.Count", "oldest": "$.Metrics.Queue.OldestContactAge"}).Next("end").
		EndFlow("end"))

	task := fb.create(TaskInput{Name: "Claim", FlowID: "enqueue", QueueID: "claims"})
	fb.settle()
	fb.wantState(task.ID, StateInFlow, "") // nobody staffed: it waits
	fb.status("ana", StatusAvailable)
	staffed := func() bool {
		res, err := m.Snapshot(RealTimeQuery{Filter: MetricFilter{Queues: []string{"claims"}}, Groupings: []Grouping{GroupQueue}, Now: fb.clock.Now()})
		return err == nil && len(res) == 1 && res[0].Values.AgentsStaffed == 1
	}
	waitFor(t, "the metrics to see Ana staffed", staffed)
	fb.clock.Advance(time.Minute)
	fb.settle()
	fb.wantState(task.ID, StateOffered, "ana")

	fb.create(TaskInput{Name: "Queued", QueueID: "claims"})
	waitFor(t, "the metrics to see one waiting", func() bool {
		res, _ := m.Snapshot(RealTimeQuery{Filter: MetricFilter{Queues: []string{"claims"}}, Groupings: []Grouping{GroupQueue}, Now: fb.clock.Now()})
		return len(res) == 1 && res[0].Values.ContactsInQueue == 2 // one offered, one waiting
	})
	fb.clock.Advance(30 * time.Second)
	got := fb.create(TaskInput{Name: "Figures", FlowID: "figures"})
	fb.settle()
	attrs := fb.task(got.ID).Attributes
	if attrs["queue"] != "claims" || attrs["waiting"] != "2" || attrs["staffed"] != "1" || attrs["oldest"] != "30" {
		t.Fatalf("$.Metrics read %v", attrs)
	}
}

// Each router-backed action takes its Error branch when what it names does
// not exist or the runner lacks what it needs, and the flow goes on.
func TestFlowRouterActionsTakeTheirErrorBranches(t *testing.T) {
	fb := newFlowBench(t, nil)
	fb.queue("claims")
	arn := "arn:aws:connect:eu-west-2:123456789012:instance/i/"
	fb.flow("errors", NewFlow("to flow").
		Action("to flow", "TransferToFlow", map[string]string{"ContactFlowId": arn + "contact-flow/missing"}).
		OnError("NoMatchingError", "e1").
		UpdateAttributes("e1", map[string]string{"TransferToFlow": "error"}).Next("create").
		Action("create", "CreateTask", map[string]string{"Name": "x", "ContactFlowId": arn + "contact-flow/missing"}).Next("e2").
		OnError("NoMatchingError", "e2").
		UpdateAttributes("e2", map[string]string{"CreateTask": "error"}).Next("hours").
		Action("hours", "CheckHoursOfOperation", map[string]string{"HoursOfOperationId": arn + "operating-hours/missing"}).
		When("Equals", "True", "end").When("Equals", "False", "end").OnError("NoMatchingError", "e3").
		UpdateAttributes("e3", map[string]string{"CheckHoursOfOperation": "error"}).Next("staffing").
		Action("staffing", "CheckMetricData", map[string]string{"MetricType": "NumberOfAgentsStaffed"}).
		When("NumberGreaterThan", "0", "end").Next("end").OnError("NoMatchingError", "e4").
		UpdateAttributes("e4", map[string]string{"CheckMetricData": "error"}).Next("criteria").
		Action("criteria", "UpdateContactRoutingCriteria", map[string]any{"RoutingCriteria": map[string]any{"Steps": []any{
			map[string]any{"Expression": map[string]any{"AttributeCondition": map[string]any{"Name": "Skill", "Value": "$.Attributes.missing", "ProficiencyLevel": "2"}}}}}}).
		Next("end").OnError("NoMatchingError", "e5").
		UpdateAttributes("e5", map[string]string{"UpdateContactRoutingCriteria": "error"}).Next("end").
		EndFlow("end"))
	task := fb.create(TaskInput{Name: "Errors", FlowID: "errors", QueueID: "claims"})
	fb.settle()
	got := fb.task(task.ID)
	for _, a := range []string{"TransferToFlow", "CreateTask", "CheckHoursOfOperation", "CheckMetricData", "UpdateContactRoutingCriteria"} {
		if got.Attributes[a] != "error" {
			t.Errorf("%s did not take its Error branch: %v", a, got.Attributes)
		}
	}
	if got.State != StateCompleted || got.RoutingCriteria != nil {
		t.Fatalf("task %s with criteria %v, want COMPLETED without criteria", got.State, got.RoutingCriteria)
	}
}
