// Package story is the quickstart's story: two queues, a routing profile
// and three agents, five tasks, and who got what, in order, printed as it
// happens. Time is a manual clock, so every run prints the same story, on
// any store: examples/quickstart runs it in memory, and
// adapters/pgstore/examples/quickstart on PostgreSQL.
package story

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/switchboard-go/switchboard"
)

// failure carries an error out of the story through must.
type failure struct{ err error }

// Run tells the story over store (nil: a new in-memory store), which must
// hold no earlier run, and writes it to w.
func Run(ctx context.Context, store switchboard.Store, w io.Writer) (err error) {
	clock := switchboard.NewManualClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	n := 0
	r, err := switchboard.NewRouter(ctx, store, &switchboard.Config{
		Clock: clock,
		NewID: func() string { n++; return fmt.Sprintf("task-%d", n) },
	})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := r.Close(context.WithoutCancel(ctx)); err == nil {
			err = cerr
		}
	}()
	defer func() {
		if p := recover(); p != nil {
			f, ok := p.(failure)
			if !ok {
				panic(p)
			}
			err = f.err
		}
	}()

	// Print every event as it happens.
	sub := r.Subscribe(nil)
	show := func() {
		for _, e := range sub.Drain() {
			switch e.Type {
			case switchboard.EventTaskQueued, switchboard.EventTaskOffered, switchboard.EventTaskAccepted,
				switchboard.EventTaskMissed, switchboard.EventTaskAfterContactWork, switchboard.EventTaskCompleted:
				who := ""
				if e.AgentID != "" {
					who = " → " + e.AgentID
				}
				fmt.Fprintf(w, "%s  %-24s %-7s %s%s\n", e.Time.Format("15:04:05"), e.Type, e.TaskID, e.QueueID, who)
			}
		}
	}
	must := func(err error) {
		if err != nil {
			panic(failure{err})
		}
	}

	// Two queues: callbacks are promised to customers, so agents take them
	// first; back-office follow-ups wait 30 seconds before this profile sees them.
	must(r.PutQueue(ctx, switchboard.Queue{ID: "callbacks", Name: "Promised callbacks"}))
	must(r.PutQueue(ctx, switchboard.Queue{ID: "followups", Name: "CRM follow-ups", MaxContacts: 100}))
	must(r.PutRoutingProfile(ctx, switchboard.RoutingProfile{
		ID:   "tier1",
		Name: "Tier 1",
		Concurrency: []switchboard.MediaConcurrency{
			{Channel: switchboard.ChannelTask, Concurrency: 2},
		},
		Queues: []switchboard.QueueConfig{
			{QueueID: "callbacks", Channel: switchboard.ChannelTask, Priority: 1},
			{QueueID: "followups", Channel: switchboard.ChannelTask, Priority: 2, Delay: 30 * time.Second},
		},
	}))

	// Three agents; Ben speaks French, Chloé auto-accepts tasks.
	for _, a := range []switchboard.Agent{
		{ID: "ana", Name: "Ana", RoutingProfileID: "tier1"},
		{ID: "ben", Name: "Ben", RoutingProfileID: "tier1",
			Proficiencies: []switchboard.Proficiency{{Name: "Language", Value: "French", Level: 5}}},
		{ID: "chloe", Name: "Chloé", RoutingProfileID: "tier1", AutoAccept: []switchboard.Channel{switchboard.ChannelTask}},
	} {
		must(r.PutAgent(ctx, a))
	}
	for _, id := range []string{"ana", "ben", "chloe"} {
		clock.Advance(time.Second) // ana has been available longest
		must(r.SetAgentStatus(ctx, id, switchboard.StatusAvailable))
	}

	create := func(in switchboard.TaskInput) *switchboard.Task {
		t, err := r.CreateTask(ctx, in)
		must(err)
		return t
	}
	clock.Advance(time.Minute)

	fmt.Fprintln(w, "== five tasks arrive")
	create(switchboard.TaskInput{Name: "Update CRM ticket #4411", QueueID: "followups"})
	create(switchboard.TaskInput{Name: "Call back Mrs Smith", QueueID: "callbacks"})
	create(switchboard.TaskInput{Name: "Rappeler M. Dupont", QueueID: "callbacks",
		RoutingCriteria: &switchboard.RoutingCriteria{Steps: []switchboard.RoutingStep{
			{Requirement: switchboard.Proficient("Language", "French", 4), Expiry: 45 * time.Second},
		}}})
	create(switchboard.TaskInput{Name: "Urgent: refund approval", QueueID: "callbacks", Priority: 1})
	create(switchboard.TaskInput{Name: "Send contract copy", QueueID: "followups"})
	show()

	fmt.Fprintln(w, "== ana accepts; ben lets his offer time out (20 s) and is blocked until cleared")
	must(r.Accept(ctx, "task-2", "ana"))
	clock.Advance(20 * time.Second)
	show()

	fmt.Fprintln(w, "== at 30 s the follow-ups become visible to tier1; ana takes one")
	clock.Advance(10 * time.Second)
	show()
	must(r.Accept(ctx, "task-1", "ana"))
	show()

	fmt.Fprintln(w, "== at 45 s the French-only step expires, but every free agent is busy or blocked")
	clock.Advance(15 * time.Second)
	show()

	fmt.Fprintln(w, "== ben clears his missed task and gets the callback back: he is the only one free")
	must(r.ClearAgent(ctx, "ben"))
	must(r.Accept(ctx, "task-3", "ben"))
	show()

	fmt.Fprintln(w, "== ana finishes a task and wraps up for 45 s")
	must(r.Complete(ctx, "task-2"))
	clock.Advance(45 * time.Second)
	must(r.CloseAfterContactWork(ctx, "task-2"))
	show()

	fmt.Fprintln(w, "== where everything stands")
	for _, id := range []string{"ana", "ben", "chloe"} {
		ts, err := r.AgentTasks(id)
		must(err)
		a, err := r.Agent(id)
		must(err)
		fmt.Fprintf(w, "%-6s status=%-9s blocked=%-7q", id, a.Status, a.Blocked)
		for _, t := range ts {
			fmt.Fprintf(w, " %s(%s, %q)", t.ID, t.State, t.Name)
		}
		fmt.Fprintln(w)
	}
	waiting, err := r.QueuedTasks("followups")
	must(err)
	for _, t := range waiting {
		fmt.Fprintf(w, "waiting in followups: %s %q\n", t.ID, t.Name)
	}
	return nil
}
