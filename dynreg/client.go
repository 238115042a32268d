package dynreg

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// errRedirect refuses a redirect from the platform: the configuration and
// the registration endpoint must answer at the URLs that were checked.
var errRedirect = errors.New("the platform answered with a redirect; the registration URLs must answer directly")

// errLocalAddress refuses a connection to the tool's own machine or a
// link-local address.
var errLocalAddress = errors.New("address on the tool's own machine or link-local")

// platformClient returns the client the Handler talks to platforms with:
// base (tool.Config.HTTPClient), following no redirect, and, unless dev,
// refusing to connect to an address of the tool's own machine or a
// link-local one (such as a cloud's metadata service), whatever name led
// there. Anyone can open the registration URL with a configuration URL of
// their own; checking the names in it is not enough, as a DNS name may
// resolve to 127.0.0.1. The address check needs base's transport to be an
// *http.Transport (the default), whose dialer it replaces; another
// transport is used as it is. A proxy on the tool's own machine is refused
// too: give the Handler a tool.Config whose HTTPClient has a transport of
// another type to use one.
func platformClient(base *http.Client, dev bool) *http.Client {
	c := *base
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return errRedirect }
	if tr, ok := c.Transport.(*http.Transport); ok && !dev {
		tr = tr.Clone()
		dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: refuseLocal}
		tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, addr)
		}
		c.Transport = tr
	}
	return &c
}

// refuseLocal is a net.Dialer's Control: it refuses loopback, unspecified,
// link-local and multicast addresses.
func refuseLocal(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("dynreg: cannot check the address %q: %w", address, err)
	}
	if ip := ap.Addr().Unmap(); ip.IsLoopback() || ip.IsUnspecified() || ip.IsLinkLocalUnicast() || ip.IsMulticast() {
		return fmt.Errorf("dynreg: %s: %w", ip, errLocalAddress)
	}
	return nil
}
