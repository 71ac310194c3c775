package ingest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/streams"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// TestMetricsIgnoreHostHeader: hundreds of unauthenticated requests, each
// with its own Host header and path, must not add a metric series each.
func TestMetricsIgnoreHostHeader(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	for i := range 300 {
		path := EventsPath
		if i%2 == 1 {
			path = fmt.Sprintf("/probe-%d", i)
		}
		req, _ := http.NewRequest(http.MethodPost, f.url+path, strings.NewReader("{}"))
		req.Host = fmt.Sprintf("h%d.attacker.example:%d", i, 1000+i)
		resp := f.do(req)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	var rm metricdata.ResourceMetrics
	if err := f.metrics.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	points := 0
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			points += len(attrSets(m.Data))
			for _, dp := range attrSets(m.Data) {
				if v, ok := dp.Value("server.address"); ok && v.AsString() != "escalator-ingest" {
					t.Fatalf("%s labelled server.address=%q", m.Name, v.AsString())
				}
				if _, ok := dp.Value("server.port"); ok {
					t.Fatalf("%s labelled with the client's port", m.Name)
				}
			}
		}
	}
	if points == 0 || points > 30 {
		t.Fatalf("%d metric series after 300 requests with distinct hosts, want a handful", points)
	}
}

// rawConn sends a raw request and returns the connection and a reader.
func rawConn(t *testing.T, addr, request string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, request); err != nil {
		t.Fatal(err)
	}
	return c, bufio.NewReader(c)
}

// readAnswer reads one response, failing if none comes within 5 s.
func readAnswer(t *testing.T, c net.Conn, br *bufio.Reader) *http.Response {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// wantClosed fails unless the server closes the connection within 5 s.
func wantClosed(t *testing.T, c net.Conn, br *bufio.Reader) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("connection still open (read: %v), want it closed", err)
	}
}

// TestRefusalDoesNotWaitForTheBody: a client that announces a body and
// never sends it gets its 401/403/415 at once, on a closed connection.
func TestRefusalDoesNotWaitForTheBody(t *testing.T) {
	f := newFixture(t, fixtureOpts{serve: true})
	deny := newFixture(t, fixtureOpts{serve: true, cfg: func(c *Config) {
		c.AllowCIDRs = mustNetworks(t, "10.0.0.0/8")
	}})
	head := "POST " + EventsPath + " HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
	tests := []struct {
		name, addr, headers string
		status              int
	}{
		{"wrong token", f.addr, "Authorization: Bearer wrong\r\nContent-Type: application/cloudevents+json\r\n", http.StatusUnauthorized},
		{"no token", f.addr, "Content-Type: application/cloudevents+json\r\n", http.StatusUnauthorized},
		{"media type", f.addr, "Authorization: Bearer " + tokenA + "\r\nContent-Type: text/plain\r\n", http.StatusUnsupportedMediaType},
		{"network", deny.addr, "Authorization: Bearer " + tokenA + "\r\nContent-Type: application/cloudevents+json\r\n", http.StatusForbidden},
		{"ping wrong token", f.addr, "Authorization: Bearer wrong\r\nContent-Type: application/json\r\n", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := head
			if strings.HasPrefix(tt.name, "ping") {
				h = strings.Replace(h, EventsPath, PingPath, 1)
			}
			c, br := rawConn(t, tt.addr, h+tt.headers+"\r\n")
			resp := readAnswer(t, c, br)
			if resp.StatusCode != tt.status || !resp.Close {
				t.Fatalf("status %d, Connection: close %v; want %d and close", resp.StatusCode, resp.Close, tt.status)
			}
			wantClosed(t, c, br)
		})
	}
}

func TestSlowBodyTimesOut(t *testing.T) {
	f := newFixture(t, fixtureOpts{serve: true, cfg: func(c *Config) { c.ReadTimeout = time.Second }})
	c, br := rawConn(t, f.addr, "POST "+EventsPath+" HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"+
		"Authorization: Bearer "+tokenA+"\r\nContent-Type: application/cloudevents+json\r\n\r\n{\"id\":")
	resp := readAnswer(t, c, br)
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("status %d, want 408", resp.StatusCode)
	}
	wantClosed(t, c, br)
}

func TestIdleKeepAliveClosed(t *testing.T) {
	f := newFixture(t, fixtureOpts{serve: true, cfg: func(c *Config) { c.IdleTimeout = 200 * time.Millisecond }})
	// A 400 reads the whole body and keeps the connection.
	c, br := rawConn(t, f.addr, "POST "+EventsPath+" HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"+
		"Authorization: Bearer "+tokenA+"\r\nContent-Type: application/cloudevents+json\r\n\r\n{}")
	resp := readAnswer(t, c, br)
	if resp.StatusCode != http.StatusBadRequest || resp.Close {
		t.Fatalf("status %d, close %v; want a kept-alive 400", resp.StatusCode, resp.Close)
	}
	wantClosed(t, c, br)
}

func TestHeaderLimit(t *testing.T) {
	f := newFixture(t, fixtureOpts{serve: true})
	resp := f.post("application/cloudevents+json", tokenA, mustJSON(t, newEvent("big-header")),
		"X-Padding", strings.Repeat("p", 100<<10))
	wantStatus(t, resp, http.StatusRequestHeaderFieldsTooLarge)
}

func TestConnectionLimit(t *testing.T) {
	f := newFixture(t, fixtureOpts{serve: true, cfg: func(c *Config) { c.MaxConns = 2 }})
	held, _ := rawConn(t, f.addr, "")
	rawConn(t, f.addr, "")
	// Both slots are taken: the third connection is not served…
	c, br := rawConn(t, f.addr, "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n")
	_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	var ne net.Error
	if _, err := br.ReadByte(); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("a third connection was served past MaxConns 2 (read: %v)", err)
	}
	// …until one of the others ends.
	held.Close()
	if resp := readAnswer(t, c, br); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("status %d, want 404", resp.StatusCode)
	}
}

// TestShutdownBoundedByStalledClient: a client stalled mid-body cannot
// hold Serve past ShutdownTimeout, and the forced close is no error.
func TestShutdownBoundedByStalledClient(t *testing.T) {
	f := newFixture(t, fixtureOpts{cfg: func(c *Config) { c.ShutdownTimeout = 200 * time.Millisecond }})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.srv.Serve(ctx, ln) }()
	c, br := rawConn(t, ln.Addr().String(), "POST "+EventsPath+" HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"+
		"Expect: 100-continue\r\nAuthorization: Bearer "+tokenA+"\r\nContent-Type: application/cloudevents+json\r\n\r\n")
	// net/http sends 100 Continue when the handler starts reading the
	// body: from then on the request is in flight, and it stalls mid-body.
	if resp := readAnswer(t, c, br); resp.StatusCode != http.StatusContinue {
		t.Fatalf("status %d, want 100 Continue once the body is read", resp.StatusCode)
	}
	if _, err := io.WriteString(c, "{"); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve after a forced shutdown: %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve still running 10 s after its context ended")
	}
	wantClosed(t, c, br)
	if !f.logs.contains("closing connections still open") {
		t.Fatalf("forced close not logged: %s", f.logs.String())
	}
}

func TestTimeoutsValidated(t *testing.T) {
	_, err := New(Config{Tokens: []string{"a"}, ReadTimeout: time.Minute}, streams.NewPublisher(nil, nil))
	if err == nil || !strings.Contains(err.Error(), "ESCALATOR_INGEST_WRITE_TIMEOUT") {
		t.Fatalf("a write timeout shorter than the read timeout was accepted: %v", err)
	}
}

// attrSets lists the attribute sets of a metric's data points.
func attrSets(data metricdata.Aggregation) []attribute.Set {
	var out []attribute.Set
	switch d := data.(type) {
	case metricdata.Sum[int64]:
		for _, dp := range d.DataPoints {
			out = append(out, dp.Attributes)
		}
	case metricdata.Histogram[int64]:
		for _, dp := range d.DataPoints {
			out = append(out, dp.Attributes)
		}
	case metricdata.Histogram[float64]:
		for _, dp := range d.DataPoints {
			out = append(out, dp.Attributes)
		}
	}
	return out
}

func mustNetworks(t *testing.T, entries ...string) []netip.Prefix {
	t.Helper()
	nets, err := ParseNetworks(VarAllowCIDRs, entries)
	if err != nil {
		t.Fatal(err)
	}
	return nets
}

// TestTooLargeBodyGetsItsAnswer: a client that sends a whole body larger
// than the limit, as ServiceNow's RESTMessageV2 does, reads the 413 and
// then a closed connection, never a reset: the server drains what it
// announced before it closes.
func TestTooLargeBodyGetsItsAnswer(t *testing.T) {
	f := newFixture(t, fixtureOpts{serve: true})
	body := `{"pad":"` + strings.Repeat("x", 2*DefaultMaxBody) + `"}`
	for i := range 5 {
		c, br := rawConn(t, f.addr, "POST "+EventsPath+" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+tokenA+
			"\r\nContent-Type: application/cloudevents+json\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n")
		if _, err := io.WriteString(c, body); err != nil {
			t.Fatalf("attempt %d: writing the body: %v", i, err)
		}
		if resp := readAnswer(t, c, br); resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("attempt %d: status %d, want 413", i, resp.StatusCode)
		}
		wantClosed(t, c, br)
	}
}
