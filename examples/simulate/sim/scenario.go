// Package sim simulates a contact center on switchboard: tickets arrive as
// Zendesk webhook events, rules turn them into tasks, a router on a
// ManualClock routes them to agents who work shifts, take breaks and handle
// each task for a random time, and the metrics and contact records of the
// run are gathered into a Report (a text table and a self-contained HTML
// page). Everything is driven by one goroutine from seeded random numbers,
// so a scenario and a seed always give the same report, byte for byte.
//
// Scenario is the general form (any queues, profiles, agents, rules,
// arrival curve and handle times); Day builds the contact-center day that
// examples/simulate runs, and the package's tests also build an M/M/c
// queue to check the simulator against Erlang C.
package sim

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/switchboard-go/switchboard"
)

// Scenario is a contact center to simulate. Arrivals are a Poisson process
// whose rate follows Rate; each arrival is a ticket event (Ticket builds its
// body, Zendesk's webhook shape) evaluated by Rules, which create the tasks.
type Scenario struct {
	Start    time.Time     // the clock's first reading
	Duration time.Duration // tickets arrive in [Start, Start+Duration); the run goes on until every task has ended

	Queues   []switchboard.Queue
	Profiles []switchboard.RoutingProfile
	Statuses []switchboard.AgentStatusDefinition // the custom statuses breaks use
	Agents   []Agent
	Rules    []switchboard.Rule // on switchboard.SourceZendeskTicketCreate
	// Flows are the flows the rules' tasks may start in (CreateTaskAction's
	// FlowID), by ID. They run on a FlowRunner with one worker, and the
	// simulator waits for them after each ticket, so a seed still gives
	// the same report.
	Flows map[string]*switchboard.Flow

	// Rate is the arrival rate, in tickets per second, at offset t from
	// Start; MaxRate bounds it (arrivals are drawn at MaxRate and kept with
	// probability Rate/MaxRate, which gives a Poisson process of rate Rate).
	Rate    func(t time.Duration) float64
	MaxRate float64
	// Ticket returns the body of the n-th ticket.created event (n from 1),
	// at time at, drawing what it needs from rng.
	Ticket func(rng *rand.Rand, n int, at time.Time) []byte

	// Handle and ACW give, per queue, the time from connection to Complete
	// and from Complete to CloseAfterContactWork. A queue missing from ACW
	// has no after-contact work (the agent closes it at once).
	Handle map[string]Dist
	ACW    map[string]Dist

	// SampleEvery is how often the queue lengths are sampled for the
	// report's chart; 5 minutes when 0.
	SampleEvery time.Duration
	// Bucket is the width of the report's service-level chart intervals
	// (switchboard.IntervalHour when empty).
	Bucket switchboard.IntervalPeriod
	// ServiceLevel is the threshold of the report's service level; 60 s
	// when 0. It must be one of switchboard.DefaultServiceLevels.
	ServiceLevel time.Duration
}

// Agent is an agent and the shifts it works.
type Agent struct {
	switchboard.Agent
	Shifts []Shift
}

// Shift is a stretch of work, as offsets from the scenario's Start: the
// agent goes Available at Start and Offline at End (finishing the tasks it
// holds), and takes its Breaks in between.
type Shift struct {
	Start, End time.Duration
	Breaks     []Break
}

// Break is a pause in a shift: the agent is set to Status (a CUSTOM status,
// so it receives no new work but finishes what it holds) at Start, and back
// to Available after Length.
type Break struct {
	Start, Length time.Duration // Start from the shift's start
	Status        switchboard.AgentStatus
}

// Dist draws a duration.
type Dist func(rng *rand.Rand) time.Duration

// Exponential has the given mean: handle times of an M/M/c queue.
func Exponential(mean time.Duration) Dist {
	return func(rng *rand.Rand) time.Duration {
		return time.Duration(rng.ExpFloat64() * float64(mean))
	}
}

// LogNormal has the given mean and shape sigma (the standard deviation of
// the logarithm): a long right tail, as handle times have in practice.
func LogNormal(mean time.Duration, sigma float64) Dist {
	mu := math.Log(float64(mean)) - sigma*sigma/2
	return func(rng *rand.Rand) time.Duration {
		return time.Duration(math.Exp(mu + sigma*rng.NormFloat64()))
	}
}

// Curve returns a rate function that follows hourly weights through the
// day (weights[h] for the hour starting at h:00, linearly interpolated
// between the middles of the hours, repeating every 24 hours), scaled so
// that its average over a day is perHour arrivals an hour, and its maximum.
func Curve(perHour float64, weights [24]float64) (rate func(time.Duration) float64, max float64) {
	var sum, top float64
	for _, w := range weights {
		sum += w
		top = math.Max(top, w)
	}
	scale := perHour / 3600 / (sum / 24)
	rate = func(t time.Duration) float64 {
		h := math.Mod(t.Hours()-0.5, 24)
		if h < 0 {
			h += 24
		}
		i := int(h)
		f := h - float64(i)
		return scale * (weights[i]*(1-f) + weights[(i+1)%24]*f)
	}
	return rate, scale * top
}
