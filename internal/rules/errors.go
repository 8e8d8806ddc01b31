// Package rules is the machinery of the rule engine: it compiles conditions
// and template strings with expr, translates Amazon Connect's Rules Function
// language and Twilio TaskRouter expressions into conditions, and indexes
// conditions by the equalities they require. It knows nothing of the Router;
// the switchboard package's rules.go is its public front.
package rules

import (
	"strings"
	"unicode/utf8"
)

// Error is a compile error located in the text the user wrote: Offset is the
// rune offset of the faulty spot, Line and Column count from 1 (Column in
// runes), Snippet is the offending line followed by a line with a caret
// under the column.
type Error struct {
	Offset  int
	Line    int
	Column  int
	Message string
	Snippet string
}

func (e *Error) Error() string {
	return itoa(e.Line) + ":" + itoa(e.Column) + ": " + e.Message
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// NewError locates the rune offset off in src. An offset past the end points
// just after the last rune.
func NewError(src string, off int, msg string) *Error {
	if off < 0 {
		off = 0
	}
	line, col, lineStart := 1, 1, 0
	n := 0
	for i, r := range src {
		if n == off {
			break
		}
		if r == '\n' {
			line++
			col = 1
			lineStart = i + 1
		} else {
			col++
		}
		n++
	}
	if n < off {
		off = n
	}
	end := strings.IndexByte(src[lineStart:], '\n')
	text := src[lineStart:]
	if end >= 0 {
		text = text[:end]
	}
	text = strings.TrimSuffix(text, "\r")
	// Tabs become spaces so that the caret lines up.
	text = strings.ReplaceAll(text, "\t", " ")
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "?")
	}
	snippet := text + "\n" + strings.Repeat(" ", col-1) + "^"
	return &Error{Offset: off, Line: line, Column: col, Message: msg, Snippet: snippet}
}

// byteToRune converts a byte offset in s to a rune offset.
func byteToRune(s string, b int) int {
	if b > len(s) {
		b = len(s)
	}
	return utf8.RuneCountInString(s[:b])
}
