package jwks

import (
	"bytes"
	"context"
	"crypto/elliptic"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

var testPayload = []byte(`{"iss":"https://lms.example"}`)

func TestCacheFirstUseFetchesOnceForConcurrentCallers(t *testing.T) {
	t.Parallel()
	key := testRSA(t, 0)
	srv := newJWKSServer(t, pubOf(key, "a"))
	c := newTestCache(t, newFakeClock())
	ks := c.KeySet(srv.URL)
	if c.KeySet(srv.URL) != ks {
		t.Fatal("KeySet returned a different set for the same URL")
	}
	if got := srv.Hits(); got != 0 {
		t.Fatalf("KeySet did I/O: got %d hits, want 0", got)
	}
	tok := sign(t, "RS256", key, map[string]any{"kid": "a"}, testPayload)

	srv.Block()
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for range 100 {
		wg.Go(func() {
			got, err := ks.Verify(context.Background(), tok, nil)
			if err == nil && !bytes.Equal(got, testPayload) {
				err = fmt.Errorf("got payload %q", got)
			}
			errs <- err
		})
	}
	<-srv.hit
	srv.Unblock()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for range 100 {
		if _, err := ks.Verify(context.Background(), tok, nil); err != nil {
			t.Fatal(err)
		}
	}
	if got := srv.Hits(); got != 1 {
		t.Fatalf("got %d fetches, want 1", got)
	}
}

func TestCacheUnknownKIDRefetchSharedByWaiters(t *testing.T) {
	t.Parallel()
	a, b := testRSA(t, 0), testRSA(t, 1)
	srv := newJWKSServer(t, pubOf(a, "a"))
	clock := newFakeClock()
	c := newTestCache(t, clock)
	ks := c.KeySet(srv.URL)
	if _, err := ks.Verify(context.Background(), sign(t, "RS256", a, map[string]any{"kid": "a"}, testPayload), nil); err != nil {
		t.Fatal(err)
	}

	// The platform publishes key b; tokens signed with it arrive at once.
	srv.SetKeys(pubOf(a, "a"), pubOf(b, "b"))
	clock.Advance(time.Minute)
	srv.Block()
	tok := sign(t, "RS256", b, map[string]any{"kid": "b"}, testPayload)
	const n = 50
	var started, done sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		started.Add(1)
		done.Go(func() {
			started.Done()
			_, err := ks.Verify(context.Background(), tok, nil)
			errs <- err
		})
	}
	started.Wait()
	<-srv.hit // first fetch is the initial one; this is the refetch
	<-srv.hit
	srv.Unblock()
	done.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("got %v, want success", err)
		}
	}
	if got := srv.Hits(); got != 2 {
		t.Fatalf("got %d fetches, want 2 (initial + one shared refetch)", got)
	}
}

func TestCacheRefetchRateLimit(t *testing.T) {
	t.Parallel()
	key := testRSA(t, 0)
	srv := newJWKSServer(t, pubOf(key, "a"))
	clock := newFakeClock()
	c := newTestCache(t, clock)
	ks := c.KeySet(srv.URL)
	forged := func(kid string) []byte { return sign(t, "RS256", key, map[string]any{"kid": kid}, testPayload) }
	ctx := context.Background()

	if _, err := ks.Verify(ctx, forged("a"), nil); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name      string
		advance   time.Duration
		kid       string
		want      error
		wantHits  int
		wantInMsg string
	}{
		{name: "unknown kid right after the first fetch: no fetch", kid: "x1", want: ErrUnknownKID, wantHits: 1, wantInMsg: "rate-limited"},
		{name: "after the interval: one refetch", advance: 31 * time.Second, kid: "x2", want: ErrUnknownKID, wantHits: 2, wantInMsg: "x2"},
		{name: "second unknown kid inside the interval: no fetch", advance: 10 * time.Second, kid: "x3", want: ErrUnknownKID, wantHits: 2, wantInMsg: "rate-limited"},
		{name: "known kid still verifies", kid: "a", wantHits: 2},
		{name: "just before the interval ends: no fetch", advance: 19*time.Second + 999*time.Millisecond, kid: "x4", want: ErrUnknownKID, wantHits: 2},
		{name: "interval over: fetch", advance: time.Millisecond, kid: "x5", want: ErrUnknownKID, wantHits: 3},
	}
	for _, st := range steps {
		clock.Advance(st.advance)
		_, err := ks.Verify(ctx, forged(st.kid), nil)
		if st.want == nil && err != nil || st.want != nil && !errors.Is(err, st.want) {
			t.Fatalf("%s: got %v, want %v", st.name, err, st.want)
		}
		if err != nil && !strings.Contains(err.Error(), st.wantInMsg) {
			t.Errorf("%s: error %q does not mention %q", st.name, err, st.wantInMsg)
		}
		if got := srv.Hits(); got != st.wantHits {
			t.Fatalf("%s: got %d fetches, want %d", st.name, got, st.wantHits)
		}
	}

	// A flood of forged kids inside the interval costs no network call.
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			if _, err := ks.Verify(ctx, forged(fmt.Sprint("forged-", i)), nil); !errors.Is(err, ErrUnknownKID) {
				t.Errorf("got %v, want ErrUnknownKID", err)
			}
		})
	}
	wg.Wait()
	if got := srv.Hits(); got != 3 {
		t.Fatalf("flood: got %d fetches, want 3", got)
	}
}

func TestCacheRotation(t *testing.T) {
	t.Parallel()
	oldKey, newKey := testRSA(t, 0), testRSA(t, 1)
	srv := newJWKSServer(t, pubOf(oldKey, "old"))
	clock := newFakeClock()
	c := newTestCache(t, clock)
	ks := c.KeySet(srv.URL)
	ctx := context.Background()
	oldTok := sign(t, "RS256", oldKey, map[string]any{"kid": "old"}, testPayload)
	newTok := sign(t, "RS256", newKey, map[string]any{"kid": "new"}, testPayload)

	if _, err := ks.Verify(ctx, oldTok, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ks.Verify(ctx, newTok, nil); !errors.Is(err, ErrUnknownKID) {
		t.Fatalf("before rotation: got %v, want ErrUnknownKID", err)
	}
	srv.SetKeys(pubOf(newKey, "new"))
	clock.Advance(time.Minute)
	if _, err := ks.Verify(ctx, newTok, nil); err != nil {
		t.Fatalf("after rotation: got %v, want success", err)
	}
	if _, err := ks.Verify(ctx, oldTok, nil); !errors.Is(err, ErrUnknownKID) {
		t.Fatalf("retired key: got %v, want ErrUnknownKID", err)
	}
	// Prefetch bypasses the rate limit.
	srv.SetKeys(pubOf(oldKey, "old"), pubOf(newKey, "new"))
	if err := c.Prefetch(ctx, srv.URL); err != nil {
		t.Fatal(err)
	}
	if _, err := ks.Verify(ctx, oldTok, nil); err != nil {
		t.Fatalf("after Prefetch: got %v", err)
	}
	// Initial fetch, the refetch after rotation, Prefetch; the unknown kid
	// before rotation came inside the interval and cost nothing.
	if got := srv.Hits(); got != 3 {
		t.Fatalf("got %d fetches, want 3", got)
	}
}

func TestCacheKeepsLastGoodKeys(t *testing.T) {
	t.Parallel()
	key := testRSA(t, 0)
	tok := sign(t, "RS256", key, map[string]any{"kid": "a"}, testPayload)
	unknown := sign(t, "RS256", key, map[string]any{"kid": "b"}, testPayload)
	failures := []struct {
		name   string
		break_ func(*jwksServer)
	}{
		{name: "500", break_: func(s *jwksServer) { s.SetStatus(http.StatusInternalServerError) }},
		{name: "not JSON", break_: func(s *jwksServer) { s.SetBody("<html>maintenance</html>") }},
		{name: "no keys", break_: func(s *jwksServer) { s.SetBody(`{"keys":[]}`) }},
		{name: "only unusable keys", break_: func(s *jwksServer) { s.SetBody(`{"keys":[{"kty":"oct","kid":"b","k":"c2VjcmV0"}]}`) }},
		{name: "server gone", break_: func(s *jwksServer) { s.srv.Close() }},
	}
	for _, tc := range failures {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newJWKSServer(t, pubOf(key, "a"))
			clock := newFakeClock()
			c := newTestCache(t, clock)
			ks := c.KeySet(srv.URL)
			ctx := context.Background()
			if _, err := ks.Verify(ctx, tok, nil); err != nil {
				t.Fatal(err)
			}
			tc.break_(srv)
			clock.Advance(time.Minute)
			_, err := ks.Verify(ctx, unknown, nil)
			if !errors.Is(err, ErrUnknownKID) || errors.Is(err, ErrFetch) {
				t.Fatalf("unknown kid with a broken server: got %v, want ErrUnknownKID (not ErrFetch)", err)
			}
			if !strings.Contains(err.Error(), "refetch failed") {
				t.Errorf("error %q does not report the failed refetch", err)
			}
			if _, err := ks.Verify(ctx, tok, nil); err != nil {
				t.Fatalf("cached key: got %v, want success", err)
			}
			if err := c.Prefetch(ctx, srv.URL); !errors.Is(err, ErrFetch) {
				t.Fatalf("Prefetch: got %v, want ErrFetch", err)
			}
			if _, err := ks.Verify(ctx, tok, nil); err != nil {
				t.Fatalf("cached key after failed Prefetch: got %v, want success", err)
			}
		})
	}
}

func TestCacheFetchErrors(t *testing.T) {
	t.Parallel()
	key := testRSA(t, 0)
	tok := sign(t, "RS256", key, map[string]any{"kid": "a"}, testPayload)
	t.Run("never fetched", func(t *testing.T) {
		t.Parallel()
		srv := newJWKSServer(t, pubOf(key, "a"))
		srv.SetStatus(http.StatusServiceUnavailable)
		clock := newFakeClock()
		c := newTestCache(t, clock)
		ks := c.KeySet(srv.URL)
		ctx := context.Background()
		if _, err := ks.Verify(ctx, tok, nil); !errors.Is(err, ErrFetch) || !strings.Contains(err.Error(), "503") {
			t.Fatalf("got %v, want ErrFetch with the status", err)
		}
		if _, err := ks.Verify(ctx, tok, nil); !errors.Is(err, ErrFetch) || !strings.Contains(err.Error(), "503") {
			t.Fatalf("retry inside the interval: got %v, want ErrFetch wrapping the last error", err)
		}
		if got := srv.Hits(); got != 1 {
			t.Fatalf("got %d fetches, want 1 (rate-limited retry)", got)
		}
		srv.SetStatus(0)
		clock.Advance(time.Minute)
		if _, err := ks.Verify(ctx, tok, nil); err != nil {
			t.Fatalf("after recovery: got %v", err)
		}
		if got := srv.Hits(); got != 2 {
			t.Fatalf("got %d fetches, want 2", got)
		}
	})
	for _, u := range []string{"ftp://127.0.0.1/jwks.json", "/relative", "http://", "::"} {
		t.Run("bad URL "+u, func(t *testing.T) {
			t.Parallel()
			c := newTestCache(t, newFakeClock())
			if _, err := c.KeySet(u).Verify(context.Background(), tok, nil); !errors.Is(err, ErrFetch) {
				t.Fatalf("got %v, want ErrFetch", err)
			}
			if err := c.Prefetch(context.Background(), u); !errors.Is(err, ErrFetch) {
				t.Fatalf("Prefetch: got %v, want ErrFetch", err)
			}
		})
	}
	t.Run("closed cache", func(t *testing.T) {
		t.Parallel()
		srv := newJWKSServer(t, pubOf(key, "a"))
		c := newTestCache(t, newFakeClock())
		c.Close()
		if _, err := c.KeySet(srv.URL).Verify(context.Background(), tok, nil); !errors.Is(err, ErrFetch) {
			t.Fatalf("got %v, want ErrFetch", err)
		}
	})
	t.Run("document too large", func(t *testing.T) {
		t.Parallel()
		srv := newJWKSServer(t)
		srv.SetBody(`{"keys":[],"pad":"` + strings.Repeat("x", maxJWKSBytes) + `"}`)
		c := newTestCache(t, newFakeClock())
		if _, err := c.KeySet(srv.URL).Verify(context.Background(), tok, nil); !errors.Is(err, ErrFetch) || !strings.Contains(err.Error(), "larger") {
			t.Fatalf("got %v, want ErrFetch (too large)", err)
		}
	})
}

func TestCacheWaiterGivesUp(t *testing.T) {
	t.Parallel()
	key := testRSA(t, 0)
	srv := newJWKSServer(t, pubOf(key, "a"))
	c := newTestCache(t, newFakeClock())
	ks := c.KeySet(srv.URL)
	tok := sign(t, "RS256", key, map[string]any{"kid": "a"}, testPayload)

	srv.Block()
	ctx, cancel := context.WithCancel(context.Background())
	res := make(chan error, 1)
	go func() {
		_, err := ks.Verify(ctx, tok, nil)
		res <- err
	}()
	<-srv.hit // the fetch is running and the server holds it
	cancel()
	err := <-res // returns while the server still blocks
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	srv.Unblock()
	// The fetch went on for the others: this call joins it or finds its
	// keys, and needs no second fetch.
	if _, err := ks.Verify(context.Background(), tok, nil); err != nil {
		t.Fatal(err)
	}
	if got := srv.Hits(); got != 1 {
		t.Fatalf("got %d fetches, want 1", got)
	}
}

func TestCacheKeySelection(t *testing.T) {
	t.Parallel()
	a, b := testRSA(t, 0), testRSA(t, 1)
	ctx := context.Background()
	jwkOf := func(k PublicKey) string { return jwkString(t, k) }
	noAlg := strings.Replace(jwkOf(pubOf(a, "a")), `"alg":"RS256",`, "", 1)
	if strings.Contains(noAlg, `"alg"`) {
		t.Fatalf("could not strip alg from %s", noAlg)
	}
	small := mustRSA(t, 1024)

	tests := []struct {
		name  string
		body  string
		token []byte
		algs  []string
		want  error
	}{
		{name: "key without alg", body: `{"keys":[` + noAlg + `]}`,
			token: sign(t, "RS256", a, map[string]any{"kid": "a"}, testPayload)},
		{name: "key without alg, PS256 allowed", body: `{"keys":[` + noAlg + `]}`, algs: []string{"PS256"},
			token: sign(t, "PS256", a, map[string]any{"kid": "a"}, testPayload)},
		{name: "SEC-VAL-13 one key, no kid in token", body: `{"keys":[` + noAlg + `]}`,
			token: sign(t, "RS256", a, nil, testPayload), want: ErrNoKID},
		{name: "unusable keys skipped", body: `{"keys":[{"kty":"oct","kid":"s","k":"c2VjcmV0"},{"kty":"XYZ","kid":"q"},` +
			strings.Replace(jwkOf(pubOf(b, "enc")), `"use":"sig"`, `"use":"enc"`, 1) + `,` + jwkOf(pubOf(small, "small")) + `,` + jwkOf(pubOf(a, "a")) + `]}`,
			token: sign(t, "RS256", a, map[string]any{"kid": "a"}, testPayload)},
		{name: "private parts ignored", body: `{"keys":[` + privateJWK(t, a, "a") + `]}`,
			token: sign(t, "RS256", a, map[string]any{"kid": "a"}, testPayload)},

		{name: "no kid, several keys", body: `{"keys":[` + jwkOf(pubOf(a, "a")) + `,` + jwkOf(pubOf(b, "b")) + `]}`,
			token: sign(t, "RS256", a, nil, testPayload), want: ErrNoKID},
		{name: "enc key not used", body: `{"keys":[` + jwkOf(pubOf(a, "a")) + `,` + strings.Replace(jwkOf(pubOf(b, "enc")), `"use":"sig"`, `"use":"enc"`, 1) + `]}`,
			token: sign(t, "RS256", b, map[string]any{"kid": "enc"}, testPayload), want: ErrUnknownKID},
		{name: "symmetric key never used for HS256", body: `{"keys":[{"kty":"oct","kid":"s","k":"c2VjcmV0"},` + jwkOf(pubOf(a, "a")) + `]}`,
			algs: []string{"HS256", "RS256"}, token: sign(t, "HS256", []byte("secret"), map[string]any{"kid": "s"}, testPayload), want: ErrAlgorithm},
		{name: "small RSA key not used", body: `{"keys":[` + jwkOf(pubOf(a, "a")) + `,` + jwkOf(pubOf(small, "small")) + `]}`,
			token: sign(t, "RS256", small, map[string]any{"kid": "small"}, testPayload), want: ErrUnknownKID},
		{name: "alg does not fit key", body: `{"keys":[` + jwkOf(pubOf(a, "a")) + `]}`, algs: []string{"ES256"},
			token: sign(t, "ES256", testEC(t, elliptic.P256()), map[string]any{"kid": "a"}, testPayload), want: ErrAlgorithm},
		{name: "key pinned to another alg", body: `{"keys":[` + strings.Replace(jwkOf(pubOf(a, "a")), `"RS256"`, `"RS512"`, 1) + `]}`,
			token: sign(t, "RS256", a, map[string]any{"kid": "a"}, testPayload), want: ErrAlgorithm},
		{name: "forged token", body: `{"keys":[` + jwkOf(pubOf(a, "a")) + `]}`,
			token: sign(t, "RS256", b, map[string]any{"kid": "a"}, testPayload), want: ErrSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newJWKSServer(t)
			srv.SetBody(tc.body)
			c := newTestCache(t, newFakeClock())
			got, err := c.KeySet(srv.URL).Verify(ctx, tc.token, tc.algs)
			wantErr(t, err, tc.want)
			if tc.want == nil && !bytes.Equal(got, testPayload) {
				t.Fatalf("got payload %q", got)
			}
		})
	}
}

func TestCacheIgnoresJKU(t *testing.T) {
	t.Parallel()
	real, attacker := testRSA(t, 0), testRSA(t, 1)
	platform := newJWKSServer(t, pubOf(real, "a"))
	evil := newJWKSServer(t, pubOf(attacker, "evil"))
	c := newTestCache(t, newFakeClock())
	ks := c.KeySet(platform.URL)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		tok  []byte
		want error
	}{
		{name: "attacker kid", want: ErrUnknownKID,
			tok: sign(t, "RS256", attacker, map[string]any{"kid": "evil", "jku": evil.URL, "x5u": evil.URL}, testPayload)},
		{name: "platform kid, attacker key", want: ErrSignature,
			tok: sign(t, "RS256", attacker, map[string]any{"kid": "a", "jku": evil.URL}, testPayload)},
		{name: "genuine token with jku", tok: sign(t, "RS256", real, map[string]any{"kid": "a", "jku": evil.URL}, testPayload)},
	} {
		_, err := ks.Verify(ctx, tc.tok, nil)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Fatalf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	if got := evil.Hits(); got != 0 {
		t.Fatalf("the jku server got %d requests, want 0", got)
	}
}

// privateJWK renders k, private parts included, as a JWK.
func privateJWK(t testing.TB, k any, kid string) string {
	t.Helper()
	jk, err := jwk.FromRaw(k)
	if err != nil {
		t.Fatal(err)
	}
	if err := jk.Set(jwk.KeyIDKey, kid); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(jk)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
