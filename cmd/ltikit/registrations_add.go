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
		if err := checkAddFlags(p, *moodle, *keyFile, len(deployments) > 0 || *tofu); err != nil {
			return nil, err
		}
		if *moodle != "" {
			root := strings.TrimSuffix(*moodle, "/")
			p.Issuer, p.AuthURL, p.TokenURL, p.JWKSURL = root, root+"/mod/lti/auth.php", root+"/mod/lti/token.php", root+"/mod/lti/certs.php"
		}
		if *keyFile != "" {
			b, err := os.ReadFile(*keyFile)
			if err != nil {
				return nil, fmt.Errorf("-public-key: %w", err)
			}
			p.PublicKey = string(b)
		}
		p.Deployments = deployments
		if *tofu {
			p.DeploymentPolicy = tool.TrustOnFirstUse
		}
		if err := p.Validate(); err != nil {
			return nil, usagef("%s", flagWords(err, *moodle != ""))
		}
		return func(ctx context.Context, e *env, s *regsStore) error { return add(ctx, e, s, p) }, nil
	}
}

// checkAddFlags reports the flags missing from the command line of add,
// or given together when they must not be, before a registration is made
// of them: tool.Platform.Validate would name the fields of a registrations
// file instead.
func checkAddFlags(p tool.Platform, moodle, keyFile string, deployments bool) error {
	switch {
	case moodle != "" && (p.Issuer != "" || p.AuthURL != "" || p.TokenURL != "" || p.JWKSURL != ""):
		return usagef("-moodle sets the issuer and endpoint URLs: give none of -issuer, -auth-url, -token-url, -jwks-url with it")
	case moodle == "" && p.Issuer == "":
		return usagef("give -moodle URL (a Moodle site), -issuer URL (another platform) or -from FILE")
	case moodle == "" && p.AuthURL == "":
		return usagef("-issuer needs -auth-url URL, the platform's OIDC authorization endpoint")
	case moodle == "" && p.JWKSURL == "" && keyFile == "":
		return usagef("-issuer needs -jwks-url URL or -public-key FILE, the platform's signing keys")
	case p.ClientID == "":
		return usagef("-client-id ID is required: the client_id the platform gave the tool")
	case !deployments:
		return usagef("give -deployment-id ID (repeat it for several) or -trust-on-first-use")
	}
	return nil
}

// flagWords rewords an error of tool.Platform.Validate for the command
// line: the flag instead of the field of a registrations file, such as
// "-auth-url: ..." for "registration ISSUER/CLIENT_ID: auth_url: ...".
// With -moodle, its URL stands for the endpoint URLs.
func flagWords(err error, moodle bool) string {
	msg := strings.TrimPrefix(err.Error(), "tool: ")
	if _, rest, ok := strings.Cut(msg, ": "); ok && strings.HasPrefix(msg, "registration ") {
		msg = rest
	}
	for _, f := range [][2]string{{"auth_url", "-auth-url"}, {"token_url", "-token-url"}, {"jwks_url", "-jwks-url"}, {"public_key", "-public-key"}} {
		if after, ok := strings.CutPrefix(msg, f[0]); ok {
			name := f[1]
			if moodle && f[0] != "public_key" {
				name = "-moodle"
			}
			return name + after
		}
	}
	return msg
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
