package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard-go/switchboard"
)

// An insurance claim parked in its intake flow's five-minute Wait survives
// a restart on PostgreSQL: the flow's position is in flow_runs while no
// process runs, the new router and runner resume it, and the Wait ends on
// time, not five minutes after the restart; the run is then deleted.
func TestFlowParkedInAWaitSurvivesARestart(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	t0 := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	clock := switchboard.NewManualClock(t0)
	intake, _, err := switchboard.NewFlow("hold").
		Wait("hold", 300).When("Equals", "WaitCompleted", "queue").
		SetQueue("queue", "claims").Next("transfer").
		TransferToQueue("transfer").Build(switchboard.FlowOptions{})
	if err != nil {
		t.Fatal(err)
	}
	start := func() (*switchboard.Router, *switchboard.FlowRunner) {
		t.Helper()
		fr := switchboard.NewFlowRunner(nil)
		if err := fr.PutFlow("intake", intake); err != nil {
			t.Fatal(err)
		}
		r, err := switchboard.NewRouter(ctx, store, &switchboard.Config{Clock: clock, Flows: fr})
		if err != nil {
			t.Fatal(err)
		}
		if err := fr.Bind(r); err != nil {
			t.Fatal(err)
		}
		return r, fr
	}
	stop := func(r *switchboard.Router, fr *switchboard.FlowRunner) {
		t.Helper()
		if err := fr.Close(ctx); err != nil {
			t.Fatal(err)
		}
		if err := r.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	settle := func(fr *switchboard.FlowRunner) {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := fr.Wait(wctx); err != nil {
			t.Fatal(err)
		}
	}

	r, fr := start()
	if err := r.PutQueue(ctx, switchboard.Queue{ID: "claims", Name: "Claims"}); err != nil {
		t.Fatal(err)
	}
	claim, err := r.CreateTask(ctx, switchboard.TaskInput{Name: "Water damage, policy HX-2231", FlowID: "intake"})
	if err != nil {
		t.Fatal(err)
	}
	settle(fr)
	runs, err := store.FlowRuns(ctx)
	if err != nil || len(runs) != 1 || runs[0].TaskID != claim.ID || runs[0].FlowID != "intake" {
		t.Fatalf("stored runs while the claim waits: %+v, %v; want the claim's run in intake", runs, err)
	}
	stop(r, fr)

	clock.Advance(2 * time.Minute) // no process runs
	r, fr = start()
	defer stop(r, fr)
	settle(fr)
	if got, err := r.Task(ctx, claim.ID); err != nil || got.State != switchboard.StateInFlow {
		t.Fatalf("after the restart: %v, %v; want the claim still IN_FLOW", got, err)
	}
	clock.Advance(3 * time.Minute) // t0+5m: the Wait ends
	settle(fr)
	got, err := r.Task(ctx, claim.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != switchboard.StateQueued || got.QueueID != "claims" || !got.EnqueuedAt.Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("claim %s in %q at t0+%s, want QUEUED in claims at t0+5m", got.State, got.QueueID, got.EnqueuedAt.Sub(t0))
	}
	if runs, err := store.FlowRuns(ctx); err != nil || len(runs) != 0 {
		t.Fatalf("stored runs after the flow ended: %+v, %v", runs, err)
	}
}
