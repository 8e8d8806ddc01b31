package connectors

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-go/switchboard"
)

// DefaultSignatureHeader is WebhookOptions.SignatureHeader's default.
const DefaultSignatureHeader = "X-Signature-256"

// WebhookOptions configures NewWebhook. Paths are dot-separated keys into
// the JSON body ("data.object.id"); a segment that is a number indexes an
// array ("items.0.id").
type WebhookOptions struct {
	Options
	// IDPath locates the event's ID, a string or a number. Required: it
	// makes deliveries idempotent. A body without it answers 400.
	IDPath string
	// TypePath locates the event's type, a string or a number; Sources maps
	// types to event sources. Source is the source of every event when
	// TypePath is empty, and of the types Sources does not name otherwise;
	// a type that neither names is ignored (200). A body without the type
	// answers 400.
	TypePath string
	Sources  map[string]string
	Source   string
	// Secret, when set, requires SignatureHeader to carry
	// HMAC-SHA256(Secret, body), in hex or base64, optionally after
	// "sha256=" (GitHub's X-Hub-Signature-256 form); otherwise 401.
	// Without TimestampHeader there is no replay window: a replayed
	// delivery creates nothing new while its event ID is within the
	// ClientToken window.
	Secret          string
	SignatureHeader string // "": DefaultSignatureHeader
	// TimestampHeader, when set (it needs Secret), names the header that
	// carries the time the sender signed the delivery, as Unix seconds
	// (Slack's X-Slack-Request-Timestamp) or RFC 3339 (Zendesk's form).
	// The signature then covers timestamp + TimestampSeparator + body
	// (Zendesk: no separator; Stripe-style "t.body": "."), and a delivery
	// whose timestamp is more than Tolerance from Options.Clock, either
	// way, is a replay and answers 401: a captured delivery cannot be
	// sent again once the window has passed.
	TimestampHeader    string
	TimestampSeparator string
	Tolerance          time.Duration // 0: DefaultWebhookTolerance
}

// DefaultWebhookTolerance is how far a webhook's signature timestamp may be
// from the clock when WebhookOptions.TimestampHeader is set.
const DefaultWebhookTolerance = 5 * time.Minute

// Webhook is an http.Handler for any JSON webhook.
type Webhook struct {
	eval Evaluator
	opts WebhookOptions
}

// NewWebhook returns a handler that evaluates JSON deliveries with eval:
// the payload rules see is the body as it is.
func NewWebhook(eval Evaluator, opts WebhookOptions) (*Webhook, error) {
	if eval == nil {
		return nil, errors.New("connectors: NewWebhook: nil Evaluator")
	}
	o, err := opts.Options.withDefaults()
	if err != nil {
		return nil, err
	}
	opts.Options = o
	switch {
	case opts.IDPath == "":
		return nil, errors.New("connectors: WebhookOptions.IDPath is required")
	case opts.TypePath == "" && opts.Source == "":
		return nil, errors.New("connectors: WebhookOptions needs Source, or TypePath and Sources")
	case opts.TypePath == "" && len(opts.Sources) > 0:
		return nil, errors.New("connectors: WebhookOptions.Sources needs TypePath")
	case opts.TypePath != "" && len(opts.Sources) == 0 && opts.Source == "":
		return nil, errors.New("connectors: WebhookOptions.TypePath needs Sources or Source")
	case opts.TimestampHeader != "" && opts.Secret == "":
		return nil, errors.New("connectors: WebhookOptions.TimestampHeader needs Secret: an unsigned timestamp proves nothing")
	case opts.TimestampHeader == "" && (opts.TimestampSeparator != "" || opts.Tolerance != 0):
		return nil, errors.New("connectors: WebhookOptions.TimestampSeparator and Tolerance need TimestampHeader")
	case opts.Tolerance < 0:
		return nil, errors.New("connectors: WebhookOptions.Tolerance must not be negative")
	}
	if opts.TimestampHeader != "" && opts.Tolerance == 0 {
		opts.Tolerance = DefaultWebhookTolerance
	}
	for t, s := range opts.Sources {
		if s == "" {
			return nil, fmt.Errorf("connectors: WebhookOptions.Sources[%q] is empty", t)
		}
	}
	if opts.SignatureHeader == "" {
		opts.SignatureHeader = DefaultSignatureHeader
	}
	return &Webhook{eval: eval, opts: opts}, nil
}

// ServeHTTP checks the delivery's size and signature, decodes it and
// evaluates its event; see the package documentation for the answers.
func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, herr := readBody(w, r, &h.opts.Options)
	if herr == nil && h.opts.Secret != "" {
		herr = h.verify(r.Header, body)
	}
	if herr != nil {
		writeError(w, herr)
		return
	}
	ev, err := h.Decode(body)
	if err != nil && !errors.Is(err, ErrIgnored) {
		writeError(w, failf(http.StatusBadRequest, "%v", err))
		return
	}
	if err != nil {
		serve(w, r, &h.opts.Options, h.eval, nil, err)
		return
	}
	serve(w, r, &h.opts.Options, h.eval, []switchboard.RuleEvent{ev}, nil)
}

func (h *Webhook) verify(hd http.Header, body []byte) *httpError {
	if h.opts.TimestampHeader == "" {
		if !signatureMatches(hd.Get(h.opts.SignatureHeader), hmacSHA256(h.opts.Secret, body)) {
			return failf(http.StatusUnauthorized, "missing or wrong %s header", h.opts.SignatureHeader)
		}
		return nil
	}
	ts := hd.Get(h.opts.TimestampHeader)
	if ts == "" {
		return failf(http.StatusUnauthorized, "missing %s header", h.opts.TimestampHeader)
	}
	if !signatureMatches(hd.Get(h.opts.SignatureHeader), hmacSHA256(h.opts.Secret, []byte(ts), []byte(h.opts.TimestampSeparator), body)) {
		return failf(http.StatusUnauthorized, "missing or wrong %s header", h.opts.SignatureHeader)
	}
	at, ok := parseTimestamp(ts)
	if !ok {
		return failf(http.StatusUnauthorized, "%s is neither Unix seconds nor an RFC 3339 time: %q", h.opts.TimestampHeader, shorten(ts))
	}
	return checkWindow(ts, at, h.opts.Clock.Now(), h.opts.Tolerance)
}

// parseTimestamp reads Unix seconds or an RFC 3339 time.
func parseTimestamp(ts string) (time.Time, bool) {
	if n, err := strconv.ParseInt(ts, 10, 64); err == nil {
		if n < 0 || n > 1<<40 {
			return time.Time{}, false
		}
		return time.Unix(n, 0), true
	}
	at, err := time.Parse(time.RFC3339Nano, ts)
	return at, err == nil
}

// SignWebhook returns the signature header value, in hex, NewWebhook
// expects for body: HMAC-SHA256(secret, timestamp + separator + body), or
// of body alone when timestamp is "". For tests and replays.
func SignWebhook(secret, timestamp, separator string, body []byte) string {
	if timestamp == "" {
		return hex.EncodeToString(hmacSHA256(secret, body))
	}
	return hex.EncodeToString(hmacSHA256(secret, []byte(timestamp), []byte(separator), body))
}

// Decode turns a body into the rule event the handler would evaluate, or
// an error wrapping ErrIgnored for a type no source takes.
func (h *Webhook) Decode(body []byte) (switchboard.RuleEvent, error) {
	doc, err := decodeObject(body)
	if err != nil {
		return switchboard.RuleEvent{}, err
	}
	source := h.opts.Source
	if h.opts.TypePath != "" {
		v, _ := lookup(doc, h.opts.TypePath)
		typ, ok := scalar(v)
		if !ok || typ == "" {
			return switchboard.RuleEvent{}, fmt.Errorf("no event type at %q", h.opts.TypePath)
		}
		if s, ok := h.opts.Sources[typ]; ok {
			source = s
		}
		if source == "" {
			return switchboard.RuleEvent{}, fmt.Errorf("%w: event type %q is not mapped to a source", ErrIgnored, shorten(typ))
		}
	}
	v, _ := lookup(doc, h.opts.IDPath)
	id, ok := scalar(v)
	if id = strings.TrimSpace(id); !ok || id == "" {
		return switchboard.RuleEvent{}, fmt.Errorf("no event ID at %q", h.opts.IDPath)
	}
	return switchboard.RuleEvent{Source: source, ID: id, Payload: doc}, nil
}
