package tool

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The OAuth2 scopes of the Assignment and Grade Services (AGS-SCOPE-01) and
// of Names and Role Provisioning (NRPS-02).
const (
	ScopeLineItem           = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
	ScopeLineItemReadOnly   = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
	ScopeResultReadOnly     = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
	ScopeScore              = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
	ScopeMembershipReadOnly = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
)

// The media types of the services (AGS-MT-01, NRPS-03), sent bare: Moodle
// compares Accept and Content-Type exactly (AGS-MT-02).
const (
	mediaLineItemContainer   = "application/vnd.ims.lis.v2.lineitemcontainer+json"
	mediaLineItem            = "application/vnd.ims.lis.v2.lineitem+json"
	mediaScore               = "application/vnd.ims.lis.v1.score+json"
	mediaResultContainer     = "application/vnd.ims.lis.v2.resultcontainer+json"
	mediaMembershipContainer = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
)

// Grades calls a platform's Assignment and Grade Services for one context
// (course): line items, scores and results. Get one from [Tool.Grades] for
// a launch, or [Tool.GradesFor] without one (a background job or an outbox
// needs only the registration). Every call fetches or reuses a service
// token for the scopes the launch's claim lists; a call needing a scope
// that was not granted fails with [ErrScopeNotGranted] before anything is
// sent.
//
// A Grades is cheap to create, holds no connection and is safe for
// concurrent use. Every error is an [*Error]: compare it with the sentinels
// such as [ErrServiceConflict] or [ErrScopeNotGranted]; a failed exchange
// carries a [*ServiceError] with the status, body and Retry-After.
type Grades struct {
	svc      service
	endpoint AGSEndpoint
}

// Grades returns the grade service client for l's context. It fails with
// [ErrNoGradeService] when the launch carries no AGS endpoint claim (the
// platform does not grant grades to this link). It does no I/O; the
// registration is looked up on each call, so a disabled registration stops
// service calls too.
func (t *Tool) Grades(l *Launch) (*Grades, error) {
	if l == nil || l.AGS == nil {
		return nil, &Error{Code: CodeNoGradeService, Detail: "the launch has no Assignment and Grade Services claim"}
	}
	return &Grades{
		svc: service{t: t, issuer: l.Issuer, clientID: l.ClientID, deploymentID: l.DeploymentID,
			scopes: normScopes(l.AGS.Scope)},
		endpoint: cloneEndpoint(*l.AGS),
	}, nil
}

// GradesFor returns a grade service client for registration p, deployment
// deploymentID and endpoint (the AGS claim of an earlier launch, stored by
// the tool). Tokens are requested for endpoint.Scope, or, when it is empty,
// for the scope each call needs.
func (t *Tool) GradesFor(p *Platform, endpoint AGSEndpoint, deploymentID string) *Grades {
	g := &Grades{svc: service{t: t, deploymentID: deploymentID, scopes: normScopes(endpoint.Scope)},
		endpoint: cloneEndpoint(endpoint)}
	if p != nil {
		pc := p.clone()
		g.svc.platform = &pc
	}
	return g
}

// Endpoint returns the AGS endpoint the client calls.
func (g *Grades) Endpoint() AGSEndpoint { return cloneEndpoint(g.endpoint) }

func cloneEndpoint(e AGSEndpoint) AGSEndpoint {
	e.Scope = slices.Clone(e.Scope)
	return e
}

// LineItemsQuery filters [Grades.LineItems] (AGS-LI-02). Zero fields send
// no filter.
type LineItemsQuery struct {
	ResourceLinkID string // resource_link_id: the line items of this resource link
	ResourceID     string // resource_id: the line items with this resourceId
	Tag            string // tag: the line items with this tag
	// Limit asks for at most this many line items per page; every page is
	// read either way. 0 leaves the page size to the platform.
	Limit int
}

// LineItems lists the context's line items matching q, following the
// platform's paging to the end (AGS-PAGE-01). It needs the lineitems URL of
// the claim and the lineitem or lineitem.readonly scope.
func (g *Grades) LineItems(ctx context.Context, q LineItemsQuery) ([]LineItem, error) {
	if g.endpoint.LineItems == "" {
		return nil, &Error{Code: CodeNoGradeService, Detail: "the AGS claim has no lineitems URL"}
	}
	if q.Limit < 0 {
		return nil, invalidRequest("limit", "must not be negative")
	}
	params := url.Values{}
	setParam(params, "resource_link_id", q.ResourceLinkID)
	setParam(params, "resource_id", q.ResourceID)
	setParam(params, "tag", q.Tag)
	if q.Limit > 0 {
		params.Set("limit", strconv.Itoa(q.Limit))
	}
	u, err := withParams(g.endpoint.LineItems, params)
	if err != nil {
		return nil, err
	}
	var all []LineItem
	for p, err := range g.svc.pages(ctx, call{method: http.MethodGet, url: u, accept: mediaLineItemContainer, need: []string{ScopeLineItemReadOnly, ScopeLineItem}}) {
		if err != nil {
			return nil, err
		}
		items, err := decodeLineItems(p.body)
		if err != nil {
			return nil, badResponse(http.MethodGet, p.url, "line item container", err)
		}
		all = append(all, items...)
	}
	return all, nil
}

// LineItem reads the line item at lineItemURL (its id). It needs the
// lineitem or lineitem.readonly scope.
func (g *Grades) LineItem(ctx context.Context, lineItemURL string) (LineItem, error) {
	body, _, err := g.svc.do(ctx, call{method: http.MethodGet, url: lineItemURL, accept: mediaLineItem, need: []string{ScopeLineItemReadOnly, ScopeLineItem}})
	if err != nil {
		return LineItem{}, err
	}
	return decodeLineItemResponse(http.MethodGet, lineItemURL, body)
}

// CreateLineItem adds li to the context's gradebook and returns it as the
// platform stored it, with its ID (AGS-LI-02). li needs a Label and a
// positive ScoreMaximum and must not have an ID. A ResourceLinkID binds the
// column to that link; the platform refuses a link it did not send for
// this context. It needs the lineitems URL and the lineitem scope.
func (g *Grades) CreateLineItem(ctx context.Context, li LineItem) (LineItem, error) {
	if g.endpoint.LineItems == "" {
		return LineItem{}, &Error{Code: CodeNoGradeService, Detail: "the AGS claim has no lineitems URL"}
	}
	if li.ID != "" {
		return LineItem{}, invalidRequest("id", "a new line item has no id; the platform assigns it")
	}
	body, err := lineItemBody(li)
	if err != nil {
		return LineItem{}, err
	}
	res, _, err := g.svc.do(ctx, call{method: http.MethodPost, url: g.endpoint.LineItems,
		accept: mediaLineItem, contentType: mediaLineItem, body: body, need: []string{ScopeLineItem}})
	if err != nil {
		return LineItem{}, err
	}
	created, err := decodeLineItemResponse(http.MethodPost, g.endpoint.LineItems, res)
	if err == nil && created.ID == "" {
		err = &Error{Code: CodeBadServiceResponse, Detail: "POST " + g.endpoint.LineItems + ": the created line item has no id"}
	}
	return created, err
}

// UpdateLineItem replaces the line item li.ID with li (a PUT replaces the
// whole item, AGS-LI-03: start from [Grades.LineItem], change it, pass it
// back) and returns it as the platform applied it. An empty ResourceLinkID
// is filled in from the platform's current item first, because Moodle
// unbinds a line item from its link when a PUT leaves it out; a tool must
// not change it anyway. It needs the lineitem scope.
func (g *Grades) UpdateLineItem(ctx context.Context, li LineItem) (LineItem, error) {
	if li.ID == "" {
		return LineItem{}, invalidRequest("id", "the line item to update has no id")
	}
	if _, err := lineItemBody(li); err != nil {
		return LineItem{}, err
	}
	if li.ResourceLinkID == "" {
		cur, err := g.LineItem(ctx, li.ID)
		if err != nil {
			return LineItem{}, err
		}
		li.ResourceLinkID = cur.ResourceLinkID
	}
	body, _ := lineItemBody(li)
	res, _, err := g.svc.do(ctx, call{method: http.MethodPut, url: li.ID,
		accept: mediaLineItem, contentType: mediaLineItem, body: body, need: []string{ScopeLineItem}})
	if err != nil {
		return LineItem{}, err
	}
	if len(strings.TrimSpace(string(res))) == 0 { // a 204 or an empty 200
		return li, nil
	}
	updated, err := decodeLineItemResponse(http.MethodPut, li.ID, res)
	if err == nil && updated.ID == "" {
		updated.ID = li.ID
	}
	return updated, err
}

// DeleteLineItem removes the line item at lineItemURL, with its results.
// It needs the lineitem scope.
func (g *Grades) DeleteLineItem(ctx context.Context, lineItemURL string) error {
	_, _, err := g.svc.do(ctx, call{method: http.MethodDelete, url: lineItemURL, need: []string{ScopeLineItem}})
	return err
}

// lineItemBody validates li (AGS-LI-01) and encodes it.
func lineItemBody(li LineItem) ([]byte, error) {
	switch {
	case strings.TrimSpace(li.Label) == "":
		return nil, invalidRequest("label", "a line item needs a label")
	case !(li.ScoreMaximum > 0) || math.IsInf(li.ScoreMaximum, 0):
		return nil, invalidRequest("scoreMaximum", "must be a positive number, not %v", li.ScoreMaximum)
	case utf8.RuneCountInString(li.ResourceID) > 256:
		return nil, invalidRequest("resourceId", "longer than 256 characters")
	case utf8.RuneCountInString(li.Tag) > 256:
		return nil, invalidRequest("tag", "longer than 256 characters")
	}
	return json.Marshal(li)
}

// decodeLineItemResponse decodes the line item a request returned.
func decodeLineItemResponse(method, u string, body []byte) (LineItem, error) {
	li, err := decodeLineItem(body)
	if err != nil {
		return LineItem{}, badResponse(method, u, "line item", err)
	}
	if method == http.MethodGet && li.ID == "" {
		li.ID = u
	}
	return li, nil
}

// setParam sets params[k] to v unless v is empty.
func setParam(params url.Values, k, v string) {
	if v != "" {
		params.Set(k, v)
	}
}

// withParams adds params to the service URL raw, after its own query, which
// is kept byte for byte (Moodle's ?type_id=N).
func withParams(raw string, params url.Values) (string, error) {
	u, err := serviceURL(raw)
	if err != nil {
		return "", invalidRequest("url", "%v", err)
	}
	if len(params) > 0 {
		if u.RawQuery != "" {
			u.RawQuery += "&"
		}
		u.RawQuery += params.Encode()
	}
	return u.String(), nil
}

// subresource returns the URL of a line item's scores or results: name
// appended to the path, the query kept (AGS-URL-01:
// .../lineitem?type_id=3 becomes .../lineitem/scores?type_id=3).
func subresource(lineItemURL, name string) (string, error) {
	u, err := serviceURL(lineItemURL)
	if err != nil {
		return "", invalidRequest("url", "line item URL: %v", err)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/" + name
	if u.RawPath != "" {
		u.RawPath = strings.TrimSuffix(u.RawPath, "/") + "/" + name
	}
	return u.String(), nil
}
