package switchboard

import (
	"errors"
	"testing"
	"time"
	_ "time/tzdata" // the zone tests must not depend on the machine's tzdata
)

func hm(h, m int) time.Duration { return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute }

func utc(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
	return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
}

func TestHoursOfOperationOpen(t *testing.T) {
	weekdays := func(zone string, start, end time.Duration) HoursOfOperation {
		h := HoursOfOperation{TimeZone: zone}
		for d := time.Monday; d <= time.Friday; d++ {
			h.Ranges = append(h.Ranges, HoursRange{Day: d, Start: start, End: end})
		}
		return h
	}
	officeUTC := weekdays("", hm(9, 0), hm(17, 0))
	newYork := weekdays("America/New_York", hm(9, 0), hm(17, 0))
	nightShift := HoursOfOperation{Ranges: []HoursRange{{Day: time.Friday, Start: hm(22, 0), End: hm(6, 0)}}}
	weekendNight := HoursOfOperation{Ranges: []HoursRange{{Day: time.Saturday, Start: hm(22, 0), End: hm(6, 0)}}}
	nyWeekendNight := HoursOfOperation{TimeZone: "America/New_York", Ranges: weekendNight.Ranges}
	nyFallBack := HoursOfOperation{TimeZone: "America/New_York", Ranges: []HoursRange{{Day: time.Sunday, Start: hm(1, 0), End: hm(2, 0)}}}
	allWednesday := HoursOfOperation{Ranges: []HoursRange{{Day: time.Wednesday, Start: 0, End: 0}}}
	toMidnight := HoursOfOperation{Ranges: []HoursRange{{Day: time.Monday, Start: hm(9, 0), End: 0}}}
	lunchBreak := HoursOfOperation{Ranges: []HoursRange{
		{Day: time.Monday, Start: hm(9, 0), End: hm(12, 0)},
		{Day: time.Monday, Start: hm(13, 0), End: hm(17, 0)},
	}}
	kolkata := HoursOfOperation{TimeZone: "Asia/Kolkata", Ranges: []HoursRange{{Day: time.Monday, Start: hm(9, 0), End: hm(9, 30)}}}

	// 2026-03-06 is a Friday; New York moves to EDT (UTC-4) on Sunday
	// 2026-03-08 at 02:00 and back to EST (UTC-5) on Sunday 2026-11-01.
	for _, tc := range []struct {
		name string
		h    HoursOfOperation
		at   time.Time
		open bool
	}{
		{"UTC/weekday start inclusive", officeUTC, utc(2026, 11, 24, 9, 0, 0, 0), true},
		{"UTC/weekday before start", officeUTC, utc(2026, 11, 24, 8, 59, 59, 999999999), false},
		{"UTC/weekday last instant", officeUTC, utc(2026, 11, 24, 16, 59, 59, 999999999), true},
		{"UTC/weekday end exclusive", officeUTC, utc(2026, 11, 24, 17, 0, 0, 0), false},
		{"UTC/Saturday", officeUTC, utc(2026, 11, 28, 12, 0, 0, 0), false},
		{"UTC/Sunday", officeUTC, utc(2026, 11, 29, 12, 0, 0, 0), false},
		{"UTC/Monday", officeUTC, utc(2026, 11, 30, 12, 0, 0, 0), true},
		{"UTC/reading zone ignored", officeUTC, time.Date(2026, 11, 24, 9, 30, 0, 0, time.FixedZone("X", -10*3600)), false},

		{"New York/EST opens 14:00Z", newYork, utc(2026, 3, 6, 14, 0, 0, 0), true},
		{"New York/EST 13:59Z is 08:59", newYork, utc(2026, 3, 6, 13, 59, 0, 0), false},
		{"New York/EST 21:59Z is 16:59", newYork, utc(2026, 3, 6, 21, 59, 0, 0), true},
		{"New York/EST 22:00Z is 17:00", newYork, utc(2026, 3, 6, 22, 0, 0, 0), false},
		{"New York/EDT opens 13:00Z", newYork, utc(2026, 3, 9, 13, 0, 0, 0), true},
		{"New York/EDT 12:59Z is 08:59", newYork, utc(2026, 3, 9, 12, 59, 0, 0), false},
		{"New York/EDT 21:00Z is 17:00", newYork, utc(2026, 3, 9, 21, 0, 0, 0), false},
		{"New York/EDT 20:59Z is 16:59", newYork, utc(2026, 3, 9, 20, 59, 0, 0), true},
		{"New York/Saturday 01:00Z is Friday 20:00", newYork, utc(2026, 3, 7, 1, 0, 0, 0), false},

		{"overnight/before start", nightShift, utc(2026, 11, 27, 21, 59, 0, 0), false},
		{"overnight/start", nightShift, utc(2026, 11, 27, 22, 0, 0, 0), true},
		{"overnight/before midnight", nightShift, utc(2026, 11, 27, 23, 59, 59, 0), true},
		{"overnight/midnight", nightShift, utc(2026, 11, 28, 0, 0, 0, 0), true},
		{"overnight/next morning", nightShift, utc(2026, 11, 28, 5, 59, 59, 999999999), true},
		{"overnight/end exclusive", nightShift, utc(2026, 11, 28, 6, 0, 0, 0), false},
		{"overnight/next evening", nightShift, utc(2026, 11, 28, 22, 0, 0, 0), false},
		{"overnight/Friday early morning", nightShift, utc(2026, 11, 27, 3, 0, 0, 0), false},
		{"overnight/Thursday night", nightShift, utc(2026, 11, 26, 23, 0, 0, 0), false},
		{"overnight/Saturday into Sunday", weekendNight, utc(2026, 11, 29, 5, 0, 0, 0), true},
		{"overnight/Sunday into Monday", weekendNight, utc(2026, 11, 30, 5, 0, 0, 0), false},
		{"overnight/across spring forward, EDT 05:30", nyWeekendNight, utc(2026, 3, 8, 9, 30, 0, 0), true},
		{"overnight/across spring forward, EDT 06:00", nyWeekendNight, utc(2026, 3, 8, 10, 0, 0, 0), false},
		{"overnight/across spring forward, Saturday 22:00 EST", nyWeekendNight, utc(2026, 3, 8, 3, 0, 0, 0), true},
		{"fall back/first 01:30 (EDT)", nyFallBack, utc(2026, 11, 1, 5, 30, 0, 0), true},
		{"fall back/second 01:30 (EST)", nyFallBack, utc(2026, 11, 1, 6, 30, 0, 0), true},
		{"fall back/02:00 EST", nyFallBack, utc(2026, 11, 1, 7, 0, 0, 0), false},

		{"all day/start", allWednesday, utc(2026, 11, 25, 0, 0, 0, 0), true},
		{"all day/end", allWednesday, utc(2026, 11, 25, 23, 59, 59, 0), true},
		{"all day/Thursday", allWednesday, utc(2026, 11, 26, 0, 0, 0, 0), false},
		{"all day/Tuesday", allWednesday, utc(2026, 11, 24, 23, 59, 59, 0), false},
		{"to midnight/last minute", toMidnight, utc(2026, 11, 30, 23, 59, 0, 0), true},
		{"to midnight/Tuesday 00:00", toMidnight, utc(2026, 12, 1, 0, 0, 0, 0), false},
		{"two ranges/morning", lunchBreak, utc(2026, 11, 30, 11, 59, 0, 0), true},
		{"two ranges/lunch", lunchBreak, utc(2026, 11, 30, 12, 30, 0, 0), false},
		{"two ranges/afternoon", lunchBreak, utc(2026, 11, 30, 13, 0, 0, 0), true},
		{"half-hour zone/start", kolkata, utc(2026, 11, 30, 3, 30, 0, 0), true},
		{"half-hour zone/before", kolkata, utc(2026, 11, 30, 3, 29, 0, 0), false},
		{"half-hour zone/end", kolkata, utc(2026, 11, 30, 4, 0, 0, 0), false},
		{"no ranges", HoursOfOperation{}, utc(2026, 11, 24, 12, 0, 0, 0), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.h.validate("Hours"); err != nil {
				t.Fatalf("schedule invalid: %v", err)
			}
			if got := tc.h.Open(tc.at); got != tc.open {
				t.Errorf("Open(%s) = %v, want %v", tc.at.Format(time.RFC3339Nano), got, tc.open)
			}
		})
	}
}

func TestRouterQueueOpen(t *testing.T) {
	b := newBench(t, nil) // t0 is Tuesday 09:00 UTC
	tuesday := &HoursOfOperation{Ranges: []HoursRange{{Day: time.Tuesday, Start: hm(9, 0), End: hm(17, 0)}}}
	b.must(b.r.PutQueue(b.ctx, Queue{ID: "day", Name: "day", Hours: tuesday}))
	b.must(b.r.PutQueue(b.ctx, Queue{ID: "always", Name: "always"}))
	b.must(b.r.PutQueue(b.ctx, Queue{ID: "ny", Name: "ny", Hours: &HoursOfOperation{TimeZone: "America/New_York", Ranges: tuesday.Ranges}}))

	want := func(id string, open bool) {
		t.Helper()
		got, err := b.r.QueueOpen(id)
		if err != nil || got != open {
			t.Errorf("at t0+%v QueueOpen(%s) = %v, %v; want %v", b.clock.Now().Sub(t0), id, got, err, open)
		}
	}
	want("day", true)
	want("always", true)
	want("ny", false) // 04:00 in New York

	// The host's schedule is copied: changing it afterwards changes nothing.
	tuesday.Ranges[0].Day = time.Wednesday
	tuesday.TimeZone = "Asia/Tokyo"
	want("day", true)

	b.clock.Advance(5 * time.Hour) // 14:00 UTC, 09:00 New York
	want("day", true)
	want("ny", true)
	b.clock.Advance(3 * time.Hour) // 17:00 UTC
	want("day", false)
	want("always", true)
	want("ny", true)
	b.clock.Advance(5 * time.Hour) // 22:00 UTC, 17:00 New York
	want("ny", false)

	// Replacing the queue replaces its hours; removing them opens it.
	b.must(b.r.PutQueue(b.ctx, Queue{ID: "day", Name: "day", Hours: &HoursOfOperation{Ranges: []HoursRange{{Day: time.Tuesday, Start: hm(21, 0), End: hm(1, 0)}}}}))
	want("day", true)
	b.must(b.r.PutQueue(b.ctx, Queue{ID: "ny", Name: "ny"}))
	want("ny", true)

	if _, err := b.r.QueueOpen("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("QueueOpen(nope) = %v, want ErrNotFound", err)
	}

	// Hours do not stop routing (flows check them, as in Connect).
	b.profile("p", 1, "day")
	b.agent("ana", "p")
	b.clock.Advance(4 * time.Hour) // Wednesday 02:00: closed
	want("day", false)
	task := b.create(TaskInput{QueueID: "day"})
	b.wantState(task.ID, StateOffered, "ana")
}

// BUG: PutQueue copies Hours and Hours.Ranges but not Hours.Overrides (nor
// each override's Ranges), so the router keeps sharing the caller's slice:
// changing the HoursOfOperation after PutQueue changes the queue's hours
// behind the router's lock (a data race when done concurrently), and the
// stored Queue changes with it.
func TestPutQueueCopiesOverrides(t *testing.T) {
	b := newBench(t, nil) // t0 is Tuesday 2026-11-24 09:00 UTC
	h := &HoursOfOperation{
		Ranges:    []HoursRange{{Day: time.Tuesday, Start: hm(9, 0), End: hm(17, 0)}},
		Overrides: []HoursOverride{{Name: "closed today", Type: OverrideClosed, From: "2026-11-24", Till: "2026-11-24"}},
	}
	b.must(b.r.PutQueue(b.ctx, Queue{ID: "q", Name: "q", Hours: h}))
	if open, err := b.r.QueueOpen("q"); err != nil || open {
		t.Fatalf("QueueOpen = %v, %v; want closed by the override", open, err)
	}
	h.Overrides[0].From, h.Overrides[0].Till = "2026-11-25", "2026-11-25"
	if open, _ := b.r.QueueOpen("q"); open {
		t.Error("changing the caller's Overrides after PutQueue reopened the queue: the router shares the slice")
	}
}
