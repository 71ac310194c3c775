package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/testkit/logtest"
	"github.com/escalator/escalator/internal/testkit/loopback"
	"github.com/escalator/escalator/internal/testkit/sim"
)

// devRun is one `escalator dev` running in the test, as main runs it.
type devRun struct {
	stdout, stderr logtest.Buffer
	cancel         context.CancelFunc
	done           chan int
	ingest         string // http://host:port
	data           string
}

// startDev runs `escalator dev --data data args…` on free ports and waits
// for its banner.
func startDev(t *testing.T, data string, args ...string) *devRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d := &devRun{cancel: cancel, done: make(chan int, 1), data: data}
	e := &env{stdout: &d.stdout, stderr: &d.stderr, getenv: func(string) string { return "" }}
	argv := append([]string{"dev", "--data", data, "--dev-sim-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0",
		"--ingest-addr", "127.0.0.1:0", "--dev-nats-addr", loopback.Free(t)}, args...)
	go func() { d.done <- execute(ctx, e, argv) }()
	t.Cleanup(func() { d.stop(t) })
	ingestLine := regexp.MustCompile(`ingest\s+(http://\S+)/v1/events`)
	d.waitFor(t, "dev's banner", func() bool {
		m := ingestLine.FindStringSubmatch(d.stdout.String())
		if m != nil && strings.Contains(d.stdout.String(), "Each handled event prints one line") {
			d.ingest = m[1]
			return true
		}
		return false
	})
	return d
}

// stop ends the run as Ctrl-C does and wants exit status 0.
func (d *devRun) stop(t *testing.T) {
	t.Helper()
	if d.cancel == nil {
		return
	}
	d.cancel()
	d.cancel = nil
	select {
	case code := <-d.done:
		if code != 0 {
			t.Errorf("dev exited %d\nstderr:\n%s", code, d.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Error("dev did not stop")
	}
}

func (d *devRun) waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 30s\nstdout:\n%s\nstderr:\n%s", what, d.stdout.String(), d.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// post sends an example event with the dev token and returns the answer.
func (d *devRun) post(t *testing.T, token, example string) string {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(d.data, "examples", example+".json"))
	if err != nil {
		t.Fatal(err)
	}
	resp := postIngest(t, d.ingest, token, string(body))
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("post %s: %d %s", example, resp.StatusCode, b.String())
	}
	return b.String()
}

// devEnv reads dev.env (NAME='value' lines) as an environment.
func devEnv(t *testing.T, data string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(data, "dev.env"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			out[k] = strings.ReplaceAll(strings.Trim(v, "'"), `'\''`, "'")
		}
	}
	return out
}

var traceWord = regexp.MustCompile(`  trace [0-9a-f]{32}$`)

// TestDevFirstRun walks the README's first run through the real command:
// one line per handled event (with its trace id) instead of console spans,
// the first escalation done at once, and a second start that is fresh
// (the walkthrough works again) with the same ingest token.
func TestDevFirstRun(t *testing.T) {
	data := t.TempDir()
	d := startDev(t, data)
	token := devEnv(t, data)["ESCALATOR_INGEST_TOKENS"]
	if !strings.Contains(d.stdout.String(), "Bearer "+token) || !strings.Contains(d.stdout.String(), "Data: fresh") {
		t.Fatalf("banner lacks the token %q or the data mode:\n%s", token, d.stdout.String())
	}
	if _, _, err := runRoot(t, devEnv(t, data), "account", "link", sim.DefaultAdminUPN, "--by", "test"); err != nil {
		t.Fatal(err)
	}
	if got := d.post(t, token, "escalation-requested"); !strings.Contains(got, `"duplicate":false`) {
		t.Fatalf("first escalation: %s", got)
	}
	var line string
	d.waitFor(t, "the escalation's line", func() bool {
		for _, l := range strings.Split(d.stdout.String(), "\n") {
			if strings.Contains(l, "INC0010023  escalation  ") {
				line = l
				return true
			}
		}
		return false
	})
	if !strings.Contains(line, "Escalated as Microsoft case ") || !traceWord.MatchString(line) {
		t.Errorf("escalation line %q: want the case and the trace id", line)
	}
	if got := d.post(t, token, "escalation-requested"); !strings.Contains(got, `"duplicate":true`) {
		t.Errorf("repeated escalation: %s", got)
	}
	d.stop(t)
	if strings.Contains(d.stderr.String(), "SpanContext") {
		t.Errorf("spans on the console without --traces:\n%s", d.stderr.String())
	}

	// A second start: fresh, and the old token still works.
	d = startDev(t, data, "--traces")
	if tok := devEnv(t, data)["ESCALATOR_INGEST_TOKENS"]; tok != token {
		t.Fatalf("token changed across starts: %q, then %q", token, tok)
	}
	if got := d.post(t, token, "escalation-requested"); !strings.Contains(got, `"duplicate":false`) {
		t.Errorf("escalation after a restart: %s (want a fresh stream)", got)
	}
	d.waitFor(t, "the fresh run's line", func() bool {
		return strings.Contains(d.stdout.String(), "escalation  Failed, dead-lettered (escalator dlq list): ")
	})
	d.waitFor(t, "console spans with --traces", func() bool { return strings.Contains(d.stderr.String(), "SpanContext") })
}
