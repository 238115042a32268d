package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http/httptest"
	"os"

	"github.com/ltikit/ltikit/jwks"
	"github.com/ltikit/ltikit/outbox"
	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

// In a handler, a learner's grade goes to the outbox in one call: it is on
// disk when Post returns, and reaches the gradebook even if the LMS is
// down right now, the tool restarts, or the learner has left.
func ExampleOutbox_Post() {
	lms := startExampleLMS()
	defer lms.close()
	grades, err := outbox.New(outbox.Config{Tool: lms.tool, Dir: lms.dir})
	if err != nil {
		log.Fatal(err)
	}
	defer grades.Close(context.Background())

	l := lms.launch // in a handler: l, _ := tool.LaunchFrom(r.Context())
	if err := grades.Post(context.Background(), l, tool.Grade{ScoreGiven: 8, ScoreMaximum: 10, Comment: "Well done"}); err != nil {
		log.Fatal(err) // not stored: tell the learner
	}

	grades.Flush(context.Background()) // only to print the result here
	fmt.Println(lms.grade("user-1"))
	// Output: 8 true
}

// Away from a launch (a batch of regrades, a background grader), a score
// needs only the registration and the AGS claim of an earlier launch.
// Two scores in the same second both land, in order.
func ExampleOutbox_Enqueue() {
	lms := startExampleLMS()
	defer lms.close()
	grades, err := outbox.New(outbox.Config{Tool: lms.tool, Dir: lms.dir})
	if err != nil {
		log.Fatal(err)
	}
	defer grades.Close(context.Background())

	for _, given := range []float64{6, 9} { // a regrade right after the first grade
		err := grades.Enqueue(context.Background(), outbox.Delivery{
			Issuer: lms.launch.Issuer, ClientID: lms.launch.ClientID, DeploymentID: lms.launch.DeploymentID,
			Endpoint: *lms.launch.AGS, // stored from an earlier launch
			Score: tool.Score{UserID: "user-1", ScoreGiven: given, ScoreMaximum: 10,
				ActivityProgress: tool.ActivityCompleted, GradingProgress: tool.GradingFullyGraded},
		})
		if err != nil {
			log.Fatal(err)
		}
		grades.Flush(context.Background())
	}
	fmt.Println(lms.grade("user-1"))
	// Output: 9 true
}

// A score the platform refuses for good is reported with the reason, so
// that someone can act on it; temporary failures are retried instead.
func ExampleConfig_onFailure() {
	lms := startExampleLMS()
	defer lms.close()
	lms.platform.InjectFault(ltitest.Fault{Endpoint: ltitest.EndpointScores, Status: 404, Times: 1})
	grades, err := outbox.New(outbox.Config{Tool: lms.tool, Dir: lms.dir,
		OnFailure: func(f outbox.Failure) {
			fmt.Println("not delivered:", f.Delivery.Score.UserID, errors.Is(f.Err, tool.ErrServiceNotFound))
		},
		Logger: slog.New(slog.DiscardHandler), // the failure is logged too
	})
	if err != nil {
		log.Fatal(err)
	}
	defer grades.Close(context.Background())

	if err := grades.Post(context.Background(), lms.launch, tool.Grade{ScoreGiven: 8, ScoreMaximum: 10}); err != nil {
		log.Fatal(err)
	}
	grades.Flush(context.Background())
	// Output: not delivered: user-1 true
}

// exampleLMS is the fake platform with the tool registered, and the launch
// a handler would have.
type exampleLMS struct {
	platform *ltitest.Platform
	tool     *tool.Tool
	launch   *tool.Launch
	dir      string
	close    func()
}

func startExampleLMS() *exampleLMS {
	p, err := ltitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	key, _ := jwks.GenerateKey()
	ring, _ := jwks.NewKeyRing(key)
	regs, _ := tool.NewMemoryPlatforms(p.Registration())
	t, err := tool.New(tool.Config{Platforms: regs, Keys: ring, BaseURL: "http://127.0.0.1"})
	if err != nil {
		log.Fatal(err)
	}
	keys := httptest.NewServer(t.JWKSHandler())
	p.SetToolJWKSURL(keys.URL)
	dir, err := os.MkdirTemp("", "outbox-example")
	if err != nil {
		log.Fatal(err)
	}
	li, _ := p.Gradebook().LineItemFor("rl-1")
	return &exampleLMS{platform: p, tool: t, dir: dir,
		launch: &tool.Launch{Issuer: p.URL, ClientID: p.ClientID, DeploymentID: p.DeploymentID, Subject: "user-1",
			ResourceLink: &tool.ResourceLink{ID: "rl-1", Title: "Activity"},
			AGS:          &tool.AGSEndpoint{Scope: []string{tool.ScopeLineItem, tool.ScopeScore}, LineItem: li.ID}},
		close: func() { t.Close(); keys.Close(); p.Close(); os.RemoveAll(dir) }}
}

// grade is user's grade on the launch's line item, as the gradebook holds
// it.
func (lms *exampleLMS) grade(user string) (float64, bool) {
	li, _ := lms.platform.Gradebook().LineItemFor("rl-1")
	return li.Scores[user].Grade()
}
