package rules

import (
	"strconv"
	"strings"
)

// ConnectVersion is the only version of Amazon Connect's Rules Function
// language.
const ConnectVersion = "2022-11-25"

// Connect operators this package supports, leaf operators first. Each leaf
// reads the value at ComparisonValue (a JSON path, $ being the event
// payload) and compares it with its Operands:
//
//	EQUALS                  one operand; the value as text equals it
//	CONTAINS                one operand; the value (a string) contains it, or (a list) holds it
//	CONTAINS_ANY            one or more operands; CONTAINS for at least one
//	NumberEqualTo, NumberGreaterThan, NumberGreaterOrEqualTo, NumberLessThan,
//	NumberLessOrEqualTo     one number operand (JSON number or numeric string)
//	AND, OR                 one or more nested conditions, no ComparisonValue
//
// Negate inverts a condition. FilterClause (Contact Lens participant roles,
// metric groupings) has no equivalent here and is refused.
var ConnectOperators = []string{"EQUALS", "CONTAINS", "CONTAINS_ANY", "NumberEqualTo", "NumberGreaterThan", "NumberGreaterOrEqualTo", "NumberLessThan", "NumberLessOrEqualTo", "AND", "OR"}

var numberOps = map[string]string{
	"NumberEqualTo": "==", "NumberGreaterThan": ">", "NumberGreaterOrEqualTo": ">=",
	"NumberLessThan": "<", "NumberLessOrEqualTo": "<=",
}

// ConnectFunction translates a Rules Function document
// ({"Version":"2022-11-25","RuleFunction":{...}}) into a condition. count is
// the number of leaf conditions. Errors are *Error located in src.
func ConnectFunction(src string) (cond string, count int, err error) {
	root, err := parseJSON(src)
	if err != nil {
		return "", 0, err
	}
	c := &connectTr{src: src}
	if root.kind != 'o' {
		return "", 0, c.fail(root.off, "a rule function is a JSON object, not "+root.kindName())
	}
	var version, fn *jnode
	for _, f := range root.obj {
		switch f.key {
		case "Version":
			version = f.val
		case "RuleFunction":
			fn = f.val
		default:
			return "", 0, c.fail(f.keyOff, "unknown field "+strconv.Quote(f.key)+"; want Version and RuleFunction")
		}
	}
	switch {
	case version == nil:
		return "", 0, c.fail(root.off, "missing Version")
	case version.kind != 's' || version.str != ConnectVersion:
		return "", 0, c.fail(version.off, "Version must be \""+ConnectVersion+"\"")
	case fn == nil:
		return "", 0, c.fail(root.off, "missing RuleFunction")
	}
	if err := c.node(fn, true); err != nil {
		return "", 0, err
	}
	return c.out.String(), c.count, nil
}

type connectTr struct {
	src   string
	out   strings.Builder
	count int
}

func (c *connectTr) fail(off int, msg string) *Error {
	return NewError(c.src, byteToRune(c.src, off), msg)
}

func (c *connectTr) node(n *jnode, top bool) error {
	if n.kind != 'o' {
		return c.fail(n.off, "a condition is a JSON object, not "+n.kindName())
	}
	var op, operands, path, negate *jnode
	for _, f := range n.obj {
		switch f.key {
		case "Operator":
			op = f.val
		case "Operands":
			operands = f.val
		case "ComparisonValue":
			path = f.val
		case "Negate":
			negate = f.val
		case "FilterClause":
			return c.fail(f.keyOff, "FilterClause is not supported")
		default:
			return c.fail(f.keyOff, "unknown field "+strconv.Quote(f.key))
		}
	}
	if op == nil {
		return c.fail(n.off, "missing Operator")
	}
	if op.kind != 's' {
		return c.fail(op.off, "Operator must be a string")
	}
	if operands == nil {
		return c.fail(n.off, "missing Operands")
	}
	if operands.kind != 'a' || len(operands.arr) == 0 {
		return c.fail(operands.off, "Operands must be a non-empty array")
	}
	neg := false
	if negate != nil {
		if negate.kind != 'b' {
			return c.fail(negate.off, "Negate must be true or false")
		}
		neg = negate.b
	}
	if neg {
		c.out.WriteString("!")
	}
	c.out.WriteString("(")
	defer c.out.WriteString(")")
	switch op.str {
	case "AND", "OR":
		if path != nil {
			return c.fail(path.off, op.str+" takes no ComparisonValue")
		}
		for i, o := range operands.arr {
			if i > 0 {
				if op.str == "AND" {
					c.out.WriteString(" && ")
				} else {
					c.out.WriteString(" || ")
				}
			}
			if err := c.node(o, false); err != nil {
				return err
			}
		}
		return nil
	}
	if top {
		return c.fail(op.off, "the top Operator must be AND or OR, not "+strconv.Quote(op.str))
	}
	if path == nil {
		return c.fail(n.off, "missing ComparisonValue")
	}
	if path.kind != 's' {
		return c.fail(path.off, "ComparisonValue must be a JSON path string")
	}
	value, perr := jsonPathExpr(path.str)
	if perr != "" {
		return c.fail(path.off, "ComparisonValue "+strconv.Quote(path.str)+": "+perr)
	}
	c.count++
	switch op.str {
	case "EQUALS", "CONTAINS":
		if len(operands.arr) != 1 {
			return c.fail(operands.off, op.str+" takes exactly one operand")
		}
		s, err := c.scalar(operands.arr[0])
		if err != nil {
			return err
		}
		fn := "equalsText"
		if op.str == "CONTAINS" {
			fn = "containsText"
		}
		c.out.WriteString(fn + "(" + value + ", " + strconv.Quote(s) + ")")
	case "CONTAINS_ANY":
		c.out.WriteString("containsAny(" + value + ", [")
		for i, o := range operands.arr {
			s, err := c.scalar(o)
			if err != nil {
				return err
			}
			if i > 0 {
				c.out.WriteString(", ")
			}
			c.out.WriteString(strconv.Quote(s))
		}
		c.out.WriteString("])")
	default:
		cmp, ok := numberOps[op.str]
		if !ok {
			return c.fail(op.off, "unknown Operator "+strconv.Quote(op.str))
		}
		if len(operands.arr) != 1 {
			return c.fail(operands.off, op.str+" takes exactly one operand")
		}
		o := operands.arr[0]
		var f float64
		var err error
		switch o.kind {
		case 'n':
			f, err = o.num.Float64()
		case 's':
			f, err = strconv.ParseFloat(strings.TrimSpace(o.str), 64)
		default:
			return c.fail(o.off, op.str+" needs a number")
		}
		if err != nil {
			return c.fail(o.off, op.str+" needs a number")
		}
		c.out.WriteString("numberCompare(" + value + ", " + strconv.Quote(cmp) + ", " + strconv.FormatFloat(f, 'g', -1, 64) + ")")
	}
	return nil
}

func (c *connectTr) scalar(n *jnode) (string, error) {
	switch n.kind {
	case 's':
		return n.str, nil
	case 'n':
		return n.num.String(), nil
	case 'b':
		return strconv.FormatBool(n.b), nil
	}
	return "", c.fail(n.off, "an operand is a string, number or boolean, not "+n.kindName())
}

// jsonPathExpr turns a JSON path ($.a.b[0]['c d']) into an expr expression
// over event that yields nil where the path is missing. It returns a
// non-empty problem when the path is not of that form.
func jsonPathExpr(p string) (string, string) {
	if !strings.HasPrefix(p, "$") {
		return "", "must start with $"
	}
	var b strings.Builder
	b.WriteString("event")
	rest := p[1:]
	if rest == "" {
		return "", "must name a field"
	}
	for rest != "" {
		switch rest[0] {
		case '.':
			rest = rest[1:]
			i := strings.IndexAny(rest, ".[")
			if i < 0 {
				i = len(rest)
			}
			if i == 0 {
				return "", "empty field name"
			}
			b.WriteString("?.[" + strconv.Quote(rest[:i]) + "]")
			rest = rest[i:]
		case '[':
			j := strings.IndexByte(rest, ']')
			if j < 0 {
				return "", "unterminated ["
			}
			in := rest[1:j]
			switch {
			case len(in) >= 2 && (in[0] == '\'' || in[0] == '"') && in[len(in)-1] == in[0]:
				b.WriteString("?.[" + strconv.Quote(in[1:len(in)-1]) + "]")
			default:
				n, err := strconv.Atoi(in)
				if err != nil || n < 0 {
					return "", "bad index [" + in + "]"
				}
				b.WriteString("?.[" + strconv.Itoa(n) + "]")
			}
			rest = rest[j+1:]
		default:
			return "", "unexpected " + strconv.Quote(rest[:1])
		}
	}
	return b.String(), ""
}
