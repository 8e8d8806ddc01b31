package switchboard

import (
	"context"
	"encoding/json"
	"slices"
)

// FlowStore is the optional Store capability that keeps where each task's
// flow is, so that a restart never loses a task in a flow: a FlowRunner
// bound to a router whose Store implements it writes a task's run when the
// run parks in a Wait and just before each host function call, deletes it
// when the task leaves its flow, and resumes every stored run on Bind.
// Without it, runs live in memory only and a restart starts the flows of
// IN_FLOW tasks again from their first action.
//
// A store finds nothing of the Router's in a FlowRun: State is the runner's
// own record, to keep verbatim. Ownership follows Store: a run passed to
// PutFlowRun is valid only during the call (copy what you keep); runs
// returned belong to the caller. Deleting a missing run is not an error.
// Implementations must be safe for concurrent use.
type FlowStore interface {
	// PutFlowRun stores run, replacing the run of the same task.
	PutFlowRun(ctx context.Context, run *FlowRun) error
	// DeleteFlowRun removes the run of the task taskID.
	DeleteFlowRun(ctx context.Context, taskID string) error
	// FlowRuns returns every stored run, in any order.
	FlowRuns(ctx context.Context) ([]*FlowRun, error)
}

// FlowRun is the stored position of one task's flow.
type FlowRun struct {
	TaskID string
	// FlowID is the flow the run is in (a TransferToFlow moves it).
	FlowID string
	// State is the runner's record of the run (position, flow attributes,
	// the last host function's response, loop counters, pending wait,
	// working queue), as JSON.
	State json.RawMessage
}

// Clone returns a deep copy of run.
func (run *FlowRun) Clone() *FlowRun {
	if run == nil {
		return nil
	}
	c := *run
	c.State = slices.Clone(run.State)
	return &c
}
