package rules

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"
)

// Helpers lists the functions every compiled expression may call, besides
// expr's built-ins. The Connect and Twilio translators emit calls to them;
// conditions written by hand may use them too.
//
//	equalsText(v, s)        v rendered as text (Stringify) equals s; false for nil
//	containsText(v, s)      v is a string containing s, or a list with an element equal to s as text
//	containsAny(v, list)    containsText(v, x) for some x in list
//	numberCompare(v, op, n) v (a number or numeric string) op n, op one of == != < <= > >=; false when v is not a number
//	twCompare(a, op, b)     TaskRouter's scalar comparison: numbers as numbers, strings as strings, false otherwise
//	twContains(a, b)        TaskRouter's CONTAINS: a and b strings, b a substring of a
//	twHas(a, b)             TaskRouter's HAS: a is a list holding b
//	twIn(a, b)              TaskRouter's IN: b is a list holding a
//	twNotIn(a, b)           TaskRouter's NOT IN: b is a list, a a scalar it does not hold
var Helpers = []string{"equalsText", "containsText", "containsAny", "numberCompare", "twCompare", "twContains", "twHas", "twIn", "twNotIn"}

// helper is one helper function: its body and the signature the checker
// sees.
type helper struct {
	fn  func(p ...any) (any, error)
	sig any
}

// helperFuncs holds the helpers by name; compiled programs and the native
// evaluator (native.go) call the same functions.
var helperFuncs = map[string]helper{
	"equalsText": {func(p ...any) (any, error) {
		return p[0] != nil && Stringify(p[0]) == p[1].(string), nil
	}, new(func(any, string) bool)},
	"containsText": {func(p ...any) (any, error) {
		return containsText(p[0], p[1]), nil
	}, new(func(any, any) bool)},
	"containsAny": {func(p ...any) (any, error) {
		for _, x := range list(p[1]) {
			if containsText(p[0], x) {
				return true, nil
			}
		}
		return false, nil
	}, new(func(any, any) bool)},
	"numberCompare": {func(p ...any) (any, error) {
		a, ok := number(p[0])
		b, ok2 := number(p[2])
		if !ok || !ok2 {
			return false, nil
		}
		return compare(a, p[1].(string), b)
	}, new(func(any, string, any) bool)},
	"twCompare": {func(p ...any) (any, error) {
		return twCompare(p[0], p[1].(string), p[2])
	}, new(func(any, string, any) bool)},
	"twContains": {func(p ...any) (any, error) {
		a, ok := p[0].(string)
		b, ok2 := p[1].(string)
		return ok && ok2 && strings.Contains(a, b), nil
	}, new(func(any, any) bool)},
	"twHas": {func(p ...any) (any, error) {
		return listHas(p[0], p[1]), nil
	}, new(func(any, any) bool)},
	"twIn": {func(p ...any) (any, error) {
		return listHas(p[1], p[0]), nil
	}, new(func(any, any) bool)},
	"twNotIn": {func(p ...any) (any, error) {
		return isList(p[1]) && !isList(p[0]) && p[0] != nil && !listHas(p[1], p[0]), nil
	}, new(func(any, any) bool)},
}

func helperOptions() []expr.Option {
	opts := make([]expr.Option, 0, len(Helpers))
	for _, name := range Helpers {
		h := helperFuncs[name]
		opts = append(opts, expr.Function(name, h.fn, h.sig))
	}
	return opts
}

func compare[T int | float64 | string](a T, op string, b T) (bool, error) {
	switch op {
	case "==":
		return a == b, nil
	case "!=":
		return a != b, nil
	case "<":
		return a < b, nil
	case "<=":
		return a <= b, nil
	case ">":
		return a > b, nil
	case ">=":
		return a >= b, nil
	}
	return false, fmt.Errorf("unknown comparison %q", op)
}

// number reads a number, or a string holding one.
func number(v any) (float64, bool) {
	switch v := v.(type) {
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		return f, err == nil
	case nil, bool:
		return 0, false
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(rv.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(rv.Uint()), true
	case reflect.Float32, reflect.Float64:
		return rv.Float(), true
	}
	return 0, false
}

func isNumber(v any) bool {
	if _, ok := v.(string); ok {
		return false
	}
	_, ok := number(v)
	return ok
}

func list(v any) []any {
	if v == nil {
		return nil
	}
	if l, ok := v.([]any); ok {
		return l
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return nil
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out
}

func isList(v any) bool {
	if v == nil {
		return false
	}
	k := reflect.ValueOf(v).Kind()
	return k == reflect.Slice || k == reflect.Array
}

func containsText(v, x any) bool {
	if v == nil || x == nil {
		return false
	}
	s := Stringify(x)
	if str, ok := v.(string); ok {
		return strings.Contains(str, s)
	}
	for _, e := range list(v) {
		if e != nil && Stringify(e) == s {
			return true
		}
	}
	return false
}

func listHas(l, x any) bool {
	if !isList(l) || isList(x) || x == nil {
		return false
	}
	for _, e := range list(l) {
		if eq, _ := twCompare(e, "==", x); eq {
			return true
		}
	}
	return false
}

// twCompare compares two scalars as TaskRouter does: numbers with numbers,
// strings with strings, booleans for equality; anything else is false (a
// missing key is NULL and matches nothing, not even !=).
func twCompare(a any, op string, b any) (bool, error) {
	if isNumber(a) && isNumber(b) {
		x, _ := number(a)
		y, _ := number(b)
		return compare(x, op, y)
	}
	if x, ok := a.(string); ok {
		if y, ok := b.(string); ok {
			return compare(x, op, y)
		}
	}
	if x, ok := a.(bool); ok {
		if y, ok := b.(bool); ok {
			switch op {
			case "==":
				return x == y, nil
			case "!=":
				return x != y, nil
			}
		}
	}
	return false, nil
}
