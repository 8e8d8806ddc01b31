package switchboard

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"
)

// This file is the public front of contact search, as Amazon Connect's
// SearchContacts: ContactSearch, a type around a Store that implements
// RecordStore, with the criteria, sort and page tokens; and Linked, which
// gathers the contacts linked to one. The in-memory store answers from
// indexes (memstore_records.go, internal/search). See docs/search.md.

// ContactField names a timestamp or field of a contact record that a search
// filters or sorts on, with Connect's names.
type ContactField string

// Contact fields. The first five are the time-range types; every one is a
// sort field.
const (
	FieldInitiationTimestamp       ContactField = "INITIATION_TIMESTAMP"
	FieldScheduledTimestamp        ContactField = "SCHEDULED_TIMESTAMP"
	FieldConnectedToAgentTimestamp ContactField = "CONNECTED_TO_AGENT_TIMESTAMP"
	FieldDisconnectTimestamp       ContactField = "DISCONNECT_TIMESTAMP"
	FieldEnqueueTimestamp          ContactField = "ENQUEUE_TIMESTAMP"
	FieldExpiryTimestamp           ContactField = "EXPIRY_TIMESTAMP"
	FieldInitiationMethod          ContactField = "INITIATION_METHOD"
	FieldChannel                   ContactField = "CHANNEL"
)

// TimeRangeFields are the fields a TimeRange may name, in a fixed order.
var TimeRangeFields = []ContactField{
	FieldInitiationTimestamp, FieldScheduledTimestamp, FieldConnectedToAgentTimestamp,
	FieldDisconnectTimestamp, FieldEnqueueTimestamp,
}

var sortFields = append(slices.Clone(TimeRangeFields), FieldExpiryTimestamp, FieldInitiationMethod, FieldChannel)

// Time returns the timestamp of r that f names (zero for a field that is
// not a timestamp, or a timestamp that did not happen).
func (f ContactField) Time(r *ContactRecord) time.Time {
	switch f {
	case FieldInitiationTimestamp:
		return r.InitiatedAt
	case FieldScheduledTimestamp:
		return r.ScheduledAt
	case FieldConnectedToAgentTimestamp:
		return r.ConnectedAt
	case FieldDisconnectTimestamp:
		return r.DisconnectedAt
	case FieldEnqueueTimestamp:
		return r.EnqueuedAt
	case FieldExpiryTimestamp:
		return r.ExpiresAt
	}
	return time.Time{}
}

// text returns the value of a field that is not a timestamp.
func (f ContactField) text(r *ContactRecord) string {
	switch f {
	case FieldInitiationMethod:
		return string(r.InitiationMethod)
	case FieldChannel:
		return string(r.Channel)
	}
	return ""
}

func (f ContactField) isTime() bool { return f != FieldInitiationMethod && f != FieldChannel }

// TimeRange selects the records whose timestamp Type lies in [Start, End).
// Records without that timestamp (never connected, still in progress) never
// match.
type TimeRange struct {
	Type  ContactField
	Start time.Time
	End   time.Time
}

// MatchType combines conditions, as Connect's SearchContactsMatchType.
type MatchType string

// Match types. MatchAll is the default.
const (
	MatchAll MatchType = "MATCH_ALL"
	MatchAny MatchType = "MATCH_ANY"
)

// SearchAttribute matches a record whose attribute Key has one of Values
// (any value when Values is empty: the key is present).
type SearchAttribute struct {
	Key    string
	Values []string
}

// SearchAttributes are conditions on the record's attributes, all of which
// (MatchAll) or one of which (MatchAny) must hold.
type SearchAttributes struct {
	Conditions []SearchAttribute
	MatchType  MatchType
}

// TextCriteria match the record's Name or Description against each of
// SearchText, case-insensitively as a substring; all texts (MatchAll) or one
// (MatchAny) must be found.
type TextCriteria struct {
	SearchText []string
	MatchType  MatchType
}

// SearchCriteria select contact records. TimeRange is required; every
// other non-empty field must match too, and an empty list matches
// everything.
type SearchCriteria struct {
	TimeRange         TimeRange
	Channels          []Channel
	QueueIDs          []string
	AgentIDs          []string
	InitiationMethods []InitiationMethod
	// States are the states of the segment: a final state, or the state of
	// a segment in progress as of its last change.
	States     []TaskState
	Attributes *SearchAttributes
	Text       *TextCriteria
}

// Match reports whether r meets every criterion.
func (c *SearchCriteria) Match(r *ContactRecord) bool {
	t := c.TimeRange.Type.Time(r)
	if t.IsZero() || t.Before(c.TimeRange.Start) || !t.Before(c.TimeRange.End) {
		return false
	}
	if !in(c.Channels, r.Channel) || !in(c.QueueIDs, r.QueueID) || !in(c.AgentIDs, r.AgentID) ||
		!in(c.InitiationMethods, r.InitiationMethod) || !in(c.States, r.State) {
		return false
	}
	if a := c.Attributes; a != nil && len(a.Conditions) > 0 {
		if !combine(a.MatchType, len(a.Conditions), func(i int) bool {
			v, ok := r.Attributes[a.Conditions[i].Key]
			return ok && (len(a.Conditions[i].Values) == 0 || slices.Contains(a.Conditions[i].Values, v))
		}) {
			return false
		}
	}
	if x := c.Text; x != nil && len(x.SearchText) > 0 {
		name, desc := strings.ToLower(r.Name), strings.ToLower(r.Description)
		if !combine(x.MatchType, len(x.SearchText), func(i int) bool {
			s := strings.ToLower(x.SearchText[i])
			return strings.Contains(name, s) || strings.Contains(desc, s)
		}) {
			return false
		}
	}
	return true
}

// combine reports whether all (MatchAll) or any (MatchAny) of n conditions
// hold.
func combine(m MatchType, n int, ok func(int) bool) bool {
	for i := range n {
		if ok(i) == (m == MatchAny) {
			return m == MatchAny
		}
	}
	return m != MatchAny
}

// SortOrder is ASCENDING or DESCENDING.
type SortOrder string

// Sort orders.
const (
	Ascending  SortOrder = "ASCENDING"
	Descending SortOrder = "DESCENDING"
)

// SearchSort orders results by Field, then by TaskID, both in Order. The
// zero SearchSort sorts by the time range's field, ascending.
type SearchSort struct {
	Field ContactField
	Order SortOrder
}

// RecordCursor is a position in a sort order: the sort value of a record
// (Time for a timestamp field, Text otherwise) and its TaskID.
type RecordCursor struct {
	Time   time.Time
	Text   string
	TaskID string
}

// Cursor returns the position of r in s's order.
func (s SearchSort) Cursor(r *ContactRecord) RecordCursor {
	if s.Field.isTime() {
		return RecordCursor{Time: s.Field.Time(r), TaskID: r.TaskID}
	}
	return RecordCursor{Text: s.Field.text(r), TaskID: r.TaskID}
}

// CompareCursors orders two positions as s sorts them.
func (s SearchSort) CompareCursors(a, b RecordCursor) int {
	c := a.Time.Compare(b.Time)
	if c == 0 {
		c = cmp.Compare(a.Text, b.Text)
	}
	if c == 0 {
		c = cmp.Compare(a.TaskID, b.TaskID)
	}
	if s.Order == Descending {
		return -c
	}
	return c
}

// Compare orders two records as s sorts them.
func (s SearchSort) Compare(a, b *ContactRecord) int {
	return s.CompareCursors(s.Cursor(a), s.Cursor(b))
}

// After reports whether r comes after the position c in s's order.
func (s SearchSort) After(r *ContactRecord, c RecordCursor) bool {
	return s.CompareCursors(s.Cursor(r), c) > 0
}

// Search limits.
const (
	MaxSearchResults    = 100 // per page, as Connect's MaxResults
	MaxSearchListValues = 100 // queue and agent IDs, as Connect
	MaxSearchConditions = 15  // attribute conditions, as Connect
	MaxSearchValues     = 20  // values per attribute condition
	MaxSearchTexts      = 100 // search texts
	MaxSearchTextLen    = 128 // characters per search text
)

// SearchContactsInput is one call of ContactSearch.Search.
type SearchContactsInput struct {
	SearchCriteria
	Sort SearchSort
	// MaxResults is the page size, 1 to MaxSearchResults; 0 means
	// MaxSearchResults.
	MaxResults int
	// NextToken continues a search: the token of the previous page, given
	// with the same criteria and sort.
	NextToken string
}

// SearchContactsOutput is one page of results.
type SearchContactsOutput struct {
	Contacts []ContactRecord
	// NextToken fetches the next page; empty on the last page.
	NextToken string
}

// ContactSearch searches the contact records of a store that implements
// RecordStore, as Connect's SearchContacts; records get there through a
// StoreRecordSink. It is a type around the store, not part of the Router,
// and is safe for concurrent use.
type ContactSearch struct {
	rs RecordStore
}

// NewContactSearch returns the search over store's records, or an error
// matching errors.ErrUnsupported when store does not implement RecordStore.
func NewContactSearch(store Store) (*ContactSearch, error) {
	rs, err := recordStore(store, "NewContactSearch")
	if err != nil {
		return nil, err
	}
	return &ContactSearch{rs: rs}, nil
}

// Search returns one page of the records matching in, in in.Sort order.
// Bad input returns a *ValidationError naming the field and the limit.
func (s *ContactSearch) Search(ctx context.Context, in SearchContactsInput) (*SearchContactsOutput, error) {
	q, err := in.query()
	if err != nil {
		return nil, err
	}
	limit := q.Limit
	q.Limit++ // one more tells whether a next page exists
	recs, err := s.rs.SearchRecords(ctx, q)
	if err != nil {
		return nil, err
	}
	out := &SearchContactsOutput{Contacts: recs}
	if len(recs) > limit {
		out.Contacts = recs[:limit]
		out.NextToken = encodeToken(in.fingerprint(q.Sort), q.Sort.Cursor(&recs[limit-1]))
	}
	return out, nil
}

// query validates in and returns the store's query for its page.
func (in *SearchContactsInput) query() (*RecordQuery, error) {
	c := &in.SearchCriteria
	if !slices.Contains(TimeRangeFields, c.TimeRange.Type) {
		return nil, invalid("TimeRange.Type", string(c.TimeRange.Type), "one of "+joinFields(TimeRangeFields))
	}
	if c.TimeRange.Start.IsZero() || c.TimeRange.End.IsZero() || !c.TimeRange.Start.Before(c.TimeRange.End) {
		return nil, invalid("TimeRange", "", "Start and End are required and Start must be before End")
	}
	for _, l := range []struct {
		field string
		n     int
	}{{"QueueIDs", len(c.QueueIDs)}, {"AgentIDs", len(c.AgentIDs)}, {"Channels", len(c.Channels)},
		{"InitiationMethods", len(c.InitiationMethods)}, {"States", len(c.States)}} {
		if l.n > MaxSearchListValues {
			return nil, invalid(l.field, fmt.Sprint(l.n), fmt.Sprintf("at most %d values", MaxSearchListValues))
		}
	}
	if a := c.Attributes; a != nil {
		if err := checkMatchType("Attributes.MatchType", a.MatchType); err != nil {
			return nil, err
		}
		if len(a.Conditions) > MaxSearchConditions {
			return nil, invalid("Attributes.Conditions", fmt.Sprint(len(a.Conditions)), fmt.Sprintf("at most %d conditions", MaxSearchConditions))
		}
		for i, cond := range a.Conditions {
			if cond.Key == "" || len(cond.Key) > 100 {
				return nil, invalid(fmt.Sprintf("Attributes.Conditions[%d].Key", i), cond.Key, "1 to 100 characters")
			}
			if len(cond.Values) > MaxSearchValues {
				return nil, invalid(fmt.Sprintf("Attributes.Conditions[%d].Values", i), fmt.Sprint(len(cond.Values)), fmt.Sprintf("at most %d values", MaxSearchValues))
			}
		}
	}
	if x := c.Text; x != nil {
		if err := checkMatchType("Text.MatchType", x.MatchType); err != nil {
			return nil, err
		}
		if len(x.SearchText) > MaxSearchTexts {
			return nil, invalid("Text.SearchText", fmt.Sprint(len(x.SearchText)), fmt.Sprintf("at most %d texts", MaxSearchTexts))
		}
		for i, t := range x.SearchText {
			if t == "" || len([]rune(t)) > MaxSearchTextLen {
				return nil, invalid(fmt.Sprintf("Text.SearchText[%d]", i), t, fmt.Sprintf("1 to %d characters", MaxSearchTextLen))
			}
		}
	}
	sort := in.Sort
	if sort.Field == "" {
		sort.Field = c.TimeRange.Type
	} else if !slices.Contains(sortFields, sort.Field) {
		return nil, invalid("Sort.Field", string(sort.Field), "one of "+joinFields(sortFields))
	}
	switch sort.Order {
	case "":
		sort.Order = Ascending
	case Ascending, Descending:
	default:
		return nil, invalid("Sort.Order", string(sort.Order), "ASCENDING or DESCENDING")
	}
	limit := in.MaxResults
	if limit == 0 {
		limit = MaxSearchResults
	}
	if limit < 1 || limit > MaxSearchResults {
		return nil, invalid("MaxResults", fmt.Sprint(in.MaxResults), fmt.Sprintf("1 to %d", MaxSearchResults))
	}
	q := &RecordQuery{Criteria: *c, Sort: sort, Limit: limit}
	if in.NextToken != "" {
		cur, err := decodeToken(in.NextToken, in.fingerprint(sort))
		if err != nil {
			return nil, err
		}
		q.After = &cur
	}
	return q, nil
}

func checkMatchType(field string, m MatchType) error {
	if m != "" && m != MatchAll && m != MatchAny {
		return invalid(field, string(m), "MATCH_ALL or MATCH_ANY")
	}
	return nil
}

func joinFields(fs []ContactField) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = string(f)
	}
	return strings.Join(s, ", ")
}

// fingerprint identifies the criteria and sort a page token belongs to.
func (in *SearchContactsInput) fingerprint(sort SearchSort) uint64 {
	b, _ := json.Marshal(struct {
		C SearchCriteria
		S SearchSort
	}{in.SearchCriteria, sort})
	h := fnv.New64a()
	h.Write(b)
	return h.Sum64()
}

// pageToken is the content of a NextToken: the query it belongs to and the
// position of the last record returned.
type pageToken struct {
	V  int    `json:"v"`
	Q  uint64 `json:"q"`
	T  int64  `json:"t,omitempty"` // Time as Unix nanoseconds; 0 with Z for the zero time
	Z  bool   `json:"z,omitempty"`
	X  string `json:"x,omitempty"`
	ID string `json:"id"`
}

func encodeToken(q uint64, c RecordCursor) string {
	t := pageToken{V: 1, Q: q, X: c.Text, ID: c.TaskID}
	if c.Time.IsZero() {
		t.Z = true
	} else {
		t.T = c.Time.UnixNano()
	}
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(s string, q uint64) (RecordCursor, error) {
	fail := func() (RecordCursor, error) {
		return RecordCursor{}, invalid("NextToken", s, "a token returned by the same search (same criteria and sort)")
	}
	if len(s) > 2500 {
		return fail()
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return fail()
	}
	var t pageToken
	if json.Unmarshal(b, &t) != nil || t.V != 1 || t.Q != q || t.ID == "" {
		return fail()
	}
	c := RecordCursor{Text: t.X, TaskID: t.ID}
	if !t.Z {
		c.Time = time.Unix(0, t.T).UTC()
	}
	return c, nil
}

// LinkedContacts are the contacts linked to one, one call away (Linked).
type LinkedContacts struct {
	Contact ContactRecord
	// Chain is every segment of the contact's chain (the records sharing
	// its InitialTaskID: transfers, and tasks created from it with
	// PreviousTaskID), the contact included, ordered by InitiatedAt.
	Chain []ContactRecord
	// Previous is the record of Contact.PreviousTaskID when kept: the
	// segment it was transferred from, or the contact whose event created
	// it (a rule's or a flow's task).
	Previous *ContactRecord
	// Related is the record of Contact.RelatedTaskID when kept.
	Related *ContactRecord
	// Created are the contacts that name this one as PreviousTaskID or
	// RelatedTaskID: the segments and tasks it led to.
	Created []ContactRecord
	// CreatedBy and InitiationMethod tell what created the contact: an
	// agent, the API, "rule:<name>" for a rule reacting to an event.
	CreatedBy        string
	InitiationMethod InitiationMethod
}

// Linked returns the record of taskID and the contacts linked to it, or an
// error matching ErrNotFound.
func (s *ContactSearch) Linked(ctx context.Context, taskID string) (*LinkedContacts, error) {
	r, err := s.rs.Record(ctx, taskID)
	if err != nil {
		return nil, err
	}
	out := &LinkedContacts{Contact: *r, CreatedBy: r.CreatedBy, InitiationMethod: r.InitiationMethod}
	root := cmp.Or(r.InitialTaskID, r.TaskID)
	chain, err := s.rs.LinkedRecords(ctx, root)
	if err != nil {
		return nil, err
	}
	if root != r.TaskID {
		if rr, err := s.rs.Record(ctx, root); err == nil {
			out.Chain = append(out.Chain, *rr)
		} else if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
	} else {
		out.Chain = append(out.Chain, *r)
	}
	for _, c := range chain {
		if c.InitialTaskID == root && c.TaskID != root {
			out.Chain = append(out.Chain, c)
		}
	}
	slices.SortFunc(out.Chain, func(a, b ContactRecord) int {
		return cmp.Or(a.InitiatedAt.Compare(b.InitiatedAt), cmp.Compare(a.TaskID, b.TaskID))
	})
	for _, link := range []struct {
		id  string
		dst **ContactRecord
	}{{r.PreviousTaskID, &out.Previous}, {r.RelatedTaskID, &out.Related}} {
		if link.id == "" {
			continue
		}
		lr, err := s.rs.Record(ctx, link.id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		*link.dst = lr
	}
	created := chain
	if root != r.TaskID {
		if created, err = s.rs.LinkedRecords(ctx, r.TaskID); err != nil {
			return nil, err
		}
	}
	for _, c := range created {
		if c.PreviousTaskID == r.TaskID || c.RelatedTaskID == r.TaskID {
			out.Created = append(out.Created, c)
		}
	}
	return out, nil
}
