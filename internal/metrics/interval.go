// Package metrics holds the machinery of switchboard's metrics: interval
// buckets and a bounded, deterministic percentile sketch. It knows nothing of
// the Router; the public front is metrics.go in the root package.
package metrics

import "time"

// Slot is the width of the finest bucket. Every time zone in use today has an
// offset from UTC that is a whole number of 15-minute steps, so a bucket that
// starts on a UTC quarter hour also starts on a local quarter hour, and
// coarser local intervals (30 min, hour, day, week) are unions of whole
// slots.
const Slot = 15 * time.Minute

// SlotStart returns the start of the 15-minute slot holding t, in Unix
// seconds.
func SlotStart(t time.Time) int64 {
	s := t.Unix()
	const w = int64(Slot / time.Second)
	r := s % w
	if r < 0 {
		r += w
	}
	return s - r
}

// Period is the width of a reporting interval.
type Period int

// Periods, as Amazon Connect's IntervalPeriod.
const (
	Total Period = iota
	FifteenMin
	ThirtyMin
	Hour
	Day
	Week
)

// IntervalStart returns the start of the interval of period p holding t, in
// loc. Days start at local midnight, weeks on Monday at local midnight. For
// Total it returns the zero time.
func IntervalStart(p Period, t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	switch p {
	case FifteenMin, ThirtyMin, Hour:
		w := map[Period]int{FifteenMin: 15, ThirtyMin: 30, Hour: 60}[p]
		m := t.Minute() - t.Minute()%w
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), m, 0, 0, loc)
	case Day:
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	case Week:
		d := (int(t.Weekday()) + 6) % 7 // days since Monday
		return time.Date(t.Year(), t.Month(), t.Day()-d, 0, 0, 0, 0, loc)
	}
	return time.Time{}
}

// IntervalEnd returns the end of the interval of period p starting at start.
// Days and weeks follow the calendar of start's location, so a day across a
// daylight-saving change lasts 23 or 25 hours.
func IntervalEnd(p Period, start time.Time) time.Time {
	switch p {
	case FifteenMin:
		return start.Add(15 * time.Minute)
	case ThirtyMin:
		return start.Add(30 * time.Minute)
	case Hour:
		return start.Add(time.Hour)
	case Day:
		return start.AddDate(0, 0, 1)
	case Week:
		return start.AddDate(0, 0, 7)
	}
	return time.Time{}
}
