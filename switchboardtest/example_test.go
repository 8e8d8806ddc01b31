package switchboardtest_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/switchboard-go/switchboard"
	"github.com/switchboard-go/switchboard/switchboardtest"
)

// exampleT stands in for the *testing.T of a host's test, which an Example
// cannot receive: failures are printed, Fatalf stops the goroutine as
// testing.T does, and end runs the cleanups the harness registered.
type exampleT struct {
	testing.TB
	cleanups []func()
}

func (t *exampleT) Helper()                           {}
func (t *exampleT) Cleanup(f func())                  { t.cleanups = append(t.cleanups, f) }
func (t *exampleT) Errorf(format string, args ...any) { fmt.Printf("FAIL: "+format+"\n", args...) }
func (t *exampleT) Fatalf(format string, args ...any) {
	t.Errorf(format, args...)
	runtime.Goexit()
}

// runTest runs a host's test function as go test would: on a goroutine of
// its own, then the cleanups in reverse order.
func runTest(test func(t testing.TB)) {
	t := &exampleT{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		test(t)
	}()
	<-done
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}

// A host's test of its own routing setup: a refund goes to ana, who lets the
// offer time out, so it goes to bob. In a real test the function body is a
// TestXxx(t *testing.T); runTest only stands in for go test here.
func Example() {
	runTest(func(t testing.TB) {
		h := switchboardtest.New(t, nil)
		h.Queue("billing")
		h.Profile("desk", 1, "billing")
		h.Agent("ana", "desk")
		h.Advance(time.Minute) // ana has been idle longer than bob
		h.Agent("bob", "desk")

		task := h.CreateTask(switchboard.TaskInput{Name: "Refund", QueueID: "billing"})
		h.RequireOffered(task.ID, "ana")
		h.Advance(20 * time.Second) // the offer times out
		h.RequireOffered(task.ID, "bob")
		h.Must(h.Router.Accept(h.Ctx, task.ID, "bob"))
		h.RequireState(task.ID, switchboard.StateConnected)
		h.RequireEvents(switchboard.EventFilter{TaskID: task.ID},
			switchboard.EventTaskCreated, switchboard.EventTaskQueued,
			switchboard.EventTaskOffered, switchboard.EventTaskMissed,
			switchboard.EventTaskOffered, switchboard.EventTaskAccepted)

		fmt.Println(task.ID, "offered to", h.Offers(task.ID))
	})
	// Output:
	// task-1 offered to [ana bob]
}

// A failing assertion says what happened instead: here every offer the task
// received, with its time since the harness started.
func Example_failure() {
	runTest(func(t testing.TB) {
		h := switchboardtest.New(t, nil)
		h.Queue("billing")
		h.Profile("desk", 1, "billing")
		h.Agent("ana", "desk")

		task := h.CreateTask(switchboard.TaskInput{QueueID: "billing"})
		h.Advance(20 * time.Second) // ana misses the offer and is blocked until cleared
		h.RequireOffered(task.ID, "bob")
		fmt.Println("not reached")
	})
	// Output:
	// FAIL: switchboardtest: task task-1: want the last offer to go to "bob"; offers seen: ana at +0s (seq 6)
}
