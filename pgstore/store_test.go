package pgstore_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ltikit/ltikit/jwks"
	"github.com/ltikit/ltikit/pgstore"
	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/testing/storetest"
	"github.com/ltikit/ltikit/tool"
)

// newToolStore returns a tool state store on a new, empty schema, with
// its pool.
func newToolStore(t *testing.T) (*pgstore.Store, *pgxpool.Pool) {
	t.Helper()
	pool := newPool(t, newSchema(t))
	s, err := pgstore.NewStore(t.Context(), pool)
	if err != nil {
		t.Fatal(err)
	}
	return s, pool
}

func TestStore_Conformance(t *testing.T) {
	requireDatabase(t)
	storetest.TestStore(t, func(t *testing.T) tool.Store {
		s, _ := newToolStore(t)
		return s
	})
}

func TestStore_RefusesNonPositiveTTL(t *testing.T) {
	s, _ := newToolStore(t)
	for _, ttl := range []time.Duration{0, -time.Second} {
		if err := s.Add(t.Context(), "login:x", nil, ttl); err == nil || errors.Is(err, tool.ErrKeyExists) {
			t.Errorf("Add with TTL %v = %v; want an error", ttl, err)
		}
	}
	if v, err := s.Get(t.Context(), "login:x"); !errors.Is(err, tool.ErrKeyNotFound) {
		t.Errorf("Get after the refused Adds = %q, %v; want ErrKeyNotFound", v, err)
	}
}

// TestStore_PurgesExpiredRows checks that expired rows are deleted, not
// only hidden: the first Add of a process deletes them.
func TestStore_PurgesExpiredRows(t *testing.T) {
	s, pool := newToolStore(t)
	ctx := t.Context()
	expiring := []string{"login:a", "nonce:https://lms.example\x00n", "launch:\xff\xfe not UTF-8"}
	for _, k := range expiring {
		if err := s.Add(ctx, k, []byte("v"), time.Millisecond); err != nil {
			t.Fatalf("Add(%q): %v", k, err)
		}
	}
	if err := s.Add(ctx, "launch:kept", []byte("v"), time.Hour); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	restarted, err := pgstore.NewStore(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if err := restarted.Add(ctx, "launch:new", []byte("v"), time.Hour); err != nil {
		t.Fatal(err)
	}
	var keys []string
	rows, err := pool.Query(ctx, `SELECT convert_from(key, 'SQL_ASCII') FROM ltikit_store ORDER BY key`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"launch:kept", "launch:new"}; fmt.Sprint(keys) != fmt.Sprint(want) {
		t.Errorf("rows after a new process's first Add: %q; want %q (the expired ones deleted)", keys, want)
	}
}

// TestStore_LaunchSurvivesRestart launches a tool whose Store is a
// pgstore.Store and whose SessionKeys are fixed, then replaces the tool
// with a new one on new connections, as a restarted process: the
// browser's next request finds its launch. A restart onto the in-memory
// default store, with the same keys, loses it.
func TestStore_LaunchSurvivesRestart(t *testing.T) {
	schema := newSchema(t)
	ctx := t.Context()
	p := ltitest.NewPlatform(t)
	key, err := jwks.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := jwks.NewKeyRing(key)
	if err != nil {
		t.Fatal(err)
	}
	sessionKeys := [][]byte{bytes.Repeat([]byte{0x5a}, 32)} // as from LTIKIT_SESSION_KEY

	var serving atomic.Pointer[http.ServeMux] // the running process
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serving.Load().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.SetRedirectURIs(srv.URL + "/lti/launch")

	// start runs a tool process on store, in place of the previous one.
	start := func(store tool.Store) *tool.Tool {
		t.Helper()
		regs, err := tool.NewMemoryPlatforms(p.Registration())
		if err != nil {
			t.Fatal(err)
		}
		tl, err := tool.New(tool.Config{Platforms: regs, Keys: keys, BaseURL: srv.URL,
			Store: store, SessionKeys: sessionKeys, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tl.Close() })
		mux := http.NewServeMux()
		mux.Handle("/lti/login", tl.LoginHandler())
		mux.HandleFunc("POST /lti/launch", func(w http.ResponseWriter, r *http.Request) {
			l, err := tl.HandleLaunch(w, r)
			if err != nil {
				tl.ServeError(w, r, err)
				return
			}
			fmt.Fprint(w, l.Link("/app"))
		})
		mux.HandleFunc("GET /app", func(w http.ResponseWriter, r *http.Request) {
			l, err := tl.SessionLaunch(r)
			if err != nil {
				tl.ServeError(w, r, err)
				return
			}
			fmt.Fprintf(w, "launch %s: %s in %s", l.ID, l.Subject, l.Context.Title)
		})
		serving.Store(mux)
		return tl
	}
	// pgProcess starts a process with a new pool and store on the schema.
	pgProcess := func() (*tool.Tool, *pgxpool.Pool) {
		t.Helper()
		pool := newPool(t, schema)
		store, err := pgstore.NewStore(ctx, pool)
		if err != nil {
			t.Fatal(err)
		}
		return start(store), pool
	}

	first, firstPool := pgProcess()
	b := p.NewBrowser(t)
	res := b.Launch(srv.URL+"/lti/login", ltitest.Message{})
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	link := string(body)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(link, "/app?launch=") {
		t.Fatalf("launch: %s %q; violations %v", res.Status, body, p.Violations())
	}
	// follow makes the page's next request in the browser.
	follow := func() (int, string) {
		t.Helper()
		resp, err := b.Client().Get(srv.URL + link)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		page, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return resp.StatusCode, resp.Header.Get("LTI-Error-Code")
		}
		return resp.StatusCode, string(page)
	}
	status, want := follow()
	if status != http.StatusOK || !strings.Contains(want, link[len("/app?launch="):]) {
		t.Fatalf("follow-up before the restart: %d %s", status, want)
	}

	// The restart: the process and its connections end; a new one starts.
	first.Close()
	firstPool.Close()
	pgProcess()
	if status, got := follow(); status != http.StatusOK || got != want {
		t.Errorf("follow-up after a restart with pgstore: %d %s; want 200 %s", status, got, want)
	}

	// A restart onto the default in-memory store loses the launch,
	// though the session cookie is still valid.
	start(nil)
	if status, got := follow(); status != http.StatusUnauthorized || got != string(tool.CodeNoSession) {
		t.Errorf("follow-up after a restart with the in-memory store: %d %s; want 401 %s", status, got, tool.CodeNoSession)
	}

	// Back on the database, the launch is there still.
	pgProcess()
	if status, got := follow(); status != http.StatusOK || got != want {
		t.Errorf("follow-up after a restart back on pgstore: %d %s; want 200 %s", status, got, want)
	}
}
