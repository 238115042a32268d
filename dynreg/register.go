package dynreg

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
)

// stepRegistration names the second request in errors and on the pages.
const stepRegistration = "registration"

// deleteNewTool is the advice after a registration whose outcome is
// unknown: the platform may have registered the tool without the tool
// knowing its client ID.
const deleteNewTool = "If the LMS now lists a new pending tool, delete it before starting again."

// ltiToolConfigKey is the member of the client registration that
// describes the LTI tool (DR-07).
const ltiToolConfigKey = "https://purl.imsglobal.org/spec/lti-tool-configuration"

// clientRegistration is the tool's registration request (DR-06, DR-07).
type clientRegistration struct {
	ApplicationType         string            `json:"application_type"`
	GrantTypes              []string          `json:"grant_types"`
	ResponseTypes           []string          `json:"response_types"`
	RedirectURIs            []string          `json:"redirect_uris"`
	InitiateLoginURI        string            `json:"initiate_login_uri"`
	ClientName              string            `json:"client_name"`
	JWKSURI                 string            `json:"jwks_uri"`
	LogoURI                 string            `json:"logo_uri,omitempty"`
	TokenEndpointAuthMethod string            `json:"token_endpoint_auth_method"`
	Scope                   string            `json:"scope,omitempty"`
	ToolConfiguration       toolConfiguration `json:"https://purl.imsglobal.org/spec/lti-tool-configuration"`
}

// toolConfiguration is the LTI tool configuration of a registration.
type toolConfiguration struct {
	Domain           string            `json:"domain"`
	Description      string            `json:"description,omitempty"`
	TargetLinkURI    string            `json:"target_link_uri"`
	CustomParameters map[string]string `json:"custom_parameters,omitempty"`
	Claims           []string          `json:"claims"`
	Messages         []toolMessage     `json:"messages,omitempty"`
}

// toolMessage is a message type the tool offers beyond resource links.
type toolMessage struct {
	Type          string `json:"type"`
	TargetLinkURI string `json:"target_link_uri,omitempty"`
	Label         string `json:"label,omitempty"`
}

// registrationRequest is the request the Handler's configuration makes.
func (h *Handler) registrationRequest() clientRegistration {
	cfg := &h.cfg
	reg := clientRegistration{
		ApplicationType:         "web",
		GrantTypes:              []string{"implicit", "client_credentials"},
		ResponseTypes:           []string{"id_token"},
		RedirectURIs:            []string{h.tc.LaunchURL},
		InitiateLoginURI:        cfg.LoginURL,
		ClientName:              cfg.Name,
		JWKSURI:                 cfg.JWKSURL,
		LogoURI:                 cfg.LogoURL,
		TokenEndpointAuthMethod: "private_key_jwt",
		Scope:                   strings.Join(cfg.scopes(), " "),
		ToolConfiguration: toolConfiguration{
			Domain:           domain(h.tc.BaseURL),
			Description:      cfg.Description,
			TargetLinkURI:    cfg.TargetLinkURI,
			CustomParameters: cfg.CustomParameters,
			Claims:           cfg.Claims,
		},
	}
	if cfg.DeepLinkingURL != "" {
		reg.ToolConfiguration.Messages = []toolMessage{{Type: messageDeepLinking, TargetLinkURI: cfg.DeepLinkingURL, Label: cfg.Name}}
	}
	return reg
}

// registrationResponse is what the tool keeps of the platform's answer
// (DR-08).
type registrationResponse struct {
	ClientID     string
	DeploymentID string // empty when the platform returns none
}

// parseRegistrationResponse decodes the platform's answer leniently: only
// client_id (a string, or a number) is required, and the tool
// configuration's deployment_id is kept when present. Moodle 3.10 echoed
// some members with other types than it sent; they are ignored.
func parseRegistrationResponse(data []byte) (*registrationResponse, error) {
	var raw struct {
		ClientID   json.RawMessage            `json:"client_id"`
		ToolConfig map[string]json.RawMessage `json:"https://purl.imsglobal.org/spec/lti-tool-configuration"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	id, err := stringOrNumber(raw.ClientID)
	if err != nil || id == "" {
		return nil, errors.New("client_id is missing or not a string")
	}
	dep, err := stringOrNumber(raw.ToolConfig["deployment_id"])
	if err != nil {
		return nil, fmt.Errorf("%s.deployment_id is not a string", ltiToolConfigKey)
	}
	for _, s := range []string{id, dep} {
		if len(s) > 255 || strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
			return nil, fmt.Errorf("identifier %.40q is too long or not printable", s)
		}
	}
	return &registrationResponse{ClientID: id, DeploymentID: dep}, nil
}

// stringOrNumber decodes a JSON string or number as a string; absent and
// null are "".
func stringOrNumber(v json.RawMessage) (string, error) {
	if len(v) == 0 || string(v) == "null" {
		return "", nil
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s, nil
	}
	var n json.Number
	if err := json.Unmarshal(v, &n); err != nil {
		return "", err
	}
	return n.String(), nil
}

// register posts the client registration to the platform (DR-05) with the
// registration token as bearer token, and reads the answer.
func register(ctx context.Context, client *http.Client, endpoint, token string, reg clientRegistration) (*registrationResponse, error) {
	body, err := json.Marshal(reg)
	if err != nil {
		return nil, fail(ErrRefused, err, "The tool could not encode its registration.")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, fail(ErrPlatformConfig, err, "The platform's registration_endpoint is not usable.")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	bearer(req, token)
	answer, err := call(client, req, stepRegistration)
	var pe *PlatformError
	if errors.As(err, &pe) {
		return nil, fail(ErrRefused, err, "%s", refusal(pe))
	}
	if err != nil {
		return nil, err
	}
	res, err := parseRegistrationResponse(answer)
	if err != nil {
		return nil, fail(ErrRefused, err, "The platform answered the registration with something other than a client registration, so the tool does not know its client ID. %s", deleteNewTool)
	}
	return res, nil
}

// refusal explains the platform's refusal of a registration to the LMS
// administrator. Moodle answers with a bare error code as text/html, or
// with an HTML error page.
func refusal(pe *PlatformError) string {
	code := strings.TrimSpace(pe.Body)
	again := " Start a new registration from the LMS."
	switch {
	case code == "token_already_used":
		return "The LMS says this registration was already completed: its registration token is used up." + again
	case code == "missing_registration_token":
		return "The LMS did not receive a registration token. Open the tool's registration URL from the LMS, which adds the token."
	case pe.StatusCode == http.StatusUnauthorized || pe.StatusCode == http.StatusForbidden:
		return fmt.Sprintf("The LMS refused the registration token (HTTP %d): it may have expired (Moodle's are valid for an hour)."+again, pe.StatusCode)
	case pe.StatusCode == http.StatusNotFound:
		return "The LMS answered the registration with HTTP status 404. Moodle does so when the registration token is not valid, for instance when it comes from another site." + again
	case pe.StatusCode/100 == 4 && isShortText(code):
		return fmt.Sprintf("The LMS refused the tool's registration (HTTP %d): %q. Tell the tool's vendor.", pe.StatusCode, code)
	case pe.StatusCode/100 == 5: // the platform may have registered the tool before failing
		return fmt.Sprintf("The LMS answered the registration with HTTP status %d. %s", pe.StatusCode, deleteNewTool) + again
	default:
		return fmt.Sprintf("The LMS answered the registration with HTTP status %d.", pe.StatusCode) + again
	}
}

// isShortText reports whether s is a short, printable, non-HTML message
// that may be shown to the administrator.
func isShortText(s string) bool {
	return s != "" && len(s) <= 200 && !strings.ContainsAny(s, "<>") &&
		strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0
}
