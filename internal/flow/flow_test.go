package flow

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParsePath(t *testing.T) {
	for in, want := range map[string][]string{
		"$.Attributes.tier":              {"Attributes", "tier"},
		"$.Attributes['customer id']":    {"Attributes", "customer id"},
		"$.Attributes.['customer id']":   {"Attributes", "customer id"},
		`$.Attributes["a.b"]`:            {"Attributes", "a.b"},
		"$['Channel']":                   {"Channel"},
		"$.External.deep.n":              {"External", "deep", "n"},
		"$.Queue.ARN":                    {"Queue", "ARN"},
		"$.References.Claim.Value":       {"References", "Claim", "Value"},
		"$.FlowAttributes.followup_step": {"FlowAttributes", "followup_step"},
	} {
		got, err := ParsePath(in)
		if err != "" || !slices.Equal(got, want) {
			t.Errorf("ParsePath(%q) = %q, %q; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"$", "$.", "$..a", "$.a[", "$.a['x", "$.a['x'", "$.a[x]", "$.a['']", "Attributes.x", "$x"} {
		if _, err := ParsePath(bad); err == "" {
			t.Errorf("ParsePath(%q) accepted", bad)
		}
	}
}

func TestCheckIdentifier(t *testing.T) {
	for _, ok := range []string{"a", "Turn on logging", "6f0b3c52-1a0e-4d43-9a52-0c6a3f1d2b11", strings.Repeat("é", 50), "tier?"} {
		if why := CheckIdentifier(ok); why != "" {
			t.Errorf("%q: %s", ok, why)
		}
	}
	for _, bad := range []string{"", strings.Repeat("a", 51), "a%b", "a:b", "(a)", `a\b`, "a/b", "a=b", "$a", "a,b", "a;b", "[a]", "{a}", "__proto__", "valueOf", "bad\xff"} {
		if CheckIdentifier(bad) == "" {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestNumber(t *testing.T) {
	for in, want := range map[string]float64{"1": 1, " 2.5 ": 2.5, "-3": -3, "+4": 4, ".5": 0.5, "1e3": 1000} {
		if got, ok := number(in); !ok || got != want {
			t.Errorf("number(%q) = %v, %v", in, got, ok)
		}
	}
	for _, bad := range []string{"", "abc", "NaN", "Inf", "-Inf", "+infinity", "0x10", "1_000", "1e999"} {
		if _, ok := number(bad); ok {
			t.Errorf("number(%q) accepted", bad)
		}
	}
}

func TestCompileReportsFieldAndSentinel(t *testing.T) {
	def := Def{Start: "a", Actions: []Action{
		{ID: "a", Type: "UpdateContactRoutingBehavior", Params: json.RawMessage(`{"QueuePriority":"x"}`), Next: "a"},
	}}
	_, _, err := Compile(def, Options{})
	var ce *Error
	if !errors.As(err, &ce) || ce.Index != 0 || ce.Action != "a" || ce.Field != "Parameters.QueuePriority" || !errors.Is(err, ErrParameter) {
		t.Fatalf("%v", err)
	}
}

func TestStateZeroValuesAreOmittedInJSON(t *testing.T) {
	b, err := json.Marshal(NewState(0))
	if err != nil || string(b) != "{}" {
		t.Fatalf("%s %v", b, err)
	}
}
