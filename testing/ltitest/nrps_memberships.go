package ltitest

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/ltikit/ltikit/tool"
)

// membershipRolePrefix is the context role vocabulary, whose short names
// Moodle lists.
const membershipRolePrefix = "http://purl.imsglobal.org/vocab/lis/v2/membership#"

// serveMemberships is the NRPS context memberships service (URL +
// "/nrps/{context}/memberships"): GET with the membershipcontainer Accept
// (exactly, or empty, or */*: application/json gets 400, as with Moodle),
// filters role (a full URI or a short name) and rlid, paging with limit and
// from and a Link rel="next" (NRPS-03 to NRPS-07).
func (e *engine) serveMemberships(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		e.writeServiceError(w, r, http.StatusMethodNotAllowed, "Invalid request method specified.")
		return
	}
	if _, why := e.bearer(r, ScopeMemberships); why != "" {
		e.writeServiceError(w, r, http.StatusUnauthorized, e.reason("Unauthorized", why))
		return
	}
	legacy := r.Header.Get("Accept") == mediaLegacyMemberships && e.quirks.moodleServices
	if !legacy && !acceptOK(r, mediaMembershipContainer) {
		e.writeServiceError(w, r, http.StatusBadRequest, noHandler(r))
		return
	}
	contextID := r.PathValue("context")
	co, ok := e.courses.get(contextID)
	if !ok {
		e.writeServiceError(w, r, http.StatusNotFound, "Not Found: Course "+contextID+" doesn't exist.")
		return
	}
	q := r.URL.Query()
	limit, from, ok := e.readPaging(w, r, q)
	if !ok {
		return
	}
	rlid, hasRLID := q.Get("rlid"), q.Has("rlid")
	if hasRLID && !slices.Contains(co.links, rlid) {
		e.writeServiceError(w, r, http.StatusBadRequest, e.reason("Bad Request", "rlid "+strconv.Quote(rlid)+" is not a resource link of the course (NRPS-07)"))
		return
	}
	members := co.members
	if role := q.Get("role"); role != "" {
		want := tool.ParseRole(role)
		members = slices.DeleteFunc(members, func(m Member) bool {
			return !slices.ContainsFunc(m.Roles, func(r tool.Role) bool { return tool.ParseRole(string(r)) == want })
		})
	}
	start, end, more := page(len(members), limit, from)
	self := e.issuer + "/nrps/" + url.PathEscape(contextID) + "/memberships"
	if more {
		next := url.Values{"limit": {strconv.Itoa(limit)}, "from": {strconv.Itoa(end)}}
		if role := q.Get("role"); role != "" && !e.quirks.moodleServices { // Moodle's next link drops role
			next.Set("role", role)
		}
		if hasRLID {
			next.Set("rlid", rlid)
		}
		setLinks(w, r, []pageLink{{self + "?" + encodeOrdered(next, "limit", "from", "role", "rlid"), "next"}}, false)
	}
	if legacy {
		e.writeServiceJSON(w, r, http.StatusOK, mediaLegacyMemberships, e.legacyMemberships(self, co, members[start:end]))
		return
	}
	out := make([]memberJSON, 0, end-start)
	for _, m := range members[start:end] {
		mj := e.memberJSON(m)
		if hasRLID {
			mj.Message = []map[string]any{e.memberMessage(co, rlid, m)}
		}
		out = append(out, mj)
	}
	ctx := map[string]string{"id": co.context.ID}
	setNonEmptyString(ctx, "label", co.context.Label)
	setNonEmptyString(ctx, "title", co.context.Title)
	e.writeServiceJSON(w, r, http.StatusOK, mediaMembershipContainer, struct {
		ID      string            `json:"id"`
		Context map[string]string `json:"context"`
		Members []memberJSON      `json:"members"`
	}{self, ctx, out})
}

// memberJSON is a member of the membership container, in Moodle's order.
type memberJSON struct {
	Status             string           `json:"status"`
	Roles              []string         `json:"roles"`
	Message            []map[string]any `json:"message,omitempty"`
	UserID             string           `json:"user_id"`
	LISPersonSourcedID string           `json:"lis_person_sourcedid,omitempty"`
	Name               string           `json:"name,omitempty"`
	GivenName          string           `json:"given_name,omitempty"`
	FamilyName         string           `json:"family_name,omitempty"`
	MiddleName         string           `json:"middle_name,omitempty"`
	Email              string           `json:"email,omitempty"`
	Picture            string           `json:"picture,omitempty"`
	// ExtUsername is Moodle's ext_user_username, the user's login name.
	ExtUsername string `json:"ext_user_username,omitempty"`
}

func (e *engine) memberJSON(m Member) memberJSON {
	status := m.Status
	if status == "" {
		status = "Active"
	}
	roles := make([]string, len(m.Roles))
	for i, r := range m.Roles {
		roles[i] = string(r)
		if e.quirks.moodleServices || e.dev.shortRoles() { // Moodle lists the context roles' short names
			roles[i] = strings.TrimPrefix(roles[i], membershipRolePrefix)
		}
	}
	mj := memberJSON{Status: status, Roles: roles, UserID: m.UserID, LISPersonSourcedID: m.LISPersonSourcedID,
		Name: m.Name, GivenName: m.GivenName, FamilyName: m.FamilyName, MiddleName: m.MiddleName,
		Email: m.Email, Picture: m.Picture}
	if e.quirks.moodleClaims {
		mj.ExtUsername = "user" + m.UserID // as the launches' ext claim says
	}
	return mj
}

// memberMessage is the message claim set of member m for the resource link
// rlid (NRPS-07): what a launch of the link by m would carry.
func (e *engine) memberMessage(co course, rlid string, m Member) map[string]any {
	msg := map[string]any{ClaimMessageType: string(tool.ResourceLinkRequest)}
	if e.quirks.moodleClaims {
		msg[ClaimBasicOutcome] = map[string]any{
			"lis_result_sourcedid":    `{"data":{"instanceid":"` + rlid + `","userid":"` + m.UserID + `","typeid":"` + e.quirks.deploymentID + `"}}`,
			"lis_outcome_service_url": e.issuer + "/outcomes",
		}
	} else {
		msg[ClaimResourceLink] = map[string]any{"id": rlid}
	}
	return msg
}

// legacyMemberships is the LTI 2 JSON-LD membership container Moodle
// serves for the legacy media type.
func (e *engine) legacyMemberships(self string, co course, members []Member) map[string]any {
	ms := make([]map[string]any, 0, len(members))
	for _, m := range members {
		mj := e.memberJSON(m)
		person := map[string]any{"@type": "LISPerson", "userId": m.UserID}
		setNonEmpty(person, "sourcedId", m.LISPersonSourcedID)
		setNonEmpty(person, "name", m.Name)
		setNonEmpty(person, "givenName", m.GivenName)
		setNonEmpty(person, "familyName", m.FamilyName)
		setNonEmpty(person, "email", m.Email)
		ms = append(ms, map[string]any{"status": mj.Status, "role": mj.Roles, "member": person})
	}
	return map[string]any{
		"@context": "http://purl.imsglobal.org/ctx/lis/v2/MembershipContainer",
		"@type":    "Page",
		"@id":      self,
		"pageOf": map[string]any{
			"@type": "LISMembershipContainer",
			"membershipSubject": map[string]any{
				"@type": "Context", "contextId": co.context.ID, "membership": ms,
			},
		},
	}
}

func setNonEmptyString(m map[string]string, key, value string) {
	if value != "" {
		m[key] = value
	}
}
