package outbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ltikit/ltikit/tool"
)

var ft0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// testRecord is a pending record for key, due at ft0.
func testRecord(key string) *Record {
	return &Record{Key: key, Version: 1, State: StatePending, Accepted: ft0, NextAttempt: ft0,
		Delivery: Delivery{Issuer: "https://lms.example", ClientID: "c", Endpoint: tool.AGSEndpoint{LineItem: "https://lms.example/li/1"},
			Score: tool.Score{UserID: key, ScoreGiven: 1, ScoreMaximum: 2, Timestamp: ft0,
				ActivityProgress: tool.ActivityCompleted, GradingProgress: tool.GradingFullyGraded}}}
}

func openStore(t *testing.T, dir string) *FileStore {
	t.Helper()
	s, err := OpenFileStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mustPut(t *testing.T, s Store, r *Record) {
	t.Helper()
	if err := s.Update(context.Background(), r.Key, func(*Record) (*Record, error) { return r, nil }); err != nil {
		t.Fatal(err)
	}
}

// stored returns the record under key, or nil.
func stored(s *FileStore, key string) *Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.recs.get(key)
}

func logFile(dir string) string { return filepath.Join(dir, logName) }

// Records survive Close and reopening; leases do not (one process per
// directory: the last one's leases are void).
func TestFileStore_Reopen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := openStore(t, dir)
	mustPut(t, s, testRecord("a"))
	done := testRecord("b")
	done.State = StateDelivered
	mustPut(t, s, done)
	if recs, _ := s.Claim(context.Background(), ft0, "lease", ft0.Add(time.Hour), 1); len(recs) != 1 {
		t.Fatalf("claimed %v", recs)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(context.Background(), "a", func(r *Record) (*Record, error) { return r, nil }); err == nil {
		t.Error("Update after Close succeeded")
	}

	s2 := openStore(t, dir)
	if r := stored(s2, "b"); r == nil || r.State != StateDelivered {
		t.Errorf("b after reopening: %+v", r)
	}
	recs, err := s2.Claim(context.Background(), ft0, "again", ft0.Add(time.Hour), 10)
	if err != nil || len(recs) != 1 || recs[0].Key != "a" {
		t.Errorf("after reopening, Claim: %+v, %v; want a, its old lease void", recs, err)
	}
}

// A torn last write is dropped; damage before the last write is refused.
func TestFileStore_Damage(t *testing.T) {
	t.Parallel()
	good := func(key string) string {
		line, err := encodeLine(key, testRecord(key))
		if err != nil {
			t.Fatal(err)
		}
		return string(line)
	}
	flip := func(s string) string { // one byte changed inside the JSON
		b := []byte(s)
		i := bytes.Index(b, []byte(`"version":1`))
		b[i+len(`"version":`)] = '7'
		return string(b)
	}
	for _, tc := range []struct {
		name    string
		log     string
		want    error // nil: opens
		wantKey []string
	}{
		{"intact", good("a") + good("b"), nil, []string{"a", "b"}},
		{"torn last line", good("a") + good("b")[:40], nil, []string{"a"}},
		{"garbage after the last line", good("a") + "\x00\x00\x00\n\x00\n", nil, []string{"a"}},
		{"altered last line", good("a") + flip(good("b")), nil, []string{"a"}},
		{"altered line before a good one", flip(good("a")) + good("b"), ErrCorrupt, nil},
		{"line without checksum before a good one", "{}\n" + good("b"), ErrCorrupt, nil},
		{"record under another key before a good one", strings.Replace(good("a"), `"key":"a"`, `"key":"z"`, 1) + good("b"), ErrCorrupt, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(logFile(dir), []byte(tc.log), 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := OpenFileStore(dir)
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("OpenFileStore: %v, want %v", err, tc.want)
				}
				if s2, err := OpenFileStore(dir); err == nil { // not left locked either
					s2.Close()
					t.Error("opened a damaged log the second time")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if n := len(s.recs.byKey); n != len(tc.wantKey) {
				t.Errorf("%d records, want %v", n, tc.wantKey)
			}
			for _, k := range tc.wantKey {
				if stored(s, k) == nil {
					t.Errorf("record %s lost", k)
				}
			}
			data, _ := os.ReadFile(logFile(dir))
			if bytes.Count(data, []byte{'\n'}) != len(tc.wantKey) || !bytes.HasSuffix(data, []byte{'\n'}) && len(data) > 0 {
				t.Errorf("log not rewritten clean: %q", data)
			}
		})
	}
}

// One process per directory.
func TestFileStore_Locked(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := openStore(t, dir)
	if _, err := OpenFileStore(dir); !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
	s.Close()
	s2, err := OpenFileStore(dir)
	if err != nil {
		t.Fatalf("after Close: %v", err)
	}
	s2.Close()
}

// The log is rewritten when superseded lines dominate, and keeps every
// record across that and a reopen.
func TestFileStore_Compacts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := openStore(t, dir)
	for i := range 3 * compactMin {
		r := testRecord(fmt.Sprint("k", i%10))
		r.Version = int64(i)
		mustPut(t, s, r)
	}
	if s.lines >= 2*10+compactMin+1 {
		t.Errorf("%d lines for 10 records: never compacted", s.lines)
	}
	s.Close()
	s2 := openStore(t, dir)
	for i := range 10 {
		if r := stored(s2, fmt.Sprint("k", i)); r == nil || r.Version < int64(3*compactMin-10) {
			t.Errorf("k%d after compaction and reopen: %+v", i, r)
		}
	}
}

// A compaction or purge that fails before the new log replaces the old
// one leaves the store usable: updates keep going to the old log, nothing
// is lost, and a later compaction succeeds.
func TestFileStore_FailedCompactionKeepsStoreUsable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := openStore(t, dir)
	s.mu.Lock()
	s.dir = filepath.Join(dir, "gone") // the new log cannot be created
	s.mu.Unlock()
	for i := range 3 * compactMin {
		r := testRecord(fmt.Sprint("k", i%10))
		r.Version = int64(i)
		mustPut(t, s, r)
	}
	old := testRecord("old")
	old.State, old.Delivery.Score.Timestamp = StateDelivered, ft0.Add(-time.Hour)
	mustPut(t, s, old)
	if err := s.Purge(context.Background(), ft0); err == nil {
		t.Error("Purge reported no error although the log could not be rewritten")
	}
	if s.lines < 3*compactMin {
		t.Fatalf("%d lines: the log was compacted although it could not be", s.lines)
	}
	s.mu.Lock()
	s.dir = dir
	s.mu.Unlock()
	for i := range 2 * compactMin { // compaction is tried again, and succeeds
		r := testRecord(fmt.Sprint("k", i%10))
		r.Version = int64(3*compactMin + i)
		mustPut(t, s, r)
	}
	if s.lines >= 2*10+2*compactMin+1 {
		t.Errorf("%d lines for 10 records: never compacted after the failure", s.lines)
	}
	s.Close()
	s2 := openStore(t, dir)
	for i := range 10 {
		if r := stored(s2, fmt.Sprint("k", i)); r == nil || r.Version < int64(5*compactMin-10) {
			t.Errorf("k%d after the failed and the good compaction: %+v", i, r)
		}
	}
}

// Concurrent updates share fsyncs and all reach the disk.
func TestFileStore_GroupCommit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := openStore(t, dir)
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Go(func() {
			for i := range 20 {
				mustPut(t, s, testRecord(fmt.Sprintf("g%d-%d", g, i)))
			}
		})
	}
	wg.Wait()
	s.Close()
	if n := len(openStore(t, dir).recs.byKey); n != 32*20 {
		t.Errorf("%d records after reopening, want %d", n, 32*20)
	}
}

// A record too large to write is refused before it is applied.
func TestFileStore_RefusesOversizedRecord(t *testing.T) {
	t.Parallel()
	s := openStore(t, t.TempDir())
	r := testRecord("a")
	r.Delivery.Score.Comment = strings.Repeat("x", maxRecordSize)
	if err := s.Update(context.Background(), "a", func(*Record) (*Record, error) { return r, nil }); err == nil {
		t.Fatal("stored a record larger than the limit")
	}
	if stored(s, "a") != nil {
		t.Error("the refused record was applied")
	}
	bad := testRecord("b")
	bad.State = "lost"
	if err := s.Update(context.Background(), "b", func(*Record) (*Record, error) { return bad, nil }); err == nil || stored(s, "b") != nil {
		t.Errorf("stored a record with an unknown state: %v", err)
	}
}

// Purged records are gone from the log too.
func TestFileStore_Purge(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := openStore(t, dir)
	old := testRecord("old")
	old.State = StateDelivered
	mustPut(t, s, old)
	mustPut(t, s, testRecord("pending"))
	if err := s.Purge(context.Background(), ft0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2 := openStore(t, dir)
	if stored(s2, "old") != nil || stored(s2, "pending") == nil {
		t.Errorf("after Purge and reopen: %v", s2.recs.byKey)
	}
}
