package switchboard

import (
	"math/rand/v2"
	"sync"
)

// AgentSelector chooses which of several eligible agents receives a task.
// It is consulted only when more than one agent could take the task at the
// moment it becomes routable; when an agent frees up and several tasks wait,
// the agent takes the first task in line (see docs/routing.md).
//
// Candidates come in longest-idle order and never include agents that
// rejected or missed the task unless every candidate did. Select returns the
// index of the chosen candidate. It runs while the router's lock is held: it
// must be fast and must not call the Router.
type AgentSelector interface {
	Select(s *Selection) int
}

// Selection is what an AgentSelector chooses from. It and everything it
// points to are valid only during Select: the router reuses them.
type Selection struct {
	Task *Task // read-only
	// Step is the task's active routing-criteria expression, or nil.
	Step       *Requirement
	Candidates []Candidate // at least two
}

// Candidate is an agent able to take a task now.
type Candidate struct {
	Agent *Agent // read-only
	// Active is how many tasks the agent holds on the task's channel, and
	// Capacity its concurrency there.
	Active, Capacity int
}

// AgentSelectorFunc adapts a function to AgentSelector.
type AgentSelectorFunc func(s *Selection) int

// Select calls f.
func (f AgentSelectorFunc) Select(s *Selection) int { return f(s) }

// LongestIdle gives the task to the agent whose LastActivity is oldest (ties
// by agent ID). It is the default and is served from the router's indexes
// without building a candidate list.
var LongestIdle AgentSelector = longestIdle{}

type longestIdle struct{}

func (longestIdle) Select(*Selection) int { return 0 }

// LeastOccupied gives the task to the agent with the lowest share of its
// capacity in use on the task's channel; ties go to the longest idle.
var LeastOccupied AgentSelector = AgentSelectorFunc(func(s *Selection) int {
	cs, best := s.Candidates, 0
	for i := 1; i < len(cs); i++ {
		// a/b < c/d  <=>  a*d < c*b for positive b, d
		if cs[i].Active*cs[best].Capacity < cs[best].Active*cs[i].Capacity {
			best = i
		}
	}
	return best
})

// MostProficient gives the task to the agent with the highest sum of levels
// over the attributes named in the task's active routing step; ties go to
// the longest idle. Without criteria it behaves as LongestIdle.
var MostProficient AgentSelector = AgentSelectorFunc(func(s *Selection) int {
	if s.Step == nil {
		return 0
	}
	best, bestScore := 0, -1
	for i, c := range s.Candidates {
		if sc := s.Step.score(c.Agent); sc > bestScore {
			best, bestScore = i, sc
		}
	}
	return best
})

// RandomSelector returns a selector that picks uniformly at random from a
// PCG stream seeded with seed, so runs are reproducible.
func RandomSelector(seed uint64) AgentSelector {
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	return AgentSelectorFunc(func(s *Selection) int {
		mu.Lock()
		defer mu.Unlock()
		return rng.IntN(len(s.Candidates))
	})
}

// score sums the agent's levels over the attribute conditions of e.
func (e *Requirement) score(a *Agent) int {
	switch {
	case e.Attribute != nil:
		return a.proficiency(e.Attribute.Name, e.Attribute.Value)
	case e.Preferred != nil:
		return 0
	}
	s := 0
	for i := range e.And {
		s += e.And[i].score(a)
	}
	for i := range e.Or {
		s += e.Or[i].score(a)
	}
	return s
}

// RoundRobin returns a selector that takes eligible agents in turn by agent
// ID: each task goes to the first candidate whose ID sorts after the agent
// chosen last, wrapping around. Each call returns an independent rotation.
func RoundRobin() AgentSelector {
	var mu sync.Mutex
	last := ""
	return AgentSelectorFunc(func(s *Selection) int {
		mu.Lock()
		defer mu.Unlock()
		next, first := -1, 0
		for i, c := range s.Candidates {
			id := c.Agent.ID
			if id < s.Candidates[first].Agent.ID {
				first = i
			}
			if id > last && (next < 0 || id < s.Candidates[next].Agent.ID) {
				next = i
			}
		}
		if next < 0 {
			next = first
		}
		last = s.Candidates[next].Agent.ID
		return next
	})
}
