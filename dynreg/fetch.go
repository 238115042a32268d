package dynreg

import (
	"context"
	"errors"
	"net/http"
	"net/url"
)

// stepConfig names the first request in errors and on the pages.
const stepConfig = "openid configuration"

// fetchConfig fetches and validates the platform's OpenID configuration
// (DR-02, DR-03, DR-04); dev allows a platform on loopback (see
// checkPlatformURL). The registration token goes along as a bearer token:
// Canvas requires it on this request, and Moodle ignores it.
func fetchConfig(ctx context.Context, client *http.Client, configURL *url.URL, token string, dev bool) (*platformConfig, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, configURL.String(), nil)
	if err != nil {
		return nil, fail(ErrBadRequest, err, "The openid_configuration URL is not usable.")
	}
	req.Header.Set("Accept", "application/json")
	bearer(req, token)
	body, err := call(client, req, stepConfig)
	var pe *PlatformError
	if errors.As(err, &pe) {
		return nil, fail(ErrPlatformConfig, err, "The platform's configuration at %s answered with HTTP status %d instead of its settings.",
			configURL.Redacted(), pe.StatusCode)
	}
	if err != nil {
		return nil, err
	}
	pc, err := parsePlatformConfig(body)
	if err != nil {
		return nil, fail(ErrPlatformConfig, nil, "The platform's configuration at %s is not a valid OpenID configuration: %v.", configURL.Redacted(), err)
	}
	if err := pc.validate(configURL, dev); err != nil {
		return nil, fail(ErrPlatformConfig, nil, "The platform's configuration at %s cannot be used: %v.", configURL.Redacted(), err)
	}
	return pc, nil
}
