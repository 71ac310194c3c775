package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/escalator/escalator/internal/telemetry"
)

// DefaultCheckTimeout bounds one check of /readyz.
const DefaultCheckTimeout = 2 * time.Second

// Config configures New. Every zero value means its default.
type Config struct {
	// Logger receives a line whenever a check changes level. Default:
	// discard.
	Logger *slog.Logger
	// Gatherer is served on /metrics; nil serves no /metrics.
	Gatherer prometheus.Gatherer
	// CheckTimeout bounds each check. Default 2s.
	CheckTimeout time.Duration
}

// Server serves /healthz, /readyz and /metrics.
type Server struct {
	cfg    Config
	checks []Check
	mux    *http.ServeMux

	mu   sync.Mutex
	last map[string]Level
}

// New validates the checks and returns the admin server.
func New(cfg Config, checks ...Check) (*Server, error) {
	cfg.Logger = telemetry.OrDiscard(cfg.Logger)
	if cfg.CheckTimeout <= 0 {
		cfg.CheckTimeout = DefaultCheckTimeout
	}
	seen := map[string]bool{}
	var errs []error
	for i, c := range checks {
		switch {
		case c.Name == "":
			errs = append(errs, fmt.Errorf("admin: check %d has no name", i))
		case seen[c.Name]:
			errs = append(errs, fmt.Errorf("admin: two checks named %q", c.Name))
		case c.Run == nil:
			errs = append(errs, fmt.Errorf("admin: check %q has no Run func", c.Name))
		}
		seen[c.Name] = true
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, checks: checks, mux: http.NewServeMux(), last: map[string]Level{}}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	if cfg.Gatherer != nil {
		s.mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Gatherer, promhttp.HandlerOpts{}))
	}
	return s, nil
}

// Handler serves the admin endpoints.
func (s *Server) Handler() http.Handler { return s.mux }

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// Report is the /readyz body.
type Report struct {
	Status Level         `json:"status"`
	Checks []CheckReport `json:"checks"`
}

// CheckReport is one check's line in the report.
type CheckReport struct {
	Name string `json:"name"`
	Status
	Duration string `json:"duration"`
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	rep := s.Ready(r.Context())
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if rep.Status == LevelFailed {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(rep)
}

// Ready runs every check at once, each bounded by CheckTimeout, and reports
// the worst level.
func (s *Server) Ready(ctx context.Context) Report {
	rep := Report{Status: LevelOK, Checks: make([]CheckReport, len(s.checks))}
	var wg sync.WaitGroup
	for i, c := range s.checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			st := s.run(ctx, c)
			rep.Checks[i] = CheckReport{Name: c.Name, Status: st, Duration: time.Since(start).Round(time.Microsecond).String()}
		}()
	}
	wg.Wait()
	for _, c := range rep.Checks {
		if c.Level.rank() > rep.Status.rank() {
			rep.Status = c.Level
		}
		s.logChange(ctx, c)
	}
	return rep
}

// run runs one check; a check that panics, overruns its timeout or returns
// an unknown level has failed.
func (s *Server) run(ctx context.Context, c Check) (st Status) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.CheckTimeout)
	defer cancel()
	done := make(chan Status, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- Failed("check panicked: %v", p)
			}
		}()
		done <- c.Run(ctx)
	}()
	select {
	case st = <-done:
	case <-ctx.Done():
		return Failed("check did not finish within %s", s.cfg.CheckTimeout)
	}
	switch st.Level {
	case LevelOK, LevelDegraded, LevelFailed:
		return st
	}
	return Failed("check returned unknown status %q", st.Level)
}

// logChange logs a check whose level differs from the previous readyz, so
// a probe every few seconds does not flood the log.
func (s *Server) logChange(ctx context.Context, c CheckReport) {
	s.mu.Lock()
	prev, seen := s.last[c.Name]
	s.last[c.Name] = c.Level
	s.mu.Unlock()
	if prev == c.Level || (!seen && c.Level == LevelOK) {
		return
	}
	level := slog.LevelInfo
	switch c.Level {
	case LevelDegraded:
		level = slog.LevelWarn
	case LevelFailed:
		level = slog.LevelError
	}
	s.cfg.Logger.LogAttrs(ctx, level, "readiness check changed",
		slog.String("check", c.Name), slog.String("status", string(c.Level)),
		slog.String("previous", string(prev)), slog.String("message", c.Message))
}
