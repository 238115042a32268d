package tool_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/ltikit/ltikit/jwks"
	"github.com/ltikit/ltikit/tool"
)

// Posting a learner's grade from a handler, in one call: the launch's
// line item, FullyGraded and Completed, the tool's clock as timestamp.
func ExampleTool_PostGrade() {
	lms := startExampleLMS()
	defer lms.close()
	t, l := lms.tool, lms.launch // in a handler: l, _ := tool.LaunchFrom(r.Context())

	err := t.PostGrade(context.Background(), l, tool.Grade{ScoreGiven: 8, ScoreMaximum: 10, Comment: "Well done"})
	if errors.Is(err, tool.ErrNoGradeService) {
		fmt.Println("grading is not enabled for this link")
	} else if err != nil {
		log.Fatal(err)
	}
	fmt.Println(lms.gradebook())
	// Output: user-42: 8/10 FullyGraded Completed "Well done"
}

// PostScore is the lower level: any line item, any progress, and typed
// errors that tell a conflict from a failure worth retrying.
func ExampleGrades_PostScore() {
	lms := startExampleLMS()
	defer lms.close()
	grades, err := lms.tool.Grades(lms.launch)
	if err != nil {
		log.Fatal(err)
	}
	score := tool.Score{
		UserID:           lms.launch.Subject,
		ActivityProgress: tool.ActivityStarted,
		GradingProgress:  tool.GradingNotReady,
		Timestamp:        time.Date(2026, 11, 28, 21, 17, 29, 0, time.UTC),
	}
	for range 2 {
		err := grades.PostScore(context.Background(), lms.launch.AGS.LineItem, score)
		var se *tool.ServiceError
		switch {
		case err == nil:
			fmt.Println("posted")
		case errors.Is(err, tool.ErrServiceConflict):
			fmt.Println("conflict: the platform has a score at least as new")
		case errors.As(err, &se) && se.Temporary():
			fmt.Println("try again after", se.RetryAfter)
		default:
			fmt.Println("permanent failure:", err)
		}
	}
	// Output:
	// posted
	// conflict: the platform has a score at least as new
}

// Reading a course roster of any size: members arrive page by page as the
// loop asks for them, with roles as full URIs.
func ExampleRoster_Members() {
	lms := startExampleLMS()
	defer lms.close()
	roster, err := lms.tool.Roster(lms.launch)
	if err != nil {
		log.Fatal(err)
	}
	for m, err := range roster.Members(context.Background(), tool.MembersQuery{Limit: 100}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(m.Name, m.Status, m.Roles.IsInstructor())
	}
	// Output:
	// Sally Scholar Active false
	// Terry Teacher Active true
}

// exampleLMS stands in for Moodle: a token endpoint, one line item that
// keeps the scores it is sent, and a two-member roster.
type exampleLMS struct {
	srv    *httptest.Server
	tool   *tool.Tool
	launch *tool.Launch

	mu     sync.Mutex
	scores []tool.Score
}

func startExampleLMS() *exampleLMS {
	lms := &exampleLMS{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		fmt.Fprintf(w, `{"access_token":"t","token_type":"Bearer","expires_in":3600,"scope":%q}`, r.PostForm.Get("scope"))
	})
	mux.HandleFunc("POST /lineitems/1/lineitem/scores", func(w http.ResponseWriter, r *http.Request) {
		var s tool.Score
		body, _ := io.ReadAll(r.Body)
		json.Unmarshal(body, &s)
		lms.mu.Lock()
		defer lms.mu.Unlock()
		for _, old := range lms.scores {
			if s.Timestamp.Unix() <= old.Timestamp.Unix() {
				w.WriteHeader(http.StatusConflict)
				return
			}
		}
		lms.scores = append(lms.scores, s)
	})
	mux.HandleFunc("GET /memberships", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"context":{"id":"2"},"members":[
			{"user_id":"42","roles":["Learner"],"name":"Sally Scholar"},
			{"user_id":"3","roles":["Instructor"],"name":"Terry Teacher"}]}`))
	})
	lms.srv = httptest.NewServer(mux)
	p := tool.Platform{Issuer: "https://moodle.example.edu", ClientID: "2T1DmxSUCu2ZSuu", Deployments: []string{"1"},
		AuthURL: lms.srv.URL + "/auth", JWKSURL: lms.srv.URL + "/jwks", TokenURL: lms.srv.URL + "/token"}
	regs, err := tool.NewMemoryPlatforms(p)
	if err != nil {
		log.Fatal(err)
	}
	key, _ := jwks.GenerateKey()
	keys, _ := jwks.NewKeyRing(key)
	lms.tool, err = tool.New(tool.Config{Platforms: regs, Keys: keys, BaseURL: "https://tool.example"})
	if err != nil {
		log.Fatal(err)
	}
	lms.launch = &tool.Launch{Issuer: p.Issuer, ClientID: p.ClientID, DeploymentID: "1", Subject: "user-42",
		ResourceLink: &tool.ResourceLink{ID: "1", Title: "Quiz"},
		AGS: &tool.AGSEndpoint{Scope: []string{tool.ScopeScore, tool.ScopeLineItemReadOnly},
			LineItems: lms.srv.URL + "/lineitems", LineItem: lms.srv.URL + "/lineitems/1/lineitem"},
		NRPS: &tool.NRPSService{ContextMembershipsURL: lms.srv.URL + "/memberships"}}
	return lms
}

func (lms *exampleLMS) gradebook() string {
	lms.mu.Lock()
	defer lms.mu.Unlock()
	var b strings.Builder
	for _, s := range lms.scores {
		fmt.Fprintf(&b, "%s: %g/%g %s %s %q", s.UserID, s.ScoreGiven, s.ScoreMaximum, s.GradingProgress, s.ActivityProgress, s.Comment)
	}
	return b.String()
}

func (lms *exampleLMS) close() {
	lms.tool.Close()
	lms.srv.Close()
}
