package sim

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestEntraV1NumbersAreStrings(t *testing.T) {
	e := newEnv(t, Config{})
	r := e.do(t, "POST", "/"+DefaultTenant+"/oauth2/token", "", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {DefaultClientID},
		"client_secret": {DefaultClientSecret}, "resource": {GraphResource},
	})
	wantStatus(t, r, 200)
	m := r.json(t)
	for _, k := range []string{"expires_in", "ext_expires_in", "expires_on", "not_before"} {
		v, ok := m[k].(string)
		if !ok {
			t.Fatalf("%s = %#v, want a string", k, m[k])
		}
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			t.Fatalf("%s = %q, want digits", k, v)
		}
	}
	if m["expires_in"] != "3599" || m["token_type"] != "Bearer" || m["resource"] != GraphResource {
		t.Fatalf("body %s", r.raw)
	}
	if m["expires_on"] != strconv.FormatInt(e.clk.Now().Add(time.Hour).Unix(), 10) {
		t.Fatalf("expires_on %v", m["expires_on"])
	}
	if tok, _ := m["access_token"].(string); len(tok) < 32 {
		t.Fatalf("access_token %q", tok)
	}
}

func TestEntraV2NumbersAreIntegers(t *testing.T) {
	e := newEnv(t, Config{})
	r := e.do(t, "POST", "/"+DefaultTenantID+"/oauth2/v2.0/token", "", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {DefaultClientID},
		"client_secret": {DefaultClientSecret}, "scope": {"https://management.azure.com//.default"},
	})
	wantStatus(t, r, 200)
	m := r.json(t)
	if v, ok := m["expires_in"].(float64); !ok || v != 3599 {
		t.Fatalf("expires_in %#v", m["expires_in"])
	}
	if _, ok := m["ext_expires_in"].(float64); !ok {
		t.Fatalf("ext_expires_in %#v", m["ext_expires_in"])
	}
	// the token is good for ARM
	tok := m["access_token"].(string)
	wantStatus(t, e.do(t, "GET", "/providers/Microsoft.Support/services?api-version="+APIVersion, tok, nil), 200)
}

func TestEntraBasicAuthCredentials(t *testing.T) {
	e := newEnv(t, Config{})
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {GraphResource}}
	req := strings.NewReader(form.Encode())
	hreq, _ := newFormRequest(e.ts.URL+"/"+DefaultTenant+"/oauth2/token", req)
	hreq.SetBasicAuth(DefaultClientID, DefaultClientSecret)
	res, err := e.ts.Client().Do(hreq)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
}

func TestEntraErrors(t *testing.T) {
	good := url.Values{"grant_type": {"client_credentials"}, "client_id": {DefaultClientID},
		"client_secret": {DefaultClientSecret}, "resource": {GraphResource}}
	with := func(k, v string) url.Values {
		c := url.Values{}
		for kk, vv := range good {
			c[kk] = vv
		}
		if v == "" {
			c.Del(k)
		} else {
			c.Set(k, v)
		}
		return c
	}
	tests := []struct {
		name    string
		tenant  string
		v2      bool
		form    url.Values
		faults  Faults
		status  int
		errName string
		code    int
	}{
		{"unknown tenant", "fabrikam.onmicrosoft.com", false, good, Faults{}, 400, "invalid_request", 90002},
		{"unknown client", DefaultTenant, false, with("client_id", "nope"), Faults{}, 400, "unauthorized_client", 700016},
		{"wrong secret", DefaultTenant, false, with("client_secret", "wrong"), Faults{}, 401, "invalid_client", 7000215},
		{"missing secret", DefaultTenant, false, with("client_secret", ""), Faults{}, 401, "invalid_client", 7000216},
		{"missing grant", DefaultTenant, false, with("grant_type", ""), Faults{}, 400, "invalid_request", 900144},
		{"other grant", DefaultTenant, false, with("grant_type", "password"), Faults{}, 400, "unsupported_grant_type", 70003},
		{"unknown resource", DefaultTenant, false, with("resource", "https://vault.azure.net"), Faults{}, 400, "invalid_resource", 500011},
		{"missing resource", DefaultTenant, false, with("resource", ""), Faults{}, 400, "invalid_request", 900144},
		{"v2 scope without .default", DefaultTenant, true, with("scope", "https://graph.microsoft.com/ServiceHealth.Read.All"), Faults{}, 400, "invalid_scope", 1002012},
		{"secret rejected", DefaultTenant, false, good, Faults{EntraSecret: SecretRejected}, 401, "invalid_client", 7000215},
		{"secret expired", DefaultTenant, false, good, Faults{EntraSecret: SecretExpired}, 401, "invalid_client", 7000222},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Config{})
			if err := e.s.SetFaults(tt.faults); err != nil {
				t.Fatal(err)
			}
			path := "/" + tt.tenant + "/oauth2/token"
			form := tt.form
			if tt.v2 {
				path = "/" + tt.tenant + "/oauth2/v2.0/token"
				form.Del("resource")
			}
			r := e.do(t, "POST", path, "", form)
			wantStatus(t, r, tt.status)
			m := r.json(t)
			if m["error"] != tt.errName {
				t.Errorf("error %v, want %s", m["error"], tt.errName)
			}
			codes, _ := m["error_codes"].([]any)
			if len(codes) != 1 || codes[0].(float64) != float64(tt.code) {
				t.Errorf("error_codes %v, want [%d]", m["error_codes"], tt.code)
			}
			desc, _ := m["error_description"].(string)
			if !strings.HasPrefix(desc, "AADSTS"+strconv.Itoa(tt.code)+":") {
				t.Errorf("error_description %q", desc)
			}
			for _, k := range []string{"timestamp", "trace_id", "correlation_id"} {
				if s, _ := m[k].(string); s == "" {
					t.Errorf("%s missing", k)
				}
			}
			if strings.Contains(string(r.raw), DefaultClientSecret) {
				t.Error("error body leaks the secret")
			}
		})
	}
}

func TestBearerValidation(t *testing.T) {
	e := newEnv(t, Config{})
	graph := e.token(t, GraphResource)
	arm := e.token(t, ARMResource)
	snow := e.snowToken(t)
	issues := "/v1.0/admin/serviceAnnouncement/issues"
	tickets := "/subscriptions/" + DefaultSubscription + "/providers/Microsoft.Support/supportTickets?api-version=" + APIVersion
	incident := "/api/now/table/incident/" + DefaultIncidentSysID
	tests := []struct {
		name, path, token string
		status            int
		code              string
	}{
		{"graph ok", issues, graph, 200, ""},
		{"graph missing", issues, "", 401, "InvalidAuthenticationToken"},
		{"graph unknown", issues, "garbage", 401, "InvalidAuthenticationToken"},
		{"graph wrong audience", issues, arm, 401, "InvalidAuthenticationToken"},
		{"arm ok", tickets, arm, 200, ""},
		{"arm missing", tickets, "", 401, "AuthenticationFailed"},
		{"arm unknown", tickets, "garbage", 401, "InvalidAuthenticationToken"},
		{"arm wrong audience", tickets, graph, 401, "InvalidAuthenticationTokenAudience"},
		{"snow ok", incident, snow, 200, ""},
		{"snow missing", incident, "", 401, ""},
		{"snow with an Entra token", incident, graph, 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, "GET", tt.path, tt.token, nil)
			wantStatus(t, r, tt.status)
			if tt.code != "" {
				if got := errCode(t, r); got != tt.code {
					t.Errorf("code %q, want %q", got, tt.code)
				}
				if r.header.Get("WWW-Authenticate") == "" {
					t.Error("no WWW-Authenticate")
				}
			}
			if tt.status == 401 && strings.HasPrefix(tt.path, "/api/now") {
				m := r.json(t)
				if m["status"] != "failure" {
					t.Errorf("ServiceNow error body %s", r.raw)
				}
			}
		})
	}
}

func TestTokenExpiry(t *testing.T) {
	e := newEnv(t, Config{})
	tok := e.token(t, GraphResource)
	issues := "/v1.0/admin/serviceAnnouncement/issues"
	wantStatus(t, e.do(t, "GET", issues, tok, nil), 200)
	e.clk.Advance(time.Hour)
	r := e.do(t, "GET", issues, tok, nil)
	wantStatus(t, r, 401)
	if !strings.Contains(string(r.raw), "expired") {
		t.Fatalf("body %s", r.raw)
	}

	arm := e.token(t, ARMResource)
	e.s.ExpireTokens()
	r = e.do(t, "GET", "/providers/Microsoft.Support/services?api-version="+APIVersion, arm, nil)
	wantStatus(t, r, 401)
	if errCode(t, r) != "ExpiredAuthenticationToken" {
		t.Fatalf("body %s", r.raw)
	}
}

func TestTokenLifetimeFault(t *testing.T) {
	e := newEnv(t, Config{})
	wantStatus(t, e.do(t, "POST", "/_sim/faults", "", `{"token_lifetime":"2s"}`), 200)
	r := e.do(t, "POST", "/"+DefaultTenant+"/oauth2/token", "", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {DefaultClientID},
		"client_secret": {DefaultClientSecret}, "resource": {GraphResource},
	})
	wantStatus(t, r, 200)
	m := r.json(t)
	if m["expires_in"] != "2" {
		t.Fatalf("expires_in %v", m["expires_in"])
	}
	tok := m["access_token"].(string)
	e.clk.Advance(2 * time.Second)
	wantStatus(t, e.do(t, "GET", "/v1.0/admin/serviceAnnouncement/issues", tok, nil), 401)
	snow := e.do(t, "POST", "/oauth_token.do", "", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {DefaultServiceNowClientID}, "client_secret": {DefaultServiceNowClientSecret},
	})
	if v := snow.json(t)["expires_in"]; v != float64(2) {
		t.Fatalf("ServiceNow expires_in %v", v)
	}
}
