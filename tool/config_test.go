package tool

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/gorilla/sessions"

	"github.com/ltikit/ltikit/jwks"
)

// sharedStore stands for a store shared by processes (Redis, SQL).
type sharedStore struct{ Store }

func TestNew_WarnsOfPerProcessSessionKeys(t *testing.T) {
	regs, _ := NewMemoryPlatforms(testPlatform())
	key, _ := jwks.GenerateKey()
	keys, _ := jwks.NewKeyRing(key)
	shared := sharedStore{NewMemoryStore()}
	tests := []struct {
		name  string
		cfg   Config
		warns bool
	}{
		{"shared store without session keys", Config{Store: shared}, true},
		{"shared store with session keys", Config{Store: shared, SessionKeys: [][]byte{bytes.Repeat([]byte("k"), 32)}}, false},
		{"shared store with the application's sessions", Config{Store: shared, Sessions: sessions.NewCookieStore([]byte("k"))}, false},
		{"default store", Config{}, false},
		{"memory store", Config{Store: NewMemoryStore()}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log bytes.Buffer
			cfg := tt.cfg
			cfg.Platforms, cfg.Keys, cfg.BaseURL = regs, keys, testBaseURL
			cfg.Logger = slog.New(slog.NewTextHandler(&log, nil))
			tl, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			tl.Close()
			if warned := strings.Contains(log.String(), "level=WARN") && strings.Contains(log.String(), "SessionKeys"); warned != tt.warns {
				t.Errorf("warned = %v, want %v; log:\n%s", warned, tt.warns, log.String())
			}
		})
	}
}
