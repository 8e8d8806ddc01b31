package switchboard

import (
	"strings"
	"testing"
)

// TestIndexCheckFindsDamage damages each structure the routing index owns,
// one at a time, and expects Router.Check (through index.check) to name the
// damage; repairing it makes the router consistent again. Two billing tasks
// wait for Ana, who is offline; Bo is available on the sales queue, where
// nothing waits.
func TestIndexCheckFindsDamage(t *testing.T) {
	for _, tc := range []struct {
		name   string
		want   string
		damage func(r *Router) (repair func())
	}{
		{"a waiting task falls out of its class", `task "t1": in level 0`, func(r *Router) func() {
			e := r.tasks["t1"]
			cl := e.lane.levels[0].classes[e.classSig]
			cl.tree.Delete(e.key())
			return func() { cl.tree.ReplaceOrInsert(e.key()) }
		}},
		{"a class is left empty", `keeps empty class "x"`, func(r *Router) func() {
			lv := r.queues["billing"].lanes[ChannelTask.index()].levels[0]
			lv.classes["x"] = &class{sig: "x", tree: r.idx.newTaskTree()}
			return func() { delete(lv.classes, "x") }
		}},
		{"a ready agent falls out of the ready tree", `agent "bo" on TASK: in ready tree=false ready=true`, func(r *Router) func() {
			a := r.agents["bo"]
			tree := a.profile.ready[ChannelTask.index()]
			tree.Delete(a)
			return func() { tree.ReplaceOrInsert(a) }
		}},
		{"an agent queue miscounts", `agent "ana" counts 1 in its agent queue, found 0`, func(r *Router) func() {
			a := r.agents["ana"]
			a.queued++
			return func() { a.queued-- }
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBench(t, nil)
			b.queue("billing")
			b.queue("sales")
			b.profile("back office", 1, "billing")
			b.profile("front desk", 1, "sales")
			b.must(b.r.PutAgent(b.ctx, Agent{ID: "ana", RoutingProfileID: "back office", Status: StatusOffline}))
			b.agent("bo", "front desk")
			b.create(TaskInput{QueueID: "billing", Name: "refund"})
			b.create(TaskInput{QueueID: "billing", Name: "invoice copy"})
			if err := b.r.Check(); err != nil {
				t.Fatalf("before the damage: %v", err)
			}

			b.r.mu.Lock()
			repair := tc.damage(b.r)
			b.r.mu.Unlock()
			err := b.r.Check()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Check() = %v, want an error containing %q", err, tc.want)
			}

			b.r.mu.Lock()
			repair()
			b.r.mu.Unlock()
			if err := b.r.Check(); err != nil {
				t.Fatalf("after the repair: %v", err)
			}
		})
	}
}
