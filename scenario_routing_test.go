package switchboard

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Scenario tests for who gets what, and when: DESIGN.md §3 rules 1–5 and 11,
// told in the words of the domain. Every bench checks the router's invariants
// after each operation, so each story also proves that routing settled.

// scnStep is one routing-step event, for comparison.
type scnStep struct {
	Task string
	At   time.Duration // since t0
}

// scnSteps returns the routing-step events in evs.
func scnSteps(evs []Event) []scnStep {
	var out []scnStep
	for _, e := range evs {
		if e.Type == EventTaskRoutingStep {
			out = append(out, scnStep{e.TaskID, e.Time.Sub(t0)})
		}
	}
	return out
}

// scnOffersIn returns the offers in evs as "task>agent".
func scnOffersIn(evs []Event) []string {
	var out []string
	for _, e := range evs {
		if e.Type == EventTaskOffered {
			out = append(out, e.TaskID+">"+e.AgentID)
		}
	}
	return out
}

// ---- Rule 1: agent eligibility ----

// Given a billing desk where Ana is at lunch and Ben is offline, a new task
// waits; when Ben becomes Available he pulls it, and when Ana comes back from
// lunch she pulls the next one.
func TestScenarioOnlyAvailableAgentsReceiveWork(t *testing.T) {
	b := newBench(t, &Config{AgentStatuses: testStatuses})
	b.queue("billing")
	b.profile("desk", 1, "billing")
	b.put(Agent{ID: "ana", RoutingProfileID: "desk", Status: "Lunch"})
	b.put(Agent{ID: "ben", RoutingProfileID: "desk", Status: StatusOffline})

	b.create(TaskInput{QueueID: "billing"})
	b.clock.Advance(time.Hour)
	b.wantOffers()
	b.wantState("t1", StateQueued, "")

	b.status("ben", StatusAvailable)
	b.wantOffers("t1>ben")

	b.create(TaskInput{QueueID: "billing"})
	b.wantOffers() // Ben is full, Ana still at lunch
	b.status("ana", StatusAvailable)
	b.wantOffers("t2>ana")

	// Leaving Available stops new work but keeps a pending offer.
	b.status("ana", "Break")
	b.wantState("t2", StateOffered, "ana")
	b.must(b.r.Accept(b.ctx, "t2", "ana"))
	b.wantState("t2", StateConnected, "ana")
}

// Given an agent with two task slots and one chat slot (both channels allow
// the other), three tasks and two chats arrive: two tasks and one chat are
// offered, the rest wait for their own channel's slot to free.
func TestScenarioFreeSlotPerChannel(t *testing.T) {
	b := newBench(t, nil)
	b.queue("support")
	b.must(b.r.PutRoutingProfile(b.ctx, RoutingProfile{ID: "desk",
		Concurrency: []MediaConcurrency{
			{Channel: ChannelTask, Concurrency: 2, CrossChannel: AnyChannel},
			{Channel: ChannelChat, Concurrency: 1, CrossChannel: AnyChannel},
		},
		Queues: []QueueConfig{
			{QueueID: "support", Channel: ChannelTask, Priority: 1},
			{QueueID: "support", Channel: ChannelChat, Priority: 1},
		}}))
	b.agent("ana", "desk")

	for range 3 {
		b.create(TaskInput{QueueID: "support"})
	}
	b.create(TaskInput{QueueID: "support", Channel: ChannelChat})
	b.create(TaskInput{QueueID: "support", Channel: ChannelChat})
	b.wantOffers("t1>ana", "t2>ana", "t4>ana")
	b.wantState("t3", StateQueued, "")
	b.wantState("t5", StateQueued, "")

	b.handle("t4") // the chat slot frees: the next chat, not a task
	b.wantOffers("t5>ana")
	b.handle("t1") // a task slot frees
	b.wantOffers("t3>ana")
}

// When Ana lets an offer time out she is blocked (MISSED) and gets nothing,
// not even new work, until she is cleared; with Config.MissedPolicy =
// StayAvailable she stays routable and, being the only agent, gets the task
// again at once.
func TestScenarioMissedOfferBlocksAgentUntilCleared(t *testing.T) {
	for _, tc := range []struct {
		name        string
		policy      MissedPolicy
		wantBlocked BlockReason
		afterMiss   []string // offers made when the offer times out
		afterCreate []string // offers made when a second task arrives
		afterClear  []string // offers made by ClearAgent
	}{
		{"BlockUntilCleared", BlockUntilCleared, BlockedMissed, nil, nil, []string{"t1>ana", "t2>ana"}},
		{"StayAvailable", StayAvailable, NotBlocked, []string{"t1>ana"}, []string{"t2>ana"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBench(t, &Config{MissedPolicy: tc.policy})
			b.queue("billing")
			b.profile("desk", 2, "billing")
			b.agent("ana", "desk")

			b.create(TaskInput{QueueID: "billing"})
			b.wantOffers("t1>ana")
			b.clock.Advance(OfferTimeoutDefault)
			if got := b.agentNow("ana").Blocked; got != tc.wantBlocked {
				t.Fatalf("after the miss Ana is blocked %q, want %q", got, tc.wantBlocked)
			}
			b.wantOffers(tc.afterMiss...)

			b.clock.Advance(10 * time.Second) // before any second timeout
			b.create(TaskInput{QueueID: "billing"})
			b.wantOffers(tc.afterCreate...)

			b.clock.Advance(5 * time.Second)
			b.must(b.r.ClearAgent(b.ctx, "ana"))
			b.wantOffers(tc.afterClear...)
			if got := b.agentNow("ana").Blocked; got != NotBlocked {
				t.Fatalf("after ClearAgent Ana is blocked %q", got)
			}
		})
	}
}

// The worked example of Amazon Connect's cross-channel concurrency
// (reference §3.3): Chat = current channel only, max 2; Task = any channel,
// max 1; Voice = 1.
func TestScenarioCrossChannelWorkedExample(t *testing.T) {
	b := newBench(t, nil)
	b.queue("support")
	b.must(b.r.PutRoutingProfile(b.ctx, RoutingProfile{ID: "omni",
		Concurrency: []MediaConcurrency{
			{Channel: ChannelChat, Concurrency: 2, CrossChannel: CurrentChannelOnly},
			{Channel: ChannelTask, Concurrency: 1, CrossChannel: AnyChannel},
			{Channel: ChannelVoice, Concurrency: 1},
		},
		Queues: []QueueConfig{
			{QueueID: "support", Channel: ChannelChat, Priority: 1},
			{QueueID: "support", Channel: ChannelTask, Priority: 1},
			{QueueID: "support", Channel: ChannelVoice, Priority: 1},
		}}))
	b.agent("ana", "omni")
	contact := func(ch Channel) string {
		b.t.Helper()
		return b.create(TaskInput{QueueID: "support", Channel: ch}).ID
	}
	accept := func(id string) { b.t.Helper(); b.must(b.r.Accept(b.ctx, id, "ana")) }

	// Ana is on a chat: a task waits, though her task slot is free.
	chat1 := contact(ChannelChat)
	b.wantOffers(chat1 + ">ana")
	accept(chat1)
	task1 := contact(ChannelTask)
	b.wantOffers()
	b.wantState(task1, StateQueued, "")

	// Once fully idle she gets the waiting task.
	b.handle(chat1)
	b.wantOffers(task1 + ">ana")
	accept(task1)

	// On a task she can get a chat (tasks allow other channels).
	chat2 := contact(ChannelChat)
	b.wantOffers(chat2 + ">ana")
	accept(chat2)

	// On a task and a chat she gets no voice contact: the chat blocks it.
	voice1 := contact(ChannelVoice)
	b.wantOffers()
	b.wantState(voice1, StateQueued, "")

	// On the task only, the voice contact comes through.
	b.handle(chat2)
	b.wantOffers(voice1 + ">ana")
	accept(voice1)

	// On voice and a task she gets no new task (voice blocks; task max 1).
	task2 := contact(ChannelTask)
	b.wantOffers()
	b.handle(task1)
	b.wantOffers() // still on voice, which allows nothing else
	b.wantState(task2, StateQueued, "")
	b.handle(voice1)
	b.wantOffers(task2 + ">ana")
}

// ---- Rule 2: queue delay ----

// Given a profile that sees the billing queue after a 30 s delay, a task is
// offered at exactly 30 s, not a second earlier.
func TestScenarioQueueDelay(t *testing.T) {
	b := newBench(t, nil)
	b.queue("billing")
	b.must(b.r.PutRoutingProfile(b.ctx, RoutingProfile{ID: "backoffice",
		Concurrency: []MediaConcurrency{{Channel: ChannelTask, Concurrency: 1}},
		Queues:      []QueueConfig{{QueueID: "billing", Priority: 1, Delay: 30 * time.Second}}}))
	b.agent("ana", "backoffice")

	b.create(TaskInput{QueueID: "billing"})
	b.clock.Advance(29 * time.Second)
	b.wantOffers()
	b.clock.Advance(time.Second)
	b.wantOffers("t1>ana")
	if got := b.task("t1").OfferedAt; !got.Equal(t0.Add(30 * time.Second)) {
		t.Errorf("offered at t0+%s, want t0+30s", got.Sub(t0))
	}
}

// Given Ana's desk sees billing after 10 s and Ben's after 60 s, the first
// task goes to Ana at 10 s; the second, arriving at 5 s while Ana is busy,
// waits until Ben sees it at 65 s.
func TestScenarioTwoProfilesWithDifferentDelays(t *testing.T) {
	b := newBench(t, nil)
	b.queue("billing")
	for _, p := range []struct {
		id    string
		delay time.Duration
	}{{"fast", 10 * time.Second}, {"slow", 60 * time.Second}} {
		b.must(b.r.PutRoutingProfile(b.ctx, RoutingProfile{ID: p.id,
			Concurrency: []MediaConcurrency{{Channel: ChannelTask, Concurrency: 1}},
			Queues:      []QueueConfig{{QueueID: "billing", Priority: 1, Delay: p.delay}}}))
	}
	b.agent("ana", "fast")
	b.agent("ben", "slow")

	b.create(TaskInput{QueueID: "billing"})
	b.clock.Advance(5 * time.Second)
	b.create(TaskInput{QueueID: "billing"})
	b.clock.Advance(4 * time.Second) // 9 s
	b.wantOffers()
	b.clock.Advance(time.Second) // 10 s
	b.wantOffers("t1>ana")
	b.must(b.r.Accept(b.ctx, "t1", "ana"))
	b.clock.Advance(49 * time.Second) // 59 s: Ben would see t1, but t1 is taken
	b.wantOffers()
	b.clock.Advance(5 * time.Second) // 64 s
	b.wantOffers()
	b.clock.Advance(time.Second) // 65 s
	b.wantOffers("t2>ben")
}

// ---- Rule 3: ordering ----

// Given Ana's desk serves a VIP queue at profile priority 1 and a general
// queue at priority 2, and many tasks wait while she is offline, when she
// becomes Available she works through them in this order: her own agent
// queue; the VIP queue by task priority; then the general queue by task
// priority, routing age (a queue-time adjustment moves a task ahead) and
// creation order.
func TestScenarioTaskOrdering(t *testing.T) {
	b := newBench(t, nil)
	b.queue("vip")
	b.queue("general")
	b.must(b.r.PutRoutingProfile(b.ctx, RoutingProfile{ID: "desk",
		Concurrency: []MediaConcurrency{{Channel: ChannelTask, Concurrency: 1}},
		Queues: []QueueConfig{
			{QueueID: "general", Priority: 2},
			{QueueID: "vip", Priority: 1},
		}}))
	b.put(Agent{ID: "ana", RoutingProfileID: "desk", Status: StatusOffline})

	step := func(in TaskInput) string {
		b.t.Helper()
		id := b.create(in).ID
		b.clock.Advance(time.Minute)
		return id
	}
	gen5 := step(TaskInput{QueueID: "general"})                                          // 0m
	vip9 := step(TaskInput{QueueID: "vip", Priority: 9})                                 // 1m
	gen1 := step(TaskInput{QueueID: "general", Priority: 1})                             // 2m
	vip5 := step(TaskInput{QueueID: "vip"})                                              // 3m
	genAdj := step(TaskInput{QueueID: "general", QueueTimeAdjustment: 10 * time.Minute}) // 4m, counts as -6m
	own := b.create(TaskInput{AgentID: "ana", Priority: 9}).ID                           // 5m
	genA := b.create(TaskInput{QueueID: "general"}).ID                                   // 5m
	genB := b.create(TaskInput{QueueID: "general"}).ID                                   // 5m, created after genA
	b.wantOffers()

	if got, want := b.task(genAdj).EnqueuedAt, t0.Add(4*time.Minute); !got.Equal(want) {
		t.Errorf("adjusted task EnqueuedAt t0+%s, want t0+4m (the adjustment moves it in line only)", got.Sub(t0))
	}
	if got, want := b.task(genAdj).RoutingAge(), t0.Add(-6*time.Minute); !got.Equal(want) {
		t.Errorf("adjusted task RoutingAge t0+%s, want t0-6m", got.Sub(t0))
	}
	if diff := cmp.Diff([]string{gen1, genAdj, gen5, genA, genB}, b.queuedIDs("general")); diff != "" {
		t.Errorf("general queue line (-want +got):\n%s", diff)
	}

	b.status("ana", StatusAvailable)
	var got []string
	for range 8 {
		offers := b.offers()
		if len(offers) != 1 {
			t.Fatalf("after %v, offers %q, want exactly one", got, offers)
		}
		got = append(got, offers[0])
		b.handle(offers[0][:len(offers[0])-len(">ana")])
	}
	want := []string{own, vip5, vip9, gen1, genAdj, gen5, genA, genB}
	for i := range want {
		want[i] += ">ana"
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order of work (-want +got):\n%s", diff)
	}
}

// UpdateRouting moves a waiting task in line: a lower Priority, or a larger
// QueueTimeAdjustment, puts it ahead; its EnqueuedAt (reported wait) stays.
func TestScenarioUpdateRoutingMovesTaskInLine(t *testing.T) {
	b := newBench(t, nil)
	b.queue("billing")
	b.profile("desk", 1, "billing")
	for range 4 {
		b.create(TaskInput{QueueID: "billing"})
		b.clock.Advance(time.Minute)
	}
	if diff := cmp.Diff([]string{"t1", "t2", "t3", "t4"}, b.queuedIDs("billing")); diff != "" {
		t.Fatalf("line (-want +got):\n%s", diff)
	}
	adj := 150 * time.Second
	b.must(b.r.UpdateRouting(b.ctx, "t4", RoutingUpdate{QueueTimeAdjustment: &adj})) // 3m-2.5m = 30s
	if diff := cmp.Diff([]string{"t1", "t4", "t2", "t3"}, b.queuedIDs("billing")); diff != "" {
		t.Errorf("after aging t4 (-want +got):\n%s", diff)
	}
	b.must(b.r.UpdateRouting(b.ctx, "t3", RoutingUpdate{Priority: 1}))
	if diff := cmp.Diff([]string{"t3", "t1", "t4", "t2"}, b.queuedIDs("billing")); diff != "" {
		t.Errorf("after raising t3 (-want +got):\n%s", diff)
	}
	if got := b.task("t4").EnqueuedAt; !got.Equal(t0.Add(3 * time.Minute)) {
		t.Errorf("t4 EnqueuedAt t0+%s, want t0+3m", got.Sub(t0))
	}
	b.agent("ana", "desk")
	b.wantOffers("t3>ana")
}

// ---- Rule 4: which agent ----

// Agents are offered work longest idle first. LastActivity restarts when an
// agent is given a task, when it becomes Available again, and when it frees a
// slot.
func TestScenarioLongestIdleAgentFirst(t *testing.T) {
	b := newBench(t, &Config{AgentStatuses: testStatuses})
	b.queue("billing")
	b.profile("desk", 2, "billing")
	for _, id := range []string{"ana", "ben", "cara"} { // available at 0m, 1m, 2m
		b.agent(id, "desk")
		b.clock.Advance(time.Minute)
	}
	lastActivity := func(id string) time.Duration { b.t.Helper(); return b.agentNow(id).LastActivity.Sub(t0) }
	arrive := func() string { // at the current minute; the offer is accepted at once
		b.t.Helper()
		id := b.create(TaskInput{QueueID: "billing"}).ID
		offers := b.offers()
		if len(offers) != 1 {
			b.t.Fatalf("task %s: offers %q, want one", id, offers)
		}
		b.must(b.r.Accept(b.ctx, id, b.task(id).AgentID))
		b.clock.Advance(time.Minute)
		return offers[0]
	}

	var got []string
	got = append(got, arrive(), arrive(), arrive()) // 3m ana, 4m ben, 5m cara: each has a free slot after
	if lastActivity("ana") != 3*time.Minute {
		t.Errorf("ana LastActivity t0+%s, want t0+3m (the offer)", lastActivity("ana"))
	}
	b.status("ben", "Lunch") // 6m
	b.clock.Advance(time.Minute)
	b.status("ben", StatusAvailable) // 7m: ben's idle clock restarts
	if lastActivity("ben") != 7*time.Minute {
		t.Errorf("ben LastActivity t0+%s, want t0+7m (became Available)", lastActivity("ben"))
	}
	b.clock.Advance(time.Minute)
	got = append(got, arrive(), arrive()) // 8m ana (3m), 9m cara (5m) — not ben (7m)
	b.handle("t1")                        // 10m: ana frees a slot
	if lastActivity("ana") != 10*time.Minute {
		t.Errorf("ana LastActivity t0+%s, want t0+10m (freed a slot)", lastActivity("ana"))
	}
	b.clock.Advance(time.Minute)
	got = append(got, arrive()) // 11m: ben (7m) before ana (10m); cara is full

	want := []string{"t1>ana", "t2>ben", "t3>cara", "t4>ana", "t5>cara", "t6>ben"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("offers (-want +got):\n%s", diff)
	}
}

// scnSelectorWorld: Ana (French 2) has held two of her three task slots since
// 2m, Ben (French 3) became Available at 3m, Cara (French 5) at 4m; at 5m a
// task needing French ≥ 1 arrives. Returns the agent it is offered to.
func scnSelectorWorld(t *testing.T, sel AgentSelector) string {
	b := newBench(t, &Config{Selector: sel})
	b.queue("billing")
	b.profile("desk", 3, "billing")
	french := func(level int) Proficiency { return Proficiency{Name: "Language", Value: "French", Level: level} }
	b.put(Agent{ID: "ana", RoutingProfileID: "desk", Proficiencies: []Proficiency{french(2)}})
	b.put(Agent{ID: "ben", RoutingProfileID: "desk", Proficiencies: []Proficiency{french(3)}, Status: StatusOffline})
	b.put(Agent{ID: "cara", RoutingProfileID: "desk", Proficiencies: []Proficiency{french(5)}, Status: StatusOffline})
	for range 2 {
		b.clock.Advance(time.Minute)
		id := b.create(TaskInput{QueueID: "billing"}).ID
		b.must(b.r.Accept(b.ctx, id, "ana"))
	}
	b.clock.Advance(time.Minute)
	b.status("ben", StatusAvailable)
	b.clock.Advance(time.Minute)
	b.status("cara", StatusAvailable)
	b.clock.Advance(time.Minute)
	b.wantOffers("t1>ana", "t2>ana")
	b.create(TaskInput{QueueID: "billing", RoutingCriteria: &RoutingCriteria{Steps: []RoutingStep{
		{Requirement: Proficient("Language", "French", 1)},
	}}})
	offers := b.offers()
	if len(offers) != 1 {
		t.Fatalf("offers %q, want one", offers)
	}
	return offers[0]
}

// The selector decides among eligible agents: longest idle (default), least
// occupied, most proficient in the active step's attributes.
func TestScenarioAgentSelectors(t *testing.T) {
	for _, tc := range []struct {
		name string
		sel  AgentSelector
		want string
	}{
		{"LongestIdle", nil, "t3>ana"},
		{"LeastOccupied", LeastOccupied, "t3>ben"}, // ben and cara hold 0/3; ben idle longer
		{"MostProficient", MostProficient, "t3>cara"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := scnSelectorWorld(t, tc.sel); got != tc.want {
				t.Errorf("offer %s, want %s", got, tc.want)
			}
		})
	}
}

// scnRandomWorld: five agents with ten slots each, thirty tasks; returns the
// offers.
func scnRandomWorld(t *testing.T, sel AgentSelector) []string {
	b := newBench(t, &Config{Selector: sel})
	b.queue("billing")
	b.profile("desk", 10, "billing")
	for _, id := range []string{"a1", "a2", "a3", "a4", "a5"} {
		b.agent(id, "desk")
	}
	for range 30 {
		b.clock.Advance(time.Second)
		t := b.create(TaskInput{QueueID: "billing"})
		b.must(b.r.Accept(b.ctx, t.ID, b.task(t.ID).AgentID))
	}
	return b.offers()
}

// RandomSelector(seed) picks differently from longest idle, and the same
// seed picks the same way every run.
func TestScenarioRandomSelectorIsDeterministicPerSeed(t *testing.T) {
	first := scnRandomWorld(t, RandomSelector(42))
	second := scnRandomWorld(t, RandomSelector(42))
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("same seed, different offers (-first +second):\n%s", diff)
	}
	if len(first) != 30 {
		t.Errorf("%d offers, want 30", len(first))
	}
	if diff := cmp.Diff(scnRandomWorld(t, nil), first); diff == "" {
		t.Errorf("RandomSelector(42) made exactly the longest-idle offers: %q", first)
	}
}

// ---- Rule 5: routing criteria ----

func scnFrench(level int) []Proficiency {
	return []Proficiency{{Name: "Language", Value: "French", Level: level}}
}

// Given a task that wants French ≥ 4 for 30 s, then French ≥ 2 for 30 s,
// then anyone: with no strong French speaker available it goes to Ana
// (French 2) at 30 s; a second such task, with Ana busy, goes to Ben (no
// French) at 60 s; a French-5 agent would have had it at once.
func TestScenarioRoutingCriteriaSteps(t *testing.T) {
	b := newBench(t, nil)
	rec := b.r.Subscribe(&SubscribeOptions{MaxPending: -1})
	b.queue("support")
	b.profile("desk", 1, "support")
	b.put(Agent{ID: "ana", RoutingProfileID: "desk", Proficiencies: scnFrench(2)})
	b.put(Agent{ID: "ben", RoutingProfileID: "desk"})
	b.put(Agent{ID: "cara", RoutingProfileID: "desk", Proficiencies: scnFrench(5), Status: StatusOffline})
	criteria := &RoutingCriteria{Steps: []RoutingStep{
		{Requirement: Proficient("Language", "French", 4), Expiry: 30 * time.Second},
		{Requirement: Proficient("Language", "French", 2), Expiry: 30 * time.Second},
	}}

	b.create(TaskInput{QueueID: "support", RoutingCriteria: criteria})
	b.create(TaskInput{QueueID: "support", RoutingCriteria: criteria})
	b.clock.Advance(29 * time.Second)
	b.wantOffers()
	b.clock.Advance(time.Second)
	b.wantOffers("t1>ana")
	b.must(b.r.Accept(b.ctx, "t1", "ana"))
	b.clock.Advance(29 * time.Second)
	b.wantOffers()
	b.clock.Advance(time.Second)
	b.wantOffers("t2>ben")

	want := []scnStep{{"t1", 30 * time.Second}, {"t2", 30 * time.Second}, {"t2", 60 * time.Second}}
	if diff := cmp.Diff(want, scnSteps(rec.Drain())); diff != "" {
		t.Errorf("routing-step events (-want +got):\n%s", diff)
	}

	// A strong French speaker takes the same kind of task at once.
	b.status("cara", StatusAvailable)
	b.create(TaskInput{QueueID: "support", RoutingCriteria: criteria})
	b.wantOffers("t3>cara")
}

// Given a task that prefers Ben for 30 s: if Ben frees up within the 30 s he
// gets it, though Ana has been idle longer; a second such task, with Ben busy,
// falls back to Ana when the step expires.
func TestScenarioPreferredAgentThenFallback(t *testing.T) {
	b := newBench(t, nil)
	b.queue("support")
	b.profile("desk", 1, "support")
	b.agent("ana", "desk")
	b.clock.Advance(time.Minute)
	b.agent("ben", "desk")
	b.clock.Advance(time.Minute)
	warmup := b.create(TaskInput{AgentID: "ben"}).ID // keeps Ben busy
	b.must(b.r.Accept(b.ctx, warmup, "ben"))
	b.wantOffers(warmup + ">ben")
	prefersBen := &RoutingCriteria{Steps: []RoutingStep{{Requirement: PreferredAgents("ben"), Expiry: 30 * time.Second}}}

	first := b.create(TaskInput{QueueID: "support", RoutingCriteria: prefersBen}).ID
	b.clock.Advance(10 * time.Second)
	b.wantOffers()
	b.handle(warmup)
	b.wantOffers(first + ">ben")
	b.must(b.r.Accept(b.ctx, first, "ben"))

	second := b.create(TaskInput{QueueID: "support", RoutingCriteria: prefersBen}).ID // at 2m10s
	b.clock.Advance(29 * time.Second)
	b.wantOffers()
	b.clock.Advance(time.Second)
	b.wantOffers(second + ">ana")
}

// A step without expiry never expires: the task waits for a matching agent
// for days. Updating its criteria activates the new steps from that moment.
func TestScenarioStepWithoutExpiryAndCriteriaUpdate(t *testing.T) {
	b := newBench(t, nil)
	rec := b.r.Subscribe(&SubscribeOptions{MaxPending: -1})
	b.queue("support")
	b.profile("desk", 1, "support")
	b.put(Agent{ID: "ana", RoutingProfileID: "desk", Proficiencies: []Proficiency{{Name: "Language", Value: "German", Level: 3}}})

	b.create(TaskInput{QueueID: "support", RoutingCriteria: &RoutingCriteria{Steps: []RoutingStep{
		{Requirement: Proficient("Language", "French", 4)},
	}}})
	b.clock.Advance(6 * 24 * time.Hour)
	b.wantOffers()
	b.wantState("t1", StateQueued, "")
	if steps := scnSteps(rec.Drain()); len(steps) != 0 {
		t.Errorf("a step without expiry moved: %v", steps)
	}

	// New criteria: German ≥ 4 for 60 s (Ana has 3), then anyone.
	at := b.clock.Now()
	b.must(b.r.UpdateRouting(b.ctx, "t1", RoutingUpdate{Criteria: &RoutingCriteria{Steps: []RoutingStep{
		{Requirement: Proficient("Language", "German", 4), Expiry: 60 * time.Second},
	}}}))
	if got := b.task("t1").CriteriaActivatedAt; !got.Equal(at) {
		t.Errorf("CriteriaActivatedAt t0+%s, want t0+%s", got.Sub(t0), at.Sub(t0))
	}
	b.clock.Advance(59 * time.Second)
	b.wantOffers()
	b.clock.Advance(time.Second)
	b.wantOffers("t1>ana")
	want := []scnStep{{"t1", at.Add(60 * time.Second).Sub(t0)}}
	if diff := cmp.Diff(want, scnSteps(rec.Drain())); diff != "" {
		t.Errorf("routing-step events (-want +got):\n%s", diff)
	}
}

// Updating criteria after every step has expired re-activates them: the task
// is again restricted, from the update on.
func TestScenarioCriteriaUpdateReactivatesExpiredSteps(t *testing.T) {
	b := newBench(t, nil)
	b.queue("support")
	b.profile("desk", 1, "support")
	b.put(Agent{ID: "ana", RoutingProfileID: "desk", Status: StatusOffline})
	steps := &RoutingCriteria{Steps: []RoutingStep{{Requirement: Proficient("Language", "French", 4), Expiry: 30 * time.Second}}}

	b.create(TaskInput{QueueID: "support", RoutingCriteria: steps})
	b.clock.Advance(40 * time.Second) // every step expired: anyone would do
	b.must(b.r.UpdateRouting(b.ctx, "t1", RoutingUpdate{Criteria: steps}))
	b.status("ana", StatusAvailable) // at 40 s, but French ≥ 4 applies again until 70 s
	b.clock.Advance(29 * time.Second)
	b.wantOffers()
	b.clock.Advance(time.Second)
	b.wantOffers("t1>ana")
}

// ---- Rule 11: determinism ----

// scnEvent is an event without its Seq and error, for comparing runs.
type scnEvent struct {
	Type    EventType
	At      time.Duration
	Task    string
	Agent   string
	Queue   string
	State   TaskState
	Status  AgentStatus
	Related string
}

func scnEvents(evs []Event) []scnEvent {
	out := make([]scnEvent, len(evs))
	for i, e := range evs {
		out[i] = scnEvent{e.Type, e.Time.Sub(t0), e.TaskID, e.AgentID, e.QueueID, e.State, e.Status, e.RelatedTaskID}
	}
	return out
}

// scnBusyDay runs a busy morning: three agents on two profiles with delays,
// criteria, misses, rejects, transfers, ACW limits and a scheduled task.
func scnBusyDay(b *bench) {
	b.queue("billing")
	b.queue("sales")
	b.must(b.r.PutRoutingProfile(b.ctx, RoutingProfile{ID: "front",
		Concurrency: []MediaConcurrency{{Channel: ChannelTask, Concurrency: 2, CrossChannel: AnyChannel}, {Channel: ChannelChat, Concurrency: 2}},
		Queues: []QueueConfig{
			{QueueID: "billing", Priority: 1},
			{QueueID: "sales", Priority: 2, Delay: 20 * time.Second},
			{QueueID: "billing", Channel: ChannelChat, Priority: 1},
		}}))
	b.must(b.r.PutRoutingProfile(b.ctx, RoutingProfile{ID: "back",
		Concurrency: []MediaConcurrency{{Channel: ChannelTask, Concurrency: 3}},
		Queues:      []QueueConfig{{QueueID: "sales", Priority: 1}, {QueueID: "billing", Priority: 3, Delay: 45 * time.Second}}}))
	b.put(Agent{ID: "ana", RoutingProfileID: "front", Proficiencies: scnFrench(4),
		AfterContactWorkLimit: map[Channel]time.Duration{ChannelTask: 40 * time.Second}})
	b.put(Agent{ID: "ben", RoutingProfileID: "front", AutoAccept: []Channel{ChannelChat}})
	b.put(Agent{ID: "cara", RoutingProfileID: "back", Proficiencies: scnFrench(2)})
	french := &RoutingCriteria{Steps: []RoutingStep{{Requirement: Proficient("Language", "French", 3), Expiry: 50 * time.Second}}}
	b.create(TaskInput{QueueID: "sales", ScheduledAt: t0.Add(5 * time.Minute)})
	for i := range 24 {
		b.clock.Advance(7 * time.Second)
		in := TaskInput{QueueID: "billing", Priority: 1 + i%3}
		switch i % 4 {
		case 1:
			in.QueueID = "sales"
		case 2:
			in.RoutingCriteria = french
		case 3:
			in.Channel = ChannelChat
		}
		b.create(in)
		// Everyone handles what they hold, each in their own way.
		for _, id := range []string{"ana", "ben", "cara"} {
			held, err := b.r.AgentTasks(id)
			b.must(err)
			for j, t := range held {
				switch {
				case t.State == StateOffered && id == "cara" && i%5 == 0:
					b.must(b.r.Reject(b.ctx, t.ID, id))
				case t.State == StateOffered && id == "ben" && i%3 == 0:
					// Ben lets it time out.
				case t.State == StateOffered:
					b.must(b.r.Accept(b.ctx, t.ID, id))
				case t.State == StateConnected && j == 0 && i%2 == 0:
					b.must(b.r.Complete(b.ctx, t.ID))
				case t.State == StateConnected && i%7 == 3:
					if _, err := b.r.Transfer(b.ctx, t.ID, TransferTarget{QueueID: "sales"}); err != nil {
						b.t.Fatalf("Transfer(%s): %v", t.ID, err)
					}
				case t.State == StateAfterContactWork && id != "ana":
					b.must(b.r.CloseAfterContactWork(b.ctx, t.ID))
				}
			}
			if a := b.agentNow(id); a.Blocked != NotBlocked && i%2 == 1 {
				b.must(b.r.ClearAgent(b.ctx, id))
			}
		}
	}
	b.clock.Advance(10 * time.Minute)
}

// The same inputs at the same clock readings give the same events, in the
// same order, at the same instants.
func TestScenarioDeterministicReplay(t *testing.T) {
	var runs [2][]scnEvent
	for i := range runs {
		b := newBench(t, nil)
		scnBusyDay(b)
		runs[i] = scnEvents(b.sub.Drain())
	}
	if len(runs[0]) < 100 {
		t.Fatalf("only %d events: the script does too little", len(runs[0]))
	}
	if diff := cmp.Diff(runs[0], runs[1]); diff != "" {
		t.Errorf("two runs differ (-first +second):\n%s", diff)
	}
	kinds := map[EventType]int{}
	for _, e := range runs[0] {
		kinds[e.Type]++
	}
	for _, k := range []EventType{EventTaskOffered, EventTaskMissed, EventTaskRejected, EventTaskTransferred,
		EventTaskCompleted, EventTaskRoutingStep, EventTaskAccepted} {
		if kinds[k] == 0 {
			t.Errorf("the script produced no %s event; kinds: %v", k, fmt.Sprint(kinds))
		}
	}
}

// Routing criteria do not apply in agent queues: a task waiting for a French
// speaker, transferred to Ana (no French), is offered to her.
func TestScenarioCriteriaIgnoredInAgentQueue(t *testing.T) {
	b := newBench(t, nil)
	b.queue("support")
	b.profile("desk", 1, "support")
	b.agent("ana", "desk")
	b.create(TaskInput{QueueID: "support", RoutingCriteria: &RoutingCriteria{Steps: []RoutingStep{
		{Requirement: Proficient("Language", "French", 5)},
	}}})
	b.clock.Advance(time.Minute)
	b.wantOffers()
	nt, err := b.r.Transfer(b.ctx, "t1", TransferTarget{AgentID: "ana"})
	b.must(err)
	b.wantOffers(nt.ID + ">ana")
}

// A transfer activates the routing criteria afresh in the new queue: steps
// that had expired in the old queue apply again from the transfer.
func TestScenarioTransferReactivatesCriteria(t *testing.T) {
	b := newBench(t, nil)
	b.queue("billing") // nobody works billing
	b.queue("sales")
	b.profile("sellers", 1, "sales")
	b.agent("ben", "sellers")
	b.create(TaskInput{QueueID: "billing", RoutingCriteria: &RoutingCriteria{Steps: []RoutingStep{
		{Requirement: Proficient("Language", "French", 4), Expiry: 30 * time.Second},
	}}})
	b.clock.Advance(40 * time.Second)
	nt, err := b.r.Transfer(b.ctx, "t1", TransferTarget{QueueID: "sales"})
	b.must(err)
	b.clock.Advance(30*time.Second - time.Nanosecond)
	b.wantOffers()
	b.clock.Advance(time.Nanosecond)
	b.wantOffers(nt.ID + ">ben")
}

// Changing a routing profile, or moving an agent to another profile, makes
// the agent look for work at once.
func TestScenarioProfileChangePullsWaitingWork(t *testing.T) {
	b := newBench(t, nil)
	b.queue("billing")
	b.queue("sales")
	b.profile("sellers", 1, "sales")
	b.profile("billers", 1, "billing")
	b.agent("ana", "sellers")
	b.agent("ben", "sellers")
	b.create(TaskInput{QueueID: "billing"})
	b.create(TaskInput{QueueID: "billing"})
	b.wantOffers()

	b.profile("sellers", 1, "sales", "billing") // both now see billing
	b.wantOffers("t1>ana", "t2>ben")
	b.handle("t1")
	b.handle("t2")

	b.profile("sellers", 1, "sales")
	b.create(TaskInput{QueueID: "billing"})
	b.wantOffers()
	b.put(Agent{ID: "ben", RoutingProfileID: "billers"})
	b.wantOffers("t3>ben")
}
