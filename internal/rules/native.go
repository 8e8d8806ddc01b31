package rules

import (
	"math"
	"strings"

	"github.com/expr-lang/expr/ast"
)

// A native condition decides the common shapes of rule conditions straight
// from the payload, without expr's VM: comparisons of payload paths with
// constants, boolean operators, in-lists, string tests, lower/upper and the
// helper functions. It is built only from conditions made entirely of those
// nodes, and evaluates to a value or to "undecided" whenever the payload
// holds something whose behaviour it does not reproduce exactly (a missing
// intermediate map, a type expr would refuse, a value of a Go type JSON does
// not produce); the engine then runs the VM, which decides with expr's own
// semantics and errors. So a decided result is always the VM's result
// (TestNativeAgreesWithVM checks it on random conditions and payloads).
//
// Values are unboxed (val), so that evaluating allocates nothing, and the
// payload paths of every condition compiled by one Compiler are numbered,
// so that a Scratch looks each path up once per event however many
// conditions read it.
type native interface {
	eval(c *evalCtx) val
}

// kind is the kind of a val.
type kind uint8

const (
	kUndecided kind = iota
	kNil
	kStr
	kNum
	kBool
	kOther // a list, a map, or a value only helpers take (in box)
)

// val is a value during native evaluation. box holds the boxed form when
// there is one for free (a payload value, a constant); helpers take it.
type val struct {
	k   kind
	b   bool
	s   string
	f   float64
	box any
}

var undecided = val{}

func boolVal(b bool) val {
	if b {
		return val{k: kBool, b: true, box: true}
	}
	return val{k: kBool, box: false}
}

// valueOf unboxes v; ok is false for a type expr may judge differently
// (Go integers, structs, ...), which leaves the condition to the VM.
func valueOf(v any) val {
	switch x := v.(type) {
	case nil:
		return val{k: kNil}
	case string:
		return val{k: kStr, s: x, box: v}
	case float64:
		if math.IsNaN(x) {
			return undecided
		}
		return val{k: kNum, f: x, box: v}
	case bool:
		return val{k: kBool, b: x, box: v}
	case []any, map[string]any:
		return val{k: kOther, box: v}
	}
	return undecided
}

// Scratch caches the payload paths of one event; reuse it across events
// (Reset) so that deciding conditions does not allocate.
type Scratch struct {
	ev   map[string]any
	gen  uint32
	seen []uint32
	vals []val
	args []any // helper arguments, used as a stack
}

// Reset starts a new event.
func (s *Scratch) Reset(ev map[string]any) {
	s.ev = ev
	s.gen++
	if s.gen == 0 { // wrapped: forget everything
		clear(s.seen)
		s.gen = 1
	}
}

type evalCtx = Scratch

// pathTable numbers the payload paths of one Compiler's conditions.
type pathTable struct {
	ids   map[string]int
	paths [][]string
}

func (t *pathTable) id(p []string) int {
	k := strings.Join(p, "\x00")
	if id, ok := t.ids[k]; ok {
		return id
	}
	if t.ids == nil {
		t.ids = map[string]int{}
	}
	t.ids[k] = len(t.paths)
	t.paths = append(t.paths, p)
	return len(t.paths) - 1
}

type (
	nConst struct{ v val }
	nPath  struct {
		id   int
		path []string
	}
	nNot struct{ x native }
	nAnd struct{ l, r native }
	nOr  struct{ l, r native }
	nCmp struct {
		op   string
		l, r native
	}
	nEqConst struct {
		x  native
		c  val
		eq bool // == (else !=)
	}
	nIn struct {
		x    native
		strs bool  // the set holds strings (else bools)
		set  []val // constants
	}
	nStr struct {
		op   string // contains, startsWith, endsWith
		l, r native
	}
	nCase struct {
		upper bool
		x     native
	}
	nCall struct {
		fn   func(p ...any) (any, error)
		args []native
	}
)

// maxExactInt bounds integer constants the native evaluator takes: beyond
// it float64 comparisons could differ from expr's integer ones.
const maxExactInt = 1 << 53

func constOf(n ast.Node) (val, bool) {
	switch n := n.(type) {
	case *ast.StringNode:
		return val{k: kStr, s: n.Value, box: n.Value}, true
	case *ast.BoolNode:
		return boolVal(n.Value), true
	case *ast.NilNode:
		return val{k: kNil}, true
	case *ast.IntegerNode:
		if n.Value <= maxExactInt && n.Value >= -maxExactInt {
			return val{k: kNum, f: float64(n.Value), box: n.Value}, true
		}
	case *ast.FloatNode:
		return val{k: kNum, f: n.Value, box: n.Value}, true
	case *ast.UnaryNode:
		if n.Operator == "-" {
			switch c := n.Node.(type) {
			case *ast.IntegerNode:
				if c.Value <= maxExactInt {
					return val{k: kNum, f: -float64(c.Value), box: -c.Value}, true
				}
			case *ast.FloatNode:
				return val{k: kNum, f: -c.Value, box: -c.Value}, true
			}
		}
	case *ast.ArrayNode:
		vs := make([]any, 0, len(n.Nodes))
		for _, e := range n.Nodes {
			c, ok := constOf(e)
			if !ok || c.k == kOther {
				return val{}, false
			}
			vs = append(vs, c.box)
		}
		return val{k: kOther, box: vs}, true
	}
	return val{}, false
}

// compileNative returns the native form of n, or nil when n holds a node
// it does not handle.
func (t *pathTable) compileNative(n ast.Node) native {
	if c, ok := constOf(n); ok {
		if c.k == kOther { // a list is only an argument of in or a helper
			return nil
		}
		return nConst{c}
	}
	switch n := n.(type) {
	case *ast.MemberNode:
		if path, ok := eventPath(n); ok && !n.Optional {
			return nPath{t.id(path), path}
		}
	case *ast.UnaryNode:
		if n.Operator == "!" || n.Operator == "not" {
			if x := t.compileNative(n.Node); x != nil {
				return nNot{x}
			}
		}
	case *ast.BinaryNode:
		if n.Operator == "in" {
			return t.compileIn(n)
		}
		l, r := t.compileNative(n.Left), t.compileNative(n.Right)
		if l == nil || r == nil {
			return nil
		}
		switch n.Operator {
		case "&&", "and":
			return nAnd{l, r}
		case "||", "or":
			return nOr{l, r}
		case "==", "!=":
			// The common shape, a value against a constant, skips
			// evaluating the constant.
			if c, ok := r.(nConst); ok {
				return nEqConst{l, c.v, n.Operator == "=="}
			}
			if c, ok := l.(nConst); ok {
				return nEqConst{r, c.v, n.Operator == "=="}
			}
			return nCmp{n.Operator, l, r}
		case "<", "<=", ">", ">=":
			return nCmp{n.Operator, l, r}
		case "contains", "startsWith", "endsWith":
			return nStr{n.Operator, l, r}
		}
	case *ast.BuiltinNode:
		if (n.Name == "lower" || n.Name == "upper") && len(n.Arguments) == 1 {
			if x := t.compileNative(n.Arguments[0]); x != nil {
				return nCase{n.Name == "upper", x}
			}
		}
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok {
			return nil
		}
		h, ok := helperFuncs[id.Value]
		if !ok {
			return nil
		}
		c := nCall{fn: h.fn}
		for _, a := range n.Arguments {
			var x native
			if list, ok := constOf(a); ok && list.k == kOther {
				x = nConst{list}
			} else if x = t.compileNative(a); x == nil {
				return nil
			}
			c.args = append(c.args, x)
		}
		return c
	}
	return nil
}

// compileIn handles x in [constants], with constants all strings or all
// bools (expr turns a list of strings into a set keyed by string, so other
// mixes would not behave as a list).
func (t *pathTable) compileIn(n *ast.BinaryNode) native {
	arr, ok := n.Right.(*ast.ArrayNode)
	x := t.compileNative(n.Left)
	if !ok || x == nil || len(arr.Nodes) == 0 {
		return nil
	}
	in := nIn{x: x}
	for i, e := range arr.Nodes {
		c, ok := constOf(e)
		if !ok || (c.k != kStr && c.k != kBool) {
			return nil
		}
		if i == 0 {
			in.strs = c.k == kStr
		} else if (c.k == kStr) != in.strs {
			return nil
		}
		in.set = append(in.set, c)
	}
	return in
}

func (n nConst) eval(*evalCtx) val { return n.v }

func (n nPath) eval(c *evalCtx) val {
	if n.id < len(c.seen) && c.seen[n.id] == c.gen {
		return c.vals[n.id]
	}
	v, ok := Lookup(c.ev, n.path)
	r := undecided
	if ok {
		r = valueOf(v)
	}
	if n.id >= len(c.seen) {
		c.seen = append(c.seen, make([]uint32, n.id+1-len(c.seen))...)
		c.vals = append(c.vals, make([]val, n.id+1-len(c.vals))...)
	}
	c.seen[n.id], c.vals[n.id] = c.gen, r
	return r
}

func (n nNot) eval(c *evalCtx) val {
	x := n.x.eval(c)
	if x.k != kBool {
		return undecided
	}
	return boolVal(!x.b)
}

func (n nAnd) eval(c *evalCtx) val {
	l := n.l.eval(c)
	if l.k != kBool || !l.b {
		if l.k != kBool {
			return undecided
		}
		return l
	}
	return asBool(n.r.eval(c))
}

func (n nOr) eval(c *evalCtx) val {
	l := n.l.eval(c)
	if l.k != kBool || l.b {
		if l.k != kBool {
			return undecided
		}
		return l
	}
	return asBool(n.r.eval(c))
}

func asBool(v val) val {
	if v.k != kBool {
		return undecided
	}
	return v
}

func (n nCmp) eval(c *evalCtx) val {
	l := n.l.eval(c)
	if l.k == kUndecided {
		return undecided
	}
	r := n.r.eval(c)
	if r.k == kUndecided {
		return undecided
	}
	switch n.op {
	case "==", "!=":
		return equal(l, r, n.op == "==")
	}
	var cmp int
	switch {
	case l.k == kStr && r.k == kStr:
		cmp = strings.Compare(l.s, r.s)
	case l.k == kNum && r.k == kNum:
		if l.f < r.f {
			cmp = -1
		} else if l.f > r.f {
			cmp = 1
		}
	default:
		return undecided // expr refuses to order these
	}
	switch n.op {
	case "<":
		return boolVal(cmp < 0)
	case "<=":
		return boolVal(cmp <= 0)
	case ">":
		return boolVal(cmp > 0)
	}
	return boolVal(cmp >= 0)
}

func (n nEqConst) eval(c *evalCtx) val {
	x := n.x.eval(c)
	if x.k == kUndecided {
		return undecided
	}
	return equal(x, n.c, n.eq)
}

// equal is expr's == (want true) or != on scalars; lists and maps, which
// expr compares deeply, are undecided.
func equal(l, r val, want bool) val {
	if l.k == kOther || r.k == kOther {
		return undecided
	}
	eq := l.k == r.k && (l.k == kNil || l.k == kStr && l.s == r.s || l.k == kNum && l.f == r.f || l.k == kBool && l.b == r.b)
	return boolVal(eq == want)
}

func (n nIn) eval(c *evalCtx) val {
	v := n.x.eval(c)
	if (n.strs && v.k != kStr) || (!n.strs && v.k != kBool) {
		return undecided
	}
	for _, s := range n.set {
		if n.strs && s.s == v.s || !n.strs && s.b == v.b {
			return boolVal(true)
		}
	}
	return boolVal(false)
}

func (n nStr) eval(c *evalCtx) val {
	l := n.l.eval(c)
	if l.k != kStr {
		return undecided
	}
	r := n.r.eval(c)
	if r.k != kStr {
		return undecided
	}
	switch n.op {
	case "contains":
		return boolVal(strings.Contains(l.s, r.s))
	case "startsWith":
		return boolVal(strings.HasPrefix(l.s, r.s))
	}
	return boolVal(strings.HasSuffix(l.s, r.s))
}

func (n nCase) eval(c *evalCtx) val {
	x := n.x.eval(c)
	if x.k != kStr {
		return undecided
	}
	if n.upper {
		return val{k: kStr, s: strings.ToUpper(x.s)}
	}
	return val{k: kStr, s: strings.ToLower(x.s)}
}

func (n nCall) eval(c *evalCtx) val {
	base := len(c.args)
	defer func() { clear(c.args[base:]); c.args = c.args[:base] }()
	for _, a := range n.args {
		v := a.eval(c)
		switch {
		case v.k == kUndecided:
			return undecided
		case v.k == kNil:
			c.args = append(c.args, nil)
		case v.box == nil:
			c.args = append(c.args, v.s) // a string lower or upper made
		default:
			c.args = append(c.args, v.box)
		}
	}
	out, err := n.fn(c.args[base:]...)
	if err != nil {
		return undecided
	}
	if b, ok := out.(bool); ok {
		return boolVal(b)
	}
	return valueOf(out)
}
