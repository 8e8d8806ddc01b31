package switchboardtest_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-go/switchboard"
	"github.com/switchboard-go/switchboard/switchboardtest"
)

// fakeTB records failures instead of failing the real test. Fatalf and Fatal
// stop the calling goroutine with runtime.Goexit, as testing.T does, so the
// helper under test must run on a goroutine of its own (see run). Cleanup
// is passed to the real test, so the harness still closes its router.
type fakeTB struct {
	testing.TB // the real test, for everything not overridden

	mu     sync.Mutex
	errors []string
	fatal  bool
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

func (f *fakeTB) Error(args ...any) { f.Errorf("%s", fmt.Sprint(args...)) }

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.Errorf(format, args...)
	f.mu.Lock()
	f.fatal = true
	f.mu.Unlock()
	runtime.Goexit()
}

func (f *fakeTB) Fatal(args ...any) { f.Fatalf("%s", fmt.Sprint(args...)) }

func (f *fakeTB) messages() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.errors)
}

// run calls fn on a goroutine of its own and reports whether fn stopped
// (Fatalf) before returning.
func (f *fakeTB) run(fn func()) (stopped bool) {
	done := make(chan bool)
	go func() {
		returned := false
		defer func() { done <- !returned }()
		fn()
		returned = true
	}()
	return <-done
}

// setup is the world of most tests: ana and bob serve billing one task at a
// time.
func setup(t testing.TB, opts *switchboardtest.Options) *switchboardtest.Harness {
	h := switchboardtest.New(t, opts)
	h.Queue("billing")
	h.Profile("desk", 1, "billing")
	h.Agent("ana", "desk")
	return h
}

func TestHarnessHappyPath(t *testing.T) {
	h := setup(t, nil)
	task := h.CreateTask(switchboard.TaskInput{QueueID: "billing"})
	if task.ID != "task-1" {
		t.Fatalf("first task ID = %q, want task-1", task.ID)
	}
	if !task.InitiatedAt.Equal(switchboardtest.DefaultStart) {
		t.Fatalf("InitiatedAt = %v, want %v", task.InitiatedAt, switchboardtest.DefaultStart)
	}
	h.RequireOffered(task.ID, "ana")
	h.RequireState(task.ID, switchboard.StateOffered)

	h.Agent("bob", "desk")
	h.Advance(20 * time.Second) // ana misses the offer; bob is next
	h.RequireOffered(task.ID, "bob")
	if got := h.Offers(task.ID); !slices.Equal(got, []string{"ana", "bob"}) {
		t.Fatalf("Offers = %q, want [ana bob]", got)
	}
	h.Must(h.Router.Accept(h.Ctx, task.ID, "bob"))
	h.RequireState(task.ID, switchboard.StateConnected)
	h.RequireEvents(switchboard.EventFilter{TaskID: task.ID},
		switchboard.EventTaskCreated, switchboard.EventTaskQueued, switchboard.EventTaskOffered,
		switchboard.EventTaskMissed, switchboard.EventTaskOffered, switchboard.EventTaskAccepted)

	evs := h.Events()
	for i, e := range evs {
		if e.Seq != uint64(i+1) {
			t.Fatalf("event %d has Seq %d: the recorder missed or reordered events", i, e.Seq)
		}
	}
}

func TestRequireOfferedFailureMessage(t *testing.T) {
	fake := &fakeTB{TB: t}
	h := setup(fake, nil)
	h.Agent("bob", "desk")
	task := h.CreateTask(switchboard.TaskInput{QueueID: "billing"}) // to ana, idle longest
	h.Advance(20 * time.Second)                                     // missed; then to bob

	if !fake.run(func() { h.RequireOffered(task.ID, "cleo") }) {
		t.Fatal("RequireOffered to the wrong agent returned instead of stopping the test")
	}
	msgs := fake.messages()
	if len(msgs) != 1 {
		t.Fatalf("recorded %d failures, want 1: %q", len(msgs), msgs)
	}
	want := `switchboardtest: task task-1: want the last offer to go to "cleo"; offers seen: ana at +0s (seq 7), bob at +20s (seq 9)`
	if msgs[0] != want {
		t.Fatalf("failure message\n got  %s\n want %s", msgs[0], want)
	}

	// A task never offered says so.
	fake2 := &fakeTB{TB: t}
	h2 := switchboardtest.New(fake2, nil)
	h2.Queue("empty")
	t2 := h2.CreateTask(switchboard.TaskInput{QueueID: "empty"})
	fake2.run(func() { h2.RequireOffered(t2.ID, "ana") })
	if msgs := fake2.messages(); len(msgs) != 1 || !strings.HasSuffix(msgs[0], "offers seen: none") {
		t.Fatalf("failure for a task never offered: %q", msgs)
	}

	// Passing assertions record nothing.
	fake3 := &fakeTB{TB: t}
	h3 := setup(fake3, nil)
	t3 := h3.CreateTask(switchboard.TaskInput{QueueID: "billing"})
	if fake3.run(func() { h3.RequireOffered(t3.ID, "ana") }) || len(fake3.messages()) > 0 {
		t.Fatalf("a passing RequireOffered failed: %q", fake3.messages())
	}
}

func TestRequireStateAndEventsFailureMessages(t *testing.T) {
	fake := &fakeTB{TB: t}
	h := setup(fake, nil)
	task := h.CreateTask(switchboard.TaskInput{QueueID: "billing"})
	fake.run(func() { h.RequireState(task.ID, switchboard.StateQueued) })
	fake.run(func() {
		h.RequireEvents(switchboard.EventFilter{TaskID: task.ID}, switchboard.EventTaskCreated)
	})
	msgs := fake.messages()
	want := []string{
		`switchboardtest: task task-1 is OFFERED (agent "ana"), want QUEUED`,
		"switchboardtest: events matching {task task-1}:\n got  [task.created task.queued task.offered]\n want [task.created]",
	}
	if !slices.Equal(msgs, want) {
		t.Fatalf("failure messages\n got  %q\n want %q", msgs, want)
	}
	fake.run(func() { h.CreateTask(switchboard.TaskInput{QueueID: "nowhere"}) })
	if msgs := fake.messages(); len(msgs) != 3 || !strings.Contains(msgs[2], `CreateTask("task" in queue "nowhere"`) {
		t.Fatalf("CreateTask failure: %q", msgs)
	}
}

// The host's Config is merged: its consumers keep receiving every event, its
// settings apply, and the harness fills in only the clock and the IDs.
func TestOptionsMergeConfig(t *testing.T) {
	var mu sync.Mutex
	var hostSaw []switchboard.EventType
	host := switchboard.ConsumerFunc(func(e switchboard.Event) {
		mu.Lock()
		hostSaw = append(hostSaw, e.Type)
		mu.Unlock()
	})
	cfg := &switchboard.Config{OfferTimeout: time.Minute, Consumers: []switchboard.Consumer{host}}
	start := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	h := setup(t, &switchboardtest.Options{Config: cfg, Start: start, IDPrefix: "T"})
	task := h.CreateTask(switchboard.TaskInput{QueueID: "billing"})
	if task.ID != "T1" || !task.InitiatedAt.Equal(start) {
		t.Fatalf("task %s at %v, want T1 at %v", task.ID, task.InitiatedAt, start)
	}
	if len(cfg.Consumers) != 1 || cfg.Clock != nil || cfg.NewID != nil {
		t.Fatal("New modified the host's Config")
	}
	h.Advance(59 * time.Second)
	h.RequireState(task.ID, switchboard.StateOffered) // the host's OfferTimeout applies
	h.Advance(time.Second)
	h.RequireState(task.ID, switchboard.StateQueued)

	want := h.Events()
	if err := h.Router.Close(context.Background()); err != nil { // Close drains the consumers
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(hostSaw) != len(want) {
		t.Fatalf("the host's consumer saw %d events, the harness %d", len(hostSaw), len(want))
	}
}

// A host's own ManualClock and NewID are used as they are; Start or IDPrefix
// with them is a mistake the harness reports.
func TestOptionsHostClockAndIDs(t *testing.T) {
	clock := switchboard.NewManualClock(time.Date(2031, 5, 6, 0, 0, 0, 0, time.UTC))
	cfg := &switchboard.Config{Clock: clock, NewID: func() string { return "only" }}
	h := setup(t, &switchboardtest.Options{Config: cfg})
	if h.Clock != clock {
		t.Fatal("the harness did not use the host's ManualClock")
	}
	if task := h.CreateTask(switchboard.TaskInput{QueueID: "billing"}); task.ID != "only" {
		t.Fatalf("task ID %q, want the host's", task.ID)
	}

	for name, opts := range map[string]*switchboardtest.Options{
		"Start and Clock":     {Config: &switchboard.Config{Clock: clock}, Start: time.Now()},
		"IDPrefix and NewID":  {Config: &switchboard.Config{NewID: func() string { return "x" }}, IDPrefix: "p"},
		"not a manual clock":  {Config: &switchboard.Config{Clock: switchboard.SystemClock()}},
		"invalid host config": {Config: &switchboard.Config{OfferTimeout: -1}},
	} {
		fake := &fakeTB{TB: t}
		if !fake.run(func() { switchboardtest.New(fake, opts) }) {
			t.Errorf("%s: New did not fail", name)
		}
		if msgs := fake.messages(); len(msgs) != 1 || !strings.HasPrefix(msgs[0], "switchboardtest.New: ") {
			t.Errorf("%s: failures %q", name, msgs)
		}
	}
}

// A harness over a store that already holds state continues its event log:
// the recorder waits for the Seqs after the store's, not from 1.
func TestStoreWithState(t *testing.T) {
	store := switchboard.NewMemoryStore()
	clock := switchboard.NewManualClock(switchboardtest.DefaultStart)
	first := setup(t, &switchboardtest.Options{Store: store, Config: &switchboard.Config{Clock: clock}})
	task := first.CreateTask(switchboard.TaskInput{QueueID: "billing"})
	n := len(first.Events())
	if err := first.Router.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	second := switchboardtest.New(t, &switchboardtest.Options{Store: store, Config: &switchboard.Config{Clock: clock}, IDPrefix: "again-"})
	if got := second.Events(); len(got) != 0 {
		t.Fatalf("a restart with nothing due emitted %v", got)
	}
	second.Advance(20 * time.Second) // the offer made before the restart times out
	second.RequireEvents(switchboard.EventFilter{TaskID: task.ID}, switchboard.EventTaskMissed)
	if e := second.Events()[0]; e.Seq != uint64(n+1) {
		t.Fatalf("first event after the restart has Seq %d, want %d", e.Seq, n+1)
	}
}

// The router's goroutines (the recorder, the host's consumers) are gone once
// the test that created the harness has run its cleanups.
func TestNoGoroutineAfterCleanup(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Run("host test", func(t *testing.T) {
		host := switchboard.ConsumerFunc(func(switchboard.Event) {})
		h := setup(t, &switchboardtest.Options{Config: &switchboard.Config{Consumers: []switchboard.Consumer{host}}})
		h.CreateTask(switchboard.TaskInput{QueueID: "billing"})
		if runtime.NumGoroutine() < before+2 {
			t.Fatalf("expected the recorder's and the host consumer's goroutines to run")
		}
	})
	deadline := time.Now().Add(time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines after cleanup, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(time.Millisecond)
	}
}
