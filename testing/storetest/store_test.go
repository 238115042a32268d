package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ltikit/ltikit/tool"
)

func TestStore_MemoryStore(t *testing.T) {
	TestStore(t, func(t *testing.T) tool.Store { return tool.NewMemoryStore() })
}

// TestStore_CatchesDefects runs each subtest against a store with one
// defect and expects it to fail, and every subtest against the same store
// without a defect and expects it to pass.
func TestStore_CatchesDefects(t *testing.T) {
	tests := []struct {
		defect  storeDefect
		subtest string
	}{
		{ownNotFound, "Empty"},
		{getConsumes, "AddAndGet"},
		{dropsEmptyValues, "AddAndGet"},
		{overwritesOnAdd, "AddRefusesExisting"},
		{cutsKeysAtNUL, "KeysAreExact"},
		{foldsKeyCase, "KeysAreExact"},
		{takeKeepsKey, "TakeOnce"},
		{tombstones, "AddAfterTake"},
		{sharesBytes, "ValuesAreCopies"},
		{neverExpires, "TTL"},
		{addIsRacy, "AddConcurrent"},
		{takeIsRacy, "TakeConcurrent"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%s", tt.defect, tt.subtest), func(t *testing.T) {
			if failed, _ := runSubtest[tool.Store](t, storeTests, tt.subtest, newFakeStore(tt.defect)); !failed {
				t.Errorf("subtest %s passed a store that %s", tt.subtest, tt.defect)
			}
		})
	}
	for _, tc := range storeTests {
		if failed, msgs := runSubtest[tool.Store](t, storeTests, tc.name, newFakeStore(storeOK)); failed {
			t.Errorf("subtest %s failed the fake store without defects: %s", tc.name, msgs)
		}
	}
}

// storeDefect is one way a Store can be wrong.
type storeDefect string

const (
	storeOK          storeDefect = "has no defect"
	ownNotFound      storeDefect = "returns its own not-found error"
	getConsumes      storeDefect = "deletes on Get"
	dropsEmptyValues storeDefect = "cannot read back an empty value"
	overwritesOnAdd  storeDefect = "overwrites on Add"
	cutsKeysAtNUL    storeDefect = "cuts keys at NUL"
	foldsKeyCase     storeDefect = "compares keys case-insensitively"
	takeKeepsKey     storeDefect = "keeps the key on Take"
	tombstones       storeDefect = "blocks a key added again after Take"
	sharesBytes      storeDefect = "shares values with callers"
	neverExpires     storeDefect = "ignores the TTL"
	addIsRacy        storeDefect = "checks and sets in two steps on Add"
	takeIsRacy       storeDefect = "gets and deletes in two steps on Take"
)

// fakeStore is a Store with an optional defect.
type fakeStore struct {
	defect storeDefect

	mu      sync.Mutex
	items   map[string]fakeItem
	taken   map[string]bool // tombstones
	readers sync.WaitGroup  // addIsRacy, takeIsRacy: every call reads before any writes
}

type fakeItem struct {
	value   []byte
	expires time.Time
}

func newFakeStore(d storeDefect) *fakeStore {
	f := &fakeStore{defect: d, items: map[string]fakeItem{}, taken: map[string]bool{}}
	f.readers.Add(concurrency)
	return f
}

var errFakeStoreNotFound = errors.New("fake store: not found")

func (f *fakeStore) key(k string) string {
	switch f.defect {
	case cutsKeysAtNUL:
		k, _, _ = strings.Cut(k, "\x00")
	case foldsKeyCase:
		k = strings.ToLower(k)
	}
	return k
}

func (f *fakeStore) copyOf(v []byte) []byte {
	if f.defect == sharesBytes {
		return v
	}
	return bytes.Clone(v)
}

// lookup returns the live item under k; f.mu is held.
func (f *fakeStore) lookup(k string) (fakeItem, bool) {
	it, ok := f.items[k]
	if !ok || (f.defect != neverExpires && time.Now().After(it.expires)) || f.taken[k] {
		return fakeItem{}, false
	}
	return it, true
}

func (f *fakeStore) notFound() error {
	if f.defect == ownNotFound {
		return errFakeStoreNotFound
	}
	return tool.ErrKeyNotFound
}

// race makes the concurrent subtests' calls all read before any writes.
func (f *fakeStore) race() {
	f.readers.Done()
	f.readers.Wait()
	runtime.Gosched()
}

func (f *fakeStore) Add(_ context.Context, key string, value []byte, ttl time.Duration) error {
	k := f.key(key)
	f.mu.Lock()
	_, exists := f.lookup(k)
	if f.defect == addIsRacy {
		f.mu.Unlock()
		f.race()
		f.mu.Lock()
	}
	defer f.mu.Unlock()
	if exists && f.defect != overwritesOnAdd {
		return tool.ErrKeyExists
	}
	f.items[k] = fakeItem{value: f.copyOf(value), expires: time.Now().Add(ttl)}
	return nil
}

func (f *fakeStore) Get(_ context.Context, key string) ([]byte, error) {
	k := f.key(key)
	f.mu.Lock()
	defer f.mu.Unlock()
	it, ok := f.lookup(k)
	if !ok || (f.defect == dropsEmptyValues && len(it.value) == 0) {
		return nil, f.notFound()
	}
	if f.defect == getConsumes {
		delete(f.items, k)
	}
	return f.copyOf(it.value), nil
}

func (f *fakeStore) Take(_ context.Context, key string) ([]byte, error) {
	k := f.key(key)
	f.mu.Lock()
	it, ok := f.lookup(k)
	if f.defect == takeIsRacy {
		f.mu.Unlock()
		f.race()
		f.mu.Lock()
	}
	defer f.mu.Unlock()
	if !ok {
		return nil, f.notFound()
	}
	switch f.defect {
	case takeKeepsKey:
	case tombstones:
		delete(f.items, k)
		f.taken[k] = true
	default:
		delete(f.items, k)
	}
	return f.copyOf(it.value), nil
}
