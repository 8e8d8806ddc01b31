package rules

import (
	"testing"

	"github.com/expr-lang/expr/vm"
)

// BenchmarkCondition compares one condition decided by the native
// evaluator with the same condition on expr's VM, in the same run.
func BenchmarkCondition(b *testing.B) {
	c := NewCompiler(&testEnv{})
	cond, err := c.Condition(`lower(event.detail.group) == "group-1" && event.detail.priority == "urgent"`)
	if err != nil {
		b.Fatal(err)
	}
	ev := map[string]any{"detail": map[string]any{"group": "group-2", "priority": "urgent", "id": "4411"}}
	b.Run("native", func(b *testing.B) {
		var s Scratch
		b.ReportAllocs()
		for b.Loop() {
			s.Reset(ev)
			if m, ok := cond.Decide(&s); m || !ok {
				b.Fatal("wrong")
			}
		}
	})
	b.Run("vm", func(b *testing.B) {
		var m vm.VM
		env := &testEnv{Event: ev}
		b.ReportAllocs()
		for b.Loop() {
			if ok, err := cond.Run(&m, env); ok || err != nil {
				b.Fatal("wrong")
			}
		}
	})
}
