package sim

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"
)

func TestThrottleForNextCalls(t *testing.T) {
	e := newEnv(t, Config{})
	tok := e.token(t, GraphResource)
	route := "GET /v1.0/admin/serviceAnnouncement/issues"
	r := e.do(t, "POST", "/_sim/faults", "", `{"routes":{"`+route+`":{"retry_after":"1.5","count":2}}}`)
	wantStatus(t, r, 200)
	for i := range 2 {
		r := e.do(t, "GET", issuesPath, tok, nil)
		wantStatus(t, r, 429)
		if r.header.Get("Retry-After") != "1.5" || errCode(t, r) != "TooManyRequests" {
			t.Fatalf("call %d: Retry-After %q body %s", i, r.header.Get("Retry-After"), r.raw)
		}
	}
	wantStatus(t, e.do(t, "GET", issuesPath, tok, nil), 200)
	if n := e.s.Calls(route); n != 3 {
		t.Fatalf("calls %d, want 3", n)
	}
	if _, ok := e.s.CurrentFaults().Routes[route]; ok {
		t.Fatal("exhausted rule still in force")
	}
}

func TestInjectedErrorShapes(t *testing.T) {
	e := newEnv(t, Config{})
	graph, arm, snow := e.token(t, GraphResource), e.token(t, ARMResource), e.snowToken(t)
	if err := e.s.SetFaults(Faults{Routes: map[string]RouteFault{"*": {Status: 503}}}); err != nil {
		t.Fatal(err)
	}
	r := e.do(t, "GET", issuesPath, graph, nil)
	wantStatus(t, r, 503)
	if errCode(t, r) != "serviceNotAvailable" {
		t.Errorf("graph %s", r.raw)
	}
	r = e.do(t, "GET", "/providers/Microsoft.Support/services?api-version="+APIVersion, arm, nil)
	wantStatus(t, r, 503)
	if errCode(t, r) != "ServiceUnavailable" {
		t.Errorf("arm %s", r.raw)
	}
	r = e.do(t, "GET", incidentPath+"/"+DefaultIncidentSysID, snow, nil)
	wantStatus(t, r, 503)
	if r.json(t)["status"] != "failure" {
		t.Errorf("servicenow %s", r.raw)
	}
	r = e.do(t, "POST", "/"+DefaultTenant+"/oauth2/token", "", url.Values{})
	wantStatus(t, r, 503)
	if r.json(t)["error"] != "temporarily_unavailable" {
		t.Errorf("entra %s", r.raw)
	}
	// a route's own rule wins over "*"
	if err := e.s.SetFaults(Faults{Routes: map[string]RouteFault{"*": {Status: 503}, "GET /v1.0/admin/serviceAnnouncement/issues": {Latency: Duration(time.Millisecond)}}}); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, e.do(t, "GET", issuesPath, graph, nil), 200)
	// control endpoints are never faulted
	wantStatus(t, e.do(t, "GET", "/_sim/state", "", nil), 200)
}

func TestErrorRateIsDeterministic(t *testing.T) {
	run := func() []int {
		e := newEnv(t, Config{Seed: 7})
		tok := e.token(t, GraphResource)
		wantStatus(t, e.do(t, "POST", "/_sim/faults", "", `{"routes":{"GET /v1.0/admin/serviceAnnouncement/issues":{"error_rate":0.5,"status":500}}}`), 200)
		var got []int
		for range 20 {
			got = append(got, e.do(t, "GET", issuesPath, tok, nil).status)
		}
		return got
	}
	a, b := run(), run()
	fails := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("call %d: %d vs %d", i, a[i], b[i])
		}
		if a[i] == 500 {
			fails++
		}
	}
	if fails == 0 || fails == 20 {
		t.Fatalf("%d of 20 failed at rate 0.5", fails)
	}
}

func TestLatencyHonoursClientTimeout(t *testing.T) {
	e := newEnv(t, Config{})
	if err := e.s.SetFaults(Faults{Latency: Duration(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.ts.URL+issuesPath, nil)
	_, err := e.ts.Client().Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want deadline exceeded", err)
	}
}

func TestFaultDocument(t *testing.T) {
	e := newEnv(t, Config{})
	wantStatus(t, e.do(t, "POST", "/_sim/faults", "", `{"latency":0.25,"graph_forbidden":true,"routes":{"a":{"status":500},"b":{"status":502}}}`), 200)
	r := e.do(t, "POST", "/_sim/faults", "", `{"entra_secret":"expired","routes":{"a":null}}`)
	wantStatus(t, r, 200)
	f := e.s.CurrentFaults()
	if f.Latency != Duration(250*time.Millisecond) || !f.GraphForbidden || f.EntraSecret != SecretExpired {
		t.Fatalf("merged %+v", f)
	}
	if _, ok := f.Routes["a"]; ok || f.Routes["b"].Status != 502 {
		t.Fatalf("routes %+v", f.Routes)
	}
	m := r.json(t)
	if m["latency"] != "250ms" {
		t.Fatalf("answer %s", r.raw)
	}
	for _, bad := range []string{`{"entra_secret":"maybe"}`, `{"routes":{"x":{"error_rate":2}}}`, `{"routes":{"x":{"status":200}}}`, `{"latency":"soon"}`, `[`} {
		r := e.do(t, "POST", "/_sim/faults", "", bad)
		wantStatus(t, r, 400)
	}
	if e.s.CurrentFaults().EntraSecret != SecretExpired {
		t.Fatal("a refused document changed the faults")
	}
	wantStatus(t, e.do(t, "DELETE", "/_sim/faults", "", nil), 204)
	r = e.do(t, "GET", "/_sim/faults", "", nil)
	if string(r.raw) != "{}\n" {
		t.Fatalf("cleared faults %s", r.raw)
	}
}
