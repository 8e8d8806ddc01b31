package pgstore

import (
	"fmt"

	"github.com/switchboard-go/switchboard"
)

// writeArgs are the arguments of one write_change call (migration 0007):
// a change's records, each kind as parallel arrays, so that the server
// writes the whole change in one statement.
type writeArgs struct {
	inserts, updates taskRows
	eventSeqs        []int64
	eventBodies      []string
	agents           records
	queues           records
	profiles         records
	deleteAgents     []string
	deleteQueues     []string
	deleteProfiles   []string
}

// taskRows are the task columns write_change writes. prev is the version
// the stored row must have (updates only).
type taskRows struct {
	ids, tokens, initial, bodies []string
	sequences, prevs, versions   []int64
	opens                        []bool
}

// changeArgs returns the arguments that write c. Each task appears once,
// with its last version's columns and body: a task written several times in
// one change (a merged group) must go up one version at a time, as separate
// writes would check it, and only its first version is checked against the
// stored row (version 1 is an insert, n an update of version n-1). A task
// whose versions skip or repeat is a conflict, refused before anything is
// sent. empty reports a change that writes nothing.
func changeArgs(c *switchboard.Change) (a writeArgs, empty bool, err error) {
	if a.inserts, a.updates, err = taskArgs(c.Tasks); err != nil {
		return a, false, err
	}
	if a.agents, err = bodies(c.Agents, errNilAgent, func(a *switchboard.Agent) string { return a.ID }); err != nil {
		return a, false, err
	}
	if a.queues, err = bodies(c.Queues, errNilQueue, func(q *switchboard.Queue) string { return q.ID }); err != nil {
		return a, false, err
	}
	if a.profiles, err = bodies(c.Profiles, errNilProfile, func(p *switchboard.RoutingProfile) string { return p.ID }); err != nil {
		return a, false, err
	}
	if n := len(c.Events); n > 0 {
		a.eventSeqs, a.eventBodies = make([]int64, n), make([]string, n)
		for i := range c.Events {
			body, err := c.Events[i].MarshalJSON()
			if err != nil {
				return a, false, fmt.Errorf("pgstore: encode event %d: %w", c.Events[i].Seq, err)
			}
			a.eventSeqs[i], a.eventBodies[i] = int64(c.Events[i].Seq), string(body)
		}
	}
	a.deleteAgents, a.deleteQueues, a.deleteProfiles = c.DeleteAgents, c.DeleteQueues, c.DeleteProfiles
	empty = len(c.Tasks)+len(c.Events)+len(c.Agents)+len(c.Queues)+len(c.Profiles)+
		len(c.DeleteAgents)+len(c.DeleteQueues)+len(c.DeleteProfiles) == 0
	return a, empty, nil
}

// taskArgs splits tasks into the rows to insert and to update, one per
// task, encoding only each task's last version.
func taskArgs(tasks []*switchboard.Task) (inserts, updates taskRows, err error) {
	type at struct {
		rows *taskRows
		i    int
	}
	var seen map[string]at
	if len(tasks) > 1 {
		seen = make(map[string]at, len(tasks))
	}
	var insertLast, updateLast []*switchboard.Task // each row's last version
	for _, t := range tasks {
		if t == nil {
			return inserts, updates, errNilTask
		}
		if p, ok := seen[t.ID]; ok {
			if t.Version != p.rows.versions[p.i]+1 {
				return inserts, updates, fmt.Errorf("%w: task %q has version %d after version %d in the same write",
					switchboard.ErrConflict, t.ID, t.Version, p.rows.versions[p.i])
			}
			p.rows.versions[p.i] = t.Version
			if p.rows == &inserts {
				insertLast[p.i] = t
			} else {
				updateLast[p.i] = t
			}
			continue
		}
		rows := &updates
		if t.Version == 1 {
			rows = &inserts
			insertLast = append(insertLast, t)
		} else {
			updateLast = append(updateLast, t)
			rows.prevs = append(rows.prevs, t.Version-1)
		}
		rows.ids = append(rows.ids, t.ID)
		rows.versions = append(rows.versions, t.Version)
		if seen != nil {
			seen[t.ID] = at{rows, len(rows.ids) - 1}
		}
	}
	for _, part := range []struct {
		rows *taskRows
		last []*switchboard.Task
	}{{&inserts, insertLast}, {&updates, updateLast}} {
		rows := part.rows
		for _, t := range part.last {
			body, err := t.MarshalJSON() // compact already: no second pass through encoding/json
			if err != nil {
				return inserts, updates, fmt.Errorf("pgstore: encode task %q: %w", t.ID, err)
			}
			rows.sequences = append(rows.sequences, int64(t.Sequence))
			rows.opens = append(rows.opens, !t.State.Final())
			rows.tokens = append(rows.tokens, t.ClientToken)
			rows.initial = append(rows.initial, t.InitialTaskID)
			rows.bodies = append(rows.bodies, string(body))
		}
	}
	return inserts, updates, nil
}

// values are the arguments in write_change's order, with the fencing
// token to check (0: none).
func (a *writeArgs) values(token int64) []any {
	n, u := &a.inserts, &a.updates
	return []any{token,
		n.ids, n.sequences, n.versions, n.opens, n.tokens, n.initial, n.bodies,
		u.ids, u.sequences, u.prevs, u.versions, u.opens, u.tokens, u.initial, u.bodies,
		a.eventSeqs, a.eventBodies,
		a.agents.ids, a.agents.bodies, a.queues.ids, a.queues.bodies, a.profiles.ids, a.profiles.bodies,
		a.deleteAgents, a.deleteQueues, a.deleteProfiles,
	}
}
