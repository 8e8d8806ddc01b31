package switchboard

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file holds the configured set of agent statuses (Amazon Connect's
// agent statuses and their AgentStatusType) and Agent Activity.

// AgentStatusType is the type of an agent status, as Amazon Connect's
// AgentStatusType: it decides whether agents in the status receive work.
type AgentStatusType string

// Agent status types.
const (
	// StatusTypeRoutable: agents receive new work. Only the built-in
	// StatusAvailable has this type, as in Amazon Connect.
	StatusTypeRoutable AgentStatusType = "ROUTABLE"
	// StatusTypeCustom: a non-productive status such as "Break" or "Lunch";
	// no new work.
	StatusTypeCustom AgentStatusType = "CUSTOM"
	// StatusTypeOffline: the agent is offline; no new work.
	StatusTypeOffline AgentStatusType = "OFFLINE"
)

// AgentStatusDefinition is one status agents may be set to.
type AgentStatusDefinition struct {
	Name AgentStatus     // 1..127 characters, valid UTF-8, no control characters
	Type AgentStatusType // ROUTABLE (only Available), CUSTOM or OFFLINE
}

// builtinStatuses exist in every router and cannot be removed or retyped.
var builtinStatuses = []AgentStatusDefinition{
	{Name: StatusAvailable, Type: StatusTypeRoutable},
	{Name: StatusOffline, Type: StatusTypeOffline},
}

// statusSet is a router's configured agent statuses, fixed at NewRouter.
type statusSet struct {
	list  []AgentStatusDefinition // built-ins first, then Config order
	types map[AgentStatus]AgentStatusType
}

// newStatusSet validates Config.AgentStatuses and returns the set they make
// with the built-ins.
func newStatusSet(defs []AgentStatusDefinition) (statusSet, error) {
	s := statusSet{types: map[AgentStatus]AgentStatusType{}}
	folded := map[string]int{} // case-folded name -> index in Config, -1 for built-ins
	for _, d := range builtinStatuses {
		s.list = append(s.list, d)
		s.types[d.Name] = d.Type
		folded[strings.ToLower(string(d.Name))] = -1
	}
	for i, d := range defs {
		f := fmt.Sprintf("Config.AgentStatuses[%d]", i)
		if err := checkStatusName(f+".Name", d.Name); err != nil {
			return statusSet{}, err
		}
		switch d.Type {
		case StatusTypeRoutable, StatusTypeCustom, StatusTypeOffline:
		default:
			return statusSet{}, invalid(f+".Type", string(d.Type), "must be ROUTABLE, CUSTOM or OFFLINE")
		}
		key := strings.ToLower(string(d.Name))
		j, seen := folded[key]
		if t := s.types[d.Name]; seen && j == -1 && t != "" {
			// A built-in, listed for the first time: allowed with its own type.
			if d.Type != t {
				return statusSet{}, invalid(f+".Type", string(d.Type), fmt.Sprintf("built-in status %s is %s and cannot be retyped", d.Name, t))
			}
			folded[key] = i
			continue
		}
		if seen {
			what := "the built-in status"
			if j >= 0 {
				what = fmt.Sprintf("Config.AgentStatuses[%d]", j)
			}
			return statusSet{}, invalid(f+".Name", string(d.Name), "listed twice (names are compared ignoring case): same as "+what)
		}
		if d.Type == StatusTypeRoutable {
			return statusSet{}, invalid(f+".Type", string(d.Type), "only the built-in Available is ROUTABLE, as in Amazon Connect")
		}
		folded[key] = i
		s.list = append(s.list, d)
		s.types[d.Name] = d.Type
	}
	if len(s.list) > MaxAgentStatuses {
		return statusSet{}, invalid("Config.AgentStatuses", fmt.Sprintf("%d statuses", len(s.list)),
			fmt.Sprintf("at most %d statuses, Available and Offline included", MaxAgentStatuses))
	}
	return s, nil
}

// checkStatusName checks the form of a status name.
func checkStatusName(field string, s AgentStatus) error {
	if !utf8.ValidString(string(s)) {
		return invalid(field, string(s), "must be valid UTF-8")
	}
	if n := utf8.RuneCountInString(string(s)); n < 1 || n > MaxAgentStatusNameLen {
		return invalid(field, string(s), fmt.Sprintf("1..%d characters, got %d", MaxAgentStatusNameLen, n))
	}
	if strings.ContainsFunc(string(s), unicode.IsControl) {
		return invalid(field, string(s), "no control characters")
	}
	return nil
}

// typeOf returns the type of status s, or "" when s is not configured (an
// agent restored from a store with a status no longer configured).
func (s *statusSet) typeOf(st AgentStatus) AgentStatusType { return s.types[st] }

// check refuses a status that is not configured.
func (s *statusSet) check(field string, st AgentStatus) error {
	if err := checkStatusName(field, st); err != nil {
		return err
	}
	if _, ok := s.types[st]; !ok {
		return invalid(field, string(st), "not a configured agent status (see Config.AgentStatuses and Router.AgentStatuses)")
	}
	return nil
}

// AgentActivity is what an agent is doing, as Amazon Connect's real-time
// "Agent Activity": derived from the tasks the agent holds, whether it is
// blocked by a missed or rejected offer, and its status. With several
// concurrent tasks the highest in this order wins:
//
//	Error > Missed > Rejected > On contact > After contact work > Incoming > custom status > Available / Offline
type AgentActivity string

// Agent activities. A CUSTOM status shows as its own name, e.g.
// AgentActivity("Lunch").
const (
	// ActivityError is reserved and never reported. Amazon Connect's
	// real-time Error counts agents who missed a call or rejected a chat or
	// task; switchboard has no calls and reports missed and rejected offers
	// as ActivityMissed and ActivityRejected, so that the two stay apart.
	ActivityError AgentActivity = "Error"
	// ActivityMissed: an offer timed out and the agent is blocked until
	// Router.ClearAgent.
	ActivityMissed AgentActivity = "Missed"
	// ActivityRejected: the agent rejected an offer and is blocked until
	// Router.ClearAgent.
	ActivityRejected AgentActivity = "Rejected"
	// ActivityOnContact: the agent holds a connected or paused task.
	ActivityOnContact AgentActivity = "On contact"
	// ActivityAfterContactWork: the agent holds a task in after-contact work.
	ActivityAfterContactWork AgentActivity = "After contact work"
	// ActivityIncoming: the agent has an offer pending.
	ActivityIncoming AgentActivity = "Incoming"
	// ActivityAvailable: the agent is in a ROUTABLE status with nothing else
	// to report.
	ActivityAvailable AgentActivity = "Available"
	// ActivityOffline: the agent is in an OFFLINE status, or in a status
	// restored from the store that is no longer configured.
	ActivityOffline AgentActivity = "Offline"
)

// activity computes an agent's activity at read time from its held tasks,
// Blocked reason and status.
func (r *Router) activity(a *agentEntry) AgentActivity {
	switch a.Blocked {
	case BlockedMissed:
		return ActivityMissed
	case BlockedRejected:
		return ActivityRejected
	}
	var acw, incoming bool
	for e := range a.held {
		switch e.t.State {
		case StateConnected, StatePaused:
			return ActivityOnContact
		case StateAfterContactWork:
			acw = true
		case StateOffered:
			incoming = true
		}
	}
	switch {
	case acw:
		return ActivityAfterContactWork
	case incoming:
		return ActivityIncoming
	}
	switch r.cfg.statuses.typeOf(a.Status) {
	case StatusTypeRoutable:
		return ActivityAvailable
	case StatusTypeCustom:
		return AgentActivity(a.Status)
	}
	return ActivityOffline
}

// agentView returns a copy of a with its Activity filled in.
func (r *Router) agentView(a *agentEntry) *Agent {
	c := a.Agent.clone()
	c.Activity = r.activity(a)
	return c
}

// AgentStatuses returns the router's configured agent statuses: Available
// and Offline first, then Config.AgentStatuses in order (a built-in listed
// there appears once, first).
func (r *Router) AgentStatuses() []AgentStatusDefinition {
	return append([]AgentStatusDefinition(nil), r.cfg.statuses.list...)
}
