package tool

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ltikit/ltikit/jwks"
)

// moodleToken is one recorded Moodle 4.5 id_token (testdata/id_token_*.json,
// copied from shared/fixtures/moodle-4.5).
type moodleToken struct {
	Raw     string `json:"raw_id_token"`
	Payload struct {
		Iss, Aud, Nonce string
		Iat             int64
		Deployment      string `json:"https://purl.imsglobal.org/spec/lti/claim/deployment_id"`
		Target          string `json:"https://purl.imsglobal.org/spec/lti/claim/target_link_uri"`
	} `json:"payload"`
}

func loadMoodleToken(t testing.TB, name string) moodleToken {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var m moodleToken
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// moodleJWKS serves the platform key set Moodle published during the recording.
func moodleJWKS(t testing.TB) *httptest.Server {
	t.Helper()
	data, err := os.ReadFile("testdata/platform_jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	var rec struct{ Body json.RawMessage }
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write(rec.Body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// moodleTool is a tool registered like the recording tool, with its clock
// set skew after the token's iat.
func moodleTool(t testing.TB, m moodleToken, jwksURL string, skew time.Duration) *Tool {
	t.Helper()
	regs, err := NewMemoryPlatforms(Platform{
		Issuer: m.Payload.Iss, ClientID: m.Payload.Aud, Deployments: []string{m.Payload.Deployment},
		AuthURL: m.Payload.Iss + "/mod/lti/auth.php", TokenURL: m.Payload.Iss + "/mod/lti/token.php", JWKSURL: jwksURL,
	})
	if err != nil {
		t.Fatal(err)
	}
	key, _ := jwks.GenerateKey()
	keys, _ := jwks.NewKeyRing(key)
	now := time.Unix(m.Payload.Iat, 0).Add(skew)
	tl, err := New(Config{Platforms: regs, Keys: keys, BaseURL: "http://127.0.0.1:9001", MessageTypes: allMessageTypes,
		Now: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tl.Close() })
	return tl
}

// launchRecorded replays a recorded token against tl as if tl's login had
// sent Moodle the recorded nonce.
func launchRecorded(t testing.TB, tl *Tool, m moodleToken, token string) (*Launch, error) {
	t.Helper()
	state := randomToken()
	pending, _ := json.Marshal(pendingLogin{Issuer: m.Payload.Iss, ClientID: m.Payload.Aud, Nonce: m.Payload.Nonce,
		TargetLinkURI: m.Payload.Target, DeploymentID: m.Payload.Deployment})
	if err := tl.cfg.Store.Add(t.Context(), "login:"+state, pending, time.Minute); err != nil {
		t.Fatal(err)
	}
	form := url.Values{"state": {state}, "id_token": {token}}
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:9001/launch", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.AddCookie(&http.Cookie{Name: stateCookiePrefix + state[:16], Value: state})
	return tl.HandleLaunch(httptest.NewRecorder(), r)
}

func TestMoodle_RealTokensVerify(t *testing.T) {
	srv := moodleJWKS(t)
	files, _ := filepath.Glob("testdata/id_token_*.json")
	if len(files) < 10 {
		t.Fatalf("found %d recorded tokens, want the Moodle fixtures in testdata", len(files))
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			m := loadMoodleToken(t, name)
			for _, skew := range []time.Duration{5 * time.Second, -5 * time.Second, 85 * time.Second} {
				tl := moodleTool(t, m, srv.URL, skew)
				l, err := launchRecorded(t, tl, m, m.Raw)
				if err != nil {
					t.Fatalf("clock iat%+v: %v", skew, err)
				}
				if l.Issuer != "http://127.0.0.1:8081" || l.Subject == "" || l.DeploymentID != m.Payload.Deployment || l.ClientID != m.Payload.Aud {
					t.Errorf("launch = %+v", l)
				}
			}
		})
	}
}

func TestMoodle_RealTokenRefusals(t *testing.T) {
	srv := moodleJWKS(t)
	m := loadMoodleToken(t, "id_token_student_resource_link_launch.json")
	tests := []struct {
		name  string
		skew  time.Duration
		token func(string) string
		code  Code
	}{
		{"SEC_VAL_07 a minute and a half after expiry", 60*time.Second + 91*time.Second, nil, CodeTokenExpired},
		{"SEC_VAL_08 clock a minute behind", -time.Minute, nil, CodeTokenNotYetValid},
		{"SEC_VAL_01 signature byte flipped", 5 * time.Second, func(s string) string {
			b := []byte(s)
			i := len(b) - 10
			if b[i] == 'A' {
				b[i] = 'B'
			} else {
				b[i] = 'A'
			}
			return string(b)
		}, CodeBadSignature},
		{"SEC_VAL_01 header swapped to another kid", 5 * time.Second, func(s string) string {
			parts := strings.SplitN(s, ".", 2)
			return "eyJhbGciOiJSUzI1NiIsImtpZCI6Im90aGVyIiwidHlwIjoiSldUIn0." + parts[1]
		}, CodeUnknownKID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl := moodleTool(t, m, srv.URL, tt.skew)
			token := m.Raw
			if tt.token != nil {
				token = tt.token(token)
			}
			_, err := launchRecorded(t, tl, m, token)
			if !errors.Is(err, &Error{Code: tt.code}) {
				t.Fatalf("error = %v, want %s", err, tt.code)
			}
		})
	}
}
