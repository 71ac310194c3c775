package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/propagation"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/telemetry"
)

// Paths of the ingest API.
const (
	// EventsPath is where events are posted.
	EventsPath = "/v1/events"
	// PingPath answers the ServiceNow side's "test connection": the same
	// checks as EventsPath, nothing published.
	PingPath = "/v1/ping"
)

// serverAddress is the server.address of the HTTP spans and metrics. It is
// fixed, never the Host header (any client sets that, and each distinct
// value would be a new metric series); the port is the scheme's default,
// which the semantic conventions leave out, for the same reason.
func serverAddress(tls bool) string {
	if tls {
		return "escalator-ingest:443"
	}
	return "escalator-ingest:80"
}

// Publisher stores one event in JetStream and returns its acknowledgement;
// *streams.Publisher is the implementation.
type Publisher interface {
	Publish(ctx context.Context, ev *event.Event, opts ...streams.PublishOption) (*jetstream.PubAck, error)
}

// Server is the ingest HTTP server. Its Handler is safe for concurrent use.
type Server struct {
	cfg     Config
	pub     Publisher
	tokens  tokenSet
	source  string // normalised ServiceNowURL; empty checks none
	certs   *certReloader
	prop    propagation.TextMapPropagator
	metrics *metrics
	handler http.Handler
}

// New validates cfg and returns a Server publishing through pub. With TLS
// configured it loads the certificate now, so a bad file fails at start.
func New(cfg Config, pub Publisher) (*Server, error) {
	cfg.defaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("ingest config: %w", err)
	}
	if pub == nil {
		return nil, fmt.Errorf("ingest config: no publisher")
	}
	m, err := newMetrics(cfg.MeterProvider)
	if err != nil {
		return nil, fmt.Errorf("ingest metrics: %w", err)
	}
	s := &Server{
		cfg:     cfg,
		pub:     pub,
		tokens:  newTokenSet(cfg.Tokens),
		prop:    telemetry.Propagator(),
		metrics: m,
	}
	s.source, _ = normalizeSource(cfg.ServiceNowURL)
	if cfg.TLSCertFile != "" {
		if s.certs, err = newCertReloader(cfg.TLSCertFile, cfg.TLSKeyFile, cfg.Logger); err != nil {
			return nil, fmt.Errorf("ingest config: %w", err)
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc(EventsPath, s.serveEvents)
	mux.HandleFunc(PingPath, s.servePing)
	mux.HandleFunc("/", s.notFound)
	opts := []otelhttp.Option{
		otelhttp.WithPropagators(s.prop),
		otelhttp.WithServerName(serverAddress(s.certs != nil)),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			if r.Pattern == EventsPath || r.Pattern == PingPath {
				return r.Method + " " + r.Pattern
			}
			return r.Method
		}),
		otelhttp.WithTracerProvider(telemetry.OrNoopTracer(cfg.TracerProvider)),
		otelhttp.WithMeterProvider(telemetry.OrNoopMeter(cfg.MeterProvider)),
	}
	s.handler = otelhttp.NewHandler(mux, "ingest", opts...)
	return s, nil
}

// Handler serves POST /v1/events and POST /v1/ping.
func (s *Server) Handler() http.Handler { return s.handler }

// acceptedEvent is one entry of the 202 answer.
type acceptedEvent struct {
	ID        string `json:"id"`
	Seq       uint64 `json:"seq"`
	Duplicate bool   `json:"duplicate"`
	// eventType is the event's type, for the events counter.
	eventType string
}

func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	accepted, p := s.accept(w, r)
	if p != nil {
		s.refuse(ctx, w, r, p)
		return
	}
	var fresh, dups []string
	for _, a := range accepted {
		if a.Duplicate {
			dups = append(dups, a.eventType)
		} else {
			fresh = append(fresh, a.eventType)
		}
	}
	s.metrics.request(ctx, http.StatusAccepted)
	s.metrics.events(ctx, outcomeAccepted, fresh)
	s.metrics.events(ctx, outcomeDuplicate, dups)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_ = json.NewEncoder(w).Encode(struct {
		Accepted []acceptedEvent `json:"accepted"`
	}{accepted})
}

// accept runs the checks in order (network, method, token, media type,
// size, signature, validity, source) and publishes the events.
func (s *Server) accept(w http.ResponseWriter, r *http.Request) ([]acceptedEvent, *problem) {
	if p := s.admit(r); p != nil {
		return nil, p
	}
	m, p := requestMode(r)
	if p != nil {
		return nil, p.closing()
	}
	body, _, p := s.readSigned(w, r)
	if p != nil {
		return nil, p
	}
	events, p := decodeEvents(m, r, body, s.cfg.MaxEvents)
	if p != nil {
		return nil, p
	}
	if fields := checkSources(s.source, events, m == modeBatch); len(fields) > 0 {
		p := invalid(fields)
		p.reason = "source-mismatch"
		p.events = typesOf(events)
		return nil, p
	}
	return s.publish(r.Context(), r, events)
}

// admit runs the checks that need no body: network, method, token. A
// refusal closes the connection rather than read a body it will not use:
// a client that announced one and never sends it gets its answer at once.
func (s *Server) admit(r *http.Request) *problem {
	addr, known := clientAddr(r, s.cfg.TrustedProxies)
	if !allowed(s.cfg.AllowCIDRs, addr, known) {
		return newProblem(http.StatusForbidden, "network-not-allowed", "Source network not allowed",
			"the address this request came from is not in ESCALATOR_INGEST_ALLOW_CIDRS").closing()
	}
	if r.Method != http.MethodPost {
		p := newProblem(http.StatusMethodNotAllowed, "method-not-allowed", "Method not allowed",
			fmt.Sprintf("%s is not allowed on %s; use POST", r.Method, r.URL.Path))
		p.header = http.Header{"Allow": {http.MethodPost}}
		return p.closing()
	}
	if p := s.authenticate(r); p != nil {
		return p.closing()
	}
	return nil
}

// readSigned reads the size-capped body and checks its signature; it
// returns the body and the signature outcome (verified, not_required).
func (s *Server) readSigned(w http.ResponseWriter, r *http.Request) ([]byte, string, *problem) {
	body, p := readBody(w, r, s.cfg.MaxBody)
	if p != nil {
		return nil, "", p.closing()
	}
	sig, p := verifySignature(s.cfg.SigningSecrets, r, body, time.Now())
	if p != nil {
		return nil, "", p
	}
	return body, sig, nil
}

func (s *Server) authenticate(r *http.Request) *problem {
	token, ok := bearer(r)
	if !ok {
		p := newProblem(http.StatusUnauthorized, "unauthorized", "Unauthorized",
			"send the ingest token as Authorization: Bearer <token>")
		p.reason = "missing-token"
		p.header = http.Header{"Www-Authenticate": {`Bearer realm="escalator"`}}
		return p
	}
	if !s.tokens.match(token) {
		p := newProblem(http.StatusUnauthorized, "unauthorized", "Unauthorized",
			"the bearer token is not one of ESCALATOR_INGEST_TOKENS")
		p.reason = "wrong-token"
		p.header = http.Header{"Www-Authenticate": {`Bearer realm="escalator", error="invalid_token"`}}
		return p
	}
	return nil
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.refuse(r.Context(), w, r, newProblem(http.StatusNotFound, "not-found", "Not found",
		"events are posted to "+EventsPath).closing())
}

// refuse answers with the problem and logs one line: the reason, never the
// token or the body.
func (s *Server) refuse(ctx context.Context, w http.ResponseWriter, r *http.Request, p *problem) {
	s.metrics.request(ctx, p.Status)
	s.metrics.events(ctx, outcomeRefused, p.events)
	attrs := []slog.Attr{
		slog.Int("status", p.Status),
		slog.String("reason", p.reason),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("remote", r.RemoteAddr),
	}
	if len(p.Errors) > 0 {
		attrs = append(attrs, slog.Any("fields", p.fieldNames()))
	}
	level := slog.LevelWarn
	if p.Status >= 500 {
		level = slog.LevelError
	}
	s.cfg.Logger.LogAttrs(ctx, level, "ingest request refused", attrs...)
	p.write(w)
	if p.close {
		hangUp(w, r.ContentLength)
	}
}
