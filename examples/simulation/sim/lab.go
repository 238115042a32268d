package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"

	"github.com/ltikit/ltikit/tool"
)

// scenarioOf reads the launch's scenario; on a problem it shows the page
// that names the custom parameter to fix.
func (a *App) scenarioOf(w http.ResponseWriter, l *tool.Launch) (Scenario, bool) {
	s, err := ParseScenario(l.Custom)
	if err != nil {
		a.problem(w, http.StatusUnprocessableEntity, "This activity's scenario is not valid",
			err.Error()+". An instructor can fix the activity's custom parameters in the LMS.")
		return Scenario{}, false
	}
	if l.ResourceLink != nil && l.ResourceLink.Title != "" {
		s.Title = l.ResourceLink.Title
	}
	return s, true
}

// labPage is what lab.html shows.
type labPage struct {
	Scenario Scenario
	Config   labConfig
	Learner  string
	Graded   bool   // a finished attempt posts a grade
	Preview  string // why not, when not graded
	ClassURL string // the instructor's page; "" for learners
}

// labConfig is what the lab's script needs, as JSON.
type labConfig struct {
	Gravity    float64   `json:"gravity"`
	Height     float64   `json:"height"`
	Targets    []float64 `json:"targets"`
	Tolerance  float64   `json:"tolerance"`
	Shots      int       `json:"shots"`
	MinAngle   float64   `json:"minAngle"`
	MaxAngle   float64   `json:"maxAngle"`
	MinSpeed   float64   `json:"minSpeed"`
	MaxSpeed   float64   `json:"maxSpeed"`
	AttemptURL string    `json:"attemptURL"`
}

// lab serves the lab: a learner plays the launch's scenario; an instructor
// previews it without grade.
func (a *App) lab(w http.ResponseWriter, r *http.Request) {
	l, _ := tool.LaunchFrom(r.Context())
	s, ok := a.scenarioOf(w, l)
	if !ok {
		return
	}
	p := labPage{Scenario: s, Learner: l.GivenName}
	if p.Learner == "" {
		p.Learner = l.Name
	}
	p.Preview = notGraded(l)
	p.Graded = p.Preview == ""
	if l.Roles.IsInstructor() {
		p.ClassURL = l.Link("/app/class")
	}
	p.Config = labConfig{Gravity: s.Gravity, Height: s.Height, Targets: s.Targets, Tolerance: s.Tolerance,
		Shots: s.Shots, MinAngle: MinAngle, MaxAngle: MaxAngle, MinSpeed: MinSpeed, MaxSpeed: MaxSpeed,
		AttemptURL: l.Link("/app/attempt")}
	a.render(w, http.StatusOK, "lab.html", p)
}

// attemptRequest is what the lab's script posts when the last target is
// done: the shots at each target.
type attemptRequest struct {
	Shots [][]Shot `json:"shots"`
}

// attemptResponse is the scored attempt and what became of its grade.
type attemptResponse struct {
	Attempt      Attempt `json:"attempt"`
	ScoreGiven   float64 `json:"scoreGiven"`
	ScoreMaximum float64 `json:"scoreMaximum"`
	Comment      string  `json:"comment"`
	Graded       bool    `json:"graded"`  // the LMS has the grade
	Retry        bool    `json:"retry"`   // sending it failed: the same attempt may be sent again
	Message      string  `json:"message"` // what happened to the grade
}

// maxAttemptBody bounds an attempt's JSON.
const maxAttemptBody = 64 << 10

// attempt scores a finished attempt from its shots, replayed here, and
// sends the grade to the LMS.
func (a *App) attempt(w http.ResponseWriter, r *http.Request) {
	l, _ := tool.LaunchFrom(r.Context())
	s, err := ParseScenario(l.Custom)
	if err != nil {
		writeJSONError(w, http.StatusUnprocessableEntity, err)
		return
	}
	var req attemptRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAttemptBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeJSONError(w, http.StatusBadRequest, fmt.Errorf("sim: the attempt is not valid JSON: %w", err))
		return
	}
	at, err := s.Score(req.Shots)
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err)
		return
	}
	res := attemptResponse{Attempt: at, ScoreGiven: math.Round(at.Accuracy*1000) / 10, ScoreMaximum: scoreMaximum,
		Comment: fmt.Sprintf("%d of %d targets hit in %d shots: accuracy %.0f%%.", at.Hits, len(at.Targets), at.Shots, at.Accuracy*100)}
	res.Graded, res.Retry, res.Message = a.sendGrade(r.Context(), l, res)
	writeJSON(w, http.StatusOK, res)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeJSONError(w http.ResponseWriter, status int, err error) {
	msg := err.Error()
	if errors.Is(err, errIncomplete) || errors.Is(err, errBadShot) {
		msg = "the attempt was refused: " + msg
	}
	writeJSON(w, status, map[string]string{"error": msg})
}
