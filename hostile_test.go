package switchboard

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Tests of host code that misbehaves: an ID source that repeats itself or
// returns nothing, a store that panics.

func TestNewIDThatIsEmptyOrRepeatsIsRefused(t *testing.T) {
	ids := []string{"t1", "", "t1", "t2", "t2"}
	n := 0
	b := newBench(t, &Config{NewID: func() string { id := ids[n]; n++; return id }})
	b.queue("q")
	b.create(TaskInput{QueueID: "q"}) // t1
	for _, want := range []string{"want 1..256 bytes", "the ID of an open task"} {
		_, err := b.r.CreateTask(b.ctx, TaskInput{Name: "x", QueueID: "q"})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("CreateTask = %v, want an error saying %q", err, want)
		}
	}
	task := b.create(TaskInput{QueueID: "q"}) // t2
	if task.Sequence != 2 {
		t.Errorf("t2 has Sequence %d, want 2: refused creates must not consume one", task.Sequence)
	}
	b.must(b.r.Stop(b.ctx, "t2"))
	if groupCommitAll {
		// The conflict surfaces when the group commits, failing the
		// group; which operation caused it is not explained.
		return
	}
	_, err := b.r.CreateTask(b.ctx, TaskInput{Name: "x", QueueID: "q"}) // t2 again, finished
	if err == nil || !strings.Contains(err.Error(), "an ID the store already holds") {
		t.Fatalf("CreateTask with a finished task's ID = %v, want it explained", err)
	}
}

// panicStore panics in Write while armed.
type panicStore struct {
	*MemoryStore
	armed atomic.Bool
}

func (s *panicStore) Write(ctx context.Context, c *Change) error {
	if s.armed.Load() {
		panic("store bug")
	}
	return s.MemoryStore.Write(ctx, c)
}

func TestStorePanicInCreateTaskConsumesNoSequence(t *testing.T) {
	ps := &panicStore{MemoryStore: NewMemoryStore()}
	ctx := context.Background()
	r, err := NewRouter(ctx, ps, &Config{Clock: NewManualClock(t0)})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(ctx)
	if err := r.PutQueue(ctx, Queue{ID: "q", Name: "q"}); err != nil {
		t.Fatal(err)
	}
	ps.armed.Store(true)
	if _, err := r.CreateTask(ctx, TaskInput{Name: "x", QueueID: "q"}); !errors.Is(err, ErrStorePanicked) {
		t.Fatalf("CreateTask over a panicking store = %v, want ErrStorePanicked", err)
	}
	ps.armed.Store(false)
	task, err := r.CreateTask(ctx, TaskInput{Name: "x", QueueID: "q"})
	if err != nil {
		t.Fatal(err)
	}
	if task.Sequence != 1 {
		t.Errorf("Sequence = %d after a panicked create, want 1", task.Sequence)
	}
	if err := r.Check(); err != nil {
		t.Error(err)
	}
}

func TestUpdateAttributesWithNothingNewWritesNothing(t *testing.T) {
	b := newBench(t, nil)
	b.queue("q")
	task := b.create(TaskInput{QueueID: "q", Attributes: map[string]string{"tier": "gold"}})
	b.sub.Drain()
	for _, attrs := range []map[string]string{nil, {}, {"tier": "gold"}} {
		b.must(b.r.UpdateAttributes(b.ctx, task.ID, attrs))
	}
	if got := b.task(task.ID).Version; got != task.Version {
		t.Errorf("Version %d after updates that change nothing, want %d", got, task.Version)
	}
	if evs := b.sub.Drain(); len(evs) != 0 {
		t.Errorf("events %v for updates that change nothing", evs)
	}
	b.must(b.r.UpdateAttributes(b.ctx, task.ID, map[string]string{"tier": "platinum"}))
	if got := b.task(task.ID).Version; got != task.Version+1 {
		t.Errorf("Version %d after a real update, want %d", got, task.Version+1)
	}
}

// TestHostileConfigurationIsRefused puts every configuration object with
// hostile values: control characters, 10 MB strings, invalid UTF-8, limits
// ±1. Each is a *ValidationError naming the field, with a short message, and
// the store is unchanged.
func TestHostileConfigurationIsRefused(t *testing.T) {
	huge := strings.Repeat("x", 10<<20)
	pref := func(ids ...string) *RoutingCriteria {
		return &RoutingCriteria{Steps: []RoutingStep{{Requirement: PreferredAgents(ids...)}}}
	}
	type tc struct {
		name  string
		put   func(b *bench) error
		field string
	}
	q := func(mod func(*Queue)) func(b *bench) error {
		return func(b *bench) error {
			x := Queue{ID: "new", Name: "New"}
			mod(&x)
			return b.r.PutQueue(b.ctx, x)
		}
	}
	p := func(mod func(*RoutingProfile)) func(b *bench) error {
		return func(b *bench) error {
			x := RoutingProfile{ID: "new", Concurrency: []MediaConcurrency{{Channel: ChannelTask, Concurrency: 1}}}
			mod(&x)
			return b.r.PutRoutingProfile(b.ctx, x)
		}
	}
	a := func(mod func(*Agent)) func(b *bench) error {
		return func(b *bench) error {
			x := Agent{ID: "new", RoutingProfileID: "p"}
			mod(&x)
			return b.r.PutAgent(b.ctx, x)
		}
	}
	cases := []tc{
		{"queue ID with NUL and newline", q(func(x *Queue) { x.ID = "q\x00\n1" }), "Queue.ID"},
		{"queue ID 10 MB", q(func(x *Queue) { x.ID = huge }), "Queue.ID"},
		{"queue ID 257 bytes", q(func(x *Queue) { x.ID = strings.Repeat("q", 257) }), "Queue.ID"},
		{"queue ID invalid UTF-8", q(func(x *Queue) { x.ID = "q\xff" }), "Queue.ID"},
		{"queue ID padded", q(func(x *Queue) { x.ID = " q" }), "Queue.ID"},
		{"queue name empty", q(func(x *Queue) { x.Name = "" }), "Queue.Name"},
		{"queue name 128", q(func(x *Queue) { x.Name = strings.Repeat("n", 128) }), "Queue.Name"},
		{"queue name invalid UTF-8", q(func(x *Queue) { x.Name = "caf\xe9" }), "Queue.Name"},
		{"queue name 10 MB", q(func(x *Queue) { x.Name = huge }), "Queue.Name"},
		{"queue description 251", q(func(x *Queue) { x.Description = strings.Repeat("d", 251) }), "Queue.Description"},
		{"queue description with NUL", q(func(x *Queue) { x.Description = "a\x00b" }), "Queue.Description"},
		{"profile ID with control", p(func(x *RoutingProfile) { x.ID = "p\x1b" }), "RoutingProfile.ID"},
		{"profile ID 10 MB", p(func(x *RoutingProfile) { x.ID = huge }), "RoutingProfile.ID"},
		{"profile name 128", p(func(x *RoutingProfile) { x.Name = strings.Repeat("n", 128) }), "RoutingProfile.Name"},
		{"profile name invalid UTF-8", p(func(x *RoutingProfile) { x.Name = "\xc3" }), "RoutingProfile.Name"},
		{"profile queue on a channel without concurrency", p(func(x *RoutingProfile) {
			x.Queues = []QueueConfig{{QueueID: "q", Channel: ChannelChat, Priority: 1}}
		}), "RoutingProfile.Queues[0].Channel"},
		{"agent ID 10 MB", a(func(x *Agent) { x.ID = huge }), "Agent.ID"},
		{"agent ID with newline", a(func(x *Agent) { x.ID = "ana\nben" }), "Agent.ID"},
		{"agent name invalid UTF-8", a(func(x *Agent) { x.Name = "An\xffa" }), "Agent.Name"},
		{"agent name 257", a(func(x *Agent) { x.Name = strings.Repeat("n", 257) }), "Agent.Name"},
		{"agent profile ID 10 MB", a(func(x *Agent) { x.RoutingProfileID = huge }), "Agent.RoutingProfileID"},
		{"proficiency name invalid UTF-8", a(func(x *Agent) { x.Proficiencies = []Proficiency{{Name: "L\xff", Value: "v", Level: 1}} }), "Agent.Proficiencies[0].Name"},
		{"proficiency name 101", a(func(x *Agent) {
			x.Proficiencies = []Proficiency{{Name: strings.Repeat("n", 101), Value: "v", Level: 1}}
		}), "Agent.Proficiencies[0].Name"},
		{"proficiency value 129", a(func(x *Agent) {
			x.Proficiencies = []Proficiency{{Name: "n", Value: strings.Repeat("v", 129), Level: 1}}
		}), "Agent.Proficiencies[0].Value"},
		{"proficiency level 6", a(func(x *Agent) { x.Proficiencies = []Proficiency{{Name: "n", Value: "v", Level: 6}} }), "Agent.Proficiencies[0].Level"},
		{"preferred agent ID 10 MB", func(b *bench) error {
			_, err := b.r.CreateTask(b.ctx, TaskInput{Name: "x", QueueID: "q", RoutingCriteria: pref("ana", huge)})
			return err
		}, "RoutingCriteria.Steps[0].Requirement.Preferred[1]"},
		{"preferred agent ID with NUL", func(b *bench) error {
			_, err := b.r.CreateTask(b.ctx, TaskInput{Name: "x", QueueID: "q", RoutingCriteria: pref("a\x00")})
			return err
		}, "RoutingCriteria.Steps[0].Requirement.Preferred[0]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newBench(t, nil)
			b.queue("q")
			b.profile("p", 1, "q")
			before, err := b.store.Load(b.ctx)
			b.must(err)
			err = c.put(b)
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != c.field {
				t.Fatalf("got %v, want a *ValidationError naming %s", err, c.field)
			}
			if len(err.Error()) > 200 {
				t.Errorf("the message has %d bytes; values must be shortened", len(err.Error()))
			}
			after, err := b.store.Load(b.ctx)
			b.must(err)
			if len(after.Queues) != len(before.Queues) || len(after.Profiles) != len(before.Profiles) ||
				len(after.Agents) != len(before.Agents) || len(after.OpenTasks) != len(before.OpenTasks) {
				t.Errorf("the store changed: %d/%d/%d/%d records, had %d/%d/%d/%d",
					len(after.Queues), len(after.Profiles), len(after.Agents), len(after.OpenTasks),
					len(before.Queues), len(before.Profiles), len(before.Agents), len(before.OpenTasks))
			}
		})
	}
}

func TestPanickingSelectorFallsBackToLongestIdle(t *testing.T) {
	calls := 0
	b := newBench(t, &Config{Selector: AgentSelectorFunc(func(*Selection) int { calls++; panic("selector bug") })})
	b.queue("q")
	b.profile("p", 1, "q")
	b.agent("ana", "p")
	b.clock.Advance(time.Second)
	b.agent("ben", "p")
	b.sub.Drain()
	b.create(TaskInput{QueueID: "q"})
	if calls != 1 {
		t.Fatalf("selector called %d times, want 1", calls)
	}
	var sawError bool
	var offers []string
	for _, e := range b.sub.Drain() {
		switch e.Type {
		case EventError:
			sawError = strings.Contains(e.Err.Error(), "selector bug")
		case EventTaskOffered:
			offers = append(offers, e.AgentID)
		}
	}
	if !sawError || len(offers) != 1 || offers[0] != "ana" {
		t.Errorf("router.error seen %v, offers %v; want the error reported and the offer to ana (idle longest)", sawError, offers)
	}
	if _, err := b.r.Stats(); err != nil {
		t.Fatalf("the router does not answer after a selector panic: %v", err)
	}
}
