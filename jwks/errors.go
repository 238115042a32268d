package jwks

import "errors"

// Sentinel errors returned (wrapped) by this package. Compare them with
// [errors.Is]; the wrapping error adds detail such as the kid or the URL.
var (
	// ErrMalformed reports a token that is not a compact JWS or whose
	// protected header cannot be used (bad base64 or JSON, "crit" or "b64").
	ErrMalformed = errors.New("jwks: malformed token")

	// ErrNoKID reports a token header without "kid" for a key set that
	// holds several keys, so the key cannot be chosen.
	ErrNoKID = errors.New("jwks: token header has no kid")

	// ErrUnknownKID reports that no key has the token's kid, even after the
	// one refetch a remote set allows.
	ErrUnknownKID = errors.New("jwks: no key matches kid")

	// ErrAlgorithm reports a header "alg" that is not allowed (not listed,
	// "none", HS*, unsupported) or that does not fit the selected key.
	ErrAlgorithm = errors.New("jwks: algorithm not allowed")

	// ErrSignature reports a signature that does not verify.
	ErrSignature = errors.New("jwks: invalid signature")

	// ErrFetch reports that a remote key set could not be fetched and no
	// keys were ever cached for it.
	ErrFetch = errors.New("jwks: key set could not be fetched")
)

// maxQuoted bounds how much of an attacker-controlled header value is echoed
// into an error message.
const maxQuoted = 64

// clip shortens s for use in error messages.
func clip(s string) string {
	if len(s) <= maxQuoted {
		return s
	}
	return s[:maxQuoted] + "…"
}
