package switchboard

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"
)

// This file is the router's side of routing: it tells the index (index.go)
// what changed, arms the timers a waiting task needs, and settles, that is
// makes the offers the index finds, at the end of each operation.

// placeQueued puts a QUEUED task into its lane (or agent queue) at its
// effective priority and arms its level, routing-step, ageing and cool-down
// timers, as of now.
func (r *Router) placeQueued(e *taskEntry, now time.Time) {
	t := e.t
	r.armCooldown(e, now)
	e.age = t.RoutingAge().UnixNano()
	if t.QueueID == "" {
		r.setAgeing(e, nil, now)
		r.idx.placeTarget(e, r.agents[t.TargetAgentID])
		return
	}
	q := r.queues[t.QueueID]
	r.setAgeing(e, q.PriorityAgeing, now)
	e.lane = r.idx.laneFor(q, e.ch)
	r.activateStep(e, now)
	if d, ok := r.idx.place(e, now.Sub(t.EnqueuedAt)); ok {
		r.schedule(e, timerLevel, t.EnqueuedAt.Add(d))
	}
}

// unplace removes a task from its lane or agent queue and cancels its level,
// step, ageing and cool-down timers.
func (r *Router) unplace(e *taskEntry) {
	if !r.idx.unplace(e) {
		return
	}
	r.cancel(e, timerLevel)
	r.cancel(e, timerStep)
	r.cancel(e, timerAge)
	r.cancel(e, timerCooldown)
}

// rebuildLane recomputes a lane's levels from the profiles that serve it and
// re-places its tasks. Used when routing profiles change.
func (r *Router) rebuildLane(l *lane, now time.Time) {
	tasks := r.idx.laneTasks(l)
	for _, e := range tasks {
		r.unplace(e)
	}
	r.idx.rebuildLane(l, r.profilesSorted())
	sortTasks(tasks)
	for _, e := range tasks {
		r.placeQueued(e, now)
		r.markTask(e)
	}
}

// activateStep sets the routing step of e active at instant at (its class)
// and arms the timer for the step's expiry.
func (r *Router) activateStep(e *taskEntry, at time.Time) {
	r.setClass(e, nil)
	c := e.t.RoutingCriteria
	if c == nil {
		return
	}
	idx, until := c.activeStep(e.t.CriteriaActivatedAt, at)
	if idx < 0 {
		return
	}
	r.setClass(e, &c.Steps[idx].Requirement)
	if !until.IsZero() {
		r.schedule(e, timerStep, until)
	}
}

// setClass sets the task's active-step expression and its class key, the
// canonical string of the expression, interned through the lane's first
// level so that a task joining an existing class allocates nothing.
func (r *Router) setClass(e *taskEntry, expr *Requirement) {
	e.stepExpr, e.classSig = expr, ""
	if expr == nil {
		return
	}
	r.op.sigBuf = expr.appendTo(r.op.sigBuf[:0])
	if cl := e.lane.levels[0].classes[string(r.op.sigBuf)]; cl != nil {
		e.classSig = cl.sig
		return
	}
	e.classSig = string(r.op.sigBuf)
}

// selectAgent asks Config.Selector to choose. A selector that panics is
// host code failing: the router logs it, reports a router.error event, and
// gives the task to the first candidate (the longest idle), so routing goes
// on.
func (r *Router) selectAgent(sel *Selection) (i int) {
	defer func() {
		if p := recover(); p != nil {
			err := fmt.Errorf("switchboard: AgentSelector panicked: %v; chose the longest-idle agent", p)
			r.logger.Error("switchboard: AgentSelector panicked", "task", sel.Task.ID, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			r.emit(Event{Type: EventError, TaskID: sel.Task.ID, Err: err})
			i = 0
		}
	}()
	return r.cfg.Selector.Select(sel)
}

func (r *Router) markTask(e *taskEntry) {
	if !e.dirty {
		e.dirty = true
		r.op.dirtyTasks = append(r.op.dirtyTasks, e)
	}
}

func (r *Router) markAgent(a *agentEntry) {
	if !a.dirty {
		a.dirty = true
		r.op.dirtyAgents = append(r.op.dirtyAgents, a)
	}
}

// settle makes offers until no ready agent can take any waiting task: first
// each task that became routable, in the order it did, goes to its best
// agent; then each agent that freed up, longest idle first, takes the best
// waiting tasks while it has room.
func (r *Router) settle(ctx context.Context) {
	for len(r.op.dirtyTasks) > 0 || len(r.op.dirtyAgents) > 0 {
		for i := 0; i < len(r.op.dirtyTasks); i++ {
			e := r.op.dirtyTasks[i]
			r.op.dirtyTasks[i] = nil
			e.dirty = false
			if e.queued {
				if a := r.idx.findAgent(e, &r.op); a != nil {
					if err := r.offer(ctx, e, a); err != nil {
						r.abandonSettle("offer", e.t.ID, err)
						return
					}
				}
			}
		}
		r.op.dirtyTasks = r.op.dirtyTasks[:0]
		if len(r.op.dirtyAgents) == 0 {
			break
		}
		// Offers change only the agent that receives them, so one sort gives
		// the agent order for the whole pass.
		agents := r.op.dirtyAgents
		sortAgents(agents)
		for i, a := range agents {
			agents[i] = nil
			a.dirty = false
			for a.anyReady() {
				e := r.idx.bestTask(a)
				if e == nil {
					break
				}
				if err := r.offer(ctx, e, a); err != nil {
					r.abandonSettle("offer", e.t.ID, err)
					return
				}
			}
		}
		// Keep any agent marked during the pass (none today) for the next round.
		r.op.dirtyAgents = append(agents[:0], r.op.dirtyAgents[len(agents):]...)
	}
}

// abandonSettle stops settling after a failed store write: the decisions
// left would be made on a world that is not settled (an agent who turned a
// task down could take it back), so the retry timer makes them all again.
func (r *Router) abandonSettle(op, taskID string, err error) {
	r.failed(op, taskID, err)
	for i, e := range r.op.dirtyTasks {
		if e != nil { // entries already handled were cleared
			e.dirty = false
		}
		r.op.dirtyTasks[i] = nil
	}
	r.op.dirtyTasks = r.op.dirtyTasks[:0]
	for i, a := range r.op.dirtyAgents {
		if a != nil {
			a.dirty = false
		}
		r.op.dirtyAgents[i] = nil
	}
	r.op.dirtyAgents = r.op.dirtyAgents[:0]
	r.scheduleRetry()
}

// scheduleRetry arranges for routing to run again over every waiting task
// and every agent after Config.RetryInterval, so that routing a failed store
// write interrupted resumes without waiting for the next event.
func (r *Router) scheduleRetry() {
	if r.retry.Scheduled() {
		return
	}
	r.retry.Value = timerRef{kind: timerRetry}
	r.timers.Schedule(&r.retry, r.clock.Now().Add(r.cfg.RetryInterval).UnixNano(), timerTie(timerRetry, 0))
}
