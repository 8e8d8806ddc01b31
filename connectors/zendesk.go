package connectors

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/switchboard-go/switchboard"
)

// Zendesk webhook signature headers.
const (
	ZendeskSignatureHeader          = "X-Zendesk-Webhook-Signature"
	ZendeskSignatureTimestampHeader = "X-Zendesk-Webhook-Signature-Timestamp"
)

// DefaultZendeskTolerance is how far a signature timestamp may be from the
// clock, either way, by default.
const DefaultZendeskTolerance = 5 * time.Minute

// ZendeskOptions configures NewZendesk.
type ZendeskOptions struct {
	Options
	// SigningSecret is the webhook's signing secret (Zendesk Admin Center,
	// or GET /api/v2/webhooks/{id}/signing_secret). Every delivery must
	// carry X-Zendesk-Webhook-Signature = base64(HMAC-SHA256(SigningSecret,
	// timestamp + body)) and the timestamp, ISO-8601, in
	// X-Zendesk-Webhook-Signature-Timestamp; otherwise 401. Required unless
	// Unsigned is set.
	SigningSecret string
	// Unsigned accepts deliveries without checking a signature: for the
	// EventBridge shape when it arrives through an EventBridge API
	// destination (use Options.APIKey then), or behind a proxy that has
	// checked it.
	Unsigned bool
	// Tolerance is how far the signature timestamp may be from
	// Options.Clock, either way; an older or newer one is a replay and
	// answers 401. 0: DefaultZendeskTolerance.
	Tolerance time.Duration
}

// Zendesk is an http.Handler for Zendesk ticket events.
type Zendesk struct {
	eval Evaluator
	opts ZendeskOptions
}

// NewZendesk returns a handler that evaluates Zendesk ticket events with
// eval. It takes both shapes Zendesk sends (see DecodeZendesk).
func NewZendesk(eval Evaluator, opts ZendeskOptions) (*Zendesk, error) {
	if eval == nil {
		return nil, errors.New("connectors: NewZendesk: nil Evaluator")
	}
	o, err := opts.Options.withDefaults()
	if err != nil {
		return nil, err
	}
	opts.Options = o
	if opts.SigningSecret == "" && !opts.Unsigned {
		return nil, errors.New("connectors: ZendeskOptions.SigningSecret is required (or set Unsigned)")
	}
	if opts.Tolerance < 0 {
		return nil, errors.New("connectors: ZendeskOptions.Tolerance must not be negative")
	}
	if opts.Tolerance == 0 {
		opts.Tolerance = DefaultZendeskTolerance
	}
	return &Zendesk{eval: eval, opts: opts}, nil
}

// ServeHTTP checks the delivery's size and signature, decodes it and
// evaluates its event; see the package documentation for the answers.
func (z *Zendesk) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, herr := readBody(w, r, &z.opts.Options)
	if herr == nil && !z.opts.Unsigned {
		herr = z.verify(r.Header, body)
	}
	if herr != nil {
		writeError(w, herr)
		return
	}
	ev, err := DecodeZendesk(body)
	if err != nil && !errors.Is(err, ErrIgnored) {
		writeError(w, failf(http.StatusBadRequest, "%v", err))
		return
	}
	if err != nil {
		serve(w, r, &z.opts.Options, z.eval, nil, err)
		return
	}
	serve(w, r, &z.opts.Options, z.eval, []switchboard.RuleEvent{ev}, nil)
}

func (z *Zendesk) verify(h http.Header, body []byte) *httpError {
	sig, ts := h.Get(ZendeskSignatureHeader), h.Get(ZendeskSignatureTimestampHeader)
	if sig == "" || ts == "" {
		return failf(http.StatusUnauthorized, "missing %s or %s header", ZendeskSignatureHeader, ZendeskSignatureTimestampHeader)
	}
	if !signatureMatches(sig, hmacSHA256(z.opts.SigningSecret, []byte(ts), body)) {
		return failf(http.StatusUnauthorized, "signature does not match")
	}
	at, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return failf(http.StatusUnauthorized, "%s is not an ISO-8601 time: %q", ZendeskSignatureTimestampHeader, shorten(ts))
	}
	return checkWindow(ts, at, z.opts.Clock.Now(), z.opts.Tolerance)
}

// checkWindow refuses a signature timestamp more than tolerance from now.
func checkWindow(ts string, at, now time.Time, tolerance time.Duration) *httpError {
	if d := now.Sub(at); d > tolerance || d < -tolerance {
		return failf(http.StatusUnauthorized, "signature timestamp %s is outside the tolerance of %s (now %s): a replay or a skewed clock",
			shorten(ts), tolerance, now.UTC().Format(time.RFC3339))
	}
	return nil
}

// SignZendesk returns the X-Zendesk-Webhook-Signature value of body sent
// at timestamp (as it appears in X-Zendesk-Webhook-Signature-Timestamp):
// base64(HMAC-SHA256(secret, timestamp + body)). For tests and replays.
func SignZendesk(secret, timestamp string, body []byte) string {
	return base64Std(hmacSHA256(secret, []byte(timestamp), body))
}

// Zendesk event types that become rule events.
const (
	ZendeskTicketCreated       = "zen:event-type:ticket.created"
	ZendeskTicketStatusChanged = "zen:event-type:ticket.status_changed"
	ZendeskDetailTicketCreated = "Support Ticket: Ticket Created"
	ZendeskDetailStatusChanged = "Support Ticket: Status Changed"
)

// DecodeZendesk decodes one Zendesk delivery into a rule event.
//
// The native webhook event schema ({"type": "zen:event-type:...", "id",
// "account_id", "time", "subject": "zen:ticket:141", "detail", "event"}):
// ticket.created is SourceZendeskTicketCreate and ticket.status_changed
// SourceZendeskTicketStatusUpdate; the event ID is "id".
//
// The EventBridge "Support Ticket" envelope ({"detail-type": "Support
// Ticket: Ticket Created", "id", "source": "aws.partner/zendesk.com/...",
// "detail": {"ticket_event": {"type", "meta", "previous", "current",
// "ticket"}}}): "Ticket Created" and "Status Changed" map to the same two
// sources; the event ID is the envelope's "id", which EventBridge keeps
// across its retries.
//
// Any other event type, in either shape, returns an error wrapping
// ErrIgnored; a body that is not a JSON object, or lacks the type, the ID
// or the ticket, returns another error.
//
// The payload rules see is the delivery as it is, plus "ticket": the ticket
// in one shape whichever way it came — "detail" of a native event or
// "detail.ticket_event.ticket" of an EventBridge one, copied, with its IDs
// (id, requester_id, assignee_id, submitter_id, group_id, organization_id,
// brand_id, actor_id) as strings, status, priority and type in lower case
// (native events send "OPEN", EventBridge ones "open"), and, for a status
// change, previous_status. So `event.ticket.status == "open"` holds for
// both shapes.
func DecodeZendesk(body []byte) (switchboard.RuleEvent, error) {
	doc, err := decodeObject(body)
	if err != nil {
		return switchboard.RuleEvent{}, err
	}
	if _, ok := doc["detail-type"]; ok {
		return decodeZendeskEventBridge(doc)
	}
	typ := str(doc, "type")
	if typ == "" {
		return switchboard.RuleEvent{}, errors.New(`not a Zendesk event: no "type" (webhook schema) or "detail-type" (EventBridge envelope)`)
	}
	var source string
	switch typ {
	case ZendeskTicketCreated:
		source = switchboard.SourceZendeskTicketCreate
	case ZendeskTicketStatusChanged:
		source = switchboard.SourceZendeskTicketStatusUpdate
	default:
		return switchboard.RuleEvent{}, fmt.Errorf("%w: Zendesk event type %q is not a rule source", ErrIgnored, shorten(typ))
	}
	id, ok := scalar(doc["id"])
	if !ok || id == "" {
		return switchboard.RuleEvent{}, errors.New(`Zendesk event without an "id"`)
	}
	detail := obj(doc, "detail")
	if detail == nil {
		return switchboard.RuleEvent{}, errors.New(`Zendesk ticket event without a "detail" object`)
	}
	t := normalTicket(detail)
	if source == switchboard.SourceZendeskTicketStatusUpdate {
		if ev := obj(doc, "event"); ev != nil {
			if p, ok := ev["previous"].(string); ok {
				t["previous_status"] = strings.ToLower(p)
			}
			if c, ok := ev["current"].(string); ok {
				t["status"] = strings.ToLower(c)
			}
		}
	}
	doc["ticket"] = t
	return switchboard.RuleEvent{Source: source, ID: id, Payload: doc}, nil
}

func decodeZendeskEventBridge(doc map[string]any) (switchboard.RuleEvent, error) {
	dt, _ := doc["detail-type"].(string)
	var source string
	switch dt {
	case ZendeskDetailTicketCreated:
		source = switchboard.SourceZendeskTicketCreate
	case ZendeskDetailStatusChanged:
		source = switchboard.SourceZendeskTicketStatusUpdate
	default:
		return switchboard.RuleEvent{}, fmt.Errorf("%w: EventBridge detail-type %q is not a rule source", ErrIgnored, shorten(dt))
	}
	id, ok := scalar(doc["id"])
	if !ok || id == "" {
		return switchboard.RuleEvent{}, errors.New(`EventBridge event without an "id"`)
	}
	te := obj(obj(doc, "detail"), "ticket_event")
	ticket := obj(te, "ticket")
	if ticket == nil {
		return switchboard.RuleEvent{}, errors.New(`EventBridge Support Ticket event without "detail.ticket_event.ticket"`)
	}
	t := normalTicket(ticket)
	if source == switchboard.SourceZendeskTicketStatusUpdate {
		if p, ok := te["previous"].(string); ok {
			t["previous_status"] = strings.ToLower(p)
		}
		if c, ok := te["current"].(string); ok {
			t["status"] = strings.ToLower(c)
		}
	}
	doc["ticket"] = t
	return switchboard.RuleEvent{Source: source, ID: id, Payload: doc}, nil
}

var zendeskIDFields = []string{"id", "requester_id", "assignee_id", "submitter_id", "group_id", "organization_id", "brand_id", "actor_id"}

func normalTicket(src map[string]any) map[string]any {
	t := make(map[string]any, len(src)+1)
	for k, v := range src {
		t[k] = v
	}
	for _, k := range zendeskIDFields {
		if s, ok := scalar(t[k]); ok {
			t[k] = s
		}
	}
	for _, k := range []string{"status", "priority", "type"} {
		if s, ok := t[k].(string); ok {
			t[k] = strings.ToLower(s)
		}
	}
	return t
}

func shorten(s string) string {
	const max = 100
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
