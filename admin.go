package switchboard

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// This file holds the Router's configuration operations: queues, routing
// profiles and agents.

// PutQueue creates or replaces a queue. Replacing a queue's PriorityAgeing or
// ReofferCooldown with a different rule re-places every task waiting in it
// as of now (effective priorities and timers re-derived; each task looks for
// an agent again): O(n log n) in the queue's waiting tasks, for this call
// only. Other changes cost O(1).
func (r *Router) PutQueue(ctx context.Context, q Queue) (err error) {
	if err := q.validate(); err != nil {
		return err
	}
	q = *q.clone()
	if err := r.lock(ctx); err != nil {
		return err
	}
	defer r.unlock(ctx, &err)
	r.stage(Event{Type: EventQueueUpdated, QueueID: q.ID})
	if err := r.writeChange(ctx, "put queue", &Change{Queues: []*Queue{&q}}); err != nil {
		return err
	}
	if qe := r.queues[q.ID]; qe != nil {
		rerule := !sameRules(&qe.Queue, &q)
		qe.Queue = q
		if rerule {
			now := r.clock.Now()
			for _, l := range qe.lanes {
				if l != nil {
					r.rebuildLane(l, now)
				}
			}
		}
		return nil
	}
	r.queues[q.ID] = &queueEntry{Queue: q}
	return nil
}

// PutRoutingProfile creates or replaces a routing profile. Every queue it
// names must exist. Agents of the profile pick up the change at once.
func (r *Router) PutRoutingProfile(ctx context.Context, p RoutingProfile) (err error) {
	if err := p.validate(); err != nil {
		return err
	}
	p = p.normalized()
	if err := r.lock(ctx); err != nil {
		return err
	}
	defer r.unlock(ctx, &err)
	for i, qc := range p.Queues {
		if r.queues[qc.QueueID] == nil {
			return fmt.Errorf("RoutingProfile.Queues[%d].QueueID: %w", i, notFound("queue", qc.QueueID))
		}
	}
	r.stage(Event{Type: EventRoutingProfileUpdated, RoutingProfileID: p.ID})
	if err := r.writeChange(ctx, "put routing profile", &Change{Profiles: []*RoutingProfile{&p}}); err != nil {
		return err
	}
	r.installProfile(&p, r.clock.Now())
	return nil
}

// installProfile replaces or adds a profile in memory and rebuilds the lanes
// it touches (before and after).
func (r *Router) installProfile(p *RoutingProfile, now time.Time) {
	old := r.profiles[p.ID]
	pe := &profileEntry{RoutingProfile: *p, agents: map[string]*agentEntry{}}
	for _, mc := range p.Concurrency {
		pe.conc[mc.Channel.index()] = mc.Concurrency
		pe.cross[mc.Channel.index()] = mc.CrossChannel
	}
	touched := map[*lane]bool{}
	if old != nil {
		for _, a := range old.agents {
			r.idx.unindexAgent(a)
		}
		pe.agents = old.agents
		for _, pc := range old.configs {
			touched[pc.lane] = true
		}
	}
	for _, qc := range p.Queues {
		l := r.idx.laneFor(r.queues[qc.QueueID], qc.Channel.index())
		pe.configs = append(pe.configs, profileQueue{lane: l, prio: qc.Priority, delay: qc.Delay, ch: qc.Channel.index()})
		touched[l] = true
	}
	r.profiles[p.ID] = pe
	for _, a := range pe.agents {
		a.profile = pe
	}
	lanes := make([]*lane, 0, len(touched))
	for l := range touched {
		lanes = append(lanes, l)
	}
	slices.SortFunc(lanes, func(a, b *lane) int {
		if a.q.ID != b.q.ID {
			if a.q.ID < b.q.ID {
				return -1
			}
			return 1
		}
		return a.ch - b.ch
	})
	for _, l := range lanes {
		r.rebuildLane(l, now)
	}
	// configs in priority order; stable keeps listing order among equals.
	idx := make([]int, len(pe.configs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return pe.configs[a].prio - pe.configs[b].prio })
	sorted := make([]profileQueue, len(idx))
	for i, j := range idx {
		sorted[i] = pe.configs[j]
	}
	pe.configs = sorted
	for _, a := range pe.agents {
		r.idx.indexAgent(a)
		r.markAgent(a)
	}
}

func (r *Router) profilesSorted() []*profileEntry {
	ps := make([]*profileEntry, 0, len(r.profiles))
	for _, p := range r.profiles {
		ps = append(ps, p)
	}
	slices.SortFunc(ps, func(a, b *profileEntry) int {
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	return ps
}

// PutAgent creates an agent or replaces its configuration (name, routing
// profile, proficiencies, auto-accept, ACW limits). A new agent starts in
// a.Status (Offline when empty), which must be a configured status; an
// existing agent keeps its status and runtime state, which change only
// through SetAgentStatus and ClearAgent (a.Status and the other runtime
// fields, Activity included, are then ignored).
func (r *Router) PutAgent(ctx context.Context, a Agent) (err error) {
	if err := a.validate(); err != nil {
		return err
	}
	if a.Status != "" {
		if err := checkStatusName("Status", a.Status); err != nil {
			return err
		}
	}
	if err := r.lock(ctx); err != nil {
		return err
	}
	defer r.unlock(ctx, &err)
	p := r.profiles[a.RoutingProfileID]
	if p == nil {
		return fmt.Errorf("Agent.RoutingProfileID: %w", notFound("routing profile", a.RoutingProfileID))
	}
	now := r.clock.Now()
	na := *a.clone()
	na.Activity = ""
	ae := r.agents[a.ID]
	if ae != nil {
		na.Status, na.StatusSince, na.LastActivity = ae.Status, ae.StatusSince, ae.LastActivity
		na.Blocked, na.BlockedTaskID = ae.Blocked, ae.BlockedTaskID
	} else {
		if na.Status == "" {
			na.Status = StatusOffline
		}
		if err := r.cfg.statuses.check("Status", na.Status); err != nil {
			return err
		}
		na.StatusSince, na.LastActivity = now, now
		na.Blocked, na.BlockedTaskID = NotBlocked, ""
	}
	r.stage(Event{Type: EventAgentUpdated, Time: now, AgentID: a.ID, RoutingProfileID: na.RoutingProfileID, Status: na.Status})
	if err := r.writeChange(ctx, "put agent", &Change{Agents: []*Agent{&na}}); err != nil {
		return err
	}
	if ae == nil {
		ae = &agentEntry{held: map[*taskEntry]struct{}{}}
		r.agents[a.ID] = ae
	}
	r.idx.setAgent(ae, &na, p)
	r.markAgent(ae)
	return nil
}

// SetAgentStatus sets an agent's status, which must be one of the router's
// configured statuses (Router.AgentStatuses; names are case-sensitive):
// anything else is a *ValidationError naming Status and changes nothing.
// A ROUTABLE status (Available) makes the agent routable (LastActivity
// restarts the idle clock); a CUSTOM or OFFLINE status stops new offers at
// once but leaves current tasks and pending offers alone. There is no
// deferred "next status": the new status applies at once, also while the
// agent holds tasks.
func (r *Router) SetAgentStatus(ctx context.Context, agentID string, status AgentStatus) error {
	if err := r.cfg.statuses.check("Status", status); err != nil {
		return err
	}
	routable := r.cfg.statuses.typeOf(status) == StatusTypeRoutable
	return r.changeAgent(ctx, agentID, EventAgentStatusChanged, func(na *Agent, now time.Time) bool {
		if na.Status == status {
			return false
		}
		na.Status, na.StatusSince = status, now
		if routable {
			na.LastActivity = now
		}
		return true
	})
}

// ClearAgent clears an agent's missed or rejected task so that it receives
// work again (Amazon Connect's "Clear contact"). It is a no-op for an agent
// that is not blocked.
func (r *Router) ClearAgent(ctx context.Context, agentID string) error {
	return r.changeAgent(ctx, agentID, EventAgentCleared, func(na *Agent, now time.Time) bool {
		if na.Blocked == NotBlocked {
			return false
		}
		na.Blocked, na.BlockedTaskID = NotBlocked, ""
		na.LastActivity = now
		return true
	})
}

// changeAgent runs one change of an agent's runtime state: change edits a
// copy and reports whether anything changed; the copy is stored, indexed and
// announced with an event of type typ.
func (r *Router) changeAgent(ctx context.Context, agentID string, typ EventType, change func(na *Agent, now time.Time) bool) (err error) {
	if err := r.lock(ctx); err != nil {
		return err
	}
	defer r.unlock(ctx, &err)
	a := r.agents[agentID]
	if a == nil {
		return notFound("agent", agentID)
	}
	now := r.clock.Now()
	na := &r.op.agentBuf
	*na = a.Agent
	if !change(na, now) {
		return nil
	}
	return r.updateAgent(ctx, a, na, now, typ)
}

func (r *Router) updateAgent(ctx context.Context, a *agentEntry, na *Agent, now time.Time, typ EventType) error {
	r.stage(Event{Type: typ, Time: now, AgentID: a.ID, RoutingProfileID: na.RoutingProfileID, Status: na.Status})
	if err := r.writeChange(ctx, "update agent", &Change{Agents: []*Agent{na}}); err != nil {
		return err
	}
	r.setAgent(a, na)
	r.markAgent(a)
	return nil
}

// DeleteAgent removes an agent. An agent that still holds tasks (offered,
// connected, paused or in after-contact work) or has tasks waiting for it in
// its agent queue cannot be deleted: the error matches ErrInvalidState and
// says why. Set the agent Offline and let its work finish first.
func (r *Router) DeleteAgent(ctx context.Context, agentID string) error {
	var a *agentEntry
	return r.deleteObject(ctx, deletion{
		kind: "agent", id: agentID,
		find: func() bool { a = r.agents[agentID]; return a != nil },
		blockedBy: func() error {
			if n := len(a.held); n > 0 {
				return &StateError{Op: "DeleteAgent", State: fmt.Sprintf("agent %s holds %d task(s)", agentID, n), Want: "no tasks held"}
			}
			for _, e := range r.tasks {
				if e.t.TargetAgentID == agentID {
					return &StateError{Op: "DeleteAgent", State: fmt.Sprintf("agent %s has task %s in its agent queue", agentID, e.t.ID), Want: "an empty agent queue"}
				}
			}
			r.stage(Event{Type: EventAgentDeleted, AgentID: agentID, RoutingProfileID: a.RoutingProfileID, Status: a.Status})
			return nil
		},
		change: Change{DeleteAgents: []string{agentID}},
		forget: func() {
			r.idx.forgetAgent(a)
			delete(r.agents, agentID)
			r.evAgent = nil
		},
	})
}

// DeleteQueue removes a queue. A queue that any open task names, or that a
// routing profile still lists, cannot be deleted: the error matches
// ErrInvalidState and says why. Disable it (Queue.Disabled) and let it drain
// first.
func (r *Router) DeleteQueue(ctx context.Context, queueID string) error {
	return r.deleteObject(ctx, deletion{
		kind: "queue", id: queueID,
		find: func() bool { return r.queues[queueID] != nil },
		blockedBy: func() error {
			for _, p := range r.profilesSorted() {
				for _, qc := range p.Queues {
					if qc.QueueID == queueID {
						return &StateError{Op: "DeleteQueue", State: fmt.Sprintf("queue %s is listed by routing profile %s", queueID, p.ID), Want: "no routing profile listing it"}
					}
				}
			}
			for _, e := range r.tasks {
				if e.t.QueueID == queueID {
					return &StateError{Op: "DeleteQueue", State: fmt.Sprintf("queue %s has open task %s", queueID, e.t.ID), Want: "no open tasks"}
				}
			}
			r.stage(Event{Type: EventQueueDeleted, QueueID: queueID})
			return nil
		},
		change: Change{DeleteQueues: []string{queueID}},
		forget: func() { delete(r.queues, queueID) },
	})
}

// DeleteRoutingProfile removes a routing profile that no agent uses; one in
// use cannot be deleted (the error matches ErrInvalidState).
func (r *Router) DeleteRoutingProfile(ctx context.Context, profileID string) error {
	var p *profileEntry
	return r.deleteObject(ctx, deletion{
		kind: "routing profile", id: profileID,
		find: func() bool { p = r.profiles[profileID]; return p != nil },
		blockedBy: func() error {
			if n := len(p.agents); n > 0 {
				return &StateError{Op: "DeleteRoutingProfile", State: fmt.Sprintf("routing profile %s is used by %d agent(s)", profileID, n), Want: "no agents"}
			}
			r.stage(Event{Type: EventRoutingProfileDeleted, RoutingProfileID: profileID})
			return nil
		},
		change: Change{DeleteProfiles: []string{profileID}},
		forget: func() {
			delete(r.profiles, profileID)
			seen := map[*lane]bool{}
			for _, pc := range p.configs {
				if !seen[pc.lane] {
					seen[pc.lane] = true
					r.rebuildLane(pc.lane, r.clock.Now())
				}
			}
		},
	})
}

// deletion describes one Delete: the object, how to find it, what may still
// depend on it (blockedBy returns a *StateError naming it, and stages the
// deletion's event when nothing does), the change to write, and how to
// forget it once written.
type deletion struct {
	kind, id  string
	find      func() bool
	blockedBy func() error
	change    Change
	forget    func()
}

// deleteObject is the one skeleton of every Delete: under the lock, the
// object must exist and nothing may depend on it; the deletion is written,
// and only then forgotten, so a refused write changes nothing.
func (r *Router) deleteObject(ctx context.Context, d deletion) (err error) {
	if err := r.lock(ctx); err != nil {
		return err
	}
	defer r.unlock(ctx, &err)
	if !d.find() {
		return notFound(d.kind, d.id)
	}
	if err := d.blockedBy(); err != nil {
		return err
	}
	if err := r.writeChange(ctx, "delete "+d.kind, &d.change); err != nil {
		return err
	}
	d.forget()
	return nil
}
