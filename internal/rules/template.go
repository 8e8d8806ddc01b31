package rules

import (
	"strings"

	"github.com/expr-lang/expr/vm"
)

// Template is a string whose {{ expr }} parts are expressions, compiled
// once and rendered per event. Literal braces are written {{ "{{" }}.
type Template struct {
	Source string
	parts  []part
}

type part struct {
	text string      // literal text, when prog is nil
	prog *vm.Program // an expression
}

// Template compiles src. An unterminated {{ or an expression that does not
// compile is an *Error located in src.
func (c *Compiler) Template(src string) (*Template, error) {
	t := &Template{Source: src}
	rest, base := src, 0 // base: byte offset of rest in src
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			if rest != "" {
				t.parts = append(t.parts, part{text: rest})
			}
			return t, nil
		}
		if i > 0 {
			t.parts = append(t.parts, part{text: rest[:i]})
		}
		j := strings.Index(rest[i+2:], "}}")
		if j < 0 {
			return nil, NewError(src, byteToRune(src, base+i), "unterminated {{: missing }}")
		}
		code := rest[i+2 : i+2+j]
		if strings.TrimSpace(code) == "" {
			return nil, NewError(src, byteToRune(src, base+i), "empty {{ }}")
		}
		prog, err := c.Value(code)
		if err != nil {
			e := err.(*Error)
			return nil, NewError(src, byteToRune(src, base+i+2)+e.Offset, e.Message)
		}
		t.parts = append(t.parts, part{prog: prog})
		rest = rest[i+2+j+2:]
		base += i + 2 + j + 2
	}
}

// Constant reports the template's text when it has no expression.
func (t *Template) Constant() (string, bool) {
	switch len(t.parts) {
	case 0:
		return "", true
	case 1:
		if t.parts[0].prog == nil {
			return t.parts[0].text, true
		}
	}
	return "", false
}

// Render runs the template's expressions on m against env.
func (t *Template) Render(m *vm.VM, env any) (string, error) {
	if s, ok := t.Constant(); ok {
		return s, nil
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.prog == nil {
			b.WriteString(p.text)
			continue
		}
		v, err := m.Run(p.prog, env)
		if err != nil {
			return "", err
		}
		b.WriteString(Stringify(v))
	}
	return b.String(), nil
}
