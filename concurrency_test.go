package switchboard

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// These tests drive one router from many goroutines at once, with real timers
// firing underneath, and check that it stays consistent, that Close is
// prompt even with a timer callback in flight, and that nothing of the
// router outlives Close. Run them with -race.

// stressOpts configures one stress run.
type stressOpts struct {
	clock   Clock
	advance func() // moves a manual clock; called in a loop by its own goroutine
	workers int
	iters   int
	offer   time.Duration // Config.OfferTimeout
	acw     time.Duration // ACW limit of some agents
	sched   time.Duration // how far ahead some tasks are scheduled
	expiry  time.Duration // lifetime of some tasks
}

// stressRun is the shared state of the worker goroutines.
type stressRun struct {
	t      *testing.T
	ctx    context.Context
	r      *Router
	clock  Clock
	o      stressOpts
	agents []string
	queues []string

	mu      sync.Mutex
	created []string // every task the router acknowledged, transfers' new segments included
}

func (s *stressRun) add(id string) {
	s.mu.Lock()
	s.created = append(s.created, id)
	s.mu.Unlock()
}

func (s *stressRun) someTask(rng *rand.Rand) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.created) == 0 {
		return "", false
	}
	// Favour recent tasks: they are the ones still open.
	n := len(s.created)
	i := n - 1 - rng.IntN(min(n, 40))
	return s.created[i], true
}

func (s *stressRun) someAgent(rng *rand.Rand) string { return s.agents[rng.IntN(len(s.agents))] }
func (s *stressRun) someQueue(rng *rand.Rand) string { return s.queues[rng.IntN(len(s.queues))] }

// allow reports an error unless it is nil or matches one of the errors the
// operation may meet when others act on the same task at the same time.
func (s *stressRun) allow(op string, err error, ok ...error) {
	if err == nil {
		return
	}
	for _, e := range ok {
		if errors.Is(err, e) {
			return
		}
	}
	s.t.Errorf("%s: unexpected error: %v", op, err)
}

// stressWorld: queues q0..q2; profile p0 (TASK 2) serves q0 then q1; p1
// (TASK 3) serves q1 after a 1 s delay and q2; six agents alternate between
// them, one auto-accepts, two have an ACW limit, all speak French at some
// level.
func (s *stressRun) world() {
	ctx, r := s.ctx, s.r
	must := func(err error) {
		s.t.Helper()
		if err != nil {
			s.t.Fatal(err)
		}
	}
	s.queues = []string{"q0", "q1", "q2"}
	for _, q := range s.queues {
		must(r.PutQueue(ctx, Queue{ID: q, Name: q}))
	}
	must(r.PutRoutingProfile(ctx, stressProfile("p0", false)))
	must(r.PutRoutingProfile(ctx, stressProfile("p1", false)))
	for i := range 6 {
		a := Agent{ID: fmt.Sprintf("a%d", i), RoutingProfileID: fmt.Sprintf("p%d", i%2), Status: StatusAvailable,
			Proficiencies: []Proficiency{{Name: "Language", Value: "French", Level: 1 + i%5}}}
		if i == 0 {
			a.AutoAccept = []Channel{ChannelTask}
		}
		if i == 1 || i == 4 {
			a.AfterContactWorkLimit = map[Channel]time.Duration{ChannelTask: s.o.acw}
		}
		must(r.PutAgent(ctx, a))
		s.agents = append(s.agents, a.ID)
	}
}

// stressProfile returns p0 or p1; alt changes p1's delay and queue order
// (never the concurrency, so that load never exceeds it).
func stressProfile(id string, alt bool) RoutingProfile {
	if id == "p0" {
		return RoutingProfile{ID: id, Concurrency: []MediaConcurrency{{Channel: ChannelTask, Concurrency: 2}},
			Queues: []QueueConfig{{QueueID: "q0", Priority: 1}, {QueueID: "q1", Priority: 2}}}
	}
	p := RoutingProfile{ID: id, Concurrency: []MediaConcurrency{{Channel: ChannelTask, Concurrency: 3}},
		Queues: []QueueConfig{{QueueID: "q1", Priority: 1, Delay: time.Second}, {QueueID: "q2", Priority: 2}}}
	if alt {
		p.Queues = []QueueConfig{{QueueID: "q2", Priority: 1}, {QueueID: "q1", Priority: 2}}
	}
	return p
}

// step does one random thing, as a host serving agents and a CRM would.
func (s *stressRun) step(rng *rand.Rand, g int) {
	ctx, r := s.ctx, s.r
	switch n := rng.IntN(24); {
	case n < 4: // create
		in := TaskInput{Name: fmt.Sprintf("task of worker %d", g), Priority: 1 + rng.IntN(9),
			Attributes: map[string]string{"worker": fmt.Sprint(g)}}
		if rng.IntN(8) == 0 {
			in.AgentID = s.someAgent(rng)
		} else {
			in.QueueID = s.someQueue(rng)
		}
		switch rng.IntN(6) {
		case 0:
			in.ScheduledAt = s.clock.Now().Add(s.o.sched)
		case 1:
			in.Expiry = s.o.expiry
		case 2:
			in.RoutingCriteria = &RoutingCriteria{Steps: []RoutingStep{
				{Requirement: Proficient("Language", "French", 1+rng.IntN(5)), Expiry: time.Second}}}
		}
		t, err := r.CreateTask(ctx, in)
		s.allow("CreateTask", err, ErrQueueAtCapacity, ErrValidation)
		if err == nil {
			s.add(t.ID)
		}
	case n < 6: // agent status
		st := []AgentStatus{StatusAvailable, StatusAvailable, "Break", StatusOffline}[rng.IntN(4)]
		s.allow("SetAgentStatus", r.SetAgentStatus(ctx, s.someAgent(rng), st))
	case n < 12: // an agent works through what it holds
		s.work(rng, s.someAgent(rng))
	case n < 13:
		if id, ok := s.someTask(rng); ok {
			s.allow("Stop", r.Stop(ctx, id), ErrInvalidState)
		}
	case n < 14:
		if id, ok := s.someTask(rng); ok {
			u := RoutingUpdate{Priority: 1 + rng.IntN(9)}
			if rng.IntN(2) == 0 {
				u = RoutingUpdate{ClearCriteria: true}
			}
			s.allow("UpdateRouting", r.UpdateRouting(ctx, id, u), ErrInvalidState)
		}
	case n < 15:
		if id, ok := s.someTask(rng); ok {
			s.allow("UpdateAttributes", r.UpdateAttributes(ctx, id, map[string]string{"touched": fmt.Sprint(g)}))
		}
	case n < 16:
		if id, ok := s.someTask(rng); ok {
			to := TransferTarget{QueueID: s.someQueue(rng)}
			if rng.IntN(4) == 0 {
				to = TransferTarget{AgentID: s.someAgent(rng)}
			}
			t, err := r.Transfer(ctx, id, to)
			s.allow("Transfer", err, ErrInvalidState, ErrLimitExceeded, ErrQueueAtCapacity)
			if err == nil {
				s.add(t.ID)
			}
		}
	case n < 17:
		s.allow("ClearAgent", r.ClearAgent(ctx, s.someAgent(rng)))
	case n < 18: // a short-lived subscriber
		sub := r.Subscribe(&SubscribeOptions{MaxPending: 64})
		sub.Drain()
		wctx, cancel := context.WithTimeout(ctx, time.Millisecond)
		if _, err := sub.Next(wctx); err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, ErrSubscriberTooSlow) {
			s.t.Errorf("Subscription.Next: %v", err)
		}
		cancel()
		sub.Close()
		sub.Drain()
		if _, err := sub.Next(ctx); !errors.Is(err, ErrClosed) && !errors.Is(err, ErrSubscriberTooSlow) {
			s.t.Errorf("Next on a closed, drained subscription: %v, want ErrClosed", err)
		}
	case n < 19:
		if id, ok := s.someTask(rng); ok {
			err := r.Reschedule(ctx, id, s.clock.Now().Add(s.o.sched))
			s.allow("Reschedule", err, ErrInvalidState, ErrValidation, ErrLimitExceeded)
		}
	case n < 20: // reconfigure
		if rng.IntN(2) == 0 {
			s.allow("PutRoutingProfile", r.PutRoutingProfile(ctx, stressProfile("p1", rng.IntN(2) == 0)))
		} else {
			i := rng.IntN(len(s.agents))
			a := Agent{ID: s.agents[i], RoutingProfileID: fmt.Sprintf("p%d", i%2),
				Proficiencies: []Proficiency{{Name: "Language", Value: "French", Level: 1 + rng.IntN(5)}}}
			s.allow("PutAgent", r.PutAgent(ctx, a))
		}
	default:
		s.read(rng)
	}
}

// work has an agent act on every task it holds, and clear itself when it is
// blocked.
func (s *stressRun) work(rng *rand.Rand, agent string) {
	ctx, r := s.ctx, s.r
	ts, err := r.AgentTasks(agent)
	s.allow("AgentTasks", err)
	for _, t := range ts {
		var err error
		op := string(t.State)
		switch t.State {
		case StateOffered:
			if rng.IntN(5) == 0 {
				err = r.Reject(ctx, t.ID, agent)
			} else {
				err = r.Accept(ctx, t.ID, agent)
			}
		case StateConnected:
			switch rng.IntN(7) {
			case 0:
				err = r.Pause(ctx, t.ID)
			case 1:
				var nt *Task
				nt, err = r.Transfer(ctx, t.ID, TransferTarget{QueueID: s.someQueue(rng)})
				if err == nil {
					s.add(nt.ID)
				}
			default:
				err = r.Complete(ctx, t.ID)
			}
		case StatePaused:
			err = r.Resume(ctx, t.ID)
		case StateAfterContactWork:
			err = r.CloseAfterContactWork(ctx, t.ID)
		}
		s.allow("work on "+op+" task", err, ErrInvalidState, ErrLimitExceeded, ErrQueueAtCapacity)
	}
	if a, err := r.Agent(agent); err == nil && a.Blocked != NotBlocked && rng.IntN(2) == 0 {
		s.allow("ClearAgent", r.ClearAgent(ctx, agent))
	}
}

// read checks that what the router answers is consistent in itself.
func (s *stressRun) read(rng *rand.Rand) {
	ctx, r := s.ctx, s.r
	if id, ok := s.someTask(rng); ok {
		t, err := r.Task(ctx, id)
		s.allow("Task", err)
		if err == nil && (t.ID != id || t.Version < 1) {
			s.t.Errorf("Task(%q) returned %s v%d", id, t.ID, t.Version)
		}
	}
	agent := s.someAgent(rng)
	a, err := r.Agent(agent)
	s.allow("Agent", err)
	ts, err := r.AgentTasks(agent)
	s.allow("AgentTasks", err)
	for _, t := range ts {
		if t.AgentID != agent || !t.State.holdsSlot() {
			s.t.Errorf("AgentTasks(%q) lists %s, %s for %q", agent, t.ID, t.State, t.AgentID)
		}
	}
	if a != nil && len(ts) > 3 {
		s.t.Errorf("agent %q holds %d tasks, more than any concurrency", agent, len(ts))
	}
	q := s.someQueue(rng)
	qs, err := r.QueuedTasks(q)
	s.allow("QueuedTasks", err)
	for _, t := range qs {
		if t.State != StateQueued || t.QueueID != q {
			s.t.Errorf("QueuedTasks(%q) lists %s, %s in %q", q, t.ID, t.State, t.QueueID)
		}
	}
	_, err = r.QueueOpen(q)
	s.allow("QueueOpen", err)
	for _, lq := range []TaskQuery{{QueueID: q, PageSize: 7}, {AgentID: agent, PageSize: 2}} {
		var last uint64
		for t, err := range r.Tasks(lq) {
			s.allow("Tasks", err)
			if err != nil {
				break
			}
			if t.State.Final() || t.Sequence <= last || (lq.QueueID != "" && t.QueueID != lq.QueueID) ||
				(lq.AgentID != "" && t.AgentID != agent && t.TargetAgentID != agent) {
				s.t.Errorf("Tasks(%+v) lists %s #%d, %s in %q for %q after #%d", lq, t.ID, t.Sequence, t.State, t.QueueID, t.AgentID, last)
			}
			last = t.Sequence
		}
	}
	st := mustStats(r)
	for state, n := range st.TasksByState {
		if n < 0 || state.Final() {
			s.t.Errorf("Stats counts %d open tasks %s", n, state)
		}
	}
}

func runStress(t *testing.T, o stressOpts) {
	seed := testSeed(t)
	baseline := runtime.NumGoroutine()
	ctx := context.Background()
	fs := newFaultStore() // counts writes; refuses none
	var ids atomic.Int64
	r, err := NewRouter(ctx, fs, &Config{
		Clock: o.clock, AgentStatuses: testStatuses, OfferTimeout: o.offer, RetryInterval: time.Millisecond,
		NewID: func() string { return fmt.Sprintf("s%d", ids.Add(1)) },
		Test:  TestConfig{CheckInvariants: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := &stressRun{t: t, ctx: ctx, r: r, clock: o.clock, o: o}
	s.world()

	// One subscriber reads every event from here to Close.
	sub := r.Subscribe(&SubscribeOptions{MaxPending: -1})
	firstSeq := emittedEvents(r) + 1
	var events []Event
	subDone := make(chan error, 1)
	go func() {
		for {
			e, err := sub.Next(ctx)
			if err != nil {
				subDone <- err
				return
			}
			events = append(events, e)
		}
	}()
	stopClock := make(chan struct{})
	clockDone := make(chan struct{})
	go func() {
		defer close(clockDone)
		if o.advance == nil {
			return
		}
		for {
			select {
			case <-stopClock:
				return
			default:
				o.advance()
				time.Sleep(20 * time.Microsecond)
			}
		}
	}()

	var wg sync.WaitGroup
	for g := range o.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("worker %d: the router panicked: %v", g, p)
				}
			}()
			rng := rand.New(rand.NewPCG(seed, uint64(g)))
			for i := range o.iters {
				s.step(rng, g)
				if i%16 == 15 {
					time.Sleep(time.Millisecond) // let wall-clock timers fall due
				}
			}
		}()
	}
	wg.Wait()

	began := time.Now()
	if err := r.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if took := time.Since(began); took > time.Second {
		t.Errorf("Close took %s", took)
	}
	writesAtClose, _ := fs.counts()
	close(stopClock)
	<-clockDone
	if err := <-subDone; !errors.Is(err, ErrClosed) {
		t.Errorf("the subscriber ended with %v, want ErrClosed", err)
	}

	checkClosedRouter(t, r, s.created, fs)
	checkEvents(t, events, firstSeq, r, fs.MemoryStore)
	if _, err := r.CreateTask(ctx, TaskInput{Name: "late", QueueID: "q0"}); !errors.Is(err, ErrClosed) {
		t.Errorf("CreateTask after Close: %v, want ErrClosed", err)
	}
	waitGoroutines(t, baseline)
	if n, _ := fs.counts(); n != writesAtClose {
		t.Errorf("%d store writes after Close returned", n-writesAtClose)
	}
	open := 0
	for _, n := range openTaskCounts(r) {
		open += n
	}
	byType := map[EventType]int{}
	for _, e := range events {
		byType[e.Type]++
	}
	t.Logf("%d tasks created, %d still open, %d events, %d store writes; events by type %v",
		len(s.created), open, len(events), writesAtClose, byType)
}

// checkClosedRouter checks a closed router against its store: invariants
// hold; every task created is in the store, open in the router with exactly
// the stored value or final in the store and gone from the router; the
// router knows no other task; agents agree with the store and none holds
// more than its concurrency.
func checkClosedRouter(t *testing.T, r *Router, created []string, fs *faultStore) {
	t.Helper()
	d := dumpStore(fs.MemoryStore)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.checkInvariants(); err != nil {
		t.Errorf("invariant broken after the run: %v", err)
	}
	known := map[string]bool{}
	for _, id := range created {
		if known[id] {
			t.Errorf("task %s acknowledged twice", id)
		}
		known[id] = true
		st, ok := d.Tasks[id]
		if !ok {
			t.Errorf("task %s was acknowledged but is not in the store", id)
			continue
		}
		e := r.tasks[id]
		switch {
		case st.State.Final() && e != nil:
			t.Errorf("task %s is %s in the store but open (%s) in the router", id, st.State, e.t.State)
		case !st.State.Final() && e == nil:
			t.Errorf("task %s is %s in the store but unknown to the router", id, st.State)
		case e != nil && !reflect.DeepEqual(*e.t, st):
			t.Errorf("task %s: router has %+v, store has %+v", id, *e.t, st)
		}
	}
	for id := range d.Tasks {
		if !known[id] {
			t.Errorf("the store holds task %s, which no call acknowledged", id)
		}
	}
	for id, a := range r.agents {
		if !reflect.DeepEqual(a.Agent, d.Agents[id]) {
			t.Errorf("agent %s: router has %+v, store has %+v", id, a.Agent, d.Agents[id])
		}
		for ch := range numChannels {
			if a.load[ch] > a.profile.conc[ch] {
				t.Errorf("agent %s holds %d %s tasks, concurrency %d", id, a.load[ch], Channels[ch], a.profile.conc[ch])
			}
		}
	}
}

// checkEvents checks one subscriber's complete view: every event from
// firstSeq to the router's last, in order, without gaps; and for every task,
// its last event carries the state the store holds.
func checkEvents(t *testing.T, events []Event, firstSeq uint64, r *Router, ms *MemoryStore) {
	t.Helper()
	for i, e := range events {
		if e.Seq != firstSeq+uint64(i) {
			t.Errorf("event %d has Seq %d, want %d", i, e.Seq, firstSeq+uint64(i))
			break
		}
	}
	if n := len(events); n > 0 && events[n-1].Seq != emittedEvents(r) {
		t.Errorf("last event seen %d, router emitted %d", events[n-1].Seq, emittedEvents(r))
	}
	last := map[string]Event{}
	for _, e := range events {
		if e.TaskID != "" && e.Type != EventError {
			last[e.TaskID] = e
		}
	}
	d := dumpStore(ms)
	for id, e := range last {
		if st := d.Tasks[id].State; e.State != st {
			t.Errorf("task %s: last event %s (Seq %d) says %s, store says %s", id, e.Type, e.Seq, e.State, st)
		}
	}
	for id := range d.Tasks {
		if _, ok := last[id]; !ok {
			t.Errorf("task %s has no event", id)
		}
	}
}

// waitGoroutines waits a little for the goroutine count to come back to
// baseline and reports the stacks if it does not.
func waitGoroutines(t *testing.T, baseline int) {
	t.Helper()
	n := runtime.NumGoroutine()
	for i := 0; i < 200 && n > baseline; i++ {
		time.Sleep(5 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	if n > baseline {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines before, %d after Close:\n%s", baseline, n, buf[:runtime.Stack(buf, true)])
	}
}

// Eight goroutines create, route, work, transfer, stop and reconfigure at
// once on the wall clock, with offers timing out after 5 ms, ACW limits of
// 3 ms, tasks scheduled 2 ms ahead and tasks expiring after 30 ms.
func TestConcurrencyStressSystemClock(t *testing.T) {
	runStress(t, stressOpts{clock: SystemClock(), workers: 8, iters: 400,
		offer: 5 * time.Millisecond, acw: 3 * time.Millisecond, sched: 2 * time.Millisecond, expiry: 30 * time.Millisecond})
}

// The same on a manual clock that its own goroutine keeps advancing, so that
// timer callbacks run on that goroutine while the workers call in, and step
// and delay timers (whole seconds) fire too.
func TestConcurrencyStressManualClock(t *testing.T) {
	c := NewManualClock(t0)
	runStress(t, stressOpts{clock: c, advance: func() { c.Advance(5 * time.Millisecond) }, workers: 8, iters: 400,
		offer: 20 * time.Millisecond, acw: 30 * time.Millisecond, sched: 20 * time.Millisecond, expiry: 300 * time.Millisecond})
}

// ---- Close with a timer callback in flight ----

// Close called while a wall-clock timer callback is inside its store write
// waits for that callback, then returns at once; afterwards nothing of the
// router runs and every method returns ErrClosed.
func TestConcurrencyCloseDuringTimerCallback(t *testing.T) {
	baseline := runtime.NumGoroutine()
	ctx := context.Background()
	fs := newFaultStore()
	r, err := NewRouter(ctx, fs, &Config{OfferTimeout: 5 * time.Millisecond, Test: TestConfig{CheckInvariants: true}})
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
	sub := r.Subscribe(nil)

	// Hold the offer timeout's write (the task back to QUEUED) in the store.
	entered := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	fs.beforeWrite(func(_ context.Context, c *Change) {
		if slices.ContainsFunc(c.Tasks, func(t *Task) bool { return t.State == StateQueued && t.Version > 1 }) {
			once.Do(func() { close(entered) })
			<-release
		}
	})
	task, err := r.CreateTask(ctx, TaskInput{Name: "call back", QueueID: "billing"})
	must(err)

	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the offer timeout never fired")
	}
	closed := make(chan struct{})
	go func() {
		r.Close(context.Background())
		close(closed)
	}()
	select {
	case <-closed:
		t.Fatal("Close returned while a timer callback was still writing")
	case <-time.After(20 * time.Millisecond):
	}
	released := time.Now()
	close(release)
	select {
	case <-closed:
	case <-time.After(time.Second):
		t.Fatal("Close did not return within 1 s of the callback finishing")
	}
	t.Logf("Close returned %s after the callback was released", time.Since(released))
	writes, _ := fs.counts()

	// The callback's change landed whole: the store and the router agree.
	checkClosedRouter(t, r, []string{task.ID}, fs)
	if st := dumpStore(fs.MemoryStore).Tasks[task.ID]; st.State != StateQueued {
		t.Errorf("task is %s in the store, want QUEUED (the missed offer landed)", st.State)
	}
	for {
		_, err := sub.Next(ctx)
		if err != nil {
			if !errors.Is(err, ErrClosed) {
				t.Errorf("subscriber ended with %v, want ErrClosed", err)
			}
			break
		}
	}
	wantClosed(t, r, task.ID)
	waitGoroutines(t, baseline)
	time.Sleep(20 * time.Millisecond)
	if n, _ := fs.counts(); n != writes {
		t.Errorf("%d store writes after Close returned", n-writes)
	}
}

// wantClosed checks that every method of a closed router returns ErrClosed.
func wantClosed(t *testing.T, r *Router, taskID string) {
	t.Helper()
	ctx := context.Background()
	second := func(_ any, err error) error { return err }
	for name, err := range map[string]error{
		"CreateTask":     second(r.CreateTask(ctx, TaskInput{Name: "late", QueueID: "billing"})),
		"Accept":         r.Accept(ctx, taskID, "ana"),
		"Stop":           r.Stop(ctx, taskID),
		"Task":           second(r.Task(ctx, taskID)),
		"Agent":          second(r.Agent("ana")),
		"AgentTasks":     second(r.AgentTasks("ana")),
		"QueuedTasks":    second(r.QueuedTasks("billing")),
		"SetAgentStatus": r.SetAgentStatus(ctx, "ana", StatusOffline),
		"PutQueue":       r.PutQueue(ctx, Queue{ID: "late", Name: "late"}),
	} {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
	if _, err := r.Subscribe(nil).Next(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Subscribe after Close: Next returned %v, want ErrClosed", err)
	}
}

// Close in the middle of a storm of 1 ms offer timeouts — callbacks firing
// back to back while callers keep calling — returns every time (a bound of
// seconds catches a hang) and leaves nothing running.
func TestConcurrencyCloseDuringTimerStorm(t *testing.T) {
	for round := range 5 {
		baseline := runtime.NumGoroutine()
		ctx := context.Background()
		fs := newFaultStore()
		r, err := NewRouter(ctx, fs, &Config{OfferTimeout: time.Millisecond, MissedPolicy: StayAvailable})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.PutQueue(ctx, Queue{ID: "billing", Name: "billing"}); err != nil {
			t.Fatal(err)
		}
		if err := r.PutRoutingProfile(ctx, RoutingProfile{ID: "desk",
			Concurrency: []MediaConcurrency{{Channel: ChannelTask, Concurrency: 3}},
			Queues:      []QueueConfig{{QueueID: "billing", Priority: 1}}}); err != nil {
			t.Fatal(err)
		}
		for i := range 10 {
			if err := r.PutAgent(ctx, Agent{ID: fmt.Sprintf("a%d", i), RoutingProfileID: "desk", Status: StatusAvailable}); err != nil {
				t.Fatal(err)
			}
		}
		sub := r.Subscribe(&SubscribeOptions{MaxPending: -1})
		timedOut := r.Subscribe(&SubscribeOptions{MaxPending: -1, Filter: &EventFilter{Types: []EventType{EventTaskMissed}}})
		var last atomic.Value
		for range 60 {
			task, err := r.CreateTask(ctx, TaskInput{Name: "call back", QueueID: "billing"})
			if err != nil {
				t.Fatal(err)
			}
			last.Store(task.ID)
		}
		// Callers that keep going until the router is closed under them.
		var wg sync.WaitGroup
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					_, err := r.Task(ctx, last.Load().(string))
					if errors.Is(err, ErrClosed) {
						return
					}
					if err != nil {
						t.Errorf("Task: %v", err)
						return
					}
					task, err := r.CreateTask(ctx, TaskInput{Name: "more", QueueID: "billing"})
					if errors.Is(err, ErrClosed) {
						return
					}
					if err != nil {
						t.Errorf("CreateTask: %v", err)
						return
					}
					last.Store(task.ID)
				}
			}()
		}
		// Close once the storm is on — an offer has timed out, which on a
		// loaded machine takes longer than the 1 ms timeout suggests — at a
		// different point of it each round.
		wait, cancel := context.WithTimeout(ctx, 10*time.Second)
		if _, err := timedOut.Next(wait); err != nil {
			cancel()
			t.Fatalf("round %d: no offer timed out within 10 s: %v", round, err)
		}
		cancel()
		time.Sleep(time.Duration(round*10) * time.Millisecond)
		began := time.Now()
		if err := r.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		took := time.Since(began)
		writes, _ := fs.counts()
		wg.Wait()
		// A hang, not a speed check: the machines are shared, and a loaded
		// one took 450 ms for what an idle one does in a few.
		if took > 5*time.Second {
			t.Errorf("round %d: Close took %s: it waits on something the storm keeps alive", round, took)
		}
		missed := 0
		for _, e := range sub.Drain() {
			if e.Type == EventTaskMissed {
				missed++
			}
		}
		if missed == 0 {
			t.Errorf("round %d: no offer timed out before Close; the storm did not happen", round)
		}
		waitGoroutines(t, baseline)
		time.Sleep(10 * time.Millisecond)
		if n, _ := fs.counts(); n != writes {
			t.Errorf("round %d: %d store writes after Close returned", round, n-writes)
		}
		wantClosed(t, r, last.Load().(string))
	}
}

// heldClock is a ManualClock whose timer callbacks, once fired, wait for the
// test to let them run: the state of a wall-clock callback whose goroutine
// has started but not yet reached the router.
type heldClock struct {
	*ManualClock
	hold    chan struct{}
	running atomic.Int32 // callbacks fired and not finished
}

func (c *heldClock) AfterFunc(d time.Duration, f func()) func() bool {
	return c.ManualClock.AfterFunc(d, func() {
		c.running.Add(1)
		defer c.running.Add(-1)
		<-c.hold
		f()
	})
}

// Close waits for a callback that has fired but not yet reached the router,
// and so does every other Close call made meanwhile: Close is idempotent, and
// no call of it returns while a goroutine of the router still runs (Close).
func TestConcurrencyCloseTwiceWaitsForCallback(t *testing.T) {
	ctx := context.Background()
	clock := &heldClock{ManualClock: NewManualClock(t0), hold: make(chan struct{})}
	fs := newFaultStore()
	r, err := NewRouter(ctx, fs, &Config{Clock: clock, Test: TestConfig{CheckInvariants: true}})
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		r.PutQueue(ctx, Queue{ID: "billing", Name: "billing"}),
		r.PutRoutingProfile(ctx, RoutingProfile{ID: "desk",
			Concurrency: []MediaConcurrency{{Channel: ChannelTask, Concurrency: 1}},
			Queues:      []QueueConfig{{QueueID: "billing", Priority: 1}}}),
		r.PutAgent(ctx, Agent{ID: "ana", RoutingProfileID: "desk", Status: StatusAvailable}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.CreateTask(ctx, TaskInput{Name: "call back", QueueID: "billing"}); err != nil {
		t.Fatal(err)
	}

	advanced := make(chan struct{})
	go func() {
		clock.Advance(OfferTimeoutDefault) // the offer timeout fires, and waits
		close(advanced)
	}()
	for clock.running.Load() == 0 {
		time.Sleep(100 * time.Microsecond)
	}
	writes, _ := fs.counts()

	closeAsync := func() <-chan int32 {
		done := make(chan int32, 1)
		go func() {
			r.Close(context.Background())
			done <- clock.running.Load() // callbacks still running when Close returned
		}()
		return done
	}
	first := closeAsync()
	time.Sleep(10 * time.Millisecond)
	second := closeAsync()
	calls := map[string]<-chan int32{"first": first, "second": second}
	for name, done := range calls {
		select {
		case n := <-done:
			t.Errorf("the %s Close returned while %d timer callback(s) of the router had not finished", name, n)
			delete(calls, name)
		case <-time.After(20 * time.Millisecond):
		}
	}

	close(clock.hold)
	<-advanced
	for name, done := range calls {
		select {
		case <-done:
		case <-time.After(time.Second):
			t.Errorf("the %s Close did not return within 1 s of the callback finishing", name)
		}
	}
	if n, _ := fs.counts(); n != writes {
		t.Errorf("the callback wrote %d changes after Close", n-writes)
	}
}
