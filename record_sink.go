package switchboard

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// JSONLinesOptions configures a JSONLinesSink.
type JSONLinesOptions struct {
	// Dir is the directory the files are written in; it must exist.
	Dir string
	// Prefix starts every file name; "records" when empty.
	Prefix string
	// MaxBytes starts a new file before a record would take the current one
	// past this size; 0: no size limit. A record larger than MaxBytes gets a
	// file of its own.
	MaxBytes int64
	// RotateEvery starts a new file when the clock enters a new period of
	// this length (time.Hour: one file per hour, counted from the Unix
	// epoch, so hours start on the hour in UTC); 0: no time rotation.
	RotateEvery time.Duration
	// Clock decides the period and names the files; the system clock when
	// nil. Give it the router's clock.
	Clock Clock
}

// JSONLinesSink is a RecordSink that appends each record as one line of JSON
// (ContactRecord.MarshalJSON) to files in a directory, for a data lake. Files
// are named <prefix>-<period start, UTC, 20060102T150405Z>-<n>.jsonl, n
// counting from 1 within a period, so names sort in writing order. Each
// record is written with one write call, unbuffered. It is safe for
// concurrent use.
type JSONLinesSink struct {
	opts   JSONLinesOptions
	mu     sync.Mutex
	f      *os.File
	size   int64
	period time.Time
	n      int
	files  []string
	closed bool
}

// NewJSONLinesSink returns a sink writing to o.Dir. The first file is
// created with the first record.
func NewJSONLinesSink(o JSONLinesOptions) (*JSONLinesSink, error) {
	if o.Dir == "" {
		return nil, invalid("JSONLinesOptions.Dir", "", "a directory is required")
	}
	if st, err := os.Stat(o.Dir); err != nil || !st.IsDir() {
		return nil, invalid("JSONLinesOptions.Dir", o.Dir, "must be an existing directory")
	}
	if o.MaxBytes < 0 || o.RotateEvery < 0 {
		return nil, invalid("JSONLinesOptions", fmt.Sprint(o.MaxBytes, " ", o.RotateEvery), "MaxBytes and RotateEvery must not be negative")
	}
	if o.Prefix == "" {
		o.Prefix = "records"
	}
	if o.Clock == nil {
		o.Clock = SystemClock()
	}
	return &JSONLinesSink{opts: o}, nil
}

// WriteRecord appends r to the current file, starting a new one first when
// the period changed or the size limit would be passed.
func (s *JSONLinesSink) WriteRecord(r ContactRecord) error {
	line, err := json.Marshal(r)
	if err != nil {
		return err
	}
	line = append(line, '\n')
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	var period time.Time
	if s.opts.RotateEvery > 0 {
		period = s.opts.Clock.Now().UTC().Truncate(s.opts.RotateEvery)
	}
	switch {
	case s.f == nil:
	case !period.Equal(s.period):
		s.n = 0
		if err := s.closeFile(); err != nil {
			return err
		}
	case s.opts.MaxBytes > 0 && s.size > 0 && s.size+int64(len(line)) > s.opts.MaxBytes:
		if err := s.closeFile(); err != nil {
			return err
		}
	}
	if s.f == nil {
		if err := s.openFile(period); err != nil {
			return err
		}
	}
	n, err := s.f.Write(line)
	s.size += int64(n)
	return err
}

func (s *JSONLinesSink) openFile(period time.Time) error {
	s.period = period
	stamp := "0"
	if !period.IsZero() {
		stamp = period.Format("20060102T150405Z")
	}
	for {
		s.n++
		name := filepath.Join(s.opts.Dir, fmt.Sprintf("%s-%s-%04d.jsonl", s.opts.Prefix, stamp, s.n))
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, os.ErrExist) {
			continue // a file of an earlier run: never overwrite it
		}
		if err != nil {
			return err
		}
		s.f, s.size = f, 0
		s.files = append(s.files, name)
		return nil
	}
}

func (s *JSONLinesSink) closeFile() error {
	err := s.f.Close()
	s.f = nil
	return err
}

// Files returns the paths of the files written so far, in order.
func (s *JSONLinesSink) Files() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.files...)
}

// Close closes the current file; later writes return ErrClosed.
func (s *JSONLinesSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.f == nil {
		return nil
	}
	return s.closeFile()
}
