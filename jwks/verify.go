package jwks

import (
	"context"
	"fmt"
	"sync"

	"github.com/lestrrat-go/jwx/v2/jws"
)

// keySource yields the keys that may verify a token carrying kid. A remote
// source may block to fetch; it must honour ctx while waiting.
type keySource interface {
	keysFor(ctx context.Context, kid string) ([]verKey, error)
}

// verifier is a jws.KeyProvider for one Verify call: it picks keys by the
// parsed protected header, so the token is parsed exactly once (inside
// jws.Verify), and it remembers its own error so Verify can report it
// without jwx's wrapping.
type verifier struct {
	ctx  context.Context
	src  keySource
	algs []string
	err  error
}

// FetchKeys implements jws.KeyProvider.
func (v *verifier) FetchKeys(_ context.Context, sink jws.KeySink, sig *jws.Signature, _ *jws.Message) error {
	v.err = v.fetchKeys(sink, sig)
	return v.err
}

func (v *verifier) fetchKeys(sink jws.KeySink, sig *jws.Signature) error {
	h := sig.ProtectedHeaders()
	if len(h.Critical()) > 0 {
		return fmt.Errorf("%w: unsupported \"crit\" header", ErrMalformed)
	}
	if _, ok := h.Get("b64"); ok {
		return fmt.Errorf("%w: unsupported \"b64\" header", ErrMalformed)
	}
	alg := h.Algorithm()
	spec, ok := allowedAlg(v.algs, alg.String())
	if !ok {
		return fmt.Errorf("%w: %q", ErrAlgorithm, clip(alg.String()))
	}
	kid := h.KeyID()
	keys, err := v.src.keysFor(v.ctx, kid)
	if err != nil {
		return kidError(err, kid)
	}
	n := 0
	for i := range keys {
		if keys[i].fits(alg.String(), spec) {
			sink.Key(alg, keys[i].raw)
			n++
		}
	}
	if n == 0 {
		return fmt.Errorf("%w: %s does not fit key %q (%s)", ErrAlgorithm, alg, clip(kid), keys[0].describe())
	}
	return nil
}

// verifyCall is a verifier with its jws options made once, recycled
// through a per-set sync.Pool so a verification allocates nothing beyond
// what jws itself needs.
type verifyCall struct {
	v    verifier
	opts [2]jws.VerifyOption
}

// callPool recycles verifyCalls. The zero value is ready to use.
type callPool struct{ p sync.Pool }

func (cp *callPool) get() *verifyCall {
	if c, ok := cp.p.Get().(*verifyCall); ok {
		return c
	}
	c := &verifyCall{}
	c.opts = [2]jws.VerifyOption{jws.WithCompact(), jws.WithKeyProvider(&c.v)}
	return c
}

func (cp *callPool) put(c *verifyCall) {
	c.v = verifier{}
	cp.p.Put(c)
}

// verify checks a compact JWS with keys from src. See KeySet.Verify.
func verify(ctx context.Context, pool *callPool, src keySource, token []byte, algs []string) ([]byte, error) {
	c := pool.get()
	defer pool.put(c)
	c.v = verifier{ctx: ctx, src: src, algs: algs}
	payload, err := jws.Verify(token, c.opts[:]...)
	switch {
	case err == nil:
		return payload, nil
	case c.v.err != nil:
		return nil, c.v.err
	case jws.IsVerificationError(err):
		return nil, fmt.Errorf("%w: %w", ErrSignature, err)
	default:
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
}
