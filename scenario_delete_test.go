package switchboard

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// Ana leaves the company. While she still works a task she cannot be
// deleted; once it is done she can, and a restart does not bring her back.
// The billing queue and the desk profile go the same way: each refuses while
// something still needs it, and names what.
func TestScenarioDeleteAgentQueueAndProfile(t *testing.T) {
	b := newBench(t, nil)
	b.queue("billing")
	b.profile("desk", 1, "billing")
	b.agent("ana", "desk")
	task := b.create(TaskInput{QueueID: "billing"})
	b.must(b.r.Accept(b.ctx, task.ID, "ana"))

	wantRefused := func(err error, mentions string) {
		t.Helper()
		var se *StateError
		if !errors.As(err, &se) || !errors.Is(err, ErrInvalidState) || !strings.Contains(err.Error(), mentions) {
			t.Fatalf("got %v, want a StateError mentioning %q", err, mentions)
		}
	}
	wantRefused(b.r.DeleteAgent(b.ctx, "ana"), "holds 1 task")
	wantRefused(b.r.DeleteQueue(b.ctx, "billing"), "routing profile desk")
	wantRefused(b.r.DeleteRoutingProfile(b.ctx, "desk"), "used by 1 agent")

	// An agent-queue task waiting for Ana also keeps her.
	b.create(TaskInput{AgentID: "ana"})
	b.clock.Advance(time.Minute)
	b.must(b.r.Complete(b.ctx, task.ID))
	b.must(b.r.CloseAfterContactWork(b.ctx, task.ID)) // Ana takes t2 at once
	b.wantState("t2", StateOffered, "ana")
	wantRefused(b.r.DeleteAgent(b.ctx, "ana"), "holds 1 task")
	b.must(b.r.Stop(b.ctx, "t2"))

	b.must(b.r.DeleteAgent(b.ctx, "ana"))
	if _, err := b.r.Agent("ana"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Agent(ana) after delete: %v, want ErrNotFound", err)
	}
	b.must(b.r.DeleteRoutingProfile(b.ctx, "desk"))
	b.must(b.r.DeleteQueue(b.ctx, "billing"))
	if _, err := b.r.CreateTask(b.ctx, TaskInput{Name: "x", QueueID: "billing"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("task into a deleted queue: %v, want ErrNotFound", err)
	}

	b.must(b.r.Close(context.Background()))
	b.open(nil)
	if _, err := b.r.Agent("ana"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after a restart Agent(ana): %v, want ErrNotFound", err)
	}
	if _, err := b.r.QueuedTasks("billing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after a restart QueuedTasks(billing): %v, want ErrNotFound", err)
	}
	for _, call := range []error{
		b.r.DeleteAgent(b.ctx, "ana"), b.r.DeleteQueue(b.ctx, "billing"), b.r.DeleteRoutingProfile(b.ctx, "desk"),
	} {
		if !errors.Is(call, ErrNotFound) {
			t.Errorf("deleting again: %v, want ErrNotFound", call)
		}
	}
}

// A queue with a waiting task, or a scheduled one, cannot be deleted even
// when no profile lists it.
func TestScenarioDeleteQueueWithOpenTasks(t *testing.T) {
	b := newBench(t, nil)
	b.queue("archive")
	b.create(TaskInput{QueueID: "archive", ScheduledAt: t0.Add(time.Hour)})
	err := b.r.DeleteQueue(b.ctx, "archive")
	if !errors.Is(err, ErrInvalidState) || !strings.Contains(err.Error(), "open task t1") {
		t.Fatalf("DeleteQueue with a scheduled task: %v, want ErrInvalidState naming t1", err)
	}
	b.must(b.r.Stop(b.ctx, "t1"))
	b.must(b.r.DeleteQueue(b.ctx, "archive"))
}
