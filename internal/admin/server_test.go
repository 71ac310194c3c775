package admin

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	body, _ := io.ReadAll(rec.Body)
	return rec.Code, string(body)
}

func readyReport(t *testing.T, h http.Handler, want int) Report {
	t.Helper()
	code, body := get(t, h, "/readyz")
	if code != want {
		t.Fatalf("/readyz %d, want %d: %s", code, want, body)
	}
	var rep Report
	if err := json.Unmarshal([]byte(body), &rep); err != nil {
		t.Fatalf("/readyz body %s: %v", body, err)
	}
	return rep
}

func static(name string, st Status) Check {
	return Check{Name: name, Run: func(context.Context) Status { return st }}
}

func TestReadyz(t *testing.T) {
	tests := []struct {
		name   string
		checks []Check
		code   int
		level  Level
	}{
		{"no checks", nil, http.StatusOK, LevelOK},
		{"all ok", []Check{static("a", OK()), FuncCheck("b", func(context.Context) error { return nil })}, http.StatusOK, LevelOK},
		{"degraded is ready", []Check{static("a", OK()), static("b", Degraded("slow"))}, http.StatusOK, LevelDegraded},
		{"failed", []Check{static("a", Degraded("slow")), static("b", Failed("down"))}, http.StatusServiceUnavailable, LevelFailed},
		{"func error", []Check{FuncCheck("f", func(context.Context) error { return errors.New("boom") })}, http.StatusServiceUnavailable, LevelFailed},
		{"panic", []Check{{Name: "p", Run: func(context.Context) Status { panic("oops") }}}, http.StatusServiceUnavailable, LevelFailed},
		{"unknown level", []Check{static("u", Status{Level: "meh"})}, http.StatusServiceUnavailable, LevelFailed},
		{"timeout", []Check{{Name: "slow", Run: func(ctx context.Context) Status {
			<-ctx.Done()
			return OK() // too late: the timeout already failed it
		}}}, http.StatusServiceUnavailable, LevelFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(Config{CheckTimeout: 50 * time.Millisecond}, tt.checks...)
			if err != nil {
				t.Fatal(err)
			}
			rep := readyReport(t, s.Handler(), tt.code)
			if rep.Status != tt.level || len(rep.Checks) != len(tt.checks) {
				t.Fatalf("report %+v, want status %s with %d checks", rep, tt.level, len(tt.checks))
			}
			for i, c := range tt.checks {
				if rep.Checks[i].Name != c.Name {
					t.Fatalf("check %d named %q, want %q", i, rep.Checks[i].Name, c.Name)
				}
			}
			// Liveness ignores the checks.
			if code, _ := get(t, s.Handler(), "/healthz"); code != http.StatusOK {
				t.Fatalf("/healthz %d", code)
			}
		})
	}
}

func TestDegradedBody(t *testing.T) {
	s, err := New(Config{}, static("cache", Degraded("redis unreachable, using in-process cache")))
	if err != nil {
		t.Fatal(err)
	}
	code, body := get(t, s.Handler(), "/readyz")
	if code != http.StatusOK || !strings.Contains(body, `"degraded"`) || !strings.Contains(body, "redis unreachable") {
		t.Fatalf("/readyz %d %s", code, body)
	}
}

func TestNewValidates(t *testing.T) {
	for name, checks := range map[string][]Check{
		"no name":   {static("", OK())},
		"duplicate": {static("a", OK()), static("a", OK())},
		"no run":    {{Name: "a"}},
	} {
		if _, err := New(Config{}, checks...); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "escalator_test_total", Help: "test"})
	reg.MustRegister(c)
	c.Add(3)
	s, err := New(Config{Gatherer: reg})
	if err != nil {
		t.Fatal(err)
	}
	code, body := get(t, s.Handler(), "/metrics")
	if code != http.StatusOK || !strings.Contains(body, "escalator_test_total 3") {
		t.Fatalf("/metrics %d %s", code, body)
	}
	none, _ := New(Config{})
	if code, _ := get(t, none.Handler(), "/metrics"); code != http.StatusNotFound {
		t.Fatalf("/metrics without a gatherer: %d", code)
	}
}

func TestLogsOnlyChanges(t *testing.T) {
	var buf strings.Builder
	level := LevelFailed
	check := Check{Name: "flappy", Run: func(context.Context) Status { return Status{Level: level, Message: "x"} }}
	s, err := New(Config{Logger: slog.New(slog.NewTextHandler(&buf, nil))}, check)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		get(t, s.Handler(), "/readyz")
	}
	level = LevelOK
	get(t, s.Handler(), "/readyz")
	get(t, s.Handler(), "/readyz")
	if n := strings.Count(buf.String(), "readiness check changed"); n != 2 {
		t.Fatalf("%d log lines, want 2 (failed, then ok):\n%s", n, buf.String())
	}
}
