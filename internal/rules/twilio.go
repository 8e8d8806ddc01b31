package rules

import (
	"strconv"
	"strings"
)

// TwilioOptions says what TaskRouter's key prefixes stand for.
type TwilioOptions struct {
	// Task is the expression task.x keys (and keys without a prefix) read
	// from, e.g. "event".
	Task string
	// Worker is the expression worker.x keys read from; empty refuses them.
	Worker string
}

// Twilio translates a TaskRouter expression into a condition. Supported:
// ==, = (as ==), !=, <, <=, >, >=, CONTAINS, HAS, IN, NOT IN, AND, OR,
// parentheses; keys with dots and [i] indices, task. and worker. prefixes;
// strings in '…' or "…", numbers, true, false and [lists]. Keywords are
// matched ignoring case. The semantics are TaskRouter's (see the tw*
// helpers): a missing key is NULL and compares false; scalar operators on
// lists and list operators on scalars are false. count is the number of
// comparisons. Errors are *Error located in src, the original text.
func Twilio(src string, opts TwilioOptions) (cond string, count int, err error) {
	p := &twParser{src: src, opts: opts}
	if err := p.lex(); err != nil {
		return "", 0, err
	}
	if len(p.toks) == 1 {
		return "", 0, p.fail(p.toks[0], "empty expression")
	}
	out, err := p.or(0)
	if err != nil {
		return "", 0, err
	}
	if t := p.peek(); t.kind != twEOF {
		return "", 0, p.fail(t, "unexpected "+strconv.Quote(t.text))
	}
	return out, p.count, nil
}

type twKind int

const (
	twEOF twKind = iota
	twIdent
	twString
	twNumber
	twOp    // == = != < <= > >=
	twPunct // ( ) [ ] ,
)

type twTok struct {
	kind twKind
	text string // as written (for strings: the unquoted value)
	off  int    // byte offset in src
}

type twParser struct {
	src   string
	opts  TwilioOptions
	toks  []twTok
	pos   int
	count int
}

func (p *twParser) fail(t twTok, msg string) *Error {
	return NewError(p.src, byteToRune(p.src, t.off), msg)
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdent(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

func (p *twParser) lex() error {
	s := p.src
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(s) && s[j] != c {
				j++
			}
			if j == len(s) {
				return p.fail(twTok{off: i}, "unterminated string")
			}
			p.toks = append(p.toks, twTok{twString, s[i+1 : j], i})
			i = j + 1
		case c >= '0' && c <= '9' || c == '-' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' && p.valueExpected():
			j := i + 1
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
				j++
			}
			if _, err := strconv.ParseFloat(s[i:j], 64); err != nil {
				return p.fail(twTok{off: i}, "bad number "+strconv.Quote(s[i:j]))
			}
			if j < len(s) && isIdentStart(s[j]) {
				return p.fail(twTok{off: j}, "unexpected "+strconv.Quote(s[j:j+1])+" after a number")
			}
			p.toks = append(p.toks, twTok{twNumber, s[i:j], i})
			i = j
		case isIdentStart(c):
			j := i
			for j < len(s) {
				if isIdent(s[j]) || s[j] == '.' {
					j++
					continue
				}
				if s[j] == '[' {
					k := j + 1
					for k < len(s) && s[k] >= '0' && s[k] <= '9' {
						k++
					}
					if k > j+1 && k < len(s) && s[k] == ']' {
						j = k + 1
						continue
					}
				}
				break
			}
			if j < len(s) && s[j] == '-' && j+1 < len(s) && isIdent(s[j+1]) {
				return p.fail(twTok{off: j}, "hyphens are not supported in TaskRouter expressions")
			}
			p.toks = append(p.toks, twTok{twIdent, s[i:j], i})
			i = j
		case c == '=' || c == '!' || c == '<' || c == '>':
			j := i + 1
			if j < len(s) && s[j] == '=' {
				j++
			}
			op := s[i:j]
			if op == "!" {
				return p.fail(twTok{off: i}, "unexpected \"!\"; use !=")
			}
			p.toks = append(p.toks, twTok{twOp, op, i})
			i = j
		case c == '(' || c == ')' || c == '[' || c == ']' || c == ',':
			p.toks = append(p.toks, twTok{twPunct, s[i : i+1], i})
			i++
		default:
			r := []rune(s[i:])[0]
			return p.fail(twTok{off: i}, "unexpected "+strconv.QuoteRune(r))
		}
	}
	p.toks = append(p.toks, twTok{twEOF, "end of expression", len(s)})
	return nil
}

// valueExpected reports whether a '-' here starts a negative number (after
// an operator, a comma, an opening bracket or at the start).
func (p *twParser) valueExpected() bool {
	if len(p.toks) == 0 {
		return true
	}
	t := p.toks[len(p.toks)-1]
	return t.kind == twOp || t.kind == twPunct && t.text != ")" && t.text != "]" || t.kind == twIdent && isKeyword(t.text)
}

func isKeyword(s string) bool {
	switch strings.ToUpper(s) {
	case "AND", "OR", "CONTAINS", "HAS", "IN", "NOT":
		return true
	}
	return false
}

func (p *twParser) peek() twTok { return p.toks[p.pos] }
func (p *twParser) next() twTok { t := p.toks[p.pos]; p.pos++; return t }

func (p *twParser) isWord(t twTok, w string) bool {
	return t.kind == twIdent && strings.EqualFold(t.text, w)
}

const twMaxDepth = 64

func (p *twParser) or(depth int) (string, error) {
	left, err := p.and(depth)
	if err != nil {
		return "", err
	}
	for p.isWord(p.peek(), "OR") {
		p.next()
		right, err := p.and(depth)
		if err != nil {
			return "", err
		}
		left = left + " || " + right
	}
	return left, nil
}

func (p *twParser) and(depth int) (string, error) {
	left, err := p.cmp(depth)
	if err != nil {
		return "", err
	}
	for p.isWord(p.peek(), "AND") {
		p.next()
		right, err := p.cmp(depth)
		if err != nil {
			return "", err
		}
		left = left + " && " + right
	}
	return left, nil
}

func (p *twParser) cmp(depth int) (string, error) {
	t := p.peek()
	if t.kind == twPunct && t.text == "(" {
		if depth >= twMaxDepth {
			return "", p.fail(t, "parentheses nested too deeply")
		}
		p.next()
		inner, err := p.or(depth + 1)
		if err != nil {
			return "", err
		}
		if c := p.next(); c.kind != twPunct || c.text != ")" {
			return "", p.fail(c, "expected \")\", found "+strconv.Quote(c.text))
		}
		return "(" + inner + ")", nil
	}
	left, err := p.operand()
	if err != nil {
		return "", err
	}
	op := p.next()
	var format func(a, b string) string
	switch {
	case op.kind == twOp:
		o := op.text
		if o == "=" {
			o = "=="
		}
		format = func(a, b string) string { return "twCompare(" + a + ", " + strconv.Quote(o) + ", " + b + ")" }
	case p.isWord(op, "CONTAINS"):
		format = func(a, b string) string { return "twContains(" + a + ", " + b + ")" }
	case p.isWord(op, "HAS"):
		format = func(a, b string) string { return "twHas(" + a + ", " + b + ")" }
	case p.isWord(op, "IN"):
		format = func(a, b string) string { return "twIn(" + a + ", " + b + ")" }
	case p.isWord(op, "NOT"):
		if in := p.next(); !p.isWord(in, "IN") {
			return "", p.fail(in, "expected IN after NOT")
		}
		format = func(a, b string) string { return "twNotIn(" + a + ", " + b + ")" }
	default:
		return "", p.fail(op, "expected an operator (==, !=, <, <=, >, >=, CONTAINS, HAS, IN, NOT IN), found "+strconv.Quote(op.text))
	}
	right, err := p.operand()
	if err != nil {
		return "", err
	}
	p.count++
	return format(left, right), nil
}

func (p *twParser) operand() (string, error) {
	t := p.next()
	switch t.kind {
	case twString:
		return strconv.Quote(t.text), nil
	case twNumber:
		f, _ := strconv.ParseFloat(t.text, 64)
		return strconv.FormatFloat(f, 'g', -1, 64), nil
	case twIdent:
		switch strings.ToLower(t.text) {
		case "true", "false":
			return strings.ToLower(t.text), nil
		case "null":
			return "nil", nil
		}
		if isKeyword(t.text) {
			return "", p.fail(t, "expected a value, found "+strconv.Quote(t.text))
		}
		return p.key(t)
	case twPunct:
		if t.text == "[" {
			var items []string
			for {
				if c := p.peek(); c.kind == twPunct && c.text == "]" && len(items) == 0 {
					p.next()
					return "[]", nil
				}
				v := p.next()
				switch v.kind {
				case twString:
					items = append(items, strconv.Quote(v.text))
				case twNumber:
					f, _ := strconv.ParseFloat(v.text, 64)
					items = append(items, strconv.FormatFloat(f, 'g', -1, 64))
				default:
					if p.isWord(v, "true") || p.isWord(v, "false") {
						items = append(items, strings.ToLower(v.text))
						break
					}
					return "", p.fail(v, "a list holds strings, numbers and booleans, found "+strconv.Quote(v.text))
				}
				c := p.next()
				if c.kind == twPunct && c.text == "]" {
					return "[" + strings.Join(items, ", ") + "]", nil
				}
				if c.kind != twPunct || c.text != "," {
					return "", p.fail(c, "expected \",\" or \"]\" in a list, found "+strconv.Quote(c.text))
				}
			}
		}
	}
	return "", p.fail(t, "expected a key or a value, found "+strconv.Quote(t.text))
}

// key translates task.a.b[2] into root?.["a"]?.["b"]?.[2].
func (p *twParser) key(t twTok) (string, error) {
	s := t.text
	root := p.opts.Task
	i := 0
	head := s
	if j := strings.IndexAny(s, ".["); j >= 0 {
		head = s[:j]
	}
	switch head {
	case "task":
		i = len(head)
	case "worker":
		if p.opts.Worker == "" {
			return "", p.fail(t, "worker keys are not available here")
		}
		root, i = p.opts.Worker, len(head)
	}
	if root == "" {
		return "", p.fail(t, "task keys are not available here")
	}
	var b strings.Builder
	b.WriteString(root)
	if i == 0 {
		s = "." + s // a key without prefix reads the task
	} else {
		s = s[i:]
	}
	if s == "" {
		return "", p.fail(t, "a key needs a field after "+strconv.Quote(head))
	}
	for k := 0; k < len(s); {
		switch s[k] {
		case '.':
			e := k + 1
			for e < len(s) && isIdent(s[e]) {
				e++
			}
			if e == k+1 {
				return "", p.fail(t, "empty field name in key "+strconv.Quote(t.text))
			}
			b.WriteString("?.[" + strconv.Quote(s[k+1:e]) + "]")
			k = e
		case '[':
			e := strings.IndexByte(s[k:], ']')
			if e < 0 {
				return "", p.fail(t, "unterminated [ in key")
			}
			n, err := strconv.Atoi(s[k+1 : k+e])
			if err != nil || n < 0 {
				return "", p.fail(t, "bad index ["+s[k+1:k+e]+"] in key")
			}
			b.WriteString("?.[" + strconv.Itoa(n) + "]")
			k += e + 1
		default:
			return "", p.fail(t, "bad key "+strconv.Quote(t.text))
		}
	}
	return b.String(), nil
}
