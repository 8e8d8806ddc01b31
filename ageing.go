package switchboard

import (
	"fmt"
	"math"
	"time"
)

// This file holds two per-queue routing rules that run on timers of the
// router's single deadline heap: priority ageing (a waiting task's effective
// priority improves with time) and the re-offer cool-down (an agent who
// rejected or missed a task is not offered it again for a while). Neither
// scans waiting tasks: each task carries at most one ageing timer and one
// cool-down timer, armed when it is placed in line and re-armed when they
// fire. Everything here runs with Router.mu held.

// PriorityAgeing raises the effective priority of a task waiting in a queue
// one step (Priority − 1; lower routes first) for every Every it has waited
// since EnqueuedAt, never better than Floor. It lets old low-priority work
// overtake newer high-priority work instead of starving.
//
// The effective priority is derived, never written: it is a pure function of
// the task's EnqueuedAt and Priority, this rule and the time, so a restart
// rebuilds the same value and the same next ageing instant from the store
// without any write. Each ageing task costs one timer in the router's deadline
// heap (O(log n) per step) and each step re-places it in its lane
// (O(levels · log n)); at most Priority − Floor steps happen per stay in the
// queue.
type PriorityAgeing struct {
	// Every is the wait per step; at least one second.
	Every time.Duration
	// Floor is the best effective priority ageing can reach (1 or more).
	// Tasks whose Priority is already at or better than Floor do not age.
	Floor int
}

// MinAgeingEvery is the shortest PriorityAgeing.Every.
const MinAgeingEvery = time.Second

// MaxReofferCooldown bounds Config.ReofferCooldown and Queue.ReofferCooldown:
// the longest a task lives.
const MaxReofferCooldown = MaxTaskDuration

func (a *PriorityAgeing) validate(field string) error {
	if a.Every < MinAgeingEvery {
		return invalid(field+".Every", a.Every.String(), "at least 1s")
	}
	if a.Floor < 1 {
		return invalid(field+".Floor", fmt.Sprint(a.Floor), "must be 1 or more (a priority)")
	}
	return nil
}

func validateCooldown(field string, d time.Duration) error {
	if d < 0 || d > MaxReofferCooldown {
		return invalid(field, d.String(), "within 0..90 days")
	}
	return nil
}

// agedPriority returns the effective priority at now of a task with priority
// prio that entered its queue at enq, under rule a (nil: no ageing).
func agedPriority(a *PriorityAgeing, prio int, enq, now time.Time) int {
	if a == nil || prio <= a.Floor || enq.IsZero() {
		return prio
	}
	waited := now.Sub(enq)
	if waited <= 0 {
		return prio
	}
	steps := int64(waited / a.Every)
	if steps >= int64(prio-a.Floor) {
		return a.Floor
	}
	return prio - int(steps)
}

// nextAgeing returns when a task of priority prio that entered its queue at
// enq and has effective priority eff takes its next ageing step, or false
// when it never will (at Floor already, or too far away to represent).
func nextAgeing(a *PriorityAgeing, prio, eff int, enq time.Time) (time.Time, bool) {
	if a == nil || eff <= a.Floor {
		return time.Time{}, false
	}
	k := int64(prio-eff) + 1 // the step to come
	if k > math.MaxInt64/int64(a.Every)/2 {
		return time.Time{}, false
	}
	d := time.Duration(k) * a.Every
	if d > 2*MaxTaskDuration {
		return time.Time{}, false // the task expires first
	}
	return enq.Add(d), true
}

// ageingOf returns the ageing rule of the queue a task waits in, or nil.
func (r *Router) ageingOf(t *Task) *PriorityAgeing {
	if t.QueueID == "" {
		return nil
	}
	return r.queues[t.QueueID].PriorityAgeing
}

// cooldownOf returns the re-offer cool-down of t: its queue's override, else
// Config.ReofferCooldown.
func (r *Router) cooldownOf(t *Task) time.Duration {
	if t.QueueID != "" {
		if d := r.queues[t.QueueID].ReofferCooldown; d != nil {
			return *d
		}
	}
	return r.cfg.ReofferCooldown
}

// setAgeing sets e's key priority to its effective priority as of now under
// rule a (its queue's; nil for none) and arms its next ageing step. e must
// not be in any tree (its key changes).
func (r *Router) setAgeing(e *taskEntry, a *PriorityAgeing, now time.Time) {
	t := e.t
	e.prio = agedPriority(a, t.Priority, t.EnqueuedAt, now)
	t.EffectivePriority = e.prio
	if at, ok := nextAgeing(a, t.Priority, e.prio, t.EnqueuedAt); ok {
		r.schedule(e, timerAge, at)
	} else {
		r.cancel(e, timerAge)
	}
}

// fireAgeing takes a due ageing step of e: the task leaves the levels of its
// lane, takes its effective priority as of now (one step on a manual clock;
// several at once after a restart that found steps overdue) and rejoins
// them with the new key.
func (r *Router) fireAgeing(e *taskEntry, now time.Time) {
	r.idx.leaveLevels(e)
	r.setAgeing(e, e.lane.q.PriorityAgeing, now)
	r.idx.joinLevels(e)
	r.emit(r.taskEvent(EventTaskPriorityAged, e.t.State, e.t, now))
	r.markTask(e)
}

// armCooldown arms e's cool-down timer for the earliest end of a cool-down
// after now, if any. Runs when e is placed in line and when the timer fires;
// it walks RejectedBy, which is short.
func (r *Router) armCooldown(e *taskEntry, now time.Time) {
	t := e.t
	if len(t.RejectedAt) == 0 {
		r.cancel(e, timerCooldown)
		return
	}
	cd := r.cooldownOf(t)
	var next time.Time
	if cd > 0 {
		for _, at := range t.RejectedAt {
			if end := at.Add(cd); end.After(now) && (next.IsZero() || end.Before(next)) {
				next = end
			}
		}
	}
	if next.IsZero() {
		r.cancel(e, timerCooldown)
		return
	}
	r.schedule(e, timerCooldown, next)
}

// rejectedAt records that agent id turned nt down at now: RejectedBy gains
// id if it lacks it, and RejectedAt (kept parallel to RejectedBy, padded with
// zero times for entries stored before it existed) gets now at id's index.
// Both slices are replaced, never modified, as edit requires.
func rejectedAt(nt *Task, id string, now time.Time) {
	i := -1
	for j, x := range nt.RejectedBy {
		if x == id {
			i = j
		}
	}
	if i < 0 {
		nt.RejectedBy = append(nt.RejectedBy[:len(nt.RejectedBy):len(nt.RejectedBy)], id)
		i = len(nt.RejectedBy) - 1
	}
	at := make([]time.Time, len(nt.RejectedBy))
	copy(at, nt.RejectedAt)
	at[i] = now
	nt.RejectedAt = at
}

// sameRules reports whether two versions of a queue route alike: same
// ageing rule and same re-offer cool-down.
func sameRules(a, b *Queue) bool {
	if (a.PriorityAgeing == nil) != (b.PriorityAgeing == nil) || a.PriorityAgeing != nil && *a.PriorityAgeing != *b.PriorityAgeing {
		return false
	}
	if (a.ReofferCooldown == nil) != (b.ReofferCooldown == nil) || a.ReofferCooldown != nil && *a.ReofferCooldown != *b.ReofferCooldown {
		return false
	}
	return true
}

// effectiveAt returns t's effective priority at now, for a change about to
// be written, so that the stored copy agrees with what apply will derive:
// Priority unless the task waits (QUEUED or OFFERED) in a queue that ages.
func (r *Router) effectiveAt(t *Task, now time.Time) int {
	if !isWaiting(t) {
		return t.Priority
	}
	return agedPriority(r.ageingOf(t), t.Priority, t.EnqueuedAt, now)
}
