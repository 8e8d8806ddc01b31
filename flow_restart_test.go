package switchboard

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// waitFor polls cond (the flow runner works on its own goroutines) for up to
// ten seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// quiet reports whether the runner has nothing to do but the runs stuck in
// n host calls.
func (fb *flowBench) quiet(n int) bool {
	fb.fr.mu.Lock()
	defer fb.fr.mu.Unlock()
	return len(fb.fr.pending) == 0 && fb.fr.busy == n
}

// A restart never loses a task in a flow. Four claims are in their flows
// when the process stops: one parked in a five-minute Wait, one in the
// second of three one-minute waits of a Loop, two inside a CRM call. After
// the restart the Wait ends on time, the Loop does its third round and no
// more, and the CRM call is made again; a call interrupted by a second
// restart takes its Error branch.
func TestFlowRestartResumesWaitsLoopsAndHostCalls(t *testing.T) {
	fb := newFlowBench(t, nil)
	fb.queue("claims")
	fb.queue("manual-review")
	fb.flow("park", NewFlow("hold").
		Wait("hold", 300).When("Equals", "WaitCompleted", "q").
		SetQueue("q", "claims").Next("transfer").
		TransferToQueue("transfer"))
	fb.flow("rounds", NewFlow("loop").
		Loop("loop", 3).When("Equals", "ContinueLooping", "pause").When("Equals", "DoneLooping", "q").
		Wait("pause", 60).When("Equals", "WaitCompleted", "loop").
		SetQueue("q", "claims").Next("transfer").
		TransferToQueue("transfer"))
	var crmCalls, flakyCalls atomic.Int32
	fb.function("crm", func(ctx context.Context, call FlowCall) (any, error) {
		if crmCalls.Add(1) == 1 {
			<-ctx.Done() // the process stops during the first call
			return nil, ctx.Err()
		}
		return map[string]string{"tier": "gold"}, nil
	})
	fb.function("flaky-crm", func(ctx context.Context, call FlowCall) (any, error) {
		flakyCalls.Add(1)
		<-ctx.Done() // every call is cut by a restart
		return nil, ctx.Err()
	})
	for _, fn := range []string{"crm", "flaky-crm"} {
		fb.flow("call-"+fn, NewFlow("lookup").
			InvokeFunction("lookup", fn, 8, nil).Next("q").OnError("NoMatchingError", "review").
			SetQueue("q", "claims").Next("transfer").
			SetQueue("review", "manual-review").Next("transfer").
			TransferToQueue("transfer"))
	}
	parked := fb.create(TaskInput{Name: "Parked", FlowID: "park"})
	looping := fb.create(TaskInput{Name: "Looping", FlowID: "rounds"})
	calling := fb.create(TaskInput{Name: "Calling", FlowID: "call-crm"})
	flaky := fb.create(TaskInput{Name: "Flaky", FlowID: "call-flaky-crm"})
	waitFor(t, "both CRM calls", func() bool { return crmCalls.Load() == 1 && flakyCalls.Load() == 1 && fb.quiet(2) })
	fb.clock.Advance(90 * time.Second) // the loop is in its second wait, until t0+2m
	waitFor(t, "the loop to park again", func() bool { return fb.quiet(2) })

	fb.restart()
	waitFor(t, "the CRM call again", func() bool { return flakyCalls.Load() == 2 && fb.quiet(1) })
	if got := fb.task(calling.ID); got.State != StateQueued || got.QueueID != "claims" || crmCalls.Load() != 2 {
		t.Fatalf("interrupted call: task %s in %q after %d calls, want QUEUED in claims after 2", got.State, got.QueueID, crmCalls.Load())
	}

	fb.restart() // the flaky call is interrupted a second time: Error branch, not a third call
	fb.settle()
	if got := fb.task(flaky.ID); got.State != StateQueued || got.QueueID != "manual-review" || flakyCalls.Load() != 2 {
		t.Fatalf("twice-interrupted call: task %s in %q after %d calls, want QUEUED in manual-review after 2", got.State, got.QueueID, flakyCalls.Load())
	}
	for _, id := range []string{parked.ID, looping.ID} {
		fb.wantState(id, StateInFlow, "")
	}

	fb.clock.Advance(30 * time.Second) // t0+2m: the second wait ends, the third starts
	fb.settle()
	fb.wantState(looping.ID, StateInFlow, "")
	fb.clock.Advance(time.Minute) // t0+3m: three rounds done
	fb.settle()
	if got := fb.task(looping.ID); got.State != StateQueued || !got.EnqueuedAt.Equal(t0.Add(3*time.Minute)) {
		t.Fatalf("loop: %s at %s, want QUEUED at t0+3m", got.State, got.EnqueuedAt.Sub(t0))
	}
	fb.wantState(parked.ID, StateInFlow, "")
	fb.clock.Advance(2 * time.Minute) // t0+5m
	fb.settle()
	if got := fb.task(parked.ID); got.State != StateQueued || !got.EnqueuedAt.Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("wait: %s at %s, want QUEUED at t0+5m", got.State, got.EnqueuedAt.Sub(t0))
	}
	runs, err := fb.store.FlowRuns(fb.ctx)
	if err != nil || len(runs) != 0 || fb.fr.Runs() != 0 {
		t.Fatalf("after every flow ended the store keeps %d runs (%v) and the runner %d", len(runs), err, fb.fr.Runs())
	}
}

// A stored run whose task left its flow while no runner ran (stopped
// through another process, say) is deleted on Bind; a task IN_FLOW without
// a stored run starts its flow again from the first action.
func TestFlowBindCleansStaleRunsAndStartsUnstoredOnes(t *testing.T) {
	fb := newFlowBench(t, nil)
	fb.queue("claims")
	fb.flow("intake", NewFlow("q").SetQueue("q", "claims").Next("transfer").TransferToQueue("transfer"))
	fb.must(fb.fr.Close(fb.ctx)) // no runner works: tasks stay IN_FLOW
	task := fb.create(TaskInput{Name: "Claim", FlowID: "intake"})
	fb.must(fb.store.PutFlowRun(fb.ctx, &FlowRun{TaskID: "gone", FlowID: "intake", State: []byte(`{"FlowID":"intake"}`)}))
	fb.restart()
	fb.settle()
	fb.wantState(task.ID, StateQueued, "")
	if runs, _ := fb.store.FlowRuns(fb.ctx); len(runs) != 0 {
		t.Fatalf("stale runs kept: %+v", runs)
	}
}

// Waits that fell due while no runner ran are caught up at once on Bind, in
// order, each as of its own end: a loop of three five-minute waits stopped
// after the first resumes an hour later and finishes straight away.
func TestFlowWaitsThatFellDueWhileStoppedCatchUp(t *testing.T) {
	fb := newFlowBench(t, nil)
	fb.queue("claims")
	fb.flow("rounds", NewFlow("loop").
		Loop("loop", 3).When("Equals", "ContinueLooping", "pause").When("Equals", "DoneLooping", "q").
		Wait("pause", 300).When("Equals", "WaitCompleted", "loop").
		SetQueue("q", "claims").Next("transfer").
		TransferToQueue("transfer"))
	task := fb.create(TaskInput{Name: "Rounds", FlowID: "rounds"})
	fb.settle()
	fb.must(fb.fr.Close(fb.ctx)) // the runner stops; the clock goes on
	fb.clock.Advance(time.Hour)
	fb.wantState(task.ID, StateInFlow, "")
	fb.restart()
	fb.settle()
	if got := fb.task(task.ID); got.State != StateQueued || !got.EnqueuedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("%s at %s, want QUEUED at once (t0+1h)", got.State, got.EnqueuedAt.Sub(t0))
	}
}
