package switchboard

import (
	"fmt"
	"time"
	"unicode/utf8"
)

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
}

func (q *Queue) validate() error {
	if q.ID == "" {
		return invalid("Queue.ID", "", "required")
	}
	if n := utf8.RuneCountInString(q.Name); n > 127 {
		return invalid("Queue.Name", q.Name, "at most 127 characters")
	}
	if utf8.RuneCountInString(q.Description) > 250 {
		return invalid("Queue.Description", q.Description, "at most 250 characters")
	}
	if q.MaxContacts < 0 {
		return invalid("Queue.MaxContacts", fmt.Sprint(q.MaxContacts), "must be 0 (unlimited) or more")
	}
	if q.Hours != nil {
		if err := q.Hours.validate("Queue.Hours"); err != nil {
			return err
		}
	}
	return nil
}

// HoursOfOperation is a weekly schedule in a time zone.
type HoursOfOperation struct {
	TimeZone string // IANA name, e.g. "Europe/Paris"; empty means UTC
	Ranges   []HoursRange
}

// HoursRange is one open period on one weekday, [Start, End) in minutes from
// midnight. An End at or before Start runs past midnight into the next day.
type HoursRange struct {
	Day   time.Weekday
	Start time.Duration // e.g. 9*time.Hour
	End   time.Duration // e.g. 17*time.Hour + 30*time.Minute
}

func (h *HoursOfOperation) validate(field string) error {
	if _, err := time.LoadLocation(h.TimeZone); err != nil {
		return invalid(field+".TimeZone", h.TimeZone, "unknown time zone")
	}
	if len(h.Ranges) > 100 {
		return invalid(field+".Ranges", fmt.Sprint(len(h.Ranges)), "at most 100 ranges")
	}
	for i, r := range h.Ranges {
		f := fmt.Sprintf("%s.Ranges[%d]", field, i)
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
	loc, err := time.LoadLocation(h.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	mins := time.Duration(lt.Hour())*time.Hour + time.Duration(lt.Minute())*time.Minute +
		time.Duration(lt.Second())*time.Second + time.Duration(lt.Nanosecond())
	day := lt.Weekday()
	prev := (day + 6) % 7
	for _, r := range h.Ranges {
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
