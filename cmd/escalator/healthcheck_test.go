package main

import (
	"context"
	"net"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/escalator/escalator/internal/admin"
	"github.com/escalator/escalator/internal/testkit/loopback"
)

// adminServer serves a real admin listener whose readiness is ready.
func adminServer(t *testing.T, ready bool) string {
	t.Helper()
	check := admin.FuncCheck("nats", func(context.Context) error { return nil })
	if !ready {
		check = admin.Check{Name: "nats", Run: func(context.Context) admin.Status { return admin.Failed("nats connection is CLOSED") }}
	}
	adm, err := admin.New(admin.Config{}, check)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(adm.Handler())
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func TestHealthcheck(t *testing.T) {
	ready, unready := adminServer(t, true), adminServer(t, false)
	// A port nothing listens on.
	closed := loopback.Free(t)
	_, unreadyPort, _ := net.SplitHostPort(unready)

	tests := []struct {
		name    string
		addr    string
		args    []string
		wantErr string // "" = exit 0
	}{
		{"alive", ready, nil, ""},
		{"ready", ready, []string{"readyz"}, ""},
		{"slash path", ready, []string{"/readyz"}, ""},
		{"alive while not ready", unready, []string{"healthz"}, ""},
		{"not ready names the check", unready, []string{"readyz"}, "503 Service Unavailable"},
		{"unspecified host probes loopback", ":" + unreadyPort, []string{"readyz"}, "http://127.0.0.1:" + unreadyPort + "/readyz"},
		{"nothing listening", closed, nil, "connection refused"},
		{"unknown probe", ready, []string{"metrics"}, `"metrics" is not a probe`},
		{"bad address", "localhost", nil, "ESCALATOR_ADMIN_ADDR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := runRoot(t, map[string]string{"ESCALATOR_ADMIN_ADDR": tt.addr}, append([]string{"healthcheck"}, tt.args...)...)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("healthcheck failed: %v", err)
				}
				if !strings.Contains(out, "200 OK") {
					t.Fatalf("output %q lacks the status", out)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestHealthcheckReportsTheFailingCheck(t *testing.T) {
	_, _, err := runRoot(t, map[string]string{"ESCALATOR_ADMIN_ADDR": adminServer(t, false)}, "healthcheck", "readyz")
	if err == nil || !strings.Contains(err.Error(), "nats connection is CLOSED") {
		t.Fatalf("error %v does not carry the readiness report", err)
	}
}

func TestProbeURL(t *testing.T) {
	for addr, want := range map[string]string{
		":9090":          "http://127.0.0.1:9090/healthz",
		"0.0.0.0:9090":   "http://127.0.0.1:9090/healthz",
		"[::]:9090":      "http://[::1]:9090/healthz",
		"10.1.2.3:9090":  "http://10.1.2.3:9090/healthz",
		"localhost:9090": "http://localhost:9090/healthz",
	} {
		got, err := probeURL(addr, "healthz")
		if err != nil || got != want {
			t.Errorf("probeURL(%q) = %q, %v; want %q", addr, got, err, want)
		}
	}
	if _, err := probeURL("9090", "healthz"); err == nil {
		t.Error("a bare port was accepted")
	}
}
