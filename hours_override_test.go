package switchboard

import (
	"testing"
	"time"
)

// A support desk open 9–17 on weekdays closes for Christmas, opens late on
// New Year's Eve, and runs a short day on the 31st.
func TestHoursOverridesStory(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	var weekdays []HoursRange
	for d := time.Monday; d <= time.Friday; d++ {
		weekdays = append(weekdays, HoursRange{Day: d, Start: 9 * time.Hour, End: 17 * time.Hour})
	}
	h := &HoursOfOperation{
		TimeZone: "Europe/Paris",
		Ranges:   weekdays,
		Overrides: []HoursOverride{
			{Name: "Christmas", Type: OverrideClosed, From: "2026-12-24", Till: "2026-12-25"},
			{Name: "Short day", Type: OverrideStandard, From: "2026-12-31", Till: "2026-12-31",
				Ranges: []HoursRange{{Start: 9 * time.Hour, End: 12 * time.Hour}}},
			{Name: "Saturday sale", Type: OverrideOpen, From: "2026-12-26", Till: "2026-12-26",
				Ranges: []HoursRange{{Start: 10 * time.Hour, End: 14 * time.Hour}}},
		},
	}
	if err := h.validate("Hours"); err != nil {
		t.Fatal(err)
	}
	at := func(day, hour int) time.Time { return time.Date(2026, 12, day, hour, 0, 0, 0, paris) }
	for _, c := range []struct {
		name string
		when time.Time
		open bool
	}{
		{"ordinary Tuesday morning", at(22, 10), true},
		{"ordinary Tuesday evening", at(22, 18), false},
		{"Christmas Eve (a Thursday) at 10", at(24, 10), false},
		{"Christmas Day at 10", at(25, 10), false},
		{"Saturday sale at 11", at(26, 11), true},
		{"Saturday sale at 15", at(26, 15), false},
		{"New Year's Eve at 11", at(31, 11), true},
		{"New Year's Eve at 13", at(31, 13), false},
	} {
		if got := h.Open(c.when); got != c.open {
			t.Errorf("%s: Open = %v, want %v", c.name, got, c.open)
		}
	}
}

func TestHoursOverrideValidation(t *testing.T) {
	for _, c := range []struct {
		o     HoursOverride
		field string
	}{
		{HoursOverride{Type: "HOLIDAY", From: "2026-12-24", Till: "2026-12-24"}, "Hours.Overrides[0].Type"},
		{HoursOverride{Type: OverrideClosed, From: "24/12/2026", Till: "2026-12-24"}, "Hours.Overrides[0].From"},
		{HoursOverride{Type: OverrideClosed, From: "2026-12-24", Till: "2026-12-23"}, "Hours.Overrides[0].Till"},
		{HoursOverride{Type: OverrideOpen, From: "2026-12-24", Till: "2026-12-24",
			Ranges: []HoursRange{{Start: 25 * time.Hour}}}, "Hours.Overrides[0].Ranges[0].Start"},
	} {
		h := &HoursOfOperation{Overrides: []HoursOverride{c.o}}
		err := h.validate("Hours")
		ve, ok := err.(*ValidationError)
		if !ok || ve.Field != c.field {
			t.Errorf("override %+v: got %v, want a ValidationError on %s", c.o, err, c.field)
		}
	}
}
