// Command flows runs an insurance-claim flow, exported from Amazon Connect's
// flow designer as JSON, for a morning of claims on a manual clock, and
// prints what the flows did: a host function looks the customer up, gold
// customers get priority 1 and proficiency routing in the priority queue,
// silver ones priority 3, and a full queue overflows to the next. Follow-up
// tasks then use Connect's recommended task enqueue flow: loop, transfer,
// wait five minutes while the queue is full, give up after three tries.
package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"time"

	"github.com/switchboard-go/switchboard"
	"github.com/switchboard-go/switchboard/examples/internal/noflags"
)

//go:embed claims-intake.json
var claimsIntake []byte

//go:embed task-enqueue.json
var taskEnqueue []byte

func main() {
	noflags.Parse()
	if err := run(os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// customers is the CRM the lookup function reads, by policy number.
var customers = map[string]map[string]string{
	"POL-1001": {"name": "Inès Moreau", "tier": "gold", "language": "French"},
	"POL-1002": {"name": "Tom Baker", "tier": "gold", "language": "English"},
	"POL-2001": {"name": "Rui Costa", "tier": "silver", "language": "Portuguese"},
	"POL-3001": {"name": "Ana Lee", "tier": "bronze", "language": "English"},
}

func run(out io.Writer) error {
	ctx := context.Background()
	clock := switchboard.NewManualClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))

	// The flows, as exported, and the host function they call by ARN.
	flows := switchboard.NewFlowRunner(&switchboard.FlowRunnerOptions{Workers: 2})
	for id, data := range map[string][]byte{"claims-intake": claimsIntake, "task-enqueue": taskEnqueue} {
		f, warnings, err := switchboard.LoadFlow(data, switchboard.FlowOptions{})
		if err != nil {
			return err
		}
		for _, w := range warnings {
			fmt.Fprintln(out, "warning:", w)
		}
		if err := flows.PutFlow(id, f); err != nil {
			return err
		}
	}
	err := flows.RegisterFunction("claims-customer-lookup", func(ctx context.Context, call switchboard.FlowCall) (any, error) {
		c, ok := customers[call.Parameters["policy"]]
		if !ok {
			return nil, errors.New("no such policy")
		}
		return c, nil
	})
	if err != nil {
		return err
	}

	n := 0
	r, err := switchboard.NewRouter(ctx, nil, &switchboard.Config{Clock: clock, Flows: flows,
		NewID: func() string { n++; return fmt.Sprintf("claim-%d", n) }})
	if err != nil {
		return err
	}
	defer r.Close(ctx)
	if err := flows.Bind(r); err != nil {
		return err
	}
	defer flows.Close(ctx)
	for _, q := range []switchboard.Queue{
		{ID: "claims-priority", Name: "Priority claims", MaxContacts: 1},
		{ID: "claims", Name: "Claims", MaxContacts: 2},
		{ID: "claims-overflow", Name: "Claims overflow"},
		{ID: "follow-ups", Name: "Follow-ups", MaxContacts: 1},
	} {
		if err := r.PutQueue(ctx, q); err != nil {
			return err
		}
	}
	// Ana speaks French and handles motor claims at the top level; she works
	// the priority queue only.
	err = r.PutRoutingProfile(ctx, switchboard.RoutingProfile{ID: "senior", Name: "Senior claims",
		Concurrency: []switchboard.MediaConcurrency{{Channel: switchboard.ChannelTask, Concurrency: 2}},
		Queues:      []switchboard.QueueConfig{{QueueID: "claims-priority", Channel: switchboard.ChannelTask, Priority: 1}}})
	if err != nil {
		return err
	}
	err = r.PutAgent(ctx, switchboard.Agent{ID: "ana", Name: "Ana", RoutingProfileID: "senior", Status: switchboard.StatusAvailable,
		Proficiencies: []switchboard.Proficiency{{Name: "Language", Value: "French", Level: 5}, {Name: "Claims", Value: "Motor", Level: 5}}})
	if err != nil {
		return err
	}
	sub := r.Subscribe(&switchboard.SubscribeOptions{Filter: &switchboard.EventFilter{Types: []switchboard.EventType{
		switchboard.EventFlowStarted, switchboard.EventFlowEnded}}})
	settle := func() error {
		if err := flows.Wait(ctx); err != nil {
			return err
		}
		for _, e := range sub.Drain() {
			fmt.Fprintf(out, "  %s %s %-13s %s", e.Time.Format("15:04"), e.TaskID, e.Type, e.FlowID)
			if e.Type == switchboard.EventFlowEnded {
				fmt.Fprintf(out, " %s at %q after %s", e.FlowOutcome, e.FlowAction, e.Duration)
			}
			fmt.Fprintln(out)
		}
		return nil
	}
	describe := func(id string) {
		t, err := r.Task(ctx, id)
		if err != nil {
			fmt.Fprintln(out, "  ", id, err)
			return
		}
		fmt.Fprintf(out, "  => %s %s", t.ID, t.State)
		if t.QueueID != "" {
			fmt.Fprintf(out, " in %s", t.QueueID)
		}
		if t.AgentID != "" {
			fmt.Fprintf(out, " to %s", t.AgentID)
		}
		fmt.Fprintf(out, ", priority %d", t.Priority)
		if name := t.Attributes["customer_name"]; name != "" {
			fmt.Fprintf(out, ", %s (%s)", name, t.Attributes["tier"])
		}
		if t.RoutingCriteria != nil {
			var steps []string
			for _, s := range t.RoutingCriteria.Steps {
				steps = append(steps, fmt.Sprintf("%s for %s", requirement(s.Requirement), orForever(s.Expiry)))
			}
			fmt.Fprintf(out, "\n     criteria: %s", strings.Join(steps, "; then "))
		}
		if t.DisconnectReason != "" {
			fmt.Fprintf(out, " (%s)", t.DisconnectReason)
		}
		fmt.Fprintln(out)
	}

	fmt.Fprintln(out, "Claims arrive, each through the claims-intake flow:")
	for _, policy := range []string{"POL-1001", "POL-1002", "POL-2001", "POL-3001", "POL-9999"} {
		t, err := r.CreateTask(ctx, switchboard.TaskInput{Name: "Motor claim " + policy, FlowID: "claims-intake",
			Attributes: map[string]string{"policy_number": policy}})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s created %s for policy %s\n", t.ID, t.State, policy)
		if err := settle(); err != nil {
			return err
		}
		describe(t.ID)
		clock.Advance(time.Minute)
	}

	fmt.Fprintln(out, "\nFollow-ups, through the task enqueue flow (follow-ups holds one task):")
	var ids []string
	for _, name := range []string{"Send the adjuster", "Request photos"} {
		t, err := r.CreateTask(ctx, switchboard.TaskInput{Name: name, FlowID: "task-enqueue", QueueID: "follow-ups"})
		if err != nil {
			return err
		}
		ids = append(ids, t.ID)
		fmt.Fprintf(out, "%s %q created\n", t.ID, name)
		if err := settle(); err != nil {
			return err
		}
	}
	describe(ids[1])
	clock.Advance(5 * time.Minute) // still full: the flow waits again
	if err := settle(); err != nil {
		return err
	}
	fmt.Fprintf(out, "%s is done with: the queue has room\n", ids[0])
	if err := r.Stop(ctx, ids[0]); err != nil {
		return err
	}
	clock.Advance(5 * time.Minute)
	if err := settle(); err != nil {
		return err
	}
	describe(ids[1])
	return nil
}

// requirement writes a routing requirement the way the criteria read.
func requirement(q switchboard.Requirement) string {
	join := func(rs []switchboard.Requirement, op string) string {
		parts := make([]string, len(rs))
		for i, x := range rs {
			parts[i] = requirement(x)
		}
		return "(" + strings.Join(parts, op) + ")"
	}
	switch {
	case q.Attribute != nil:
		return fmt.Sprintf("%s=%s>=%d", q.Attribute.Name, q.Attribute.Value, q.Attribute.MinLevel)
	case len(q.Preferred) > 0:
		return "agent in " + strings.Join(q.Preferred, ",")
	case q.And != nil:
		return join(q.And, " and ")
	}
	return join(q.Or, " or ")
}

func orForever(d time.Duration) string {
	if d == 0 {
		return "ever"
	}
	return d.String()
}
