package tool

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Roster calls a platform's Names and Role Provisioning Services for one
// context: who is enrolled, with which roles. Get one from [Tool.Roster]
// for a launch, or [Tool.RosterFor] without one. It reads the roster page
// by page as the caller iterates, so a course of any size is read in the
// memory of one page.
//
// A Roster is cheap to create, holds no connection and is safe for
// concurrent use.
type Roster struct {
	svc service
	url string // context_memberships_url
}

// Roster returns the roster client for l's context. It fails with
// [ErrNoRosterService] when the launch carries no NRPS claim or no
// memberships URL. It does no I/O.
func (t *Tool) Roster(l *Launch) (*Roster, error) {
	if l == nil || l.NRPS == nil || l.NRPS.ContextMembershipsURL == "" {
		return nil, &Error{Code: CodeNoRosterService, Detail: "the launch has no Names and Role Provisioning Services claim"}
	}
	return &Roster{url: l.NRPS.ContextMembershipsURL,
		svc: service{t: t, issuer: l.Issuer, clientID: l.ClientID, deploymentID: l.DeploymentID,
			scopes: []string{ScopeMembershipReadOnly}}}, nil
}

// RosterFor returns a roster client for registration p, deployment
// deploymentID and the context_memberships_url of an earlier launch.
func (t *Tool) RosterFor(p *Platform, membershipsURL, deploymentID string) *Roster {
	r := &Roster{url: membershipsURL,
		svc: service{t: t, deploymentID: deploymentID, scopes: []string{ScopeMembershipReadOnly}}}
	if p != nil {
		pc := p.clone()
		r.svc.platform = &pc
	}
	return r
}

// MembersQuery selects the members [Roster.Members] and [Roster.Pages]
// read. Zero fields send no filter.
type MembersQuery struct {
	// Role asks for the members with this role, a full URI or a short
	// context role name such as "Learner" (NRPS-07). Moodle drops the
	// filter from its next-page links: the tool puts it back, and also
	// filters each page itself.
	Role Role
	// ResourceLinkID (rlid) asks for the members who can access this
	// resource link, each with the message claims the platform would
	// launch them with (Member.Messages). Platforms may not support it.
	ResourceLinkID string
	// Limit asks for at most this many members per page; the platform may
	// return more or fewer (NRPS-05). Every page is read either way. 0
	// asks for pages of 1000, so that a roster of any size is read in
	// bounded memory (without a limit Moodle returns everyone in one page).
	Limit int
	// DifferencesURL reads the changes since an earlier read instead: a
	// [MembersPage.Differences] link, used exactly as given (NRPS-06). The
	// result has added and changed members, and removed ones with status
	// Deleted. Role still filters; ResourceLinkID and Limit are not added.
	DifferencesURL string
}

// MemberStatus is a member's status in the context.
type MemberStatus string

// The member statuses. Deleted appears only when reading differences.
const (
	MemberActive   MemberStatus = "Active"
	MemberInactive MemberStatus = "Inactive"
	MemberDeleted  MemberStatus = "Deleted"
)

// Member is one member of a context (NRPS-04). Only UserID, Roles and
// Status are always present; the platform sends the personal fields only
// with the consent its administrator configured.
type Member struct {
	// UserID is the member's LTI user id, the sub of their launches.
	UserID string
	// Status is MemberActive when the platform sent none.
	Status MemberStatus
	// Roles are the member's roles in the context, normalised by
	// [ParseRole]: Moodle's short names such as "Learner" arrive as full
	// URIs.
	Roles Roles

	// The personal fields; empty when the platform withholds them.
	Name, GivenName, FamilyName, MiddleName, Email, Picture string
	// PersonSourcedID is lis_person_sourcedid, the SIS id.
	PersonSourcedID string
	// LTI11LegacyUserID is the member's LTI 1.1 user_id.
	LTI11LegacyUserID string
	// Messages are the member's message claims for the resource link of
	// an rlid request (MembersQuery.ResourceLinkID); nil otherwise.
	Messages []MemberMessage
}

// MemberMessage is one entry of a member's message array: claims in the
// format of a launch, for the resource link asked about (NRPS-07).
type MemberMessage struct {
	MessageType  MessageType       // .../claim/message_type
	Custom       map[string]string // .../claim/custom, with substitutions resolved for the member
	BasicOutcome *BasicOutcome     // the lti-bo claim, which Moodle sends
	// Claims is the whole message object as the platform sent it, for the
	// claims not modelled here.
	Claims json.RawMessage
}

// MembersPage is one page of a roster.
type MembersPage struct {
	// URL is the page's URL.
	URL string
	// Context is the context the members belong to; nil when the platform
	// did not say.
	Context *ContextClaim
	// Members are the page's members, filtered by MembersQuery.Role.
	Members []Member
	// Next is the next page's URL, "" on the last page.
	Next string
	// Differences is the rel="differences" link, "" when the platform
	// offers none: keep it to read the changes later through
	// MembersQuery.DifferencesURL (NRPS-06).
	Differences string
}

// Members reads the members selected by q, page by page as the loop asks
// for them. Stop early by breaking out of the loop. An error ends the
// sequence; it is the last element. It needs the contextmembership.readonly
// scope.
//
//	for m, err := range roster.Members(ctx, tool.MembersQuery{Role: tool.RoleLearner}) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(m.UserID, m.Name)
//	}
func (r *Roster) Members(ctx context.Context, q MembersQuery) iter.Seq2[Member, error] {
	return func(yield func(Member, error) bool) {
		for p, err := range r.Pages(ctx, q) {
			if err != nil {
				yield(Member{}, err)
				return
			}
			for _, m := range p.Members {
				if !yield(m, nil) {
					return
				}
			}
		}
	}
}

// Pages reads the pages of the roster selected by q, following rel="next"
// links as given (NRPS-05), one request per step of the loop. An error ends
// the sequence; it is the last element. Use it rather than
// [Roster.Members] to see the context and the differences link.
func (r *Roster) Pages(ctx context.Context, q MembersQuery) iter.Seq2[*MembersPage, error] {
	return func(yield func(*MembersPage, error) bool) {
		c, err := r.firstCall(q)
		if err != nil {
			yield(nil, err)
			return
		}
		var role Role
		if q.Role != "" {
			role = ParseRole(string(q.Role))
		}
		for p, err := range r.svc.pages(ctx, c) {
			if err != nil {
				yield(nil, err)
				return
			}
			mp, err := decodeMembers(p.body)
			if err != nil {
				yield(nil, badResponse(http.MethodGet, p.url, "membership container", err))
				return
			}
			mp.URL = p.url
			mp.Next = p.next // a bad next link is reported after this page
			if mp.Differences, err = p.link("differences"); err != nil {
				yield(nil, badResponse(http.MethodGet, p.url, "Link header", err))
				return
			}
			if role != "" {
				kept := mp.Members[:0]
				for _, m := range mp.Members {
					if m.Roles.Has(role) {
						kept = append(kept, m)
					}
				}
				mp.Members = kept
			}
			if !yield(mp, nil) {
				return
			}
		}
	}
}

// defaultMembersLimit is the page size MembersQuery.Limit 0 asks for.
const defaultMembersLimit = 1000

// firstCall is the request for q's first page.
func (r *Roster) firstCall(q MembersQuery) (call, error) {
	c := call{method: http.MethodGet, accept: mediaMembershipContainer, need: []string{ScopeMembershipReadOnly}}
	if q.Limit < 0 {
		return c, invalidRequest("limit", "must not be negative")
	}
	if q.DifferencesURL != "" {
		base, err := serviceURL(r.url)
		if err != nil {
			return c, invalidRequest("url", "memberships URL: %v", err)
		}
		d, err := serviceURL(q.DifferencesURL)
		if err != nil || !sameOrigin(d, base) {
			return c, invalidRequest("DifferencesURL", "not a link on the memberships service's origin")
		}
		c.url = q.DifferencesURL
		return c, nil
	}
	params := url.Values{}
	setParam(params, "role", string(q.Role))
	setParam(params, "rlid", q.ResourceLinkID)
	if q.Limit > 0 {
		params.Set("limit", strconv.Itoa(q.Limit))
	} else if u, err := url.Parse(r.url); err == nil && !u.Query().Has("limit") {
		params.Set("limit", strconv.Itoa(defaultMembersLimit))
	}
	if q.Role != "" {
		c.sticky = url.Values{"role": {string(q.Role)}}
	}
	var err error
	c.url, err = withParams(r.url, params)
	return c, err
}

// wireMembers is a membership container as a platform sends it (NRPS-04).
type wireMembers struct {
	Context *struct {
		ID    serviceString `json:"id"`
		Label serviceString `json:"label"`
		Title serviceString `json:"title"`
	} `json:"context"`
	Members *[]wireMember `json:"members"`
}

type wireMember struct {
	UserID            serviceString `json:"user_id"`
	Status            serviceString `json:"status"`
	Roles             stringList    `json:"roles"`
	Name              serviceString `json:"name"`
	GivenName         serviceString `json:"given_name"`
	FamilyName        serviceString `json:"family_name"`
	MiddleName        serviceString `json:"middle_name"`
	Email             serviceString `json:"email"`
	Picture           serviceString `json:"picture"`
	PersonSourcedID   serviceString `json:"lis_person_sourcedid"`
	LTI11LegacyUserID serviceString `json:"lti11_legacy_user_id"`
	Message           messageList   `json:"message"`
}

// messageList is a member's message claim: an array of objects (a single
// object is accepted as a one-element array).
type messageList []json.RawMessage

func (m *messageList) UnmarshalJSON(b []byte) error {
	switch {
	case isJSONNull(b):
		*m = nil
		return nil
	case isJSONObject(b):
		*m = messageList{append(json.RawMessage(nil), b...)}
		return nil
	}
	var v []json.RawMessage
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*m = v
	return nil
}

// wireMessage holds the claims of a member message that Member models.
type wireMessage struct {
	MessageType  MessageType   `json:"https://purl.imsglobal.org/spec/lti/claim/message_type"`
	Custom       customClaim   `json:"https://purl.imsglobal.org/spec/lti/claim/custom"`
	BasicOutcome *BasicOutcome `json:"https://purl.imsglobal.org/spec/lti-bo/claim/basicoutcome"`
}

// decodeMembers decodes one membership container page.
func decodeMembers(body []byte) (*MembersPage, error) {
	if !isJSONObject(body) {
		return nil, &claimShapeError{"a JSON object"}
	}
	var w wireMembers
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, err
	}
	if w.Members == nil { // e.g. the legacy JSON-LD format
		return nil, errors.New("no members array")
	}
	members := *w.Members
	p := &MembersPage{Members: make([]Member, 0, len(members))}
	if c := w.Context; c != nil {
		p.Context = &ContextClaim{ID: string(c.ID), Label: string(c.Label), Title: string(c.Title)}
	}
	for i := range members {
		m, err := members[i].member()
		if err != nil {
			return nil, err
		}
		p.Members = append(p.Members, m)
	}
	return p, nil
}

// member converts w.
func (w *wireMember) member() (Member, error) {
	if w.UserID == "" {
		return Member{}, errors.New("a member has no user_id")
	}
	m := Member{
		UserID: string(w.UserID), Status: memberStatus(string(w.Status)),
		Name: string(w.Name), GivenName: string(w.GivenName), FamilyName: string(w.FamilyName),
		MiddleName: string(w.MiddleName), Email: string(w.Email), Picture: string(w.Picture),
		PersonSourcedID: string(w.PersonSourcedID), LTI11LegacyUserID: string(w.LTI11LegacyUserID),
	}
	m.Roles = make(Roles, len(w.Roles))
	for i, r := range w.Roles {
		m.Roles[i] = ParseRole(r)
	}
	for _, raw := range w.Message {
		var wm wireMessage
		if !isJSONObject(raw) {
			return Member{}, errors.New("a member message is not a JSON object")
		}
		if err := json.Unmarshal(raw, &wm); err != nil {
			return Member{}, err
		}
		m.Messages = append(m.Messages, MemberMessage{MessageType: wm.MessageType, Custom: wm.Custom,
			BasicOutcome: wm.BasicOutcome, Claims: raw})
	}
	return m, nil
}

// memberStatus normalises a status: absent is Active (NRPS-04), the known
// values are matched in any case, others are kept.
func memberStatus(s string) MemberStatus {
	s = strings.TrimSpace(s)
	for _, k := range []MemberStatus{MemberActive, MemberInactive, MemberDeleted} {
		if strings.EqualFold(s, string(k)) {
			return k
		}
	}
	if s == "" {
		return MemberActive
	}
	return MemberStatus(s)
}
