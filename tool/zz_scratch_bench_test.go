package tool

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

func scratchToken(b *testing.B) (string, *rsa.PublicKey) {
	data, _ := os.ReadFile(filepath.Join("testdata", "id_token_student_resource_link_launch.json"))
	var rec struct{ RawIDToken string `json:"raw_id_token"` }
	json.Unmarshal(data, &rec)
	js, _ := os.ReadFile("/tmp/platform_jwks.json")
	set, err := jwk.Parse(js)
	if err != nil { b.Fatal(err) }
	k, _ := set.Key(0)
	var pub rsa.PublicKey
	if err := k.Raw(&pub); err != nil { b.Fatal(err) }
	return rec.RawIDToken, &pub
}

func BenchmarkScratchJWXParse(b *testing.B) {
	tok, pub := scratchToken(b)
	clock := jwt.ClockFunc(func() time.Time { return time.Unix(1795900615, 0) })
	b.ReportAllocs()
	for b.Loop() {
		if _, err := jwt.Parse([]byte(tok), jwt.WithKey(jwa.RS256, pub), jwt.WithValidate(true), jwt.WithClock(clock), jwt.WithAudience("2T1DmxSUCu2ZSuu")); err != nil { b.Fatal(err) }
	}
}

func BenchmarkScratchRSAPlusDecode(b *testing.B) {
	tok, pub := scratchToken(b)
	b.ReportAllocs()
	for b.Loop() {
		parts := strings.Split(tok, ".")
		sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
		h := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig); err != nil { b.Fatal(err) }
		p, _ := base64.RawURLEncoding.DecodeString(parts[1])
		if _, err := decodeLaunch(p); err != nil { b.Fatal(err) }
	}
}

func BenchmarkScratchRSAOnly(b *testing.B) {
	tok, pub := scratchToken(b)
	b.ReportAllocs()
	for b.Loop() {
		parts := strings.Split(tok, ".")
		sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
		h := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig); err != nil { b.Fatal(err) }
	}
}

func BenchmarkScratchJWSVerifyPlusDecode(b *testing.B) {
	tok, pub := scratchToken(b)
	b.ReportAllocs()
	for b.Loop() {
		p, err := jws.Verify([]byte(tok), jws.WithKey(jwa.RS256, pub))
		if err != nil { b.Fatal(err) }
		if _, err := decodeLaunch(p); err != nil { b.Fatal(err) }
	}
}

func BenchmarkScratchStdEmptyStruct(b *testing.B) {
	p := moodlePayload(b, "id_token_student_resource_link_launch.json")
	b.ReportAllocs()
	for b.Loop() {
		var v struct{}
		json.Unmarshal(p, &v)
	}
}
func BenchmarkScratchStdValid(b *testing.B) {
	p := moodlePayload(b, "id_token_student_resource_link_launch.json")
	b.ReportAllocs()
	for b.Loop() {
		json.Valid(p)
	}
}
func BenchmarkScratchWireOnly(b *testing.B) {
	p := moodlePayload(b, "id_token_student_resource_link_launch.json")
	b.ReportAllocs()
	for b.Loop() {
		var w wireLaunch
		json.Unmarshal(p, &w)
	}
}
func BenchmarkScratchWireNoCustomExt(b *testing.B) {
	p := moodlePayload(b, "id_token_student_resource_link_launch.json")
	type wl struct {
		wireLaunch
		Custom json.RawMessage `json:"https://purl.imsglobal.org/spec/lti/claim/custom"`
		Ext json.RawMessage `json:"https://purl.imsglobal.org/spec/lti/claim/ext"`
	}
	b.ReportAllocs()
	for b.Loop() {
		var w wl
		json.Unmarshal(p, &w)
	}
}
