// Package loopback hands tests addresses on 127.0.0.1 for a process or
// listener they start and must name before it runs (a flag, an
// environment variable), where ":0" cannot be passed on.
package loopback

import (
	"net"
	"testing"
)

// Free is a loopback address nothing listens on: the kernel picked its
// port and the listener that held it is closed again. Another process may
// take it before the caller does; tests accept that small chance.
func Free(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Taken is a loopback address the test listens on (accepting nothing)
// until it ends, for a check that a busy address is refused.
func Taken(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}
