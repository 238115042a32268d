package outbox

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"
)

// FileStore is the [Store] to use when one process delivers the scores:
// an append-only log of JSON lines in a directory, each line a record's new
// state with a checksum, synced to disk (fsync) before Update returns.
// Concurrent updates share one fsync (group commit), so many learners
// finishing at once cost few disk flushes.
//
// Opening the store reads the log, drops a torn last write (one that never
// returned), refuses a log damaged elsewhere ([ErrCorrupt]), and rewrites
// the log with the live records only, atomically (a temporary file, synced,
// renamed over the old one); the log is rewritten the same way when it
// grows to twice the live records. Leases are kept in memory only.
//
// A directory belongs to one process at a time: OpenFileStore locks it
// (flock on Unix, LockFileEx on Windows) and fails with [ErrLocked] while
// another FileStore has it open. On systems without either lock, nothing
// enforces this. Several processes delivering from one store need a
// shared store such as PostgreSQL. FileStore is safe for concurrent use.
type FileStore struct {
	dir    string
	unlock func()

	mu   sync.Mutex
	cond sync.Cond // broadcast when a sync ends
	recs *records

	f        *os.File // the log, opened for appending
	lines    int      // lines in the log
	deferred int      // after a failed compaction, lines to add before the next try
	buf      []byte   // lines not written yet
	appended uint64   // lines appended since open
	synced   uint64   // lines durable since open
	syncing  bool     // a goroutine is writing and syncing
	err      error    // a failed write or sync: the store refuses every further call
}

// The files in a FileStore's directory.
const (
	logName  = "outbox.log"
	lockName = "lock"
)

// compactMin is how many superseded lines the log may hold before it is
// rewritten, whatever the number of live records.
const compactMin = 1024

// OpenFileStore opens the store in dir, creating the directory if needed,
// and locks it. Close it when done.
func OpenFileStore(dir string) (*FileStore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("outbox: store: %w", err)
	}
	unlock, err := lockDir(filepath.Join(dir, lockName))
	if errors.Is(err, ErrLocked) {
		return nil, fmt.Errorf("%w: %s", ErrLocked, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("outbox: store: lock %s: %w", dir, err)
	}
	s := &FileStore{dir: dir, unlock: unlock, recs: newRecords()}
	s.cond.L = &s.mu
	if err := s.load(); err != nil {
		unlock()
		return nil, err
	}
	if err := s.rewrite(); err != nil {
		unlock()
		return nil, err
	}
	return s, nil
}

// load replays the log into s.recs.
func (s *FileStore) load() error {
	data, err := os.ReadFile(filepath.Join(s.dir, logName))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("outbox: store: %w", err)
	}
	badLine, badErr := 0, error(nil) // the first line that did not decode, 1-based
	for n := 1; len(data) > 0; n++ {
		line, rest, complete := bytes.Cut(data, []byte{'\n'})
		data = rest
		if !complete {
			break // a torn last write: it never returned, so it held no accepted score
		}
		key, r, err := decodeLine(line)
		switch {
		case err != nil && badLine == 0:
			badLine, badErr = n, err
		case err != nil:
		case badLine != 0:
			return fmt.Errorf("%w: %s line %d: %v", ErrCorrupt, filepath.Join(s.dir, logName), badLine, badErr)
		default:
			s.recs.set(key, r)
		}
	}
	// Bad lines at the very end are a torn last write, too (a crash can
	// leave garbage after the last complete line); they are dropped.
	return nil
}

// rewrite writes the live records to a new log that replaces the old one
// atomically, and opens it for appending. s.mu is held, or s is not shared
// yet; no write is in progress. When it fails before the new log replaces
// the old one, the old log, intact and still open, stays in use; after
// that, the store is broken (s.err).
func (s *FileStore) rewrite() error {
	name := filepath.Join(s.dir, logName)
	tmp, err := os.CreateTemp(s.dir, logName+".*.tmp")
	if err != nil {
		return fmt.Errorf("outbox: store: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename, a no-op
	w := bufio.NewWriter(tmp)
	lines := 0
	for k, r := range s.recs.byKey {
		line, err := encodeLine(k, r)
		if err == nil {
			_, err = w.Write(line)
		}
		if err != nil {
			tmp.Close()
			return fmt.Errorf("outbox: store: %w", err)
		}
		lines++
	}
	err = w.Flush()
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), name)
	}
	if err != nil {
		return fmt.Errorf("outbox: store: rewrite log: %w", err)
	}
	// The old log is gone: appending to its open file would lose writes.
	var f *os.File
	err = syncDir(s.dir)
	if err == nil {
		f, err = os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0o600)
	}
	if err != nil {
		s.err = fmt.Errorf("outbox: store: reopen the rewritten log: %w", err)
		return s.err
	}
	if s.f != nil {
		s.f.Close()
	}
	s.f, s.lines = f, lines
	return nil
}

// syncDir makes a rename in dir durable. Windows cannot sync a directory,
// and does not need to.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// errStoreClosed is returned by a FileStore after Close.
var errStoreClosed = errors.New("outbox: store closed")

// usable returns why s cannot be used, if it cannot. s.mu is held.
func (s *FileStore) usable() error {
	switch {
	case s.err != nil:
		return s.err
	case s.f == nil:
		return errStoreClosed
	}
	return nil
}

// Update implements [Store]: it returns once the change is on disk.
func (s *FileStore) Update(_ context.Context, key string, fn func(*Record) (*Record, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(); err != nil {
		return err
	}
	var line []byte
	_, changed, err := s.recs.update(key, func(cur *Record) (*Record, error) {
		next, err := fn(cur)
		if err == nil {
			line, err = encodeLine(key, next) // refuse what cannot be written before it is applied
		}
		return next, err
	})
	if err != nil || !changed {
		return err
	}
	s.buf = append(s.buf, line...)
	s.lines++
	s.appended++
	if err := s.syncTo(s.appended); err != nil {
		return err
	}
	s.maybeCompact()
	return nil
}

// syncTo returns once the first n appended lines are on disk. One caller
// at a time writes and syncs everything appended so far, without s.mu;
// the others wait for it, and their lines often ride along. s.mu is held.
func (s *FileStore) syncTo(n uint64) error {
	for s.synced < n {
		if s.err != nil {
			return s.err
		}
		if s.syncing {
			s.cond.Wait()
			continue
		}
		s.syncing = true
		buf, upto, f := s.buf, s.appended, s.f
		s.buf = nil
		s.mu.Unlock()
		_, err := f.Write(buf)
		if err == nil {
			err = f.Sync()
		}
		s.mu.Lock()
		s.syncing = false
		if err != nil {
			s.err = fmt.Errorf("outbox: store: write log: %w", err)
		} else {
			s.synced = upto
		}
		s.cond.Broadcast()
	}
	return s.err
}

// maybeCompact rewrites the log when superseded lines outnumber the live
// records and nothing is being written. s.mu is held.
func (s *FileStore) maybeCompact() {
	if s.syncing || len(s.buf) > 0 || s.lines < 2*len(s.recs.byKey)+compactMin+s.deferred {
		return
	}
	s.deferred = 0
	if err := s.rewrite(); err != nil {
		// The log keeps growing; try again later, not on every update.
		s.deferred = compactMin
	}
}

// Claim implements [Store]. Leases are kept in memory only.
func (s *FileStore) Claim(_ context.Context, now time.Time, lease string, until time.Time, n int) ([]Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(); err != nil {
		return nil, err
	}
	return s.recs.claim(now, lease, until, n), nil
}

// Purge implements [Store]; the log is rewritten without the records
// purged.
func (s *FileStore) Purge(_ context.Context, before time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(); err != nil {
		return err
	}
	if s.recs.purge(before) == 0 {
		return nil
	}
	if err := s.drain(); err != nil {
		return err
	}
	// The purged records stay in the log until a rewrite succeeds; read
	// back after a restart, they are purged again.
	return s.rewrite()
}

// drain returns once everything appended is on disk and no write is in
// progress. s.mu is held.
func (s *FileStore) drain() error {
	err := s.syncTo(s.appended)
	for s.syncing {
		s.cond.Wait()
	}
	return err
}

// Close waits for the writes in progress, closes the log and unlocks the
// directory. Calls after Close fail; Close itself may be called again.
func (s *FileStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.drain()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	s.f = nil
	s.unlock()
	return err
}
