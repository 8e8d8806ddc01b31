package pgstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	sb "github.com/switchboard-go/switchboard"
)

// Recovery: a router over PostgreSQL that closes while it holds live work (a
// task in after-contact work, an offer, a line of queued tasks, a scheduled
// task, one about to expire, one whose routing step expires) and is replaced by a new router over the same
// database continues exactly as a router over a MemoryStore that never
// stopped: the same event log, Seq for Seq, and the same tasks and agents at
// the end.

// floorWorld is what the story ends with.
type floorWorld struct {
	Tasks  map[string]*sb.Task
	Agents map[string]*sb.Agent
	Line   []string // the billing queue, first in line first
}

func captureWorld(t *testing.T, r *sb.Router, ids int) floorWorld {
	t.Helper()
	w := floorWorld{Tasks: map[string]*sb.Task{}, Agents: map[string]*sb.Agent{}}
	for i := 1; i <= ids; i++ {
		task, err := r.Task(context.Background(), fmt.Sprintf("task-%d", i))
		must(t, err)
		w.Tasks[task.ID] = task
	}
	for _, id := range []string{"ana", "ben"} {
		a, err := r.Agent(id)
		must(t, err)
		w.Agents[id] = a
	}
	line, err := r.QueuedTasks("billing")
	must(t, err)
	for _, task := range line {
		w.Line = append(w.Line, task.ID)
	}
	return w
}

// recoveryStory runs the billing floor's morning over store, closing the
// router and starting a new one over the same store at the restart point
// when restart is set. It returns the whole event log and the world at the
// end.
func recoveryStory(t *testing.T, store sb.Store, restart bool) ([]sb.Event, floorWorld) {
	ctx := context.Background()
	clock := sb.NewManualClock(start)
	ids := 0
	var (
		mu  sync.Mutex
		log []sb.Event
	)
	cfg := config(clock, &ids)
	cfg.Consumers = []sb.Consumer{sb.ConsumerFunc(func(e sb.Event) {
		mu.Lock()
		log = append(log, e)
		mu.Unlock()
	})}
	r, err := sb.NewRouter(ctx, store, cfg)
	must(t, err)
	openFloor(t, r)
	must(t, r.SetAgentStatus(ctx, "ana", sb.StatusAvailable))

	// Ana takes the first call-back and wraps up (after-contact work, at
	// most two minutes); the second is offered to her other slot.
	first := create(t, r, "Call back about invoice 2025-0042", 1)
	must(t, r.Accept(ctx, first.ID, "ana"))
	clock.Advance(time.Minute)
	must(t, r.Complete(ctx, first.ID))
	offered := create(t, r, "Refund for order 7731", 2)
	clock.Advance(5 * time.Second)
	// Three wait, in priority order 1, 3, 5; one is for later; one expires
	// in 90 seconds.
	create(t, r, "Address change", 5)
	create(t, r, "Card blocked", 1)
	create(t, r, "Duplicate charge", 3)
	_, err = r.CreateTask(ctx, sb.TaskInput{Name: "Call back at ten", QueueID: "billing", ScheduledAt: start.Add(10 * time.Minute)})
	must(t, err)
	_, err = r.CreateTask(ctx, sb.TaskInput{Name: "Flash sale question", QueueID: "billing", Priority: 2, Expiry: 90 * time.Second})
	must(t, err)
	// A French speaker of level 4 for 45 seconds, then any French speaker.
	_, err = r.CreateTask(ctx, sb.TaskInput{Name: "Réclamation", QueueID: "billing", Priority: 1,
		RoutingCriteria: &sb.RoutingCriteria{Steps: []sb.RoutingStep{
			{Requirement: sb.Proficient("Language", "French", 4), Expiry: 45 * time.Second},
			{Requirement: sb.Proficient("Language", "French", 1)},
		}}})
	must(t, err)
	clock.Advance(5 * time.Second)

	wantStates := map[string]sb.TaskState{
		first.ID: sb.StateAfterContactWork, offered.ID: sb.StateOffered,
		"task-3": sb.StateQueued, "task-4": sb.StateQueued, "task-5": sb.StateQueued,
		"task-6": sb.StateScheduled, "task-7": sb.StateQueued, "task-8": sb.StateQueued,
	}
	for id, want := range wantStates {
		task, err := r.Task(ctx, id)
		must(t, err)
		if task.State != want {
			t.Fatalf("at the restart point %s is %s, want %s", id, task.State, want)
		}
	}

	if restart {
		must(t, r.Close(ctx))
		clock.Advance(10 * time.Second) // no router runs for ten seconds
		r, err = sb.NewRouter(ctx, store, cfg)
		must(t, err)
	} else {
		clock.Advance(10 * time.Second)
	}

	// Ana's offer timed out while no router ran (she is blocked until
	// cleared). Ben logs in and takes the two most urgent; Ana is cleared
	// and offered the next in her free slot; the flash sale question
	// expires; her wrap-up ends and she is offered one more; at ten the
	// scheduled call-back joins the line.
	acceptOffers := func(agent string) {
		t.Helper()
		for _, task := range must2(r.AgentTasks(agent)) {
			if task.State == sb.StateOffered {
				must(t, r.Accept(ctx, task.ID, agent))
			}
		}
	}
	must(t, r.SetAgentStatus(ctx, "ben", sb.StatusAvailable))
	acceptOffers("ben")
	clock.Advance(30 * time.Second)
	must(t, r.ClearAgent(ctx, "ana"))
	clock.Advance(10 * time.Second)
	acceptOffers("ana")
	clock.Advance(2 * time.Minute)
	acceptOffers("ana")
	clock.Advance(10 * time.Minute)
	must(t, r.Check())
	world := captureWorld(t, r, ids)
	must(t, r.Close(ctx))
	mu.Lock()
	defer mu.Unlock()
	return log, world
}

func must2[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestRecoveryContinuesExactly(t *testing.T) {
	needDB(t)
	wantLog, wantWorld := recoveryStory(t, sb.NewMemoryStore(), false)
	for _, run := range []struct {
		name  string
		store sb.Store
	}{
		{"MemoryStore restarted", sb.NewMemoryStore()},
		{"PostgreSQL restarted", openStore(t)},
	} {
		log, world := recoveryStory(t, run.store, true)
		if diff := cmp.Diff(wantLog, log); diff != "" {
			t.Errorf("%s: event log (-never restarted +%s):\n%s", run.name, run.name, diff)
		}
		if diff := cmp.Diff(wantWorld, world); diff != "" {
			t.Errorf("%s: world at the end (-never restarted +%s):\n%s", run.name, run.name, diff)
		}
	}
	// The story reached every kind of timer.
	seen := map[sb.EventType]bool{}
	for _, e := range wantLog {
		seen[e.Type] = true
	}
	for _, typ := range []sb.EventType{sb.EventTaskMissed, sb.EventTaskExpired, sb.EventTaskScheduled, sb.EventTaskAfterContactWork,
		sb.EventTaskCompleted, sb.EventTaskAccepted, sb.EventTaskRoutingStep} {
		if !seen[typ] {
			t.Errorf("the story never produced %s", typ)
		}
	}
}
