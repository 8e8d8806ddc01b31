package switchboard

import (
	"context"
	"slices"
	"testing"
	"time"
)

// Scenario tests for the re-offer cool-down and priority ageing
// (docs/routing.md, "cooling" and "effective priority"), as stories on a
// manual clock.

// dur returns a pointer to d, for Queue.ReofferCooldown.
func dur(d time.Duration) *time.Duration { return &d }

// offerTimes returns the offers since the last drain as "task>agent@offset".
func (b *bench) offerTimes() []string {
	var out []string
	for _, e := range b.sub.Drain() {
		if e.Type == EventTaskOffered {
			out = append(out, e.TaskID+">"+e.AgentID+"@"+e.Time.Sub(t0).String())
		}
	}
	return out
}

func (b *bench) wantOfferTimes(want ...string) {
	b.t.Helper()
	if got := b.offerTimes(); !slices.Equal(got, want) {
		b.t.Fatalf("at t0+%s offers %q, want %q", b.clock.Now().Sub(t0), got, want)
	}
}

// advanceTo moves the manual clock to t0+d.
func (b *bench) advanceTo(d time.Duration) { b.clock.Set(t0.Add(d)) }

// TestCooldownLoneAgentReject: Ana is the only agent and stays available
// after rejecting (StayAvailable). With a 30 s cool-down the task waits
// instead of bouncing straight back, and is offered to her again at exactly
// t0+35s, 30 s after her reject.
func TestCooldownLoneAgentReject(t *testing.T) {
	b := newBench(t, &Config{MissedPolicy: StayAvailable, ReofferCooldown: 30 * time.Second})
	b.queue("q")
	b.profile("desk", 1, "q")
	b.agent("ana", "desk")
	b.create(TaskInput{QueueID: "q"})
	b.wantOfferTimes("t1>ana@0s")

	b.advanceTo(5 * time.Second)
	b.must(b.r.Reject(b.ctx, "t1", "ana"))
	b.wantOfferTimes() // no bounce
	b.wantState("t1", StateQueued, "")
	if tk := b.task("t1"); !slices.Equal(tk.RejectedBy, []string{"ana"}) || len(tk.RejectedAt) != 1 || !tk.RejectedAt[0].Equal(t0.Add(5*time.Second)) {
		t.Fatalf("RejectedBy %v RejectedAt %v, want [ana] [t0+5s]", tk.RejectedBy, tk.RejectedAt)
	}

	b.advanceTo(35*time.Second - time.Nanosecond)
	b.wantOfferTimes()
	b.advanceTo(35 * time.Second)
	b.wantOfferTimes("t1>ana@35s")
}

// TestCooldownOtherAgentAtOnce: with Ben also able to take the task, Ana's
// reject sends it to Ben at once; the cool-down only holds Ana back.
func TestCooldownOtherAgentAtOnce(t *testing.T) {
	b := newBench(t, &Config{MissedPolicy: StayAvailable, ReofferCooldown: time.Minute})
	b.queue("q")
	b.profile("desk", 1, "q")
	b.agent("ana", "desk")
	b.agent("ben", "desk")
	b.create(TaskInput{QueueID: "q"})
	b.wantOfferTimes("t1>ana@0s")
	b.advanceTo(2 * time.Second)
	if err := b.r.Reject(b.ctx, "t1", "ben"); err == nil { // not his offer
		t.Fatal("Ben rejected Ana's offer")
	}
	b.must(b.r.Reject(b.ctx, "t1", "ana"))
	b.wantOfferTimes("t1>ben@2s")
	// Ben rejects too: both cool down, and the first whose cool-down ends
	// (Ana, at 62 s) gets it at that instant.
	b.advanceTo(10 * time.Second)
	b.must(b.r.Reject(b.ctx, "t1", "ben"))
	b.wantOfferTimes()
	b.advanceTo(62 * time.Second)
	b.wantOfferTimes("t1>ana@1m2s")
}

// TestCooldownMissedOffer: an offer Ana lets time out (20 s) is a miss; the
// queue's own 10 s cool-down (overriding the router's 5 minutes) holds the
// task until t0+30s, then it is hers again.
func TestCooldownMissedOffer(t *testing.T) {
	b := newBench(t, &Config{MissedPolicy: StayAvailable, ReofferCooldown: 5 * time.Minute})
	b.must(b.r.PutQueue(b.ctx, Queue{ID: "q", Name: "q", ReofferCooldown: dur(10 * time.Second)}))
	b.profile("desk", 1, "q")
	b.agent("ana", "desk")
	b.create(TaskInput{QueueID: "q"})
	b.wantOfferTimes("t1>ana@0s")
	b.advanceTo(30*time.Second - time.Nanosecond)
	b.wantOfferTimes()
	b.wantState("t1", StateQueued, "")
	b.advanceTo(30 * time.Second)
	b.wantOfferTimes("t1>ana@30s")
}

// TestCooldownAfterClear: under BlockUntilCleared the agent is blocked until
// ClearAgent; clearing early does not end the cool-down. A second task she
// has not turned down reaches her as soon as she is cleared.
func TestCooldownAfterClear(t *testing.T) {
	b := newBench(t, &Config{ReofferCooldown: 30 * time.Second})
	b.queue("q")
	b.profile("desk", 1, "q")
	b.agent("ana", "desk")
	b.create(TaskInput{QueueID: "q"})
	b.create(TaskInput{QueueID: "q", Priority: 9})
	b.wantOfferTimes("t1>ana@0s")
	b.must(b.r.Reject(b.ctx, "t1", "ana"))
	b.advanceTo(5 * time.Second)
	b.must(b.r.ClearAgent(b.ctx, "ana"))
	b.wantOfferTimes("t2>ana@5s") // t1 is cooling for her, t2 is not
	b.handle("t2")
	b.wantOfferTimes()
	b.advanceTo(30 * time.Second)
	b.wantOfferTimes("t1>ana@30s")
}

// TestCooldownAgentQueue: a task in Ana's own agent queue uses the router's
// cool-down too.
func TestCooldownAgentQueue(t *testing.T) {
	b := newBench(t, &Config{MissedPolicy: StayAvailable, ReofferCooldown: 15 * time.Second})
	b.queue("q")
	b.profile("desk", 1, "q")
	b.agent("ana", "desk")
	b.create(TaskInput{AgentID: "ana"})
	b.wantOfferTimes("t1>ana@0s")
	b.must(b.r.Reject(b.ctx, "t1", "ana"))
	b.advanceTo(15*time.Second - time.Nanosecond)
	b.wantOfferTimes()
	b.advanceTo(15 * time.Second)
	b.wantOfferTimes("t1>ana@15s")
}

// ageingWorld: queue "q" ages one step a minute down to floor 2; Ana serves
// it but is on a break.
func ageingWorld(t *testing.T) *bench {
	b := newBench(t, nil)
	b.must(b.r.PutQueue(b.ctx, Queue{ID: "q", Name: "q", PriorityAgeing: &PriorityAgeing{Every: time.Minute, Floor: 2}}))
	b.profile("desk", 1, "q")
	b.put(Agent{ID: "ana", RoutingProfileID: "desk", Status: "Break"})
	return b
}

// effective returns the effective priorities of tasks.
func (b *bench) effective(ids ...string) []int {
	var out []int
	for _, id := range ids {
		out = append(out, b.task(id).EffectivePriority)
	}
	return out
}

// TestAgeingOvertakes: t1 (priority 5) has waited since t0; t2 (priority 2,
// already at the floor) arrives at 30 s. t1 ages to 4 at 1m, 3 at 2m and 2
// at 3m, when it ties t2's priority and its older routing age puts it first:
// exactly then, not a nanosecond before. The floor then holds.
func TestAgeingOvertakes(t *testing.T) {
	b := ageingWorld(t)
	b.create(TaskInput{QueueID: "q", Priority: 5})
	version := b.task("t1").Version
	b.advanceTo(30 * time.Second)
	b.create(TaskInput{QueueID: "q", Priority: 2})
	if got := b.effective("t1", "t2"); !slices.Equal(got, []int{5, 2}) {
		t.Fatalf("effective priorities %v, want [5 2]", got)
	}
	b.advanceTo(3*time.Minute - time.Nanosecond)
	if got, want := b.queuedIDs("q"), []string{"t2", "t1"}; !slices.Equal(got, want) {
		t.Fatalf("line %v, want %v", got, want)
	}
	if got := b.effective("t1"); got[0] != 3 {
		t.Fatalf("t1 effective priority %d at 3m-1ns, want 3", got[0])
	}
	b.sub.Drain()
	b.advanceTo(3 * time.Minute)
	if got, want := b.queuedIDs("q"), []string{"t1", "t2"}; !slices.Equal(got, want) {
		t.Fatalf("line %v at 3m, want %v", got, want)
	}
	evs := b.sub.Drain()
	if len(evs) != 1 || evs[0].Type != EventTaskPriorityAged || evs[0].TaskID != "t1" || !evs[0].Time.Equal(t0.Add(3*time.Minute)) {
		t.Fatalf("events at 3m: %v, want one task.priority_aged for t1", scnEvents(evs))
	}
	// The floor holds: nothing ages further, Priority is unchanged.
	b.advanceTo(time.Hour)
	if evs := b.sub.Drain(); len(evs) != 0 {
		t.Fatalf("events after the floor: %v", scnEvents(evs))
	}
	if got := b.effective("t1", "t2"); !slices.Equal(got, []int{2, 2}) || b.task("t1").Priority != 5 {
		t.Fatalf("effective priorities %v (t1 priority %d), want [2 2] and 5", got, b.task("t1").Priority)
	}
	if v := b.task("t1").Version; v != version {
		t.Fatalf("t1 Version %d after ageing, want %d: ageing is derived, never written", v, version)
	}
	b.status("ana", StatusAvailable)
	b.wantOffers("t1>ana")
}

// TestAgeingKeepsAgeAfterReject: a task returned by a reject keeps its
// EnqueuedAt and so its age; QueueTimeAdjustment does not age it.
func TestAgeingKeepsAgeAfterReject(t *testing.T) {
	b := ageingWorld(t)
	b.create(TaskInput{QueueID: "q", Priority: 5, QueueTimeAdjustment: time.Hour})
	b.advanceTo(90 * time.Second)
	if got := b.effective("t1"); got[0] != 4 {
		t.Fatalf("effective priority %d at 90s, want 4 (the adjustment does not count)", got[0])
	}
	b.status("ana", StatusAvailable)
	b.wantOffers("t1>ana")
	b.advanceTo(100 * time.Second)
	b.must(b.r.Reject(b.ctx, "t1", "ana"))
	b.must(b.r.ClearAgent(b.ctx, "ana"))
	b.wantOffers("t1>ana")
	// Ana goes on a break and the offer times out at 120 s: the task ages on
	// from its EnqueuedAt (3 at 2 minutes), as if it had never left.
	b.advanceTo(115 * time.Second)
	b.must(b.r.SetAgentStatus(b.ctx, "ana", "Break"))
	b.advanceTo(125 * time.Second)
	if tk := b.task("t1"); tk.State != StateQueued || tk.EffectivePriority != 3 {
		t.Fatalf("t1 %s effective %d at 125s, want QUEUED 3", tk.State, tk.EffectivePriority)
	}
}

// TestAgeingRestart: a router closed and reopened over the same store
// rebuilds the same effective priorities, the same line and the same next
// ageing instant, with no store writes for ageing; the events that follow
// are those of a router that never stopped.
func TestAgeingRestart(t *testing.T) {
	cfg := &Config{MissedPolicy: StayAvailable, ReofferCooldown: 40 * time.Second}
	script := func(b *bench, restart func()) {
		b.must(b.r.PutQueue(b.ctx, Queue{ID: "q", Name: "q", PriorityAgeing: &PriorityAgeing{Every: time.Minute, Floor: 1}}))
		b.profile("desk", 1, "q")
		b.put(Agent{ID: "ana", RoutingProfileID: "desk", Status: "Break"})
		b.create(TaskInput{QueueID: "q", Priority: 6})
		b.advanceTo(20 * time.Second)
		b.create(TaskInput{QueueID: "q", Priority: 4})
		b.advanceTo(150 * time.Second) // t1 at 4, t2 at 3
		b.status("ana", StatusAvailable)
		b.wantOffers("t2>ana")
		b.must(b.r.Reject(b.ctx, "t2", "ana")) // cooling for t2 until 190 s
		b.wantOffers("t1>ana")
		b.must(b.r.Reject(b.ctx, "t1", "ana")) // and for t1
		b.wantOffers()
		restart()
		b.advanceTo(170 * time.Second)
		b.advanceTo(4 * time.Minute)
		b.advanceTo(10 * time.Minute)
	}
	scnCompareRuns(t, cfg, script)

	// The same, looking inside: line, effective priorities and timers.
	b := newBench(t, cfg)
	var before []string
	var beforeEff []int
	var beforeAt [2]int64
	script(b, func() {
		before, beforeEff = b.queuedIDs("q"), b.effective("t1", "t2")
		b.r.mu.Lock()
		beforeAt = [2]int64{b.r.tasks["t1"].timers[timerAge].At, b.r.tasks["t1"].timers[timerCooldown].At}
		b.r.mu.Unlock()
		b.must(b.r.Close(context.Background()))
		b.open(cfg)
		if got := b.queuedIDs("q"); !slices.Equal(got, before) {
			t.Fatalf("line after restart %v, before %v", got, before)
		}
		if got := b.effective("t1", "t2"); !slices.Equal(got, beforeEff) {
			t.Fatalf("effective priorities after restart %v, before %v", got, beforeEff)
		}
		b.r.mu.Lock()
		afterAt := [2]int64{b.r.tasks["t1"].timers[timerAge].At, b.r.tasks["t1"].timers[timerCooldown].At}
		b.r.mu.Unlock()
		if afterAt != beforeAt || afterAt[0] != t0.Add(3*time.Minute).UnixNano() {
			t.Fatalf("t1 next ageing and cool-down end after restart %v, before %v (want ageing at t0+3m)", afterAt, beforeAt)
		}
	})
}

// TestAgeingPutQueue: adding an ageing rule to a queue with waiting tasks
// re-derives their effective priorities at once from their EnqueuedAt.
func TestAgeingPutQueue(t *testing.T) {
	b := newBench(t, nil)
	b.queue("q")
	b.profile("desk", 1, "q")
	b.put(Agent{ID: "ana", RoutingProfileID: "desk", Status: "Break"})
	b.create(TaskInput{QueueID: "q", Priority: 9})
	b.advanceTo(5 * time.Minute)
	b.create(TaskInput{QueueID: "q", Priority: 6})
	if got := b.queuedIDs("q"); !slices.Equal(got, []string{"t2", "t1"}) {
		t.Fatalf("line %v", got)
	}
	b.must(b.r.PutQueue(b.ctx, Queue{ID: "q", Name: "q", PriorityAgeing: &PriorityAgeing{Every: time.Minute, Floor: 1}}))
	if got := b.effective("t1", "t2"); !slices.Equal(got, []int{4, 6}) {
		t.Fatalf("effective priorities %v, want [4 6]", got)
	}
	if got := b.queuedIDs("q"); !slices.Equal(got, []string{"t1", "t2"}) {
		t.Fatalf("line %v", got)
	}
	b.must(b.r.PutQueue(b.ctx, Queue{ID: "q", Name: "q"}))
	if got := b.effective("t1", "t2"); !slices.Equal(got, []int{9, 6}) {
		t.Fatalf("effective priorities after removing the rule %v, want [9 6]", got)
	}
}

// TestAgeingValidation: bad rules are *ValidationError naming the field.
func TestAgeingValidation(t *testing.T) {
	b := newBench(t, nil)
	wantValidation(t, b.r.PutQueue(b.ctx, Queue{ID: "q", Name: "q", PriorityAgeing: &PriorityAgeing{Every: 500 * time.Millisecond, Floor: 1}}), "Queue.PriorityAgeing.Every", "at least 1s")
	wantValidation(t, b.r.PutQueue(b.ctx, Queue{ID: "q", Name: "q", PriorityAgeing: &PriorityAgeing{Every: time.Minute}}), "Queue.PriorityAgeing.Floor", "1 or more")
	wantValidation(t, b.r.PutQueue(b.ctx, Queue{ID: "q", Name: "q", ReofferCooldown: dur(-time.Second)}), "Queue.ReofferCooldown", "0..90 days")
	_, err := NewRouter(b.ctx, nil, &Config{ReofferCooldown: -time.Second})
	wantValidation(t, err, "Config.ReofferCooldown", "0..90 days")
}
