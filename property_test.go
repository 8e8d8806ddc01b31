package switchboard

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// property_test.go drives the Router alone with the random operations of
// differential_test.go, under every selector and missed-offer policy, and
// checks after every operation that no task is lost or duplicated, no agent
// is over capacity, no task is held twice and event sequence numbers have no
// gap. Replay one seed with
//
//	go test -run TestPropertyRouting -switchboard.seed=N -v .
//
// SWITCHBOARD_LONG=1 runs many more seeds and operations.

func TestPropertyRouting(t *testing.T) {
	runSeeds(t, "TestPropertyRouting", "switchboard.seed", *seedFlag, simSize{100, 300, 3000, 600, 15, 200}, runProperty)
}

func runProperty(t *testing.T, seed uint64, nops int, verbose bool) {
	rng := rand.New(rand.NewPCG(seed, 0x70a0e7))
	w := simRandomWorld(rng)
	cfg := w.config()
	selName := "LongestIdle"
	switch rng.IntN(5) {
	case 0:
		cfg.Selector, selName = LeastOccupied, "LeastOccupied"
	case 1:
		cfg.Selector, selName = MostProficient, "MostProficient"
	case 2:
		cfg.Selector, selName = RandomSelector(seed), "RandomSelector"
	}
	b := newBench(t, cfg)
	m := newSimModel()
	p := &propChecker{b: b, w: w, m: m}
	w.install(b)
	if msg := p.events(b.sub.Drain()); msg != "" {
		t.Fatalf("seed %d, setup: %s", seed, msg)
	}
	g := &simGen{rng: rng, w: w, m: m, now: b.clock.Now}
	var hist []string
	for i := 0; i < nops; i++ {
		o := g.next()
		hist = append(hist, fmt.Sprintf("%3d @%-6s %s", i, b.clock.Now().Sub(t0), o))
		nt, err := o.runEngine(b)
		if verbose {
			t.Logf("%s -> %v", hist[i], err)
		}
		msg := ""
		if simIsPanic(err) {
			msg = err.Error()
		} else {
			msg = p.events(b.sub.Drain())
			if err == nil && nt != nil {
				if st := m.tasks[nt.ID]; st == nil || !st.created {
					msg += fmt.Sprintf("; task %s returned without a task.created event", nt.ID)
				}
				m.add(nt)
			}
			if msg == "" {
				msg = p.check()
			}
		}
		if msg != "" {
			from := max(0, len(hist)-40)
			t.Fatalf("seed %d (selector %s), op %d: %s\n%s\nlast ops:\n  %s\nreplay: go test -run TestPropertyRouting -switchboard.seed=%d -switchboard.ops=%d -v .",
				seed, selName, i, msg, w, strings.Join(hist[from:], "\n  "), seed, i+1)
		}
	}
}

type propChecker struct {
	b       *bench
	w       *simWorld
	m       *simModel
	lastSeq uint64
}

// events checks that sequence numbers follow each other and feeds the model.
func (p *propChecker) events(evs []Event) string {
	for _, e := range evs {
		if e.Seq != p.lastSeq+1 {
			return fmt.Sprintf("event %s for %s has Seq %d after %d", e.Type, e.TaskID, e.Seq, p.lastSeq)
		}
		p.lastSeq = e.Seq
	}
	p.m.feed(evs)
	return ""
}

// check compares the router with the model built from its events.
func (p *propChecker) check() string {
	b, m := p.b, p.m
	st := mustStats(b.r)
	if st.Events != p.lastSeq {
		return fmt.Sprintf("Stats.Events %d, last event Seq %d", st.Events, p.lastSeq)
	}

	// Every task is open in the router in the state its events say, or
	// final in the store; the counts agree.
	open := map[TaskState]int{}
	waiting := map[string]int{}
	held := map[string][]string{} // agent -> task IDs, from the model
	b.r.mu.Lock()
	inRouter := len(b.r.tasks)
	var bad []string
	for _, id := range m.order {
		mt := m.tasks[id]
		if !mt.created {
			bad = append(bad, id+" has no task.created event")
		}
		e := b.r.tasks[id]
		switch {
		case !mt.state.Final() && e == nil:
			bad = append(bad, fmt.Sprintf("%s is %s by its events but not open in the router", id, mt.state))
		case !mt.state.Final() && (e.t.State != mt.state || e.t.AgentID != mt.agent && holdsSlotRef(mt.state)):
			bad = append(bad, fmt.Sprintf("%s is %s/%s by its events, %s/%s in the router", id, mt.state, mt.agent, e.t.State, e.t.AgentID))
		case mt.state.Final() && e != nil:
			bad = append(bad, fmt.Sprintf("%s is %s by its events but still open (%s) in the router", id, mt.state, e.t.State))
		}
		if !mt.state.Final() {
			open[mt.state]++
			if (mt.state == StateQueued || mt.state == StateOffered) && mt.queue != "" {
				waiting[mt.queue]++
			}
			if holdsSlotRef(mt.state) {
				held[mt.agent] = append(held[mt.agent], id)
			}
		}
	}
	b.r.mu.Unlock()
	for _, id := range m.order {
		if mt := m.tasks[id]; mt.state.Final() {
			stored, err := b.store.Task(b.ctx, id)
			if err != nil || stored.State != mt.state {
				bad = append(bad, fmt.Sprintf("%s is %s by its events; store: %v %v", id, mt.state, stored, err))
			}
		}
	}
	if len(bad) > 0 {
		return strings.Join(bad, "; ")
	}
	nOpen := 0
	for s, n := range open {
		nOpen += n
		if st.TasksByState[s] != n {
			return fmt.Sprintf("Stats.TasksByState %v, events say %v", st.TasksByState, open)
		}
	}
	if inRouter != nOpen {
		return fmt.Sprintf("router holds %d open tasks, events say %d", inRouter, nOpen)
	}
	for _, q := range p.w.queues {
		if st.QueuedByQueue[q] != waiting[q] {
			return fmt.Sprintf("Stats.QueuedByQueue %v, events say %v", st.QueuedByQueue, waiting)
		}
	}
	nAgents := 0
	for _, n := range st.AgentsByStatus {
		nAgents += n
	}
	if nAgents != len(p.w.agents) {
		return fmt.Sprintf("Stats.AgentsByStatus %v counts %d agents, want %d", st.AgentsByStatus, nAgents, len(p.w.agents))
	}

	// No agent over capacity; no task held twice; holders agree with events.
	holder := map[string]string{}
	for _, a := range p.w.agents {
		ts, err := b.r.AgentTasks(a.ID)
		if err != nil {
			return fmt.Sprintf("AgentTasks(%s): %v", a.ID, err)
		}
		conc := map[Channel]int{}
		for _, c := range p.w.profile(a.RoutingProfileID).Concurrency {
			conc[c.Channel] = c.Concurrency
		}
		load := map[Channel]int{}
		var ids []string
		for _, t := range ts {
			if prev, dup := holder[t.ID]; dup {
				return fmt.Sprintf("task %s held by %s and %s", t.ID, prev, a.ID)
			}
			holder[t.ID] = a.ID
			if t.AgentID != a.ID || !holdsSlotRef(t.State) {
				return fmt.Sprintf("AgentTasks(%s) lists %s, %s with agent %q", a.ID, t.ID, t.State, t.AgentID)
			}
			load[t.Channel]++
			ids = append(ids, t.ID)
		}
		for ch, n := range load {
			if n > conc[ch] {
				return fmt.Sprintf("agent %s holds %d %s tasks, concurrency %d", a.ID, n, ch, conc[ch])
			}
		}
		want := held[a.ID]
		slices.Sort(ids)
		slices.Sort(want)
		if !slices.Equal(ids, want) {
			return fmt.Sprintf("agent %s holds %v, events say %v", a.ID, ids, want)
		}
	}
	return ""
}
