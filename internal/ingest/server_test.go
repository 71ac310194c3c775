package ingest

import (
	"encoding/json"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/streams"
)

func TestNewValidates(t *testing.T) {
	pub := streams.NewPublisher(nil, nil) // never called: New only validates
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no tokens", Config{}, "ESCALATOR_INGEST_TOKENS"},
		{"empty token", Config{Tokens: []string{"a", ""}}, "ESCALATOR_INGEST_TOKENS"},
		{"max events over the batch limit", Config{Tokens: []string{"a"}, MaxEvents: event.MaxBatch + 1}, "max events"},
		{"bad cidr", Config{Tokens: []string{"a"}, AllowCIDRs: []netip.Prefix{{}}}, "ESCALATOR_INGEST_ALLOW_CIDRS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg, pub)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New error %v, want one naming %s", err, tt.want)
			}
		})
	}
	if _, err := New(Config{Tokens: []string{"a"}}, pub); err != nil {
		t.Fatalf("valid config refused: %v", err)
	}
	if _, err := New(Config{Tokens: []string{"a"}}, nil); err == nil {
		t.Fatal("nil publisher accepted")
	}
}

func TestAcceptModes(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	single := mustJSON(t, newEvent("single-1"))
	tests := []struct {
		name   string
		ct     string
		body   []byte
		header []string
		ids    []string
	}{
		{"structured", "application/cloudevents+json; charset=utf-8", single, nil, []string{"single-1"}},
		{"structured as application/json", "application/json", mustJSON(t, newEvent("json-1")), nil, []string{"json-1"}},
		{"batch", "application/cloudevents-batch+json", batchOf(t, "batch", 5),
			nil, []string{"batch-0", "batch-1", "batch-2", "batch-3", "batch-4"}},
		{"binary", "application/json", mustJSON(t, newEvent("x")["data"]), []string{
			"ce-specversion", "1.0", "ce-id", "binary-1", "ce-source", "https://contoso.service-now.com",
			"ce-type", event.TypeUpdated, "ce-time", "2026-11-25T09:02:47Z",
		}, []string{"binary-1"}},
	}
	want := uint64(0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := wantAccepted(t, f.post(tt.ct, tokenA, tt.body, tt.header...))
			if len(a.Accepted) != len(tt.ids) {
				t.Fatalf("accepted %+v, want ids %v", a.Accepted, tt.ids)
			}
			for i, id := range tt.ids {
				if a.Accepted[i].ID != id || a.Accepted[i].Seq == 0 || a.Accepted[i].Duplicate {
					t.Fatalf("accepted[%d] = %+v, want id %s, a sequence, not duplicate", i, a.Accepted[i], id)
				}
			}
			want += uint64(len(tt.ids))
			if got := f.stored(); got != want {
				t.Fatalf("stream holds %d messages, want %d", got, want)
			}
		})
	}
}

func TestDuplicateStoredOnce(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	body := mustJSON(t, newEvent("dup-1"))
	first := wantAccepted(t, f.post("application/cloudevents+json", tokenA, body))
	again := wantAccepted(t, f.post("application/cloudevents+json", tokenB, body))
	if first.Accepted[0].Duplicate || !again.Accepted[0].Duplicate {
		t.Fatalf("first %+v, retry %+v: want duplicate only on the retry", first, again)
	}
	if again.Accepted[0].Seq != first.Accepted[0].Seq {
		t.Fatalf("retry seq %d, first %d", again.Accepted[0].Seq, first.Accepted[0].Seq)
	}
	// A retried batch that overlaps the stored events stores only the new one.
	batch := mustJSON(t, []any{newEvent("dup-1"), newEvent("dup-2")})
	b := wantAccepted(t, f.post("application/cloudevents-batch+json", tokenA, batch))
	if !b.Accepted[0].Duplicate || b.Accepted[1].Duplicate {
		t.Fatalf("batch %+v: want [duplicate, new]", b)
	}
	if got := f.stored(); got != 2 {
		t.Fatalf("stream holds %d messages, want 2", got)
	}
}

func TestInvalidEvents(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	noSysID := newEvent("bad-1")
	noSysID["data"].(map[string]any)["incident"].(map[string]any)["sys_id"] = ""
	noType := newEvent("bad-2")
	delete(noType, "type")
	tick := newEvent("tick-1")
	tick["type"] = event.TypeTickHealth
	tick["data"] = map[string]any{"tick": map[string]any{"name": "health"}}

	idx := func(i int) *int { return &i }
	tests := []struct {
		name string
		ct   string
		body []byte
		want []problemField
	}{
		{"single missing sys_id", "application/cloudevents+json", mustJSON(t, noSysID),
			[]problemField{{Field: "data.incident.sys_id"}}},
		{"single internal type", "application/cloudevents+json", mustJSON(t, tick),
			[]problemField{{Field: "type"}}},
		{"batch", "application/cloudevents-batch+json", mustJSON(t, []any{newEvent("ok-1"), noSysID, noType, tick}),
			[]problemField{{Index: idx(1), Field: "data.incident.sys_id"}, {Index: idx(2), Field: "type"}, {Index: idx(3), Field: "type"}}},
		{"malformed JSON", "application/cloudevents+json", []byte(`{"id":`), []problemField{{Field: "body"}}},
		{"empty body", "application/cloudevents+json", nil, []problemField{{Field: "body"}}},
		{"empty batch", "application/cloudevents-batch+json", []byte(`[]`), []problemField{{Field: "body"}}},
		{"batch not an array", "application/cloudevents-batch+json", []byte(`{}`), []problemField{{Field: "body"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := wantProblem(t, f.post(tt.ct, tokenA, tt.body), http.StatusBadRequest)
			if len(p.Errors) != len(tt.want) {
				t.Fatalf("errors %+v, want %+v", p.Errors, tt.want)
			}
			for i, w := range tt.want {
				got := p.Errors[i]
				if got.Field != w.Field || got.Detail == "" || (got.Index == nil) != (w.Index == nil) ||
					(w.Index != nil && *got.Index != *w.Index) {
					t.Fatalf("errors[%d] = %+v, want field %s index %v", i, got, w.Field, w.Index)
				}
			}
		})
	}
	if got := f.stored(); got != 0 {
		t.Fatalf("invalid requests stored %d messages", got)
	}
	if !f.logs.contains(`"reason":"invalid-event"`) || !f.logs.contains("data.incident.sys_id") {
		t.Fatalf("refusal not logged with its fields: %s", f.logs.String())
	}
}

func TestSingleEventErrorsHaveNoIndex(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ev := newEvent("no-index")
	delete(ev, "source")
	resp := f.post("application/cloudevents+json", tokenA, mustJSON(t, ev))
	body := wantStatus(t, resp, http.StatusBadRequest)
	var raw struct {
		Errors []map[string]any `json:"errors"`
	}
	if err := json.Unmarshal(body, &raw); err != nil || len(raw.Errors) != 1 {
		t.Fatalf("body %s: %v", body, err)
	}
	if _, ok := raw.Errors[0]["index"]; ok {
		t.Fatalf("single event error carries an index: %s", body)
	}
}

func TestAuthentication(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	body := mustJSON(t, newEvent("auth-1"))
	for _, tok := range []string{tokenA, tokenB} {
		wantAccepted(t, f.post("application/cloudevents+json", tok, body))
	}
	tests := []struct {
		name   string
		header string
	}{
		{"missing", ""},
		{"wrong token", "Bearer not-a-configured-token"},
		{"prefix of a token", "Bearer " + tokenA[:10]},
		{"basic scheme", "Basic " + tokenA},
		{"empty bearer", "Bearer "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.stored()
			req, _ := http.NewRequest(http.MethodPost, f.url+EventsPath, strings.NewReader(string(mustJSON(t, newEvent("auth-"+tt.name)))))
			req.Header.Set("Content-Type", "application/cloudevents+json")
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp := f.do(req)
			wantProblem(t, resp, http.StatusUnauthorized)
			if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("WWW-Authenticate %q", resp.Header.Get("WWW-Authenticate"))
			}
			if f.stored() != before {
				t.Fatal("unauthenticated event stored")
			}
		})
	}
	if f.logs.contains("not-a-configured-token") || f.logs.contains(tokenA) {
		t.Fatalf("a token reached the log: %s", f.logs.String())
	}
	if !f.logs.contains(`"reason":"wrong-token"`) || !f.logs.contains(`"reason":"missing-token"`) {
		t.Fatalf("refusals not logged: %s", f.logs.String())
	}
}

func TestSourceNetwork(t *testing.T) {
	deny := newFixture(t, fixtureOpts{cfg: func(c *Config) {
		c.AllowCIDRs = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	}})
	body := mustJSON(t, newEvent("net-1"))
	// The network is checked before the token: no token still gets 403.
	wantProblem(t, deny.post("application/cloudevents+json", "", body), http.StatusForbidden)
	wantProblem(t, deny.post("application/cloudevents+json", tokenA, body), http.StatusForbidden)
	// Without trusted proxies a forged X-Forwarded-For changes nothing.
	wantProblem(t, deny.post("application/cloudevents+json", tokenA, body, "X-Forwarded-For", "10.1.2.3"), http.StatusForbidden)

	allow := newFixture(t, fixtureOpts{cfg: func(c *Config) {
		c.AllowCIDRs = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.0/8")}
	}})
	wantAccepted(t, allow.post("application/cloudevents+json", tokenA, body))

	// The test client connects from 127.0.0.1: a trusted proxy here.
	proxied := newFixture(t, fixtureOpts{cfg: func(c *Config) {
		c.AllowCIDRs = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("192.168.0.0/16")}
	}})
	tests := []struct {
		name string
		xff  []string
		want int
	}{
		{"the proxy appended the client", []string{"192.0.2.1, 10.1.2.3"}, http.StatusAccepted},
		{"a forged entry left of the client", []string{"10.1.2.3, 192.0.2.1"}, http.StatusForbidden},
		{"two trusted proxies", []string{"10.1.2.3, 192.168.1.1"}, http.StatusAccepted},
		{"one header line per proxy", []string{"10.1.2.3", "192.168.1.1"}, http.StatusAccepted},
		{"not an address", []string{"10.1.2.3, unknown"}, http.StatusForbidden},
		{"no header: the proxy itself", nil, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, proxied.url+EventsPath, strings.NewReader(string(body)))
			req.Header.Set("Content-Type", "application/cloudevents+json")
			req.Header.Set("Authorization", "Bearer "+tokenA)
			for _, v := range tt.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			wantStatus(t, proxied.do(req), tt.want)
		})
	}

	// A peer outside the trusted proxies is not believed.
	untrusted := newFixture(t, fixtureOpts{cfg: func(c *Config) {
		c.AllowCIDRs = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("192.168.0.0/16")}
	}})
	wantProblem(t, untrusted.post("application/cloudevents+json", tokenA, body, "X-Forwarded-For", "10.1.2.3"), http.StatusForbidden)
}

func TestParseNetworks(t *testing.T) {
	got, err := ParseNetworks(VarAllowCIDRs, []string{" 10.1.2.3/8", "192.0.2.10", "2001:db8::1/32", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.0/8", "192.0.2.10/32", "2001:db8::/32", "::1/128"}
	for i, w := range want {
		if got[i].String() != w {
			t.Fatalf("network %d = %s, want %s", i, got[i], w)
		}
	}
	tests := []struct {
		name    string
		entries []string
		want    string
	}{
		{"not a cidr", []string{"10.0.0.0/33"}, "is not a network"},
		{"empty entry", []string{"10.0.0.0/8", ""}, "entry 2 is empty"},
		{"ipv4-mapped network", []string{"::ffff:127.0.0.1/128"}, "write it as 127.0.0.1/32"},
		{"ipv4-mapped address", []string{"::ffff:10.0.0.1"}, "never matches"},
		{"ipv4-mapped /104", []string{"::ffff:10.0.0.0/104"}, "write it as 10.0.0.0/8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseNetworks(VarTrustedProxies, tt.entries)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), VarTrustedProxies+":") ||
				strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %v, want one line naming %s and %q", err, VarTrustedProxies, tt.want)
			}
		})
	}
	// New refuses a mapped network given directly, too.
	_, err = New(Config{Tokens: []string{"a"}, AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("::ffff:127.0.0.1/128")}},
		streams.NewPublisher(nil, nil))
	if err == nil || !strings.Contains(err.Error(), VarAllowCIDRs) {
		t.Fatalf("New accepted an IPv4-mapped network: %v", err)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		req, _ := http.NewRequest(m, f.url+EventsPath, nil)
		req.Header.Set("Authorization", "Bearer "+tokenA)
		resp := f.do(req)
		wantProblem(t, resp, http.StatusMethodNotAllowed)
		if resp.Header.Get("Allow") != http.MethodPost {
			t.Fatalf("%s: Allow %q", m, resp.Header.Get("Allow"))
		}
	}
	req, _ := http.NewRequest(http.MethodPost, f.url+"/v1/other", nil)
	wantProblem(t, f.do(req), http.StatusNotFound)
}

func TestTooLarge(t *testing.T) {
	f := newFixture(t, fixtureOpts{cfg: func(c *Config) {
		c.MaxBody = 4 << 10
		c.MaxEvents = 3
	}})
	big := newEvent("big-1")
	big["data"].(map[string]any)["incident"].(map[string]any)["description"] = strings.Repeat("x", 5<<10)
	wantProblem(t, f.post("application/cloudevents+json", tokenA, mustJSON(t, big)), http.StatusRequestEntityTooLarge)

	// Without a Content-Length the limit is enforced while reading.
	req, _ := http.NewRequest(http.MethodPost, f.url+EventsPath, struct{ *strings.Reader }{strings.NewReader(string(mustJSON(t, big)))})
	req.Header.Set("Content-Type", "application/cloudevents+json")
	req.Header.Set("Authorization", "Bearer "+tokenA)
	if req.ContentLength != 0 {
		t.Fatal("test wants a chunked request")
	}
	wantProblem(t, f.do(req), http.StatusRequestEntityTooLarge)

	wantProblem(t, f.post("application/cloudevents-batch+json", tokenA, batchOf(t, "many", 4)), http.StatusRequestEntityTooLarge)
	wantAccepted(t, f.post("application/cloudevents-batch+json", tokenA, batchOf(t, "three", 3)))
	if got := f.stored(); got != 3 {
		t.Fatalf("stream holds %d messages, want 3", got)
	}
}

func TestUnsupportedMediaType(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	body := mustJSON(t, newEvent("media-1"))
	tests := []struct {
		name   string
		ct     string
		header []string
	}{
		{"text/plain", "text/plain", nil},
		{"none", "", nil},
		{"form", "application/x-www-form-urlencoded", nil},
		{"binary with non-JSON data", "text/plain", []string{"ce-specversion", "1.0"}},
		{"malformed", "application/", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantProblem(t, f.post(tt.ct, tokenA, body, tt.header...), http.StatusUnsupportedMediaType)
		})
	}
	if got := f.stored(); got != 0 {
		t.Fatalf("stream holds %d messages", got)
	}
}
