package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/ltikit/ltikit/tool"
)

// stringList is a flag that may be repeated.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

// addFlags makes `registrations add`: a registration from the values the
// platform's administrator gives (docs/registrations.md), or from a Moodle
// site's address, whose endpoints are at fixed paths.
func addFlags(f *flags) func(context.Context, *env, *regsStore, []string) error {
	var p tool.Platform
	var deployments stringList
	moodle := f.String("moodle", "", "a Moodle site's wwwroot `URL`: sets -issuer and Moodle's endpoint URLs")
	f.StringVar(&p.Issuer, "issuer", "", "the platform's issuer `URL` (iss)")
	f.StringVar(&p.ClientID, "client-id", "", "the `ID` the platform gave the tool as client_id (required)")
	f.Var(&deployments, "deployment-id", "an accepted deployment_id `ID` (repeat for several)")
	tofu := f.Bool("trust-on-first-use", false, "accept any deployment_id of a verified launch, and record it")
	f.StringVar(&p.AuthURL, "auth-url", "", "the platform's OIDC authorization endpoint `URL`")
	f.StringVar(&p.TokenURL, "token-url", "", "the platform's OAuth2 token endpoint `URL` (grades, rosters)")
	f.StringVar(&p.TokenAudience, "token-audience", "", "the `aud` of client assertions, when not the token URL")
	f.StringVar(&p.JWKSURL, "jwks-url", "", "the platform's public keyset `URL`")
	keyFile := f.String("public-key", "", "a `FILE` with the platform's static key (PEM, JWK or JWKS), instead of -jwks-url")
	f.BoolVar(&p.Pending, "pending", false, "refuse its launches until ltikit registrations approve")
	return func(ctx context.Context, e *env, s *regsStore, args []string) error {
		if len(args) > 0 {
			return usagef("unexpected argument %q", args[0])
		}
		if *moodle != "" {
			if p.Issuer != "" || p.AuthURL != "" || p.TokenURL != "" || p.JWKSURL != "" {
				return usagef("-moodle sets the issuer and endpoint URLs: give none of them with it")
			}
			root := strings.TrimSuffix(*moodle, "/")
			p.Issuer, p.AuthURL, p.TokenURL, p.JWKSURL = root, root+"/mod/lti/auth.php", root+"/mod/lti/token.php", root+"/mod/lti/certs.php"
		}
		if *keyFile != "" {
			b, err := os.ReadFile(*keyFile)
			if err != nil {
				return err
			}
			p.PublicKey = string(b)
		}
		p.Deployments = deployments
		if *tofu {
			p.DeploymentPolicy = tool.TrustOnFirstUse
		}
		if err := p.Validate(); err != nil {
			return usagef("%s", strings.TrimPrefix(err.Error(), "tool: "))
		}
		err := s.Add(ctx, p)
		if errors.Is(err, tool.ErrPlatformExists) {
			return fmt.Errorf("%s (client_id %s) is already registered in %s: remove it first to replace it", p.Issuer, p.ClientID, s.name)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s (client_id %s) in %s: added, %s\n", p.Issuer, p.ClientID, s.name, state(p))
		return nil
	}
}
