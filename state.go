package switchboard

// TaskState is where a task is in its life. See docs/task-states.md.
type TaskState string

// Task states.
const (
	StateScheduled        TaskState = "SCHEDULED"          // waiting for ScheduledAt
	StateInFlow           TaskState = "IN_FLOW"            // running its flow
	StateQueued           TaskState = "QUEUED"             // waiting in a queue for an agent
	StateOffered          TaskState = "OFFERED"            // offered to one agent, awaiting accept
	StateConnected        TaskState = "CONNECTED"          // an agent is working on it
	StatePaused           TaskState = "PAUSED"             // the agent paused it; it keeps its slot
	StateAfterContactWork TaskState = "AFTER_CONTACT_WORK" // the agent ended it and is wrapping up
	StateCompleted        TaskState = "COMPLETED"          // final: done (or transferred away)
	StateExpired          TaskState = "EXPIRED"            // final: reached ExpiresAt
	StateStopped          TaskState = "STOPPED"            // final: stopped by the API
)

// transitions is the one table that knows which state changes are legal.
var transitions = map[TaskState][]TaskState{
	StateScheduled:        {StateInFlow, StateQueued, StateExpired, StateStopped},
	StateInFlow:           {StateQueued, StateCompleted, StateExpired, StateStopped},
	StateQueued:           {StateOffered, StateConnected, StateCompleted, StateExpired, StateStopped}, // CONNECTED: auto-accept
	StateOffered:          {StateConnected, StateQueued, StateExpired, StateStopped},
	StateConnected:        {StatePaused, StateAfterContactWork, StateExpired, StateStopped},
	StatePaused:           {StateConnected, StateAfterContactWork, StateExpired, StateStopped},
	StateAfterContactWork: {StateCompleted, StateExpired, StateStopped},
}

// Final reports whether no transition leaves s.
func (s TaskState) Final() bool {
	switch s {
	case StateCompleted, StateExpired, StateStopped:
		return true
	}
	return false
}

// CanBecome reports whether a task in state s may move to state to.
func (s TaskState) CanBecome(to TaskState) bool {
	for _, n := range transitions[s] {
		if n == to {
			return true
		}
	}
	return false
}

// holdsSlot reports whether a task in state s occupies a slot of its agent.
func (s TaskState) holdsSlot() bool {
	switch s {
	case StateOffered, StateConnected, StatePaused, StateAfterContactWork:
		return true
	}
	return false
}

// checkTransition returns a *StateError when t may not move to state to.
func checkTransition(op string, t *Task, to TaskState) error {
	if t.State.CanBecome(to) {
		return nil
	}
	return &StateError{Op: op, TaskID: t.ID, State: string(t.State), Want: "a state that can become " + string(to)}
}
