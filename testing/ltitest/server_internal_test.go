package ltitest

import (
	"net"
	"testing"
)

func TestIssuerHost(t *testing.T) {
	for _, tc := range []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8001}, "127.0.0.1:8001"},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 8001}, "[::1]:8001"},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 8001}, "127.0.0.1:8001"},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 8001}, "127.0.0.1:8001"},
		{&net.TCPAddr{Port: 8001}, "127.0.0.1:8001"},
		{&net.UnixAddr{Name: "/tmp/s", Net: "unix"}, "/tmp/s"},
	} {
		if got := issuerHost(tc.addr); got != tc.want {
			t.Errorf("issuerHost(%v): got %q, want %q", tc.addr, got, tc.want)
		}
	}
}
