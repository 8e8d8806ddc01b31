package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboard-go/switchboard"
)

// DefaultSchema is the schema Open uses when Options.Schema is empty.
const DefaultSchema = "switchboard"

// Options configure Open. The zero value is ready to use.
type Options struct {
	// Schema is the PostgreSQL schema holding the store's tables: one schema
	// is one contact-center instance, run by one active router (see Lease).
	// Open creates it if missing. Empty means DefaultSchema.
	Schema string
}

// Store is a switchboard.Store over PostgreSQL, with the optional
// capabilities switchboard.TemplateStore, switchboard.FlowStore,
// switchboard.RecordStore and switchboard.GroupWriter. It is
// safe for concurrent use. The zero Store is not usable: call Open.
//
// Each Write is one transaction of one statement, a call of the
// write_change function (migrations/0007_write_change.sql) sent in one
// round trip: it checks the task versions, so a stale version aborts the
// whole change with an error matching switchboard.ErrConflict, and inserts
// the change's events into the outbox (see Outbox), whose highest Seq is
// the event high-water mark Load reports.
//
// A Store returned by Lease.Store is fenced: its writes also check, in their
// transaction, that the lease's fencing token is still current, and fail
// with an error matching ErrFenced once another process took the lease.
type Store struct {
	pool   *pgxpool.Pool
	schema string
	sql    queries
	token  int64 // fencing token checked by every write; 0 means unfenced
}

// ErrFenced is returned by the writes of a fenced Store once its lease has
// passed to another process: the change was not applied.
var ErrFenced = errors.New("pgstore: fenced: the lease belongs to another process")

// Open applies the store's migrations to the schema (see Migrate) and
// returns a Store over it. The pool belongs to the caller, who closes it
// after the last use of the Store.
func Open(ctx context.Context, pool *pgxpool.Pool, opts *Options) (*Store, error) {
	schema := DefaultSchema
	if opts != nil && opts.Schema != "" {
		schema = opts.Schema
	}
	if err := Migrate(ctx, pool, schema); err != nil {
		return nil, err
	}
	return &Store{pool: pool, schema: schema, sql: newQueries(schema)}, nil
}

// Schema returns the schema the store keeps its tables in.
func (s *Store) Schema() string { return s.schema }

// queries are the store's statements with the schema spelled out, so that
// the store does not depend on the pool's search_path.
type queries struct {
	fence, writeChange                                      string
	task, taskByToken, chain                                string
	loadQueues, loadProfiles, loadAgents, loadTasks, loadHW string
}

func newQueries(schema string) queries {
	s := pgx.Identifier{schema}.Sanitize()
	q := func(sql string) string { return strings.ReplaceAll(sql, "§.", s+".") }
	return queries{
		fence: q("SELECT §.fence($1)"),
		writeChange: q("SELECT §.write_change($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, " +
			"$17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27)"),
		task:         q("SELECT body FROM §.tasks WHERE id = $1"),
		taskByToken:  q("SELECT body FROM §.tasks WHERE client_token = $1 ORDER BY sequence DESC LIMIT 1"),
		chain:        q("SELECT body FROM §.tasks WHERE initial_task_id = $1 ORDER BY sequence, id"),
		loadQueues:   q("SELECT body FROM §.queues ORDER BY id"),
		loadProfiles: q("SELECT body FROM §.profiles ORDER BY id"),
		loadAgents:   q("SELECT body FROM §.agents ORDER BY id"),
		loadTasks:    q("SELECT body FROM §.tasks WHERE open ORDER BY sequence"),
		// The event high-water mark is the greater of meta's (raised when
		// the outbox prunes events) and the highest stored Seq.
		loadHW: q("SELECT coalesce((SELECT max(sequence) FROM §.tasks), 0), " +
			"greatest((SELECT last_event_seq FROM §.meta WHERE id = 1), (SELECT max(seq) FROM §.events))"),
	}
}

var (
	_ switchboard.Store       = (*Store)(nil)
	_ switchboard.GroupWriter = (*Store)(nil)
)

var (
	errNilTask    = errors.New("pgstore: nil task in change")
	errNilAgent   = errors.New("pgstore: nil agent in change")
	errNilQueue   = errors.New("pgstore: nil queue in change")
	errNilProfile = errors.New("pgstore: nil routing profile in change")
)

// SQLSTATEs the store's functions raise.
const (
	codeConflict = "SB409"
	codeFenced   = "SB403"
)

// Write applies every record of c in one transaction, or none of them. A
// task's Version must be one more than the stored one (1 for a new task);
// otherwise Write returns an error matching switchboard.ErrConflict.
func (s *Store) Write(ctx context.Context, c *switchboard.Change) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c == nil {
		return nil
	}
	b := &pgx.Batch{}
	if err := s.queue(b, c); err != nil {
		return s.refuse(ctx, err)
	}
	if b.Len() == 0 {
		return nil
	}
	return s.send(ctx, b)
}

// WriteGroup applies the changes in order in one transaction, sent in one
// round trip, or none of them: the group-commit capability
// (switchboard.GroupWriter). A stale version in any change aborts them all
// with an error matching switchboard.ErrConflict.
func (s *Store) WriteGroup(ctx context.Context, changes []*switchboard.Change) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b := &pgx.Batch{}
	if merged := merge(changes); merged != nil {
		if err := s.queue(b, merged); err != nil {
			return s.refuse(ctx, err)
		}
	} else {
		for _, c := range changes {
			if c == nil {
				continue
			}
			if err := s.queue(b, c); err != nil {
				return s.refuse(ctx, err)
			}
		}
	}
	if b.Len() == 0 {
		return nil
	}
	return s.send(ctx, b)
}

// merge returns the group as one change when that writes the same rows:
// the tasks in order (changeArgs then writes each task once, at its last
// version, after checking that its versions go up one at a time), every
// event in one insert, and each agent, queue and profile upserted once with
// its last body. A busy group of 64 lifecycle steps is then one
// write_change call. A group that deletes anything keeps its changes apart
// (nil), one call each, since a delete and an upsert of one ID must stay in
// order.
func merge(changes []*switchboard.Change) *switchboard.Change {
	if len(changes) < 2 {
		return nil
	}
	m := &switchboard.Change{}
	for _, c := range changes {
		if c == nil {
			continue
		}
		if len(c.DeleteAgents)+len(c.DeleteQueues)+len(c.DeleteProfiles) > 0 {
			return nil
		}
		m.Tasks = append(m.Tasks, c.Tasks...)
		m.Agents = append(m.Agents, c.Agents...)
		m.Queues = append(m.Queues, c.Queues...)
		m.Profiles = append(m.Profiles, c.Profiles...)
		m.Events = append(m.Events, c.Events...)
	}
	return m
}

// queue adds one write_change call for c to b (see write.go), checking the
// fencing token when it is the transaction's first statement.
func (s *Store) queue(b *pgx.Batch, c *switchboard.Change) error {
	args, empty, err := changeArgs(c)
	if err != nil {
		return err
	}
	token := int64(0)
	if b.Len() == 0 {
		token = s.token // once per transaction, before anything is written
	}
	if empty && token == 0 {
		return nil
	}
	b.Queue(s.sql.writeChange, args.values(token)...)
	return nil
}

// refuse returns err, found before anything was sent. When err is a
// conflict and the store is fenced but no longer holds the lease, the write
// is refused for the lease instead, as the transaction's first statement
// would have refused it.
func (s *Store) refuse(ctx context.Context, err error) error {
	if s.token != 0 && errors.Is(err, switchboard.ErrConflict) {
		if _, ferr := s.pool.Exec(ctx, s.sql.fence, s.token); ferr != nil {
			return translate(ferr)
		}
	}
	return err
}

// queueFence adds the fencing check to b when the store is fenced: the
// first statement of the other writes (templates, flow runs, records), so
// that its row lock is taken before anything is written.
func (s *Store) queueFence(b *pgx.Batch) {
	if s.token != 0 {
		b.Queue(s.sql.fence, s.token)
	}
}

// send runs b as one implicit transaction: an error in any statement rolls
// back all of them.
func (s *Store) send(ctx context.Context, b *pgx.Batch) error {
	err := s.pool.SendBatch(ctx, b).Close()
	return translate(err)
}

// translate maps the errors the store's functions raise to the errors the
// switchboard.Store contract names.
func translate(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case codeConflict:
			return fmt.Errorf("%w: %s", switchboard.ErrConflict, pe.Message)
		case codeFenced:
			return fmt.Errorf("%w: %s", ErrFenced, pe.Message)
		}
	}
	if err != nil {
		return fmt.Errorf("pgstore: %w", err)
	}
	return nil
}

// records are the IDs and JSON bodies of one kind of record in a change,
// the last one winning when an ID repeats (as a sequence of upserts would).
type records struct {
	ids, bodies []string
}

func bodies[T any](xs []*T, errNil error, id func(*T) string) (records, error) {
	var r records
	if len(xs) == 0 {
		return r, nil
	}
	at := make(map[string]int, len(xs))
	for _, x := range xs {
		if x == nil {
			return r, errNil
		}
		var body []byte
		var err error
		if m, ok := any(x).(json.Marshaler); ok {
			body, err = m.MarshalJSON() // the core's encoders write compact JSON: no second pass
		} else {
			body, err = json.Marshal(x)
		}
		if err != nil {
			return r, fmt.Errorf("pgstore: encode %q: %w", id(x), err)
		}
		if i, ok := at[id(x)]; ok {
			r.bodies[i] = string(body)
			continue
		}
		at[id(x)] = len(r.ids)
		r.ids = append(r.ids, id(x))
		r.bodies = append(r.bodies, string(body))
	}
	return r, nil
}

// Task returns the task with id, open or finished.
func (s *Store) Task(ctx context.Context, id string) (*switchboard.Task, error) {
	t, err := one[switchboard.Task](ctx, s.pool, s.sql.task, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, &switchboard.NotFoundError{Kind: "task", ID: id}
	}
	return t, err
}

// TaskByClientToken returns the task with the highest Sequence among those
// whose ClientToken is token. The empty token matches no task.
func (s *Store) TaskByClientToken(ctx context.Context, token string) (*switchboard.Task, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if token == "" {
		return nil, &switchboard.NotFoundError{Kind: "task with client token", ID: token}
	}
	t, err := one[switchboard.Task](ctx, s.pool, s.sql.taskByToken, token)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, &switchboard.NotFoundError{Kind: "task with client token", ID: token}
	}
	return t, err
}

// Chain returns every task whose InitialTaskID is initialTaskID, in
// Sequence order.
func (s *Store) Chain(ctx context.Context, initialTaskID string) ([]*switchboard.Task, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if initialTaskID == "" {
		return nil, nil
	}
	return all[switchboard.Task](ctx, s.pool, s.sql.chain, initialTaskID)
}

// Load returns the queues, routing profiles and agents, the open tasks in
// Sequence order, and the high-water marks, read in one REPEATABLE READ
// transaction so that they are consistent with each other.
func (s *Store) Load(ctx context.Context) (*switchboard.Snapshot, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("pgstore: load: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	snap := &switchboard.Snapshot{}
	if snap.Queues, err = all[switchboard.Queue](ctx, tx, s.sql.loadQueues); err != nil {
		return nil, err
	}
	if snap.Profiles, err = all[switchboard.RoutingProfile](ctx, tx, s.sql.loadProfiles); err != nil {
		return nil, err
	}
	if snap.Agents, err = all[switchboard.Agent](ctx, tx, s.sql.loadAgents); err != nil {
		return nil, err
	}
	if snap.OpenTasks, err = all[switchboard.Task](ctx, tx, s.sql.loadTasks); err != nil {
		return nil, err
	}
	var lastSeq, lastEvt int64
	if err := tx.QueryRow(ctx, s.sql.loadHW).Scan(&lastSeq, &lastEvt); err != nil {
		return nil, fmt.Errorf("pgstore: load: %w", err)
	}
	snap.LastSequence, snap.LastEventSeq = uint64(lastSeq), uint64(lastEvt)
	return snap, tx.Commit(ctx)
}

// querier is what the read helpers need: a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// one decodes the JSON body of the single row sql returns, or returns
// pgx.ErrNoRows.
func one[T any](ctx context.Context, q querier, sql string, args ...any) (*T, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var body []byte
	if err := q.QueryRow(ctx, sql, args...).Scan(&body); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	v := new(T)
	if err := json.Unmarshal(body, v); err != nil {
		return nil, fmt.Errorf("pgstore: decode: %w", err)
	}
	return v, nil
}

// all decodes the JSON body of every row sql returns.
func all[T any](ctx context.Context, q querier, sql string, args ...any) ([]*T, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	defer rows.Close()
	var out []*T
	var body []byte
	for rows.Next() {
		if err := rows.Scan(&body); err != nil {
			return nil, fmt.Errorf("pgstore: %w", err)
		}
		v := new(T)
		if err := json.Unmarshal(body, v); err != nil {
			return nil, fmt.Errorf("pgstore: decode: %w", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	return out, nil
}

// Pool returns the pool the store uses.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }
