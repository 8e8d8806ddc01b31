package rules

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
)

// MaxNodes bounds the size of one compiled expression, so that a hostile
// rule cannot make loading slow.
const MaxNodes = 2000

// Compiler compiles conditions, values and templates against one typed
// environment. The environment is a struct (or pointer to one) whose fields
// carry `expr:"name"` tags; programs run against a value of the same type.
// expr's own now() is disabled: time comes from the environment.
type Compiler struct {
	opts  []expr.Option
	paths pathTable // the payload paths of its native conditions
}

// NewCompiler returns a Compiler for environments of env's type. The
// helper functions of this package (see Helpers) are available by name.
func NewCompiler(env any) *Compiler {
	opts := []expr.Option{
		expr.Env(env),
		expr.DisableBuiltin("now"),
		expr.MaxNodes(MaxNodes),
	}
	opts = append(opts, helperOptions()...)
	return &Compiler{opts: opts}
}

// Condition is a compiled condition: a program that returns bool, with what
// the engine needs to skip it quickly.
type Condition struct {
	Source  string
	Program *vm.Program
	// Count is the number of conditions: the leaves of its and/or/not tree.
	Count int
	// Keys are the top-level conjuncts that test one payload path against
	// constants: event.path == "text" (or true/false), a disjunction of such
	// equalities on the same path, or event.path in ["a", "b"]. An event
	// whose value at a key's path is none of its Values cannot match.
	Keys []Key
	// Native is set when the condition reads only the payload, through
	// nodes the native evaluator handles (native.go): Decide then decides
	// it without the VM, unless the payload holds something only the VM
	// can judge.
	Native bool
	native native
}

// Key is one membership the condition requires of the event payload: the
// value at Path is one of Values.
type Key struct {
	Path   []string
	Values []any // strings and bools, without repeats
}

// PathString joins the path for use as a map key.
func (k Key) PathString() string { return strings.Join(k.Path, "\x00") }

// Condition compiles src as a bool expression.
func (c *Compiler) Condition(src string) (*Condition, error) {
	prog, err := expr.Compile(src, append(c.opts[:len(c.opts):len(c.opts)], expr.AsBool())...)
	if err != nil {
		return nil, convert(src, err)
	}
	tree, err := parser.Parse(src)
	if err != nil {
		return nil, convert(src, err)
	}
	cond := &Condition{Source: src, Program: prog, Count: countLeaves(tree.Node)}
	for _, n := range conjuncts(tree.Node, nil) {
		if k, ok := keyOf(n); ok {
			cond.Keys = append(cond.Keys, k)
		}
	}
	cond.native = c.paths.compileNative(tree.Node)
	cond.Native = cond.native != nil
	return cond, nil
}

// Value compiles src as an expression of any type.
func (c *Compiler) Value(src string) (*vm.Program, error) {
	prog, err := expr.Compile(src, c.opts...)
	if err != nil {
		return nil, convert(src, err)
	}
	return prog, nil
}

// convert turns an expr error into an *Error located in src.
func convert(src string, err error) *Error {
	var fe *file.Error
	if errors.As(err, &fe) {
		msg := fe.Message
		if msg == "" {
			msg = "invalid expression"
		}
		return NewError(src, fe.From, msg)
	}
	return NewError(src, 0, err.Error())
}

func countLeaves(n ast.Node) int {
	switch n := n.(type) {
	case *ast.BinaryNode:
		switch n.Operator {
		case "&&", "||", "and", "or":
			return countLeaves(n.Left) + countLeaves(n.Right)
		}
	case *ast.UnaryNode:
		switch n.Operator {
		case "!", "not":
			return countLeaves(n.Node)
		}
	}
	return 1
}

func conjuncts(n ast.Node, out []ast.Node) []ast.Node {
	if b, ok := n.(*ast.BinaryNode); ok && (b.Operator == "&&" || b.Operator == "and") {
		return conjuncts(b.Right, conjuncts(b.Left, out))
	}
	return append(out, n)
}

// keyOf recognises event.a.b == "text" (either side; also with ["a"] and
// ?.), event.a.b in ["x", "y"], and disjunctions of those on one path.
func keyOf(n ast.Node) (Key, bool) {
	b, ok := n.(*ast.BinaryNode)
	if !ok {
		return Key{}, false
	}
	switch b.Operator {
	case "==":
		for _, side := range [2][2]ast.Node{{b.Left, b.Right}, {b.Right, b.Left}} {
			path, ok := eventPath(side[0])
			if !ok {
				continue
			}
			if v, ok := constant(side[1]); ok {
				return Key{Path: path, Values: []any{v}}, true
			}
		}
	case "in":
		path, ok := eventPath(b.Left)
		arr, isArr := b.Right.(*ast.ArrayNode)
		if !ok || !isArr || len(arr.Nodes) == 0 {
			return Key{}, false
		}
		k := Key{Path: path}
		for _, e := range arr.Nodes {
			// expr makes a list of strings a set, and looks a missing
			// key (nil) up as "": such a list is not a key.
			v, ok := constant(e)
			if !ok || v == "" {
				return Key{}, false
			}
			k.Values = appendNew(k.Values, v)
		}
		return k, true
	case "||", "or":
		l, ok := keyOf(b.Left)
		if !ok {
			return Key{}, false
		}
		r, ok := keyOf(b.Right)
		if !ok || !slices.Equal(l.Path, r.Path) {
			return Key{}, false
		}
		for _, v := range r.Values {
			l.Values = appendNew(l.Values, v)
		}
		return l, true
	}
	return Key{}, false
}

// constant returns the value of a string or bool literal.
func constant(n ast.Node) (any, bool) {
	switch v := n.(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.BoolNode:
		return v.Value, true
	}
	return nil, false
}

func appendNew(vs []any, v any) []any {
	if slices.Contains(vs, v) {
		return vs
	}
	return append(vs, v)
}

func eventPath(n ast.Node) ([]string, bool) {
	m, ok := n.(*ast.MemberNode)
	if !ok || m.Method {
		return nil, false
	}
	prop, ok := m.Property.(*ast.StringNode)
	if !ok {
		return nil, false
	}
	if id, ok := m.Node.(*ast.IdentifierNode); ok {
		if id.Value != "event" {
			return nil, false
		}
		return []string{prop.Value}, true
	}
	parent, ok := eventPath(m.Node)
	if !ok {
		return nil, false
	}
	return append(parent, prop.Value), true
}

// Lookup walks path through nested map[string]any values. ok is false when
// an intermediate value is not a map[string]any (the VM then decides, with
// expr's own semantics and errors).
func Lookup(event map[string]any, path []string) (v any, ok bool) {
	m := event
	for i, p := range path {
		v = m[p]
		if i == len(path)-1 {
			return v, true
		}
		next, isMap := v.(map[string]any)
		if !isMap {
			return nil, false
		}
		m = next
	}
	return nil, false
}

// Decide decides a Native condition from the payload of the event s was
// Reset with (s must be used only with conditions of the same Compiler).
// decided is false when the condition is not Native or the payload's shape
// needs the VM (a missing intermediate map, a value of a type the VM must
// judge): the caller then runs Program. A decided result is the one Program
// returns.
func (c *Condition) Decide(s *Scratch) (match, decided bool) {
	if c.native == nil {
		return false, false
	}
	v := c.native.eval(s)
	return v.b, v.k == kBool
}

// Run runs a condition on machine m.
func (c *Condition) Run(m *vm.VM, env any) (bool, error) {
	out, err := m.Run(c.Program, env)
	if err != nil {
		return false, err
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("condition returned %T, not bool", out)
	}
	return b, nil
}

// Stringify renders a template value: strings as they are, nil as "",
// everything else with fmt's %v.
func Stringify(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return ""
	case fmt.Stringer:
		return v.String()
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Float64 || rv.Kind() == reflect.Float32 {
		f := rv.Float()
		if f == float64(int64(f)) && f < 1e15 && f > -1e15 {
			return fmt.Sprint(int64(f))
		}
	}
	return fmt.Sprint(v)
}
