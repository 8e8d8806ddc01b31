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
	if i, j := s.index(), to.index(); i >= 0 && j >= 0 {
		return canBecome[i][j] // the table below, without a map lookup
	}
	return false
}

// allStates lists every state; index is a state's position in it.
var allStates = [...]TaskState{
	StateScheduled, StateInFlow, StateQueued, StateOffered, StateConnected, StatePaused,
	StateAfterContactWork, StateCompleted, StateExpired, StateStopped,
}

const numTaskStates = len(allStates)

// index returns s's position in allStates, or -1 for a state the router
// does not know.
func (s TaskState) index() int {
	switch s {
	case StateScheduled:
		return 0
	case StateInFlow:
		return 1
	case StateQueued:
		return 2
	case StateOffered:
		return 3
	case StateConnected:
		return 4
	case StatePaused:
		return 5
	case StateAfterContactWork:
		return 6
	case StateCompleted:
		return 7
	case StateExpired:
		return 8
	case StateStopped:
		return 9
	}
	return -1
}

// canBecome is transitions indexed by state: apply checks every change
// against it, so it is an array rather than a map.
var canBecome = func() (m [numTaskStates][numTaskStates]bool) {
	for from, tos := range transitions {
		for _, to := range tos {
			m[from.index()][to.index()] = true
		}
	}
	return m
}()

// stateCounts counts tasks by state without a map operation per change:
// apply updates it for every change of every task.
type stateCounts struct {
	n     [numTaskStates]int
	other map[TaskState]int // states the router does not know (a store's own)
}

func (c *stateCounts) add(s TaskState, d int) {
	if i := s.index(); i >= 0 {
		c.n[i] += d
		return
	}
	if c.other == nil {
		c.other = map[TaskState]int{}
	}
	c.other[s] += d
}

func (c *stateCounts) get(s TaskState) int {
	if i := s.index(); i >= 0 {
		return c.n[i]
	}
	return c.other[s]
}

// each calls f for every state with a count other than 0.
func (c *stateCounts) each(f func(TaskState, int)) {
	for i, n := range c.n {
		if n != 0 {
			f(allStates[i], n)
		}
	}
	for s, n := range c.other {
		if n != 0 {
			f(s, n)
		}
	}
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
