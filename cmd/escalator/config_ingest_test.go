package main

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/escalator/escalator/internal/ingest"
)

func ingestFromEnv(t *testing.T, envm map[string]string) (ingest.Config, error) {
	t.Helper()
	var c ingestConfig
	cmd := &cobra.Command{Use: "t"}
	c.flags(cmd.Flags())
	if err := applyEnv(cmd, func(k string) string { return envm[k] }); err != nil {
		return ingest.Config{}, err
	}
	return c.config()
}

func TestIngestPolicyFromEnv(t *testing.T) {
	cfg, err := ingestFromEnv(t, map[string]string{
		"ESCALATOR_INGEST_TOKENS":           "0123456789abcdef0123",
		"ESCALATOR_INGEST_ALLOW_CIDRS":      "10.0.0.0/8, 192.0.2.10",
		"ESCALATOR_INGEST_TRUSTED_PROXIES":  "172.16.0.0/12",
		"ESCALATOR_INGEST_SIGNING_SECRETS":  "new-secret, old-secret",
		"ESCALATOR_INGEST_READ_TIMEOUT":     "20s",
		"ESCALATOR_INGEST_WRITE_TIMEOUT":    "45s",
		"ESCALATOR_INGEST_IDLE_TIMEOUT":     "90s",
		"ESCALATOR_INGEST_SHUTDOWN_TIMEOUT": "3s",
		"ESCALATOR_INGEST_MAX_CONNS":        "64",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.AllowCIDRs) != 2 || cfg.AllowCIDRs[1].String() != "192.0.2.10/32" ||
		len(cfg.TrustedProxies) != 1 || cfg.TrustedProxies[0].String() != "172.16.0.0/12" {
		t.Fatalf("networks: allow %v, proxies %v", cfg.AllowCIDRs, cfg.TrustedProxies)
	}
	if strings.Join(cfg.SigningSecrets, "|") != "new-secret|old-secret" {
		t.Fatalf("signing secrets not trimmed: %q", cfg.SigningSecrets)
	}
	if cfg.ReadTimeout != 20*time.Second || cfg.WriteTimeout != 45*time.Second || cfg.IdleTimeout != 90*time.Second ||
		cfg.ShutdownTimeout != 3*time.Second || cfg.MaxConns != 64 {
		t.Fatalf("limits %+v", cfg)
	}

	defaults, err := ingestFromEnv(t, map[string]string{"ESCALATOR_INGEST_TOKENS": "0123456789abcdef0123"})
	if err != nil {
		t.Fatal(err)
	}
	if defaults.ReadTimeout != ingest.DefaultReadTimeout || defaults.MaxConns != ingest.DefaultMaxConns {
		t.Fatalf("defaults %+v", defaults)
	}
}

func TestBadIngestConfigNamesTheVariable(t *testing.T) {
	tok := "0123456789abcdef0123"
	tests := []struct {
		name     string
		env      map[string]string
		variable string
	}{
		{"ipv4-mapped allow network", map[string]string{"ESCALATOR_INGEST_ALLOW_CIDRS": "::ffff:127.0.0.1/128"}, "ESCALATOR_INGEST_ALLOW_CIDRS"},
		{"bad trusted proxy", map[string]string{"ESCALATOR_INGEST_TRUSTED_PROXIES": "proxy.internal"}, "ESCALATOR_INGEST_TRUSTED_PROXIES"},
		{"empty signing secret", map[string]string{"ESCALATOR_INGEST_SIGNING_SECRETS": "a-secret,,b-secret"}, "ESCALATOR_INGEST_SIGNING_SECRETS"},
		{"blank signing secret", map[string]string{"ESCALATOR_INGEST_SIGNING_SECRETS": "a-secret, "}, "ESCALATOR_INGEST_SIGNING_SECRETS"},
		{"cert without key", map[string]string{"ESCALATOR_INGEST_TLS_CERT_FILE": "/etc/tls/tls.crt"}, "ESCALATOR_INGEST_TLS_KEY_FILE"},
		{"write timeout too short", map[string]string{"ESCALATOR_INGEST_WRITE_TIMEOUT": "10s"}, "ESCALATOR_INGEST_WRITE_TIMEOUT"},
		{"negative max conns", map[string]string{"ESCALATOR_INGEST_MAX_CONNS": "-1"}, "ESCALATOR_INGEST_MAX_CONNS"},
		{"negative idle timeout", map[string]string{"ESCALATOR_INGEST_IDLE_TIMEOUT": "-1s"}, "ESCALATOR_INGEST_IDLE_TIMEOUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"ESCALATOR_INGEST_TOKENS": tok, "ESCALATOR_NATS_URL": "nats://127.0.0.1:1"}
			for k, v := range tt.env {
				env[k] = v
			}
			_, _, err := runRoot(t, env, "serve", "--worker=false")
			if err == nil {
				t.Fatal("serve started with bad configuration")
			}
			if msg := err.Error(); !strings.HasPrefix(msg, tt.variable) || strings.Contains(msg, "\n") {
				t.Fatalf("want one line starting with %s, got %q", tt.variable, msg)
			}
			if strings.Contains(err.Error(), "a-secret") {
				t.Fatalf("a secret reached the error: %v", err)
			}
		})
	}
}
