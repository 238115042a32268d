package main

import (
	"context"
	"errors"
	"flag"
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
// site's address, whose endpoints are at fixed paths; or, with -from, the
// registrations of a registrations file, such as `list -json` prints.
func addFlags(f *flags) func([]string) (regsAction, error) {
	var p tool.Platform
	var deployments stringList
	from := f.String("from", "", "add every registration of a registrations `FILE` (the JSON that list -json prints), instead of the other flags")
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
	return func(args []string) (regsAction, error) {
		if len(args) > 0 {
			return nil, usagef("unexpected argument %q", args[0])
		}
		if *from != "" {
			var others []string
			f.Visit(func(fl *flag.Flag) {
				if fl.Name != "from" && fl.Name != "registrations" && fl.Name != "postgres" {
					others = append(others, "-"+fl.Name)
				}
			})
			if len(others) > 0 {
				return nil, usagef("-from adds the file's registrations as they are: give no %s with it", strings.Join(others, ", "))
			}
			return addFrom(*from)
		}
		if *moodle != "" {
			if p.Issuer != "" || p.AuthURL != "" || p.TokenURL != "" || p.JWKSURL != "" {
				return nil, usagef("-moodle sets the issuer and endpoint URLs: give none of them with it")
			}
			root := strings.TrimSuffix(*moodle, "/")
			p.Issuer, p.AuthURL, p.TokenURL, p.JWKSURL = root, root+"/mod/lti/auth.php", root+"/mod/lti/token.php", root+"/mod/lti/certs.php"
		}
		if *keyFile != "" {
			b, err := os.ReadFile(*keyFile)
			if err != nil {
				return nil, err
			}
			p.PublicKey = string(b)
		}
		p.Deployments = deployments
		if *tofu {
			p.DeploymentPolicy = tool.TrustOnFirstUse
		}
		if err := p.Validate(); err != nil {
			return nil, usagef("%s", strings.TrimPrefix(err.Error(), "tool: "))
		}
		return func(ctx context.Context, e *env, s *regsStore) error { return add(ctx, e, s, p) }, nil
	}
}

// addFrom reads a registrations file (tool.ParsePlatforms checks every
// registration) and returns the action that adds them in order.
func addFrom(file string) (regsAction, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	ps, err := tool.ParsePlatforms(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", file, strings.TrimPrefix(err.Error(), "tool: "))
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("%s holds no registrations", file)
	}
	return func(ctx context.Context, e *env, s *regsStore) error {
		for i, p := range ps {
			if err := add(ctx, e, s, p); err != nil {
				if i > 0 {
					return fmt.Errorf("%w (the %d registrations before it in %s were added)", err, i, file)
				}
				return err
			}
		}
		return nil
	}, nil
}

// add adds p to the store and says so.
func add(ctx context.Context, e *env, s *regsStore, p tool.Platform) error {
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
