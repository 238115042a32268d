package tool

import (
	"context"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

// acceptStore is a Store whose Add always succeeds, so a benchmark can
// verify the same token repeatedly; the nonce write itself is a store call,
// not verification work.
type acceptStore struct{ Store }

func (acceptStore) Add(context.Context, string, []byte, time.Duration) error { return nil }

// BenchmarkVerifyLaunch compares ltikit's whole launch-token verification
// (signature with the cached platform key, every claim check, typed decode)
// with jwx's jwt.Parse (key set + validation) on Moodle's real student
// token. The target (docs/perf.md) is ltikit ≤ 0.75 × jwx.
func BenchmarkVerifyLaunch(b *testing.B) {
	srv := moodleJWKS(b)
	m := loadMoodleToken(b, "id_token_student_resource_link_launch.json")
	token := []byte(m.Raw)
	now := time.Unix(m.Payload.Iat, 0).Add(5 * time.Second)

	b.Run("ltikit", func(b *testing.B) {
		tl := moodleTool(b, m, srv.URL, 5*time.Second)
		tl.cfg.Store = acceptStore{tl.cfg.Store}
		login := &pendingLogin{Issuer: m.Payload.Iss, ClientID: m.Payload.Aud, Nonce: m.Payload.Nonce,
			TargetLinkURI: m.Payload.Target, DeploymentID: m.Payload.Deployment}
		ctx := context.Background()
		if _, err := tl.verifyToken(ctx, login, token); err != nil { // warms the key cache
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := tl.verifyToken(ctx, login, token); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("jwx-jwt.Parse", func(b *testing.B) {
		set, err := jwk.Fetch(context.Background(), srv.URL)
		if err != nil {
			b.Fatal(err)
		}
		clock := jwt.ClockFunc(func() time.Time { return now })
		b.ReportAllocs()
		for b.Loop() {
			_, err := jwt.Parse(token, jwt.WithKeySet(set), jwt.WithValidate(true), jwt.WithClock(clock),
				jwt.WithAcceptableSkew(30*time.Second), jwt.WithIssuer(m.Payload.Iss), jwt.WithAudience(m.Payload.Aud))
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
