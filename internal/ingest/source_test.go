package ingest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/event"
)

func TestNormalizeSource(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"https://contoso.service-now.com", "https://contoso.service-now.com", true},
		{"HTTPS://Contoso.Service-Now.com/", "https://contoso.service-now.com", true},
		{"https://contoso.service-now.com:443/api/now", "https://contoso.service-now.com", true},
		{"http://127.0.0.1:8081", "http://127.0.0.1:8081", true},
		{"http://[::1]:80/", "http://[::1]", true},
		{"https://contoso.service-now.com:8443", "https://contoso.service-now.com:8443", true},
		{"contoso.service-now.com", "", false},
		{"ftp://contoso.service-now.com", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := normalizeSource(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("normalizeSource(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestSourceMustBeTheInstance(t *testing.T) {
	f := newFixture(t, fixtureOpts{cfg: func(c *Config) { c.ServiceNowURL = "https://Contoso.service-now.com/" }})
	// The fixture's events come from https://contoso.service-now.com.
	wantAccepted(t, f.post("application/cloudevents+json", tokenA, mustJSON(t, newEvent("src-1"))))
	wantAccepted(t, f.post("application/json", tokenA, mustJSON(t, newEvent("x")["data"]),
		"ce-specversion", "1.0", "ce-id", "src-binary", "ce-source", "https://contoso.service-now.com/",
		"ce-type", event.TypeUpdated, "ce-time", "2026-11-25T09:02:47Z"))

	foreign := newEvent("src-2")
	foreign["source"] = "https://fabrikam.service-now.com"
	p := wantProblem(t, f.post("application/cloudevents+json", tokenA, mustJSON(t, foreign)), http.StatusBadRequest)
	if len(p.Errors) != 1 || p.Errors[0].Field != "source" || p.Errors[0].Index != nil {
		t.Fatalf("errors %+v, want one on source without an index", p.Errors)
	}
	batch := mustJSON(t, []any{newEvent("src-3"), foreign, newEvent("src-4")})
	p = wantProblem(t, f.post("application/cloudevents-batch+json", tokenA, batch), http.StatusBadRequest)
	if len(p.Errors) != 1 || p.Errors[0].Field != "source" || p.Errors[0].Index == nil || *p.Errors[0].Index != 1 {
		t.Fatalf("errors %+v, want one on [1].source", p.Errors)
	}
	if got := f.stored(); got != 2 {
		t.Fatalf("stream holds %d messages, want the 2 from the instance", got)
	}
	if !f.logs.contains(`"reason":"source-mismatch"`) {
		t.Fatalf("refusal not logged: %s", f.logs.String())
	}
}

func TestServiceNowURLValidated(t *testing.T) {
	_, err := New(Config{Tokens: []string{"a"}, ServiceNowURL: "contoso.service-now.com"}, noPublisher(t))
	if err == nil || !strings.Contains(err.Error(), "ESCALATOR_SERVICENOW_URL") {
		t.Fatalf("a URL without a scheme was accepted: %v", err)
	}
}

type pingBody struct {
	Status    string `json:"status"`
	Signature string `json:"signature"`
	Source    string `json:"source"`
}

func wantPing(t *testing.T, resp *http.Response) pingBody {
	t.Helper()
	body := wantStatus(t, resp, http.StatusOK)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("content type %q", ct)
	}
	var p pingBody
	if err := json.Unmarshal(body, &p); err != nil || p.Status != "ok" {
		t.Fatalf("ping answer %s: %v", body, err)
	}
	return p
}

func TestPing(t *testing.T) {
	instance := []byte(`{"source":"https://contoso.service-now.com"}`)
	other := []byte(`{"source":"https://fabrikam.service-now.com"}`)

	plain := newFixture(t, fixtureOpts{})
	if p := wantPing(t, plain.postTo(PingPath, "application/json", tokenA, instance)); p.Signature != sigNotRequired || p.Source != sourceNotChecked {
		t.Fatalf("unconfigured ping %+v", p)
	}

	f := newFixture(t, fixtureOpts{cfg: func(c *Config) {
		c.SigningSecrets = []string{secretNew, secretOld}
		c.ServiceNowURL = "https://contoso.service-now.com"
	}})
	sign := func(b []byte) string { return Sign(secretOld, time.Now(), b) }
	if p := wantPing(t, f.postTo(PingPath, "application/json", tokenA, instance, SignatureHeader, sign(instance))); p.Signature != sigVerified || p.Source != sourceMatch {
		t.Fatalf("ping from the instance %+v", p)
	}
	if p := wantPing(t, f.postTo(PingPath, "application/json; charset=utf-8", tokenA, other, SignatureHeader, sign(other))); p.Source != sourceMismatch {
		t.Fatalf("ping from another instance %+v", p)
	}
	if p := wantPing(t, f.postTo(PingPath, "application/json", tokenA, []byte(`{}`), SignatureHeader, sign([]byte(`{}`)))); p.Source != sourceMismatch {
		t.Fatalf("ping without a source %+v", p)
	}

	// The same refusals as /v1/events.
	wantProblem(t, f.postTo(PingPath, "application/json", "wrong", instance, SignatureHeader, sign(instance)), http.StatusUnauthorized)
	if p := wantProblem(t, f.postTo(PingPath, "application/json", tokenA, instance), http.StatusUnauthorized); p.Check != sigMissing {
		t.Fatalf("unsigned ping: %+v", p)
	}
	if p := wantProblem(t, f.postTo(PingPath, "application/json", tokenA, instance, SignatureHeader, sign(other)), http.StatusUnauthorized); p.Check != sigMismatch {
		t.Fatalf("ping signed over another body: %+v", p)
	}
	wantProblem(t, f.postTo(PingPath, "text/plain", tokenA, instance, SignatureHeader, sign(instance)), http.StatusUnsupportedMediaType)
	wantProblem(t, f.postTo(PingPath, "application/json", tokenA, []byte(`[1]`), SignatureHeader, sign([]byte(`[1]`))), http.StatusBadRequest)
	big := []byte(`{"pad":"` + strings.Repeat("x", DefaultMaxBody) + `"}`)
	wantProblem(t, f.postTo(PingPath, "application/json", tokenA, big, SignatureHeader, sign(big)), http.StatusRequestEntityTooLarge)
	req, _ := http.NewRequest(http.MethodGet, f.url+PingPath, nil)
	req.Header.Set("Authorization", "Bearer "+tokenA)
	wantProblem(t, f.do(req), http.StatusMethodNotAllowed)

	if got := f.stored(); got != 0 {
		t.Fatalf("ping published %d messages", got)
	}
}
