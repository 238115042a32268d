package main

import (
	"bytes"
	"encoding/base64"
	"errors"
	"image"
	_ "image/jpeg" // snapshot formats
	_ "image/png"
	"net/http"
	"net/url"
	"strings"

	"github.com/ltikit/ltikit/tool"
)

// The pre-check: before the attempt starts, the candidate confirms their
// identity against the name the platform verified, goes through an
// environment checklist, consents to the proctoring, and may take a webcam
// snapshot (never required: not every browser has a camera). In quiz mode
// the tool then opens its own quiz. In proctoring mode it shows the start
// page, whose button opens the monitor window (a popup needs the click)
// and answers the platform with LtiStartAssessment.

// environmentChecks are the checklist's items: the form field and what the
// candidate confirms.
var environmentChecks = []struct{ Field, Label string }{
	{"env-quiet", "I am in a quiet, well-lit room."},
	{"env-alone", "Nobody else is in the room."},
	{"env-materials", "I have no notes, books or other devices within reach."},
}

// maxSnapshot bounds the webcam snapshot.
const maxSnapshot = 1 << 20

// precheckView is what precheck.html shows.
type precheckView struct {
	S      session
	Name   string // the name the platform verified
	Action string // where the form posts
	Checks []struct{ Field, Label string }
	Errors []string
	Form   url.Values // what the candidate entered, to show it again
}

func (s *site) precheckView(l *tool.Launch, sess session) precheckView {
	return precheckView{S: sess, Name: l.Name, Action: l.Link("/proctor/precheck"), Checks: environmentChecks, Form: url.Values{}}
}

// precheckPage shows the pre-check, or where a started attempt goes on.
func (s *site) precheckPage(w http.ResponseWriter, r *http.Request) {
	l, _ := tool.LaunchFrom(r.Context())
	sess := s.sessions.open(l, s.now())
	switch {
	case sess.Status == statusStarted && sess.Mode == modeQuiz:
		http.Redirect(w, r, l.Link("/quiz"), http.StatusSeeOther)
	case sess.Status == statusReady:
		http.Redirect(w, r, l.Link("/proctor/start"), http.StatusSeeOther)
	case sess.Status != statusPrecheck:
		s.problem(w, http.StatusConflict, "This attempt is "+sess.Status, "Start a new attempt from your course.")
	default:
		s.render(w, http.StatusOK, "precheck.html", s.precheckView(l, sess))
	}
}

// precheckSubmit checks the pre-check form and starts the attempt.
func (s *site) precheckSubmit(w http.ResponseWriter, r *http.Request) {
	l, _ := tool.LaunchFrom(r.Context())
	sess := s.sessions.open(l, s.now())
	r.Body = http.MaxBytesReader(w, r.Body, 2*maxSnapshot)
	if err := r.ParseForm(); err != nil {
		s.problem(w, http.StatusBadRequest, "The form could not be read", err.Error())
		return
	}
	v := s.precheckView(l, sess)
	v.Form = r.PostForm
	snapshot, snapshotType, errs := checkPrecheck(l, r.PostForm)
	if len(errs) > 0 {
		v.Errors = errs
		s.render(w, http.StatusUnprocessableEntity, "precheck.html", v)
		return
	}
	passed := false
	sess, _ = s.sessions.update(sess.ID, func(x *session) {
		if x.Status != statusPrecheck {
			return
		}
		x.Status, x.VerifiedName, x.Snapshot, x.SnapshotType = statusReady, l.Name, snapshot, snapshotType
		if x.Mode == modeQuiz {
			x.Status, x.Started = statusStarted, s.now()
		}
		passed = true
	})
	if !passed {
		s.problem(w, http.StatusConflict, "This attempt is "+sess.Status, "Start a new attempt from your course.")
		return
	}
	s.logger.Info("pre-check passed", "session", sess.ID, "mode", sess.Mode, "snapshot", len(snapshot) > 0)
	if sess.Mode == modeQuiz {
		http.Redirect(w, r, l.Link("/quiz"), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, l.Link("/proctor/start"), http.StatusSeeOther)
}

// startView is what start.html shows.
type startView struct {
	S          session
	Action     string // where the form posts
	MonitorURL string // the monitor window, which the form's button opens
}

// startPage shows, once the pre-check passed, the button that opens the
// monitor window and starts the attempt.
func (s *site) startPage(w http.ResponseWriter, r *http.Request) {
	l, _ := tool.LaunchFrom(r.Context())
	sess := s.sessions.open(l, s.now())
	switch sess.Status {
	case statusPrecheck:
		http.Redirect(w, r, l.Link("/proctor/precheck"), http.StatusSeeOther)
	case statusReady:
		s.render(w, http.StatusOK, "start.html", startView{S: sess, Action: l.Link("/proctor/start"), MonitorURL: monitorURL(sess)})
	default:
		s.problem(w, http.StatusConflict, "This attempt is "+sess.Status, "Start a new attempt from your course.")
	}
}

// startSubmit starts the attempt: it answers the platform with
// LtiStartAssessment.
func (s *site) startSubmit(w http.ResponseWriter, r *http.Request) {
	l, _ := tool.LaunchFrom(r.Context())
	sess := s.sessions.open(l, s.now())
	started := false
	sess, _ = s.sessions.update(sess.ID, func(x *session) {
		if x.Status == statusReady {
			x.Status, x.Started, started = statusStarted, s.now(), true
		}
	})
	if !started {
		s.problem(w, http.StatusConflict, "This attempt is "+sess.Status, "Start a new attempt from your course.")
		return
	}
	// The identity the candidate confirmed is the one the platform sent;
	// the snapshot stays with the tool, for the instructor (a picture in
	// verified_user would have to be one the platform can fetch).
	err := s.tool.StartAssessment(w, l, tool.AssessmentStart{
		VerifiedUser:        &tool.VerifiedUser{Name: l.Name, GivenName: l.GivenName, FamilyName: l.FamilyName},
		EndAssessmentReturn: true,
	})
	if err != nil {
		s.tool.ServeError(w, r, err)
	}
}

// checkPrecheck checks the pre-check form and returns the snapshot, if
// any, with its media type, or what the candidate must fix.
func checkPrecheck(l *tool.Launch, f url.Values) (snapshot []byte, mediaType string, errs []string) {
	switch {
	case l.Name == "":
		errs = append(errs, "The platform did not share your name, so your identity cannot be confirmed. Ask your instructor to let the platform share names with this tool.")
	case !sameName(f.Get("name"), l.Name):
		errs = append(errs, "The name you typed is not the name your institution has for you.")
	}
	for _, c := range environmentChecks {
		if f.Get(c.Field) != "on" {
			errs = append(errs, "Confirm every item of the environment checklist.")
			break
		}
	}
	if f.Get("consent") != "on" {
		errs = append(errs, "Consent to the proctoring of this attempt to go on.")
	}
	if data := f.Get("snapshot"); data != "" {
		var err error
		if snapshot, mediaType, err = decodeSnapshot(data); err != nil {
			errs = append(errs, "The snapshot could not be used: "+err.Error()+". Take it again, or go on without one.")
		}
	}
	return snapshot, mediaType, errs
}

// sameName compares names the way a person reads them: case and spacing
// aside.
func sameName(a, b string) bool {
	norm := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	return norm(a) != "" && strings.EqualFold(norm(a), norm(b))
}

// decodeSnapshot decodes the snapshot the page's script took: a data URL
// of a JPEG or PNG image, at most maxSnapshot bytes, that really is one.
func decodeSnapshot(dataURL string) ([]byte, string, error) {
	mediaType, b64, ok := strings.Cut(strings.TrimPrefix(dataURL, "data:"), ";base64,")
	if !ok || !strings.HasPrefix(dataURL, "data:") || (mediaType != "image/jpeg" && mediaType != "image/png") {
		return nil, "", errors.New("not a JPEG or PNG data URL")
	}
	if base64.StdEncoding.DecodedLen(len(b64)) > maxSnapshot {
		return nil, "", errors.New("larger than 1 MB")
	}
	img, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, "", errors.New("not valid base64")
	}
	_, format, err := image.DecodeConfig(bytes.NewReader(img))
	if err != nil || "image/"+format != mediaType {
		return nil, "", errors.New("not a " + mediaType + " image")
	}
	return img, mediaType, nil
}
