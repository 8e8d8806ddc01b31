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

// testStatuses are the custom statuses the older scenario tests use.
var testStatuses = []AgentStatusDefinition{
	{Name: "Break", Type: StatusTypeCustom},
	{Name: "Lunch", Type: StatusTypeCustom},
	{Name: "Training", Type: StatusTypeCustom},
}

// wantActivity checks an agent's Activity as Router.Agent reports it.
func (b *bench) wantActivity(agent string, want AgentActivity) {
	b.t.Helper()
	if got := b.agentNow(agent).Activity; got != want {
		b.t.Fatalf("at t0+%s %s's activity is %q, want %q", b.clock.Now().Sub(t0), agent, got, want)
	}
}

// Setting a status that is not configured — a typo, the wrong case, a status
// another router has — is refused and changes nothing: not the agent, not the
// store, no event.
func TestAgentStatusUnknownRefused(t *testing.T) {
	b := newBench(t, &Config{AgentStatuses: testStatuses})
	b.queue("billing")
	b.profile("desk", 1, "billing")
	b.agent("ana", "desk")
	b.sub.Drain()
	before := b.agentNow("ana")
	snapBefore, err := b.store.Load(b.ctx)
	b.must(err)
	for _, s := range []AgentStatus{"available", "AVAILABLE", "offline", "break", "Coffee", "Available ", AgentStatus(strings.Repeat("x", 120))} {
		ve := wantValidation(t, b.r.SetAgentStatus(b.ctx, "ana", s), "Status", "not a configured agent status")
		if len(ve.Value) > 64 {
			t.Errorf("error value not shortened: %d bytes", len(ve.Value))
		}
	}
	wantValidation(t, b.r.SetAgentStatus(b.ctx, "ana", ""), "Status", "1..127 characters")
	wantValidation(t, b.r.SetAgentStatus(b.ctx, "ana", AgentStatus(strings.Repeat("x", 200))), "Status", "1..127 characters")
	if diff := cmp.Diff(before, b.agentNow("ana")); diff != "" {
		t.Errorf("a refused status changed the agent (-before +after):\n%s", diff)
	}
	snapAfter, err := b.store.Load(b.ctx)
	b.must(err)
	if diff := cmp.Diff(snapBefore.Agents, snapAfter.Agents); diff != "" {
		t.Errorf("a refused status changed the store (-before +after):\n%s", diff)
	}
	if evs := b.sub.Drain(); len(evs) != 0 {
		t.Errorf("a refused status emitted %d events: %+v", len(evs), evs)
	}
	// Ana still gets work.
	b.create(TaskInput{QueueID: "billing"})
	b.wantOffers("t1>ana")
}

// A new agent must start in a configured status; an existing agent's record
// may carry any status, which PutAgent ignores as before (status is runtime),
// so that a record read with Router.Agent can be put back.
func TestAgentStatusPutAgent(t *testing.T) {
	b := newBench(t, &Config{AgentStatuses: testStatuses})
	b.queue("billing")
	b.profile("desk", 1, "billing")
	wantValidation(t, b.r.PutAgent(b.ctx, Agent{ID: "ana", RoutingProfileID: "desk", Status: "available"}), "Status", "not a configured agent status")
	if _, err := b.r.Agent("ana"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("refused PutAgent created ana: %v", err)
	}
	b.put(Agent{ID: "ana", RoutingProfileID: "desk", Status: "Lunch"})
	if a := b.agentNow("ana"); a.Status != "Lunch" || a.Activity != "Lunch" {
		t.Fatalf("ana is %q doing %q, want Lunch", a.Status, a.Activity)
	}
	a := b.agentNow("ana")
	a.Name = "Ana"
	a.Status = "whatever" // ignored for an existing agent
	a.Activity = ActivityMissed
	b.must(b.r.PutAgent(b.ctx, *a))
	if a := b.agentNow("ana"); a.Status != "Lunch" || a.Name != "Ana" || a.Activity != "Lunch" {
		t.Fatalf("after PutAgent ana is %q (%q) doing %q", a.Status, a.Name, a.Activity)
	}
	snap, err := b.store.Load(b.ctx)
	b.must(err)
	for _, sa := range snap.Agents {
		if sa.Activity != "" {
			t.Errorf("agent %s stored with Activity %q; it is computed on read", sa.ID, sa.Activity)
		}
	}
}

// Connect allows only the built-in Available to be ROUTABLE: a custom
// routable status is refused by NewRouter, so lower-case "available" can
// never route.
func TestAgentStatusOnlyAvailableRoutes(t *testing.T) {
	_, err := NewRouter(context.Background(), nil, &Config{AgentStatuses: []AgentStatusDefinition{{Name: "Ready", Type: StatusTypeRoutable}}})
	wantValidation(t, err, "Config.AgentStatuses[0].Type", "only the built-in Available is ROUTABLE")

	b := newBench(t, &Config{AgentStatuses: []AgentStatusDefinition{
		{Name: StatusAvailable, Type: StatusTypeRoutable}, // listing a built-in with its type is allowed
		{Name: "Break", Type: StatusTypeCustom},
		{Name: "Off shift", Type: StatusTypeOffline},
	}})
	want := []AgentStatusDefinition{
		{Name: StatusAvailable, Type: StatusTypeRoutable},
		{Name: StatusOffline, Type: StatusTypeOffline},
		{Name: "Break", Type: StatusTypeCustom},
		{Name: "Off shift", Type: StatusTypeOffline},
	}
	if diff := cmp.Diff(want, b.r.AgentStatuses()); diff != "" {
		t.Errorf("AgentStatuses (-want +got):\n%s", diff)
	}
	b.queue("billing")
	b.profile("desk", 2, "billing")
	b.agent("ana", "desk")
	b.status("ana", "Off shift")
	b.wantActivity("ana", ActivityOffline)
	b.create(TaskInput{QueueID: "billing"})
	b.wantOffers()
	b.status("ana", StatusAvailable)
	b.wantOffers("t1>ana")
}

// A CUSTOM status stops new offers at once; a pending offer stays, and the
// agent's activity shows the work before the status.
func TestAgentStatusCustomStopsOffers(t *testing.T) {
	b := newBench(t, &Config{AgentStatuses: testStatuses})
	b.queue("billing")
	b.profile("desk", 2, "billing")
	b.agent("ana", "desk")
	b.create(TaskInput{QueueID: "billing"})
	b.wantOffers("t1>ana")
	b.status("ana", "Break")
	b.create(TaskInput{QueueID: "billing"})
	b.wantOffers() // ana has a free slot but is on Break
	b.wantState("t2", StateQueued, "")
	b.wantActivity("ana", ActivityIncoming)
	b.must(b.r.Accept(b.ctx, "t1", "ana"))
	b.wantActivity("ana", ActivityOnContact)
	b.handle("t1")
	b.wantActivity("ana", "Break")
	b.clock.Advance(time.Minute)
	b.wantOffers()
	b.status("ana", StatusAvailable)
	b.wantOffers("t2>ana")
}

// Agent Activity with concurrent tasks: the highest of Missed > Rejected >
// On contact > After contact work > Incoming > custom status > Available /
// Offline wins. Ana takes three tasks at once.
func TestAgentActivityPrecedence(t *testing.T) {
	b := newBench(t, &Config{AgentStatuses: testStatuses})
	b.queue("billing")
	b.profile("desk", 3, "billing")
	b.put(Agent{ID: "ana", RoutingProfileID: "desk", Status: StatusOffline})
	step := func(what string, do func(), want AgentActivity) {
		t.Helper()
		do()
		if got := b.agentNow("ana").Activity; got != want {
			t.Fatalf("%s: activity %q, want %q", what, got, want)
		}
	}
	create := func() { b.create(TaskInput{QueueID: "billing"}) }
	step("offline", func() {}, ActivityOffline)
	step("lunch", func() { b.status("ana", "Lunch") }, "Lunch")
	step("available", func() { b.status("ana", StatusAvailable) }, ActivityAvailable)
	step("t1 offered", create, ActivityIncoming)
	step("t1 connected", func() { b.must(b.r.Accept(b.ctx, "t1", "ana")) }, ActivityOnContact)
	step("t2 offered, t1 connected", create, ActivityOnContact)
	step("t1 in ACW, t2 offered", func() { b.must(b.r.Complete(b.ctx, "t1")) }, ActivityAfterContactWork)
	step("t1 in ACW, t2 connected", func() { b.must(b.r.Accept(b.ctx, "t2", "ana")) }, ActivityOnContact)
	step("t1 in ACW, t2 paused", func() { b.must(b.r.Pause(b.ctx, "t2")) }, ActivityOnContact)
	step("t1 in ACW, t2 paused, t3 offered", create, ActivityOnContact)
	step("t3 rejected", func() { b.must(b.r.Reject(b.ctx, "t3", "ana")) }, ActivityRejected)
	b.wantState("t3", StateQueued, "")
	step("on Break, still blocked", func() { b.status("ana", "Break") }, ActivityRejected)
	step("cleared, on Break", func() { b.must(b.r.ClearAgent(b.ctx, "ana")) }, ActivityOnContact)
	step("t2 resumed, completed", func() {
		b.must(b.r.Resume(b.ctx, "t2"))
		b.must(b.r.Complete(b.ctx, "t2"))
	}, ActivityAfterContactWork)
	step("ACW closed, on Break", func() {
		b.must(b.r.CloseAfterContactWork(b.ctx, "t1"))
		b.must(b.r.CloseAfterContactWork(b.ctx, "t2"))
	}, "Break")
	b.wantOffers("t1>ana", "t2>ana", "t3>ana")
	step("available, t3 offered again", func() { b.status("ana", StatusAvailable) }, ActivityIncoming)
	b.wantOffers("t3>ana")
	step("t3 missed", func() { b.clock.Advance(OfferTimeoutDefault) }, ActivityMissed)
	step("missed, offline", func() { b.status("ana", StatusOffline) }, ActivityMissed)
	step("cleared, offline", func() { b.must(b.r.ClearAgent(b.ctx, "ana")) }, ActivityOffline)
}

// Missed and rejected stay apart while the agent also holds connected work,
// which they outrank.
func TestAgentActivityMissedOutranksContact(t *testing.T) {
	b := newBench(t, nil)
	b.queue("billing")
	b.profile("desk", 2, "billing")
	b.agent("ana", "desk")
	b.create(TaskInput{QueueID: "billing"})
	b.create(TaskInput{QueueID: "billing"})
	b.wantOffers("t1>ana", "t2>ana")
	b.must(b.r.Accept(b.ctx, "t1", "ana"))
	b.clock.Advance(OfferTimeoutDefault)
	b.wantState("t2", StateQueued, "")
	a := b.agentNow("ana")
	if a.Activity != ActivityMissed || a.Blocked != BlockedMissed || a.BlockedTaskID != "t2" {
		t.Fatalf("ana: activity %q blocked %q by %q, want Missed by t2", a.Activity, a.Blocked, a.BlockedTaskID)
	}
}

func TestAgentStatusConfigValidation(t *testing.T) {
	custom := func(names ...string) []AgentStatusDefinition {
		var out []AgentStatusDefinition
		for _, n := range names {
			out = append(out, AgentStatusDefinition{Name: AgentStatus(n), Type: StatusTypeCustom})
		}
		return out
	}
	many := func(n int) []AgentStatusDefinition {
		var names []string
		for i := range n {
			names = append(names, fmt.Sprintf("Status %02d", i))
		}
		return custom(names...)
	}
	cases := []struct {
		name         string
		defs         []AgentStatusDefinition
		field, limit string
	}{
		{"duplicate", custom("Break", "Lunch", "Break"), "Config.AgentStatuses[2].Name", "listed twice (names are compared ignoring case): same as Config.AgentStatuses[0]"},
		{"duplicate ignoring case", custom("Break", "BREAK"), "Config.AgentStatuses[1].Name", "listed twice"},
		{"lower-case available", custom("available"), "Config.AgentStatuses[0].Name", "same as the built-in status"},
		{"Available retyped", custom("Available"), "Config.AgentStatuses[0].Type", "built-in status Available is ROUTABLE and cannot be retyped"},
		{"Offline retyped", []AgentStatusDefinition{{Name: "Offline", Type: StatusTypeRoutable}}, "Config.AgentStatuses[0].Type", "cannot be retyped"},
		{"custom routable", []AgentStatusDefinition{{Name: "Ready", Type: StatusTypeRoutable}}, "Config.AgentStatuses[0].Type", "only the built-in Available is ROUTABLE"},
		{"bad type", []AgentStatusDefinition{{Name: "Busy", Type: "BUSY"}}, "Config.AgentStatuses[0].Type", "must be ROUTABLE, CUSTOM or OFFLINE"},
		{"no type", []AgentStatusDefinition{{Name: "Busy"}}, "Config.AgentStatuses[0].Type", "must be ROUTABLE, CUSTOM or OFFLINE"},
		{"lower-case type", []AgentStatusDefinition{{Name: "Busy", Type: "custom"}}, "Config.AgentStatuses[0].Type", "must be ROUTABLE, CUSTOM or OFFLINE"},
		{"name empty", custom("Break", ""), "Config.AgentStatuses[1].Name", "1..127 characters, got 0"},
		{"name 128", custom(strings.Repeat("é", 128)), "Config.AgentStatuses[0].Name", "1..127 characters, got 128"},
		{"invalid UTF-8", custom("Lunch\xff"), "Config.AgentStatuses[0].Name", "valid UTF-8"},
		{"control character", custom("Lu\nnch"), "Config.AgentStatuses[0].Name", "no control characters"},
		{"51 statuses", many(51), "Config.AgentStatuses", "at most 50 statuses, Available and Offline included"},
		{"49 custom + 2 built-in", many(49), "Config.AgentStatuses", "at most 50"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewRouter(context.Background(), nil, &Config{AgentStatuses: tc.defs})
			wantValidation(t, err, tc.field, tc.limit)
		})
	}
	for _, defs := range [][]AgentStatusDefinition{
		many(48),
		append(many(48), AgentStatusDefinition{Name: "Available", Type: StatusTypeRoutable}, AgentStatusDefinition{Name: "Offline", Type: StatusTypeOffline}),
		custom(strings.Repeat("é", 127)),
	} {
		r, err := NewRouter(context.Background(), nil, &Config{AgentStatuses: defs})
		if err != nil {
			t.Errorf("%d statuses: %v", len(defs), err)
			continue
		}
		if n := len(r.AgentStatuses()); n > MaxAgentStatuses {
			t.Errorf("%d statuses configured", n)
		}
		r.Close(context.Background())
	}
}

// A store may hold an agent in a status the new configuration no longer
// has (Lunch was dropped): NewRouter keeps the agent, in that status, not
// routable and shown as Offline, until it is set to a configured status.
func TestAgentStatusRestartWithUnconfiguredStatus(t *testing.T) {
	b := newBench(t, &Config{AgentStatuses: testStatuses})
	b.queue("billing")
	b.profile("desk", 1, "billing")
	b.agent("ana", "desk")
	b.status("ana", "Lunch")
	b.must(b.r.Close(context.Background()))

	b.open(&Config{AgentStatuses: []AgentStatusDefinition{{Name: "Break", Type: StatusTypeCustom}}})
	a := b.agentNow("ana")
	if a.Status != "Lunch" || a.Activity != ActivityOffline {
		t.Fatalf("after restart ana is %q doing %q, want Lunch shown as Offline", a.Status, a.Activity)
	}
	b.create(TaskInput{QueueID: "billing"})
	b.wantOffers()
	wantValidation(t, b.r.SetAgentStatus(b.ctx, "ana", "Lunch"), "Status", "not a configured agent status")
	a.Name = "Ana" // a record read back can be put again
	b.must(b.r.PutAgent(b.ctx, *a))
	b.status("ana", "Break")
	b.wantActivity("ana", "Break")
	b.status("ana", StatusAvailable)
	b.wantOffers("t1>ana")
}
