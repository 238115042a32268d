package ltitest

import (
	"slices"
	"strings"
)

// The service scopes a tool requests at the token endpoint (SEC-CC-02,
// AGS-SCOPE-01, NRPS-02), for [WithScopes] and [Platform.SetScopes].
const (
	ScopeLineItem         = scopeLineItem                                                               // AGS: read and write line items
	ScopeLineItemReadonly = scopeLineItemReadonly                                                       // AGS: read line items
	ScopeResultReadonly   = scopeResultReadonly                                                         // AGS: read results
	ScopeScore            = scopeScore                                                                  // AGS: post scores
	ScopeMemberships      = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly" // NRPS

	// Moodle permits these two as well; the platform serves neither.
	scopeBasicOutcome = "https://purl.imsglobal.org/spec/lti-bo/scope/basicoutcome"
	scopeToolSetting  = "https://purl.imsglobal.org/spec/lti-ts/scope/toolsetting"
)

// agsScopes are the AGS scopes, in the order of the launch claim.
var agsScopes = []string{scopeLineItem, scopeLineItemReadonly, scopeResultReadonly, scopeScore}

// WithScopes sets the service scopes the registration permits, which the
// token endpoint grants (the intersection with the scopes requested) and
// the launch claims list; see [Platform.SetScopes]. Default: the four AGS
// scopes, the NRPS scope and [ScopeAssessmentControl] (Moodle, which has no
// proctoring, has its basic-outcome and tool-setting scopes instead, as a
// Moodle tool with every service enabled).
func WithScopes(scopes ...string) Option {
	if scopes == nil {
		scopes = []string{}
	}
	return func(o *options) { o.scopes = slices.Clone(scopes) }
}

// SetScopes replaces the service scopes the registration permits, as an
// LMS administrator changes a tool's service settings: tokens issued
// afterwards grant only these (tokens already issued keep theirs), and
// later launches list only the permitted AGS scopes in their AGS claim.
// No argument permits nothing: every token request then fails with
// invalid_scope.
func (p *Platform) SetScopes(scopes ...string) {
	if scopes == nil {
		scopes = []string{}
	}
	if err := p.e.updateRegistration(p.ClientID, func(r *registration) { r.scopes = slices.Clone(scopes) }); err != nil {
		panic(err) // the platform's own registration always exists
	}
}

// permittedScopes returns the scopes reg permits: its own when set, the
// profile's defaults otherwise.
func (e *engine) permittedScopes(reg registration) []string {
	if reg.scopes != nil {
		return reg.scopes
	}
	s := append(slices.Clone(agsScopes), ScopeMemberships)
	if e.quirks.moodleServices {
		s = append(s, scopeBasicOutcome, scopeToolSetting)
	} else {
		s = append(s, ScopeAssessmentControl) // Moodle has no proctoring
	}
	return s
}

// grantScopes is Moodle's array_intersect: the requested scopes (split on
// spaces) that reg permits, in the order requested, without duplicates.
func grantScopes(requested string, permitted []string) []string {
	var granted []string
	for _, s := range strings.Split(requested, " ") {
		if s != "" && slices.Contains(permitted, s) && !slices.Contains(granted, s) {
			granted = append(granted, s)
		}
	}
	return granted
}
