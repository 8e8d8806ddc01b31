package switchboard

import (
	"fmt"
)

// Check verifies the router's internal consistency: every index agrees with
// the tasks and agents it indexes, no agent is over capacity, every open task
// has the timers its state needs. It returns the first inconsistency found,
// or nil; ErrClosed after Close. Tests call it after each scenario, as
// bbolt's Tx.Check; it walks every task and agent under the router's lock,
// so a production host calls it rarely, if at all.
func (r *Router) Check() error {
	if err := r.rlock(); err != nil {
		return err
	}
	defer r.mu.Unlock()
	return r.checkInvariants()
}

// checkInvariants verifies that the indexes agree with the tasks and agents
// they index. Tests call it after every scenario (and Config.Test can make the
// router call it after every operation). It must be called with r.mu held.
func (r *Router) checkInvariants() error {
	load := map[*agentEntry]*[numChannels]int{}
	waiting := map[string]int{}
	if e := r.lastTask; e != nil && (e.t == nil || r.tasks[e.t.ID] != e) {
		return fmt.Errorf("the last task entry (open's shortcut) is not an open task's entry")
	}
	for id, e := range r.tasks {
		t := e.t
		if t.ID != id {
			return fmt.Errorf("task map key %q holds task %q", id, t.ID)
		}
		if t.State.Final() {
			return fmt.Errorf("task %q is %s but still open", id, t.State)
		}
		if !e.timers[timerExpiry].Scheduled() {
			return fmt.Errorf("task %q has no expiry timer", id)
		}
		if e.queued != (t.State == StateQueued) {
			return fmt.Errorf("task %q is %s but queued=%v", id, t.State, e.queued)
		}
		if isWaiting(t) && t.QueueID != "" {
			waiting[t.QueueID]++
		}
		if err := r.checkAgeing(e); err != nil {
			return fmt.Errorf("task %q: %w", id, err)
		}
		if t.State.holdsSlot() {
			a := r.agents[t.AgentID]
			if a == nil || e.holder != a {
				return fmt.Errorf("task %q is %s for agent %q but held by %v", id, t.State, t.AgentID, e.holder)
			}
			if _, ok := a.held[e]; !ok {
				return fmt.Errorf("agent %q does not list held task %q", a.ID, id)
			}
			if load[a] == nil {
				load[a] = &[numChannels]int{}
			}
			load[a][e.ch]++
		} else if e.holder != nil {
			return fmt.Errorf("task %q is %s but held by %q", id, t.State, e.holder.ID)
		}
	}
	byState := map[TaskState]int{}
	for _, e := range r.tasks {
		byState[e.t.State]++
	}
	for st, n := range byState {
		if r.openByState.get(st) != n {
			return fmt.Errorf("%d tasks counted %s, found %d", r.openByState.get(st), st, n)
		}
	}
	var miscount error
	r.openByState.each(func(st TaskState, n int) {
		if n != byState[st] && miscount == nil {
			miscount = fmt.Errorf("%d tasks counted %s, found %d", n, st, byState[st])
		}
	})
	if miscount != nil {
		return miscount
	}
	for id, q := range r.queues {
		if q.waiting != waiting[id] {
			return fmt.Errorf("queue %q counts %d waiting, found %d", id, q.waiting, waiting[id])
		}
	}
	if err := r.idx.check(r.tasks, r.queues, r.agents); err != nil {
		return err
	}
	for id, a := range r.agents {
		var want [numChannels]int
		if l := load[a]; l != nil {
			want = *l
		}
		if a.load != want {
			return fmt.Errorf("agent %q load %v, tasks say %v", id, a.load, want)
		}
		if len(a.held) != sum(want) {
			return fmt.Errorf("agent %q holds %d tasks, load says %d", id, len(a.held), sum(want))
		}
		// Settled, unless a failed store write left routing to the retry timer.
		if len(r.op.dirtyTasks) == 0 && len(r.op.dirtyAgents) == 0 && !r.retry.Scheduled() && a.anyReady() {
			if e := r.idx.bestTask(a); e != nil {
				return fmt.Errorf("agent %q is ready and task %q waits for it: routing did not settle", id, e.t.ID)
			}
		}
	}
	return nil
}

func sum(xs [numChannels]int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}

// checkAgeing verifies a task's ageing and cool-down timers (ageing.go): only
// a queued task has them; its key priority is its EffectivePriority, between
// Floor and Priority, and its ageing timer is set for exactly the next step;
// its cool-down timer is set for the end of one of its cool-downs.
func (r *Router) checkAgeing(e *taskEntry) error {
	t := e.t
	age, cool := &e.timers[timerAge], &e.timers[timerCooldown]
	if !e.queued {
		if age.Scheduled() || cool.Scheduled() {
			return fmt.Errorf("%s but has an ageing (%v) or cool-down (%v) timer", t.State, age.Scheduled(), cool.Scheduled())
		}
		return nil
	}
	if e.prio != t.EffectivePriority {
		return fmt.Errorf("keyed at priority %d, EffectivePriority %d", e.prio, t.EffectivePriority)
	}
	a := r.ageingOf(t)
	switch {
	case a == nil || t.Priority <= a.Floor:
		if e.prio != t.Priority {
			return fmt.Errorf("does not age but has effective priority %d, priority %d", e.prio, t.Priority)
		}
	case e.prio < a.Floor || e.prio > t.Priority:
		return fmt.Errorf("effective priority %d outside floor %d..priority %d", e.prio, a.Floor, t.Priority)
	}
	next, ok := nextAgeing(a, t.Priority, e.prio, t.EnqueuedAt)
	if age.Scheduled() != ok || ok && age.At != next.UnixNano() {
		return fmt.Errorf("ageing timer scheduled=%v at %d, want %v at %s", age.Scheduled(), age.At, ok, next)
	}
	if cool.Scheduled() {
		cd := r.cooldownOf(t)
		found := false
		for _, at := range t.RejectedAt {
			found = found || at.Add(cd).UnixNano() == cool.At
		}
		if !found || len(t.RejectedAt) != len(t.RejectedBy) {
			return fmt.Errorf("cool-down timer at %d matches no RejectedAt %v + %s (RejectedBy %v)", cool.At, t.RejectedAt, cd, t.RejectedBy)
		}
	}
	return nil
}
