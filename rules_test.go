package switchboard_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboard-go/switchboard"
)

var rulesStart = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

// rulesDesk is a router on a manual clock with a "support" queue, a
// "followups" queue and a disabled "closed" queue, its tasks named task-1,
// task-2, ..., bound to eng (which is also its consumer).
func rulesDesk(t *testing.T, eng *switchboard.RuleEngine) (*switchboard.Router, *switchboard.ManualClock) {
	t.Helper()
	ctx := context.Background()
	clock := switchboard.NewManualClock(rulesStart)
	n := 0
	var mu sync.Mutex
	cfg := &switchboard.Config{Clock: clock, NewID: func() string {
		mu.Lock()
		defer mu.Unlock()
		n++
		return fmt.Sprintf("task-%d", n)
	}}
	if eng != nil {
		cfg.Consumers = []switchboard.Consumer{eng}
	}
	r, err := switchboard.NewRouter(ctx, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(context.Background()) })
	if eng != nil {
		if err := eng.Bind(r); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []switchboard.Queue{{ID: "support", Name: "Support"}, {ID: "followups", Name: "Follow-ups"}, {ID: "closed", Name: "Closed", Disabled: true}} {
		if err := r.PutQueue(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	return r, clock
}

func mustEngine(t testing.TB, rules []switchboard.Rule, opts *switchboard.RuleEngineOptions) *switchboard.RuleEngine {
	t.Helper()
	eng, err := switchboard.NewRuleEngine(rules, opts)
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

func createIn(queue, name string) []switchboard.RuleAction {
	return []switchboard.RuleAction{{CreateTask: &switchboard.CreateTaskAction{Name: name, QueueID: queue}}}
}

// Every way a rule can be wrong is refused when the engine is built, with a
// message that names the rule, the field and, for expressions, the line,
// column and a caret under the fault.
func TestRuleLoadErrors(t *testing.T) {
	notify := &switchboard.NotifyAction{Topic: "t"}
	long := strings.Repeat("a", 201)
	many := strings.TrimSuffix(strings.Repeat(`event.a == "x" || `, 21), " || ")
	for _, tc := range []struct {
		name  string
		rules []switchboard.Rule
		want  string
	}{
		{"empty name", []switchboard.Rule{{On: "OnX", Actions: createIn("support", "x")}},
			`switchboard: invalid Rules[0].Name: required`},
		{"name with a space", []switchboard.Rule{{Name: "follow up", On: "OnX", Actions: createIn("support", "x")}},
			`switchboard: invalid Rules[0].Name "follow up": only letters, digits, '.', '_' and '-'`},
		{"name too long", []switchboard.Rule{{Name: long, On: "OnX", Actions: createIn("support", "x")}},
			`switchboard: invalid Rules[0].Name "` + long[:61] + `...": at most 200 characters`},
		{"duplicate name", []switchboard.Rule{{Name: "a", On: "OnX", Actions: createIn("support", "x")}, {Name: "a", On: "OnY", Actions: createIn("support", "x")}},
			`switchboard: invalid Rules[1].Name "a": names must be unique`},
		{"no source", []switchboard.Rule{{Name: "a", Actions: createIn("support", "x")}},
			`switchboard: invalid Rules[a].On: required`},
		{"no action", []switchboard.Rule{{Name: "a", On: "OnX"}},
			`switchboard: invalid Rules[a].Actions: at least one action`},
		{"two condition forms", []switchboard.Rule{{Name: "a", On: "OnX", When: "true", Twilio: "a == 1", Actions: createIn("support", "x")}},
			`switchboard: invalid Rules[a].When: set at most one of When, Function and Twilio`},
		{"syntax error", []switchboard.Rule{{Name: "a", On: "OnX", When: `event.status ==`, Actions: createIn("support", "x")}},
			"switchboard: rule \"a\": When 1:15: unexpected token EOF\nevent.status ==\n              ^"},
		{"unknown name on line 2", []switchboard.Rule{{Name: "a", On: "OnX", When: "event.status == \"open\" &&\n  ticket.priority == \"high\"", Actions: createIn("support", "x")}},
			"switchboard: rule \"a\": When 2:3: unknown name ticket\n  ticket.priority == \"high\"\n  ^"},
		{"not a bool", []switchboard.Rule{{Name: "a", On: "OnX", When: `task.priority + 1`, Actions: createIn("support", "x")}},
			"switchboard: rule \"a\": When 1:1: expected bool, but got int\ntask.priority + 1\n^"},
		{"now() is disabled", []switchboard.Rule{{Name: "a", On: "OnX", When: `now() > task.expiresAt`, Actions: createIn("support", "x")}},
			"switchboard: rule \"a\": When 1:1: time.Time is not callable\nnow() > task.expiresAt\n^"},
		{"unknown task field", []switchboard.Rule{{Name: "a", On: "OnX", When: `task.Queue == "x"`, Actions: createIn("support", "x")}},
			"switchboard: rule \"a\": When 1:6: type switchboard.RuleTask has no field Queue\ntask.Queue == \"x\"\n     ^"},
		{"too many conditions", []switchboard.Rule{{Name: "a", On: "OnX", When: many, Actions: createIn("support", "x")}},
			`switchboard: invalid Rules[a].When: at most 20 conditions, got 21`},
		{"bad Twilio expression", []switchboard.Rule{{Name: "a", On: "OnX", Twilio: `first-name == "Ana"`, Actions: createIn("support", "x")}},
			"switchboard: rule \"a\": Twilio 1:6: hyphens are not supported in TaskRouter expressions\nfirst-name == \"Ana\"\n     ^"},
		{"bad rule function", []switchboard.Rule{{Name: "a", On: "OnX", Function: `{"Version":"2022-11-25","RuleFunction":{"Operator":"XOR","Operands":[]}}`, Actions: createIn("support", "x")}},
			"switchboard: rule \"a\": Function 1:69: Operands must be a non-empty array\n{\"Version\":\"2022-11-25\",\"RuleFunction\":{\"Operator\":\"XOR\",\"Operands\":[]}}\n                                                                    ^"},
		{"two actions in one", []switchboard.Rule{{Name: "a", On: "OnX", Actions: []switchboard.RuleAction{{}}}},
			`switchboard: invalid Rules[a].Actions[0]: set exactly one of CreateTask, Notify, UpdateTasks, StopTasks and EndAssociatedTasks`},
		{"end associated tasks without a case", []switchboard.Rule{{Name: "a", On: "OnX", Actions: []switchboard.RuleAction{{EndAssociatedTasks: &switchboard.EndAssociatedTasksAction{}}}}},
			`switchboard: invalid Rules[a].Actions[0].EndAssociatedTasks.Case: required: a template giving the case's key`},
		{"end associated tasks with a bad attribute", []switchboard.Rule{{Name: "a", On: "OnX", Actions: []switchboard.RuleAction{{EndAssociatedTasks: &switchboard.EndAssociatedTasksAction{Case: "x", Attribute: "case id"}}}}},
			`switchboard: invalid Rules[a].Actions[0].EndAssociatedTasks.Attribute[case id] "case id": keys may hold only A-Z a-z 0-9 _ -`},
		{"task without a name", []switchboard.Rule{{Name: "a", On: "OnX", Actions: createIn("support", "")}},
			`switchboard: invalid Rules[a].Actions[0].CreateTask.Name: required`},
		{"task without a queue", []switchboard.Rule{{Name: "a", On: "OnX", Actions: createIn("", "x")}},
			`switchboard: invalid Rules[a].Actions[0].CreateTask.QueueID: set exactly one of QueueID and AgentID`},
		{"bad template", []switchboard.Rule{{Name: "a", On: "OnX", Actions: createIn("support", "Ticket {{ event.id + }}")}},
			"switchboard: rule \"a\": Actions[0].CreateTask.Name 1:21: unexpected token EOF\nTicket {{ event.id + }}\n                    ^"},
		{"unterminated template", []switchboard.Rule{{Name: "a", On: "OnX", Actions: createIn("support", "Ticket {{ event.id")}},
			"switchboard: rule \"a\": Actions[0].CreateTask.Name 1:8: unterminated {{: missing }}\nTicket {{ event.id\n       ^"},
		{"notify without a callback", []switchboard.Rule{{Name: "a", On: "OnX", Actions: []switchboard.RuleAction{{Notify: notify}}}},
			`switchboard: invalid Rules[a].Actions[0].Notify: needs RuleEngineOptions.Notify`},
		{"bad selector", []switchboard.Rule{{Name: "a", On: "OnX", Actions: []switchboard.RuleAction{{StopTasks: &switchboard.StopTasksAction{Tasks: "event.ids["}}}}},
			"switchboard: rule \"a\": Actions[0].StopTasks.Tasks 1:10: unexpected token EOF\nevent.ids[\n         ^"},
		{"update without attributes", []switchboard.Rule{{Name: "a", On: "OnX", Actions: []switchboard.RuleAction{{UpdateTasks: &switchboard.UpdateTasksAction{}}}}},
			`switchboard: invalid Rules[a].Actions[0].UpdateTasks.Attributes: at least one attribute`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := switchboard.NewRuleEngine(tc.rules, nil)
			if err == nil {
				t.Fatal("no error")
			}
			if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
				t.Errorf("message (-want +got):\n%s", diff)
			}
			if !errors.Is(err, switchboard.ErrValidation) {
				t.Errorf("%v does not match ErrValidation", err)
			}
			var ee *switchboard.ExprError
			var ve *switchboard.ValidationError
			if !errors.As(err, &ee) && !errors.As(err, &ve) {
				t.Errorf("%T is neither *ExprError nor *ValidationError", err)
			}
		})
	}
}

// An ExprError carries its parts, for a host that underlines the fault.
func TestRuleExprErrorFields(t *testing.T) {
	_, err := switchboard.NewRuleEngine([]switchboard.Rule{{Name: "vip", On: "OnX", When: "event.tier == \"gold\" &&\n  event.spend >", Actions: createIn("support", "x")}}, nil)
	var ee *switchboard.ExprError
	if !errors.As(err, &ee) {
		t.Fatalf("%v is not an *ExprError", err)
	}
	want := &switchboard.ExprError{Rule: "vip", Field: "When", Line: 2, Column: 15, Message: "unexpected token EOF", Snippet: "  event.spend >\n              ^"}
	if diff := cmp.Diff(want, ee); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// Connect's limit of 500 rules per event source.
func TestRuleLimitPerSource(t *testing.T) {
	var rs []switchboard.Rule
	for i := range 501 {
		rs = append(rs, switchboard.Rule{Name: fmt.Sprint("r", i), On: "OnZendeskTicketCreate", Actions: createIn("support", "x")})
	}
	if _, err := switchboard.NewRuleEngine(rs[:500], nil); err != nil {
		t.Fatalf("500 rules: %v", err)
	}
	_, err := switchboard.NewRuleEngine(rs, nil)
	if want := `switchboard: invalid Rules[r500].On "OnZendeskTicketCreate": at most 500 rules per event source`; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	// Another source has its own 500.
	rs[500].On = "OnSalesforceCaseCreate"
	if _, err := switchboard.NewRuleEngine(rs, nil); err != nil {
		t.Errorf("501 rules over two sources: %v", err)
	}
}

func zendeskTicket(id float64, priority, status string) map[string]any {
	return map[string]any{
		"type": "zen:event-type:ticket.created",
		"detail": map[string]any{
			"id": id, "subject": "Refund for order 4411", "priority": priority, "status": status,
			"requester_id": "6011", "tags": []any{"refund", "vip"},
		},
	}
}

// A Zendesk ticket becomes a task: every string of the action is rendered
// from the payload, the task is created by the rule, and the same delivery
// twice gives the same task.
func TestRuleCreatesTaskFromTicket(t *testing.T) {
	eng := mustEngine(t, []switchboard.Rule{{
		Name: "urgent-tickets",
		On:   switchboard.SourceZendeskTicketCreate,
		When: `event["type"] == "zen:event-type:ticket.created" && event.detail.priority in ["high", "urgent"]`,
		Actions: []switchboard.RuleAction{{CreateTask: &switchboard.CreateTaskAction{
			Name:        "Ticket #{{ event.detail.id }}: {{ event.detail.subject }}",
			Description: "Priority {{ event.detail.priority }}, tags {{ join(event.detail.tags, \", \") }}",
			QueueID:     "support",
			Priority:    2,
			Attributes:  map[string]string{"ticket": "{{ event.detail.id }}", "rule": "{{ rule }}"},
			References: map[string]switchboard.Reference{
				"ticket": {Type: switchboard.ReferenceURL, Value: "https://acme.zendesk.com/agent/tickets/{{ event.detail.id }}"},
			},
		}}},
	}}, nil)
	r, _ := rulesDesk(t, eng)
	ctx := context.Background()

	res, err := eng.Evaluate(ctx, switchboard.RuleEvent{Source: switchboard.SourceZendeskTicketCreate, ID: "zen-evt-1", Payload: zendeskTicket(4411, "urgent", "new")})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Created) != 1 || !cmp.Equal(res.Matched, []string{"urgent-tickets"}) {
		t.Fatalf("result %+v", res)
	}
	task := res.Created[0].Task
	got := struct {
		Name, Description, QueueID, CreatedBy string
		Priority                              int
		Method                                switchboard.InitiationMethod
		Attributes                            map[string]string
		References                            map[string]switchboard.Reference
	}{task.Name, task.Description, task.QueueID, task.CreatedBy, task.Priority, task.InitiationMethod, task.Attributes, task.References}
	want := got
	want.Name, want.Description, want.QueueID, want.CreatedBy = "Ticket #4411: Refund for order 4411", "Priority urgent, tags refund, vip", "support", "rule:urgent-tickets"
	want.Priority, want.Method = 2, switchboard.InitiatedByRule
	want.Attributes = map[string]string{"ticket": "4411", "rule": "urgent-tickets"}
	want.References = map[string]switchboard.Reference{"ticket": {Type: switchboard.ReferenceURL, Value: "https://acme.zendesk.com/agent/tickets/4411"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("task (-want +got):\n%s", diff)
	}

	// Zendesk delivers at least once: the same event again returns the same task.
	again, err := eng.Evaluate(ctx, switchboard.RuleEvent{Source: switchboard.SourceZendeskTicketCreate, ID: "zen-evt-1", Payload: zendeskTicket(4411, "urgent", "new")})
	if err != nil || len(again.Created) != 1 || again.Created[0].Task.ID != task.ID {
		t.Fatalf("replay: %+v, %v; want task %s again", again, err, task.ID)
	}
	// A low-priority ticket creates nothing; an event of another source neither.
	for _, ev := range []switchboard.RuleEvent{
		{Source: switchboard.SourceZendeskTicketCreate, ID: "zen-evt-2", Payload: zendeskTicket(4412, "low", "new")},
		{Source: switchboard.SourceSalesforceCaseCreate, ID: "sf-1", Payload: zendeskTicket(4413, "urgent", "new")},
	} {
		res, err := eng.Evaluate(ctx, ev)
		if err != nil || len(res.Created)+len(res.Matched) != 0 {
			t.Errorf("%s: %+v, %v; want nothing", ev.ID, res, err)
		}
	}
	if page, _ := r.ListTasks(switchboard.TaskQuery{QueueID: "support"}); len(page.Tasks) != 1 {
		t.Errorf("%d tasks in support, want 1", len(page.Tasks))
	}
}

// The story of the issue: a task that expires before anyone handled it
// gets a follow-up task, linked to it, created by a rule on the router's
// own events, delivered through Config.Consumers.
func TestRuleFollowUpWhenTaskExpiresUnhandled(t *testing.T) {
	eng := mustEngine(t, []switchboard.Rule{{
		Name: "follow-up-expired",
		On:   switchboard.SourceTaskExpired,
		When: `task.connectedAt.IsZero() && task.attributes.customer != ""`,
		Actions: []switchboard.RuleAction{{CreateTask: &switchboard.CreateTaskAction{
			Name:       "Follow up: {{ task.name }}",
			QueueID:    "followups",
			Priority:   1,
			Attributes: map[string]string{"expired": "{{ task.id }}", "at": "{{ now.Format(\"15:04\") }}"},
		}}},
	}}, nil)
	r, clock := rulesDesk(t, eng)
	ctx := context.Background()
	orig, err := r.CreateTask(ctx, switchboard.TaskInput{Name: "Call back Mrs Smith", QueueID: "support", Expiry: time.Hour,
		Attributes: map[string]string{"customer": "smith"}})
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour) // nobody takes it: task.expired

	follow := waitTask(t, r, "followups")
	if diff := cmp.Diff(map[string]string{"customer": "smith", "expired": orig.ID, "at": "10:00"}, follow.Attributes); diff != "" {
		t.Errorf("attributes (-want +got):\n%s", diff)
	}
	if follow.Name != "Follow up: Call back Mrs Smith" || follow.PreviousTaskID != orig.ID || follow.InitiationMethod != switchboard.InitiatedByRule {
		t.Errorf("follow-up %q previous %q method %s", follow.Name, follow.PreviousTaskID, follow.InitiationMethod)
	}
}

// waitTask waits until a task is queued in queue (the consumer runs on its
// own goroutine) and returns it.
func waitTask(t *testing.T, r *switchboard.Router, queue string) *switchboard.Task {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		page, err := r.ListTasks(switchboard.TaskQuery{QueueID: queue})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Tasks) > 0 {
			return page.Tasks[0]
		}
	}
	t.Fatalf("no task reached %s", queue)
	return nil
}

// A notification carries its rendered payload to the host.
func TestRuleNotifies(t *testing.T) {
	var got []switchboard.RuleNotification
	eng := mustEngine(t, []switchboard.Rule{{
		Name:    "tell-the-lead",
		On:      "OnOrderRefund",
		When:    `event.amount > 500`,
		Actions: []switchboard.RuleAction{{Notify: &switchboard.NotifyAction{Topic: "refunds", Payload: map[string]string{"text": "Refund of {{ event.amount }} for {{ event.customer }}"}}}},
	}}, &switchboard.RuleEngineOptions{Notify: func(_ context.Context, n switchboard.RuleNotification) error {
		got = append(got, n)
		return nil
	}})
	ctx := context.Background()
	for i, amount := range []float64{120, 900} {
		if _, err := eng.Evaluate(ctx, switchboard.RuleEvent{Source: "OnOrderRefund", ID: fmt.Sprint("r", i), Time: rulesStart,
			JSON: []byte(fmt.Sprintf(`{"amount": %v, "customer": "Mrs Smith"}`, amount))}); err != nil {
			t.Fatal(err)
		}
	}
	want := []switchboard.RuleNotification{{Rule: "tell-the-lead", Source: "OnOrderRefund", EventID: "r1", Topic: "refunds",
		Payload: map[string]string{"text": "Refund of 900 for Mrs Smith"}, Time: rulesStart}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("notifications (-want +got):\n%s", diff)
	}
}

// An event about a task updates that task's attributes; another stops the
// tasks its payload lists.
func TestRuleUpdatesAndStopsTasks(t *testing.T) {
	eng := mustEngine(t, []switchboard.Rule{
		{Name: "mark-escalated", On: "OnCaseUpdate", When: `event.status == "escalated"`,
			Actions: []switchboard.RuleAction{{UpdateTasks: &switchboard.UpdateTasksAction{Attributes: map[string]string{"case_status": "{{ event.status }}"}}}}},
		{Name: "end-case-tasks", On: "OnCaseUpdate", When: `event.status == "closed"`,
			Actions: []switchboard.RuleAction{{StopTasks: &switchboard.StopTasksAction{Tasks: `event.taskIds`}}}},
	}, nil)
	r, _ := rulesDesk(t, eng)
	ctx := context.Background()
	var ids []any
	for range 3 {
		task, err := r.CreateTask(ctx, switchboard.TaskInput{Name: "Case work", QueueID: "support"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, task.ID)
	}
	if _, err := eng.Evaluate(ctx, switchboard.RuleEvent{Source: "OnCaseUpdate", ID: "c1", TaskID: "task-1", Payload: map[string]any{"status": "escalated"}}); err != nil {
		t.Fatal(err)
	}
	if task, _ := r.Task(ctx, "task-1"); task.Attributes["case_status"] != "escalated" {
		t.Errorf("attributes %v", task.Attributes)
	}
	if _, err := eng.Evaluate(ctx, switchboard.RuleEvent{Source: "OnCaseUpdate", ID: "c2", Payload: map[string]any{"status": "closed", "taskIds": ids[:2]}}); err != nil {
		t.Fatal(err)
	}
	for i, want := range []switchboard.TaskState{switchboard.StateStopped, switchboard.StateStopped, switchboard.StateQueued} {
		task, _ := r.Task(ctx, ids[i].(string))
		if task.State != want {
			t.Errorf("%s is %s, want %s", task.ID, task.State, want)
		}
	}
}

// A ticket's follow-ups end when the ticket is solved: every rule that
// creates a task for a ticket stamps the case key, and Connect's
// END_ASSOCIATED_TASKS action stops the open tasks that carry it, whether
// they wait in a queue or sit with an agent. Tasks of other cases stay.
func TestRuleEndsTheTasksOfASolvedTicket(t *testing.T) {
	eng := mustEngine(t, []switchboard.Rule{
		{Name: "ticket-follow-up", On: switchboard.SourceZendeskTicketCreate,
			Actions: []switchboard.RuleAction{{CreateTask: &switchboard.CreateTaskAction{
				Name: "Ticket #{{ event.detail.id }}", QueueID: "support",
				Attributes: map[string]string{"caseId": "zendesk-{{ event.detail.id }}"},
			}}}},
		{Name: "ticket-solved", On: switchboard.SourceZendeskTicketStatusUpdate, When: `event.detail.status in ["solved", "closed"]`,
			Actions: []switchboard.RuleAction{{EndAssociatedTasks: &switchboard.EndAssociatedTasksAction{Case: "zendesk-{{ event.detail.id }}"}}}},
		{Name: "no-case", On: "OnBrokenUpdate",
			Actions: []switchboard.RuleAction{{EndAssociatedTasks: &switchboard.EndAssociatedTasksAction{Case: "{{ event.missing }}"}}}},
	}, nil)
	r, _ := rulesDesk(t, eng)
	ctx := context.Background()
	for i, id := range []float64{4411, 4412, 4411} {
		if _, err := eng.Evaluate(ctx, switchboard.RuleEvent{Source: switchboard.SourceZendeskTicketCreate, ID: fmt.Sprintf("zen-%d", i), Payload: zendeskTicket(id, "high", "new")}); err != nil {
			t.Fatal(err)
		}
	}
	// An agent is already working on the first task of 4411.
	if err := r.PutRoutingProfile(ctx, switchboard.RoutingProfile{ID: "desk",
		Concurrency: []switchboard.MediaConcurrency{{Channel: switchboard.ChannelTask, Concurrency: 1}},
		Queues:      []switchboard.QueueConfig{{QueueID: "support", Channel: switchboard.ChannelTask, Priority: 1}}}); err != nil {
		t.Fatal(err)
	}
	if err := r.PutAgent(ctx, switchboard.Agent{ID: "ana", RoutingProfileID: "desk"}); err != nil {
		t.Fatal(err)
	}
	if err := r.SetAgentStatus(ctx, "ana", switchboard.StatusAvailable); err != nil {
		t.Fatal(err)
	}
	if err := r.Accept(ctx, "task-1", "ana"); err != nil {
		t.Fatal(err)
	}

	// Ticket 4412 moves to "open": no rule ends anything.
	res, err := eng.Evaluate(ctx, switchboard.RuleEvent{Source: switchboard.SourceZendeskTicketStatusUpdate, ID: "zen-s1", Payload: zendeskTicket(4412, "high", "open")})
	if err != nil || len(res.Ended) != 0 {
		t.Fatalf("open: %+v, %v", res, err)
	}
	// Ticket 4411 is solved: both of its tasks end, the connected one too.
	res, err = eng.Evaluate(ctx, switchboard.RuleEvent{Source: switchboard.SourceZendeskTicketStatusUpdate, ID: "zen-s2", Payload: zendeskTicket(4411, "high", "solved")})
	if err != nil {
		t.Fatal(err)
	}
	if want := []switchboard.RuleEnded{{Rule: "ticket-solved", TaskID: "task-1"}, {Rule: "ticket-solved", TaskID: "task-3"}}; !cmp.Equal(res.Ended, want) {
		t.Errorf("ended %+v, want %+v", res.Ended, want)
	}
	// Ana's slot is free at once: ticket 4412's task is offered to her.
	for id, want := range map[string]switchboard.TaskState{"task-1": switchboard.StateStopped, "task-2": switchboard.StateOffered, "task-3": switchboard.StateStopped} {
		task, err := r.Task(ctx, id)
		if err != nil || task.State != want {
			t.Errorf("%s: %v %v, want %s", id, task.State, err, want)
		}
	}
	if page, _ := r.ListTasks(switchboard.TaskQuery{AgentID: "ana"}); len(page.Tasks) != 1 || page.Tasks[0].ID != "task-2" {
		t.Errorf("ana holds %d tasks, want task-2 only", len(page.Tasks))
	}
	// Solved again (Zendesk retries): nothing left to end, no error.
	if res, err := eng.Evaluate(ctx, switchboard.RuleEvent{Source: switchboard.SourceZendeskTicketStatusUpdate, ID: "zen-s3", Payload: zendeskTicket(4411, "high", "closed")}); err != nil || len(res.Ended) != 0 {
		t.Errorf("closed again: %+v, %v", res, err)
	}
	// An event that names no case is the action's error, and ends nothing.
	if _, err := eng.Evaluate(ctx, switchboard.RuleEvent{Source: "OnBrokenUpdate", ID: "b1", Payload: map[string]any{}}); err == nil || !strings.Contains(err.Error(), "rendered empty") {
		t.Errorf("no case: %v", err)
	}
	if task, _ := r.Task(ctx, "task-2"); task.State != switchboard.StateOffered {
		t.Errorf("task-2 is %s", task.State)
	}
}

// A failing action is never silent: it is logged, handed to OnError and
// returned; the rest of its rule's actions are skipped, other rules run.
func TestRuleActionFailureIsReported(t *testing.T) {
	var logs bytes.Buffer
	var seen []*switchboard.RuleError
	notified := 0
	eng := mustEngine(t, []switchboard.Rule{
		{Name: "into-closed", On: "OnX", Actions: []switchboard.RuleAction{
			{CreateTask: &switchboard.CreateTaskAction{Name: "x", QueueID: "closed"}},
			{Notify: &switchboard.NotifyAction{Topic: "created"}},
		}},
		{Name: "into-support", On: "OnX", Actions: createIn("support", "y")},
	}, &switchboard.RuleEngineOptions{
		Logger:  slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{ReplaceAttr: dropTime})),
		OnError: func(e *switchboard.RuleError) { seen = append(seen, e) },
		Notify:  func(context.Context, switchboard.RuleNotification) error { notified++; return nil },
	})
	rulesDesk(t, eng)
	res, err := eng.Evaluate(context.Background(), switchboard.RuleEvent{Source: "OnX", ID: "e1"})
	if !errors.Is(err, switchboard.ErrQueueDisabled) {
		t.Fatalf("error %v, want ErrQueueDisabled", err)
	}
	var re *switchboard.RuleError
	if !errors.As(err, &re) || re.Rule != "into-closed" || re.Action != 0 || re.Op != "CreateTask" || re.EventID != "e1" {
		t.Errorf("RuleError %+v", re)
	}
	if len(seen) != 1 || seen[0] != re {
		t.Errorf("OnError saw %v", seen)
	}
	if notified != 0 || len(res.Created) != 1 || res.Created[0].Rule != "into-support" {
		t.Errorf("notified %d, created %+v", notified, res.Created)
	}
	wantLog := `level=ERROR msg="switchboard: rule failed" rule=into-closed source=OnX event=e1 task="" op=CreateTask action=0 err="QueueID: switchboard: queue disabled: \"closed\""` + "\n"
	if diff := cmp.Diff(wantLog, logs.String()); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}

func dropTime(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

// A condition that fails at run time counts as false and is reported.
func TestRuleConditionRuntimeError(t *testing.T) {
	eng := mustEngine(t, []switchboard.Rule{{Name: "deep", On: "OnX", When: `event.ticket.group.name == "billing"`, Actions: createIn("support", "x")}}, nil)
	res, err := eng.Evaluate(context.Background(), switchboard.RuleEvent{Source: "OnX", ID: "e1", Payload: map[string]any{"ticket": map[string]any{}}})
	var re *switchboard.RuleError
	if !errors.As(err, &re) || re.Op != "condition" || re.Action != -1 || len(res.Matched) != 0 {
		t.Fatalf("%+v, %v", res, err)
	}
	if !strings.HasPrefix(err.Error(), `switchboard: rule "deep" on OnX event "e1": condition: cannot fetch name from <nil>`) {
		t.Errorf("message %q", err.Error())
	}
}

// Attribute names that are expr words are reachable with brackets; now is
// the event's time; rules of one source never see events of another.
func TestRuleEnvironment(t *testing.T) {
	eng := mustEngine(t, []switchboard.Rule{
		{Name: "typed", On: "OnX", When: `event["type"] == "incident" && event["in"] == true && now.Hour() == 9 && task.id == "" && source == "OnX" && eventId == "e1"`, Actions: createIn("support", "x")},
		{Name: "broken-elsewhere", On: "OnY", When: `event.a.b.c == "x"`, Actions: createIn("support", "x")},
	}, &switchboard.RuleEngineOptions{Clock: switchboard.NewManualClock(rulesStart)})
	r, _ := rulesDesk(t, eng)
	res, err := eng.Evaluate(context.Background(), switchboard.RuleEvent{Source: "OnX", ID: "e1", Payload: map[string]any{"type": "incident", "in": true}})
	if err != nil || !cmp.Equal(res.Matched, []string{"typed"}) {
		t.Errorf("%+v, %v", res, err)
	}
	_ = r
}

// Bad events are refused before anything runs.
func TestRuleEvaluateInvalidEvent(t *testing.T) {
	eng := mustEngine(t, []switchboard.Rule{{Name: "a", On: "OnX", Actions: createIn("support", "x")}}, nil)
	for _, tc := range []struct {
		ev   switchboard.RuleEvent
		want string
	}{
		{switchboard.RuleEvent{ID: "1"}, "switchboard: invalid RuleEvent.Source: required"},
		{switchboard.RuleEvent{Source: "OnX"}, "switchboard: invalid RuleEvent.ID: required"},
		{switchboard.RuleEvent{Source: "OnX", ID: "1", JSON: []byte(`[1]`)}, "switchboard: invalid RuleEvent.JSON: a JSON object: json: cannot unmarshal array into Go value of type map[string]interface {}"},
	} {
		_, err := eng.Evaluate(context.Background(), tc.ev)
		if err == nil || err.Error() != tc.want || !errors.Is(err, switchboard.ErrValidation) {
			t.Errorf("%+v: %v, want %s", tc.ev, err, tc.want)
		}
	}
	// Unbound, actions that need the router fail, and say why.
	_, err := eng.Evaluate(context.Background(), switchboard.RuleEvent{Source: "OnX", ID: "1"})
	if err == nil || !strings.Contains(err.Error(), "rule engine not bound to a router") {
		t.Errorf("unbound: %v", err)
	}
}

// Rules exported from Connect (Rules Function language) and filters
// migrated from Twilio TaskRouter load and decide like hand-written ones.
func TestRuleConnectAndTwilioForms(t *testing.T) {
	function := `{
  "Version": "2022-11-25",
  "RuleFunction": {
    "Operator": "AND",
    "Operands": [
      {"Operator": "EQUALS", "Operands": ["incident"], "ComparisonValue": "$.ThirdParty.Zendesk.TicketCreate.Type", "Negate": false},
      {"Operator": "EQUALS", "Operands": ["urgent"], "ComparisonValue": "$.ThirdParty.Zendesk.TicketCreate.Priority", "Negate": false}
    ]
  }
}`
	eng := mustEngine(t, []switchboard.Rule{
		{Name: "from-connect", On: switchboard.SourceZendeskTicketCreate, Function: function, Actions: createIn("support", "Urgent incident")},
		{Name: "from-twilio", On: switchboard.SourceZendeskTicketCreate, Twilio: `task.ThirdParty.Zendesk.TicketCreate.Tags HAS "vip"`, Actions: createIn("support", "VIP ticket")},
	}, nil)
	rulesDesk(t, eng)
	ticket := func(typ, prio string, tags ...any) map[string]any {
		return map[string]any{"ThirdParty": map[string]any{"Zendesk": map[string]any{"TicketCreate": map[string]any{"Type": typ, "Priority": prio, "Tags": tags}}}}
	}
	for i, tc := range []struct {
		payload map[string]any
		want    []string
	}{
		{ticket("incident", "urgent"), []string{"from-connect"}},
		{ticket("incident", "low", "vip"), []string{"from-twilio"}},
		{ticket("incident", "urgent", "vip"), []string{"from-connect", "from-twilio"}},
		{ticket("question", "urgent"), nil},
	} {
		res, err := eng.Evaluate(context.Background(), switchboard.RuleEvent{Source: switchboard.SourceZendeskTicketCreate, ID: fmt.Sprint(i), Payload: tc.payload})
		if err != nil || !cmp.Equal(res.Matched, tc.want) {
			t.Errorf("%d: %v, %v; want %v", i, res.Matched, err, tc.want)
		}
	}
}

// RuleEventOf maps each router event rules react to onto its source.
func TestRuleSources(t *testing.T) {
	got := map[switchboard.EventType]string{}
	for _, typ := range []switchboard.EventType{switchboard.EventTaskCreated, switchboard.EventTaskCompleted, switchboard.EventTaskExpired,
		switchboard.EventTaskMissed, switchboard.EventTaskTransferred, switchboard.EventTaskStopped, switchboard.EventTaskQueued} {
		if s, ok := switchboard.RuleSourceOf(typ); ok {
			got[typ] = s
		}
	}
	want := map[switchboard.EventType]string{
		switchboard.EventTaskCreated: "OnTaskCreated", switchboard.EventTaskCompleted: "OnTaskCompleted", switchboard.EventTaskExpired: "OnTaskExpired",
		switchboard.EventTaskMissed: "OnTaskMissed", switchboard.EventTaskTransferred: "OnTaskTransferred", switchboard.EventTaskStopped: "OnTaskStopped",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	ev, ok := switchboard.RuleEventOf(switchboard.Event{Seq: 42, Type: switchboard.EventTaskMissed, TaskID: "t1", AgentID: "ana"})
	if !ok || ev.ID != "switchboard-seq-42" || ev.TaskID != "t1" || ev.Payload["agentId"] != "ana" || ev.Payload["type"] != "task.missed" {
		t.Errorf("%+v", ev)
	}
}

// A rule reacting to the last completion before Close still acts: Close lets
// the consumers catch up while the router accepts calls, so the follow-up is
// stored and a router started over the store has it (it used to be refused
// with ErrClosed and lost, 20 times in 20).
func TestRuleFollowUpOfTheLastTaskBeforeCloseIsKept(t *testing.T) {
	ctx := context.Background()
	for i := range 20 {
		var ruleErrs []error
		var mu sync.Mutex
		eng := mustEngine(t, []switchboard.Rule{{
			Name: "follow-up", On: switchboard.SourceTaskCompleted,
			Actions: []switchboard.RuleAction{{CreateTask: &switchboard.CreateTaskAction{Name: "Follow up: {{ task.name }}", QueueID: "followups"}}},
		}}, &switchboard.RuleEngineOptions{OnError: func(e *switchboard.RuleError) {
			mu.Lock()
			ruleErrs = append(ruleErrs, e)
			mu.Unlock()
		}})
		store := switchboard.NewMemoryStore()
		clock := switchboard.NewManualClock(rulesStart)
		r, err := switchboard.NewRouter(ctx, store, &switchboard.Config{Clock: clock, Consumers: []switchboard.Consumer{eng}})
		if err != nil {
			t.Fatal(err)
		}
		if err := eng.Bind(r); err != nil {
			t.Fatal(err)
		}
		for _, err := range []error{
			r.PutQueue(ctx, switchboard.Queue{ID: "support", Name: "Support"}),
			r.PutQueue(ctx, switchboard.Queue{ID: "followups", Name: "Follow-ups"}),
			r.PutRoutingProfile(ctx, switchboard.RoutingProfile{ID: "desk",
				Concurrency: []switchboard.MediaConcurrency{{Channel: switchboard.ChannelTask, Concurrency: 1}},
				Queues:      []switchboard.QueueConfig{{QueueID: "support", Priority: 1}}}),
			r.PutAgent(ctx, switchboard.Agent{ID: "ana", RoutingProfileID: "desk", Status: switchboard.StatusAvailable}),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
		task, err := r.CreateTask(ctx, switchboard.TaskInput{Name: "Call back Mrs Smith", QueueID: "support"})
		if err != nil {
			t.Fatal(err)
		}
		for _, err := range []error{r.Accept(ctx, task.ID, "ana"), r.Complete(ctx, task.ID), r.CloseAfterContactWork(ctx, task.ID)} {
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := r.Close(ctx); err != nil {
			t.Fatalf("Close: %v", err)
		}
		mu.Lock()
		if len(ruleErrs) > 0 {
			t.Fatalf("run %d: the rule failed: %v", i, ruleErrs)
		}
		mu.Unlock()

		r2, err := switchboard.NewRouter(ctx, store, &switchboard.Config{Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		page, err := r2.ListTasks(switchboard.TaskQuery{QueueID: "followups"})
		r2.Close(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Tasks) != 1 || page.Tasks[0].Name != "Follow up: Call back Mrs Smith" {
			t.Fatalf("run %d: follow-ups after restart: %d, want 1", i, len(page.Tasks))
		}
	}
}
