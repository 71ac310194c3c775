package main

import (
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

func TestSplitList(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"   ", nil},
		{"a", []string{"a"}},
		{"a,b", []string{"a", "b"}},
		{"a, b ,  c", []string{"a", "b", "c"}},
		{"a,,b", []string{"a", "", "b"}},
		{"a,", []string{"a", ""}},
		{",a", []string{"", "a"}},
		{"Exchange Online, Microsoft Teams", []string{"Exchange Online", "Microsoft Teams"}},
	}
	for _, tt := range tests {
		if got := splitList(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("splitList(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestCommaListVariables: every comma-list variable trims its entries and
// refuses an empty one by name, without quoting the value.
func TestCommaListVariables(t *testing.T) {
	const tokA, tokB = "list-token-a-0123456789abcdef", "list-token-b-0123456789abcdef"
	type parsed struct {
		ingest ingestConfig
		worker workerConfig
		nats   natsConfig
	}
	parse := func(t *testing.T, envm map[string]string, args ...string) parsed {
		t.Helper()
		var p parsed
		cmd := &cobra.Command{Use: "t"}
		p.ingest.flags(cmd.Flags())
		p.worker.flags(cmd.Flags())
		p.nats.flags(cmd.Flags())
		if err := cmd.Flags().Parse(args); err != nil {
			t.Fatal(err)
		}
		if err := applyEnv(cmd, func(k string) string { return envm[k] }); err != nil {
			t.Fatal(err)
		}
		return p
	}

	t.Run("entries are trimmed", func(t *testing.T) {
		p := parse(t, map[string]string{
			"ESCALATOR_INGEST_TOKENS":          tokA + ", " + tokB,
			"ESCALATOR_INGEST_ALLOW_CIDRS":     "10.0.0.0/8, 192.0.2.10/32",
			"ESCALATOR_HEALTH_SERVICES":        "Exchange Online , Microsoft Teams",
			"ESCALATOR_NATS_URL":               "nats://n1:4222, nats://n2:4222",
			"ESCALATOR_INGEST_SIGNING_SECRETS": tokA + " , " + tokB,
		})
		if !slices.Equal(p.ingest.policy.SigningSecrets, []string{tokA, tokB}) {
			t.Errorf("signing secrets %q", p.ingest.policy.SigningSecrets)
		}
		if !slices.Equal(p.ingest.Tokens, []string{tokA, tokB}) {
			t.Errorf("tokens %q", p.ingest.Tokens)
		}
		if err := p.ingest.validate(); err != nil {
			t.Errorf("ingest: %v", err)
		}
		if !slices.Equal(p.worker.HealthServices, []string{"Exchange Online", "Microsoft Teams"}) {
			t.Errorf("services %q", p.worker.HealthServices)
		}
		if got := p.nats.servers(); got != "nats://n1:4222,nats://n2:4222" {
			t.Errorf("nats servers %q", got)
		}
	})

	t.Run("a repeated flag adds, the environment then does not apply", func(t *testing.T) {
		p := parse(t, map[string]string{"ESCALATOR_INGEST_TOKENS": "ignored-token-0123456789abcdef"},
			"--ingest-tokens", tokA+" ", "--ingest-tokens", " "+tokB)
		if !slices.Equal(p.ingest.Tokens, []string{tokA, tokB}) {
			t.Errorf("tokens %q", p.ingest.Tokens)
		}
	})

	for _, tt := range []struct {
		variable, value string
		check           func(parsed) error
	}{
		{"ESCALATOR_INGEST_TOKENS", tokA + ",," + tokB, func(p parsed) error { return p.ingest.validate() }},
		{"ESCALATOR_INGEST_TOKENS", tokA + ",", func(p parsed) error { return p.ingest.validate() }},
		{"ESCALATOR_INGEST_TOKENS", " , " + tokA, func(p parsed) error { return p.ingest.validate() }},
		{"ESCALATOR_INGEST_ALLOW_CIDRS", "10.0.0.0/8,", func(p parsed) error { _, err := p.ingest.prefixes(); return err }},
		{"ESCALATOR_HEALTH_SERVICES", "Exchange Online,,Microsoft Teams", func(p parsed) error { return p.worker.validate() }},
		{"ESCALATOR_NATS_URL", "nats://n1:4222,", func(p parsed) error { return p.nats.validate() }},
		{"ESCALATOR_INGEST_TRUSTED_PROXIES", "10.0.0.0/8, ,", func(p parsed) error { return p.ingest.validate() }},
		{"ESCALATOR_INGEST_SIGNING_SECRETS", tokB + ",", func(p parsed) error { return p.ingest.validate() }},
	} {
		t.Run(tt.variable+"="+tt.value, func(t *testing.T) {
			envm := map[string]string{"ESCALATOR_INGEST_TOKENS": tokA, tt.variable: tt.value}
			err := tt.check(parse(t, envm))
			if err == nil {
				t.Fatal("accepted an empty entry")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tt.variable+" has an empty entry") || strings.Contains(msg, "\n") {
				t.Errorf("want one line naming %s, got %q", tt.variable, msg)
			}
			if strings.Contains(msg, tokA) || strings.Contains(msg, tokB) {
				t.Errorf("error quotes a token: %q", msg)
			}
		})
	}

	t.Run("replay --type", func(t *testing.T) {
		var c replayConfig
		cmd := &cobra.Command{Use: "t"}
		c.flags(cmd.Flags())
		if err := cmd.Flags().Parse([]string{"--since", "1h", "--type", "insights, escalation"}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.options(time.Now()); err != nil {
			t.Errorf("--type 'insights, escalation': %v", err)
		}
		if err := cmd.Flags().Parse([]string{"--type", "update,"}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.options(time.Now()); err == nil || !strings.HasPrefix(err.Error(), "--type has an empty entry") {
			t.Errorf("--type 'update,': %v", err)
		}
	})
}

// TestSecondIngestTokenWorks: with ESCALATOR_INGEST_TOKENS='a, b' both
// tokens are accepted (the second used to keep its space and never match).
func TestSecondIngestTokenWorks(t *testing.T) {
	const tokA, tokB = "rotation-token-old-0123456789", "rotation-token-new-0123456789"
	var cfg appConfig
	cmd := &cobra.Command{Use: "t"}
	cfg.ingest.flags(cmd.Flags())
	if err := applyEnv(cmd, func(k string) string {
		return map[string]string{"ESCALATOR_INGEST_TOKENS": tokA + ", " + tokB}[k]
	}); err != nil {
		t.Fatal(err)
	}
	var rec recorder
	app := startApp(t, cfg, rec.handlers)
	example, err := os.ReadFile("examples/insights-requested.json")
	if err != nil {
		t.Fatal(err)
	}
	for i, tok := range []string{tokA, tokB} {
		body := strings.Replace(string(example), `"id": "0c2a6e5d8b7f4a1e9c3d5b7a9e1f2c40"`, fmt.Sprintf(`"id": "rotation-%d"`, i), 1)
		if resp := postIngest(t, app.IngestURL(), tok, body); resp.StatusCode != http.StatusAccepted {
			t.Errorf("token %s…: status %d, want 202", tok[:18], resp.StatusCode)
		}
	}
}
