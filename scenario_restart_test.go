package switchboard

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Scenario tests for restarts: a router closed and reopened over the same
// store and clock continues exactly as one that never stopped. Each story
// runs twice, once with a restart at the marked point and once without, and
// the events after that point must be the same (Seq aside, since a new router
// numbers its events afresh).

// scnWorld is what a restart must preserve: every task, every agent's runtime
// state and every queue's line.
type scnWorld struct {
	Tasks  map[string]*Task
	Agents map[string]*Agent
	Lines  map[string][]string
}

func scnCapture(b *bench, queues []string, agents []string) scnWorld {
	b.t.Helper()
	w := scnWorld{Tasks: map[string]*Task{}, Agents: map[string]*Agent{}, Lines: map[string][]string{}}
	for i := 1; i <= b.ids; i++ {
		id := fmt.Sprintf("t%d", i)
		w.Tasks[id] = b.task(id)
	}
	for _, id := range agents {
		w.Agents[id] = b.agentNow(id)
	}
	for _, q := range queues {
		w.Lines[q] = b.queuedIDs(q)
	}
	return w
}

// scnRun runs script on a new bench; restart is called at the script's
// restart point. It returns every event after that point.
func scnRun(t *testing.T, cfg *Config, script func(b *bench, restart func()), restart bool) []scnEvent {
	b := newBench(t, cfg)
	var rec *Subscription
	script(b, func() {
		b.t.Helper()
		if restart {
			b.must(b.r.Close(context.Background()))
			b.open(cfg)
		}
		// The script drains b.sub as it checks offers; record separately.
		rec = b.r.Subscribe(&SubscribeOptions{MaxPending: -1})
	})
	if rec == nil {
		t.Fatal("the script has no restart point")
	}
	return scnEvents(rec.Drain())
}

// scnCompareRuns runs script with and without a restart and compares what
// happens after the restart point.
func scnCompareRuns(t *testing.T, cfg *Config, script func(b *bench, restart func())) {
	t.Helper()
	want := scnRun(t, cfg, script, false)
	got := scnRun(t, cfg, script, true)
	if len(want) == 0 {
		t.Fatal("the reference run has no events after the restart point")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events after the restart point (-never restarted +restarted):\n%s", diff)
	}
}

// scnBillingFloor: Ana (two slots, 2-minute ACW limit) holds t1 in
// after-contact work and t2 connected; Ben rejected t3 and is blocked; t4–t6
// wait with priorities 1, 9, 5; t7 is scheduled for 10m; t8 waits for a French
// speaker until 3m30s; Cara has an offer of t4 pending until 2m20s. The
// restart point is 2m05s. Afterwards the script checks that each of these
// continues on time.
func scnBillingFloor(b *bench, restart func()) {
	at := func(d time.Duration) { b.t.Helper(); b.clock.Set(t0.Add(d)) }
	b.queue("billing")
	b.profile("desk", 2, "billing")
	b.profile("solo", 1, "billing")
	b.put(Agent{ID: "ana", RoutingProfileID: "desk", AfterContactWorkLimit: map[Channel]time.Duration{ChannelTask: 2 * time.Minute}})
	b.put(Agent{ID: "ben", RoutingProfileID: "desk", Status: StatusOffline})
	b.put(Agent{ID: "cara", RoutingProfileID: "solo", Status: StatusOffline})

	b.create(TaskInput{QueueID: "billing"})
	b.create(TaskInput{QueueID: "billing"})
	b.must(b.r.Accept(b.ctx, "t1", "ana"))
	b.must(b.r.Accept(b.ctx, "t2", "ana"))
	at(10 * time.Second)
	b.status("ben", StatusAvailable)
	b.create(TaskInput{QueueID: "billing"})
	at(15 * time.Second)
	b.must(b.r.Reject(b.ctx, "t3", "ben"))
	for i, prio := range []int{1, 9, 5} {
		at(time.Duration(20+i) * time.Second)
		b.create(TaskInput{QueueID: "billing", Priority: prio})
	}
	at(25 * time.Second)
	b.create(TaskInput{QueueID: "billing", ScheduledAt: t0.Add(10 * time.Minute)})
	at(30 * time.Second)
	b.create(TaskInput{QueueID: "billing", RoutingCriteria: &RoutingCriteria{Steps: []RoutingStep{
		{Requirement: Proficient("Language", "French", 5), Expiry: 3 * time.Minute},
	}}})
	at(time.Minute)
	b.must(b.r.Complete(b.ctx, "t1"))
	at(2 * time.Minute)
	b.status("cara", StatusAvailable)
	b.wantOffers("t1>ana", "t2>ana", "t3>ben", "t4>cara")
	at(2*time.Minute + 5*time.Second)

	queues, agents := []string{"billing"}, []string{"ana", "ben", "cara"}
	before := scnCapture(b, queues, agents)
	if diff := cmp.Diff([]string{"t3", "t6", "t8", "t5"}, before.Lines["billing"]); diff != "" {
		b.t.Fatalf("set-up: line (-want +got):\n%s", diff)
	}
	restart()
	if diff := cmp.Diff(before, scnCapture(b, queues, agents)); diff != "" {
		b.t.Fatalf("state after the restart point (-before +after):\n%s", diff)
	}

	// Cara's offer times out at its original deadline.
	at(2*time.Minute + 20*time.Second - time.Nanosecond)
	b.wantState("t4", StateOffered, "cara")
	at(2*time.Minute + 20*time.Second)
	b.wantState("t4", StateQueued, "")
	if diff := cmp.Diff([]string{"t4", "t3", "t6", "t8", "t5"}, b.queuedIDs("billing")); diff != "" {
		b.t.Fatalf("line after the miss (-want +got):\n%s", diff)
	}
	// Ana's after-contact work ends at its limit, and she takes the head of the line.
	at(3*time.Minute - time.Nanosecond)
	b.wantState("t1", StateAfterContactWork, "ana")
	at(3 * time.Minute)
	b.wantState("t1", StateCompleted, "ana")
	b.wantOffers("t4>ana")
	at(3*time.Minute + 5*time.Second)
	b.must(b.r.Accept(b.ctx, "t4", "ana"))
	// The French step expires on time (nobody is free to take t8 yet).
	at(4 * time.Minute)
	// Ben is still blocked until cleared; then he takes the next two in line.
	at(5 * time.Minute)
	if got := b.agentNow("ben").Blocked; got != BlockedRejected {
		b.t.Fatalf("ben blocked %q at 5m, want REJECTED", got)
	}
	b.wantOffers()
	b.must(b.r.ClearAgent(b.ctx, "ben"))
	b.wantOffers("t3>ben", "t6>ben")
	b.must(b.r.Accept(b.ctx, "t3", "ben"))
	b.must(b.r.Accept(b.ctx, "t6", "ben"))
	// The scheduled task enters the line on time.
	at(10*time.Minute - time.Nanosecond)
	b.wantState("t7", StateScheduled, "")
	at(10 * time.Minute)
	b.wantState("t7", StateQueued, "")
	if diff := cmp.Diff([]string{"t8", "t7", "t5"}, b.queuedIDs("billing")); diff != "" {
		b.t.Fatalf("line at 10m (-want +got):\n%s", diff)
	}
	at(10*time.Minute + 30*time.Second)
	b.must(b.r.ClearAgent(b.ctx, "cara"))
	b.wantOffers("t8>cara")
	at(15 * time.Minute)
}

// A restart in the middle of a busy floor changes nothing: the line, the
// pending offer's deadline, the ACW limit, the schedule, the routing step and
// the blocked agents all carry on, with the same events as a run that never
// stopped.
func TestRestartContinuesExactly(t *testing.T) {
	scnCompareRuns(t, nil, scnBillingFloor)
}

// scnDelayedFloor: Ana sees billing after 30 s and has two slots; t1 waits
// plain, t2 wants French ≥ 4 for 45 s. The restart point is 10 s: the delay
// and the step expiry must both fire on time afterwards.
func scnDelayedFloor(b *bench, restart func()) {
	b.queue("billing")
	b.must(b.r.PutRoutingProfile(b.ctx, RoutingProfile{ID: "late",
		Concurrency: []MediaConcurrency{{Channel: ChannelTask, Concurrency: 2}},
		Queues:      []QueueConfig{{QueueID: "billing", Priority: 1, Delay: 30 * time.Second}}}))
	b.agent("ana", "late")
	b.create(TaskInput{QueueID: "billing"})
	b.create(TaskInput{QueueID: "billing", RoutingCriteria: &RoutingCriteria{Steps: []RoutingStep{
		{Requirement: Proficient("Language", "French", 4), Expiry: 45 * time.Second},
	}}})
	b.clock.Advance(10 * time.Second)
	restart()
	b.clock.Advance(20*time.Second - time.Nanosecond)
	b.wantOffers()
	b.clock.Advance(time.Nanosecond) // 30 s: the delay passes
	b.wantOffers("t1>ana")
	b.must(b.r.Accept(b.ctx, "t1", "ana"))
	b.clock.Advance(15*time.Second - time.Nanosecond)
	b.wantOffers()
	b.clock.Advance(time.Nanosecond) // 45 s: the French step expires
	b.wantOffers("t2>ana")
	b.clock.Advance(time.Minute)
}

// Queue delays and routing-step expiries pending at a restart fire at their
// original instants.
func TestRestartResumesDelayAndRoutingStep(t *testing.T) {
	scnCompareRuns(t, nil, scnDelayedFloor)
}

// scnSameInstant: t1 waits while Ana is offline; t2 is scheduled for 30 s.
// At 10 s Ana becomes Available and gets t1, whose offer also times out at
// 30 s. The schedule was armed first, so at 30 s t2 enters the queue first,
// then t1 misses. The restart point is 15 s.
func scnSameInstant(b *bench, restart func()) {
	b.queue("billing")
	b.profile("desk", 1, "billing")
	b.put(Agent{ID: "ana", RoutingProfileID: "desk", Status: StatusOffline})
	b.create(TaskInput{QueueID: "billing"})
	b.create(TaskInput{QueueID: "billing", ScheduledAt: t0.Add(30 * time.Second)})
	b.clock.Advance(10 * time.Second)
	b.status("ana", StatusAvailable)
	b.wantOffers("t1>ana")
	b.clock.Advance(5 * time.Second)
	restart()
	b.clock.Advance(time.Minute)
}

// Timers due at the same instant fire in the order they were scheduled
// (docs/routing.md, "Timers"), and a restart must not change that order.
func TestRestartKeepsOrderOfSameInstantTimers(t *testing.T) {
	scnCompareRuns(t, nil, scnSameInstant)
}

// A task created after a restart comes after every task created before it in
// creation order (Task.Sequence), even when those have finished.
func TestRestartNewTasksGetLaterSequence(t *testing.T) {
	b := newBench(t, nil)
	b.queue("billing")
	b.profile("desk", 1, "billing")
	b.agent("ana", "desk")
	b.create(TaskInput{QueueID: "billing"})
	b.create(TaskInput{QueueID: "billing"})
	b.handle("t1")
	b.handle("t2")
	b.must(b.r.Close(context.Background()))
	b.open(nil)
	t3 := b.create(TaskInput{QueueID: "billing"})
	if last := b.task("t2").Sequence; t3.Sequence <= last {
		t.Errorf("task created after the restart has Sequence %d, not after %d of a task created before it", t3.Sequence, last)
	}
}

// Close leaves no goroutine behind, even with a timer pending on the system
// clock and a subscriber waiting for events.
func TestRestartCloseLeavesNoGoroutine(t *testing.T) {
	ctx := context.Background()
	before := runtime.NumGoroutine()
	r, err := NewRouter(ctx, nil, &Config{Test: TestConfig{CheckInvariants: true}})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(r.PutQueue(ctx, Queue{ID: "billing", Name: "billing"}))
	must(r.PutRoutingProfile(ctx, RoutingProfile{ID: "desk",
		Concurrency: []MediaConcurrency{{Channel: ChannelTask, Concurrency: 1}},
		Queues:      []QueueConfig{{QueueID: "billing", Priority: 1}}}))
	must(r.PutAgent(ctx, Agent{ID: "ana", RoutingProfileID: "desk", Status: StatusAvailable}))
	task, err := r.CreateTask(ctx, TaskInput{Name: "call back", QueueID: "billing"})
	must(err)
	got, err := r.Task(ctx, task.ID)
	must(err)
	if got.State != StateOffered {
		t.Fatalf("task is %s, want OFFERED (a 20 s timer pending)", got.State)
	}
	sub := r.Subscribe(nil)
	sub.Drain()
	done := make(chan error)
	go func() {
		_, err := sub.Next(ctx)
		done <- err
	}()

	must(r.Close(context.Background()))
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Errorf("a waiting subscriber got %v, want ErrClosed", err)
	}
	n := runtime.NumGoroutine()
	for i := 0; i < 200 && n > before; i++ {
		time.Sleep(5 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	if n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines before, %d after Close:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}

// After Close every method returns ErrClosed (errors.go, Router.Close), and
// Close itself may be called again.
func TestRestartMethodsAfterCloseReturnErrClosed(t *testing.T) {
	b := newBench(t, &Config{AgentStatuses: testStatuses})
	b.queue("billing")
	b.profile("desk", 1, "billing")
	b.agent("ana", "desk")
	b.create(TaskInput{QueueID: "billing"})
	b.must(b.r.Close(context.Background()))
	r, ctx := b.r, b.ctx

	second := func(_ any, err error) error { return err }
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"PutQueue", r.PutQueue(ctx, Queue{ID: "sales", Name: "sales"})},
		{"PutRoutingProfile", r.PutRoutingProfile(ctx, RoutingProfile{ID: "p", Concurrency: []MediaConcurrency{{Channel: ChannelTask, Concurrency: 1}}})},
		{"PutAgent", r.PutAgent(ctx, Agent{ID: "ben", RoutingProfileID: "desk"})},
		{"SetAgentStatus", r.SetAgentStatus(ctx, "ana", "Lunch")},
		{"ClearAgent", r.ClearAgent(ctx, "ana")},
		{"CreateTask", second(r.CreateTask(ctx, TaskInput{Name: "x", QueueID: "billing"}))},
		{"Task", second(r.Task(ctx, "t1"))},
		{"Accept", r.Accept(ctx, "t1", "ana")},
		{"Reject", r.Reject(ctx, "t1", "ana")},
		{"Complete", r.Complete(ctx, "t1")},
		{"CloseAfterContactWork", r.CloseAfterContactWork(ctx, "t1")},
		{"Pause", r.Pause(ctx, "t1")},
		{"Resume", r.Resume(ctx, "t1")},
		{"Stop", r.Stop(ctx, "t1")},
		{"Transfer", second(r.Transfer(ctx, "t1", TransferTarget{QueueID: "billing"}))},
		{"UpdateRouting", r.UpdateRouting(ctx, "t1", RoutingUpdate{Priority: 1})},
		{"UpdateAttributes", r.UpdateAttributes(ctx, "t1", map[string]string{"a": "b"})},
		{"Reschedule", r.Reschedule(ctx, "t1", t0.Add(time.Hour))},
		{"Close again", func() error {
			if err := r.Close(context.Background()); err != nil {
				return err
			}
			return ErrClosed
		}()},
	} {
		if !errors.Is(tc.err, ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", tc.name, tc.err)
		}
	}
	if _, err := r.Subscribe(nil).Next(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Subscribe after Close: Next returned %v, want ErrClosed", err)
	}
}

// The read-only methods Agent, AgentTasks, QueuedTasks and QueueOpen also
// return errors, and errors.go promises ErrClosed from "every Router method
// after Close".
func TestRestartReadMethodsAfterCloseReturnErrClosed(t *testing.T) {
	b := newBench(t, nil)
	b.queue("billing")
	b.profile("desk", 1, "billing")
	b.agent("ana", "desk")
	b.must(b.r.Close(context.Background()))
	r := b.r
	second := func(_ any, err error) error { return err }
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"Agent", second(r.Agent("ana"))},
		{"AgentTasks", second(r.AgentTasks("ana"))},
		{"QueuedTasks", second(r.QueuedTasks("billing"))},
		{"QueueOpen", second(r.QueueOpen("billing"))},
	} {
		if !errors.Is(tc.err, ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", tc.name, tc.err)
		}
	}
}

// restartOverdueStory: Ana waits for a French speaker for 30 s (t1) while Bob,
// the only agent, is offered t2 and lets it time out at +20 s. Whether the
// router keeps running or is down from +0 s to +35 s, the timers of that
// stretch happen in the same order: Bob's miss at +20 s (he gets t2 back: no
// one else can take it), then t1's French-only step expires at +30 s, when
// Bob is busy again.
func restartOverdueStory(t *testing.T, restart bool) []string {
	b := newBench(t, &Config{MissedPolicy: StayAvailable})
	b.queue("q")
	b.profile("p", 1, "q")
	b.agent("bob", "p")
	b.create(TaskInput{QueueID: "q", RoutingCriteria: &RoutingCriteria{Steps: []RoutingStep{
		{Requirement: Proficient("Language", "French", 1), Expiry: 30 * time.Second}}}})
	b.create(TaskInput{QueueID: "q"})
	if restart {
		b.must(b.r.Close(context.Background()))
		b.clock.Advance(35 * time.Second)
		b.open(&Config{MissedPolicy: StayAvailable})
	} else {
		b.clock.Advance(35 * time.Second)
	}
	var out []string
	for _, id := range []string{"t1", "t2"} {
		tk := b.task(id)
		out = append(out, id+" "+string(tk.State)+" "+tk.AgentID)
	}
	return out
}

func TestRestartReplaysOverdueTimersInOrder(t *testing.T) {
	live := restartOverdueStory(t, false)
	restarted := restartOverdueStory(t, true)
	if diff := cmp.Diff(live, restarted); diff != "" {
		t.Errorf("restarted router differs from one that kept running (-live +restarted):\n%s", diff)
	}
	if want := []string{"t1 QUEUED ", "t2 OFFERED bob"}; !cmp.Equal(live, want) {
		t.Errorf("at +35 s: %q, want %q", live, want)
	}
}
