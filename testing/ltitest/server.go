package ltitest

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/ltikit/ltikit/jwks"
)

// closeTimeout bounds how long Close waits for requests in progress.
const closeTimeout = 5 * time.Second

// Start starts a platform with a fresh RSA signing key, like [NewPlatform]
// but without a test: it listens on 127.0.0.1 on a free port (see
// [WithAddr]) and returns an error instead of failing a test. The caller
// must call [Platform.Close].
//
// Start is for demos and development tools (the quickstart example, and
// `ltikit dev` with [WithDevLMS]): a person opens URL + "/" in a browser and
// launches the tool from the launch page (see the package documentation).
// Set the tool's URLs with [WithLoginURL] and [WithRedirectURIs] (or
// [Platform.SetLoginURL] and [Platform.SetRedirectURIs]) first.
//
// The platform is not hardened for production: it serves plain HTTP, has
// no users or authentication, keeps its keys and every launch in memory,
// and lets anyone who reaches its address sign in as any demo user. Keep it
// on a loopback address.
func Start(opts ...Option) (*Platform, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.loginURL != "" {
		if err := checkLoginURL(o.loginURL); err != nil {
			return nil, fmt.Errorf("ltitest: WithLoginURL: %w", err)
		}
	}
	q := o.quirks()
	key, err := newKey()
	if err != nil {
		return nil, err
	}
	addr := o.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("ltitest: listen: %w", err)
	}
	issuer := "http://" + issuerHost(l.Addr())
	e, err := newEngine(issuer, q, o.now, key)
	if err != nil {
		l.Close()
		return nil, fmt.Errorf("ltitest: %w", err)
	}
	e.register(registration{clientID: q.clientID, deploymentID: q.deploymentID,
		redirectURIs: o.redirectURIs, loginURL: o.loginURL, jwksURL: o.toolJWKSURL, scopes: o.scopes})
	if o.devLMS != "" {
		e.enableDevLMS(o.devLMS, o.devProctoring)
	}
	p := &Platform{
		URL:          issuer,
		ClientID:     q.clientID,
		DeploymentID: q.deploymentID,
		e:            e,
		srv:          &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second},
		served:       make(chan struct{}),
	}
	go func() {
		defer close(p.served)
		_ = p.srv.Serve(l) // returns http.ErrServerClosed after Close
	}()
	return p, nil
}

// WithAddr sets the address the platform listens on, such as
// "127.0.0.1:8001". Default: "127.0.0.1:0", a free port on the loopback
// interface. The platform's URL (its issuer) is http:// and the address
// listened on; an unspecified host such as ":8001" listens on every
// interface, which a fake platform should not, and is named 127.0.0.1 in
// the URL.
func WithAddr(addr string) Option { return func(o *options) { o.addr = addr } }

// WithLoginURL sets the tool's OIDC login initiation URL
// (initiate_login_uri), where the launch page sends the login initiation;
// see [Platform.SetLoginURL].
func WithLoginURL(u string) Option { return func(o *options) { o.loginURL = u } }

// SetLoginURL sets the tool's OIDC login initiation URL
// (initiate_login_uri), such as "http://127.0.0.1:8000/lti/login": where
// the launch page (/launch) sends the browser to start a launch, as an
// LMS administrator enters it when adding a tool. [Platform.Launch] does
// not use it: it takes the login URL as an argument.
func (p *Platform) SetLoginURL(u string) {
	if err := p.e.setLoginURL(p.ClientID, u); err != nil {
		panic(err) // the platform's own registration always exists
	}
}

// newKey generates a platform signing key.
func newKey() (jwks.Key, error) {
	key, err := jwks.GenerateKey()
	if err != nil {
		return jwks.Key{}, fmt.Errorf("ltitest: %w", err)
	}
	if key.Algorithm == "" {
		key.Algorithm = "RS256"
	}
	return key, nil
}

// issuerHost is the host:port of the platform's URL for the address it
// listens on: an unspecified IP becomes the loopback address.
func issuerHost(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	ip := ta.IP
	if ip == nil || ip.IsUnspecified() { // Go's "tcp" listeners on "" or "::" are dual-stack
		ip = net.IPv4(127, 0, 0, 1)
	}
	return net.JoinHostPort(ip.String(), strconv.Itoa(ta.Port))
}

// checkLoginURL reports why u cannot be a login initiation URL.
func checkLoginURL(u string) error {
	if u == "" {
		return errors.New("no login URL")
	}
	v, err := url.Parse(u)
	if err != nil {
		return err
	}
	if (v.Scheme != "http" && v.Scheme != "https") || v.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", u)
	}
	return nil
}
