package ltitest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/ltikit/ltikit/jwks"
)

// checkAssertion verifies the client assertion of the tool clientID (the
// assertion's sub): its signature through the tool's JWKS (kid required,
// RS256), then its claims (SEC-CC-03) with zero clock leeway, as Moodle
// (php-jwt) does, and more: iss = sub, aud = the token URL, iat present and
// an integer, exp present, jti present and not replayed. With the Moodle
// profile the error is Moodle's message where Moodle has one.
func (e *engine) checkAssertion(r *http.Request, clientID, assertion string) (tokenOutcome, bool) {
	fail := func(moodle, reason string) (tokenOutcome, bool) {
		return tokenOutcome{code: errInvalidClient, moodle: moodle, rule: "SEC-CC-03", reason: reason}, false
	}
	payload, err := e.verifyToolJWS(r.Context(), clientID, assertion)
	if err != nil {
		hdr, _ := decodeJWS(assertion)
		return fail(moodleJWTError(err, hdr), "client_assertion: "+err.Error())
	}
	var c map[string]any
	d := json.NewDecoder(bytes.NewReader(payload))
	d.UseNumber()
	if err := d.Decode(&c); err != nil || c == nil {
		return fail("Syntax error, malformed JSON", "client_assertion: the payload is not a JSON object")
	}

	now := e.clock()
	sec := now.Unix()
	iat, iatInt := integer(c["iat"])
	if !iatInt {
		return fail("iat must be an integer NumericDate", fmt.Sprintf("iat %v: want an integer NumericDate (seconds)", c["iat"]))
	}
	if v, ok := c["nbf"]; ok {
		nbf, isNum := number(v)
		if !isNum {
			return fail("nbf must be a NumericDate", fmt.Sprintf("nbf %v: want a NumericDate", v))
		}
		if nbf > float64(sec) {
			return fail("Cannot handle token with nbf prior to "+phpDate(nbf), fmt.Sprintf("nbf %v is after the platform's time %d", v, sec))
		}
	}
	if iat > sec {
		return fail("Cannot handle token with iat prior to "+phpDate(float64(iat)),
			fmt.Sprintf("iat %d is after the platform's time %d (no leeway; back-date iat a few seconds)", iat, sec))
	}
	exp, expNum := number(c["exp"])
	if !expNum {
		return fail("exp must be a NumericDate", fmt.Sprintf("exp %v: want a NumericDate", c["exp"]))
	}
	if float64(sec) >= exp {
		return fail("Expired token", fmt.Sprintf("exp %v is not after the platform's time %d", c["exp"], sec))
	}
	if iss, _ := c["iss"].(string); iss != clientID {
		return fail("iss must equal sub", fmt.Sprintf("iss %v: want the client_id %q, as sub", c["iss"], clientID))
	}
	tokenURL := e.issuer + "/token"
	if !audienceHas(c["aud"], tokenURL) {
		return fail("Invalid audience", fmt.Sprintf("aud %v: want the token endpoint %q", c["aud"], tokenURL))
	}
	jti, _ := c["jti"].(string)
	if jti == "" {
		return fail("jti missing", fmt.Sprintf("jti %v: want a unique string", c["jti"]))
	}
	if !e.jtis.use(clientID, jti, time.Unix(int64(math.Min(exp, 1<<40)), 0), now) {
		return fail("jti already used", fmt.Sprintf("jti %q was used before: sign a fresh assertion for every token request", jti))
	}
	return tokenOutcome{}, true
}

// moodleJWTError is the message php-jwt (through Moodle) gives for err.
func moodleJWTError(err error, hdr map[string]any) string {
	switch {
	case errors.Is(err, jwks.ErrNoKID):
		return `"kid" empty, unable to lookup correct key`
	case errors.Is(err, jwks.ErrUnknownKID):
		return `"kid" invalid, unable to lookup correct key`
	case errors.Is(err, jwks.ErrSignature):
		return "Signature verification failed"
	case errors.Is(err, jwks.ErrAlgorithm):
		if alg, _ := hdr["alg"].(string); alg == "" || alg == "none" {
			return "Algorithm not supported"
		}
		return "Incorrect key for this algorithm"
	case errors.Is(err, jwks.ErrMalformed):
		return "Syntax error, malformed JSON"
	}
	return err.Error()
}

// phpDate formats a NumericDate as PHP's date('Y-m-d\TH:i:sO') in UTC.
func phpDate(t float64) string {
	return time.Unix(int64(t), 0).UTC().Format("2006-01-02T15:04:05-0700")
}

// integer returns v as an integer if it is a JSON integer (json.Number
// without fraction or exponent).
func integer(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}

// number returns v as a float if it is a finite JSON number.
func number(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
}

// audienceHas reports whether aud, a string or an array of strings, names
// want.
func audienceHas(aud any, want string) bool {
	switch a := aud.(type) {
	case string:
		return a == want
	case []any:
		return slices.ContainsFunc(a, func(v any) bool { s, _ := v.(string); return s == want })
	}
	return false
}

// jtiStore remembers the client assertions' jti until they expire, so that
// an assertion cannot be replayed. The zero value is ready; it is safe for
// concurrent use.
type jtiStore struct {
	mu   sync.Mutex
	seen map[string]time.Time // client_id NUL jti -> the assertion's exp
}

// use records jti of clientID until exp and reports whether it was new.
func (s *jtiStore) use(clientID, jti string, exp, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil {
		s.seen = make(map[string]time.Time)
	}
	for k, until := range s.seen {
		if now.After(until) {
			delete(s.seen, k)
		}
	}
	key := clientID + "\x00" + jti
	if _, dup := s.seen[key]; dup {
		return false
	}
	s.seen[key] = exp
	return true
}
