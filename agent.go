package switchboard

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

// AgentStatus is an agent's chosen status: the name of one of the router's
// configured statuses (Config.AgentStatuses, Router.AgentStatuses). Its
// AgentStatusType decides routing: StatusAvailable is the only ROUTABLE
// status, StatusOffline is OFFLINE, and configured statuses such as "Break"
// or "Lunch" are CUSTOM. Names are case-sensitive: "available" is not
// Available.
type AgentStatus string

// Built-in agent statuses.
const (
	StatusAvailable AgentStatus = "Available"
	StatusOffline   AgentStatus = "Offline"
)

// Routable reports whether agents in status s receive new work. Only the
// built-in Available is of type ROUTABLE (as in Amazon Connect), so this is
// s == StatusAvailable; the router itself decides by the status's type.
func (s AgentStatus) Routable() bool { return s == StatusAvailable }

// Proficiency is one skill of an agent: a predefined attribute value at a
// level from 1 (lowest) to 5 (highest).
type Proficiency struct {
	Name  string // e.g. "Language"
	Value string // e.g. "French"
	Level int    // 1..5
}

// Agent is a person who handles tasks. The exported configuration fields are
// set by the host with Router.PutAgent; the runtime fields are maintained by
// the router and returned by Router.Agent.
type Agent struct {
	ID               string
	Name             string
	RoutingProfileID string
	Proficiencies    []Proficiency
	// AutoAccept lists the channels on which offers connect at once.
	AutoAccept []Channel
	// AfterContactWorkLimit bounds after-contact work per channel; absent or 0
	// means the agent closes it. At most 2,000,000 s.
	AfterContactWorkLimit map[Channel]time.Duration

	// Runtime fields, maintained by the router.

	Status      AgentStatus // initially StatusOffline
	StatusSince time.Time
	// LastActivity is when the agent last became available, was given a task,
	// or freed a slot; longest-idle routing prefers the oldest.
	LastActivity time.Time
	// Blocked is set while the agent has a missed or rejected task that must be
	// cleared (Router.ClearAgent) before it receives more work.
	Blocked BlockReason
	// BlockedTaskID is the task that was missed or rejected.
	BlockedTaskID string
	// Activity is what the agent is doing (Amazon Connect's Agent
	// Activity), computed by Router.Agent when read from the agent's tasks,
	// Blocked and Status. It is never stored; PutAgent ignores it.
	Activity AgentActivity
}

// BlockReason says why an agent receives no work until cleared.
type BlockReason string

// Block reasons.
const (
	NotBlocked      BlockReason = ""
	BlockedMissed   BlockReason = "MISSED"   // an offer timed out
	BlockedRejected BlockReason = "REJECTED" // the agent rejected an offer
)

func (a *Agent) validate() error {
	if err := checkID("Agent.ID", a.ID); err != nil {
		return err
	}
	if err := checkText("Agent.Name", a.Name, 0, MaxAgentNameLen); err != nil {
		return err
	}
	if err := checkID("Agent.RoutingProfileID", a.RoutingProfileID); err != nil {
		return err
	}
	if len(a.Proficiencies) > MaxProficiencies {
		return invalid("Agent.Proficiencies", fmt.Sprint(len(a.Proficiencies)), fmt.Sprintf("at most %d", MaxProficiencies))
	}
	type nv struct{ n, v string }
	seen := map[nv]bool{}
	for i, p := range a.Proficiencies {
		f := fmt.Sprintf("Agent.Proficiencies[%d]", i)
		if err := checkAttrName(f+".Name", p.Name); err != nil {
			return err
		}
		if err := checkAttrValue(f+".Value", p.Value); err != nil {
			return err
		}
		if p.Level < 1 || p.Level > 5 {
			return invalid(f+".Level", fmt.Sprint(p.Level), "must be 1..5")
		}
		if seen[nv{p.Name, p.Value}] {
			return invalid(f, p.Name+"="+p.Value, "listed twice")
		}
		seen[nv{p.Name, p.Value}] = true
	}
	for i, c := range a.AutoAccept {
		if c.index() < 0 {
			return invalid(fmt.Sprintf("Agent.AutoAccept[%d]", i), string(c), "must be VOICE, CHAT, TASK or EMAIL")
		}
	}
	for c, d := range a.AfterContactWorkLimit {
		if c.index() < 0 {
			return invalid("Agent.AfterContactWorkLimit", string(c), "channel must be VOICE, CHAT, TASK or EMAIL")
		}
		if d < 0 || d > MaxAfterContactWorkLimit {
			return invalid("Agent.AfterContactWorkLimit["+string(c)+"]", d.String(), "must be 0..2000000s")
		}
	}
	return nil
}

// proficiency returns the agent's level for name=value, or 0.
func (a *Agent) proficiency(name, value string) int {
	for _, p := range a.Proficiencies {
		if p.Name == name && p.Value == value {
			return p.Level
		}
	}
	return 0
}

func (a *Agent) autoAccepts(c Channel) bool {
	for _, x := range a.AutoAccept {
		if x == c {
			return true
		}
	}
	return false
}

// clone returns a deep copy of a.
func (a *Agent) clone() *Agent {
	c := *a
	c.Proficiencies = slices.Clone(a.Proficiencies)
	c.AutoAccept = slices.Clone(a.AutoAccept)
	c.AfterContactWorkLimit = maps.Clone(a.AfterContactWorkLimit)
	return &c
}
