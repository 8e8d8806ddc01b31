package switchboard

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Scenario tests for what happens to a task once routed: DESIGN.md §3 rules
// 6–10 (offers, after-contact work, transfers, scheduling and expiry,
// idempotency) and the linking, capacity and error rules around them.

// ---- Rule 6: offers ----

// Ana lets an offer time out after the default 20 s: the task misses, goes
// back to its place in line (ahead of a later task), and Ana is blocked until
// cleared. Ben, arriving later, takes the missed task first.
func TestScenarioOfferTimeoutReturnsTaskToItsPlace(t *testing.T) {
	b := newBench(t, nil)
	rec := b.r.Subscribe(&SubscribeOptions{MaxPending: -1})
	b.queue("billing")
	b.profile("desk", 1, "billing")
	b.agent("ana", "desk")

	b.create(TaskInput{QueueID: "billing"})
	b.clock.Advance(5 * time.Second)
	b.create(TaskInput{QueueID: "billing"})
	b.wantOffers("t1>ana")
	if got := b.task("t1").OfferExpiresAt; !got.Equal(t0.Add(20 * time.Second)) {
		t.Errorf("OfferExpiresAt t0+%s, want t0+20s", got.Sub(t0))
	}
	b.clock.Advance(15*time.Second - time.Nanosecond)
	b.wantState("t1", StateOffered, "ana")
	b.clock.Advance(time.Nanosecond)

	var missed []scnEvent
	for _, e := range scnEvents(rec.Drain()) {
		if e.Type == EventTaskMissed {
			missed = append(missed, e)
		}
	}
	want := []scnEvent{{Type: EventTaskMissed, At: 20 * time.Second, Task: "t1", Agent: "ana", Queue: "billing", State: StateQueued}}
	if diff := cmp.Diff(want, missed); diff != "" {
		t.Errorf("missed events (-want +got):\n%s", diff)
	}
	t1 := b.task("t1")
	if t1.State != StateQueued || !t1.EnqueuedAt.Equal(t0) || !cmp.Equal(t1.RejectedBy, []string{"ana"}) {
		t.Errorf("t1 after the miss: %s, EnqueuedAt t0+%s, RejectedBy %q; want QUEUED, t0, [ana]",
			t1.State, t1.EnqueuedAt.Sub(t0), t1.RejectedBy)
	}
	if diff := cmp.Diff([]string{"t1", "t2"}, b.queuedIDs("billing")); diff != "" {
		t.Errorf("line after the miss (-want +got):\n%s", diff)
	}
	if a := b.agentNow("ana"); a.Blocked != BlockedMissed || a.BlockedTaskID != "t1" {
		t.Errorf("ana blocked %q by %q, want MISSED by t1", a.Blocked, a.BlockedTaskID)
	}
	b.clock.Advance(time.Minute)
	b.wantOffers() // ana is blocked, though idle

	b.agent("ben", "desk")
	b.wantOffers("t1>ben")
	b.must(b.r.ClearAgent(b.ctx, "ana"))
	b.wantOffers("t2>ana")
}

// A custom Config.OfferTimeout replaces the 20 s.
func TestScenarioCustomOfferTimeout(t *testing.T) {
	b := newBench(t, &Config{OfferTimeout: 45 * time.Second})
	b.queue("billing")
	b.profile("desk", 1, "billing")
	b.agent("ana", "desk")
	b.create(TaskInput{QueueID: "billing"})
	b.clock.Advance(44 * time.Second)
	b.wantState("t1", StateOffered, "ana")
	b.clock.Advance(time.Second)
	b.wantState("t1", StateQueued, "")
	if got := b.agentNow("ana").Blocked; got != BlockedMissed {
		t.Errorf("ana blocked %q, want MISSED", got)
	}
}

// Ana rejects a task: it goes to Ben, who can take it, not back to her; Ana is
// blocked (REJECTED) until cleared.
func TestScenarioRejectedTaskGoesToAnotherAgent(t *testing.T) {
	b := newBench(t, nil)
	b.queue("billing")
	b.profile("desk", 1, "billing")
	b.agent("ana", "desk")
	b.clock.Advance(time.Minute)
	b.agent("ben", "desk")
	b.create(TaskInput{QueueID: "billing"})
	b.wantOffers("t1>ana")
	b.must(b.r.Reject(b.ctx, "t1", "ana"))
	b.wantOffers("t1>ben")
	if a := b.agentNow("ana"); a.Blocked != BlockedRejected || a.BlockedTaskID != "t1" {
		t.Errorf("ana blocked %q by %q, want REJECTED by t1", a.Blocked, a.BlockedTaskID)
	}
}

// When the agent who rejected a task is the only one who can take it, the
// task waits and comes back to that agent once she is cleared.
func TestScenarioRejectedTaskReturnsToOnlyAgentAfterClear(t *testing.T) {
	b := newBench(t, nil)
	b.queue("billing")
	b.profile("desk", 1, "billing")
	b.agent("ana", "desk")
	b.create(TaskInput{QueueID: "billing"})
	b.wantOffers("t1>ana")
	b.must(b.r.Reject(b.ctx, "t1", "ana"))
	b.clock.Advance(time.Minute)
	b.wantOffers()
	b.wantState("t1", StateQueued, "")
	b.must(b.r.ClearAgent(b.ctx, "ana"))
	b.wantOffers("t1>ana")
}

// With StayAvailable, Ana stays routable after rejecting; when she and Ben are
// otherwise tied (same LastActivity, and Ana sorts first by ID), the task
// still prefers Ben, whatever the selector.
func TestScenarioRejecterComesLastWhenOthersCanTake(t *testing.T) {
	for _, tc := range []struct {
		name string
		sel  AgentSelector
	}{{"LongestIdle", nil}, {"LeastOccupied", LeastOccupied}, {"Random", RandomSelector(1)}} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBench(t, &Config{MissedPolicy: StayAvailable, Selector: tc.sel})
			b.queue("billing")
			b.profile("desk", 1, "billing")
			b.agent("ana", "desk")
			b.put(Agent{ID: "ben", RoutingProfileID: "desk", Status: StatusOffline})
			b.create(TaskInput{QueueID: "billing"})
			b.wantOffers("t1>ana")
			b.clock.Advance(5 * time.Second)
			b.status("ben", StatusAvailable) // LastActivity t0+5s
			b.must(b.r.Reject(b.ctx, "t1", "ana"))
			if got := b.agentNow("ana").LastActivity; !got.Equal(b.agentNow("ben").LastActivity) {
				t.Fatalf("set-up: ana and ben should be tied")
			}
			b.wantOffers("t1>ben")
			if got := b.agentNow("ana").Blocked; got != NotBlocked {
				t.Errorf("ana blocked %q under StayAvailable", got)
			}
		})
	}
}

// An agent who auto-accepts tasks is connected at once: the offer and the
// accept are both reported, and no offer timer runs.
func TestScenarioAutoAcceptConnectsImmediately(t *testing.T) {
	b := newBench(t, nil)
	b.queue("billing")
	b.profile("desk", 1, "billing")
	b.put(Agent{ID: "ana", RoutingProfileID: "desk", AutoAccept: []Channel{ChannelTask}})
	b.clock.Advance(time.Minute)
	b.create(TaskInput{QueueID: "billing"})
	var got []scnEvent
	for _, e := range scnEvents(b.sub.Drain()) {
		if e.Task == "t1" {
			got = append(got, e)
		}
	}
	at := time.Minute
	want := []scnEvent{
		{Type: EventTaskCreated, At: at, Task: "t1", Queue: "billing", State: StateQueued},
		{Type: EventTaskQueued, At: at, Task: "t1", Queue: "billing", State: StateQueued},
		{Type: EventTaskOffered, At: at, Task: "t1", Agent: "ana", Queue: "billing", State: StateOffered},
		{Type: EventTaskAccepted, At: at, Task: "t1", Agent: "ana", Queue: "billing", State: StateConnected},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	b.clock.Advance(time.Hour)
	t1 := b.task("t1")
	if t1.State != StateConnected || !t1.ConnectedAt.Equal(t0.Add(at)) || !t1.OfferExpiresAt.IsZero() {
		t.Errorf("t1: %s, ConnectedAt t0+%s, OfferExpiresAt %v; want CONNECTED at t0+1m, no offer deadline",
			t1.State, t1.ConnectedAt.Sub(t0), t1.OfferExpiresAt)
	}
}

// Accept by an agent the task is not offered to is refused with a
// *StateError and changes nothing.
func TestScenarioAcceptByWrongAgentChangesNothing(t *testing.T) {
	b := newBench(t, nil)
	b.queue("billing")
	b.profile("desk", 1, "billing")
	b.agent("ana", "desk")
	b.agent("ben", "desk")
	b.create(TaskInput{QueueID: "billing"})
	before := b.task("t1")
	err := b.r.Accept(b.ctx, "t1", "ben")
	var se *StateError
	if !errors.Is(err, ErrInvalidState) || !errors.As(err, &se) || se.TaskID != "t1" {
		t.Fatalf("Accept by ben: %v, want a *StateError for t1", err)
	}
	if diff := cmp.Diff(before, b.task("t1")); diff != "" {
		t.Errorf("t1 changed (-before +after):\n%s", diff)
	}
	if tasks, _ := b.r.AgentTasks("ben"); len(tasks) != 0 {
		t.Errorf("ben holds %d tasks", len(tasks))
	}
}

// ---- Rule 7: after-contact work, pause ----

// Completing a task starts after-contact work, which holds the slot; Ana's
// ACW limit of 90 s ends it at exactly 90 s, and the next task is offered in
// the same instant.
func TestScenarioAfterContactWorkLimit(t *testing.T) {
	b := newBench(t, nil)
	b.queue("billing")
	b.profile("desk", 1, "billing")
	b.put(Agent{ID: "ana", RoutingProfileID: "desk", AfterContactWorkLimit: map[Channel]time.Duration{ChannelTask: 90 * time.Second}})
	b.create(TaskInput{QueueID: "billing"})
	b.create(TaskInput{QueueID: "billing"})
	b.must(b.r.Accept(b.ctx, "t1", "ana"))
	b.clock.Advance(time.Minute)
	b.must(b.r.Complete(b.ctx, "t1"))
	b.wantOffers("t1>ana")

	t1 := b.task("t1")
	end := t0.Add(time.Minute + 90*time.Second)
	if t1.State != StateAfterContactWork || t1.DisconnectReason != DisconnectAgentCompleted || !t1.AfterContactWorkEnd.Equal(end) {
		t.Errorf("t1: %s, reason %s, ACW end t0+%s; want AFTER_CONTACT_WORK, AGENT_COMPLETED, t0+2m30s",
			t1.State, t1.DisconnectReason, t1.AfterContactWorkEnd.Sub(t0))
	}
	b.clock.Advance(90*time.Second - time.Nanosecond)
	b.wantState("t1", StateAfterContactWork, "ana")
	b.wantOffers() // the slot is still taken
	b.clock.Advance(time.Nanosecond)
	b.wantState("t1", StateCompleted, "ana")
	b.wantOffers("t2>ana")
	if got := b.task("t2").OfferedAt; !got.Equal(end) {
		t.Errorf("t2 offered at t0+%s, want t0+2m30s", got.Sub(t0))
	}
}

// Without a limit, after-contact work lasts until the agent closes it.
func TestScenarioAfterContactWorkUntilClosed(t *testing.T) {
	b := newBench(t, nil)
	b.queue("billing")
	b.profile("desk", 1, "billing")
	b.agent("ana", "desk")
	b.create(TaskInput{QueueID: "billing"})
	b.create(TaskInput{QueueID: "billing"})
	b.must(b.r.Accept(b.ctx, "t1", "ana"))
	b.must(b.r.Complete(b.ctx, "t1"))
	b.clock.Advance(24 * time.Hour)
	b.wantOffers("t1>ana")
	b.wantState("t1", StateAfterContactWork, "ana")
	b.must(b.r.CloseAfterContactWork(b.ctx, "t1"))
	b.wantOffers("t2>ana")
	if got := b.task("t1").AfterContactWorkEnd; !got.Equal(t0.Add(24 * time.Hour)) {
		t.Errorf("ACW ended t0+%s, want t0+24h", got.Sub(t0))
	}
}

// A paused task keeps its slot; PausedTotal adds up every pause, including
// one ended by Complete; the eleventh pause is refused.
func TestScenarioPauseResumeKeepsSlotAndCounts(t *testing.T) {
	b := newBench(t, nil)
	b.queue("billing")
	b.profile("desk", 1, "billing")
	b.agent("ana", "desk")
	b.create(TaskInput{QueueID: "billing"})
	b.create(TaskInput{QueueID: "billing"})
	b.must(b.r.Accept(b.ctx, "t1", "ana"))
	b.wantOffers("t1>ana")

	for i := range MaxPauses {
		b.clock.Advance(time.Minute)
		b.must(b.r.Pause(b.ctx, "t1"))
		b.wantState("t1", StatePaused, "ana")
		b.wantOffers() // t2 waits: the paused task keeps the slot
		b.clock.Advance(30 * time.Second)
		if i < MaxPauses-1 {
			b.must(b.r.Resume(b.ctx, "t1"))
		}
	}
	// The tenth pause is still on; resume it after 30 s more (60 s in all).
	b.clock.Advance(30 * time.Second)
	b.must(b.r.Resume(b.ctx, "t1"))
	if got, want := b.task("t1").PausedTotal, 9*30*time.Second+time.Minute; got != want {
		t.Errorf("PausedTotal %s, want %s", got, want)
	}
	before := b.task("t1")
	err := b.r.Pause(b.ctx, "t1")
	var le *LimitError
	if !errors.Is(err, ErrLimitExceeded) || !errors.As(err, &le) || le.Limit != MaxPauses {
		t.Fatalf("eleventh Pause: %v, want a *LimitError with limit %d", err, MaxPauses)
	}
	if diff := cmp.Diff(before, b.task("t1")); diff != "" {
		t.Errorf("refused pause changed t1 (-before +after):\n%s", diff)
	}

	// t2: paused, then completed while paused: the open pause counts.
	b.handle("t1")
	b.wantOffers("t2>ana")
	b.must(b.r.Accept(b.ctx, "t2", "ana"))
	b.must(b.r.Pause(b.ctx, "t2"))
	b.clock.Advance(4 * time.Minute)
	b.must(b.r.Complete(b.ctx, "t2"))
	if got := b.task("t2").PausedTotal; got != 4*time.Minute {
		t.Errorf("t2 PausedTotal %s, want 4m", got)
	}
}

// ---- Rule 8: transfers ----

// A waiting task transferred to another queue: its segment ends COMPLETED
// (TRANSFERRED) and a linked segment, with the same attributes, waits in the
// new queue and is offered there.
func TestScenarioTransferWaitingTaskToQueue(t *testing.T) {
	b := newBench(t, nil)
	rec := b.r.Subscribe(&SubscribeOptions{MaxPending: -1})
	b.queue("billing") // nobody works billing
	b.queue("sales")
	b.profile("sellers", 1, "sales")
	b.agent("sam", "sellers")
	b.create(TaskInput{QueueID: "billing", Attributes: map[string]string{"order": "42"}, Priority: 3})
	b.clock.Advance(time.Minute)

	nt, err := b.r.Transfer(b.ctx, "t1", TransferTarget{QueueID: "sales"})
	b.must(err)
	now := t0.Add(time.Minute)
	old := b.task("t1")
	if old.State != StateCompleted || old.DisconnectReason != DisconnectTransferred || !old.DisconnectedAt.Equal(now) {
		t.Errorf("old segment: %s, %s at t0+%s; want COMPLETED, TRANSFERRED at t0+1m", old.State, old.DisconnectReason, old.DisconnectedAt.Sub(t0))
	}
	got := b.task(nt.ID)
	type segment struct {
		ID, Previous, Initial, Queue string
		Method                       InitiationMethod
		Attributes                   map[string]string
		Priority, Transfers          int
		Enqueued                     time.Time
	}
	want := segment{"t2", "t1", "t1", "sales", InitiatedByQueueTransfer, map[string]string{"order": "42"}, 3, 1, now}
	if diff := cmp.Diff(want, segment{got.ID, got.PreviousTaskID, got.InitialTaskID, got.QueueID, got.InitiationMethod,
		got.Attributes, got.Priority, got.TransferCount, got.EnqueuedAt}); diff != "" {
		t.Errorf("new segment (-want +got):\n%s", diff)
	}
	b.wantOffers("t2>sam")
	var transferred []scnEvent
	for _, e := range scnEvents(rec.Drain()) {
		if e.Type == EventTaskTransferred {
			transferred = append(transferred, e)
		}
	}
	wantEv := []scnEvent{{Type: EventTaskTransferred, At: time.Minute, Task: "t1", Queue: "billing", State: StateCompleted, Related: "t2"}}
	if diff := cmp.Diff(wantEv, transferred); diff != "" {
		t.Errorf("transfer events (-want +got):\n%s", diff)
	}
}

// A connected task transferred to an agent: the old segment goes to Ana's
// after-contact work (TRANSFERRED), keeping her slot; the new one waits in
// Ben's agent queue and is offered to him.
func TestScenarioTransferConnectedTaskToAgent(t *testing.T) {
	b := newBench(t, &Config{AgentStatuses: testStatuses})
	b.queue("billing")
	b.profile("desk", 1, "billing")
	b.agent("ana", "desk")
	b.create(TaskInput{QueueID: "billing", Attributes: map[string]string{"tier": "gold"}})
	b.must(b.r.Accept(b.ctx, "t1", "ana"))
	b.put(Agent{ID: "ben", RoutingProfileID: "desk", Status: "Training"})
	b.create(TaskInput{QueueID: "billing"}) // waits for ana's slot
	b.clock.Advance(time.Minute)

	nt, err := b.r.Transfer(b.ctx, "t1", TransferTarget{AgentID: "ben"})
	b.must(err)
	old := b.task("t1")
	if old.State != StateAfterContactWork || old.DisconnectReason != DisconnectTransferred || old.AgentID != "ana" {
		t.Errorf("old segment: %s, %s, agent %q; want AFTER_CONTACT_WORK, TRANSFERRED, ana", old.State, old.DisconnectReason, old.AgentID)
	}
	got := b.task(nt.ID)
	if got.State != StateQueued || got.TargetAgentID != "ben" || got.QueueID != "" || got.InitiationMethod != InitiatedByTransfer ||
		got.PreviousTaskID != "t1" || got.InitialTaskID != "t1" || !cmp.Equal(got.Attributes, map[string]string{"tier": "gold"}) {
		t.Errorf("new segment: %+v", got)
	}
	b.wantOffers("t1>ana") // ACW holds ana's slot; ben is in training
	b.status("ben", StatusAvailable)
	b.wantOffers(nt.ID + ">ben")
	b.must(b.r.CloseAfterContactWork(b.ctx, "t1"))
	b.wantOffers("t2>ana")
}

// A task may be transferred 11 times; the 12th transfer is refused and
// changes nothing.
func TestScenarioTransferLimit(t *testing.T) {
	b := newBench(t, nil)
	b.queue("a")
	b.queue("b")
	id := b.create(TaskInput{QueueID: "a"}).ID
	for i := range MaxTransfers {
		to := []string{"b", "a"}[i%2]
		nt, err := b.r.Transfer(b.ctx, id, TransferTarget{QueueID: to})
		if err != nil {
			t.Fatalf("transfer %d: %v", i+1, err)
		}
		id = nt.ID
	}
	if got := b.task(id).TransferCount; got != MaxTransfers {
		t.Fatalf("TransferCount %d, want %d", got, MaxTransfers)
	}
	before, stored := b.task(id), b.store.Len()
	_, err := b.r.Transfer(b.ctx, id, TransferTarget{QueueID: "a"})
	if !errors.Is(err, ErrLimitExceeded) {
		t.Fatalf("12th transfer: %v, want ErrLimitExceeded", err)
	}
	if diff := cmp.Diff(before, b.task(id)); diff != "" {
		t.Errorf("refused transfer changed the task (-before +after):\n%s", diff)
	}
	if b.store.Len() != stored {
		t.Errorf("refused transfer stored %d tasks", b.store.Len()-stored)
	}
}

// A transfer into a full queue is refused with ErrQueueAtCapacity and changes
// nothing.
func TestScenarioTransferIntoFullQueue(t *testing.T) {
	b := newBench(t, nil)
	b.queue("billing")
	b.must(b.r.PutQueue(b.ctx, Queue{ID: "small", Name: "small", MaxContacts: 1}))
	b.create(TaskInput{QueueID: "small"})
	b.create(TaskInput{QueueID: "billing"})
	before, stored := b.task("t2"), b.store.Len()
	_, err := b.r.Transfer(b.ctx, "t2", TransferTarget{QueueID: "small"})
	if !errors.Is(err, ErrQueueAtCapacity) {
		t.Fatalf("Transfer into a full queue: %v, want ErrQueueAtCapacity", err)
	}
	if diff := cmp.Diff(before, b.task("t2")); diff != "" {
		t.Errorf("t2 changed (-before +after):\n%s", diff)
	}
	if b.store.Len() != stored {
		t.Errorf("stored %d more tasks", b.store.Len()-stored)
	}
	if diff := cmp.Diff([]string{"t2"}, b.queuedIDs("billing")); diff != "" {
		t.Errorf("billing line (-want +got):\n%s", diff)
	}
}

// ---- Rule 9: scheduled tasks and expiry ----

// A task scheduled two hours ahead waits SCHEDULED and enters its queue at
// exactly two hours.
func TestScenarioScheduledTaskEnqueuesOnTime(t *testing.T) {
	b := newBench(t, nil)
	b.queue("billing")
	b.profile("desk", 1, "billing")
	b.agent("ana", "desk")
	at := t0.Add(2 * time.Hour)
	b.create(TaskInput{QueueID: "billing", ScheduledAt: at})
	b.wantState("t1", StateScheduled, "")
	b.clock.Advance(2*time.Hour - time.Nanosecond)
	b.wantState("t1", StateScheduled, "")
	b.wantOffers()
	b.clock.Advance(time.Nanosecond)
	b.wantOffers("t1>ana")
	if got := b.task("t1"); !got.EnqueuedAt.Equal(at) || !got.ScheduledAt.Equal(at) {
		t.Errorf("EnqueuedAt t0+%s, ScheduledAt t0+%s; want both t0+2h", got.EnqueuedAt.Sub(t0), got.ScheduledAt.Sub(t0))
	}
}

// A scheduled task can be rescheduled 20 times; the 21st is refused. The
// last time set is the one that counts.
func TestScenarioRescheduleLimit(t *testing.T) {
	b := newBench(t, nil)
	b.queue("billing")
	b.profile("desk", 1, "billing")
	b.agent("ana", "desk")
	b.create(TaskInput{QueueID: "billing", ScheduledAt: t0.Add(time.Hour)})
	for i := 1; i <= MaxReschedules; i++ {
		b.must(b.r.Reschedule(b.ctx, "t1", t0.Add(time.Hour+time.Duration(i)*time.Minute)))
	}
	before := b.task("t1")
	err := b.r.Reschedule(b.ctx, "t1", t0.Add(3*time.Hour))
	var le *LimitError
	if !errors.Is(err, ErrLimitExceeded) || !errors.As(err, &le) || le.Limit != MaxReschedules {
		t.Fatalf("21st Reschedule: %v, want a *LimitError with limit %d", err, MaxReschedules)
	}
	if diff := cmp.Diff(before, b.task("t1")); diff != "" {
		t.Errorf("refused reschedule changed t1 (-before +after):\n%s", diff)
	}
	b.clock.Advance(time.Hour + 20*time.Minute - time.Nanosecond)
	b.wantOffers()
	b.clock.Advance(time.Nanosecond)
	b.wantOffers("t1>ana")
}

// Scheduling is bounded by Config.MaxScheduleAhead: 6 days by default, up to
// 90 days when configured; beyond it CreateTask returns a *ValidationError
// naming ScheduledAt.
func TestScenarioScheduleAheadLimit(t *testing.T) {
	day := 24 * time.Hour
	for _, tc := range []struct {
		name    string
		ahead   time.Duration // Config.MaxScheduleAhead
		at      time.Duration
		expiry  time.Duration
		wantErr bool
	}{
		{"default 6 days", 0, 6 * day, 0, false},
		{"default past 6 days", 0, 6*day + time.Second, 0, true},
		{"configured 90 days", 90 * day, 80 * day, 85 * day, false},
		{"configured just under 90 days", 90 * day, 90*day - time.Second, 90 * day, false},
		{"configured past 90 days", 90 * day, 90*day + time.Second, 90 * day, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBench(t, &Config{MaxScheduleAhead: tc.ahead})
			b.queue("billing")
			_, err := b.r.CreateTask(b.ctx, TaskInput{Name: "later", QueueID: "billing", ScheduledAt: t0.Add(tc.at), Expiry: tc.expiry})
			if !tc.wantErr {
				b.must(err)
				b.wantState("t1", StateScheduled, "")
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != "ScheduledAt" {
				t.Fatalf("CreateTask: %v, want a *ValidationError naming ScheduledAt", err)
			}
			if b.store.Len() != 0 {
				t.Errorf("a refused task was stored")
			}
		})
	}
	_, err := NewRouter(t.Context(), nil, &Config{MaxScheduleAhead: 91 * day, Clock: NewManualClock(t0)})
	if !errors.Is(err, ErrValidation) {
		t.Errorf("NewRouter with MaxScheduleAhead 91 days: %v, want ErrValidation", err)
	}
}

// A task expires at ExpiresAt (7 days by default) wherever it is: connected
// (the agent's slot frees at once and the next task is offered), offered, or
// waiting in a queue.
func TestScenarioTaskExpiresWhereverItIs(t *testing.T) {
	b := newBench(t, nil)
	b.queue("billing")
	b.profile("desk", 1, "billing")
	b.agent("ana", "desk")
	b.agent("ben", "desk")

	// t1: Ana works on it for a week.
	b.create(TaskInput{QueueID: "billing"})
	b.must(b.r.Accept(b.ctx, "t1", "ana"))
	// t2: a direct task for Ben that lives 10 s; Ben never answers.
	b.create(TaskInput{AgentID: "ben", Expiry: 10 * time.Second})
	b.wantOffers("t1>ana", "t2>ben")
	b.clock.Advance(10 * time.Second)
	t2 := b.task("t2")
	if t2.State != StateExpired || t2.DisconnectReason != DisconnectExpired || !t2.DisconnectedAt.Equal(t0.Add(10*time.Second)) {
		t.Errorf("t2: %s, %s at t0+%s; want EXPIRED at t0+10s", t2.State, t2.DisconnectReason, t2.DisconnectedAt.Sub(t0))
	}
	if a := b.agentNow("ben"); a.Blocked != NotBlocked {
		t.Errorf("an expired offer blocked ben (%q)", a.Blocked)
	}
	b.must(b.r.SetAgentStatus(b.ctx, "ben", StatusOffline))

	// t3 waits behind Ana's week-long task.
	b.clock.Advance(time.Hour - 10*time.Second)
	b.create(TaskInput{QueueID: "billing"})
	b.clock.Advance(7*24*time.Hour - time.Hour - time.Nanosecond)
	b.wantState("t1", StateConnected, "ana")
	b.clock.Advance(time.Nanosecond) // t0+7d
	if t1 := b.task("t1"); t1.State != StateExpired || t1.DisconnectReason != DisconnectExpired {
		t.Errorf("t1: %s, %s; want EXPIRED", t1.State, t1.DisconnectReason)
	}
	b.wantOffers("t3>ana") // the slot freed at once

	// Ana misses t3; it expires back in the queue an hour later.
	b.clock.Advance(time.Hour)
	b.wantState("t3", StateExpired, "")
	if n := mustStats(b.r).QueuedByQueue["billing"]; n != 0 {
		t.Errorf("billing still counts %d waiting", n)
	}
}

// ---- Rule 10: idempotency ----

// The same ClientToken within 7 days returns the first task and stores
// nothing new; from 7 days on it creates a new task.
func TestScenarioClientTokenIdempotency(t *testing.T) {
	b := newBench(t, nil)
	b.queue("billing")
	in := TaskInput{QueueID: "billing", ClientToken: "crm-ticket-981"}
	first := b.create(in)
	b.clock.Advance(7*24*time.Hour - time.Second)
	again := b.create(TaskInput{QueueID: "billing", ClientToken: "crm-ticket-981", Name: "another name"})
	if again.ID != first.ID || again.Name != first.Name {
		t.Errorf("within 7 days: got task %s %q, want the first, %s %q", again.ID, again.Name, first.ID, first.Name)
	}
	if b.store.Len() != 1 {
		t.Errorf("store holds %d tasks, want 1", b.store.Len())
	}
	b.clock.Advance(time.Second)
	later := b.create(in)
	if later.ID == first.ID || b.store.Len() != 2 {
		t.Errorf("after 7 days: got task %s with %d stored, want a new task", later.ID, b.store.Len())
	}
}

// ---- Links, capacity and errors ----

// Attribute updates reach every segment of a PreviousTaskID chain, finished
// ones included, but not a task that is only related; a related task copies
// the attributes once, at creation.
func TestScenarioAttributeUpdatesFollowTheChain(t *testing.T) {
	b := newBench(t, nil)
	b.queue("billing")
	b.queue("sales")
	b.create(TaskInput{QueueID: "billing", Attributes: map[string]string{"order": "42"}}) // t1
	_, err := b.r.Transfer(b.ctx, "t1", TransferTarget{QueueID: "sales"})                 // t2; t1 completes
	b.must(err)
	b.create(TaskInput{QueueID: "billing", PreviousTaskID: "t2"})                                         // t3 in the chain
	b.create(TaskInput{QueueID: "billing", RelatedTaskID: "t1", Attributes: map[string]string{"x": "y"}}) // t4 related

	b.must(b.r.UpdateAttributes(b.ctx, "t3", map[string]string{"status": "paid"}))
	attrs := map[string]map[string]string{}
	for _, id := range []string{"t1", "t2", "t3", "t4"} {
		attrs[id] = b.task(id).Attributes
	}
	want := map[string]map[string]string{
		"t1": {"order": "42", "status": "paid"},
		"t2": {"order": "42", "status": "paid"},
		"t3": {"status": "paid"},
		"t4": {"order": "42", "x": "y"},
	}
	if diff := cmp.Diff(want, attrs); diff != "" {
		t.Errorf("attributes (-want +got):\n%s", diff)
	}
	if got := b.task("t1").State; got != StateCompleted {
		t.Errorf("t1 is %s, want COMPLETED", got)
	}
}

// At most 12 tasks link into one PreviousTaskID chain.
func TestScenarioChainLimit(t *testing.T) {
	b := newBench(t, nil)
	b.queue("billing")
	prev := b.create(TaskInput{QueueID: "billing"}).ID
	for range MaxChainLength - 1 {
		prev = b.create(TaskInput{QueueID: "billing", PreviousTaskID: prev}).ID
	}
	_, err := b.r.CreateTask(b.ctx, TaskInput{Name: "one too many", QueueID: "billing", PreviousTaskID: prev})
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != MaxChainLength {
		t.Fatalf("13th linked task: %v, want a *LimitError with limit %d", err, MaxChainLength)
	}
	if b.store.Len() != MaxChainLength {
		t.Errorf("store holds %d tasks, want %d", b.store.Len(), MaxChainLength)
	}
}

// Refused creations store nothing: both links at once, a full queue, a
// disabled queue, an unknown queue.
func TestScenarioRefusedCreations(t *testing.T) {
	b := newBench(t, nil)
	b.must(b.r.PutQueue(b.ctx, Queue{ID: "small", Name: "small", MaxContacts: 2}))
	b.must(b.r.PutQueue(b.ctx, Queue{ID: "closed", Name: "closed", Disabled: true}))
	b.create(TaskInput{QueueID: "small"})
	b.create(TaskInput{QueueID: "small"})

	for _, tc := range []struct {
		name  string
		in    TaskInput
		check func(error) bool
	}{
		{"previous and related", TaskInput{QueueID: "small", PreviousTaskID: "t1", RelatedTaskID: "t2"}, func(err error) bool {
			var ve *ValidationError
			return errors.As(err, &ve) && ve.Field == "RelatedTaskID"
		}},
		{"full queue", TaskInput{QueueID: "small"}, func(err error) bool { return errors.Is(err, ErrQueueAtCapacity) }},
		{"disabled queue", TaskInput{QueueID: "closed"}, func(err error) bool { return errors.Is(err, ErrQueueDisabled) }},
		{"unknown queue", TaskInput{QueueID: "nowhere"}, func(err error) bool {
			var nf *NotFoundError
			return errors.Is(err, ErrNotFound) && errors.As(err, &nf) && nf.Kind == "queue" && nf.ID == "nowhere"
		}},
	} {
		tc.in.Name = "refused"
		_, err := b.r.CreateTask(b.ctx, tc.in)
		if !tc.check(err) {
			t.Errorf("%s: CreateTask returned %v", tc.name, err)
		}
	}
	if b.store.Len() != 2 {
		t.Errorf("store holds %d tasks, want 2", b.store.Len())
	}
	if n := mustStats(b.r).QueuedByQueue["small"]; n != 2 {
		t.Errorf("small counts %d waiting, want 2", n)
	}
}

// Every event carries the next Seq number: no gaps, no repeats.
func TestScenarioEventsHaveConsecutiveSeq(t *testing.T) {
	b := newBench(t, nil)
	scnBusyDay(b)
	evs := b.sub.Drain()
	if len(evs) == 0 {
		t.Fatal("no events")
	}
	for i, e := range evs {
		if e.Seq != uint64(i+1) {
			t.Fatalf("event %d (%s) has Seq %d, want %d", i, e.Type, e.Seq, i+1)
		}
	}
	if got := mustStats(b.r).Events; got != uint64(len(evs)) {
		t.Errorf("Stats.Events %d, want %d", got, len(evs))
	}
}

// Queue capacity counts QUEUED and OFFERED tasks; a connected task no longer
// counts. A scheduled task, accepted while there was room, is not refused
// when its time comes, even if the queue filled up meanwhile
// (docs/routing.md, "Choices where Connect is silent").
func TestScenarioQueueCapacityCountsWaitingAndOffered(t *testing.T) {
	b := newBench(t, nil)
	b.must(b.r.PutQueue(b.ctx, Queue{ID: "small", Name: "small", MaxContacts: 2}))
	b.profile("desk", 1, "small")
	b.agent("ana", "desk")
	later := b.create(TaskInput{QueueID: "small", ScheduledAt: t0.Add(time.Hour)})
	b.create(TaskInput{QueueID: "small"}) // offered
	b.create(TaskInput{QueueID: "small"}) // queued
	b.wantOffers("t2>ana")
	if _, err := b.r.CreateTask(b.ctx, TaskInput{Name: "fourth", QueueID: "small"}); !errors.Is(err, ErrQueueAtCapacity) {
		t.Fatalf("fourth task: %v, want ErrQueueAtCapacity (offered and queued both count)", err)
	}
	b.must(b.r.Accept(b.ctx, "t2", "ana")) // connected: no longer in the queue
	b.create(TaskInput{QueueID: "small"})
	if n := mustStats(b.r).QueuedByQueue["small"]; n != 2 {
		t.Fatalf("small counts %d waiting, want 2", n)
	}
	b.clock.Advance(time.Hour)
	b.wantState(later.ID, StateQueued, "")
	if n := mustStats(b.r).QueuedByQueue["small"]; n != 3 {
		t.Errorf("small counts %d waiting, want 3 (the scheduled task entered over the limit)", n)
	}
}

// docs/routing.md: queue capacity is checked when a task asks to enter a
// queue now. A scheduled task does not enter its queue at creation, so a
// queue that is full today does not refuse tomorrow's task (that it then
// enters even a full queue is shown above).
func TestScenarioScheduledTaskIgnoresCapacity(t *testing.T) {
	b := newBench(t, nil)
	b.must(b.r.PutQueue(b.ctx, Queue{ID: "small", Name: "small", MaxContacts: 1}))
	b.create(TaskInput{QueueID: "small"})
	if _, err := b.r.CreateTask(b.ctx, TaskInput{Name: "now", QueueID: "small"}); !errors.Is(err, ErrQueueAtCapacity) {
		t.Errorf("task for now into a full queue: %v, want ErrQueueAtCapacity", err)
	}
	later := b.create(TaskInput{Name: "later", QueueID: "small", ScheduledAt: t0.Add(time.Hour)})
	b.wantState(later.ID, StateScheduled, "")
}

// Stop ends a task wherever it is and frees the agent's slot at once.
func TestScenarioStopFreesSlot(t *testing.T) {
	b := newBench(t, nil)
	b.queue("billing")
	b.profile("desk", 1, "billing")
	b.agent("ana", "desk")
	b.create(TaskInput{QueueID: "billing"})
	b.create(TaskInput{QueueID: "billing"})
	b.create(TaskInput{QueueID: "billing"})
	b.must(b.r.Accept(b.ctx, "t1", "ana"))
	b.clock.Advance(time.Minute)
	b.must(b.r.Stop(b.ctx, "t3")) // waiting
	b.must(b.r.Stop(b.ctx, "t1")) // connected
	b.wantOffers("t1>ana", "t2>ana")
	for _, id := range []string{"t1", "t3"} {
		got := b.task(id)
		if got.State != StateStopped || got.DisconnectReason != DisconnectAPIStopped || !got.DisconnectedAt.Equal(t0.Add(time.Minute)) {
			t.Errorf("%s: %s, %s at t0+%s; want STOPPED, API_STOPPED at t0+1m", id, got.State, got.DisconnectReason, got.DisconnectedAt.Sub(t0))
		}
	}
	if err := b.r.Stop(b.ctx, "t1"); !errors.Is(err, ErrInvalidState) {
		t.Errorf("second Stop: %v, want ErrInvalidState", err)
	}
}

// An agent queue holds at most Config.AgentQueueCapacity waiting tasks.
func TestScenarioAgentQueueCapacity(t *testing.T) {
	b := newBench(t, &Config{AgentQueueCapacity: 2})
	b.queue("billing")
	b.profile("desk", 1, "billing")
	b.put(Agent{ID: "ana", RoutingProfileID: "desk", Status: StatusOffline})
	b.create(TaskInput{AgentID: "ana"})
	b.create(TaskInput{AgentID: "ana"})
	_, err := b.r.CreateTask(b.ctx, TaskInput{Name: "third", AgentID: "ana"})
	if !errors.Is(err, ErrQueueAtCapacity) {
		t.Fatalf("third task for ana: %v, want ErrQueueAtCapacity", err)
	}
	b.create(TaskInput{QueueID: "billing"}) // the standard queue is not affected
	b.status("ana", StatusAvailable)
	b.wantOffers("t1>ana")
	b.create(TaskInput{AgentID: "ana"}) // t1 left the agent queue: room again
}

// The task CreateTask and Transfer return is as routing left it: offered to
// the agent who was free (with the version and offer deadline the store
// holds), queued when nobody was. It used to be the QUEUED version written
// before the offer, so a caller branching on State was wrong.
func TestScenarioCreatedAndTransferredTasksComeBackAsRouted(t *testing.T) {
	b := newBench(t, nil)
	b.queue("billing")
	b.queue("refunds")
	b.profile("desk", 1, "billing")
	b.profile("back-office", 1, "refunds")
	b.agent("ana", "desk")
	b.agent("bob", "back-office")

	call := b.create(TaskInput{Name: "Call back Mrs Smith", QueueID: "billing", Attributes: map[string]string{"customer": "smith"}})
	if call.State != StateOffered || call.AgentID != "ana" || call.OfferExpiresAt.IsZero() {
		t.Errorf("CreateTask returned %s with agent %q (offer until %v), want OFFERED to ana", call.State, call.AgentID, call.OfferExpiresAt)
	}
	if stored := b.task(call.ID); stored.Version != call.Version || stored.State != call.State {
		t.Errorf("returned version %d %s, the router holds %d %s", call.Version, call.State, stored.Version, stored.State)
	}
	waiting := b.create(TaskInput{Name: "Check invoice 4411", QueueID: "billing"}) // ana is busy
	if waiting.State != StateQueued || waiting.AgentID != "" {
		t.Errorf("CreateTask with nobody free returned %s with agent %q, want QUEUED", waiting.State, waiting.AgentID)
	}

	b.must(b.r.Accept(b.ctx, call.ID, "ana"))
	moved, err := b.r.Transfer(b.ctx, call.ID, TransferTarget{QueueID: "refunds"})
	b.must(err)
	if moved.State != StateOffered || moved.AgentID != "bob" {
		t.Errorf("Transfer returned %s with agent %q, want the new segment OFFERED to bob", moved.State, moved.AgentID)
	}
	moved.Attributes["x"] = "caller's" // the caller's copy: the router's is untouched
	if got := b.task(moved.ID); got.Attributes["x"] != "" {
		t.Error("the returned task shares its attributes with the router's")
	}
}
