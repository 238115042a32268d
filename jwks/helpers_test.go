package jwks

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// Test fixtures: RSA key generation is slow under -race, so a few keys are
// made once per test binary and shared read-only.
var (
	rsaKeysOnce sync.Once
	rsaKeys     []*rsa.PrivateKey
)

// testRSA returns the i-th shared 2048-bit test key (i < 4).
func testRSA(t testing.TB, i int) *rsa.PrivateKey {
	t.Helper()
	rsaKeysOnce.Do(func() {
		rsaKeys = make([]*rsa.PrivateKey, 4)
		var wg sync.WaitGroup
		for j := range rsaKeys {
			wg.Go(func() {
				k, err := rsa.GenerateKey(rand.Reader, 2048)
				if err != nil {
					panic(err)
				}
				rsaKeys[j] = k
			})
		}
		wg.Wait()
	})
	return rsaKeys[i]
}

func testEC(t testing.TB, c elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// sign makes a compact JWS with alg and key; hdr adds protected headers
// (kid and friends).
func sign(t testing.TB, alg string, key any, hdr map[string]any, payload []byte) []byte {
	t.Helper()
	h := jws.NewHeaders()
	for k, v := range hdr {
		if err := h.Set(k, v); err != nil {
			t.Fatalf("set header %s: %v", k, err)
		}
	}
	tok, err := jws.Sign(payload, jws.WithKey(jwa.SignatureAlgorithm(alg), key, jws.WithProtectedHeaders(h)))
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return tok
}

// craft assembles a compact JWS by hand, for tokens jwx refuses to sign.
func craft(header map[string]any, payload, sig []byte) []byte {
	h, _ := json.Marshal(header)
	enc := base64.RawURLEncoding
	return []byte(enc.EncodeToString(h) + "." + enc.EncodeToString(payload) + "." + enc.EncodeToString(sig))
}

// wantErr fails unless err matches want (nil means success).
func wantErr(t testing.TB, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("got error %v, want success", err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("got error %v, want %v", err, want)
	}
}

// fakeClock is an injectable Now for the refetch rate limiter.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// jwksServer is a platform JWKS endpoint on 127.0.0.1 whose keys, status
// and latency tests control, and which counts its hits.
type jwksServer struct {
	URL  string
	srv  *httptest.Server
	hits atomic.Int32
	// hit receives a value on every request (buffered; never blocks).
	hit chan struct{}

	mu     sync.Mutex
	keys   []PublicKey
	body   []byte // overrides keys when non-nil
	status int    // non-zero: reply with this status
	block  chan struct{}
}

func newJWKSServer(t testing.TB, keys ...PublicKey) *jwksServer {
	t.Helper()
	s := &jwksServer{keys: keys, hit: make(chan struct{}, 1024)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.Listener.Close()
	s.srv.Listener = ln
	s.srv.Start()
	s.URL = s.srv.URL + "/jwks.json"
	t.Cleanup(func() {
		s.Unblock()
		s.srv.Close()
	})
	return s
}

func (s *jwksServer) serve(w http.ResponseWriter, r *http.Request) {
	s.hits.Add(1)
	select {
	case s.hit <- struct{}{}:
	default:
	}
	s.mu.Lock()
	block, keys, body, status := s.block, s.keys, s.body, s.status
	s.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-r.Context().Done():
			return
		}
	}
	if status != 0 {
		http.Error(w, "down", status)
		return
	}
	w.Header().Set("Cache-Control", "max-age=300")
	if body != nil {
		_, _ = w.Write(body)
		return
	}
	Handler(keys...).ServeHTTP(w, r)
}

func (s *jwksServer) SetKeys(keys ...PublicKey) {
	s.mu.Lock()
	s.keys, s.body = keys, nil
	s.mu.Unlock()
}

func (s *jwksServer) SetBody(b string) {
	s.mu.Lock()
	s.body = []byte(b)
	s.mu.Unlock()
}

func (s *jwksServer) SetStatus(code int) {
	s.mu.Lock()
	s.status = code
	s.mu.Unlock()
}

// Block makes requests wait until Unblock.
func (s *jwksServer) Block() {
	s.mu.Lock()
	s.block = make(chan struct{})
	s.mu.Unlock()
}

func (s *jwksServer) Unblock() {
	s.mu.Lock()
	if s.block != nil {
		close(s.block)
		s.block = nil
	}
	s.mu.Unlock()
}

func (s *jwksServer) Hits() int { return int(s.hits.Load()) }

// newTestCache returns a Cache on a fake clock, closed at the end of t.
func newTestCache(t testing.TB, clock *fakeClock) *Cache {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c := NewCache(ctx, CacheConfig{
		Now:    clock.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	t.Cleanup(func() {
		c.Close()
		cancel()
	})
	return c
}

func pubOf(k crypto.Signer, kid string) PublicKey {
	return PublicKey{Key: k.Public(), KeyID: kid}
}

func mustRSA(t testing.TB, bits int) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
