package sim

import (
	_ "embed"
	"fmt"
	"time"

	"github.com/switchboard-go/switchboard"
)

// DayOptions size the contact-center day.
type DayOptions struct {
	Start    time.Time     // midnight of the day; a Monday in 2026 (UTC) when zero
	Agents   int           // 50 when 0
	Rate     float64       // tickets per hour, averaged over 24 hours; 200 when 0
	Duration time.Duration // tickets arrive for this long from Start; 24 h when 0
}

// The day's queues, in report order.
const (
	QueueBilling   = "billing"
	QueueTechnical = "technical"
	QueueGeneral   = "general"
)

// Zendesk group IDs of the queues: a ticket's group decides its queue.
var groupOf = map[string]string{
	QueueBilling:   "360011000001",
	QueueTechnical: "360011000002",
	QueueGeneral:   "360011000003",
}

// ArrivalCurve is the day's shape: relative ticket arrivals per hour of the
// day, quiet at night with a morning and an afternoon peak.
var ArrivalCurve = [24]float64{
	0.15, 0.10, 0.08, 0.08, 0.10, 0.20, 0.50, 1.00, 1.60, 2.00, 2.20, 2.10,
	1.70, 1.90, 2.00, 1.80, 1.50, 1.10, 0.80, 0.60, 0.45, 0.35, 0.25, 0.20,
}

// Statuses of breaks.
const (
	StatusBreak switchboard.AgentStatus = "Break"
	StatusLunch switchboard.AgentStatus = "Lunch"
)

// Shift starts, and which one each agent works, by agent number modulo
// 20: 4 agents in 20 start at 06:00, 6 at 08:00, 5 at 10:00, 3 at 13:30
// and 2 at 22:00, each shift with agents of both profiles.
var (
	shiftStarts = []time.Duration{6 * time.Hour, 8 * time.Hour, 10 * time.Hour, 13*time.Hour + 30*time.Minute, 22 * time.Hour}
	shiftOf     = [20]int{4, 0, 0, 4, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3}
)

const shiftLength = 8*time.Hour + 30*time.Minute

// Day is a contact-center day on switchboard:
//
//   - tickets arrive as Zendesk ticket.created webhook events (the
//     webhook's own JSON shape) following ArrivalCurve, a Poisson process
//     averaging o.Rate an hour;
//   - three rules (one per ticket priority class) turn every ticket into a
//     task in the ticket-intake flow (Connect's exported flow JSON), with
//     an expiry (how long a customer's ticket may wait: urgent 1, high 2,
//     normal and low 4 hours) and, as its working queue, the queue its
//     Zendesk group names (billing, technical, general);
//   - the flow sets the routing priority (urgent 1, high 2, normal and low
//     5: Connect's "Change routing priority" block) and, for tickets tagged
//     "french", routing criteria asking for a French speaker (level 3 or
//     more) for the first 2 minutes, then anyone ("Set routing criteria"),
//     and transfers the task to its working queue;
//   - two routing profiles: generalists (billing and general, two tasks at
//     once) and technical (technical first, then billing, two at once);
//   - o.Agents agents, three in five generalists, one in five speaking
//     French, on five shifts of 8½ hours (06:00, 08:00, 10:00, 13:30 and
//     a night shift at 22:00, whose agents also work from midnight to 06:30:
//     4, 6, 5, 3 and 2 agents in 20) with
//     a 15-minute break after 2 hours, a 30-minute lunch after 4 and
//     another break after 6½, staggered by 10 minutes between agents;
//   - handle times log-normal (billing 6 min, technical 8 min, general 4
//     min on average) and after-contact work log-normal (45 s; technical 90 s).
func Day(o DayOptions) *Scenario {
	if o.Start.IsZero() {
		o.Start = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	}
	if o.Agents == 0 {
		o.Agents = 50
	}
	if o.Rate == 0 {
		o.Rate = 200
	}
	if o.Duration == 0 {
		o.Duration = 24 * time.Hour
	}
	rate, top := Curve(o.Rate, ArrivalCurve)
	sc := &Scenario{
		Start: o.Start, Duration: o.Duration, Rate: rate, MaxRate: top,
		Queues: []switchboard.Queue{
			{ID: QueueBilling, Name: "Billing"},
			{ID: QueueTechnical, Name: "Technical support"},
			{ID: QueueGeneral, Name: "General questions"},
		},
		Profiles: []switchboard.RoutingProfile{
			{ID: "generalists", Name: "Generalists",
				Concurrency: []switchboard.MediaConcurrency{{Channel: switchboard.ChannelTask, Concurrency: 2}},
				Queues:      []switchboard.QueueConfig{{QueueID: QueueBilling, Priority: 1}, {QueueID: QueueGeneral, Priority: 1}}},
			{ID: "technical", Name: "Technical",
				Concurrency: []switchboard.MediaConcurrency{{Channel: switchboard.ChannelTask, Concurrency: 2}},
				Queues:      []switchboard.QueueConfig{{QueueID: QueueTechnical, Priority: 1}, {QueueID: QueueBilling, Priority: 2}}},
		},
		Statuses: []switchboard.AgentStatusDefinition{
			{Name: StatusBreak, Type: switchboard.StatusTypeCustom},
			{Name: StatusLunch, Type: switchboard.StatusTypeCustom},
		},
		Rules:  dayRules(),
		Flows:  dayFlows(),
		Ticket: zendeskTicket,
		Handle: map[string]Dist{
			QueueBilling:   LogNormal(6*time.Minute, 0.6),
			QueueTechnical: LogNormal(8*time.Minute, 0.7),
			QueueGeneral:   LogNormal(4*time.Minute, 0.5),
		},
		ACW: map[string]Dist{
			QueueBilling:   LogNormal(45*time.Second, 0.5),
			QueueTechnical: LogNormal(90*time.Second, 0.5),
			QueueGeneral:   LogNormal(45*time.Second, 0.5),
		},
	}
	for i := range o.Agents {
		a := Agent{Agent: switchboard.Agent{
			ID: fmt.Sprintf("agent-%03d", i+1), Name: fmt.Sprintf("Agent %d", i+1), RoutingProfileID: "generalists",
			AutoAccept: []switchboard.Channel{switchboard.ChannelTask},
		}}
		if i%5 >= 3 {
			a.RoutingProfileID = "technical"
		}
		if i%5 == 1 {
			a.Proficiencies = []switchboard.Proficiency{{Name: "Language", Value: "French", Level: 4}}
		}
		start := shiftStarts[shiftOf[i%20]]
		stagger := time.Duration(i%4) * 10 * time.Minute
		if start+shiftLength > 24*time.Hour {
			// The night shift: the end of last night's, then tonight's.
			a.Shifts = append(a.Shifts, Shift{Start: 0, End: start + shiftLength - 24*time.Hour})
		}
		a.Shifts = append(a.Shifts, Shift{Start: start, End: start + shiftLength, Breaks: []Break{
			{Start: 2*time.Hour + stagger, Length: 15 * time.Minute, Status: StatusBreak},
			{Start: 4*time.Hour + stagger, Length: 30 * time.Minute, Status: StatusLunch},
			{Start: 6*time.Hour + 30*time.Minute + stagger, Length: 15 * time.Minute, Status: StatusBreak},
		}})
		sc.Agents = append(sc.Agents, a)
	}
	return sc
}

// ticketIntake is the flow every ticket's task starts in, as exported from
// Connect's flow designer: it sets the routing priority from the ticket's
// (urgent 1, high 2, otherwise the default 5), asks for a French speaker
// (level 3 or more) for the first 2 minutes of a French ticket, and
// transfers the task to the working queue the rule gave it.
//
//go:embed ticket-intake.json
var ticketIntake []byte

// dayFlows loads the day's flows.
func dayFlows() map[string]*switchboard.Flow {
	f, warnings, err := switchboard.LoadFlow(ticketIntake, switchboard.FlowOptions{})
	if err != nil || len(warnings) > 0 {
		panic(fmt.Sprintf("sim: ticket-intake.json: %v %v", err, warnings)) // embedded: the tests load it
	}
	return map[string]*switchboard.Flow{"ticket-intake": f}
}

// dayRules are the rules that turn tickets into tasks: one per priority
// class, their conditions exclusive, so every ticket creates exactly one
// task, which starts in the ticket-intake flow with the queue its Zendesk
// group names as its working queue.
func dayRules() []switchboard.Rule {
	queue := fmt.Sprintf(`{{ event.ticket.group_id == %q ? %q : event.ticket.group_id == %q ? %q : %q }}`,
		groupOf[QueueBilling], QueueBilling, groupOf[QueueTechnical], QueueTechnical, QueueGeneral)
	var rules []switchboard.Rule
	for _, class := range []struct {
		name, when string
		expiry     time.Duration
	}{
		{"urgent", `event.ticket.priority == "urgent"`, time.Hour},
		{"high", `event.ticket.priority == "high"`, 2 * time.Hour},
		{"normal", `event.ticket.priority in ["normal", "low"]`, 4 * time.Hour},
	} {
		rules = append(rules, switchboard.Rule{
			Name: class.name + "-tickets",
			On:   switchboard.SourceZendeskTicketCreate,
			When: class.when,
			Actions: []switchboard.RuleAction{{CreateTask: &switchboard.CreateTaskAction{
				Name:        "Ticket #{{ event.ticket.id }}: {{ event.ticket.subject }}",
				Description: "Zendesk {{ event.ticket.priority }} {{ event.ticket.type }} via {{ event.ticket.via.channel }}",
				QueueID:     queue,
				FlowID:      "ticket-intake",
				Expiry:      class.expiry,
				Attributes: map[string]string{
					"zendeskTicket":   "{{ event.ticket.id }}",
					"zendeskPriority": "{{ event.ticket.priority }}",
					"language":        `{{ "french" in event.ticket.tags ? "french" : "english" }}`,
				},
				References: map[string]switchboard.Reference{"ticket": {Type: switchboard.ReferenceURL,
					Value: "https://example.zendesk.com/agent/tickets/{{ event.ticket.id }}"}},
			}}},
		})
	}
	return rules
}
