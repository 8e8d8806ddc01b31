package pgstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	sb "github.com/switchboard-go/switchboard"
)

// A small contact center the tests share: a billing queue, a profile with
// two task slots, and agents Ana and Ben.

var start = time.Date(2026, time.November, 24, 9, 0, 0, 0, time.UTC)

// config returns a router configuration on clock whose task IDs are
// task-1, task-2, … continuing after the highest the store holds (so a
// router restarted over the same store does not reuse one).
func config(clock sb.Clock, ids *int) *sb.Config {
	return &sb.Config{
		Clock:        clock,
		OfferTimeout: 20 * time.Second,
		NewID:        func() string { *ids++; return fmt.Sprintf("task-%d", *ids) },
		Test:         sb.TestConfig{CheckInvariants: true},
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// openFloor puts the billing floor's configuration through r.
func openFloor(t testing.TB, r *sb.Router) {
	t.Helper()
	ctx := context.Background()
	must(t, r.PutQueue(ctx, sb.Queue{ID: "billing", Name: "Billing"}))
	must(t, r.PutRoutingProfile(ctx, sb.RoutingProfile{ID: "tasks", Name: "Tasks",
		Concurrency: []sb.MediaConcurrency{{Channel: sb.ChannelTask, Concurrency: 2}},
		Queues:      []sb.QueueConfig{{QueueID: "billing", Channel: sb.ChannelTask, Priority: 1}}}))
	for _, id := range []string{"ana", "ben"} {
		must(t, r.PutAgent(ctx, sb.Agent{ID: id, Name: id, RoutingProfileID: "tasks", Status: sb.StatusOffline,
			Proficiencies:         []sb.Proficiency{{Name: "Language", Value: "French", Level: 2}},
			AfterContactWorkLimit: map[sb.Channel]time.Duration{sb.ChannelTask: 2 * time.Minute}}))
	}
}

func create(t testing.TB, r *sb.Router, name string, priority int) *sb.Task {
	t.Helper()
	task, err := r.CreateTask(context.Background(), sb.TaskInput{Name: name, QueueID: "billing", Priority: priority})
	must(t, err)
	return task
}
