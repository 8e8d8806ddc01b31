package switchboard

// The machinery behind the JSON form of docs/json.md: each model type lists
// its fields once (jsonFields, in json.go), each field names its key and a
// codec for its Go type, and the generic encoder and decoder here walk those
// lists. Decoding tracks the JSON path: every error is a *JSONError.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// JSONError reports a JSON document that does not decode into a switchboard
// type. Path names the offending place in the document in JavaScript
// notation, e.g. "routingCriteria.steps[0].expiry", "attributes.foo" or
// `references["order id"].type`; it is empty when the document as a whole is
// wrong (malformed JSON, data after the document, not an object). Err says
// what is wrong.
type JSONError struct {
	Path string
	Err  error
}

// Error returns "switchboard: json: PATH: ERR", or "switchboard: json: ERR"
// when Path is empty.
func (e *JSONError) Error() string {
	if e.Path == "" {
		return "switchboard: json: " + e.Err.Error()
	}
	return "switchboard: json: " + e.Path + ": " + e.Err.Error()
}

// Unwrap returns Err.
func (e *JSONError) Unwrap() error { return e.Err }

// at puts err below the path segment seg (a key, or "[i]"); nil stays nil.
func at(seg string, err error) error {
	if err == nil {
		return nil
	}
	je, ok := err.(*JSONError)
	if !ok {
		return &JSONError{Path: seg, Err: err}
	}
	p := seg
	if je.Path != "" && je.Path[0] != '[' {
		p += "."
	}
	return &JSONError{Path: p + je.Path, Err: je.Err}
}

// keySeg is the path segment of an object key: the key itself when it is a
// plain name, otherwise ["quoted"].
func keySeg(key string) string {
	plain := key != ""
	for _, r := range key {
		if !(r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			plain = false
			break
		}
	}
	if plain {
		return key
	}
	return "[" + strconv.Quote(key) + "]"
}

// fielder is a type with a JSON object form.
type fielder interface{ jsonFields() []field }

// field is one key of an object form, bound to the Go field it stands for.
type field struct {
	key string
	// required fields are always written and must be present on input.
	required bool
	b        binding
}

// binding is a Go field and its codec: one small allocation per field of a
// document encoded or decoded, where three closures were.
type binding interface {
	omit() bool
	enc() ([]byte, error)
	dec(raw []byte) error
}

type bound[T any] struct {
	p *T
	c codec[T]
}

func (b *bound[T]) omit() bool           { return b.c.omit(*b.p) }
func (b *bound[T]) enc() ([]byte, error) { return b.c.enc(*b.p) }
func (b *bound[T]) dec(raw []byte) (err error) {
	*b.p, err = b.c.dec(raw)
	return err
}

func (f *field) omit() bool           { return f.b.omit() }
func (f *field) enc() ([]byte, error) { return f.b.enc() }
func (f *field) dec(raw []byte) error { return f.b.dec(raw) }

// codec writes and reads one Go type. enc always produces a value; omit says
// when a field of the type is left out. dec returns plain errors for its own
// value and *JSONError for nested ones.
type codec[T any] struct {
	omit func(T) bool
	enc  func(T) ([]byte, error)
	dec  func(raw []byte) (T, error)
}

// fld binds key to *p.
func fld[T any](key string, p *T, c codec[T]) field {
	return field{key: key, b: &bound[T]{p: p, c: c}}
}

// marshalObject is MarshalJSON of every model type.
func marshalObject(o fielder) ([]byte, error) { return encodeFields(o.jsonFields()) }

// unmarshalObject is UnmarshalJSON of every model type: it decodes data into a
// fresh value and stores it in *p only when the whole document is good. A
// top-level null leaves *p alone, as encoding/json expects.
func unmarshalObject[T any, PT interface {
	*T
	fielder
}](data []byte, p PT) error {
	d := json.NewDecoder(bytes.NewReader(data))
	var raw json.RawMessage
	if err := d.Decode(&raw); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return &JSONError{Err: fmt.Errorf("malformed document: %w", err)}
	}
	if _, err := d.Token(); err != io.EOF {
		return &JSONError{Err: errors.New("data after the document")}
	}
	if kind(raw) == "null" {
		return nil
	}
	var v T
	if err := decodeFields(raw, PT(&v).jsonFields()); err != nil {
		if je, ok := err.(*JSONError); ok {
			return je
		}
		return &JSONError{Err: err}
	}
	*p = v
	return nil
}

func encodeFields(fields []field) ([]byte, error) {
	b := make([]byte, 1, 16*len(fields))
	b[0] = '{'
	for _, f := range fields {
		if !f.required && f.omit() {
			continue
		}
		v, err := f.enc()
		if err != nil {
			return nil, at(f.key, err)
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = append(append(strconv.AppendQuote(b, f.key), ':'), v...)
	}
	return append(b, '}'), nil
}

// appendString appends s as a JSON string, byte for byte as encoding/json
// writes it: the common string (printable ASCII with nothing to escape) is
// copied between quotes; any other goes through encoding/json, which
// escapes control characters, quotes, backslashes, <, > and &, U+2028 and
// U+2029, and replaces invalid UTF-8 (TestAppendStringMatchesEncodingJSON).
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c >= 0x80 {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func jsonString(s string) []byte { return appendString(make([]byte, 0, len(s)+2), s) }

func decodeFields(raw []byte, fields []field) error {
	if kind(raw) != "object" {
		return wantErr("an object", raw)
	}
	seen := make([]bool, len(fields))
	err := each(raw, func(key string, _ int, v []byte) error {
		i := slices.IndexFunc(fields, func(f field) bool { return f.key == key })
		switch {
		case i < 0:
			return at(keySeg(key), errors.New("unknown field"))
		case seen[i]:
			return at(key, errors.New("duplicate field"))
		}
		seen[i] = true
		if kind(v) == "null" && !fields[i].required {
			return nil
		}
		return at(key, fields[i].dec(v))
	})
	if err != nil {
		return err
	}
	for i, f := range fields {
		if f.required && !seen[i] {
			return at(f.key, errors.New("missing"))
		}
	}
	return nil
}

// each calls fn for every member of an object (key, -1) or element of an
// array ("", index) held in raw, which is valid JSON.
func each(raw []byte, fn func(key string, i int, v []byte) error) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	if _, err := d.Token(); err != nil {
		return err
	}
	object := raw[0] == '{'
	for i := 0; d.More(); i++ {
		key := ""
		if object {
			t, err := d.Token()
			if err != nil {
				return err
			}
			key, _ = t.(string)
		}
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			return err
		}
		if err := fn(key, i, v); err != nil {
			return err
		}
	}
	return nil
}

// kind names the JSON type of raw, a valid JSON value.
func kind(raw []byte) string {
	switch raw[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

func wantErr(want string, raw []byte) error {
	return fmt.Errorf("want %s, got %s", want, kind(raw))
}

// scalar is the codec of a comparable type left out when zero.
func scalar[T comparable](enc func(T) ([]byte, error), dec func(raw []byte) (T, error)) codec[T] {
	return codec[T]{omit: func(v T) bool { var z T; return v == z }, enc: enc, dec: dec}
}

func parseString(raw []byte) (string, error) {
	if kind(raw) != "string" {
		return "", wantErr("a string", raw)
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err
}

// strC is the codec of a string type whose values parse checks.
func strC[T ~string](parse func(string) (T, error)) codec[T] {
	return scalar(func(v T) ([]byte, error) { return jsonString(string(v)), nil }, func(raw []byte) (T, error) {
		s, err := parseString(raw)
		if err != nil {
			return "", err
		}
		return parse(s)
	})
}

// anyString accepts every string: open enums, IDs, names.
func anyString[T ~string](s string) (T, error) { return T(s), nil }

// enumOf accepts the empty string (unset) and the listed values.
func enumOf[T ~string](what string, values ...T) func(string) (T, error) {
	return func(s string) (T, error) {
		if s != "" && !slices.Contains(values, T(s)) {
			return "", fmt.Errorf("unknown %s %q", what, s)
		}
		return T(s), nil
	}
}

func intC[T ~int | ~int64 | ~uint64]() codec[T] {
	return scalar(func(v T) ([]byte, error) { return fmt.Appendf(nil, "%d", v), nil }, func(raw []byte) (T, error) {
		if kind(raw) != "number" {
			return 0, wantErr("an integer", raw)
		}
		s := string(raw)
		var z T
		if z--; z > 0 { // unsigned
			n, err := strconv.ParseUint(s, 10, 64)
			if err != nil && !errors.Is(err, strconv.ErrRange) {
				return 0, fmt.Errorf("want an integer ≥ 0, got %s", s)
			}
			if err != nil || uint64(T(n)) != n {
				return 0, fmt.Errorf("integer %s out of range", s)
			}
			return T(n), nil
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return 0, fmt.Errorf("want an integer, got %s", s)
		}
		if err != nil || int64(T(n)) != n {
			return 0, fmt.Errorf("integer %s out of range", s)
		}
		return T(n), nil
	})
}

var boolC = scalar(func(v bool) ([]byte, error) { return strconv.AppendBool(nil, v), nil }, func(raw []byte) (bool, error) {
	if kind(raw) != "boolean" {
		return false, wantErr("a boolean", raw)
	}
	return raw[0] == 't', nil
})

// timeC writes instants in UTC, RFC 3339 with nanoseconds; it reads any
// RFC 3339 offset and converts to UTC.
var timeC = codec[time.Time]{
	omit: time.Time.IsZero,
	enc: func(t time.Time) ([]byte, error) {
		b, err := t.UTC().MarshalText() // RFC 3339: nothing to escape
		if err != nil {
			return nil, err
		}
		return append(append([]byte{'"'}, b...), '"'), nil
	},
	dec: func(raw []byte) (time.Time, error) {
		s, err := parseString(raw)
		if err != nil {
			return time.Time{}, err
		}
		var t time.Time
		if err := t.UnmarshalText([]byte(s)); err != nil {
			return time.Time{}, fmt.Errorf("invalid time %q: want RFC 3339, like \"2026-01-02T15:04:05Z\"", s)
		}
		return t.UTC(), nil
	},
}

// formatDuration is d.String() without zero minutes and seconds: "7m", not
// "7m0s"; "168h", not "168h0m0s"; "1h30s", not "1h0m30s".
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return strings.Replace(s, "h0m", "h", 1)
}

// durationC writes formatDuration strings and reads any time.ParseDuration
// string or a JSON integer of seconds ≥ 0.
var durationC = scalar(func(d time.Duration) ([]byte, error) { return jsonString(formatDuration(d)), nil }, func(raw []byte) (time.Duration, error) {
	switch kind(raw) {
	case "string":
		s, err := parseString(raw)
		if err != nil {
			return 0, err
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		return d, nil
	case "number":
		n, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) || n < 0 {
			return 0, fmt.Errorf("invalid duration %s: want a string like \"30s\" or whole seconds ≥ 0", raw)
		}
		if err != nil || n > math.MaxInt64/int64(time.Second) {
			return 0, fmt.Errorf("invalid duration %s: out of range", raw)
		}
		return time.Duration(n) * time.Second, nil
	}
	return 0, wantErr("a duration", raw)
})

// errorC writes an error as its message and reads a message back as an error.
var errorC = codec[error]{
	omit: func(err error) bool { return err == nil },
	enc:  func(err error) ([]byte, error) { return jsonString(err.Error()), nil },
	dec: func(raw []byte) (error, error) {
		s, err := parseString(raw)
		if err != nil {
			return nil, err
		}
		return errors.New(s), nil
	},
}

// weekdayC writes a weekday as "SUNDAY".."SATURDAY", as Amazon Connect does.
var weekdayC = scalar(func(d time.Weekday) ([]byte, error) {
	if d < time.Sunday || d > time.Saturday {
		return nil, fmt.Errorf("weekday %d out of range", int(d))
	}
	return jsonString(strings.ToUpper(d.String())), nil
}, func(raw []byte) (time.Weekday, error) {
	s, err := parseString(raw)
	if err != nil {
		return 0, err
	}
	for d := time.Sunday; d <= time.Saturday; d++ {
		if s == strings.ToUpper(d.String()) {
			return d, nil
		}
	}
	return 0, fmt.Errorf("unknown weekday %q", s)
})

// objC is the codec of a struct type with an object form, left out when all
// its fields are.
func objC[T any, PT interface {
	*T
	fielder
}]() codec[T] {
	return codec[T]{
		omit: func(v T) bool {
			for _, f := range PT(&v).jsonFields() {
				if f.required || !f.omit() {
					return false
				}
			}
			return true
		},
		enc: func(v T) ([]byte, error) { return encodeFields(PT(&v).jsonFields()) },
		dec: func(raw []byte) (T, error) {
			var v T
			err := decodeFields(raw, PT(&v).jsonFields())
			return v, err
		},
	}
}

// ptrC is the codec of *T: left out when nil, written (even when empty)
// otherwise.
func ptrC[T any](c codec[T]) codec[*T] {
	return codec[*T]{
		omit: func(p *T) bool { return p == nil },
		enc:  func(p *T) ([]byte, error) { return c.enc(*p) },
		dec: func(raw []byte) (*T, error) {
			v, err := c.dec(raw)
			if err != nil {
				return nil, err
			}
			return &v, nil
		},
	}
}

// sliceC is the codec of []T as an array. It is left out when empty and
// reads [] as nil, unless keepEmpty: then only nil is left out and [] reads
// as an empty slice (for Requirement, where set-but-empty means something).
func sliceC[T any](elem codec[T], keepEmpty bool) codec[[]T] {
	return codec[[]T]{
		omit: func(v []T) bool { return v == nil || !keepEmpty && len(v) == 0 },
		enc: func(v []T) ([]byte, error) {
			b := []byte{'['}
			for i, x := range v {
				e, err := elem.enc(x)
				if err != nil {
					return nil, at("["+strconv.Itoa(i)+"]", err)
				}
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, e...)
			}
			return append(b, ']'), nil
		},
		dec: func(raw []byte) ([]T, error) {
			if kind(raw) != "array" {
				return nil, wantErr("an array", raw)
			}
			var out []T
			if keepEmpty {
				out = []T{}
			}
			err := each(raw, func(_ string, i int, v []byte) error {
				x, err := elem.dec(v)
				out = append(out, x)
				return at("["+strconv.Itoa(i)+"]", err)
			})
			return out, err
		},
	}
}

// mapC is the codec of a map as an object keyed by the key's string; parse
// checks keys. It is left out when empty and reads {} as nil.
func mapC[K ~string, V any](parse func(string) (K, error), val codec[V]) codec[map[K]V] {
	return codec[map[K]V]{
		omit: func(m map[K]V) bool { return len(m) == 0 },
		enc: func(m map[K]V) ([]byte, error) {
			keys := make([]K, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			b := []byte{'{'}
			for i, k := range keys {
				e, err := val.enc(m[k])
				if err != nil {
					return nil, at(keySeg(string(k)), err)
				}
				if i > 0 {
					b = append(b, ',')
				}
				b = append(append(appendString(b, string(k)), ':'), e...)
			}
			return append(b, '}'), nil
		},
		dec: func(raw []byte) (map[K]V, error) {
			if kind(raw) != "object" {
				return nil, wantErr("an object", raw)
			}
			var out map[K]V
			err := each(raw, func(s string, _ int, v []byte) error {
				k, err := parse(s)
				if err != nil {
					return at(keySeg(s), err)
				}
				if _, dup := out[k]; dup {
					return at(keySeg(s), errors.New("duplicate key"))
				}
				x, err := val.dec(v)
				if err != nil {
					return at(keySeg(s), err)
				}
				if out == nil {
					out = map[K]V{}
				}
				out[k] = x
				return nil
			})
			return out, err
		},
	}
}
