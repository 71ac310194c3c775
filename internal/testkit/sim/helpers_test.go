package sim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	s   *Server
	ts  *httptest.Server
	clk *fakeClock
}

func newEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	clk := &fakeClock{t: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	if cfg.Now == nil {
		cfg.Now = clk.Now
	}
	s := New(cfg)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return &env{s: s, ts: ts, clk: clk}
}

type resp struct {
	status int
	header http.Header
	raw    []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.raw, &m); err != nil {
		t.Fatalf("decode %q: %v", r.raw, err)
	}
	return m
}

// do sends a request; body may be nil, a url.Values (form) or anything JSON.
func (e *env) do(t *testing.T, method, path, token string, body any) resp {
	t.Helper()
	return e.doWith(t, method, path, token, body, nil)
}

// doWith is do with extra request headers.
func (e *env) doWith(t *testing.T, method, path, token string, body any, hdr http.Header) resp {
	t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd, ctype = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	case string:
		rd, ctype = strings.NewReader(b), "application/json"
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd, ctype = bytes.NewReader(buf), "application/json"
	}
	u := path
	if !strings.HasPrefix(path, "http") {
		u = e.ts.URL + path
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	res, err := e.ts.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, raw: raw}
}

func (e *env) token(t *testing.T, resource string) string {
	t.Helper()
	r := e.do(t, "POST", "/"+DefaultTenant+"/oauth2/token", "", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {DefaultClientID},
		"client_secret": {DefaultClientSecret}, "resource": {resource},
	})
	if r.status != 200 {
		t.Fatalf("token: %d %s", r.status, r.raw)
	}
	return r.json(t)["access_token"].(string)
}

func (e *env) snowToken(t *testing.T) string {
	t.Helper()
	r := e.do(t, "POST", "/oauth_token.do", "", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {DefaultServiceNowClientID},
		"client_secret": {DefaultServiceNowClientSecret},
	})
	if r.status != 200 {
		t.Fatalf("snow token: %d %s", r.status, r.raw)
	}
	return r.json(t)["access_token"].(string)
}

func wantStatus(t *testing.T, r resp, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status %d, want %d; body %s", r.status, want, r.raw)
	}
}

// errCode reads {"error":{"code":…}} (Graph, ARM).
func errCode(t *testing.T, r resp) string {
	t.Helper()
	e, _ := r.json(t)["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

func newFormRequest(u string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequest("POST", u, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req, nil
}
