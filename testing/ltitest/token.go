package ltitest

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"time"

	"github.com/ltikit/ltikit/tool"
)

// claims returns the id_token claims of m (defaults filled in) for the tool
// clientID, issued at now with nonce, before Message.Mutate. The result
// shares no memory with m or the platform, so Mutate may change anything.
func (e *engine) claims(clientID string, m Message, nonce string, now time.Time) map[string]any {
	q := e.quirks
	c := map[string]any{
		"iss":              e.issuer,
		"aud":              clientID,
		"iat":              now.Unix(),
		"exp":              now.Add(q.tokenLifetime).Unix(),
		"nonce":            nonce,
		ClaimMessageType:   string(m.Type),
		ClaimVersion:       tool.Version,
		ClaimDeploymentID:  m.DeploymentID,
		ClaimTargetLinkURI: m.TargetLinkURI,
		ClaimRoles:         roleStrings(m.Roles),
	}
	if q.audArray {
		c["aud"] = []string{clientID}
		c["azp"] = clientID
	}
	if !m.Anonymous {
		c["sub"] = m.UserID
	}
	setNonEmpty(c, "name", m.Name)
	setNonEmpty(c, "given_name", m.GivenName)
	setNonEmpty(c, "family_name", m.FamilyName)
	setNonEmpty(c, "email", m.Email)

	if ctx := m.Context; ctx != nil {
		cc := map[string]any{"id": ctx.ID}
		setNonEmpty(cc, "label", ctx.Label)
		setNonEmpty(cc, "title", ctx.Title)
		if len(ctx.Type) > 0 {
			cc["type"] = slices.Clone(ctx.Type)
		}
		c[ClaimContext] = cc
	}
	if rl := m.ResourceLink; rl != nil {
		r := map[string]any{"id": rl.ID}
		setNonEmpty(r, "title", rl.Title)
		setNonEmpty(r, "description", rl.Description)
		c[ClaimResourceLink] = r
	}

	tp := maps.Clone(q.toolPlatform)
	tp["guid"] = e.host()
	c[ClaimToolPlatform] = tp

	lp := map[string]any{"locale": "en"}
	if !(q.moodleClaims && m.Type == tool.DeepLinkingRequest) { // Moodle sends only the locale
		lp["document_target"] = "iframe"
		lp["return_url"] = e.issuer + "/return"
	}
	c[ClaimLaunchPresentation] = lp

	if custom := e.custom(m); custom != nil {
		c[ClaimCustom] = custom
	}

	if m.AGS {
		c[ClaimAGSEndpoint] = e.agsClaim(m)
	}
	if m.NRPS {
		c[ClaimNRPS] = map[string]any{
			"context_memberships_url": e.membershipsURL(m),
			"service_versions":        slices.Clone(q.nrpsVersions),
		}
	}
	if dl := m.DeepLinking; dl != nil {
		s := map[string]any{
			"deep_link_return_url":                 dl.ReturnURL,
			"accept_types":                         slices.Clone(dl.AcceptTypes),
			"accept_presentation_document_targets": slices.Clone(dl.AcceptPresentationDocumentTargets),
			"accept_multiple":                      dl.AcceptMultiple,
			"auto_create":                          dl.AutoCreate,
		}
		if dl.AcceptLineItem != nil {
			s["accept_lineitem"] = *dl.AcceptLineItem
		}
		if len(dl.AcceptMediaTypes) > 0 {
			s["accept_media_types"] = slices.Clone(dl.AcceptMediaTypes)
		}
		setNonEmpty(s, "title", dl.Title)
		setNonEmpty(s, "text", dl.Text)
		setNonEmpty(s, "data", dl.Data)
		if q.moodleClaims {
			s["accept_copy_advice"] = false
			s["accept_unsigned"] = false
			s["can_confirm"] = false
		}
		c[ClaimDeepLinkingSettings] = s
	}
	e.proctoringClaims(c, m)
	if fu := m.ForUser; fu != nil {
		f := map[string]any{"user_id": fu.UserID}
		setNonEmpty(f, "name", fu.Name)
		setNonEmpty(f, "given_name", fu.GivenName)
		setNonEmpty(f, "family_name", fu.FamilyName)
		setNonEmpty(f, "email", fu.Email)
		if fu.Roles != nil {
			f["roles"] = roleStrings(fu.Roles)
		}
		c[ClaimForUser] = f
	}

	if q.moodleClaims {
		c[ClaimExt] = map[string]any{"lms": "moodle-2", "user_username": "user" + m.UserID}
		lis := map[string]any{"person_sourcedid": "SIS-user" + m.UserID}
		if m.Context != nil && m.Context.Label != "" {
			lis["course_section_sourcedid"] = m.Context.Label + "-SIS"
		}
		c[ClaimLIS] = lis
		if m.Type != tool.DeepLinkingRequest {
			c[ClaimBasicOutcome] = map[string]any{
				"lis_result_sourcedid":    fmt.Sprintf(`{"data":{"instanceid":%q,"userid":%q,"typeid":%q}}`, m.resourceLinkID(), m.UserID, m.DeploymentID),
				"lis_outcome_service_url": e.issuer + "/outcomes",
			}
		}
	}
	return c
}

// custom returns the custom claim of m: m.Custom, plus the keys Moodle
// injects. nil means no claim.
func (e *engine) custom(m Message) map[string]any {
	if !e.quirks.moodleClaims {
		return maps.Clone(m.Custom)
	}
	ctx := m.contextID()
	c := map[string]any{
		"context_memberships_url": e.membershipsURL(m),
		"context_setting_url":     e.issuer + "/settings/contexts/" + url.PathEscape(ctx) + "/tool/" + url.PathEscape(m.DeploymentID),
		"system_setting_url":      e.issuer + "/settings/tool/" + url.PathEscape(m.DeploymentID),
	}
	if m.Type == tool.DeepLinkingRequest {
		c["resource_link_id"] = nil
	} else {
		c["resource_link_id"] = m.resourceLinkID()
		c["link_setting_url"] = e.issuer + "/settings/links/{link_id}" // sic: Moodle leaves {link_id}
	}
	maps.Copy(c, m.Custom)
	return c
}

// agsClaim is the AGS endpoint claim: the line items container of m's
// context on the platform and the line item of m's resource link, which the
// gradebook makes on the link's first launch; scope lists the AGS scopes the
// registration permits. URLs carry Moodle's ?type_id query, which a tool
// must keep when it appends /scores or /results.
func (e *engine) agsClaim(m Message) map[string]any {
	ctx := m.contextID()
	reg, _ := e.registration(e.quirks.clientID)
	scopes := []string{}
	for _, s := range agsScopes {
		if slices.Contains(e.permittedScopes(reg), s) {
			scopes = append(scopes, s)
		}
	}
	c := map[string]any{
		"scope":     scopes,
		"lineitems": e.lineItemsURL(ctx) + e.typeQuery(),
	}
	if rl := m.resourceLinkID(); rl != "" {
		if id := e.linkLineItem(m); id != "" {
			c["lineitem"] = e.lineItemURL(ctx, id)
		}
	} else if e.quirks.moodleClaims {
		c["lineitem"] = ""
	}
	return c
}

// membershipsURL is the NRPS memberships URL of m's context.
func (e *engine) membershipsURL(m Message) string {
	return e.issuer + "/nrps/" + url.PathEscape(m.contextID()) + "/memberships"
}

// host is the platform's host:port, its tool_platform guid.
func (e *engine) host() string {
	u, err := url.Parse(e.issuer)
	if err != nil {
		return e.issuer
	}
	return u.Host
}

func (m Message) contextID() string {
	if m.Context == nil {
		return "none"
	}
	return m.Context.ID
}

func (m Message) resourceLinkID() string {
	if m.ResourceLink == nil {
		return ""
	}
	return m.ResourceLink.ID
}

func roleStrings(roles tool.Roles) []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = string(r)
	}
	return out
}

func setNonEmpty(m map[string]any, key, value string) {
	if value != "" {
		m[key] = value
	}
}

// header is the JOSE header of the platform's tokens.
func header(kid, alg string) map[string]any {
	return map[string]any{"typ": "JWT", "alg": alg, "kid": kid}
}

// idToken builds, mutates and signs the id_token of pl's message for nonce.
// It returns the token with the claims and header it carries.
func (e *engine) idToken(pl *pendingLaunch, nonce string) (token string, hdr, claims map[string]any, err error) {
	m := pl.msg
	e.noteLaunch(m)
	claims = e.claims(pl.clientID, m, nonce, e.clock())
	if m.Mutate != nil {
		m.Mutate(claims)
	}
	key := e.signingKey()
	hdr = header(key.ID, key.Algorithm)
	if m.MutateHeader != nil {
		m.MutateHeader(hdr)
	}
	if m.Token != nil {
		token = m.Token(claims)
		h, _ := decodeJWS(token)
		return token, h, claims, nil
	}
	token, err = signJWS(key, hdr, claims)
	return token, hdr, claims, err
}
