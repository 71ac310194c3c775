package ingest

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/logtest"
	"github.com/escalator/escalator/internal/testkit/streamtest"
	"github.com/escalator/escalator/internal/testkit/testserver"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

const (
	tokenA = "token-alpha-0123456789"
	tokenB = "token-bravo-9876543210"
)

// fixture is an ingest server in front of a real in-process JetStream.
type fixture struct {
	t       testing.TB
	srv     *Server
	nats    *server.Server
	nc      *nats.Conn
	js      jetstream.JetStream
	url     string // where the server answers
	client  *http.Client
	addr    string // the listener's host:port (serve fixtures)
	spans   *tracetest.InMemoryExporter
	metrics *sdkmetric.ManualReader
	logs    *syncBuffer
}

type fixtureOpts struct {
	cfg      func(*Config)
	noStream bool // leave JetStream without the ESCALATOR stream
	// discardSpans records spans without keeping them (benchmarks: an
	// exporter that never drains would grow the heap without bound).
	discardSpans bool
	// serve runs Server.Serve on a loopback listener, with its limits,
	// timeouts and TLS, instead of httptest around the handler.
	serve bool
	// roots are the CAs the client trusts (TLS fixtures).
	roots *x509.CertPool
}

func newFixture(t testing.TB, o fixtureOpts) *fixture {
	t.Helper()
	f := &fixture{t: t, nats: testserver.NATS(t), spans: tracetest.NewInMemoryExporter(),
		metrics: sdkmetric.NewManualReader(), logs: &syncBuffer{}}
	f.nc, f.js = testserver.Connect(t, f.nats)
	if !o.noStream {
		streamtest.Ensure(t, f.js, streams.Config{})
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(f.spans))
	if o.discardSpans {
		tp = sdktrace.NewTracerProvider()
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(f.metrics))
	cfg := Config{
		Tokens:         []string{tokenA, tokenB},
		Logger:         slog.New(slog.NewJSONHandler(f.logs, nil)),
		TracerProvider: tp,
		MeterProvider:  mp,
	}
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	srv, err := New(cfg, streams.NewPublisher(f.js, tp))
	if err != nil {
		t.Fatalf("new ingest server: %v", err)
	}
	f.srv = srv
	if !o.serve {
		ts := httptest.NewServer(srv.Handler())
		t.Cleanup(ts.Close)
		f.url, f.client = ts.URL, ts.Client()
		return f
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: o.roots}}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	f.addr = ln.Addr().String()
	f.url, f.client = "http://"+f.addr, &http.Client{Transport: tr}
	if srv.TLS() {
		f.url = "https://" + f.addr
	}
	return f
}

// post sends body with the content type and token ("" for none).
func (f *fixture) post(ct, token string, body []byte, header ...string) *http.Response {
	f.t.Helper()
	return f.postTo(EventsPath, ct, token, body, header...)
}

// postTo is post to another path.
func (f *fixture) postTo(path, ct, token string, body []byte, header ...string) *http.Response {
	f.t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.url+path, bytes.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return f.do(req)
}

func (f *fixture) do(req *http.Request) *http.Response {
	f.t.Helper()
	resp, err := f.client.Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	f.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// stored is the number of messages in the ESCALATOR stream.
func (f *fixture) stored() uint64 {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := f.js.Stream(ctx, streams.StreamName)
	if err != nil {
		f.t.Fatalf("stream: %v", err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		f.t.Fatalf("stream info: %v", err)
	}
	return info.State.Msgs
}

type acceptedBody struct {
	Accepted []acceptedEvent `json:"accepted"`
}

type problemBody struct {
	Type   string         `json:"type"`
	Title  string         `json:"title"`
	Status int            `json:"status"`
	Detail string         `json:"detail"`
	Errors []problemField `json:"errors"`
	Check  string         `json:"check"`
}

// noPublisher is a publisher for tests of New that publish nothing.
func noPublisher(t testing.TB) Publisher {
	t.Helper()
	return streams.NewPublisher(nil, nil)
}

func wantStatus(t testing.TB, resp *http.Response, status int) []byte {
	t.Helper()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d; body %s", resp.StatusCode, status, body)
	}
	return body
}

func wantAccepted(t testing.TB, resp *http.Response) acceptedBody {
	t.Helper()
	body := wantStatus(t, resp, http.StatusAccepted)
	var a acceptedBody
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatalf("202 body %s: %v", body, err)
	}
	return a
}

func wantProblem(t testing.TB, resp *http.Response, status int) problemBody {
	t.Helper()
	body := wantStatus(t, resp, status)
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q, want application/problem+json", ct)
	}
	var p problemBody
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("problem body %s: %v", body, err)
	}
	if p.Status != status || p.Type == "" || p.Title == "" || p.Detail == "" {
		t.Fatalf("incomplete problem %+v", p)
	}
	return p
}

// newEvent is a valid insights event as a JSON object.
func newEvent(id string) map[string]any {
	return map[string]any{
		"specversion": "1.0",
		"id":          id,
		"source":      "https://contoso.service-now.com",
		"type":        event.TypeInsights,
		"time":        "2026-11-25T09:02:47Z",
		"data": map[string]any{
			"incident": map[string]any{
				"sys_id": "9d385017c611228701d22104cc95c371",
				"number": "INC0010023",
			},
			"requested_by": map[string]any{
				"user_name": "david.miller",
				"roles":     []string{"x_mioms_m365_assis.insights_user"},
			},
		},
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func batchOf(t testing.TB, prefix string, n int) []byte {
	t.Helper()
	evs := make([]map[string]any, n)
	for i := range evs {
		evs[i] = newEvent(fmt.Sprintf("%s-%d", prefix, i))
	}
	return mustJSON(t, evs)
}

// syncBuffer is a log sink safe for the handler's goroutines.
type syncBuffer struct{ logtest.Buffer }

func (b *syncBuffer) contains(s string) bool { return strings.Contains(b.String(), s) }
