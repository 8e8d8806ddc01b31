package switchboard

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// locations caches time zones: time.LoadLocation reads the zone database on
// every call.
var locations sync.Map // name → *time.Location

func location(name string) (*time.Location, error) {
	if l, ok := locations.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	locations.Store(name, l)
	return l, nil
}

// Queue is a standard queue. Every agent also has an implicit agent queue,
// addressed by TaskInput.AgentID, whose tasks go before all others.
type Queue struct {
	ID          string
	Name        string // 1..127 characters
	Description string // at most 250 characters
	// MaxContacts caps the tasks waiting in the queue (QUEUED or OFFERED)
	// across all channels; 0 means unlimited. A full queue refuses new tasks
	// and transfers with ErrQueueAtCapacity.
	MaxContacts int
	// Disabled queues refuse new tasks with ErrQueueDisabled; tasks already
	// waiting keep routing.
	Disabled bool
	// Hours, when set, are the queue's hours of operation, answered by
	// Router.QueueOpen. They do not stop routing of tasks already queued, as in
	// Amazon Connect, where flows check them before transferring to the queue.
	Hours *HoursOfOperation
	// ReofferCooldown, when set, replaces Config.ReofferCooldown for tasks
	// waiting in this queue: how long an agent who rejected or missed a task
	// is not offered it again, even when no other agent can take it. Set to
	// 0 for no cool-down here whatever the router default.
	ReofferCooldown *time.Duration
	// PriorityAgeing, when set, improves the effective priority of waiting
	// tasks with time (see PriorityAgeing). Changing it (or ReofferCooldown)
	// with PutQueue re-places every task waiting in the queue: O(n log n) in
	// those tasks, for that call only.
	PriorityAgeing *PriorityAgeing
}

func (q *Queue) validate() error {
	if err := checkID("Queue.ID", q.ID); err != nil {
		return err
	}
	if err := checkText("Queue.Name", q.Name, 1, MaxQueueNameLen); err != nil {
		return err
	}
	if err := checkText("Queue.Description", q.Description, 0, MaxQueueDescriptionLen); err != nil {
		return err
	}
	if q.MaxContacts < 0 {
		return invalid("Queue.MaxContacts", fmt.Sprint(q.MaxContacts), "must be 0 (unlimited) or more")
	}
	if q.Hours != nil {
		if err := q.Hours.validate("Queue.Hours"); err != nil {
			return err
		}
	}
	if q.ReofferCooldown != nil {
		if err := validateCooldown("Queue.ReofferCooldown", *q.ReofferCooldown); err != nil {
			return err
		}
	}
	if q.PriorityAgeing != nil {
		if err := q.PriorityAgeing.validate("Queue.PriorityAgeing"); err != nil {
			return err
		}
	}
	return nil
}

// HoursOfOperation is a weekly schedule in a time zone, with dated
// overrides (holidays, special openings).
type HoursOfOperation struct {
	TimeZone  string // IANA name, e.g. "Europe/Paris"; empty means UTC
	Ranges    []HoursRange
	Overrides []HoursOverride // at most 50; the first that covers a date wins
}

// OverrideType says how an override changes the weekly schedule.
type OverrideType string

// Override types, as in Amazon Connect.
const (
	// OverrideStandard replaces the weekly ranges with the override's ranges.
	OverrideStandard OverrideType = "STANDARD"
	// OverrideOpen adds the override's ranges (all day when none) to the
	// weekly ranges.
	OverrideOpen OverrideType = "OPEN"
	// OverrideClosed closes the queue during the override's ranges (all day
	// when none).
	OverrideClosed OverrideType = "CLOSED"
)

// HoursOverride changes the schedule from one local date to another,
// inclusive. Its ranges' Day fields are ignored: they apply on every date of
// the period.
type HoursOverride struct {
	Name   string
	Type   OverrideType
	From   string // "2026-12-24", in the schedule's time zone
	Till   string // "2026-12-26", inclusive
	Ranges []HoursRange
}

// HoursRange is one open period on one weekday, [Start, End) in minutes from
// midnight. An End at or before Start runs past midnight into the next day.
type HoursRange struct {
	Day   time.Weekday
	Start time.Duration // e.g. 9*time.Hour
	End   time.Duration // e.g. 17*time.Hour + 30*time.Minute
}

func (h *HoursOfOperation) validate(field string) error {
	if h.TimeZone == "Local" {
		return invalid(field+".TimeZone", h.TimeZone, "name a zone (\"Local\" depends on the machine)")
	}
	if _, err := location(h.TimeZone); err != nil {
		return invalid(field+".TimeZone", h.TimeZone, "unknown time zone")
	}
	if len(h.Ranges) > 100 {
		return invalid(field+".Ranges", fmt.Sprint(len(h.Ranges)), "at most 100 ranges")
	}
	if err := validateRanges(field+".Ranges", h.Ranges); err != nil {
		return err
	}
	if len(h.Overrides) > 50 {
		return invalid(field+".Overrides", fmt.Sprint(len(h.Overrides)), "at most 50 overrides")
	}
	for i, o := range h.Overrides {
		f := fmt.Sprintf("%s.Overrides[%d]", field, i)
		switch o.Type {
		case OverrideStandard, OverrideOpen, OverrideClosed:
		default:
			return invalid(f+".Type", string(o.Type), "must be STANDARD, OPEN or CLOSED")
		}
		from, err := time.Parse(time.DateOnly, o.From)
		if err != nil {
			return invalid(f+".From", o.From, "a date like 2026-12-24")
		}
		till, err := time.Parse(time.DateOnly, o.Till)
		if err != nil {
			return invalid(f+".Till", o.Till, "a date like 2026-12-26")
		}
		if till.Before(from) {
			return invalid(f+".Till", o.Till, "must not be before From")
		}
		if err := validateRanges(f+".Ranges", o.Ranges); err != nil {
			return err
		}
	}
	return nil
}

func validateRanges(field string, ranges []HoursRange) error {
	for i, r := range ranges {
		f := fmt.Sprintf("%s[%d]", field, i)
		if r.Day < time.Sunday || r.Day > time.Saturday {
			return invalid(f+".Day", fmt.Sprint(int(r.Day)), "must be Sunday..Saturday")
		}
		if r.Start < 0 || r.Start >= 24*time.Hour || r.Start%time.Minute != 0 {
			return invalid(f+".Start", r.Start.String(), "whole minutes within 0:00..23:59")
		}
		if r.End < 0 || r.End >= 24*time.Hour || r.End%time.Minute != 0 {
			return invalid(f+".End", r.End.String(), "whole minutes within 0:00..23:59")
		}
	}
	return nil
}

// Open reports whether t falls inside one of the ranges.
func (h *HoursOfOperation) Open(t time.Time) bool {
	loc, err := location(h.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	date := lt.Format(time.DateOnly)
	for _, o := range h.Overrides {
		if date < o.From || date > o.Till {
			continue
		}
		inOverride := len(o.Ranges) == 0 || inRanges(o.Ranges, lt, true)
		switch o.Type {
		case OverrideClosed:
			if inOverride {
				return false
			}
		case OverrideOpen:
			if inOverride {
				return true
			}
		case OverrideStandard:
			return len(o.Ranges) > 0 && inOverride
		}
		break
	}
	return inRanges(h.Ranges, lt, false)
}

// inRanges reports whether local time lt falls in one of ranges; anyDay
// ignores the ranges' Day (override ranges apply to every date).
func inRanges(ranges []HoursRange, lt time.Time, anyDay bool) bool {
	mins := time.Duration(lt.Hour())*time.Hour + time.Duration(lt.Minute())*time.Minute +
		time.Duration(lt.Second())*time.Second + time.Duration(lt.Nanosecond())
	day := lt.Weekday()
	prev := (day + 6) % 7
	for _, r := range ranges {
		if anyDay {
			r.Day = day
			if r.End <= r.Start {
				// An overnight override range covers the evening of each date.
				if mins >= r.Start {
					return true
				}
				continue
			}
		}
		if r.End > r.Start {
			if r.Day == day && mins >= r.Start && mins < r.End {
				return true
			}
			continue
		}
		// Overnight (or all-day when End == Start).
		if r.Day == day && mins >= r.Start {
			return true
		}
		if r.Day == prev && mins < r.End {
			return true
		}
	}
	return false
}

// clone returns a deep copy of q.
func (q *Queue) clone() *Queue {
	c := *q
	if q.Hours != nil {
		h := *q.Hours
		h.Ranges = slices.Clone(h.Ranges)
		h.Overrides = slices.Clone(h.Overrides)
		for i := range h.Overrides {
			h.Overrides[i].Ranges = slices.Clone(h.Overrides[i].Ranges)
		}
		c.Hours = &h
	}
	if q.ReofferCooldown != nil {
		d := *q.ReofferCooldown
		c.ReofferCooldown = &d
	}
	if q.PriorityAgeing != nil {
		a := *q.PriorityAgeing
		c.PriorityAgeing = &a
	}
	return &c
}
