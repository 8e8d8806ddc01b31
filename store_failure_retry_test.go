package switchboard

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// Store failures in work the router does on its own: follow-up offers and
// timers, retried after Config.RetryInterval. The fault store and the world
// are in store_failure_test.go.

// ---- follow-up offers ----

// followCase is an operation (or a timer) whose own write succeeds and whose
// follow-up offer, made while settling, the store refuses.
type followCase struct {
	name  string
	setup func(b *bench)
	op    func(ctx context.Context, b *bench) error
	timer bool   // op advances the clock; no caller ctx is involved
	task  string // the task the follow-up offers
	agent string // to whom
}

func followCases() []followCase {
	return []followCase{
		{
			name:  "CreateTask",
			setup: func(b *bench) { failureWorld(b); b.agent("ana", "desk") },
			op: func(ctx context.Context, b *bench) error {
				_, err := b.r.CreateTask(ctx, TaskInput{Name: "call back", QueueID: "billing"})
				return err
			},
			task: "t1", agent: "ana",
		},
		{
			name: "CloseAfterContactWork",
			setup: func(b *bench) {
				failureWorld(b)
				b.agent("ana", "desk")
				b.connected()
				b.must(b.r.Complete(b.ctx, "t1"))
				b.create(TaskInput{QueueID: "billing"})
			},
			op:   func(ctx context.Context, b *bench) error { return b.r.CloseAfterContactWork(ctx, "t1") },
			task: "t2", agent: "ana",
		},
		{
			name:  "SetAgentStatus",
			setup: func(b *bench) { failureWorld(b); b.offline("ana"); b.create(TaskInput{QueueID: "billing"}) },
			op:    func(ctx context.Context, b *bench) error { return b.r.SetAgentStatus(ctx, "ana", StatusAvailable) },
			task:  "t1", agent: "ana",
		},
		{
			name: "Reject",
			setup: func(b *bench) {
				failureWorld(b)
				b.agent("ana", "desk")
				b.clock.Advance(time.Second)
				b.agent("bob", "desk") // idle for less long: ana gets t1 first
				b.create(TaskInput{QueueID: "billing"})
				b.wantState("t1", StateOffered, "ana")
			},
			op:   func(ctx context.Context, b *bench) error { return b.r.Reject(ctx, "t1", "ana") },
			task: "t1", agent: "bob",
		},
		{
			name: "Transfer",
			setup: func(b *bench) {
				failureWorld(b)
				b.agent("ana", "desk")
				b.must(b.r.PutRoutingProfile(b.ctx, RoutingProfile{ID: "claims-desk",
					Concurrency: []MediaConcurrency{{Channel: ChannelTask, Concurrency: 1}},
					Queues:      []QueueConfig{{QueueID: "claims", Channel: ChannelTask, Priority: 1}}}))
				b.agent("bob", "claims-desk")
				b.connected()
			},
			op: func(ctx context.Context, b *bench) error {
				_, err := b.r.Transfer(ctx, "t1", TransferTarget{QueueID: "claims"})
				return err
			},
			task: "t2", agent: "bob",
		},
		{
			name: "offer timeout",
			setup: func(b *bench) {
				failureWorld(b)
				b.agent("ana", "desk")
				b.clock.Advance(time.Second)
				b.agent("bob", "desk")
				b.create(TaskInput{QueueID: "billing"})
				b.wantState("t1", StateOffered, "ana")
			},
			op:    func(_ context.Context, b *bench) error { b.clock.Advance(OfferTimeoutDefault); return nil },
			timer: true, task: "t1", agent: "bob",
		},
	}
}

// noPanic runs f and turns a panic of the router (Config.Test.CheckInvariants
// panics on a broken invariant) into a test failure naming it.
func noPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("%s: the router panicked: %v", what, p)
		}
	}()
	f()
}

// retryAwareInvariants checks the router's invariants, except that routing
// may be unsettled while a routing retry is pending: that is the state a
// refused follow-up offer leaves by design (EventError, retry after
// RetryInterval).
func retryAwareInvariants(b *bench) {
	b.t.Helper()
	b.r.mu.Lock()
	err := b.r.checkInvariants()
	pending := b.r.retry.Scheduled()
	b.r.mu.Unlock()
	if err != nil && !(pending && strings.Contains(err.Error(), "routing did not settle")) {
		b.t.Fatalf("invariant broken: %v", err)
	}
}

// When the operation's own change lands but the offer it leads to is refused,
// the operation succeeds, the router reports EventError for the task, the
// task waits QUEUED, and the router tries again every RetryInterval until
// the store takes the offer. The router checks its invariants after every
// operation, as in every bench.
func TestStoreFailureFollowUpOfferRetried(t *testing.T) {
	for _, tc := range followCases() {
		t.Run(tc.name, func(t *testing.T) { followUpStory(t, tc, true) })
	}
}

// The same stories with the invariants checked by the test between steps,
// allowing what a pending retry explains (see retryAwareInvariants): the
// retry itself works even where the every-operation check objects to the
// state it starts from.
func TestStoreFailureFollowUpOfferRetriedRetryAware(t *testing.T) {
	for _, tc := range followCases() {
		t.Run(tc.name, func(t *testing.T) { followUpStory(t, tc, false) })
	}
}

func followUpStory(t *testing.T, tc followCase, everyOp bool) {
	const retry = 3 * time.Second
	b, fs := newFaultBenchChecked(t, &Config{RetryInterval: retry}, everyOp)
	tc.setup(b)
	b.sub.Drain()

	fs.failWhen(writesState(StateOffered))
	noPanic(t, tc.name, func() { b.must(tc.op(b.ctx, b)) })
	at := b.clock.Now()
	retryAwareInvariants(b)
	wantRouterError(t, b, tc.task, at)
	b.wantState(tc.task, StateQueued, "")
	if ts, _ := b.r.AgentTasks(tc.agent); slices.ContainsFunc(ts, func(x *Task) bool { return x.ID == tc.task }) {
		t.Errorf("%s holds %s although its offer was refused", tc.agent, tc.task)
	}
	if st := dumpStore(b.store).Tasks[tc.task]; st.State != StateQueued || st.Version != b.task(tc.task).Version {
		t.Errorf("stored %s is %s v%d, router has v%d", tc.task, st.State, st.Version, b.task(tc.task).Version)
	}

	// Still down at the first retry: another EventError, still queued.
	noPanic(t, "first retry", func() { b.clock.Advance(retry) })
	retryAwareInvariants(b)
	wantRouterError(t, b, tc.task, at.Add(retry))
	b.wantState(tc.task, StateQueued, "")

	// Back up: nothing happens before the next retry, the offer at it.
	fs.heal()
	noPanic(t, "before the second retry", func() { b.clock.Advance(retry - time.Nanosecond) })
	b.wantOffers()
	noPanic(t, "second retry", func() { b.clock.Advance(time.Nanosecond) })
	b.wantOffers(tc.task + ">" + tc.agent)
	b.wantState(tc.task, StateOffered, tc.agent)
	if got := b.task(tc.task).OfferedAt; !got.Equal(at.Add(2 * retry)) {
		t.Errorf("offered at +%s, want +2*RetryInterval", got.Sub(at))
	}
	b.checkInvariants()
}

// wantRouterError checks that the events since the last drain hold at least
// one EventError, that each is about taskID at time at and wraps the store's
// error in a *StoreError, and that no offer was announced. (How many
// attempts one settling pass makes is the engine's business.)
func wantRouterError(t *testing.T, b *bench, taskID string, at time.Time) {
	t.Helper()
	evs := b.sub.Drain()
	n := 0
	for _, e := range evs {
		switch e.Type {
		case EventError:
			n++
			var se *StoreError
			if e.TaskID != taskID || !e.Time.Equal(at) || !errors.Is(e.Err, errInjected) || !errors.As(e.Err, &se) {
				t.Errorf("router error %+v, want one about %s at t0+%s wrapping a *StoreError with the store's error", e, taskID, at.Sub(t0))
			}
		case EventTaskOffered:
			t.Errorf("offer %s>%s announced although the store refused it", e.TaskID, e.AgentID)
		}
	}
	if n == 0 {
		t.Fatalf("events %+v hold no router error", evs)
	}
}

// ---- timers ----

// timerCase is a timer whose write the store refuses when it falls due.
type timerCase struct {
	name  string
	cfg   Config
	setup func(b *bench)
	due   time.Duration // from t0, when the timer falls due
	task  string
	held  TaskState // the task's state while the timer's write is refused
	agent string    // its holder then
	after func(b *bench, at time.Time)
}

func timerCases() []timerCase {
	return []timerCase{
		{
			name: "offer timeout",
			setup: func(b *bench) {
				failureWorld(b)
				b.agent("ana", "desk")
				b.clock.Advance(time.Second)
				b.agent("bob", "desk")
				b.create(TaskInput{QueueID: "billing"}) // offered to ana at t0+1s
			},
			due: time.Second + OfferTimeoutDefault, task: "t1", held: StateOffered, agent: "ana",
			after: func(b *bench, at time.Time) {
				b.wantState("t1", StateOffered, "bob")
				if got := b.task("t1").OfferedAt; !got.Equal(at) {
					b.t.Errorf("offered to bob at %s, want %s", got.Sub(t0), at.Sub(t0))
				}
				if a := b.agentNow("ana"); a.Blocked != BlockedMissed || !a.LastActivity.Equal(at) {
					b.t.Errorf("ana blocked %q since %s, want MISSED at %s", a.Blocked, a.LastActivity.Sub(t0), at.Sub(t0))
				}
			},
		},
		{
			name: "after-contact-work limit",
			setup: func(b *bench) {
				failureWorld(b)
				b.put(Agent{ID: "ana", RoutingProfileID: "desk",
					AfterContactWorkLimit: map[Channel]time.Duration{ChannelTask: 30 * time.Second}})
				b.connected()
				b.must(b.r.Complete(b.ctx, "t1")) // ACW until t0+30s
				b.create(TaskInput{QueueID: "billing"})
			},
			due: 30 * time.Second, task: "t1", held: StateAfterContactWork, agent: "ana",
			after: func(b *bench, at time.Time) {
				if t := b.task("t1"); t.State != StateCompleted || !t.AfterContactWorkEnd.Equal(at) {
					b.t.Errorf("t1 is %s, ACW ended %s, want COMPLETED at %s", t.State, t.AfterContactWorkEnd.Sub(t0), at.Sub(t0))
				}
				b.wantState("t2", StateOffered, "ana")
			},
		},
		{
			name: "schedule",
			setup: func(b *bench) {
				failureWorld(b)
				b.agent("ana", "desk")
				b.create(TaskInput{QueueID: "billing", ScheduledAt: t0.Add(time.Hour)})
			},
			due: time.Hour, task: "t1", held: StateScheduled,
			after: func(b *bench, at time.Time) {
				b.wantState("t1", StateOffered, "ana")
				if got := b.task("t1").EnqueuedAt; !got.Equal(at) {
					b.t.Errorf("enqueued at %s, want %s", got.Sub(t0), at.Sub(t0))
				}
			},
		},
		{
			name: "expiry",
			setup: func(b *bench) {
				failureWorld(b)
				b.offline("ana")
				b.create(TaskInput{QueueID: "billing", Expiry: time.Hour})
			},
			due: time.Hour, task: "t1", held: StateQueued,
			after: func(b *bench, at time.Time) {
				if t := b.task("t1"); t.State != StateExpired || !t.DisconnectedAt.Equal(at) || t.DisconnectReason != DisconnectExpired {
					b.t.Errorf("t1 is %s (%s at %s), want EXPIRED at %s", t.State, t.DisconnectReason, t.DisconnectedAt.Sub(t0), at.Sub(t0))
				}
				if st := mustStats(b.r); st.QueuedByQueue["billing"] != 0 {
					b.t.Errorf("billing still counts %d waiting", st.QueuedByQueue["billing"])
				}
			},
		},
	}
}

// A timer whose write the store refuses is reported with EventError and fires
// again every RetryInterval; the task stays as it was meanwhile, and the
// transition happens, late but whole, once the store is back.
func TestStoreFailureTimerRetried(t *testing.T) {
	const retry = 2 * time.Second
	for _, tc := range timerCases() {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.RetryInterval = retry
			b, fs := newFaultBench(t, &cfg)
			tc.setup(b)
			b.clock.Set(t0.Add(tc.due - time.Nanosecond))
			b.sub.Drain()
			before := b.view()

			fs.failNext(3) // the timer and its first two retries
			due := t0.Add(tc.due)
			b.clock.Set(due)
			wantRouterError(t, b, tc.task, due)
			b.wantState(tc.task, tc.held, tc.agent)
			after := b.view()
			for _, d := range diffViews(before, after) {
				// Only the timer index moved (the retry), and the event count.
				if !strings.HasPrefix(d, "Router.Stats") && !strings.HasPrefix(d, "clock timers") {
					t.Errorf("a refused %s changed %s", tc.name, d)
				}
			}
			if before.Stats.PendingTimers != after.Stats.PendingTimers {
				t.Errorf("pending timers %d, then %d: the refused timer was not kept for a retry",
					before.Stats.PendingTimers, after.Stats.PendingTimers)
			}

			// Refused twice more: one EventError per retry.
			b.clock.Advance(retry)
			wantRouterError(t, b, tc.task, due.Add(retry))
			b.clock.Advance(retry)
			wantRouterError(t, b, tc.task, due.Add(2*retry))
			b.wantState(tc.task, tc.held, tc.agent)

			// The store takes the next write: nothing before the third retry,
			// the transition at it.
			b.clock.Advance(retry - time.Nanosecond)
			if evs := b.sub.Drain(); len(evs) > 0 {
				t.Errorf("before the retry: %+v", evs)
			}
			b.clock.Advance(time.Nanosecond)
			for _, e := range b.sub.Drain() {
				if e.Type == EventError {
					t.Errorf("router error after the store recovered: %+v", e)
				}
			}
			tc.after(b, due.Add(3*retry))
			if _, failures := fs.counts(); failures != 3 {
				t.Errorf("store refused %d writes, want 3 (the timer and its two retries)", failures)
			}
		})
	}
}

// A caller's ctx bounds all the work its call causes (so a store that blocks
// until ctx ends cannot hold the router past the caller's deadline). When
// the caller gives up after its change landed — here, right after the
// operation's own write — the operation still succeeds; the follow-up offer
// its ctx no longer allows is reported as router.error and lands at the
// retry, with the routing contract intact.
func TestStoreFailureCancelledCallerFollowUpIsRetried(t *testing.T) {
	type key struct{}
	for _, tc := range followCases() {
		if tc.timer {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			b, fs := newFaultBench(t, nil)
			tc.setup(b)
			b.sub.Drain()

			ctx, cancel := context.WithCancel(context.WithValue(b.ctx, key{}, "req-42"))
			defer cancel()
			type seen struct {
				value  any
				err    error
				states []TaskState
			}
			var writes []seen
			fs.onWrite(func(wctx context.Context, c *Change, err error) {
				var states []TaskState
				for _, t := range c.Tasks {
					states = append(states, t.State)
				}
				writes = append(writes, seen{wctx.Value(key{}), err, states})
				if len(writes) == 1 {
					cancel() // the caller gives up right after its change is stored
				}
			})
			fs.failWhen(ctxDone) // a store that refuses work under a done ctx
			err := tc.op(ctx, b)
			fs.onWrite(nil)
			b.must(err)

			if len(writes) != 2 {
				t.Fatalf("writes %+v, want the operation's and the refused offer", writes)
			}
			if w := writes[1]; w.err == nil || w.value != "req-42" || !slices.Contains(w.states, StateOffered) {
				t.Errorf("follow-up write %+v, want the offer tried under the caller's ctx and refused", w)
			}
			var sawError bool
			for _, e := range b.sub.Drain() {
				if e.Type == EventTaskOffered {
					t.Fatalf("offer %s>%s published though its write was refused", e.TaskID, e.AgentID)
				}
				sawError = sawError || e.Type == EventError
			}
			if !sawError {
				t.Error("no router.error for the refused follow-up")
			}
			b.clock.Advance(RetryIntervalDefault)
			b.wantOffers(tc.task + ">" + tc.agent)
			b.wantState(tc.task, StateOffered, tc.agent)
		})
	}
}

// A refused follow-up offer is retried with the routing contract intact: a
// task returned by a reject is not offered again to the agent who rejected it
// while another agent can take it (docs/routing.md, "Two decisions").
//
// ana rejects t1 (MissedPolicy StayAvailable: she stays ready); the offer to
// bob, who has not turned t1 down, is refused. bob then changes status, so by
// the time of the retry he has been idle for less long than ana. At the retry
// both are ready and t1 waits: it must go to bob.
func TestStoreFailureRetryKeepsRejecterLast(t *testing.T) {
	const retry = 3 * time.Second
	b, fs := newFaultBenchChecked(t, &Config{RetryInterval: retry, MissedPolicy: StayAvailable, AgentStatuses: testStatuses}, false)
	failureWorld(b)
	b.agent("ana", "desk")
	b.clock.Advance(time.Second)
	b.agent("bob", "desk")
	b.create(TaskInput{QueueID: "billing"})
	b.wantOffers("t1>ana")

	fs.failWhen(writesState(StateOffered))
	b.clock.Advance(time.Second) // t0+2s
	b.must(b.r.Reject(b.ctx, "t1", "ana"))
	b.clock.Advance(time.Second) // t0+3s
	b.status("bob", "Break")
	b.status("bob", StatusAvailable) // bob idle since t0+3s, ana since t0+2s
	retryAwareInvariants(b)
	b.wantState("t1", StateQueued, "")

	fs.heal()
	b.clock.Set(t0.Add(2*time.Second + retry))
	b.wantOffers("t1>bob")
	retryAwareInvariants(b)
}

// A router that restarts while the store refuses writes still starts: the
// timers that fell due while nothing ran are reported and retried, and land
// once the store is back.
func TestStoreFailureRestartWithOverdueTimer(t *testing.T) {
	const retry = 2 * time.Second
	b, fs := newFaultBench(t, &Config{RetryInterval: retry})
	failureWorld(b)
	b.agent("ana", "desk")
	b.create(TaskInput{QueueID: "billing"}) // offered to ana until t0+20s
	b.must(b.r.Close(context.Background()))

	b.clock.Advance(time.Minute) // nothing runs
	fs.failAll()
	c := Config{Clock: b.clock, RetryInterval: retry, Test: TestConfig{CheckInvariants: true},
		NewID: func() string { b.ids++; return fmt.Sprintf("t%d", b.ids) }}
	r, err := NewRouter(b.ctx, fs, &c)
	if err != nil {
		t.Fatalf("NewRouter with the store refusing writes: %v", err)
	}
	b.r = r
	b.sub = r.Subscribe(&SubscribeOptions{MaxPending: -1})
	b.wantState("t1", StateOffered, "ana")
	if _, failures := fs.counts(); failures != 1 {
		t.Errorf("the overdue offer timeout asked for %d refused writes, want 1", failures)
	}

	fs.heal()
	b.clock.Advance(retry)
	b.wantState("t1", StateQueued, "")
	if a := b.agentNow("ana"); a.Blocked != BlockedMissed {
		t.Errorf("ana is blocked %q, want MISSED", a.Blocked)
	}
	var missed []Event
	for _, e := range b.sub.Drain() {
		if e.Type == EventTaskMissed {
			missed = append(missed, e)
		}
	}
	if len(missed) != 1 || !missed[0].Time.Equal(t0.Add(time.Minute+retry)) {
		t.Errorf("missed events %+v, want one at t0+1m+RetryInterval", missed)
	}
}
