package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// execCLI runs the real command tree as main does (execute), with only envm
// as the environment, and returns stdout, stderr and the exit status.
func execCLI(t *testing.T, envm map[string]string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, getenv: func(k string) string { return envm[k] },
		environ: func() []string {
			var kv []string
			for k, v := range envm {
				kv = append(kv, k+"="+v)
			}
			return kv
		}}
	code := execute(context.Background(), e, args)
	return out.String(), errb.String(), code
}

func TestVersionFlag(t *testing.T) {
	out, errs, code := execCLI(t, nil, "--version")
	if code != 0 || !strings.HasPrefix(out, "escalator ") || !strings.Contains(out, "commit ") || errs != "" {
		t.Fatalf("--version: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	cmdOut, _, _ := execCLI(t, nil, "version")
	if cmdOut != out {
		t.Errorf("--version %q differs from `version` %q", out, cmdOut)
	}
}

func TestUnknownSubcommandFails(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"dlq", "lst"}, `escalator: unknown command "lst" for "escalator dlq"; did you mean "list"?`},
		{[]string{"account", "lnk"}, `escalator: unknown command "lnk" for "escalator account"; did you mean "link"?`},
		{[]string{"dlqq"}, `escalator: unknown command "dlqq" for "escalator"; did you mean "dlq"?`},
		{[]string{"account", "frobnicate"}, `escalator: unknown command "frobnicate" for "escalator account" (` + "`escalator account --help`" + ` lists the commands)`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			out, errs, code := execCLI(t, nil, tt.args...)
			if code != 1 || !strings.HasPrefix(errs, tt.want) || strings.Count(errs, "\n") != 1 || out != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 1, one line starting %q", code, out, errs, tt.want)
			}
		})
	}
	// A group alone still shows its help, successfully.
	if out, _, code := execCLI(t, nil, "dlq"); code != 0 || !strings.Contains(out, "list") || !strings.Contains(out, "show") {
		t.Errorf("dlq alone: exit %d\n%s", code, out)
	}
}

func TestUnknownVariableWarns(t *testing.T) {
	_, errs, code := execCLI(t, map[string]string{
		"ESCALATOR_CONCURENCY":         "3",
		"ESCALATOR_CLIENT_SECRT":       "hunter2-secret",
		"ESCALATOR_NATS_URL":           "nats://127.0.0.1:4222",
		"ESCALATOR_CLIENT_SECRET_FILE": "/run/secrets/x",
		"ESCALATOR_INGEST_URL":         "http://127.0.0.1:8080", // a flag of publish only
		"ESCALATOR_NOTHING_LIKE_IT":    "1",
	}, "version")
	if code != 0 {
		t.Fatalf("version: exit %d\n%s", code, errs)
	}
	for _, want := range []string{
		"escalator: warning: ESCALATOR_CONCURENCY is not a variable Escalator reads; it is ignored (did you mean ESCALATOR_CONCURRENCY?)\n",
		"escalator: warning: ESCALATOR_CLIENT_SECRT is not a variable Escalator reads; it is ignored (did you mean ESCALATOR_CLIENT_SECRET?)\n",
		"escalator: warning: ESCALATOR_NOTHING_LIKE_IT is not a variable Escalator reads; it is ignored\n",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	for _, known := range []string{"ESCALATOR_NATS_URL", "ESCALATOR_CLIENT_SECRET_FILE", "ESCALATOR_INGEST_URL", "hunter2"} {
		if strings.Contains(errs, known) {
			t.Errorf("stderr names %q:\n%s", known, errs)
		}
	}
}

func TestBadValueNamesTheExpectedForm(t *testing.T) {
	tests := []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"ESCALATOR_CONCURRENCY": "abc"}, []string{"serve"},
			`escalator: ESCALATOR_CONCURRENCY: "abc" is not a whole number; use e.g. 32`},
		{nil, []string{"serve", "--concurrency", "abc"},
			`escalator: --concurrency: "abc" is not a whole number; use e.g. 32`},
		{map[string]string{"ESCALATOR_HEALTH_INTERVAL": "5"}, []string{"serve"},
			`escalator: ESCALATOR_HEALTH_INTERVAL: "5" is not a duration; use e.g. 5m (a number with a unit: ms, s, m, h)`},
		{map[string]string{"ESCALATOR_HEALTH_SYNC": "yes"}, []string{"serve"},
			`escalator: ESCALATOR_HEALTH_SYNC: "yes" is not true or false; use true or false`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, errs, code := execCLI(t, tt.env, tt.args...)
			if code != 1 || strings.TrimSpace(errs) != tt.want {
				t.Errorf("exit %d, stderr %q; want exit 1 and %q", code, errs, tt.want)
			}
		})
	}
}

func TestShortDuration(t *testing.T) {
	for in, want := range map[string]string{"5m0s": "5m", "1h0m0s": "1h", "1m30s": "1m30s", "30s": "30s", "1.5s": "1.5s", "2h30m0s": "2h30m"} {
		if got := shortDuration(in); got != want {
			t.Errorf("shortDuration(%q) = %q, want %q", in, got, want)
		}
	}
}
