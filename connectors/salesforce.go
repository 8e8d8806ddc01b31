package connectors

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/switchboard-go/switchboard"
)

// SourceSalesforceCaseUpdate is the event source of a Salesforce case
// update (changeType UPDATE or GAP_UPDATE). Amazon Connect has no such
// source; SourceSalesforceCaseCreate is Connect's.
const SourceSalesforceCaseUpdate = "OnSalesforceCaseUpdate"

// SalesforceOptions configures NewSalesforce.
type SalesforceOptions struct {
	Options
	// Entity is the CDC entity taken; other entities are ignored. "" : "Case".
	Entity string
}

// Salesforce is an http.Handler for Salesforce Change Data Capture events.
type Salesforce struct {
	eval Evaluator
	opts SalesforceOptions
}

// NewSalesforce returns a handler that evaluates Salesforce Change Data
// Capture case events with eval, raw or in the AppFlow → EventBridge
// envelope (see DecodeSalesforce). Salesforce signs neither shape; protect
// the endpoint with Options.APIKey (an EventBridge API destination's
// API-key authorization sends it) or in front of the handler.
func NewSalesforce(eval Evaluator, opts SalesforceOptions) (*Salesforce, error) {
	if eval == nil {
		return nil, errors.New("connectors: NewSalesforce: nil Evaluator")
	}
	o, err := opts.Options.withDefaults()
	if err != nil {
		return nil, err
	}
	opts.Options = o
	if opts.Entity == "" {
		opts.Entity = "Case"
	}
	return &Salesforce{eval: eval, opts: opts}, nil
}

// ServeHTTP decodes the delivery and evaluates its events, one per record;
// see the package documentation for the answers.
func (s *Salesforce) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, herr := readBody(w, r, &s.opts.Options)
	if herr != nil {
		writeError(w, herr)
		return
	}
	evs, err := decodeSalesforce(body, s.opts.Entity)
	if err != nil && !errors.Is(err, ErrIgnored) {
		writeError(w, failf(http.StatusBadRequest, "%v", err))
		return
	}
	serve(w, r, &s.opts.Options, s.eval, evs, err)
}

// DecodeSalesforce decodes one Change Data Capture event of a Case into
// rule events, one per record in ChangeEventHeader.recordIds (a change
// applied to several records in one transaction arrives as one event).
//
// It takes the raw event ({"schema", "payload": {"ChangeEventHeader":
// {...}, <fields>...}, "event": {"replayId"}}) and the AppFlow →
// EventBridge envelope ({"detail-type": "CaseChangeEvent", "id",
// "detail": {"ChangeEventHeader": {...}, <fields>...}}).
//
// changeType CREATE and GAP_CREATE are switchboard.SourceSalesforceCaseCreate;
// UPDATE and GAP_UPDATE are SourceSalesforceCaseUpdate (gap events carry
// no field values). DELETE, UNDELETE, the other gap events, other entities
// and other detail-types return an error wrapping ErrIgnored.
//
// The event ID is "sf:<transactionKey>:<sequenceNumber>:<recordId>": the
// transaction key and sequence number identify the change in both shapes
// (the replayId is absent from the AppFlow envelope), so a change
// delivered both ways, or twice, creates its tasks once. Without a
// transaction key it is "sf-replay:<replayId>:<recordId>", then
// "sf-eventbridge:<envelope id>:<recordId>"; with none of them the
// delivery is refused.
//
// The payload rules see is the same for both shapes: the case's fields and
// ChangeEventHeader at the top level (as AppFlow flattens them), plus
// "recordId" (this event's record) and, when the raw event has one,
// "replayId". So `event.Priority == "High"` and
// `event.ChangeEventHeader.changedFields` read either shape.
func DecodeSalesforce(body []byte) ([]switchboard.RuleEvent, error) {
	return decodeSalesforce(body, "Case")
}

func decodeSalesforce(body []byte, entity string) ([]switchboard.RuleEvent, error) {
	doc, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	var fields map[string]any
	var replayID, envelopeID string
	if dt, ok := doc["detail-type"]; ok {
		if dt != entity+"ChangeEvent" {
			return nil, fmt.Errorf("%w: EventBridge detail-type %q is not %q", ErrIgnored, shorten(fmt.Sprint(dt)), entity+"ChangeEvent")
		}
		if fields = obj(doc, "detail"); fields == nil {
			return nil, errors.New(`EventBridge event without a "detail" object`)
		}
		envelopeID, _ = scalar(doc["id"])
	} else {
		if fields = obj(doc, "payload"); fields == nil {
			return nil, errors.New(`not a Change Data Capture event: no "payload" (raw) or "detail-type" (EventBridge envelope)`)
		}
		replayID, _ = scalar(obj(doc, "event")["replayId"])
	}
	h := obj(fields, "ChangeEventHeader")
	if h == nil {
		return nil, errors.New(`Change Data Capture event without a "ChangeEventHeader" object`)
	}
	if e := str(h, "entityName"); e != entity {
		return nil, fmt.Errorf("%w: entity %q is not %q", ErrIgnored, shorten(e), entity)
	}
	var source string
	switch ct := str(h, "changeType"); ct {
	case "CREATE", "GAP_CREATE":
		source = switchboard.SourceSalesforceCaseCreate
	case "UPDATE", "GAP_UPDATE":
		source = SourceSalesforceCaseUpdate
	case "":
		return nil, errors.New(`ChangeEventHeader without a "changeType"`)
	default:
		return nil, fmt.Errorf("%w: changeType %q is not a rule source", ErrIgnored, shorten(ct))
	}
	ids, _ := h["recordIds"].([]any)
	if len(ids) == 0 {
		return nil, errors.New(`ChangeEventHeader without "recordIds"`)
	}
	txKey := str(h, "transactionKey")
	seq, hasSeq := scalar(h["sequenceNumber"])
	var prefix string
	switch {
	case txKey != "" && hasSeq:
		prefix = "sf:" + txKey + ":" + seq + ":"
	case replayID != "":
		prefix = "sf-replay:" + replayID + ":"
	case envelopeID != "":
		prefix = "sf-eventbridge:" + envelopeID + ":"
	default:
		return nil, errors.New(`Change Data Capture event without an ID: no ChangeEventHeader.transactionKey and sequenceNumber, event.replayId or envelope id`)
	}
	evs := make([]switchboard.RuleEvent, 0, len(ids))
	for _, v := range ids {
		id, ok := v.(string)
		if !ok || id == "" {
			return nil, errors.New(`ChangeEventHeader.recordIds holds a value that is not a record ID`)
		}
		p := make(map[string]any, len(fields)+2)
		for k, v := range fields {
			p[k] = v
		}
		p["recordId"] = id
		if replayID != "" {
			p["replayId"] = replayID
		}
		evs = append(evs, switchboard.RuleEvent{Source: source, ID: prefix + id, Payload: p})
	}
	return evs, nil
}
