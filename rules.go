package switchboard

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/expr-lang/expr/vm"

	"github.com/switchboard-go/switchboard/internal/rules"
)

// This file is the public front of the rule engine: a RuleEngine holds rules
// ({Name, On, When, Actions}), evaluates the events a host submits
// (Evaluate) and, as a Consumer, the router's own events, and acts through
// the Router's public API. Conditions and templates are expr-lang/expr
// expressions compiled once, at load, by internal/rules, which also
// translates Amazon Connect's Rules Function language and Twilio
// TaskRouter expressions. ExprError, RuleError and the rule limits are
// defined here rather than in errors.go and limits.go, so that the rule
// engine reads as one file.

// Limits of rules, from Amazon Connect's CreateRule and its quotas.
const (
	MaxRuleNameLen    = 200 // Rule.Name: 1..200 characters of [0-9a-zA-Z._-]
	MaxRuleConditions = 20  // conditions (leaves of the and/or/not tree) per rule
	MaxRulesPerSource = 500 // rules per event source
	MaxRuleSourceLen  = 200 // Rule.On
)

// Event sources of the router's own events. A rule with one of these in On
// runs when the router emits the matching event (see RuleSourceOf); its
// condition sees the event as event (keys type, seq, taskId, agentId,
// queueId, channel, state, previousState, priority, initiationMethod,
// relatedTaskId) and the task, as it is when the rule runs, as task.
const (
	SourceTaskCreated     = "OnTaskCreated"     // task.created
	SourceTaskCompleted   = "OnTaskCompleted"   // task.completed (after-contact work closed)
	SourceTaskExpired     = "OnTaskExpired"     // task.expired: it reached ExpiresAt unhandled
	SourceTaskMissed      = "OnTaskMissed"      // task.missed: an offer timed out
	SourceTaskTransferred = "OnTaskTransferred" // task.transferred (task is the old segment; event.relatedTaskId the new one)
	SourceTaskStopped     = "OnTaskStopped"     // task.stopped
)

// Event sources of connectors, as Amazon Connect names them. Any other
// non-empty string is a source too (a host's generic JSON webhooks).
const (
	SourceZendeskTicketCreate       = "OnZendeskTicketCreate"
	SourceZendeskTicketStatusUpdate = "OnZendeskTicketStatusUpdate"
	SourceSalesforceCaseCreate      = "OnSalesforceCaseCreate"
)

var routerSources = map[EventType]string{
	EventTaskCreated:     SourceTaskCreated,
	EventTaskCompleted:   SourceTaskCompleted,
	EventTaskExpired:     SourceTaskExpired,
	EventTaskMissed:      SourceTaskMissed,
	EventTaskTransferred: SourceTaskTransferred,
	EventTaskStopped:     SourceTaskStopped,
}

// RuleSourceOf returns the event source of a router event type, and false
// for the types rules do not react to.
func RuleSourceOf(t EventType) (string, bool) {
	s, ok := routerSources[t]
	return s, ok
}

// Rule reacts to events of one source. At most one of When, Function and
// Twilio is set; none means the rule runs for every event of its source.
type Rule struct {
	// Name is 1..200 characters of [0-9a-zA-Z._-], unique in the engine.
	Name string
	// On is the event source: a SourceTask… constant, a connector's source
	// such as "OnZendeskTicketCreate", or any string a host submits.
	On string
	// When is a condition in expr's language that must return bool. It
	// sees:
	//   event   the payload, a map[string]any (JSON numbers are float64);
	//           event.status or event["status"]; use the bracket form for
	//           keys that are expr words or built-ins: event["type"]
	//   task    the triggering task (RuleTask, lowerCamel fields such as
	//           task.attributes.customer or task.state); a zero RuleTask
	//           (task.id == "") when the event has none
	//   now     the event's time (time.Time), from the router's Clock;
	//           expr's now() is disabled
	//   source, eventId, rule   the event source, the event ID, the rule's name
	// and the helper functions of internal/rules (equalsText, containsText,
	// containsAny, numberCompare, twCompare, ...).
	When string
	// Function is a rule function of Amazon Connect's Rules Function
	// language ({"Version":"2022-11-25","RuleFunction":{...}}), as
	// CreateRule takes and DescribeRule returns it. ComparisonValue paths
	// are read from the payload: $.ThirdParty.Zendesk.TicketCreate.Type is
	// event.ThirdParty.Zendesk.TicketCreate.Type.
	Function string
	// Twilio is a TaskRouter expression; task.x and unprefixed keys read
	// the payload (event.x), worker.x is refused.
	Twilio string
	// Actions run in order when the condition holds; at least one.
	Actions []RuleAction
}

// RuleAction is one action: exactly one field is set. Every string of an
// action is a template: text with {{ expr }} parts that see what the
// condition sees, compiled at load and rendered per event (strings as they
// are, nil as "", whole float64 numbers without a decimal point).
type RuleAction struct {
	CreateTask  *CreateTaskAction
	Notify      *NotifyAction
	UpdateTasks *UpdateTasksAction
	StopTasks   *StopTasksAction
	// EndAssociatedTasks is Connect's END_ASSOCIATED_TASKS.
	EndAssociatedTasks *EndAssociatedTasksAction
}

// CreateTaskAction creates a task with InitiationMethod RULE and CreatedBy
// "rule:<name>". The new task links to the triggering task, when there is
// one, through PreviousTaskID (Connect's PreviousContactId; chains hold at
// most MaxChainLength tasks, which also bounds rules feeding on their own
// tasks) and inherits its attributes, as Connect's task rules do (the
// action's own Attributes win). Its ClientToken is derived from the rule's name and the event's
// ID, so the same event never creates two tasks (within
// Config.ClientTokenTTL): a replayed event returns the first task.
type CreateTaskAction struct {
	Name        string // required, unless TemplateID is set (then the template's NAME field names the task)
	Description string
	QueueID     string // one of QueueID and AgentID (with a template: at most one; the template may choose)
	AgentID     string
	// TemplateID creates the task from a task template (Router.PutTaskTemplate);
	// TemplateValues, keyed by template field name, are templates like the
	// other strings and become TaskInput.TemplateValues.
	TemplateID     string
	TemplateValues map[string]string
	Priority       int // 0: the default
	// RoutingCriteria, when set, become the task's routing criteria, as a
	// flow's "Set routing criteria" block would set them (fixed per rule:
	// write one rule per set of criteria).
	RoutingCriteria *RoutingCriteria
	Attributes      map[string]string
	References      map[string]Reference // each Value a template
	Expiry          time.Duration        // 0: Config.DefaultTaskDuration
	// FlowID runs the task through a flow of the router's Config.Flows
	// first (TaskInput.FlowID); with it, QueueID and AgentID are optional.
	FlowID string
}

// NotifyAction calls RuleEngineOptions.Notify with the rendered payload.
type NotifyAction struct {
	Topic   string
	Payload map[string]string
}

// UpdateTasksAction merges Attributes into the tasks Tasks selects
// (Router.UpdateAttributes). Tasks is an expression returning a task ID or
// a list of them; empty selects the triggering task.
type UpdateTasksAction struct {
	Tasks      string
	Attributes map[string]string
}

// StopTasksAction stops the tasks Tasks selects (Router.Stop), as
// UpdateTasksAction selects them.
type StopTasksAction struct {
	Tasks string
}

// EndAssociatedTasksAction ends (Router.Stop: STOPPED, API_STOPPED) every
// open task associated with a case, as Connect's END_ASSOCIATED_TASKS
// action does when a case is updated — typically when its ticket is solved
// or closed, so the follow-ups nobody needs any more leave the queues and
// the agents' screens. A task is associated with a case when its attribute
// Attribute holds the case's key; the rules that create a case's tasks set
// it (Attributes: {"caseId": "{{ event.detail.ticket_event.ticket.id }}"}).
// Tasks that finish while the action runs are skipped; a Case that renders
// empty is the action's error, so no rule ever ends tasks that carry no case.
type EndAssociatedTasksAction struct {
	Case      string // template: the case's key; required
	Attribute string // the attribute holding it; "": DefaultCaseAttribute
}

// DefaultCaseAttribute is the attribute EndAssociatedTasksAction reads by
// default.
const DefaultCaseAttribute = "caseId"

// RuleTask is the triggering task as conditions and templates see it
// (task). Field names are those of the task's JSON form.
type RuleTask struct {
	ID               string            `expr:"id"`
	Name             string            `expr:"name"`
	Description      string            `expr:"description"`
	Channel          string            `expr:"channel"`
	State            string            `expr:"state"`
	QueueID          string            `expr:"queueId"`
	AgentID          string            `expr:"agentId"`
	Priority         int               `expr:"priority"`
	Attributes       map[string]string `expr:"attributes"`
	References       map[string]string `expr:"references"` // values only
	InitiationMethod string            `expr:"initiationMethod"`
	DisconnectReason string            `expr:"disconnectReason"`
	PreviousTaskID   string            `expr:"previousTaskId"`
	InitialTaskID    string            `expr:"initialTaskId"`
	TransferCount    int               `expr:"transferCount"`
	InitiatedAt      time.Time         `expr:"initiatedAt"`
	ExpiresAt        time.Time         `expr:"expiresAt"`
	EnqueuedAt       time.Time         `expr:"enqueuedAt"`
	ConnectedAt      time.Time         `expr:"connectedAt"`
	DisconnectedAt   time.Time         `expr:"disconnectedAt"`
}

func ruleTaskOf(t *Task) *RuleTask {
	if t == nil {
		return &noTask
	}
	v := &RuleTask{
		ID: t.ID, Name: t.Name, Description: t.Description, Channel: string(t.Channel), State: string(t.State),
		QueueID: t.QueueID, AgentID: t.AgentID, Priority: t.Priority, Attributes: t.Attributes,
		InitiationMethod: string(t.InitiationMethod), DisconnectReason: string(t.DisconnectReason),
		PreviousTaskID: t.PreviousTaskID, InitialTaskID: t.InitialTaskID, TransferCount: t.TransferCount,
		InitiatedAt: t.InitiatedAt, ExpiresAt: t.ExpiresAt, EnqueuedAt: t.EnqueuedAt,
		ConnectedAt: t.ConnectedAt, DisconnectedAt: t.DisconnectedAt,
	}
	if len(t.References) > 0 {
		v.References = make(map[string]string, len(t.References))
		for k, r := range t.References {
			v.References[k] = r.Value
		}
	}
	return v
}

var noTask RuleTask

// ruleEnv is the environment of every expression.
type ruleEnv struct {
	Event   map[string]any `expr:"event"`
	Task    *RuleTask      `expr:"task"`
	Now     time.Time      `expr:"now"`
	Source  string         `expr:"source"`
	EventID string         `expr:"eventId"`
	Rule    string         `expr:"rule"`
}

// ExprError reports a rule that does not compile: a condition, rule
// function, Twilio expression or template with a syntax or type error, or
// a condition that does not return bool. Line and Column (in runes) count
// from 1 in the text the user wrote (the JSON document for Function, the
// TaskRouter text for Twilio, the template for an action's string); Snippet
// is that line and a caret under the column. It matches ErrValidation.
type ExprError struct {
	Rule    string // the rule's name
	Field   string // "When", "Function", "Twilio", "Actions[0].CreateTask.Name", ...
	Line    int
	Column  int
	Message string
	Snippet string
}

func (e *ExprError) Error() string {
	return fmt.Sprintf("switchboard: rule %q: %s %d:%d: %s\n%s", shorten(e.Rule), e.Field, e.Line, e.Column, e.Message, e.Snippet)
}

// Is makes errors.Is(err, ErrValidation) true.
func (e *ExprError) Is(target error) bool { return target == ErrValidation }

func exprError(rule, field string, err error) error {
	var re *rules.Error
	if errors.As(err, &re) {
		return &ExprError{Rule: rule, Field: field, Line: re.Line, Column: re.Column, Message: re.Message, Snippet: re.Snippet}
	}
	return &ExprError{Rule: rule, Field: field, Line: 1, Column: 1, Message: err.Error()}
}

// RuleError reports a rule that failed on one event: its condition failed
// at run time (Action -1, Op "condition"), the triggering task could not be
// read (Op "task"), or an action failed (Op "CreateTask", "Notify",
// "UpdateTasks", "StopTasks"). It unwraps to the cause, so
// errors.Is(err, ErrQueueDisabled) and the like work.
type RuleError struct {
	Rule    string
	Source  string
	EventID string
	TaskID  string // the triggering task, if any
	Action  int    // index in Rule.Actions; -1 for the condition
	Op      string
	Err     error
}

func (e *RuleError) Error() string {
	where := e.Op
	if e.Action >= 0 {
		where = fmt.Sprintf("Actions[%d].%s", e.Action, e.Op)
	}
	return fmt.Sprintf("switchboard: rule %q on %s event %q: %s: %v", e.Rule, e.Source, shorten(e.EventID), where, e.Err)
}

// Unwrap returns the cause.
func (e *RuleError) Unwrap() error { return e.Err }

// RuleEvent is an event submitted to Evaluate.
type RuleEvent struct {
	Source string // required: the rules with this On run
	// ID identifies the event at its origin (a webhook's event ID, a CDC
	// replayId). Required: tasks created for it are idempotent on it.
	ID string
	// TaskID names the task the event is about, if any: conditions see it
	// as task, created tasks link to it, and actions without a selector
	// update or stop it.
	TaskID string
	// Payload is the event's data; or JSON, decoded into a map (numbers
	// become float64). Neither: an empty payload.
	Payload map[string]any
	JSON    json.RawMessage
	// Time is the event's time (now); zero: RuleEngineOptions.Clock's Now.
	Time time.Time
}

// RuleEventOf returns the rule event of a router event, as the engine
// evaluates it when it consumes e, and false for event types rules do not
// react to. A host that saw a RuleError for a router event may evaluate it
// again with it: created tasks are idempotent on the event's ID
// ("switchboard-seq-<Seq>").
func RuleEventOf(e Event) (RuleEvent, bool) {
	src, ok := RuleSourceOf(e.Type)
	if !ok {
		return RuleEvent{}, false
	}
	return RuleEvent{
		Source: src,
		ID:     "switchboard-seq-" + strconv.FormatUint(e.Seq, 10),
		TaskID: e.TaskID,
		Payload: map[string]any{
			"type": string(e.Type), "seq": float64(e.Seq), "taskId": e.TaskID, "agentId": e.AgentID,
			"queueId": e.QueueID, "channel": string(e.Channel), "state": string(e.State),
			"previousState": string(e.PreviousState), "priority": float64(e.Priority),
			"initiationMethod": string(e.InitiationMethod), "relatedTaskId": e.RelatedTaskID,
		},
		Time: e.Time,
	}, true
}

// RuleNotification is what a NotifyAction hands to RuleEngineOptions.Notify.
type RuleNotification struct {
	Rule    string
	Source  string
	EventID string
	TaskID  string // the triggering task, if any
	Topic   string
	Payload map[string]string
	Time    time.Time
}

// RuleEngineOptions configures a RuleEngine. A nil *RuleEngineOptions
// means the defaults.
type RuleEngineOptions struct {
	// Clock gives the time of host events submitted without one. Set it to
	// the router's Config.Clock; router events carry the router's time.
	// Defaults to SystemClock().
	Clock Clock
	// Logger receives one Error line per RuleError (set it to the router's
	// Config.Logger). nil discards them.
	Logger *slog.Logger
	// OnError, when set, receives every RuleError too, on the goroutine
	// that evaluated the event; it must not block for long.
	OnError func(*RuleError)
	// Notify receives NotifyAction's notifications. Required when a rule
	// has a NotifyAction; an error it returns is the action's error.
	Notify func(ctx context.Context, n RuleNotification) error
	// Timeout bounds the actions of one router event (Consume has no
	// caller's ctx). Defaults to StoreTimeoutDefault.
	Timeout time.Duration
}

// RuleResult says what Evaluate did.
type RuleResult struct {
	Matched []string      // rules whose condition held, in load order
	Created []RuleCreated // tasks created (or found again by ClientToken)
	Ended   []RuleEnded   // tasks EndAssociatedTasks ended (or found finished meanwhile)
}

// RuleEnded is a task EndAssociatedTasksAction ended.
type RuleEnded struct {
	Rule   string
	TaskID string
}

// RuleCreated is a task a rule created.
type RuleCreated struct {
	Rule string
	Task *Task
}

// RuleEngine evaluates rules. Build it with NewRuleEngine, put it in
// Config.Consumers so that rules on router events run, and Bind it to the
// router NewRouter returns:
//
//	eng, err := switchboard.NewRuleEngine(rules, &switchboard.RuleEngineOptions{Clock: clock})
//	r, err := switchboard.NewRouter(ctx, store, &switchboard.Config{Clock: clock, Consumers: []switchboard.Consumer{eng}})
//	err = eng.Bind(r)
//
// Router events delivered before Bind wait for it (Consume blocks on the
// consumer's own goroutine; Router.Close waits for them until its ctx
// ends), so none is lost. Rules run outside the router's lock, on the
// consumer's goroutine or the caller of Evaluate, and act only through the
// Router's public methods. A RuleEngine is safe for concurrent use; its
// rules are fixed once built.
type RuleEngine struct {
	bySource map[string]*sourceRules
	opts     RuleEngineOptions
	logger   *slog.Logger
	router   atomic.Pointer[Router]
	bound    chan struct{}
	bindOnce sync.Once
	runs     sync.Pool
}

type sourceRules struct {
	rules []*compiledRule
	index rules.Index
}

type compiledRule struct {
	name    string
	cond    *rules.Condition // nil: always
	actions []compiledAction
}

type compiledAction struct {
	op string
	// CreateTask
	create   *CreateTaskAction
	name     *rules.Template
	desc     *rules.Template
	queue    *rules.Template
	agent    *rules.Template
	attrs    map[string]*rules.Template
	refs     map[string]*rules.Template
	tvals    map[string]*rules.Template // template values
	topic    *rules.Template
	selector *vm.Program // nil: the triggering task
	// EndAssociatedTasks
	caseKey  *rules.Template
	caseAttr string
}

type ruleRun struct {
	vm      vm.VM
	env     ruleEnv
	cands   []int
	scratch rules.Scratch // payload paths of the event, for native conditions
}

var ruleNameRE = regexp.MustCompile(`^[0-9a-zA-Z._-]+$`)

// NewRuleEngine compiles rules. A rule that does not compile returns an
// *ExprError; a rule that breaks a limit (name, source, conditions, rules
// per source, actions) a *ValidationError whose Field starts with
// Rules[<name>] (Rules[<index>] when the name itself is bad). Both match
// ErrValidation.
func NewRuleEngine(rs []Rule, opts *RuleEngineOptions) (*RuleEngine, error) {
	e := &RuleEngine{bySource: map[string]*sourceRules{}, bound: make(chan struct{})}
	if opts != nil {
		e.opts = *opts
	}
	if e.opts.Clock == nil {
		e.opts.Clock = SystemClock()
	}
	if e.opts.Timeout <= 0 {
		e.opts.Timeout = StoreTimeoutDefault
	}
	e.logger = e.opts.Logger
	if e.logger == nil {
		e.logger = slog.New(slog.DiscardHandler)
	}
	e.runs.New = func() any { return new(ruleRun) }
	comp := rules.NewCompiler(&ruleEnv{})
	names := map[string]bool{}
	for i := range rs {
		cr, err := e.compile(comp, i, &rs[i])
		if err != nil {
			return nil, err
		}
		if names[cr.name] {
			return nil, invalid(fmt.Sprintf("Rules[%d].Name", i), cr.name, "names must be unique")
		}
		names[cr.name] = true
		sr := e.bySource[rs[i].On]
		if sr == nil {
			sr = &sourceRules{}
			e.bySource[rs[i].On] = sr
		}
		if len(sr.rules) == MaxRulesPerSource {
			return nil, invalid(fmt.Sprintf("Rules[%s].On", cr.name), rs[i].On, fmt.Sprintf("at most %d rules per event source", MaxRulesPerSource))
		}
		sr.index.Add(len(sr.rules), cr.cond)
		sr.rules = append(sr.rules, cr)
	}
	return e, nil
}

func (e *RuleEngine) compile(comp *rules.Compiler, i int, r *Rule) (*compiledRule, error) {
	switch {
	case r.Name == "":
		return nil, invalid(fmt.Sprintf("Rules[%d].Name", i), "", "required")
	case len(r.Name) > MaxRuleNameLen:
		return nil, invalid(fmt.Sprintf("Rules[%d].Name", i), r.Name, fmt.Sprintf("at most %d characters", MaxRuleNameLen))
	case !ruleNameRE.MatchString(r.Name):
		return nil, invalid(fmt.Sprintf("Rules[%d].Name", i), r.Name, "only letters, digits, '.', '_' and '-'")
	}
	field := func(f string) string { return "Rules[" + r.Name + "]." + f }
	switch {
	case r.On == "":
		return nil, invalid(field("On"), "", "required")
	case len(r.On) > MaxRuleSourceLen:
		return nil, invalid(field("On"), r.On, fmt.Sprintf("at most %d characters", MaxRuleSourceLen))
	case len(r.Actions) == 0:
		return nil, invalid(field("Actions"), "", "at least one action")
	}
	cr := &compiledRule{name: r.Name}
	set := 0
	for _, s := range []string{r.When, r.Function, r.Twilio} {
		if s != "" {
			set++
		}
	}
	if set > 1 {
		return nil, invalid(field("When"), "", "set at most one of When, Function and Twilio")
	}
	var src, which string
	count := 0
	switch {
	case r.When != "":
		src, which = r.When, "When"
	case r.Function != "":
		s, n, err := rules.ConnectFunction(r.Function)
		if err != nil {
			return nil, exprError(r.Name, "Function", err)
		}
		src, which, count = s, "Function", n
	case r.Twilio != "":
		s, n, err := rules.Twilio(r.Twilio, rules.TwilioOptions{Task: "event"})
		if err != nil {
			return nil, exprError(r.Name, "Twilio", err)
		}
		src, which, count = s, "Twilio", n
	}
	if src != "" {
		cond, err := comp.Condition(src)
		if err != nil {
			if which != "When" {
				// The translation is ours: point at the start of the original.
				var re *rules.Error
				if errors.As(err, &re) {
					orig := r.Function + r.Twilio
					err = rules.NewError(orig, 0, re.Message)
				}
			}
			return nil, exprError(r.Name, which, err)
		}
		if which == "When" {
			count = cond.Count
		}
		if count > MaxRuleConditions {
			return nil, invalid(field(which), "", fmt.Sprintf("at most %d conditions, got %d", MaxRuleConditions, count))
		}
		cr.cond = cond
	}
	for j := range r.Actions {
		a, err := e.compileAction(comp, r.Name, j, &r.Actions[j])
		if err != nil {
			return nil, err
		}
		cr.actions = append(cr.actions, a)
	}
	return cr, nil
}

func (e *RuleEngine) compileAction(comp *rules.Compiler, rule string, j int, a *RuleAction) (compiledAction, error) {
	prefix := fmt.Sprintf("Actions[%d]", j)
	vfield := "Rules[" + rule + "]." + prefix
	n := 0
	for _, set := range []bool{a.CreateTask != nil, a.Notify != nil, a.UpdateTasks != nil, a.StopTasks != nil, a.EndAssociatedTasks != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return compiledAction{}, invalid(vfield, "", "set exactly one of CreateTask, Notify, UpdateTasks, StopTasks and EndAssociatedTasks")
	}
	tmpl := func(f, s string) (*rules.Template, error) {
		t, err := comp.Template(s)
		if err != nil {
			return nil, exprError(rule, prefix+"."+f, err)
		}
		return t, nil
	}
	tmplMap := func(f string, m map[string]string) (map[string]*rules.Template, error) {
		out := make(map[string]*rules.Template, len(m))
		for k, s := range m {
			t, err := tmpl(f+"["+k+"]", s)
			if err != nil {
				return nil, err
			}
			out[k] = t
		}
		return out, nil
	}
	selector := func(f, s string) (*vm.Program, error) {
		if s == "" {
			return nil, nil
		}
		p, err := comp.Value(s)
		if err != nil {
			return nil, exprError(rule, prefix+"."+f, err)
		}
		return p, nil
	}
	var c compiledAction
	var err error
	switch {
	case a.CreateTask != nil:
		ct := a.CreateTask
		c.op, c.create = "CreateTask", ct
		switch {
		case ct.TemplateID == "" && ct.Name == "":
			return c, invalid(vfield+".CreateTask.Name", "", "required")
		case ct.TemplateID != "" && ct.Name != "":
			return c, invalid(vfield+".CreateTask.Name", ct.Name, "with a TemplateID, give the name through the template's NAME field in TemplateValues")
		case ct.TemplateID == "" && len(ct.TemplateValues) > 0:
			return c, invalid(vfield+".CreateTask.TemplateValues", "", "needs a TemplateID")
		case ct.TemplateID == "" && ct.FlowID == "" && (ct.QueueID == "") == (ct.AgentID == ""):
			return c, invalid(vfield+".CreateTask.QueueID", "", "set exactly one of QueueID and AgentID")
		case ct.QueueID != "" && ct.AgentID != "":
			return c, invalid(vfield+".CreateTask.QueueID", "", "set at most one of QueueID and AgentID")
		case ct.Priority < 0:
			return c, invalid(vfield+".CreateTask.Priority", strconv.Itoa(ct.Priority), "must be positive")
		case len(ct.References) > MaxReferences:
			return c, invalid(vfield+".CreateTask.References", "", fmt.Sprintf("at most %d references", MaxReferences))
		case ct.Expiry < 0 || ct.Expiry > MaxTaskDuration:
			return c, invalid(vfield+".CreateTask.Expiry", ct.Expiry.String(), "within 0..90 days")
		}
		if ct.RoutingCriteria != nil {
			if err := ct.RoutingCriteria.validate(vfield + ".CreateTask.RoutingCriteria"); err != nil {
				return c, err
			}
		}
		if c.name, err = tmpl("CreateTask.Name", ct.Name); err != nil {
			return c, err
		}
		if c.desc, err = tmpl("CreateTask.Description", ct.Description); err != nil {
			return c, err
		}
		if c.queue, err = tmpl("CreateTask.QueueID", ct.QueueID); err != nil {
			return c, err
		}
		if c.agent, err = tmpl("CreateTask.AgentID", ct.AgentID); err != nil {
			return c, err
		}
		if c.attrs, err = tmplMap("CreateTask.Attributes", ct.Attributes); err != nil {
			return c, err
		}
		if c.tvals, err = tmplMap("CreateTask.TemplateValues", ct.TemplateValues); err != nil {
			return c, err
		}
		refs := make(map[string]string, len(ct.References))
		for k, ref := range ct.References {
			refs[k] = ref.Value
		}
		if c.refs, err = tmplMap("CreateTask.References", refs); err != nil {
			return c, err
		}
	case a.Notify != nil:
		c.op = "Notify"
		if e.opts.Notify == nil {
			return c, invalid(vfield+".Notify", "", "needs RuleEngineOptions.Notify")
		}
		if c.topic, err = tmpl("Notify.Topic", a.Notify.Topic); err != nil {
			return c, err
		}
		if c.attrs, err = tmplMap("Notify.Payload", a.Notify.Payload); err != nil {
			return c, err
		}
	case a.UpdateTasks != nil:
		c.op = "UpdateTasks"
		if len(a.UpdateTasks.Attributes) == 0 {
			return c, invalid(vfield+".UpdateTasks.Attributes", "", "at least one attribute")
		}
		if c.selector, err = selector("UpdateTasks.Tasks", a.UpdateTasks.Tasks); err != nil {
			return c, err
		}
		if c.attrs, err = tmplMap("UpdateTasks.Attributes", a.UpdateTasks.Attributes); err != nil {
			return c, err
		}
	case a.StopTasks != nil:
		c.op = "StopTasks"
		if c.selector, err = selector("StopTasks.Tasks", a.StopTasks.Tasks); err != nil {
			return c, err
		}
	case a.EndAssociatedTasks != nil:
		c.op = "EndAssociatedTasks"
		ea := a.EndAssociatedTasks
		if ea.Case == "" {
			return c, invalid(vfield+".EndAssociatedTasks.Case", "", "required: a template giving the case's key")
		}
		c.caseAttr = ea.Attribute
		if c.caseAttr == "" {
			c.caseAttr = DefaultCaseAttribute
		}
		if err := validateAttributes(vfield+".EndAssociatedTasks.Attribute", map[string]string{c.caseAttr: ""}); err != nil {
			return c, err
		}
		if c.caseKey, err = tmpl("EndAssociatedTasks.Case", ea.Case); err != nil {
			return c, err
		}
	}
	return c, nil
}

// Bind attaches the engine to the router its actions use. Call it once,
// right after NewRouter; binding again to another router is an error.
func (e *RuleEngine) Bind(r *Router) error {
	if r == nil {
		return invalid("Bind", "", "router must not be nil")
	}
	if !e.router.CompareAndSwap(nil, r) && e.router.Load() != r {
		return invalid("Bind", "", "the engine is bound to another router")
	}
	e.bindOnce.Do(func() { close(e.bound) })
	return nil
}

// Consume evaluates a router event (see RuleSourceOf) for the rules of its
// source, waiting for Bind first. Failures are logged and passed to
// OnError as *RuleError; see Evaluate.
func (e *RuleEngine) Consume(ev Event) {
	src, ok := RuleSourceOf(ev.Type)
	if !ok || e.bySource[src] == nil {
		return
	}
	<-e.bound
	re, _ := RuleEventOf(ev)
	ctx, cancel := context.WithTimeout(context.Background(), e.opts.Timeout)
	defer cancel()
	_, _ = e.Evaluate(ctx, re)
}

// Evaluate runs the rules of ev.Source whose condition holds, in load
// order, each rule's actions in order. Only the rules of ev.Source are
// looked at, and of those only the ones whose equalities (event.x == "v")
// the payload can satisfy.
//
// An invalid event (no Source, no ID, JSON that is not an object) returns
// a *ValidationError and runs nothing. Otherwise every failure is a
// *RuleError: a condition that fails at run time counts as false; an
// action that fails skips the rest of its rule's actions; other rules still
// run. Each RuleError is logged (RuleEngineOptions.Logger), passed to
// OnError and returned, joined (errors.Join), with the result of what did
// run, so no event is lost silently: evaluating the same event again is
// safe, as created tasks are idempotent on (rule, event ID).
func (e *RuleEngine) Evaluate(ctx context.Context, ev RuleEvent) (RuleResult, error) {
	var res RuleResult
	switch {
	case ev.Source == "":
		return res, invalid("RuleEvent.Source", "", "required")
	case ev.ID == "":
		return res, invalid("RuleEvent.ID", "", "required")
	}
	sr := e.bySource[ev.Source]
	if sr == nil {
		return res, nil
	}
	payload := ev.Payload
	if payload == nil && len(ev.JSON) > 0 {
		decoded, err := decodePayload(ev.JSON)
		if err != nil {
			return res, invalid("RuleEvent.JSON", "", "a JSON object: "+err.Error())
		}
		payload = decoded
	}
	if payload == nil {
		payload = map[string]any{}
	}
	at := ev.Time
	if at.IsZero() {
		at = e.opts.Clock.Now()
	}
	run := e.runs.Get().(*ruleRun)
	defer func() {
		run.env = ruleEnv{}
		run.scratch.Reset(nil)
		e.runs.Put(run)
	}()
	run.env = ruleEnv{Event: payload, Task: &noTask, Now: at, Source: ev.Source, EventID: ev.ID}
	run.scratch.Reset(payload)
	var errs []error
	fail := func(rule string, action int, op string, err error) {
		re := &RuleError{Rule: rule, Source: ev.Source, EventID: ev.ID, TaskID: ev.TaskID, Action: action, Op: op, Err: err}
		e.logger.Error("switchboard: rule failed", "rule", rule, "source", ev.Source, "event", ev.ID, "task", ev.TaskID, "op", op, "action", action, "err", err.Error())
		if e.opts.OnError != nil {
			e.opts.OnError(re)
		}
		errs = append(errs, re)
	}
	var taskRead bool
	var taskErr error
	run.cands = sr.index.Candidates(payload, run.cands[:0])
	for _, i := range run.cands {
		cr := sr.rules[i]
		run.env.Rule = cr.name
		if cr.cond != nil {
			if ev.TaskID != "" && !taskRead && !cr.cond.Native {
				taskRead = true
				run.env.Task, taskErr = e.readTask(ctx, ev.TaskID)
			}
			if taskErr != nil {
				fail(cr.name, -1, "task", taskErr)
				continue
			}
			ok, decided := false, false
			if cr.cond.Native {
				ok, decided = cr.cond.Decide(&run.scratch)
			}
			if !decided {
				var err error
				if ok, err = cr.cond.Run(&run.vm, &run.env); err != nil {
					fail(cr.name, -1, "condition", err)
					continue
				}
			}
			if !ok {
				continue
			}
		}
		res.Matched = append(res.Matched, cr.name)
		if ev.TaskID != "" && !taskRead {
			taskRead = true
			run.env.Task, taskErr = e.readTask(ctx, ev.TaskID)
		}
		if taskErr != nil {
			fail(cr.name, -1, "task", taskErr)
			continue
		}
		for j := range cr.actions {
			if err := e.act(ctx, run, &ev, cr, &cr.actions[j], &res); err != nil {
				fail(cr.name, j, cr.actions[j].op, err)
				break
			}
		}
	}
	return res, errors.Join(errs...)
}

var errNotBound = errors.New("switchboard: rule engine not bound to a router (RuleEngine.Bind)")

func (e *RuleEngine) readTask(ctx context.Context, id string) (*RuleTask, error) {
	r := e.router.Load()
	if r == nil {
		return &noTask, errNotBound
	}
	t, err := r.Task(ctx, id)
	if err != nil {
		return &noTask, err
	}
	return ruleTaskOf(t), nil
}

func renderMap(m map[string]*rules.Template, run *ruleRun) (map[string]string, error) {
	if len(m) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(m))
	for k, t := range m {
		s, err := t.Render(&run.vm, &run.env)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = s
	}
	return out, nil
}

func (e *RuleEngine) act(ctx context.Context, run *ruleRun, ev *RuleEvent, cr *compiledRule, a *compiledAction, res *RuleResult) error {
	if a.op == "Notify" {
		topic, err := a.topic.Render(&run.vm, &run.env)
		if err != nil {
			return err
		}
		payload, err := renderMap(a.attrs, run)
		if err != nil {
			return err
		}
		return e.opts.Notify(ctx, RuleNotification{Rule: cr.name, Source: ev.Source, EventID: ev.ID, TaskID: ev.TaskID, Topic: topic, Payload: payload, Time: run.env.Now})
	}
	r := e.router.Load()
	if r == nil {
		return errNotBound
	}
	switch a.op {
	case "CreateTask":
		in := TaskInput{
			Priority: a.create.Priority, Expiry: a.create.Expiry, PreviousTaskID: ev.TaskID, TemplateID: a.create.TemplateID, FlowID: a.create.FlowID,
			RoutingCriteria:  a.create.RoutingCriteria,
			InitiationMethod: InitiatedByRule, CreatedBy: "rule:" + cr.name, ClientToken: ruleClientToken(cr.name, ev.ID),
		}
		var err error
		for _, f := range []struct {
			t   *rules.Template
			dst *string
		}{{a.name, &in.Name}, {a.desc, &in.Description}, {a.queue, &in.QueueID}, {a.agent, &in.AgentID}} {
			if *f.dst, err = f.t.Render(&run.vm, &run.env); err != nil {
				return err
			}
		}
		if in.Attributes, err = renderMap(a.attrs, run); err != nil {
			return err
		}
		if in.TemplateValues, err = renderMap(a.tvals, run); err != nil {
			return err
		}
		if inherited := run.env.Task.Attributes; len(inherited) > 0 {
			merged := maps.Clone(inherited)
			maps.Copy(merged, in.Attributes)
			in.Attributes = merged
		}
		vals, err := renderMap(a.refs, run)
		if err != nil {
			return err
		}
		if len(vals) > 0 {
			in.References = make(map[string]Reference, len(vals))
			for k, v := range vals {
				in.References[k] = Reference{Type: a.create.References[k].Type, Value: v}
			}
		}
		t, err := r.CreateTask(ctx, in)
		if err != nil {
			return err
		}
		res.Created = append(res.Created, RuleCreated{Rule: cr.name, Task: t})
		return nil
	case "EndAssociatedTasks":
		key, err := a.caseKey.Render(&run.vm, &run.env)
		if err != nil {
			return err
		}
		if key == "" {
			return errors.New("EndAssociatedTasks.Case rendered empty: the event names no case")
		}
		var ids []string
		for t, err := range r.Tasks(TaskQuery{Attributes: map[string]string{a.caseAttr: key}}) {
			if err != nil {
				return err
			}
			ids = append(ids, t.ID)
		}
		for _, id := range ids {
			if err := r.Stop(ctx, id); err != nil && !errors.Is(err, ErrInvalidState) && !errors.Is(err, ErrNotFound) {
				return fmt.Errorf("task %q: %w", shorten(id), err)
			}
			res.Ended = append(res.Ended, RuleEnded{Rule: cr.name, TaskID: id})
		}
	case "UpdateTasks", "StopTasks":
		ids, err := e.selected(run, ev, a)
		if err != nil {
			return err
		}
		var attrs map[string]string
		if a.op == "UpdateTasks" {
			if attrs, err = renderMap(a.attrs, run); err != nil {
				return err
			}
		}
		for _, id := range ids {
			if a.op == "UpdateTasks" {
				err = r.UpdateAttributes(ctx, id, attrs)
			} else {
				err = r.Stop(ctx, id)
			}
			if err != nil {
				return fmt.Errorf("task %q: %w", shorten(id), err)
			}
		}
	}
	return nil
}

// selected evaluates an action's selector: a task ID or a list of them.
func (e *RuleEngine) selected(run *ruleRun, ev *RuleEvent, a *compiledAction) ([]string, error) {
	if a.selector == nil {
		if ev.TaskID == "" {
			return nil, errors.New("the event has no task; set Tasks")
		}
		return []string{ev.TaskID}, nil
	}
	v, err := run.vm.Run(a.selector, &run.env)
	if err != nil {
		return nil, err
	}
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		if v == "" {
			return nil, nil
		}
		return []string{v}, nil
	case []string:
		return v, nil
	case []any:
		ids := make([]string, 0, len(v))
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("Tasks returned a list holding %T, want task IDs", x)
			}
			if s != "" {
				ids = append(ids, s)
			}
		}
		return ids, nil
	}
	return nil, fmt.Errorf("Tasks returned %T, want a task ID or a list of them", v)
}

// ruleClientToken is the ClientToken of the task a rule creates for an
// event: readable when short, a hash when the parts are long.
func ruleClientToken(rule, eventID string) string {
	t := "rule:" + rule + ":" + eventID
	if len(t) <= 256 {
		return t
	}
	sum := sha256.Sum256([]byte(eventID))
	return "rule:" + rule + ":sha256:" + hex.EncodeToString(sum[:])
}

// decodePayload decodes a JSON payload; apart from Evaluate, so that
// Evaluate's own payload variable does not escape to the heap.
func decodePayload(b []byte) (map[string]any, error) {
	var m map[string]any
	err := json.Unmarshal(b, &m)
	return m, err
}
