package pgstore

import "github.com/switchboard-go/switchboard"

// StopRenewing makes l's process look paused (a GC pause, a stopped VM):
// it stops renewing the lease without knowing it lost it.
func StopRenewing(l *Lease) { l.stopRenewing() }

// SearchSQL returns the query SearchRecords runs for q.
func SearchSQL(s *Store, q *switchboard.RecordQuery) (string, []any, error) { return s.searchSQL(q) }
