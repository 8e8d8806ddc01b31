package switchboard

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/switchboard-go/switchboard/internal/search"
)

// MemoryStore implements RecordStore: contact records live in a map, with
// ordered indexes (internal/search) on each time-range field, overall, per
// queue and per agent, and on the links between records. A search by time
// range, with or without queues or agents, reads only the index entries in
// the range of the chosen queues or agents (the smaller of the two lists
// when both are given), never every record; see docs/search.md for the
// costs. Finished records are bounded by MaxRecords.
var _ RecordStore = (*MemoryStore)(nil)

// DefaultMaxRecords is MemoryStore.MaxRecords when it is 0.
const DefaultMaxRecords = 100_000

// memRecords is the record side of a MemoryStore, under its own lock so
// that searches never wait on the router's writes.
type memRecords struct {
	mu       sync.RWMutex
	byID     map[string]*ContactRecord
	index    *search.Index
	finished []string // IDs of final records, oldest first from head
	head     int
	pruned   uint64
}

func (s *MemoryStore) recs() *memRecords {
	s.recOnce.Do(func() {
		s.records = &memRecords{byID: map[string]*ContactRecord{}, index: search.New()}
	})
	return s.records
}

func (s *MemoryStore) maxRecords() int {
	if s.MaxRecords == 0 {
		return DefaultMaxRecords
	}
	return s.MaxRecords
}

// nanos maps t to an index time, saturating outside the years 1678–2262.
func nanos(t time.Time) int64 {
	switch {
	case t.Before(minNanoTime):
		return math.MinInt64
	case t.After(maxNanoTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

var (
	minNanoTime = time.Unix(0, math.MinInt64)
	maxNanoTime = time.Unix(0, math.MaxInt64)
)

// setName names the index set of field f overall (kind 0), within queue id
// (kind 'q') or agent id (kind 'a').
func setName(f ContactField, kind byte, id string) search.Set {
	return search.Set{Field: string(f), Kind: kind, ID: id}
}

// linkSet names the set of the records linking to id.
func linkSet(id string) search.Set { return search.Set{Kind: 'l', ID: id} }

// links returns the distinct IDs r links to, itself excluded.
func links(r *ContactRecord) []string {
	var out []string
	for _, id := range [...]string{r.InitialTaskID, r.PreviousTaskID, r.RelatedTaskID} {
		if id != "" && id != r.TaskID && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// indexRecord adds (add true) or removes r's index entries.
func (m *memRecords) indexRecord(r *ContactRecord, add bool) {
	op := m.index.Remove
	if add {
		op = m.index.Add
	}
	for _, f := range TimeRangeFields {
		t := f.Time(r)
		if t.IsZero() {
			continue
		}
		k := search.Key{T: nanos(t), ID: r.TaskID}
		op(setName(f, 0, ""), k)
		if r.QueueID != "" {
			op(setName(f, 'q', r.QueueID), k)
		}
		if r.AgentID != "" {
			op(setName(f, 'a', r.AgentID), k)
		}
	}
	k := search.Key{T: nanos(r.InitiatedAt), ID: r.TaskID}
	for _, id := range links(r) {
		op(linkSet(id), k)
	}
}

// PutRecords stores each record under its TaskID unless the stored one has
// a higher LastSeq, then drops the oldest finished records past MaxRecords.
func (s *MemoryStore) PutRecords(ctx context.Context, records []ContactRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for i := range records {
		if records[i].TaskID == "" {
			return fmt.Errorf("switchboard: memory store: record %d has no TaskID: %w", i, ErrValidation)
		}
	}
	m := s.recs()
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range records {
		r := &records[i]
		old := m.byID[r.TaskID]
		if old != nil {
			if old.LastSeq > r.LastSeq {
				continue
			}
			m.indexRecord(old, false)
		}
		c := cloneRecord(r)
		m.byID[r.TaskID] = c
		m.indexRecord(c, true)
		if c.State.Final() && (old == nil || !old.State.Final()) {
			m.finished = append(m.finished, c.TaskID)
		}
	}
	m.prune(s.maxRecords())
	return nil
}

// prune drops the oldest finished records while more than limit are kept.
func (m *memRecords) prune(limit int) {
	for limit >= 0 && len(m.finished)-m.head > limit {
		id := m.finished[m.head]
		m.finished[m.head] = ""
		m.head++
		if r := m.byID[id]; r != nil {
			m.indexRecord(r, false)
			delete(m.byID, id)
			m.pruned++
		}
	}
	if m.head >= 64 && m.head >= len(m.finished)/2 {
		n := copy(m.finished, m.finished[m.head:])
		clear(m.finished[n:])
		m.finished, m.head = m.finished[:n], 0
	}
}

// Record returns a copy of the record of taskID.
func (s *MemoryStore) Record(ctx context.Context, taskID string) (*ContactRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m := s.recs()
	m.mu.RLock()
	defer m.mu.RUnlock()
	r := m.byID[taskID]
	if r == nil {
		return nil, fmt.Errorf("switchboard: contact record %q: %w", taskID, ErrNotFound)
	}
	return cloneRecord(r), nil
}

// LinkedRecords returns the records linking to taskID, from the link index.
func (s *MemoryStore) LinkedRecords(ctx context.Context, taskID string) ([]ContactRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m := s.recs()
	m.mu.RLock()
	defer m.mu.RUnlock()
	keys := m.index.First([]search.Set{linkSet(taskID)}, search.Range{Lo: math.MinInt64, Hi: math.MaxInt64}, -1,
		func(search.Key) bool { return true })
	return m.copies(keys), nil
}

func (m *memRecords) copies(keys []search.Key) []ContactRecord {
	out := make([]ContactRecord, len(keys))
	for i, k := range keys {
		out[i] = *m.byID[k.ID]
		out[i].Attributes = maps.Clone(out[i].Attributes)
	}
	return out
}

// SearchRecords answers q from the indexes: the sets of the time range's
// field, overall or for each queue or agent asked. When q sorts on that
// field, each set is read in order only until it gives q.Limit matches;
// otherwise every match in the range is read, then sorted.
func (s *MemoryStore) SearchRecords(ctx context.Context, q *RecordQuery) ([]ContactRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m := s.recs()
	m.mu.RLock()
	defer m.mu.RUnlock()
	c := &q.Criteria
	f := c.TimeRange.Type
	names := []search.Set{setName(f, 0, "")}
	pick := func(kind byte, ids []string) {
		if len(ids) == 0 {
			return
		}
		alt, n := make([]search.Set, len(ids)), 0
		for i, id := range ids {
			alt[i] = setName(f, kind, id)
			n += m.index.Len(alt[i])
		}
		if len(names) == 1 && names[0] == setName(f, 0, "") || n < m.total(names) {
			names = alt
		}
	}
	pick('q', c.QueueIDs)
	pick('a', c.AgentIDs)
	rng := search.Range{Lo: nanos(c.TimeRange.Start), Hi: nanos(c.TimeRange.End)}
	keep := func(k search.Key) bool { return c.Match(m.byID[k.ID]) }
	if q.Sort.Field == f {
		rng.Desc = q.Sort.Order == Descending
		if q.After != nil {
			rng.After = &search.Key{T: nanos(q.After.Time), ID: q.After.TaskID}
		}
		return m.copies(m.index.First(names, rng, q.Limit, keep)), nil
	}
	keys := m.index.First(names, rng, -1, func(k search.Key) bool {
		r := m.byID[k.ID]
		return c.Match(r) && (q.After == nil || q.Sort.After(r, *q.After))
	})
	recs := make([]*ContactRecord, len(keys))
	for i, k := range keys {
		recs[i] = m.byID[k.ID]
	}
	slices.SortFunc(recs, q.Sort.Compare)
	if len(recs) > q.Limit {
		recs = recs[:q.Limit]
	}
	out := make([]ContactRecord, len(recs))
	for i, r := range recs {
		out[i] = *r
		out[i].Attributes = maps.Clone(r.Attributes)
	}
	return out, nil
}

func (m *memRecords) total(names []search.Set) int {
	n := 0
	for _, name := range names {
		n += m.index.Len(name)
	}
	return n
}

// RecordsPruned returns how many finished records MaxRecords has dropped.
func (s *MemoryStore) RecordsPruned() uint64 {
	m := s.recs()
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.pruned
}
