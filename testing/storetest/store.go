package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ltikit/ltikit/tool"
)

// Times of the TTL subtest. Expiry is checked with the real clock, as a
// store shared by processes keeps it: shortTTL must pass, and the store
// may take up to expiryWait more to forget the key.
const (
	shortTTL   = 200 * time.Millisecond
	expiryWait = 3 * time.Second
	longTTL    = time.Hour
)

// TestStore runs the conformance suite against the [tool.Store] newStore
// makes: the pending logins, used nonces and launches of a tool. newStore
// is called once per subtest, sequentially, and must return a new, empty
// store; it may register cleanups with t.Cleanup. The TTL subtest waits
// for a key to expire on the real clock (under a second for a store that
// expires on time).
func TestStore(t *testing.T, newStore func(t *testing.T) tool.Store) {
	runSuite(t, storeTests, newStore)
}

// storeTests are the subtests of TestStore, in order.
var storeTests = []subtest[tool.Store]{
	{"Empty", testStoreEmpty},
	{"AddAndGet", testStoreAddAndGet},
	{"AddRefusesExisting", testStoreAddRefusesExisting},
	{"KeysAreExact", testStoreKeysAreExact},
	{"TakeOnce", testStoreTakeOnce},
	{"AddAfterTake", testStoreAddAfterTake},
	{"ValuesAreCopies", testStoreValuesAreCopies},
	{"TTL", testStoreTTL},
	{"AddConcurrent", testStoreAddConcurrent},
	{"TakeConcurrent", testStoreTakeConcurrent},
}

// Keys shaped like the tool's: "login:" + state, "nonce:" + issuer + NUL +
// nonce, "launch:" + id.
var (
	loginKey  = "login:7Xy0Pq2LmN4oR6sT8uV0wX2yZ4aB6cD8eF0gH2iJ4kL"
	nonceKey  = "nonce:https://lms-a.example.edu\x00Qw3rTy7uIo9pAs1dFg3hJk5lZx7cVb9nM1qW3eR5tY7"
	launchKey = "launch:" + strings.Repeat("k", 43)
)

func testStoreEmpty(t testing.TB, s tool.Store) {
	ctx := t.Context()
	for _, k := range []string{loginKey, nonceKey, launchKey} {
		if v, err := s.Get(ctx, k); !errors.Is(err, tool.ErrKeyNotFound) {
			t.Errorf("Get(%q) on an empty store = %q, %v; want ErrKeyNotFound", k, v, err)
		}
		if v, err := s.Take(ctx, k); !errors.Is(err, tool.ErrKeyNotFound) {
			t.Errorf("Take(%q) on an empty store = %q, %v; want ErrKeyNotFound", k, v, err)
		}
	}
}

func testStoreAddAndGet(t testing.TB, s tool.Store) {
	values := map[string][]byte{
		loginKey:  []byte(`{"iss":"https://lms-a.example.edu","nonce":"n"}`),
		launchKey: {0, 1, 0xfe, 0xff, '\n', 0}, // any bytes
		nonceKey:  nil,                         // the tool stores nonces without a value
	}
	for k, v := range values {
		mustAddValue(t, s, k, v, longTTL)
	}
	for range 2 { // Get does not consume
		for k, want := range values {
			expectValue(t, s, k, want)
		}
	}
}

func testStoreAddRefusesExisting(t testing.TB, s tool.Store) {
	mustAddValue(t, s, loginKey, []byte("first"), longTTL)
	for _, v := range [][]byte{[]byte("second"), []byte("first"), nil} {
		if err := s.Add(t.Context(), loginKey, v, longTTL); !errors.Is(err, tool.ErrKeyExists) {
			t.Errorf("Add(%q) of a present key = %v; want ErrKeyExists", v, err)
		}
	}
	expectValue(t, s, loginKey, []byte("first"))
}

func testStoreKeysAreExact(t testing.TB, s tool.Store) {
	mustAddValue(t, s, nonceKey, []byte("v"), longTTL)
	for _, k := range []string{
		nonceKey[:strings.IndexByte(nonceKey, 0)], // up to the NUL
		nonceKey[:strings.IndexByte(nonceKey, 0)+1] + "other-nonce",
		nonceKey + " ",
		strings.ToUpper(nonceKey),
		"launch:" + nonceKey[len("nonce:"):],
	} {
		if v, err := s.Get(t.Context(), k); !errors.Is(err, tool.ErrKeyNotFound) {
			t.Errorf("Get(%q) = %q, %v; want ErrKeyNotFound (keys are compared exactly)", k, v, err)
		}
		if err := s.Add(t.Context(), k, []byte("other"), longTTL); err != nil {
			t.Errorf("Add(%q) beside %q = %v; want it stored", k, nonceKey, err)
		}
	}
	expectValue(t, s, nonceKey, []byte("v"))
}

func testStoreTakeOnce(t testing.TB, s tool.Store) {
	ctx := t.Context()
	mustAddValue(t, s, loginKey, []byte("pending"), longTTL)
	mustAddValue(t, s, launchKey, []byte("other"), longTTL)
	if v, err := s.Take(ctx, loginKey); err != nil || string(v) != "pending" {
		t.Fatalf("Take = %q, %v; want the value", v, err)
	}
	if v, err := s.Take(ctx, loginKey); !errors.Is(err, tool.ErrKeyNotFound) {
		t.Errorf("second Take = %q, %v; want ErrKeyNotFound", v, err)
	}
	if v, err := s.Get(ctx, loginKey); !errors.Is(err, tool.ErrKeyNotFound) {
		t.Errorf("Get after Take = %q, %v; want ErrKeyNotFound", v, err)
	}
	expectValue(t, s, launchKey, []byte("other")) // the other key is untouched
}

func testStoreAddAfterTake(t testing.TB, s tool.Store) {
	ctx := t.Context()
	mustAddValue(t, s, loginKey, []byte("first"), longTTL)
	if _, err := s.Take(ctx, loginKey); err != nil {
		t.Fatalf("Take: %v", err)
	}
	// The key is absent again: Add stores, Get and Take see the new value.
	mustAddValue(t, s, loginKey, []byte("second"), longTTL)
	expectValue(t, s, loginKey, []byte("second"))
	if v, err := s.Take(ctx, loginKey); err != nil || string(v) != "second" {
		t.Errorf("Take of the key added again = %q, %v; want \"second\"", v, err)
	}
}

func testStoreValuesAreCopies(t testing.TB, s tool.Store) {
	ctx := t.Context()
	v := []byte("original")
	mustAddValue(t, s, loginKey, v, longTTL)
	copy(v, "CHANGED!") // the caller reuses its buffer after Add
	got, err := s.Get(ctx, loginKey)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if len(got) > 0 {
		got[0] = 'X' // the caller changes what Get returned
	}
	expectValue(t, s, loginKey, []byte("original"))
}

func testStoreTTL(t testing.TB, s tool.Store) {
	ctx := t.Context()
	mustAddValue(t, s, loginKey, []byte("short"), shortTTL)
	mustAddValue(t, s, nonceKey, nil, shortTTL)
	mustAddValue(t, s, launchKey, []byte("long"), longTTL)
	expectValue(t, s, loginKey, []byte("short")) // not expired at once
	deadline := time.Now().Add(shortTTL + expiryWait)
	for {
		_, err := s.Get(ctx, loginKey)
		if errors.Is(err, tool.ErrKeyNotFound) {
			break
		}
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("a key added for %v is still there after %v", shortTTL, shortTTL+expiryWait)
		}
		time.Sleep(shortTTL / 4) // the store's clock decides; poll it
	}
	if v, err := s.Take(ctx, loginKey); !errors.Is(err, tool.ErrKeyNotFound) {
		t.Errorf("Take of an expired key = %q, %v; want ErrKeyNotFound", v, err)
	}
	// An expired nonce may be used again: Add treats expired keys as absent.
	for time.Now().Before(deadline) {
		if _, err := s.Get(ctx, nonceKey); errors.Is(err, tool.ErrKeyNotFound) {
			break
		}
		time.Sleep(shortTTL / 4)
	}
	if err := s.Add(ctx, nonceKey, nil, longTTL); err != nil {
		t.Errorf("Add of an expired key = %v; want it stored", err)
	}
	expectValue(t, s, launchKey, []byte("long")) // each key has its own TTL
}

func testStoreAddConcurrent(t testing.TB, s tool.Store) {
	// Two launches racing with one nonce: exactly one Add may win.
	errs := make([]error, concurrency)
	parallel(t, concurrency, func(i int) error {
		errs[i] = s.Add(context.Background(), nonceKey, []byte(fmt.Sprint(i)), longTTL)
		return nil
	})
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won >= 0:
			t.Errorf("concurrent Adds of one key: %d and %d both succeeded; want exactly one", won, i)
		case err == nil:
			won = i
		case !errors.Is(err, tool.ErrKeyExists):
			t.Errorf("concurrent Add = %v; want nil or ErrKeyExists", err)
		}
	}
	if won < 0 {
		t.Fatal("no concurrent Add succeeded")
	}
	expectValue(t, s, nonceKey, []byte(fmt.Sprint(won)))
}

func testStoreTakeConcurrent(t testing.TB, s tool.Store) {
	// A launch form posted twice at once: exactly one Take gets the login.
	mustAddValue(t, s, loginKey, []byte("pending"), longTTL)
	got := make([][]byte, concurrency)
	errs := make([]error, concurrency)
	parallel(t, concurrency, func(i int) error {
		got[i], errs[i] = s.Take(context.Background(), loginKey)
		return nil
	})
	taken := 0
	for i, err := range errs {
		switch {
		case err == nil && string(got[i]) == "pending":
			taken++
		case err == nil:
			t.Errorf("concurrent Take = %q; want \"pending\"", got[i])
		case !errors.Is(err, tool.ErrKeyNotFound):
			t.Errorf("concurrent Take = %v; want the value or ErrKeyNotFound", err)
		}
	}
	if taken != 1 {
		t.Errorf("%d of %d concurrent Takes of one key got its value; want exactly 1", taken, concurrency)
	}
}

func mustAddValue(t testing.TB, s tool.Store, key string, value []byte, ttl time.Duration) {
	t.Helper()
	if err := s.Add(t.Context(), key, value, ttl); err != nil {
		t.Fatalf("Add(%q): %v", key, err)
	}
}

// expectValue checks that key holds want (nil and empty alike).
func expectValue(t testing.TB, s tool.Store, key string, want []byte) {
	t.Helper()
	got, err := s.Get(t.Context(), key)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("Get(%q) = %q, %v; want %q", key, got, err, want)
	}
}
