package switchboard

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var (
	updateGolden = flag.Bool("update", false, "rewrite the golden files of TestJSONGolden")
)

func countFields(v any) int { return reflect.TypeOf(v).NumField() }

// TestJSONGolden compares the indented form of one value per type with
// testdata/json/NAME.json (-update rewrites them), and reads each file back.
func TestJSONGolden(t *testing.T) {
	for _, c := range jsonCases() {
		t.Run(c.name, func(t *testing.T) {
			got, err := json.MarshalIndent(c.value, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "json", c.name+".json")
			if *updateGolden {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestJSONGolden -update)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s differs (-file +now; -update rewrites it):\n%s", path, diff)
			}
			back, err := c.decode(want)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.value, back, jsonCmp); diff != "" {
				t.Errorf("%s reads back differently (-want +got):\n%s", path, diff)
			}
		})
	}
}

// TestJSONCoversEveryField fails when a struct gains a field without a JSON
// key: add a fld line to the type's jsonFields in json.go.
func TestJSONCoversEveryField(t *testing.T) {
	for _, c := range jsonCases() {
		if c.fields != c.keys {
			t.Errorf("%T has %d fields but %d JSON keys: add the new field to its jsonFields in json.go and to docs/json.md", c.value, c.fields, c.keys)
		}
	}
}

// TestJSONEnumsComplete fails when a constant of a closed enum, declared in
// the package's sources, does not decode: add it to its list in json.go.
func TestJSONEnumsComplete(t *testing.T) {
	decoders := map[string]func([]byte) error{
		"Channel":          decodes(channelC),
		"TaskState":        decodes(taskStateC),
		"InitiationMethod": decodes(initiationMethodC),
		"DisconnectReason": decodes(disconnectReasonC),
		"ReferenceType":    decodes(referenceTypeC),
		"CrossChannel":     decodes(crossChannelC),
		"OverrideType":     decodes(overrideTypeC),
		"BlockReason":      decodes(blockReasonC),
		"EventType":        decodes(eventTypeC),
		"TemplateStatus":   decodes(templateStatusC),
		"FieldType":        decodes(fieldTypeC),
		"QuickConnectType": decodes(quickConnectTypeC),
		"FlowOutcome":      decodes(flowOutcomeC),
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				typ, ok := vs.Type.(*ast.Ident)
				if !ok || decoders[typ.Name] == nil {
					continue
				}
				for _, v := range vs.Values {
					lit, ok := v.(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					seen[typ.Name]++
					if err := decoders[typ.Name]([]byte(lit.Value)); err != nil {
						t.Errorf("%s: %s %s does not decode (%v): add it to its list in json.go", fset.Position(lit.Pos()), typ.Name, lit.Value, err)
					}
				}
			}
		}
	}
	for name := range decoders {
		if seen[name] == 0 {
			t.Errorf("found no constants of %s", name)
		}
	}
}

func decodes[T any](c codec[T]) func([]byte) error {
	return func(raw []byte) error {
		if s, err := strconv.Unquote(string(raw)); err == nil {
			raw, _ = json.Marshal(s)
		}
		_, err := c.dec(raw)
		return err
	}
}

// TestJSONRoundTrip: decode(encode(v)) equals v for random values of every
// type.
func TestJSONRoundTrip(t *testing.T) {
	seed := testSeed(t)
	r := rand.New(rand.NewPCG(seed, 0))
	g := jsonGen{r}
	for _, gen := range jsonGenerators() {
		for i := range 200 {
			c := gen(g)
			b, err := json.Marshal(c.value)
			if err != nil {
				t.Fatalf("seed %d: %s #%d: marshal: %v", seed, c.name, i, err)
			}
			back, err := c.decode(b)
			if err != nil {
				t.Fatalf("seed %d: %s #%d: %v\n%s", seed, c.name, i, err, b)
			}
			if diff := cmp.Diff(c.value, back, jsonCmp); diff != "" {
				t.Fatalf("seed %d (replay: -switchboard.seed=%[1]d): %s #%d round trip (-want +got):\n%s\n%s", seed, c.name, i, diff, b)
			}
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Second:                   "30s",
		7 * time.Minute:                    "7m",
		90 * time.Minute:                   "1h30m",
		1500 * time.Millisecond:            "1.5s",
		7 * 24 * time.Hour:                 "168h",
		time.Hour + 30*time.Second:         "1h30s",
		time.Hour + 500*time.Millisecond:   "1h0.5s",
		-5 * time.Minute:                   "-5m",
		250 * time.Millisecond:             "250ms",
		2*time.Hour + 10*time.Minute + 5:   "2h10m0.000000005s",
		time.Minute + 500*time.Millisecond: "1m0.5s",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
		if back, err := time.ParseDuration(want); err != nil || back != d {
			t.Errorf("ParseDuration(%q) = %v, %v", want, back, err)
		}
	}
}

// TestJSONAccepts covers inputs that are not the written form but mean the
// same: integer seconds, other offsets, null.
func TestJSONAccepts(t *testing.T) {
	var in TaskInput
	doc := `{"name":"a","expiry":1800,"queueTimeAdjustment":"-1.5h","scheduledAt":"2026-11-24T10:30:00+01:00",
		"routingCriteria":null,"attributes":null,"channel":"","references":{"r":{"type":"URL","value":"u"}}}`
	if err := json.Unmarshal([]byte(doc), &in); err != nil {
		t.Fatal(err)
	}
	want := TaskInput{
		Name: "a", Expiry: 30 * time.Minute, QueueTimeAdjustment: -90 * time.Minute,
		ScheduledAt: time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC),
		References:  map[string]Reference{"r": {Type: ReferenceURL, Value: "u"}},
	}
	if diff := cmp.Diff(want, in, jsonCmp); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if in.ScheduledAt.Location() != time.UTC {
		t.Errorf("ScheduledAt in %v, want UTC", in.ScheduledAt.Location())
	}
	// A top-level null leaves the value alone, as encoding/json expects.
	if err := json.Unmarshal([]byte("null"), &in); err != nil || in.Name != "a" {
		t.Errorf("null: %v, %+v", err, in)
	}
	// A bad document leaves it alone too.
	if err := json.Unmarshal([]byte(`{"name":"b","channel":"FAX"}`), &in); err == nil || in.Name != "a" {
		t.Errorf("bad document: %v, name %q", err, in.Name)
	}
}

type badJSON struct {
	into func() json.Unmarshaler
	doc  string
	want string
}

func intoTaskInput() json.Unmarshaler { return new(TaskInput) }

// badJSONDocs are documents that do not decode, with their exact errors.
var badJSONDocs = []badJSON{
	{intoTaskInput, `{"nmae":"x"}`, `switchboard: json: nmae: unknown field`},
	{intoTaskInput, `{"name":"x","routingCriteria":{"steps":[{"expiry":"30s","requirment":{}}]}}`, `switchboard: json: routingCriteria.steps[0].requirment: unknown field`},
	{intoTaskInput, `{"references":{"order id":{"type":"URL","valu":"x"}}}`, `switchboard: json: references["order id"].valu: unknown field`},
	{intoTaskInput, `{"attributes":{"foo":1}}`, `switchboard: json: attributes.foo: want a string, got number`},
	{intoTaskInput, `{"attributes":[]}`, `switchboard: json: attributes: want an object, got array`},
	{intoTaskInput, `{"attributes":{"a":"1","a":"2"}}`, `switchboard: json: attributes.a: duplicate key`},
	{intoTaskInput, `{"name":"a","name":"b"}`, `switchboard: json: name: duplicate field`},
	{intoTaskInput, `{"name":true}`, `switchboard: json: name: want a string, got boolean`},
	{intoTaskInput, `{"routingCriteria":{"steps":[{"expiry":"x"}]}}`, `switchboard: json: routingCriteria.steps[0].expiry: invalid duration "x"`},
	{intoTaskInput, `{"expiry":"7 days"}`, `switchboard: json: expiry: invalid duration "7 days"`},
	{intoTaskInput, `{"expiry":-5}`, `switchboard: json: expiry: invalid duration -5: want a string like "30s" or whole seconds ≥ 0`},
	{intoTaskInput, `{"expiry":1.5}`, `switchboard: json: expiry: invalid duration 1.5: want a string like "30s" or whole seconds ≥ 0`},
	{intoTaskInput, `{"expiry":9300000000}`, `switchboard: json: expiry: invalid duration 9300000000: out of range`},
	{intoTaskInput, `{"expiry":{}}`, `switchboard: json: expiry: want a duration, got object`},
	{intoTaskInput, `{"scheduledAt":"tomorrow"}`, `switchboard: json: scheduledAt: invalid time "tomorrow": want RFC 3339, like "2026-01-02T15:04:05Z"`},
	{intoTaskInput, `{"scheduledAt":1700000000}`, `switchboard: json: scheduledAt: want a string, got number`},
	{intoTaskInput, `{"channel":"FAX"}`, `switchboard: json: channel: unknown channel "FAX"`},
	{intoTaskInput, `{"initiationMethod":"api"}`, `switchboard: json: initiationMethod: unknown initiation method "api"`},
	{intoTaskInput, `{"references":{"order":{"type":"PDF"}}}`, `switchboard: json: references.order.type: unknown reference type "PDF"`},
	{intoTaskInput, `{"priority":"high"}`, `switchboard: json: priority: want an integer, got string`},
	{intoTaskInput, `{"priority":1.5}`, `switchboard: json: priority: want an integer, got 1.5`},
	{intoTaskInput, `{"priority":1e40}`, `switchboard: json: priority: want an integer, got 1e40`},
	{intoTaskInput, `{"priority":99999999999999999999}`, `switchboard: json: priority: integer 99999999999999999999 out of range`},
	{intoTaskInput, `{"routingCriteria":{"steps":[null]}}`, `switchboard: json: routingCriteria.steps[0]: want an object, got null`},
	{intoTaskInput, `{"routingCriteria":{"steps":{}}}`, `switchboard: json: routingCriteria.steps: want an array, got object`},
	{intoTaskInput, `{"routingCriteria":"fast"}`, `switchboard: json: routingCriteria: want an object, got string`},
	{intoTaskInput, `{"routingCriteria":{"steps":[{"requirement":{"and":[{"attribute":{"name":"L","value":"F","minLevel":"4"}}]}}]}}`, `switchboard: json: routingCriteria.steps[0].requirement.and[0].attribute.minLevel: want an integer, got string`},
	{intoTaskInput, `{"routingCriteria":{"steps":[{"requirement":{"preferred":["ana",7]}}]}}`, `switchboard: json: routingCriteria.steps[0].requirement.preferred[1]: want a string, got number`},
	{intoTaskInput, `{"name":"a"} x`, `switchboard: json: data after the document`},
	{intoTaskInput, `{"name":"a"}{}`, `switchboard: json: data after the document`},
	{intoTaskInput, `[]`, `switchboard: json: want an object, got array`},
	{intoTaskInput, `"name"`, `switchboard: json: want an object, got string`},
	{intoTaskInput, `{"name":`, `switchboard: json: malformed document: unexpected EOF`},
	{intoTaskInput, ``, `switchboard: json: malformed document: unexpected EOF`},
	{intoTaskInput, `{"name" "a"}`, `switchboard: json: malformed document: invalid character '"' after object key`},
	{func() json.Unmarshaler { return new(Task) }, `{"sequence":-1}`, `switchboard: json: sequence: want an integer ≥ 0, got -1`},
	{func() json.Unmarshaler { return new(Task) }, `{"state":"DONE"}`, `switchboard: json: state: unknown task state "DONE"`},
	{func() json.Unmarshaler { return new(Task) }, `{"rejectedBy":"ana"}`, `switchboard: json: rejectedBy: want an array, got string`},
	{func() json.Unmarshaler { return new(Task) }, `{"disconnectReason":"BORED"}`, `switchboard: json: disconnectReason: unknown disconnect reason "BORED"`},
	{func() json.Unmarshaler { return new(Stats) }, `{"tasksByState":{"DONE":1}}`, `switchboard: json: tasksByState.DONE: unknown task state "DONE"`},
	{func() json.Unmarshaler { return new(Agent) }, `{"afterContactWorkLimit":{"FAX":"30s"}}`, `switchboard: json: afterContactWorkLimit.FAX: unknown channel "FAX"`},
	{func() json.Unmarshaler { return new(Agent) }, `{"afterContactWorkLimit":{"TASK":"soon"}}`, `switchboard: json: afterContactWorkLimit.TASK: invalid duration "soon"`},
	{func() json.Unmarshaler { return new(Agent) }, `{"autoAccept":["TASK","SMS"]}`, `switchboard: json: autoAccept[1]: unknown channel "SMS"`},
	{func() json.Unmarshaler { return new(Agent) }, `{"status":5}`, `switchboard: json: status: want a string, got number`},
	{func() json.Unmarshaler { return new(Agent) }, `{"blocked":"BUSY"}`, `switchboard: json: blocked: unknown block reason "BUSY"`},
	{func() json.Unmarshaler { return new(Queue) }, `{"hours":{"ranges":[{"start":"9h"}]}}`, `switchboard: json: hours.ranges[0].day: missing`},
	{func() json.Unmarshaler { return new(Queue) }, `{"hours":{"ranges":[{"day":null}]}}`, `switchboard: json: hours.ranges[0].day: want a string, got null`},
	{func() json.Unmarshaler { return new(Queue) }, `{"hours":{"ranges":[{"day":"FUNDAY"}]}}`, `switchboard: json: hours.ranges[0].day: unknown weekday "FUNDAY"`},
	{func() json.Unmarshaler { return new(Queue) }, `{"disabled":"yes"}`, `switchboard: json: disabled: want a boolean, got string`},
	{func() json.Unmarshaler { return new(Queue) }, `{"hours":{"overrides":[{"type":"SOMETIMES"}]}}`, `switchboard: json: hours.overrides[0].type: unknown override type "SOMETIMES"`},
	{func() json.Unmarshaler { return new(RoutingProfile) }, `{"concurrency":[{"channel":"CHAT","crossChannel":"ALL"}]}`, `switchboard: json: concurrency[0].crossChannel: unknown cross-channel behaviour "ALL"`},
	{func() json.Unmarshaler { return new(Event) }, `{"type":"task.exploded"}`, `switchboard: json: type: unknown event type "task.exploded"`},
	{func() json.Unmarshaler { return new(Event) }, `{"error":42}`, `switchboard: json: error: want a string, got number`},
}

func TestJSONBadDocuments(t *testing.T) {
	for _, c := range badJSONDocs {
		v := c.into()
		err := v.UnmarshalJSON([]byte(c.doc))
		if err == nil || err.Error() != c.want {
			t.Errorf("%T from %s:\n got %v\nwant %s", v, c.doc, err, c.want)
			continue
		}
		var je *JSONError
		if !errors.As(err, &je) {
			t.Errorf("%s: %T is not a *JSONError", c.doc, err)
		}
		// Through json.Unmarshal: the same error, unless encoding/json
		// finds the document malformed first.
		if json.Valid([]byte(c.doc)) {
			if err := json.Unmarshal([]byte(c.doc), c.into()); err == nil || err.Error() != c.want {
				t.Errorf("json.Unmarshal %s: %v", c.doc, err)
			}
		}
	}
}

// FuzzDecodeTaskInput: decoding never panics; every error is a *JSONError
// with a path or a top-level message; what decodes re-encodes and decodes to
// an equal value.
func FuzzDecodeTaskInput(f *testing.F) {
	for _, name := range []string{"task_input", "task_input_minimal"} {
		b, err := os.ReadFile(filepath.Join("testdata", "json", name+".json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, c := range badJSONDocs {
		f.Add([]byte(c.doc))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var in TaskInput
		if err := in.UnmarshalJSON(data); err != nil {
			var je *JSONError
			if !errors.As(err, &je) || je.Err == nil {
				t.Fatalf("error %v (%T) is not a *JSONError", err, err)
			}
			if je.Path == "" && !strings.HasPrefix(err.Error(), "switchboard: json: ") {
				t.Fatalf("unclear error %q", err)
			}
			return
		}
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		var again TaskInput
		if err := json.Unmarshal(b, &again); err != nil {
			t.Fatalf("decode of re-encoded %s: %v", b, err)
		}
		if diff := cmp.Diff(in, again, jsonCmp); diff != "" {
			t.Fatalf("round trip of %s (-first +second):\n%s", b, diff)
		}
		if b2, _ := json.Marshal(again); !bytes.Equal(b, b2) {
			t.Fatalf("encoding not stable:\n%s\n%s", b, b2)
		}
	})
}
