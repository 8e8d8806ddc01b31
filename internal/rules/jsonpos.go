package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// jnode is a JSON value with the byte offset where it starts, so that the
// Connect translator can point its errors into the document.
type jnode struct {
	off  int
	kind byte // 'o' object, 'a' array, 's' string, 'n' number, 'b' bool, 'z' null
	obj  []jfield
	arr  []*jnode
	str  string
	num  json.Number
	b    bool
}

type jfield struct {
	key    string
	keyOff int
	val    *jnode
}

func (n *jnode) kindName() string {
	switch n.kind {
	case 'o':
		return "an object"
	case 'a':
		return "an array"
	case 's':
		return "a string"
	case 'n':
		return "a number"
	case 'b':
		return "a boolean"
	}
	return "null"
}

// parseJSON parses src into jnodes. A syntax error is an *Error.
func parseJSON(src string) (*jnode, error) {
	data := []byte(src)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	start := func() int {
		o := int(dec.InputOffset())
		for o < len(data) {
			switch data[o] {
			case ' ', '\t', '\n', '\r', ',', ':':
				o++
				continue
			}
			break
		}
		return o
	}
	var value func(depth int) (*jnode, error)
	value = func(depth int) (*jnode, error) {
		if depth > 64 {
			return nil, NewError(src, byteToRune(src, start()), "nested too deeply")
		}
		off := start()
		tok, err := dec.Token()
		if err != nil {
			return nil, syntaxError(src, dec, err)
		}
		n := &jnode{off: off}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				n.kind = 'o'
				for dec.More() {
					koff := start()
					kt, err := dec.Token()
					if err != nil {
						return nil, syntaxError(src, dec, err)
					}
					k, _ := kt.(string)
					v, err := value(depth + 1)
					if err != nil {
						return nil, err
					}
					n.obj = append(n.obj, jfield{key: k, keyOff: koff, val: v})
				}
			case '[':
				n.kind = 'a'
				for dec.More() {
					v, err := value(depth + 1)
					if err != nil {
						return nil, err
					}
					n.arr = append(n.arr, v)
				}
			default:
				return nil, NewError(src, byteToRune(src, off), "unexpected "+string(t))
			}
			if _, err := dec.Token(); err != nil {
				return nil, syntaxError(src, dec, err)
			}
		case string:
			n.kind, n.str = 's', t
		case json.Number:
			n.kind, n.num = 'n', t
		case bool:
			n.kind, n.b = 'b', t
		case nil:
			n.kind = 'z'
		}
		return n, nil
	}
	n, err := value(0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, NewError(src, byteToRune(src, start()), "unexpected text after the JSON value")
	}
	return n, nil
}

func syntaxError(src string, dec *json.Decoder, err error) *Error {
	var se *json.SyntaxError
	off := int(dec.InputOffset())
	if errors.As(err, &se) {
		off = int(se.Offset)
		if off > 0 {
			off--
		}
	}
	msg := err.Error()
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		msg = "unexpected end of JSON"
		off = len(src)
	}
	return NewError(src, byteToRune(src, off), "invalid JSON: "+msg)
}
