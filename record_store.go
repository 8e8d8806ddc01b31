package switchboard

import (
	"context"
	"errors"
	"fmt"
	"maps"
)

// This file holds the RecordStore capability, which keeps contact records in
// the Store so that they can be searched (search.go), and StoreRecordSink,
// the RecordSink that writes a RecordBuilder's records into it.

// RecordStore is the optional Store capability that keeps contact records
// and answers searches over them (ContactSearch, search.go). A Store that
// implements it is found by type assertion, as database/sql/driver finds
// optional interfaces; the five Store methods stay as they are.
//
// Ownership follows Store: records passed to PutRecords belong to the caller
// and are valid only during the call (copy what you keep, Attributes
// included); records returned belong to the caller (return copies).
// Implementations must be safe for concurrent use; storetest checks a store
// that claims the capability.
type RecordStore interface {
	// PutRecords stores each record under its TaskID, replacing the stored
	// one unless the stored record has a higher LastSeq (records of a
	// replayed event log then change nothing). A segment's record is put
	// while it is in progress and again when it ends.
	PutRecords(ctx context.Context, records []ContactRecord) error
	// Record returns the record of taskID, or an error matching
	// ErrNotFound.
	Record(ctx context.Context, taskID string) (*ContactRecord, error)
	// SearchRecords returns, in q.Sort order, the first q.Limit records
	// that match q.Criteria (SearchCriteria.Match) and come after q.After
	// (SearchSort.After) when it is set. q has been validated.
	SearchRecords(ctx context.Context, q *RecordQuery) ([]ContactRecord, error)
	// LinkedRecords returns every record whose InitialTaskID,
	// PreviousTaskID or RelatedTaskID is taskID, ordered by InitiatedAt
	// then TaskID.
	LinkedRecords(ctx context.Context, taskID string) ([]ContactRecord, error)
}

// RecordQuery is one page of a search as a RecordStore receives it.
type RecordQuery struct {
	Criteria SearchCriteria
	Sort     SearchSort
	// After, when not nil, is the position of the last record of the
	// previous page: only records after it in Sort order are returned.
	After *RecordCursor
	// Limit is the most records to return (at least 1).
	Limit int
}

// recordStore returns the store's RecordStore, or an error matching
// errors.ErrUnsupported that says what is missing.
func recordStore(s Store, op string) (RecordStore, error) {
	rs, ok := s.(RecordStore)
	if !ok {
		return nil, fmt.Errorf("switchboard: %s: the store (%T) does not implement switchboard.RecordStore, which keeps contact records: %w", op, s, errors.ErrUnsupported)
	}
	return rs, nil
}

// StoreRecordSink is the RecordSink (and ProgressSink) that puts a
// RecordBuilder's records into a store's RecordStore, completing each with
// what the event log does not carry, read from the stored task: Name,
// Description, Attributes, InitialTaskID, RelatedTaskID, CreatedBy and
// ExpiresAt. Records of segments in progress are put too, so that a task is
// searchable from its creation. Attach it as
//
//	records := switchboard.NewRecordBuilder(sink)
//	cfg.Consumers = append(cfg.Consumers, records)
//
// A task the store no longer has (pruned) keeps what the event log told.
type StoreRecordSink struct {
	store Store
	rs    RecordStore
}

// NewStoreRecordSink returns the sink for store, or an error matching
// errors.ErrUnsupported when store does not implement RecordStore.
func NewStoreRecordSink(store Store) (*StoreRecordSink, error) {
	rs, err := recordStore(store, "NewStoreRecordSink")
	if err != nil {
		return nil, err
	}
	return &StoreRecordSink{store: store, rs: rs}, nil
}

// WriteRecord puts the record of an ended segment.
func (s *StoreRecordSink) WriteRecord(r ContactRecord) error { return s.put(r) }

// WriteProgress puts the record of a segment in progress.
func (s *StoreRecordSink) WriteProgress(r ContactRecord) error { return s.put(r) }

// put completes r from the stored task and stores it.
func (s *StoreRecordSink) put(r ContactRecord) error {
	ctx := context.Background()
	t, err := s.store.Task(ctx, r.TaskID)
	switch {
	case err == nil:
		r.Name, r.Description, r.Attributes = t.Name, t.Description, t.Attributes
		r.InitialTaskID, r.RelatedTaskID, r.CreatedBy, r.ExpiresAt = t.InitialTaskID, t.RelatedTaskID, t.CreatedBy, t.ExpiresAt
		if r.PreviousTaskID == "" {
			r.PreviousTaskID = t.PreviousTaskID
		}
	case !errors.Is(err, ErrNotFound):
		return err
	}
	return s.rs.PutRecords(ctx, []ContactRecord{r})
}

// cloneRecord returns a copy of r that shares nothing with it.
func cloneRecord(r *ContactRecord) *ContactRecord {
	c := *r
	c.Attributes = maps.Clone(r.Attributes)
	return &c
}
