package ltitest

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// serviceTokenLifetime is the access tokens' lifetime, Moodle's
// LTI_ACCESS_TOKEN_LIFE: the expires_in of every token issued.
const serviceTokenLifetime = 3600 * time.Second

// accessToken is an access token the token endpoint issued.
type accessToken struct {
	clientID string
	scopes   []string
	expires  time.Time // by the platform clock
	revoked  bool
}

// tokenStore holds the access tokens issued. The zero value is ready; it is
// safe for concurrent use.
type tokenStore struct {
	mu     sync.Mutex
	tokens map[string]*accessToken
}

// issue stores a new token for clientID with scopes, valid for
// serviceTokenLifetime from now, and returns it: 32 hex digits like
// Moodle's. Expired tokens are forgotten.
func (s *tokenStore) issue(clientID string, scopes []string, now time.Time) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	tok := hex.EncodeToString(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tokens == nil {
		s.tokens = make(map[string]*accessToken)
	}
	for k, t := range s.tokens {
		if !now.Before(t.expires) {
			delete(s.tokens, k)
		}
	}
	s.tokens[tok] = &accessToken{clientID: clientID, scopes: slices.Clone(scopes), expires: now.Add(serviceTokenLifetime)}
	return tok
}

// revokeAll revokes every token issued so far.
func (s *tokenStore) revokeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tokens {
		t.revoked = true
	}
}

// lookup returns a copy of token's record, or why it cannot be used.
func (s *tokenStore) lookup(token string, now time.Time) (accessToken, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[token]
	switch {
	case !ok:
		return accessToken{}, "unknown access token"
	case t.revoked:
		return accessToken{}, "access token revoked"
	case !now.Before(t.expires):
		return accessToken{}, "access token expired"
	}
	return *t, ""
}

// RevokeTokens revokes every access token issued so far, as when they
// expire or the LMS administrator resets the tool: the next service call
// made with one of them gets 401, and the tool must fetch a new token
// (SEC-CC-06, AGS-TOK-01). Tokens also expire by the platform clock, 3600
// seconds after they were issued (see [Platform.SetClock]).
func (p *Platform) RevokeTokens() { p.e.tokens.revokeAll() }

// bearer authenticates a service request: its Authorization header must
// carry a token the platform issued, unexpired and unrevoked, granting one
// of scopes. It returns the token's client_id, or the reason for a 401.
func (e *engine) bearer(r *http.Request, scopes ...string) (clientID, reason string) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return "", "no bearer token (SEC-CC-07)"
	}
	t, why := e.tokens.lookup(tok, e.clock())
	if why != "" {
		return "", why
	}
	for _, s := range scopes {
		if slices.Contains(t.scopes, s) {
			return t.clientID, ""
		}
	}
	return "", "the access token grants none of the scopes " + strings.Join(scopes, " ")
}
