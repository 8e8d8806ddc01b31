package switchboard

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestActiveStep(t *testing.T) {
	s := time.Second
	stepsOf := func(expiries ...time.Duration) *RoutingCriteria {
		c := &RoutingCriteria{}
		for _, e := range expiries {
			c.Steps = append(c.Steps, RoutingStep{Requirement: PreferredAgents("ana"), Expiry: e})
		}
		return c
	}
	var never time.Time
	for _, tc := range []struct {
		name      string
		c         *RoutingCriteria
		elapsed   time.Duration // now - activation
		wantStep  int
		wantUntil time.Time
	}{
		{"first step at activation", stepsOf(10*s, 20*s, 0), 0, 0, t0.Add(10 * s)},
		{"first step before expiry", stepsOf(10*s, 20*s, 0), 10*s - 1, 0, t0.Add(10 * s)},
		{"second step at first expiry", stepsOf(10*s, 20*s, 0), 10 * s, 1, t0.Add(30 * s)},
		{"second step before its expiry", stepsOf(10*s, 20*s, 0), 30*s - 1, 1, t0.Add(30 * s)},
		{"never-expiring last step", stepsOf(10*s, 20*s, 0), 30 * s, 2, never},
		{"never-expiring step a year on", stepsOf(10*s, 20*s, 0), 365 * 24 * time.Hour, 2, never},
		{"never-expiring first step", stepsOf(0, 10*s), 24 * time.Hour, 0, never},
		{"single never-expiring step", stepsOf(0), 0, 0, never},
		{"all expired exactly", stepsOf(10*s, 20*s), 30 * s, -1, never},
		{"all expired long ago", stepsOf(10*s, 20*s), time.Hour, -1, never},
		{"single step expired", stepsOf(5 * s), 5 * s, -1, never},
		{"clock before activation", stepsOf(5 * s), -time.Second, 0, t0.Add(5 * s)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			step, until := tc.c.activeStep(t0, t0.Add(tc.elapsed))
			if step != tc.wantStep || !until.Equal(tc.wantUntil) {
				t.Errorf("activeStep = %d until %v, want %d until %v", step, until, tc.wantStep, tc.wantUntil)
			}
		})
	}
}

func TestExpressionMatches(t *testing.T) {
	ana := &Agent{ID: "ana", Proficiencies: []Proficiency{
		{Name: "Language", Value: "French", Level: 4},
		{Name: "Skill", Value: "Go", Level: 2},
	}}
	french := func(l int) Requirement { return Proficient("Language", "French", l) }
	goLang := func(l int) Requirement { return Proficient("Skill", "Go", l) }
	for _, tc := range []struct {
		name string
		e    Requirement
		want bool
	}{
		{"level above", french(1), true},
		{"level equal", french(4), true},
		{"level below", french(5), false},
		{"other value", Proficient("Language", "Spanish", 1), false},
		{"names are case-sensitive", Proficient("language", "French", 1), false},
		{"values are case-sensitive", Proficient("Language", "french", 1), false},
		{"value under another name", Proficient("Skill", "French", 1), false},
		{"preferred listed", PreferredAgents("bob", "ana"), true},
		{"preferred not listed", PreferredAgents("bob", "Ana"), false},
		{"and all", AllOf(french(4), goLang(2)), true},
		{"and one fails", AllOf(french(4), goLang(3)), false},
		{"or one", AnyOf(french(5), goLang(2)), true},
		{"or none", AnyOf(french(5), goLang(3)), false},
		{"single and", AllOf(french(4)), true},
		{"single or", AnyOf(french(5)), false},
		{"nested", AnyOf(AllOf(french(5), PreferredAgents("ana")), AllOf(goLang(1), AnyOf(PreferredAgents("bob"), french(3)))), true},
		{"nested fails", AllOf(AnyOf(french(5), PreferredAgents("bob")), goLang(1)), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.e.Matches(ana); got != tc.want {
				t.Errorf("%s.Matches(ana) = %v, want %v", tc.e.String(), got, tc.want)
			}
		})
	}
	if (&Requirement{Attribute: &AttributeCondition{Name: "Language", Value: "French", MinLevel: 1}}).Matches(&Agent{ID: "bob"}) {
		t.Error("an agent without proficiencies matches an attribute condition")
	}
}

func TestExpressionString(t *testing.T) {
	p := Proficient("Language", "French", 4)
	for _, tc := range []struct {
		e    Requirement
		want string
	}{
		{p, `"Language"="French">=4`},
		{PreferredAgents("ana"), `agent in ["ana"]`},
		{PreferredAgents("ana", "bob"), `agent in ["ana","bob"]`},
		{AllOf(p, PreferredAgents("ana")), `("Language"="French">=4 AND agent in ["ana"])`},
		{AnyOf(p, Proficient("Skill", "Go", 2)), `("Language"="French">=4 OR "Skill"="Go">=2)`},
		{AllOf(AnyOf(p, PreferredAgents("bob")), Proficient("Skill", "Go", 1)),
			`(("Language"="French">=4 OR agent in ["bob"]) AND "Skill"="Go">=1)`},
		{AllOf(p), `("Language"="French">=4)`},
		{Proficient(`a"b`, "x y", 1), `"a\"b"="x y">=1`},
		{PreferredAgents(`a","b`), `agent in ["a\",\"b"]`},
		{Proficient("Langue", "Français", 3), `"Langue"="Français">=3`},
	} {
		if got := tc.e.String(); got != tc.want {
			t.Errorf("String() = %s, want %s", got, tc.want)
		}
	}

	// Different conditions never share a rendering (the router groups
	// waiting tasks by it), however the names and values are chosen.
	distinct := []Requirement{
		Proficient("a", `b"="c`, 1),
		Proficient(`a"="b`, "c", 1),
		PreferredAgents(`a","b`),
		PreferredAgents("a", "b"),
		AllOf(PreferredAgents("a"), PreferredAgents("b")),
		AnyOf(PreferredAgents("a"), PreferredAgents("b")),
		AllOf(PreferredAgents(`a"] AND agent in ["b`)),
		Proficient("a", "b", 1),
		Proficient("a", "b", 2),
	}
	seen := map[string]int{}
	for i, e := range distinct {
		s := e.String()
		if j, ok := seen[s]; ok {
			t.Errorf("expressions %d and %d both render as %s", j, i, s)
		}
		seen[s] = i
	}

	// Equal trees render equally, whatever their backing memory.
	a := AllOf(Proficient("L", "F", 2), PreferredAgents("x", "y"))
	b := AllOf(Proficient("L", "F", 2), PreferredAgents(append([]string{"x"}, "y")...))
	if !cmp.Equal(a, b) || a.String() != b.String() {
		t.Errorf("equal trees render %s and %s", a.String(), b.String())
	}
}

func TestRoutingCriteriaClone(t *testing.T) {
	if (*RoutingCriteria)(nil).Clone() != nil {
		t.Error("Clone(nil) != nil")
	}
	c := &RoutingCriteria{Steps: []RoutingStep{
		{Requirement: AllOf(Proficient("L", "F", 2), PreferredAgents("ana")), Expiry: time.Minute},
		{Requirement: AnyOf(Proficient("L", "G", 1))},
	}}
	d := c.Clone()
	if diff := cmp.Diff(c, d); diff != "" {
		t.Fatalf("clone differs (-orig +clone):\n%s", diff)
	}
	d.Steps[0].Requirement.And[0].Attribute.MinLevel = 5
	d.Steps[0].Requirement.And[1].Preferred[0] = "bob"
	d.Steps[1].Requirement.Or[0].Attribute.Name = "X"
	d.Steps[0].Expiry = time.Hour
	if c.Steps[0].Requirement.And[0].Attribute.MinLevel != 2 || c.Steps[0].Requirement.And[1].Preferred[0] != "ana" ||
		c.Steps[1].Requirement.Or[0].Attribute.Name != "L" || c.Steps[0].Expiry != time.Minute {
		t.Errorf("changing the clone changed the original: %+v", c)
	}
}

// Steps relax in the router as activeStep says: a French expert for 30 s,
// then any French speaker for 30 s, then anyone.
func TestRoutingCriteriaStepsInRouter(t *testing.T) {
	b := newBench(t, &Config{AgentStatuses: testStatuses})
	b.queue("q")
	b.profile("p", 1, "q")
	b.agent("zoe", "p") // no skills: only once every step expired
	b.agent("bob", "p", Proficiency{Name: "Language", Value: "French", Level: 2})
	b.must(b.r.SetAgentStatus(b.ctx, "bob", "Break"))
	b.create(TaskInput{QueueID: "q", RoutingCriteria: &RoutingCriteria{Steps: []RoutingStep{
		{Requirement: Proficient("Language", "French", 4), Expiry: 30 * time.Second},
		{Requirement: Proficient("Language", "French", 1), Expiry: 30 * time.Second},
	}}})
	b.offers()
	b.clock.Advance(29 * time.Second)
	b.wantState("t1", StateQueued, "")
	b.clock.Advance(time.Second) // step 1: bob qualifies but is on a break
	b.wantState("t1", StateQueued, "")
	b.clock.Advance(29 * time.Second)
	b.wantState("t1", StateQueued, "")
	b.clock.Advance(time.Second) // every step expired: anyone
	b.wantState("t1", StateOffered, "zoe")

	b.create(TaskInput{QueueID: "q", RoutingCriteria: &RoutingCriteria{Steps: []RoutingStep{
		{Requirement: Proficient("Language", "French", 4), Expiry: 10 * time.Second},
		{Requirement: Proficient("Language", "French", 1), Expiry: 30 * time.Second},
	}}})
	b.must(b.r.SetAgentStatus(b.ctx, "bob", StatusAvailable))
	b.wantState("t2", StateQueued, "")
	b.clock.Advance(10 * time.Second) // step 1 at t+10s: bob
	b.wantState("t2", StateOffered, "bob")
}
