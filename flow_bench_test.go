package switchboard

import (
	"context"
	"testing"
)

// BenchmarkFlowTask measures a task through the router with the ten-action
// flow of BenchmarkFlow (attributes, flow attributes, compare, priority,
// working queue, transfer): created IN_FLOW, run on the runner's pool,
// enqueued, against the baseline of creating the same task straight into
// its queue. Each run is waited for (FlowRunner.Wait), so the figure
// includes the hand-off to a worker.
func BenchmarkFlowTask(b *testing.B) {
	f, _, err := NewFlow("a1").
		UpdateAttributes("a1", map[string]string{"stage": "intake"}).Next("f1").
		UpdateFlowAttributes("f1", map[string]string{"tier": "$.Attributes.tier"}).Next("c1").
		Compare("c1", "$.FlowAttributes.tier").When("Equals", "gold", "p1").When("Equals", "silver", "p2").Next("q2").
		SetPriority("p1", 1).Next("q1").
		SetPriority("p2", 3).Next("q2").
		SetQueue("q1", "arn:aws:connect:eu-west-2:123456789012:instance/i/queue/gold").Next("a2").
		SetQueue("q2", "arn:aws:connect:eu-west-2:123456789012:instance/i/queue/std").Next("a2").
		UpdateAttributes("a2", map[string]string{"routed": "yes", "by": "$.Name"}).Next("c2").
		Compare("c2", "$.Attributes.amount").When("NumberGreaterThan", "10000", "t").Next("t").
		TransferToQueue("t").OnError("QueueAtCapacity", "end").
		Disconnect("end").Build(FlowOptions{})
	if err != nil {
		b.Fatal(err)
	}
	attrs := map[string]string{"tier": "gold", "amount": "25000"}
	setup := func(b *testing.B) (*Router, *FlowRunner) {
		ctx := context.Background()
		fr := NewFlowRunner(nil)
		if err := fr.PutFlow("intake", f); err != nil {
			b.Fatal(err)
		}
		r, err := NewRouter(ctx, nil, &Config{Clock: NewManualClock(t0), Flows: fr})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { fr.Close(ctx); r.Close(ctx) })
		if err := fr.Bind(r); err != nil {
			b.Fatal(err)
		}
		for _, q := range []string{"gold", "std"} {
			if err := r.PutQueue(ctx, Queue{ID: q, Name: q}); err != nil {
				b.Fatal(err)
			}
		}
		return r, fr
	}
	b.Run("baseline=plain-task", func(b *testing.B) {
		r, _ := setup(b)
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.CreateTask(ctx, TaskInput{Name: "Claim", QueueID: "gold", Priority: 1, Attributes: attrs}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("flow-task", func(b *testing.B) {
		r, fr := setup(b)
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			t, err := r.CreateTask(ctx, TaskInput{Name: "Claim", FlowID: "intake", Attributes: attrs})
			if err != nil {
				b.Fatal(err)
			}
			if err := fr.Wait(ctx); err != nil {
				b.Fatal(err)
			}
			_ = t
		}
	})
}
