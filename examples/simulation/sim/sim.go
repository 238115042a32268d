// Package sim is a projectile-motion lab, an LTI 1.3 tool built with
// ltikit: a learner sets a cannon's angle and speed to hit targets at the
// distances a scenario gives, watches each shell fly on a canvas, and gets
// a grade for their accuracy (hits per shot) in the LMS's gradebook.
//
// What it shows of LTI Advantage:
//
//   - deep linking: an instructor adds scenarios as activities, each an
//     ltiResourceLink whose custom parameters carry the scenario and whose
//     lineItem makes its gradebook column;
//   - grades (AGS): a finished attempt posts its score with activityProgress
//     Completed and gradingProgress FullyGraded; a learner may try again,
//     and the platform keeps the latest score;
//   - roster (NRPS) and results (AGS): the instructor's page lists the class
//     with each learner's result, read back from the LMS.
//
// The app is an http.Handler; package main (examples/simulation) and
// `ltikit dev` serve it:
//
//	app, err := sim.New(sim.Config{BaseURL: "https://lab.example", Platforms: regs, Keys: keys})
//	if err != nil { ... }
//	defer app.Close()
//	http.ListenAndServe(addr, app)
package sim

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/ltikit/ltikit/jwks"
	"github.com/ltikit/ltikit/outbox"
	"github.com/ltikit/ltikit/tool"
)

//go:embed templates/*.html static
var files embed.FS

// Config configures the lab. BaseURL, Platforms and Keys are required.
type Config struct {
	// BaseURL is the lab's public origin, such as "https://lab.example";
	// its LTI URLs are BaseURL + "/lti/login", "/lti/launch" and
	// "/.well-known/jwks.json".
	BaseURL string
	// Platforms are the LMSs the lab accepts launches from.
	Platforms tool.PlatformStore
	// Keys sign the lab's service token requests and deep-linking
	// responses; published at /.well-known/jwks.json.
	Keys *jwks.KeyRing
	// Scores keeps the grades until the LMS has them: the lab hands each
	// to an outbox, which delivers it in the background and retries while
	// the LMS is slow or down. Required: an outbox.FileStore
	// (outbox.OpenFileStore) keeps them across restarts, an
	// outbox.MemoryStore only while the process runs (development).
	Scores outbox.Store
	// HTTPClient calls the platforms. Default: tool.Config's.
	HTTPClient *http.Client
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// Logger receives the lab's log. Default: slog.Default().
	Logger *slog.Logger
}

// App is the lab: an http.Handler serving its LTI endpoints and pages.
// It is safe for concurrent use; Close it when done.
type App struct {
	tool    *tool.Tool
	scores  *outbox.Outbox
	logger  *slog.Logger
	pages   *template.Template
	handler http.Handler
}

// ErrNoScoreStore is returned by New without Config.Scores.
var ErrNoScoreStore = errors.New("sim: Config.Scores is required: an outbox.Store keeps the grades until the LMS has them")

// New checks cfg, builds the lab and starts the outbox's delivery of the
// grades left in cfg.Scores.
func New(cfg Config) (*App, error) {
	if cfg.Scores == nil {
		return nil, ErrNoScoreStore
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	pages, err := template.New("").Funcs(funcs).ParseFS(files, "templates/*.html")
	if err != nil {
		return nil, err
	}
	t, err := tool.New(tool.Config{BaseURL: cfg.BaseURL, Platforms: cfg.Platforms, Keys: cfg.Keys,
		HTTPClient: cfg.HTTPClient, Now: cfg.Now, Logger: cfg.Logger,
		MessageTypes: []tool.MessageType{tool.ResourceLinkRequest, tool.DeepLinkingRequest}})
	if err != nil {
		return nil, err
	}
	a := &App{tool: t, logger: cfg.Logger, pages: pages}
	a.scores, err = outbox.New(outbox.Config{Tool: t, Store: cfg.Scores, Logger: cfg.Logger, OnFailure: a.gradeFailed})
	if err != nil {
		t.Close()
		return nil, err
	}
	static, _ := fs.Sub(files, "static") // "static" is a valid path: no error
	a.handler = a.routes(http.FileServerFS(static))
	return a, nil
}

// ServeHTTP serves the lab.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.handler.ServeHTTP(w, r) }

// Flush delivers the grades waiting in the outbox and waits until none is
// due, or until ctx is done: before shutting down, and in tests.
func (a *App) Flush(ctx context.Context) error { return a.scores.Flush(ctx) }

// Close stops the lab's background work: the outbox, waiting until ctx is
// done for the deliveries in progress (the grades not delivered stay in
// Config.Scores), and the platforms' key refresh.
func (a *App) Close(ctx context.Context) error {
	return errors.Join(a.scores.Close(ctx), a.tool.Close())
}

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	// json is v as JSON, for a data attribute the page's script reads.
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
	// number formats a float without trailing zeros.
	"number": formatFloat,
	// fixed formats a float with one decimal.
	"fixed": func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) },
	// clock formats a time for the page, or "" for the zero time.
	"clock": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Local().Format("Jan 2, 15:04:05")
	},
}
