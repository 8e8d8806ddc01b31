package rules

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/expr-lang/expr"
)

// The native evaluator is checked against expr's VM as an oracle: random
// conditions over random payloads (strings, numbers, bools, nil, lists,
// maps, missing keys, and Go types JSON never produces). Whenever the native
// evaluator decides, the VM must run without error and agree.
// SWITCHBOARD_LONG=1 runs a hundred times more.
func TestNativeAgreesWithVM(t *testing.T) {
	conds, payloads := 3000, 40
	if os.Getenv("SWITCHBOARD_LONG") != "" {
		conds *= 100
	}
	c := NewCompiler(&testEnv{})
	rng := rand.New(rand.NewPCG(20261202, 1))
	var compiled, native, decided, runs int
	var s Scratch // shared by a batch's conditions, as the engine shares it
	for range conds / 50 {
		var batch []*Condition
		for range 50 {
			cond, err := c.Condition(genBool(rng, 3))
			if err != nil {
				continue // a type error expr's checker finds at load
			}
			compiled++
			if cond.Native {
				native++
			}
			batch = append(batch, cond)
		}
		for range payloads {
			ev := genPayload(rng)
			s.Reset(ev)
			for _, cond := range batch {
				runs++
				match, ok := cond.Decide(&s)
				if !ok {
					continue
				}
				decided++
				out, err := expr.Run(cond.Program, &testEnv{Event: ev})
				if err != nil {
					t.Fatalf("%s on %v: native decided %v, the VM failed: %v", cond.Source, ev, match, err)
				}
				if out != match {
					t.Fatalf("%s on %v: native %v, VM %v", cond.Source, ev, match, out)
				}
			}
		}
	}
	t.Logf("%d conditions compiled, %d native; %d of %d evaluations decided natively", compiled, native, decided, runs)
	if native < compiled/2 || decided < runs/4 {
		t.Errorf("the generator no longer exercises the native evaluator: %d/%d native, %d/%d decided", native, compiled, decided, runs)
	}
}

var (
	genPaths   = []string{"event.a", "event.b", "event.c.d", `event["e"]`, "event.missing"}
	genStrings = []string{`""`, `"a"`, `"b"`, `"A"`, `"ab"`, `"2"`}
	genNums    = []string{"0", "1", "2", "-1", "1.5", "2.0", "9007199254740993"}
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func genValue(r *rand.Rand) string {
	switch r.IntN(7) {
	case 0, 1, 2:
		return pick(r, genPaths)
	case 3:
		return pick(r, genStrings)
	case 4:
		return pick(r, genNums)
	case 5:
		return pick(r, []string{"true", "false", "nil"})
	default:
		return pick(r, []string{"lower(", "upper("}) + pick(r, genPaths) + ")"
	}
}

func genList(r *rand.Rand) string {
	n := 1 + r.IntN(3)
	var xs []string
	kind := r.IntN(4)
	for range n {
		switch kind {
		case 0:
			xs = append(xs, pick(r, genStrings))
		case 1:
			xs = append(xs, pick(r, []string{"true", "false"}))
		case 2:
			xs = append(xs, pick(r, genNums))
		default:
			xs = append(xs, genValue(r))
		}
	}
	return "[" + strings.Join(xs, ", ") + "]"
}

func genBool(r *rand.Rand, depth int) string {
	if depth > 0 {
		switch r.IntN(6) {
		case 0:
			return "(" + genBool(r, depth-1) + " && " + genBool(r, depth-1) + ")"
		case 1:
			return "(" + genBool(r, depth-1) + " || " + genBool(r, depth-1) + ")"
		case 2:
			return "!(" + genBool(r, depth-1) + ")"
		}
	}
	v := genValue(r)
	switch r.IntN(9) {
	case 0, 1, 2:
		return v + " " + pick(r, []string{"==", "!=", "<", "<=", ">", ">="}) + " " + genValue(r)
	case 3:
		return v + pick(r, []string{" in ", " not in "}) + genList(r)
	case 4:
		return v + " " + pick(r, []string{"contains", "startsWith", "endsWith"}) + " " + genValue(r)
	case 5:
		return fmt.Sprintf("%s(%s, %s)", pick(r, []string{"equalsText", "containsText"}), v, pick(r, genStrings))
	case 6:
		return fmt.Sprintf("containsAny(%s, %s)", v, genList(r))
	case 7:
		return fmt.Sprintf("numberCompare(%s, %q, %s)", v, pick(r, []string{"==", "!=", "<", ">="}), pick(r, genNums))
	default:
		fn := pick(r, []string{"twCompare(%s, \"==\", %s)", "twCompare(%s, \"<\", %s)", "twIn(%s, %s)", "twNotIn(%s, %s)", "twHas(%s, %s)", "twContains(%s, %s)"})
		arg := genValue(r)
		if r.IntN(2) == 0 {
			arg = genList(r)
		}
		return fmt.Sprintf(fn, v, arg)
	}
}

func genScalar(r *rand.Rand) any {
	switch r.IntN(10) {
	case 0:
		return nil
	case 1, 2:
		return pick(r, []string{"", "a", "b", "A", "ab", "2"})
	case 3, 4:
		return pick(r, []float64{0, 1, 2, -1, 1.5, 9007199254740993})
	case 5:
		return r.IntN(2) == 0
	case 6:
		return []any{"a", 1.0, true}
	case 7:
		return []any{}
	case 8:
		return map[string]any{"d": "a"}
	default:
		return pick(r, []any{int(2), int64(1), "x"}) // Go types JSON never produces
	}
}

func genPayload(r *rand.Rand) map[string]any {
	ev := map[string]any{}
	for _, k := range []string{"a", "b", "e"} {
		if r.IntN(5) > 0 {
			ev[k] = genScalar(r)
		}
	}
	switch r.IntN(4) {
	case 0:
		ev["c"] = map[string]any{"d": genScalar(r)}
	case 1:
		ev["c"] = genScalar(r)
	case 2:
		ev["c"] = map[string]any{}
	}
	return ev
}
