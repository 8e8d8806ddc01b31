package storetest

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboard-go/switchboard"
)

// testFlowStore checks the optional switchboard.FlowStore capability; a
// store without it skips the test.
func testFlowStore(t *testing.T, s switchboard.Store) {
	fs, ok := s.(switchboard.FlowStore)
	if !ok {
		t.Skip("the store does not implement switchboard.FlowStore")
	}
	ctx := context.Background()
	if got, err := fs.FlowRuns(ctx); err != nil || len(got) != 0 {
		t.Fatalf("FlowRuns of an empty store: %v, %v", got, err)
	}
	run := func(id, flow, state string) *switchboard.FlowRun {
		return &switchboard.FlowRun{TaskID: id, FlowID: flow, State: []byte(state)}
	}
	a := run("task-a", "intake", `{"Run":{"Position":"Wait for the adjuster","WaitUntil":"2026-11-24T09:05:00Z"}}`)
	b := run("task-b", "arn:aws:connect:eu-west-1:123456789012:instance/i/contact-flow/f", `{"Run":{"Position":"Check tier"}}`)
	for _, r := range []*switchboard.FlowRun{a, b} {
		if err := fs.PutFlowRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	// Copy what you keep: the runner reuses its buffers after Put returns.
	a.State[2] = 'X'
	a.FlowID = "changed"
	want := []*switchboard.FlowRun{
		run("task-a", "intake", `{"Run":{"Position":"Wait for the adjuster","WaitUntil":"2026-11-24T09:05:00Z"}}`),
		run("task-b", "arn:aws:connect:eu-west-1:123456789012:instance/i/contact-flow/f", `{"Run":{"Position":"Check tier"}}`),
	}
	got := flowRuns(t, fs)
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("FlowRuns after two puts (-want +got):\n%s", d)
	}
	// Return copies: the caller may change what it reads.
	got[0].State[0] = 'X'
	if d := cmp.Diff(want, flowRuns(t, fs)); d != "" {
		t.Fatalf("FlowRuns changed through a returned run (-want +got):\n%s", d)
	}
	// Replace, delete, delete a missing run.
	if err := fs.PutFlowRun(ctx, run("task-a", "intake", `{"Run":{"Position":"Transfer"}}`)); err != nil {
		t.Fatal(err)
	}
	if err := fs.DeleteFlowRun(ctx, "task-b"); err != nil {
		t.Fatal(err)
	}
	if err := fs.DeleteFlowRun(ctx, "no-such-task"); err != nil {
		t.Fatalf("deleting a missing run: %v", err)
	}
	if d := cmp.Diff([]*switchboard.FlowRun{run("task-a", "intake", `{"Run":{"Position":"Transfer"}}`)}, flowRuns(t, fs)); d != "" {
		t.Fatalf("FlowRuns after replace and delete (-want +got):\n%s", d)
	}
}

func flowRuns(t *testing.T, fs switchboard.FlowStore) []*switchboard.FlowRun {
	t.Helper()
	runs, err := fs.FlowRuns(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return sortedBy(runs, func(r *switchboard.FlowRun) string { return r.TaskID })
}
