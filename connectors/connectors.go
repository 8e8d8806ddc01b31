// Package connectors turns deliveries from other tools into rule events:
// http.Handlers for Zendesk (the EventBridge "Support Ticket" envelope and
// the native webhook event schema, with the webhook signature checked),
// Salesforce Change Data Capture case events (raw, and in the AppFlow →
// EventBridge envelope) and any JSON webhook. Each handler decodes the
// body into one or more switchboard.RuleEvents and hands them to an
// Evaluator, such as a *switchboard.RuleEngine, with the request's
// context.
//
// # Responses
//
// Every answer is a small JSON object:
//
//	200 {"created":["task-1"],"matched":["urgent-tickets"]}
//	200 {"created":[],"matched":[],"ignored":"..."}   a delivery no source takes
//	400 {"error":"..."}                                malformed JSON, missing fields
//	401 {"error":"..."}                                bad, missing or stale signature or API key
//	405 {"error":"..."}                                not a POST
//	413 {"error":"..."}                                body over Options.MaxBodyBytes
//	500 {"error":"...","created":[...],"matched":[...]} a rule failed (see the engine's log)
//	503 {"error":"..."}                                the request's context ended first
//
// Nothing is evaluated, and so nothing created, for a 4xx answer. A
// delivery of an event type that no source takes (a Zendesk comment event,
// a Salesforce DELETE, an unmapped generic type) answers 200 with
// "ignored": the sender did its job, and Zendesk and EventBridge retry
// every non-2xx answer (Zendesk also pauses a webhook that keeps failing),
// so a 4xx would only turn a subscription broader than the rules into
// retries. A failed rule answers 500 so that the sender retries: retrying
// is safe, see below.
//
// # Idempotency
//
// Each event carries the source's own event ID (RuleEvent.ID; each decoder
// says which field). The rule engine derives a CreateTask action's
// ClientToken from the rule's name and that ID, so a delivery repeated
// within the router's Config.ClientTokenTTL (default 7 days) returns the
// tasks the first one created and creates none: the second answer lists
// the same task IDs. The connectors keep no state of their own.
//
// # Time
//
// RuleEvent.Time is left zero, so conditions see the engine's clock as now;
// the source's own timestamps stay in the payload. Signature timestamps are
// checked against Options.Clock (switchboard.SystemClock by default).
package connectors

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-go/switchboard"
)

// Evaluator evaluates rule events; *switchboard.RuleEngine implements it.
type Evaluator interface {
	Evaluate(ctx context.Context, ev switchboard.RuleEvent) (switchboard.RuleResult, error)
}

// DefaultMaxBodyBytes is the default limit of a delivery's body: 1 MiB.
const DefaultMaxBodyBytes = 1 << 20

// Options are the settings every handler shares.
type Options struct {
	// MaxBodyBytes limits a delivery's body; a longer one answers 413.
	// 0: DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Clock is read for signature timestamps. nil: switchboard.SystemClock().
	Clock switchboard.Clock
	// APIKeyHeader and APIKey, when both set, require every request to
	// carry that header with that value (compared in constant time), as an
	// EventBridge API destination with API-key authorization or a Zendesk
	// webhook with a custom header sends it; otherwise 401.
	APIKeyHeader string
	APIKey       string
	// Timeout, when positive, bounds the evaluation of one delivery on top
	// of the request's context.
	Timeout time.Duration
}

func (o Options) withDefaults() (Options, error) {
	if o.MaxBodyBytes < 0 {
		return o, errors.New("connectors: Options.MaxBodyBytes must not be negative")
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.Clock == nil {
		o.Clock = switchboard.SystemClock()
	}
	if (o.APIKeyHeader == "") != (o.APIKey == "") {
		return o, errors.New("connectors: Options.APIKeyHeader and Options.APIKey go together")
	}
	if o.Timeout < 0 {
		return o, errors.New("connectors: Options.Timeout must not be negative")
	}
	return o, nil
}

// ErrIgnored is returned (wrapped) by the decoders for a well-formed
// delivery that no event source takes; the handlers answer it with 200 and
// "ignored".
var ErrIgnored = errors.New("ignored")

// Response is the body of a 200 or 500 answer.
type Response struct {
	Created []string `json:"created"`           // IDs of the tasks created, or found again, for the delivery
	Matched []string `json:"matched"`           // rules whose condition held, each once
	Ignored string   `json:"ignored,omitempty"` // why nothing was evaluated
	Error   string   `json:"error,omitempty"`
}

// httpError is an answer other than 200.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func failf(status int, format string, args ...any) *httpError {
	return &httpError{status: status, msg: fmt.Sprintf(format, args...)}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // cannot happen for our types
		status, b = http.StatusInternalServerError, []byte(`{"error":"encoding the answer failed"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, e *httpError) {
	if e.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", http.MethodPost)
	}
	writeJSON(w, e.status, map[string]string{"error": e.msg})
}

// readBody checks the method and API key, and reads at most
// o.MaxBodyBytes of the body.
func readBody(w http.ResponseWriter, r *http.Request, o *Options) ([]byte, *httpError) {
	if r.Method != http.MethodPost {
		return nil, failf(http.StatusMethodNotAllowed, "method %s not allowed: deliveries are POSTed", r.Method)
	}
	if o.APIKeyHeader != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get(o.APIKeyHeader)), []byte(o.APIKey)) != 1 {
		return nil, failf(http.StatusUnauthorized, "missing or wrong %s header", o.APIKeyHeader)
	}
	tooLarge := failf(http.StatusRequestEntityTooLarge, "body larger than the limit of %d bytes", o.MaxBodyBytes)
	if r.ContentLength > o.MaxBodyBytes {
		return nil, tooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, o.MaxBodyBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, tooLarge
		}
		return nil, failf(http.StatusBadRequest, "reading the body: %v", err)
	}
	return body, nil
}

// serve evaluates the events of one delivery and answers.
func serve(w http.ResponseWriter, r *http.Request, o *Options, eval Evaluator, evs []switchboard.RuleEvent, ignored error) {
	if ignored != nil {
		writeJSON(w, http.StatusOK, Response{Created: []string{}, Matched: []string{}, Ignored: ignored.Error()})
		return
	}
	ctx := r.Context()
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	resp := Response{Created: []string{}, Matched: []string{}}
	var errs []error
	for _, ev := range evs {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		res, err := eval.Evaluate(ctx, ev)
		for _, c := range res.Created {
			if c.Task != nil && !slices.Contains(resp.Created, c.Task.ID) {
				resp.Created = append(resp.Created, c.Task.ID)
			}
		}
		for _, m := range res.Matched {
			if !slices.Contains(resp.Matched, m) {
				resp.Matched = append(resp.Matched, m)
			}
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		writeJSON(w, http.StatusOK, resp)
		return
	}
	if ctx.Err() != nil {
		writeError(w, failf(http.StatusServiceUnavailable, "the request ended before its rules ran: %v; deliver it again", ctx.Err()))
		return
	}
	// The engine logs each RuleError (RuleEngineOptions.Logger); the sender
	// gets no internals, only a reason to retry.
	resp.Error = "rule evaluation failed; the delivery can be retried safely"
	writeJSON(w, http.StatusInternalServerError, resp)
}

// decodeObject decodes a JSON object, numbers as float64 like the rule
// engine does. Trailing data is an error.
func decodeObject(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("malformed JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("malformed JSON: data after the top-level value")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("malformed JSON: the body is not a JSON object")
	}
	return m, nil
}

// scalar returns a string or number as text (whole numbers without a
// decimal point or exponent), and false for anything else.
func scalar(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case json.Number:
		return x.String(), true
	}
	return "", false
}

// lookup follows a dot-separated path through objects; a segment that is a
// number indexes an array.
func lookup(v any, path string) (any, bool) {
	if path == "" {
		return nil, false
	}
	for seg := range strings.SplitSeq(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[seg]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

func obj(m map[string]any, key string) map[string]any {
	o, _ := m[key].(map[string]any)
	return o
}

// hmacSHA256 returns HMAC-SHA256(key, parts...).
func hmacSHA256(key string, parts ...[]byte) []byte {
	h := hmac.New(sha256.New, []byte(key))
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

// signatureMatches reports whether sig, in base64 (standard or URL, padded
// or not) or hex, optionally after a "sha256=" prefix, is mac. The
// comparison of the decoded bytes is constant-time.
func signatureMatches(sig string, mac []byte) bool {
	sig = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(sig), "sha256="))
	if sig == "" {
		return false
	}
	match := false
	for _, dec := range []func(string) ([]byte, error){
		hex.DecodeString, base64.StdEncoding.DecodeString, base64.RawStdEncoding.DecodeString,
		base64.URLEncoding.DecodeString, base64.RawURLEncoding.DecodeString,
	} {
		if b, err := dec(sig); err == nil && hmac.Equal(b, mac) {
			match = true
		}
	}
	return match
}

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
