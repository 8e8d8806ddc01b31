package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-go/switchboard"
)

// This file implements switchboard.RecordStore: contact records in the
// records table (migrations/0006_records.sql), the body as JSONB in the
// core's JSON form and beside it the columns a search filters and sorts on,
// indexed so that a search reads the index range of its time field (overall,
// or within the queues or agents it names) in sort order and stops at the
// page's end. Like Write, PutRecords on a fenced Store checks the fencing
// token in its own transaction.
//
// Every criterion of switchboard.SearchCriteria is answered in SQL, exactly
// as SearchCriteria.Match decides it: timestamps are compared to the
// nanosecond, text columns in byte order, and Name and Description are
// matched against lowercase copies made by Go's strings.ToLower. A sort or
// time-range field this package does not know (one added to the core
// later) is refused with an error matching errors.ErrUnsupported that names
// it, never answered approximately.

var _ switchboard.RecordStore = (*Store)(nil)

// recordColumns maps each field a search filters or sorts on to its column.
var recordColumns = map[switchboard.ContactField]string{
	switchboard.FieldInitiationTimestamp:       "initiated_at",
	switchboard.FieldScheduledTimestamp:        "scheduled_at",
	switchboard.FieldConnectedToAgentTimestamp: "connected_at",
	switchboard.FieldDisconnectTimestamp:       "disconnected_at",
	switchboard.FieldEnqueueTimestamp:          "enqueued_at",
	switchboard.FieldExpiryTimestamp:           "expires_at",
	switchboard.FieldInitiationMethod:          "initiation_method",
	switchboard.FieldChannel:                   "channel",
}

// timeColumn reports whether a column holds a timestamp.
func timeColumn(col string) bool { return strings.HasSuffix(col, "_at") }

var billion = big.NewInt(1_000_000_000)

// nanos is t as a decimal count of nanoseconds since the Unix epoch, exact
// for every time.Time (the zero time included), for a numeric column.
func nanos(t time.Time) string {
	n := big.NewInt(t.Unix())
	n.Mul(n, billion)
	n.Add(n, big.NewInt(int64(t.Nanosecond())))
	return n.String()
}

// zeroNanos is the value of a timestamp that did not happen.
var zeroNanos = nanos(time.Time{})

const putRecordSQL = `INSERT INTO §.records (id, last_seq, initiated_at, scheduled_at, connected_at, disconnected_at,
    enqueued_at, expires_at, queue_id, agent_id, channel, initiation_method, state, initial_task_id, previous_task_id,
    related_task_id, name_lc, desc_lc, body)
VALUES ($1, $2::numeric, $3::numeric, $4::numeric, $5::numeric, $6::numeric, $7::numeric, $8::numeric,
    $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19::jsonb)
ON CONFLICT (id) DO UPDATE SET last_seq = excluded.last_seq, initiated_at = excluded.initiated_at,
    scheduled_at = excluded.scheduled_at, connected_at = excluded.connected_at,
    disconnected_at = excluded.disconnected_at, enqueued_at = excluded.enqueued_at, expires_at = excluded.expires_at,
    queue_id = excluded.queue_id, agent_id = excluded.agent_id, channel = excluded.channel,
    initiation_method = excluded.initiation_method, state = excluded.state,
    initial_task_id = excluded.initial_task_id, previous_task_id = excluded.previous_task_id,
    related_task_id = excluded.related_task_id, name_lc = excluded.name_lc, desc_lc = excluded.desc_lc,
    body = excluded.body
WHERE records.last_seq <= excluded.last_seq`

// PutRecords stores each record under its TaskID, in one transaction,
// unless the stored record has a higher LastSeq.
func (s *Store) PutRecords(ctx context.Context, records []switchboard.ContactRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for i := range records {
		if records[i].TaskID == "" {
			return fmt.Errorf("pgstore: record %d has no TaskID: %w", i, switchboard.ErrValidation)
		}
	}
	if len(records) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	s.queueFence(b)
	sql := s.table(putRecordSQL)
	for i := range records {
		r := &records[i]
		body, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("pgstore: encode record %q: %w", r.TaskID, err)
		}
		b.Queue(sql, r.TaskID, strconv.FormatUint(r.LastSeq, 10),
			nanos(r.InitiatedAt), nanos(r.ScheduledAt), nanos(r.ConnectedAt), nanos(r.DisconnectedAt),
			nanos(r.EnqueuedAt), nanos(r.ExpiresAt),
			r.QueueID, r.AgentID, string(r.Channel), string(r.InitiationMethod), string(r.State),
			r.InitialTaskID, r.PreviousTaskID, r.RelatedTaskID,
			strings.ToLower(r.Name), strings.ToLower(r.Description), string(body))
	}
	return s.send(ctx, b)
}

// Record returns the record of taskID, or an error matching
// switchboard.ErrNotFound.
func (s *Store) Record(ctx context.Context, taskID string) (*switchboard.ContactRecord, error) {
	r, err := one[switchboard.ContactRecord](ctx, s.pool, s.table("SELECT body FROM §.records WHERE id = $1"), taskID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("pgstore: contact record %q: %w", taskID, switchboard.ErrNotFound)
	}
	return r, err
}

// LinkedRecords returns every record whose InitialTaskID, PreviousTaskID
// or RelatedTaskID is taskID (the record itself excluded), ordered by
// InitiatedAt then TaskID.
func (s *Store) LinkedRecords(ctx context.Context, taskID string) ([]switchboard.ContactRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.records(ctx, s.table("SELECT body FROM §.records WHERE id <> $1 AND "+
		"(initial_task_id = $1 OR previous_task_id = $1 OR related_task_id = $1) ORDER BY initiated_at, id"), taskID)
}

// SearchRecords returns, in q.Sort order, the first q.Limit records that
// match q.Criteria and come after q.After: one SQL query whose WHERE clause
// is the criteria and whose ORDER BY and LIMIT are the sort and the page.
func (s *Store) SearchRecords(ctx context.Context, q *switchboard.RecordQuery) ([]switchboard.ContactRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sql, args, err := s.searchSQL(q)
	if err != nil {
		return nil, err
	}
	return s.records(ctx, sql, args...)
}

// searchSQL builds the query of q.
func (s *Store) searchSQL(q *switchboard.RecordQuery) (string, []any, error) {
	c := &q.Criteria
	rangeCol, ok := recordColumns[c.TimeRange.Type]
	if !ok || !timeColumn(rangeCol) {
		return "", nil, fmt.Errorf("pgstore: search: TimeRange.Type %q is not supported: %w", c.TimeRange.Type, errors.ErrUnsupported)
	}
	sortCol, ok := recordColumns[q.Sort.Field]
	if !ok {
		return "", nil, fmt.Errorf("pgstore: search: Sort.Field %q is not supported: %w", q.Sort.Field, errors.ErrUnsupported)
	}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	where := []string{
		rangeCol + " >= " + arg(nanos(c.TimeRange.Start)) + "::numeric",
		rangeCol + " < " + arg(nanos(c.TimeRange.End)) + "::numeric",
		rangeCol + " <> " + arg(zeroNanos) + "::numeric",
	}
	anyOf := func(col string, values []string) {
		if len(values) > 0 {
			where = append(where, col+" = ANY("+arg(values)+"::text[])")
		}
	}
	anyOf("queue_id", c.QueueIDs)
	anyOf("agent_id", c.AgentIDs)
	anyOf("channel", strs(c.Channels))
	anyOf("initiation_method", strs(c.InitiationMethods))
	anyOf("state", strs(c.States))
	if a := c.Attributes; a != nil && len(a.Conditions) > 0 {
		conds := make([]string, len(a.Conditions))
		for i, cond := range a.Conditions {
			if len(cond.Values) == 0 {
				conds[i] = "jsonb_exists(body->'attributes', " + arg(cond.Key) + "::text)"
			} else {
				conds[i] = "(body->'attributes'->>" + arg(cond.Key) + "::text) = ANY(" + arg(cond.Values) + "::text[])"
			}
		}
		where = append(where, combine(a.MatchType, conds))
	}
	if x := c.Text; x != nil && len(x.SearchText) > 0 {
		conds := make([]string, len(x.SearchText))
		for i, text := range x.SearchText {
			p := arg(strings.ToLower(text)) + "::text"
			conds[i] = "(strpos(name_lc, " + p + ") > 0 OR strpos(desc_lc, " + p + ") > 0)"
		}
		where = append(where, combine(x.MatchType, conds))
	}
	cmp, dir := ">", "ASC"
	if q.Sort.Order == switchboard.Descending {
		cmp, dir = "<", "DESC"
	}
	if q.After != nil {
		var v string
		if timeColumn(sortCol) {
			v = arg(nanos(q.After.Time)) + "::numeric"
		} else {
			v = arg(q.After.Text) + "::text"
		}
		where = append(where, "("+sortCol+", id) "+cmp+" ("+v+", "+arg(q.After.TaskID)+"::text)")
	}
	sql := s.table("SELECT body FROM §.records WHERE " + strings.Join(where, " AND ") +
		" ORDER BY " + sortCol + " " + dir + ", id " + dir + " LIMIT " + arg(q.Limit))
	return sql, args, nil
}

// combine joins conditions with AND (MatchAll, the default) or OR
// (MatchAny).
func combine(m switchboard.MatchType, conds []string) string {
	op := " AND "
	if m == switchboard.MatchAny {
		op = " OR "
	}
	return "(" + strings.Join(conds, op) + ")"
}

func strs[T ~string](values []T) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}

// records decodes the bodies sql returns.
func (s *Store) records(ctx context.Context, sql string, args ...any) ([]switchboard.ContactRecord, error) {
	rs, err := all[switchboard.ContactRecord](ctx, s.pool, sql, args...)
	if err != nil {
		return nil, err
	}
	out := make([]switchboard.ContactRecord, len(rs))
	for i, r := range rs {
		out[i] = *r
	}
	return out, nil
}
