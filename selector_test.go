package switchboard

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// With RoundRobin, three free agents with two task slots each take six
// tasks in turn by name, whoever has been idle longest.
func TestScenarioRoundRobinTakesAgentsInTurn(t *testing.T) {
	b := newBench(t, &Config{Selector: RoundRobin()})
	b.queue("q")
	b.profile("p", 2, "q")
	for _, id := range []string{"cy", "ana", "bo"} {
		b.agent(id, "p")
	}
	for range 6 {
		b.create(TaskInput{QueueID: "q"})
	}
	want := []string{"t1>ana", "t2>bo", "t3>cy", "t4>ana", "t5>bo", "t6>cy"}
	if diff := cmp.Diff(want, b.offers()); diff != "" {
		t.Errorf("offers (-want +got):\n%s", diff)
	}
}
