// Package switchboardtest helps hosts test their own code against a
// switchboard Router, in the manner of River's rivertest: one call builds a
// router on a manual clock over a memory store, with predictable task IDs and
// every event recorded, and the assertions fail the test with a message that
// says what happened instead.
//
// A host's test reads:
//
//	func TestRefundGoesToBilling(t *testing.T) {
//		h := switchboardtest.New(t, nil)
//		h.Queue("billing")
//		h.Profile("desk", 1, "billing")
//		h.Agent("ana", "desk")
//
//		task := h.CreateTask(switchboard.TaskInput{Name: "Refund", QueueID: "billing"})
//		h.RequireOffered(task.ID, "ana")
//		h.Advance(20 * time.Second) // ana lets the offer time out
//		h.RequireState(task.ID, switchboard.StateQueued)
//		h.RequireEvents(switchboard.EventFilter{TaskID: task.ID},
//			switchboard.EventTaskCreated, switchboard.EventTaskQueued,
//			switchboard.EventTaskOffered, switchboard.EventTaskMissed)
//	}
//
// At the end of the test the harness checks the router's consistency
// (Router.Check) and closes it, waiting for the recorded events to drain, so
// no goroutine outlives the test.
//
// Events reach the recorder asynchronously (it is a switchboard.Consumer);
// every method that reads events first waits, up to EventWait, until the
// recorder has seen every event the router has emitted so far.
package switchboardtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-go/switchboard"
)

// DefaultStart is the instant the harness's clock reads when Options.Start is
// zero: Tuesday 2026-11-24 09:00 UTC, a working day, so that tests print the
// same times every run.
var DefaultStart = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

// DefaultIDPrefix is the prefix of task IDs when Options.IDPrefix is empty:
// tasks are "task-1", "task-2", ... in creation order.
const DefaultIDPrefix = "task-"

// EventWait bounds how long an assertion waits for the recorder to catch up
// with the router before it fails the test. Events are delivered to the
// recorder on a goroutine of its own, normally within microseconds. Change it
// only before tests start (in TestMain), not from parallel tests.
var EventWait = 5 * time.Second

// Options configures New. A nil *Options means every default.
type Options struct {
	// Config is the host's router configuration. The harness copies it and
	// fills in only what the host left empty: Clock (a ManualClock at Start
	// unless Config.Clock already is a *switchboard.ManualClock) and NewID
	// (IDPrefix plus a counter). Its recorder is appended to
	// Config.Consumers, so the host's own consumers still see every event.
	Config *switchboard.Config
	// Start is the manual clock's first reading; zero means DefaultStart.
	// Setting it together with a Config.Clock is an error.
	Start time.Time
	// IDPrefix prefixes the task IDs the harness hands out; "" means
	// DefaultIDPrefix. Setting it together with Config.NewID is an error.
	IDPrefix string
	// Store is the store the router runs over; nil means a new
	// switchboard.MemoryStore. Pass the host's own store to test it, or a
	// store that already holds state to test a restart.
	Store switchboard.Store
}

// Harness is a router under test with the helpers a test needs. Create it
// with New. The exported fields give direct access for anything the helpers
// do not cover; the helpers all fail the test (tb.Fatalf) on error.
type Harness struct {
	// Router is the router under test.
	Router *switchboard.Router
	// Clock is the router's clock; advance it with Advance or Clock.Advance.
	Clock *switchboard.ManualClock
	// Store is the store the router writes to.
	Store switchboard.Store
	// Ctx is the context the helpers pass to the router: never cancelled.
	Ctx context.Context

	tb    testing.TB
	start time.Time // the clock's reading at New

	mu      sync.Mutex
	events  []switchboard.Event
	lastSeq uint64 // Seq of the last recorded event, or the store's LastEventSeq
}

// New returns a harness whose router is closed when the test ends, after a
// final Router.Check. It fails the test if the router cannot be created.
func New(tb testing.TB, opts *Options) *Harness {
	tb.Helper()
	var o Options
	if opts != nil {
		o = *opts
	}
	var cfg switchboard.Config
	if o.Config != nil {
		cfg = *o.Config
		cfg.Consumers = slices.Clone(cfg.Consumers)
	}
	h := &Harness{tb: tb, Ctx: context.Background(), Store: o.Store}

	switch c := cfg.Clock.(type) {
	case nil:
		start := o.Start
		if start.IsZero() {
			start = DefaultStart
		}
		h.Clock = switchboard.NewManualClock(start)
		cfg.Clock = h.Clock
	case *switchboard.ManualClock:
		if !o.Start.IsZero() {
			tb.Fatalf("switchboardtest.New: set Options.Start or Config.Clock, not both")
		}
		h.Clock = c
	default:
		tb.Fatalf("switchboardtest.New: Config.Clock is a %T; the harness needs a *switchboard.ManualClock (or none)", cfg.Clock)
	}

	if cfg.NewID == nil {
		prefix := o.IDPrefix
		if prefix == "" {
			prefix = DefaultIDPrefix
		}
		var mu sync.Mutex
		n := 0
		cfg.NewID = func() string {
			mu.Lock()
			defer mu.Unlock()
			n++
			return fmt.Sprintf("%s%d", prefix, n)
		}
	} else if o.IDPrefix != "" {
		tb.Fatalf("switchboardtest.New: set Options.IDPrefix or Config.NewID, not both")
	}

	if h.Store == nil {
		h.Store = switchboard.NewMemoryStore()
	}
	// The events of a store that already holds state continue after its
	// LastEventSeq; the recorder starts from there.
	snap, err := h.Store.Load(h.Ctx)
	if err != nil {
		tb.Fatalf("switchboardtest.New: load the store: %v", err)
	}
	if snap != nil {
		h.lastSeq = snap.LastEventSeq
	}

	cfg.Consumers = append(cfg.Consumers, switchboard.ConsumerFunc(h.record))
	r, err := switchboard.NewRouter(h.Ctx, h.Store, &cfg)
	if err != nil {
		tb.Fatalf("switchboardtest.New: NewRouter: %v", err)
	}
	h.Router = r
	h.start = h.Clock.Now()
	tb.Cleanup(h.cleanup)
	return h
}

// cleanup checks the router and closes it; Close waits for the recorder, so
// no goroutine of the router outlives the test.
func (h *Harness) cleanup() {
	h.tb.Helper()
	if err := h.Router.Check(); err != nil && !errors.Is(err, switchboard.ErrClosed) {
		h.tb.Errorf("switchboardtest: Router.Check at the end of the test: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), EventWait)
	defer cancel()
	if err := h.Router.Close(ctx); err != nil {
		h.tb.Errorf("switchboardtest: Router.Close: %v", err)
	}
}

func (h *Harness) record(e switchboard.Event) {
	h.mu.Lock()
	h.events = append(h.events, e)
	if e.Seq > h.lastSeq {
		h.lastSeq = e.Seq
	}
	h.mu.Unlock()
}

// Must fails the test if err is not nil; it reads well around router calls
// the harness has no helper for: h.Must(h.Router.Accept(h.Ctx, id, "ana")).
func (h *Harness) Must(err error) {
	h.tb.Helper()
	if err != nil {
		h.tb.Fatalf("switchboardtest: %v", err)
	}
}

// Queue creates or replaces a queue named id with no hours and no limit.
func (h *Harness) Queue(id string) {
	h.tb.Helper()
	if err := h.Router.PutQueue(h.Ctx, switchboard.Queue{ID: id, Name: id}); err != nil {
		h.tb.Fatalf("switchboardtest: PutQueue(%q): %v", id, err)
	}
}

// Profile creates or replaces a routing profile for the TASK channel that
// takes concurrency tasks at once from queues, all at priority 1 and without
// delay: the common case, so that a test need not spell out a whole
// switchboard.RoutingProfile.
func (h *Harness) Profile(id string, concurrency int, queues ...string) {
	h.tb.Helper()
	p := switchboard.RoutingProfile{
		ID:          id,
		Name:        id,
		Concurrency: []switchboard.MediaConcurrency{{Channel: switchboard.ChannelTask, Concurrency: concurrency}},
	}
	for _, q := range queues {
		p.Queues = append(p.Queues, switchboard.QueueConfig{QueueID: q, Channel: switchboard.ChannelTask, Priority: 1})
	}
	if err := h.Router.PutRoutingProfile(h.Ctx, p); err != nil {
		h.tb.Fatalf("switchboardtest: PutRoutingProfile(%q): %v", id, err)
	}
}

// Agent creates or replaces an Available agent on a routing profile, with
// skills, so that it receives work at once.
func (h *Harness) Agent(id, profile string, skills ...switchboard.Proficiency) {
	h.tb.Helper()
	a := switchboard.Agent{ID: id, RoutingProfileID: profile, Proficiencies: skills, Status: switchboard.StatusAvailable}
	if err := h.Router.PutAgent(h.Ctx, a); err != nil {
		h.tb.Fatalf("switchboardtest: PutAgent(%q): %v", id, err)
	}
}

// CreateTask creates a task and returns it, failing the test on error. An
// empty Name becomes "task", so that tests name only what they care about.
func (h *Harness) CreateTask(in switchboard.TaskInput) *switchboard.Task {
	h.tb.Helper()
	if in.Name == "" {
		in.Name = "task"
	}
	t, err := h.Router.CreateTask(h.Ctx, in)
	if err != nil {
		h.tb.Fatalf("switchboardtest: CreateTask(%q in queue %q, agent %q): %v", in.Name, in.QueueID, in.AgentID, err)
	}
	return t
}

// Task returns the task with id as the router has it now.
func (h *Harness) Task(id string) *switchboard.Task {
	h.tb.Helper()
	t, err := h.Router.Task(h.Ctx, id)
	if err != nil {
		h.tb.Fatalf("switchboardtest: Task(%q): %v", id, err)
	}
	return t
}

// Advance moves the clock forward by d; every timer due on the way fires at
// its own instant before Advance returns.
func (h *Harness) Advance(d time.Duration) {
	h.tb.Helper()
	h.Clock.Advance(d)
}

// Events returns every event the router has emitted since New, in Seq order,
// once the recorder has caught up with the router.
func (h *Harness) Events() []switchboard.Event {
	h.tb.Helper()
	return h.EventsMatching(switchboard.EventFilter{})
}

// EventsMatching returns the recorded events that f matches, in Seq order,
// once the recorder has caught up with the router.
func (h *Harness) EventsMatching(f switchboard.EventFilter) []switchboard.Event {
	h.tb.Helper()
	h.catchUp()
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []switchboard.Event
	for i := range h.events {
		if f.Match(&h.events[i]) {
			out = append(out, h.events[i])
		}
	}
	return out
}

// catchUp waits until the recorder has seen every event the router has
// emitted, failing the test after EventWait. After Close every event has
// been delivered, so it returns at once.
func (h *Harness) catchUp() {
	h.tb.Helper()
	st, err := h.Router.Stats()
	if err != nil {
		if errors.Is(err, switchboard.ErrClosed) {
			return
		}
		h.tb.Fatalf("switchboardtest: Stats: %v", err)
	}
	want := st.Events
	deadline := time.Now().Add(EventWait)
	for {
		h.mu.Lock()
		got := h.lastSeq
		h.mu.Unlock()
		if got >= want {
			return
		}
		if time.Now().After(deadline) {
			h.tb.Fatalf("switchboardtest: the router emitted events up to Seq %d but after %v the recorder has seen only up to %d (a Consumer of the host blocking?)", want, EventWait, got)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// Offers returns the agents a task was offered to, oldest first.
func (h *Harness) Offers(taskID string) []string {
	h.tb.Helper()
	var out []string
	for _, e := range h.EventsMatching(switchboard.EventFilter{TaskID: taskID, Types: []switchboard.EventType{switchboard.EventTaskOffered}}) {
		out = append(out, e.AgentID)
	}
	return out
}

// RequireOffered fails the test unless the most recent offer of the task
// went to agentID. The failure lists every offer of the task seen so far,
// with its time since New. To check the whole sequence, compare
// Offers.
func (h *Harness) RequireOffered(taskID, agentID string) {
	h.tb.Helper()
	offers := h.EventsMatching(switchboard.EventFilter{TaskID: taskID, Types: []switchboard.EventType{switchboard.EventTaskOffered}})
	if n := len(offers); n > 0 && offers[n-1].AgentID == agentID {
		return
	}
	h.tb.Fatalf("switchboardtest: task %s: want the last offer to go to %q; offers seen: %s", taskID, agentID, h.describeOffers(offers))
}

func (h *Harness) describeOffers(offers []switchboard.Event) string {
	if len(offers) == 0 {
		return "none"
	}
	parts := make([]string, len(offers))
	for i, e := range offers {
		parts[i] = fmt.Sprintf("%s at +%v (seq %d)", e.AgentID, e.Time.Sub(h.start), e.Seq)
	}
	return strings.Join(parts, ", ")
}

// RequireState fails the test unless the task is in state now; the failure
// says the state it is in and its agent.
func (h *Harness) RequireState(taskID string, state switchboard.TaskState) {
	h.tb.Helper()
	t := h.Task(taskID)
	if t.State != state {
		h.tb.Fatalf("switchboardtest: task %s is %s (agent %q), want %s", taskID, t.State, t.AgentID, state)
	}
}

// RequireEvents fails the test unless the events f matches have exactly the
// types want, in order; the failure lists both sequences.
func (h *Harness) RequireEvents(f switchboard.EventFilter, want ...switchboard.EventType) {
	h.tb.Helper()
	evs := h.EventsMatching(f)
	got := make([]switchboard.EventType, len(evs))
	for i, e := range evs {
		got[i] = e.Type
	}
	if !slices.Equal(got, want) {
		h.tb.Fatalf("switchboardtest: events matching %s:\n got  %v\n want %v", describeFilter(f), got, want)
	}
}

func describeFilter(f switchboard.EventFilter) string {
	var parts []string
	if f.TaskID != "" {
		parts = append(parts, "task "+f.TaskID)
	}
	if f.AgentID != "" {
		parts = append(parts, "agent "+f.AgentID)
	}
	if f.QueueID != "" {
		parts = append(parts, "queue "+f.QueueID)
	}
	if len(f.Types) > 0 {
		parts = append(parts, fmt.Sprintf("types %v", f.Types))
	}
	if len(parts) == 0 {
		return "(all)"
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
