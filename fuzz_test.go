package switchboard

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// FuzzValidateTaskInput checks that validation never panics, always names a
// field, and agrees with CreateTask: an input it accepts is created and
// stored as given; an input it refuses is refused by CreateTask with the same
// error, and nothing is stored.
func FuzzValidateTaskInput(f *testing.F) {
	const d = int64(24 * 3600)
	type seed struct {
		name, desc, key, val, refType, refVal string
		prio                                  int
		sched, expiry                         int64
	}
	for _, s := range []seed{
		{name: "follow up"},
		{name: ""},
		{name: strings.Repeat("x", 1024)},
		{name: strings.Repeat("é", 1025)},
		{name: "caf\xe9"},
		{name: "n", desc: strings.Repeat("d", 4097)},
		{name: "n", key: "customer_id", val: "42"},
		{name: "n", key: "customer id", val: "42"},
		{name: "n", key: "", val: "42"},
		{name: "n", key: "k", val: "\xc3"},
		{name: "n", key: "k", val: strings.Repeat("v", 32767)},
		{name: "n", key: "k", val: strings.Repeat("v", 32768)},
		{name: "n", refType: "URL", refVal: "https://example.com/t/1"},
		{name: "n", refType: "URL", refVal: "example.com"},
		{name: "n", refType: "NUMBER", refVal: "-1.5e3"},
		{name: "n", refType: "NUMBER", refVal: "NaN"},
		{name: "n", refType: "DATE", refVal: "1767225600"},
		{name: "n", refType: "DATE", refVal: "2026-01-01"},
		{name: "n", refType: "EMAIL", refVal: "ana@example.com"},
		{name: "n", refType: "EMAIL", refVal: "Ana <ana@example.com>"},
		{name: "n", refType: "ATTACHMENT", refVal: "s3://b/k"},
		{name: "n", refType: "STRING", refVal: strings.Repeat("s", 4097)},
		{name: "n", prio: -1},
		{name: "n", prio: math.MaxInt},
		{name: "n", sched: -1},
		{name: "n", sched: 6 * d},
		{name: "n", sched: 6*d + 1},
		{name: "n", sched: 3 * d, expiry: 2 * d},
		{name: "n", sched: 3 * d, expiry: 4 * d},
		{name: "n", expiry: -1},
		{name: "n", expiry: 90 * d},
		{name: "n", expiry: 90*d + 1},
		{name: "n", sched: math.MaxInt64, expiry: math.MinInt64},
		{name: "0", sched: 24, expiry: 90 * d}, // expiry counts from ScheduledAt, not from now
	} {
		f.Add(s.name, s.desc, s.key, s.val, s.refType, s.refVal, s.prio, s.sched, s.expiry)
	}
	f.Fuzz(func(t *testing.T, name, desc, key, val, refType, refVal string, prio int, sched, expiry int64) {
		in := TaskInput{Name: name, Description: desc, QueueID: "q", Priority: prio}
		if key != "" || val != "" {
			in.Attributes = map[string]string{key: val}
		}
		if refType != "" {
			in.References = map[string]Reference{"ref": {Type: ReferenceType(refType), Value: refVal}}
		}
		if sched != 0 {
			in.ScheduledAt = t0.Add(time.Duration(sched) * time.Second)
		}
		in.Expiry = time.Duration(expiry) * time.Second

		ctx := context.Background()
		store := NewMemoryStore()
		ids := 0
		cfg := &Config{
			Clock: NewManualClock(t0),
			NewID: func() string { ids++; return fmt.Sprintf("t%d", ids) },
			Test:  TestConfig{CheckInvariants: true},
		}
		r, err := NewRouter(ctx, store, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close(context.Background())
		for _, err := range []error{
			r.PutQueue(ctx, Queue{ID: "q", Name: "q"}),
			r.PutRoutingProfile(ctx, RoutingProfile{ID: "p", Concurrency: []MediaConcurrency{{Channel: ChannelTask, Concurrency: 1}},
				Queues: []QueueConfig{{QueueID: "q", Priority: 1}}}),
			r.PutAgent(ctx, Agent{ID: "ana", RoutingProfileID: "p", Status: StatusAvailable}),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}

		verr := ValidateTaskInput(&in, t0, cfg)
		task, cerr := r.CreateTask(ctx, in)
		if verr != nil {
			var ve *ValidationError
			if !errors.As(verr, &ve) || ve.Field == "" || !errors.Is(verr, ErrValidation) || verr.Error() == "" {
				t.Fatalf("ValidateTaskInput = %#v, want a *ValidationError naming a field", verr)
			}
			if diff := cmp.Diff(verr, cerr); diff != "" {
				t.Fatalf("CreateTask error differs from ValidateTaskInput (-validate +create):\n%s", diff)
			}
			if task != nil || store.Len() != 0 {
				t.Fatalf("refused input stored: task %v, store holds %d", task, store.Len())
			}
			return
		}
		if cerr != nil {
			t.Fatalf("ValidateTaskInput accepted the input but CreateTask = %v", cerr)
		}
		if store.Len() != 1 {
			t.Fatalf("store holds %d tasks, want 1", store.Len())
		}
		stored, err := store.Task(ctx, task.ID)
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.Task(ctx, task.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range []*Task{task, stored, got} {
			if x.Name != in.Name || x.Description != in.Description {
				t.Fatalf("task holds name %q desc %q, want %q %q", x.Name, x.Description, in.Name, in.Description)
			}
			if diff := cmp.Diff(in.Attributes, x.Attributes); diff != "" {
				t.Fatalf("attributes (-input +task):\n%s", diff)
			}
			if diff := cmp.Diff(in.References, x.References); diff != "" {
				t.Fatalf("references (-input +task):\n%s", diff)
			}
			wantPrio := in.Priority
			if wantPrio == 0 {
				wantPrio = DefaultPriority
			}
			if x.Priority != wantPrio {
				t.Fatalf("Priority = %d, want %d", x.Priority, wantPrio)
			}
			// The rule (TaskInput.ExpiresAt): a task lives at most 90 days
			// from its start, which is ScheduledAt for a scheduled task and
			// creation otherwise; it always expires after its start.
			start := t0
			if in.ScheduledAt.After(t0) {
				start = in.ScheduledAt
			}
			if !x.ExpiresAt.After(start) || x.ExpiresAt.Sub(start) > MaxTaskDuration {
				t.Fatalf("ExpiresAt = %v, not within (start, start+90d] for start %v", x.ExpiresAt, start)
			}
		}
		wantState := StateOffered
		if in.ScheduledAt.After(t0) {
			wantState = StateScheduled
		}
		if got.State != wantState {
			t.Fatalf("State = %s, want %s", got.State, wantState)
		}
	})
}

// ---- expressions ----

var (
	fuzzNames  = []string{"Language", "Skill", `q"uote`, "é"}
	fuzzValues = []string{"French", "Go", ",", ")", " AND "}
	fuzzIDs    = []string{"ana", "bob", `c"d`, "e,f", "] OR (", ""}
)

// exprGen builds an expression tree from fuzz bytes; once the bytes run out
// every choice is 0, so generation always ends.
type exprGen struct {
	data []byte
	i    int
}

func (g *exprGen) next() int {
	if g.i >= len(g.data) {
		return 0
	}
	g.i++
	return int(g.data[g.i-1])
}

func (g *exprGen) expr(depth int) Requirement {
	kind := g.next() % 8
	if depth >= 8 {
		kind %= 3
	}
	switch kind {
	case 0, 1:
		return Proficient(fuzzNames[g.next()%len(fuzzNames)], fuzzValues[g.next()%len(fuzzValues)], g.next()%7)
	case 2:
		ids := []string{}
		for range g.next() % 4 {
			ids = append(ids, fuzzIDs[g.next()%len(fuzzIDs)])
		}
		return Requirement{Preferred: ids}
	case 3, 4, 5, 6:
		kids := []Requirement{}
		for range g.next() % 4 {
			kids = append(kids, g.expr(depth+1))
		}
		if kind <= 4 {
			return Requirement{And: kids}
		}
		return Requirement{Or: kids}
	default: // not exactly one field
		switch g.next() % 3 {
		case 0:
			return Requirement{}
		case 1:
			e := Proficient("Language", "French", 1)
			e.Preferred = []string{"ana"}
			return e
		default:
			return Requirement{And: []Requirement{PreferredAgents("ana")}, Or: []Requirement{PreferredAgents("bob")}}
		}
	}
}

// fuzzAgents have every mix of proficiencies over the fuzz names and values.
func fuzzAgents() []*Agent {
	var out []*Agent
	for i, id := range slices.Concat(fuzzIDs[:len(fuzzIDs)-1], []string{"zed", "yan"}) {
		a := &Agent{ID: id}
		for j, n := range fuzzNames {
			for k, v := range fuzzValues {
				if lvl := (i*7 + j*3 + k) % 6; lvl > 0 {
					a.Proficiencies = append(a.Proficiencies, Proficiency{Name: n, Value: v, Level: lvl})
				}
			}
		}
		out = append(out, a)
	}
	return out
}

// naiveMatches is the routing contract read literally.
func naiveMatches(e Requirement, a *Agent) bool {
	switch {
	case e.Attribute != nil:
		for _, p := range a.Proficiencies {
			if p.Name == e.Attribute.Name && p.Value == e.Attribute.Value && p.Level >= e.Attribute.MinLevel {
				return true
			}
		}
		return false
	case e.Preferred != nil:
		for _, id := range e.Preferred {
			if id == a.ID {
				return true
			}
		}
		return false
	case e.And != nil:
		ok := true
		for _, k := range e.And {
			ok = ok && naiveMatches(k, a)
		}
		return ok
	default:
		ok := false
		for _, k := range e.Or {
			ok = ok || naiveMatches(k, a)
		}
		return ok
	}
}

// naiveValid states the expression rules independently of validate.
func naiveValid(e Requirement) bool {
	leaves := 0
	var ok func(e Requirement, depth int) bool
	ok = func(e Requirement, depth int) bool {
		set := 0
		for _, b := range []bool{e.Attribute != nil, e.Preferred != nil, e.And != nil, e.Or != nil} {
			if b {
				set++
			}
		}
		if depth > MaxRequirementDepth || set != 1 {
			return false
		}
		switch {
		case e.Attribute != nil:
			leaves++
			a := e.Attribute
			n, v := utf8.RuneCountInString(a.Name), utf8.RuneCountInString(a.Value)
			return n >= 1 && n <= 100 && v >= 1 && v <= 128 && a.MinLevel >= 1 && a.MinLevel <= 5
		case e.Preferred != nil:
			leaves++
			if len(e.Preferred) == 0 || len(e.Preferred) > MaxPreferredAgents {
				return false
			}
			for _, id := range e.Preferred {
				if id == "" {
					return false
				}
			}
			return true
		}
		kids := e.And
		if e.Or != nil {
			kids = e.Or
		}
		if len(kids) == 0 {
			return false
		}
		for _, k := range kids {
			if !ok(k, depth+1) {
				return false
			}
		}
		return true
	}
	return ok(e, 1) && leaves <= MaxRequirementLeaves
}

// parseExpr reads the canonical form written by Requirement.String. A
// single-operand group "(x)" reads as an And: it means the same as an Or.
func parseExpr(s string) (Requirement, error) {
	p := &exprParser{s: s}
	e, err := p.expr()
	if err == nil && p.i != len(s) {
		err = fmt.Errorf("trailing %q", s[p.i:])
	}
	return e, err
}

type exprParser struct {
	s string
	i int
}

func (p *exprParser) eat(tok string) bool {
	if strings.HasPrefix(p.s[p.i:], tok) {
		p.i += len(tok)
		return true
	}
	return false
}

func (p *exprParser) quoted() (string, error) {
	q, err := strconv.QuotedPrefix(p.s[p.i:])
	if err != nil {
		return "", fmt.Errorf("at %d: %v", p.i, err)
	}
	p.i += len(q)
	return strconv.Unquote(q)
}

func (p *exprParser) expr() (Requirement, error) {
	switch {
	case p.eat("agent in ["):
		ids := []string{}
		for !p.eat("]") {
			if len(ids) > 0 && !p.eat(",") {
				return Requirement{}, fmt.Errorf("at %d: want , or ]", p.i)
			}
			id, err := p.quoted()
			if err != nil {
				return Requirement{}, err
			}
			ids = append(ids, id)
		}
		return Requirement{Preferred: ids}, nil
	case p.eat("("):
		var kids []Requirement
		op := ""
		for {
			k, err := p.expr()
			if err != nil {
				return Requirement{}, err
			}
			kids = append(kids, k)
			if p.eat(")") {
				break
			}
			var this string
			switch {
			case p.eat(" AND "):
				this = "AND"
			case p.eat(" OR "):
				this = "OR"
			default:
				return Requirement{}, fmt.Errorf("at %d: want AND, OR or )", p.i)
			}
			if op != "" && op != this {
				return Requirement{}, fmt.Errorf("at %d: AND and OR mixed in one group", p.i)
			}
			op = this
		}
		if op == "OR" {
			return Requirement{Or: kids}, nil
		}
		return Requirement{And: kids}, nil
	default:
		name, err := p.quoted()
		if err != nil {
			return Requirement{}, err
		}
		if !p.eat("=") {
			return Requirement{}, fmt.Errorf("at %d: want =", p.i)
		}
		value, err := p.quoted()
		if err != nil {
			return Requirement{}, err
		}
		if !p.eat(">=") {
			return Requirement{}, fmt.Errorf("at %d: want >=", p.i)
		}
		j := p.i
		for j < len(p.s) && (p.s[j] == '-' || p.s[j] >= '0' && p.s[j] <= '9') {
			j++
		}
		lvl, err := strconv.Atoi(p.s[p.i:j])
		if err != nil {
			return Requirement{}, err
		}
		p.i = j
		return Proficient(name, value, lvl), nil
	}
}

// FuzzRequirement builds expression trees from bytes and checks that
// validation never panics and agrees with the written rules, that String is
// a canonical form (deterministic, equal for equal trees, and parsing it back
// gives an expression that matches the same agents), and that Matches agrees
// with a literal evaluation.
func FuzzRequirement(f *testing.F) {
	for _, s := range [][]byte{
		nil,
		{0},
		{2, 2, 0, 1},
		{3, 2, 0, 0, 0, 3, 1, 1, 1, 2},
		{5, 3, 0, 1, 2, 3, 2, 1, 4, 1, 0, 0, 5},
		{3, 1, 3, 1, 3, 1, 3, 1, 3, 1, 3, 1, 2, 1, 0}, // depth 7
		{7, 0}, {7, 1}, {7, 2},
		{3, 0}, {5, 0}, {2, 0},
		{0, 2, 3, 0, 2, 3, 6},
	} {
		f.Add(s)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		b := make([]byte, 8+rng.IntN(120))
		for i := range b {
			b[i] = byte(rng.UintN(256))
		}
		f.Add(b)
	}
	agents := fuzzAgents()
	f.Fuzz(func(t *testing.T, data []byte) {
		e := (&exprGen{data: data}).expr(1)
		c := &RoutingCriteria{Steps: []RoutingStep{{Requirement: e}}}
		err := c.validate("RoutingCriteria")
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || !strings.HasPrefix(ve.Field, "RoutingCriteria.Steps[0].Requirement") {
				t.Fatalf("validate = %#v, want a *ValidationError inside the expression", err)
			}
		}
		if valid := err == nil; valid != naiveValid(e) {
			t.Fatalf("validate(%s) = %v, but the rules say valid=%v", e.String(), err, naiveValid(e))
		}

		s := e.String()
		if again := (&exprGen{data: data}).expr(1); again.String() != s {
			t.Fatalf("String of an equal tree differs: %q vs %q", again.String(), s)
		}
		for _, a := range agents {
			_ = e.Matches(a) // must not panic, valid or not
		}
		if err != nil {
			return
		}
		// Clone keeps valid trees as they are. (It turns an empty, non-nil
		// Preferred or And into nil, which only changes which error an
		// invalid tree reports.)
		clone := c.Clone().Steps[0].Requirement
		if !cmp.Equal(e, clone) || clone.String() != s {
			t.Fatalf("clone differs: %q vs %q", clone.String(), s)
		}
		for _, a := range agents {
			if got, want := e.Matches(a), naiveMatches(e, a); got != want {
				t.Fatalf("%s.Matches(%s) = %v, want %v", s, a.ID, got, want)
			}
		}
		back, perr := parseExpr(s)
		if perr != nil {
			t.Fatalf("String %q does not parse back: %v", s, perr)
		}
		if back.String() != s {
			t.Fatalf("String is not canonical: %q reads back as %q", s, back.String())
		}
		for _, a := range agents {
			if back.Matches(a) != e.Matches(a) {
				t.Fatalf("%q: the parsed-back expression matches %s differently", s, a.ID)
			}
		}

		// Two trees from the two halves of the input: equal trees render
		// equally, and equal renderings match the same agents (the router
		// groups waiting tasks by String).
		h := len(data) / 2
		x, y := (&exprGen{data: data[:h]}).expr(1), (&exprGen{data: data[h:]}).expr(1)
		if cmp.Equal(x, y) && x.String() != y.String() {
			t.Fatalf("equal trees render differently: %q vs %q", x.String(), y.String())
		}
		if x.String() == y.String() && naiveValid(x) && naiveValid(y) {
			for _, a := range agents {
				if x.Matches(a) != y.Matches(a) {
					t.Fatalf("%q names two expressions that match %s differently", x.String(), a.ID)
				}
			}
		}
	})
}
