package outbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/ltikit/ltikit/tool"
)

// Delivery is a score and where it goes, with everything needed to send it
// after the learner's session has ended: the registration (looked up by
// Issuer and ClientID when the score is sent, so a rotated key or a
// disabled registration applies) and the launch's AGS endpoint claim.
//
// The line item is Endpoint.LineItem. When ResourceID or Tag is set, or
// Endpoint.LineItem is empty, it is found among the context's line items
// (Endpoint.LineItems) for ResourceLinkID by ResourceID and Tag, or created
// with Label, as [tool.Tool.PostGrade] does; Score.ScoreMaximum must then
// be positive.
//
// Its JSON form (encoding/json) is how stores keep it.
type Delivery struct {
	Issuer       string `json:"issuer"`    // the platform's issuer; required
	ClientID     string `json:"client_id"` // the registration's client_id; required
	DeploymentID string `json:"deployment_id,omitempty"`
	// Endpoint is the AGS endpoint claim of a launch in the context
	// (Launch.AGS): its scopes are the token's, its URLs the line items'.
	Endpoint tool.AGSEndpoint `json:"endpoint"`
	// ResourceLinkID, ResourceID and Tag pick the line item when
	// Endpoint.LineItem is not it; Label names one created for them.
	ResourceLinkID string `json:"resource_link_id,omitempty"`
	ResourceID     string `json:"resource_id,omitempty"`
	Tag            string `json:"tag,omitempty"`
	Label          string `json:"label,omitempty"`
	// Score is the score. Its Timestamp is set by the outbox (see
	// [Outbox.Enqueue]).
	Score tool.Score `json:"score"`
}

// byURL reports whether d names its line item by URL.
func (d *Delivery) byURL() bool {
	return d.ResourceID == "" && d.Tag == "" && d.Endpoint.LineItem != ""
}

// key names d's line item and learner: the scope of coalescing and of
// strictly increasing timestamps.
func (d *Delivery) key() string {
	parts := []string{d.Issuer, d.ClientID, "url", d.Endpoint.LineItem, d.Score.UserID}
	if !d.byURL() {
		parts = []string{d.Issuer, d.ClientID, "find", d.Endpoint.LineItems, d.ResourceLinkID, d.ResourceID, d.Tag, d.Score.UserID}
	}
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// check reports the first problem that would make d fail on every attempt.
func (d *Delivery) check() error {
	switch {
	case d.Issuer == "":
		return invalid("issuer", "a delivery needs the platform's issuer")
	case d.ClientID == "":
		return invalid("client_id", "a delivery needs the registration's client_id")
	case d.byURL():
		if err := checkURL("lineitem", d.Endpoint.LineItem); err != nil {
			return err
		}
	case d.Endpoint.LineItems == "":
		return &tool.Error{Code: tool.CodeNoGradeService, Issuer: d.Issuer, ClientID: d.ClientID,
			Detail: "neither a line item URL nor a lineitems URL to find or create one"}
	case d.ResourceLinkID == "" && d.ResourceID == "" && d.Tag == "":
		return invalid("resource_link_id", "a delivery without a line item URL needs a resource link, resourceId or tag to find its line item")
	case !(d.Score.ScoreMaximum > 0):
		return invalid("scoreMaximum", "a score for a line item found or created by resourceId or tag needs a positive scoreMaximum")
	default:
		if err := checkURL("lineitems", d.Endpoint.LineItems); err != nil {
			return err
		}
	}
	if err := d.checkScopes(); err != nil {
		return err
	}
	if d.hasNUL() {
		// No platform or database keeps a NUL character (PostgreSQL's
		// jsonb refuses it): refuse it before anything is stored.
		return invalid("score", "a delivery must not contain the character U+0000")
	}
	return d.Score.Validate()
}

// hasNUL reports whether one of d's strings holds a NUL character.
func (d *Delivery) hasNUL() bool {
	s := d.Score
	strs := append([]string{d.Issuer, d.ClientID, d.DeploymentID, d.Endpoint.LineItem, d.Endpoint.LineItems,
		d.ResourceLinkID, d.ResourceID, d.Tag, d.Label, s.UserID, s.Comment, s.ScoringUserID,
		string(s.ActivityProgress), string(s.GradingProgress)}, d.Endpoint.Scope...)
	return slices.ContainsFunc(strs, func(s string) bool { return strings.ContainsRune(s, 0) })
}

// checkScopes refuses a delivery whose AGS claim lists scopes but not the
// ones it needs: it would fail on its first attempt. An empty list is not
// checked: the token request tells.
func (d *Delivery) checkScopes() error {
	scopes := d.Endpoint.Scope
	if len(scopes) == 0 {
		return nil
	}
	if !slices.Contains(scopes, tool.ScopeScore) {
		return &tool.Error{Code: tool.CodeScopeNotGranted, Issuer: d.Issuer, ClientID: d.ClientID,
			Detail: "the AGS claim does not grant the score scope"}
	}
	if !d.byURL() && !slices.Contains(scopes, tool.ScopeLineItem) && !slices.Contains(scopes, tool.ScopeLineItemReadOnly) {
		return &tool.Error{Code: tool.CodeScopeNotGranted, Issuer: d.Issuer, ClientID: d.ClientID,
			Detail: "finding the line item needs the lineitem or lineitem.readonly scope, which the AGS claim does not grant"}
	}
	return nil
}

// checkURL refuses a service URL that is not absolute http(s).
func checkURL(field, s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return invalid(field, "%q is not an absolute http(s) URL", s)
	}
	return nil
}

// invalid is the error for a delivery refused before it is stored.
func invalid(field, format string, args ...any) error {
	return &tool.Error{Code: tool.CodeInvalidServiceRequest, Claim: field, Detail: fmt.Sprintf(format, args...)}
}

// launch is the launch d's score would come from, as the tool's grade
// clients take it: issuer, client_id, deployment, learner, AGS claim and
// resource link. Only those fields are set.
func (d *Delivery) launch() *tool.Launch {
	ags := d.Endpoint // d is the caller's copy
	l := &tool.Launch{Issuer: d.Issuer, ClientID: d.ClientID, DeploymentID: d.DeploymentID,
		Subject: d.Score.UserID, AGS: &ags}
	if d.ResourceLinkID != "" {
		l.ResourceLink = &tool.ResourceLink{ID: d.ResourceLinkID}
	}
	return l
}

// send posts d's score once. A line item given by URL gets the score as
// it is (tool.Grades.PostScore); otherwise tool.Tool.PostGrade finds or
// creates the line item, sharing the Tool's line-item cache with direct
// PostGrade calls.
func send(ctx context.Context, t *tool.Tool, d Delivery) error {
	l := d.launch()
	if d.byURL() {
		g, err := t.Grades(l)
		if err != nil {
			return err
		}
		return g.PostScore(ctx, d.Endpoint.LineItem, d.Score)
	}
	return t.PostGrade(ctx, l, d.grade())
}

// grade is d's score as the tool.Grade that PostGrade takes.
func (d *Delivery) grade() tool.Grade {
	s := d.Score
	return tool.Grade{ScoreGiven: s.ScoreGiven, ScoreMaximum: s.ScoreMaximum, Comment: s.Comment,
		ResourceID: d.ResourceID, Tag: d.Tag, Label: d.Label, ActivityProgress: s.ActivityProgress,
		GradingProgress: s.GradingProgress, Timestamp: s.Timestamp, Submission: s.Submission,
		ScoringUserID: s.ScoringUserID}
}
