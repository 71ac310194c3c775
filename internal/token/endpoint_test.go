package token

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/fault"
)

func TestEndpointShapes(t *testing.T) {
	f := newFakeEndpoint(t)
	sn, err := NewServiceNow(ServiceNowConfig{InstanceURL: f.srv.URL + "/", ClientID: testClientID,
		ClientSecret: testSecret, HTTPClient: f.srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		fetcher   Fetcher
		refreshIn int
		wantForm  map[string]string
		want      Grant
	}{
		{"entra v1 string numbers", f.entra(t, "v1"), 0,
			map[string]string{"resource": testResource, "scope": ""},
			Grant{ExpiresIn: 3599 * time.Second}},
		{"entra v2 integers and refresh_in", f.entra(t, "v2"), 1800,
			map[string]string{"scope": testResource + "/.default", "resource": ""},
			Grant{ExpiresIn: 3599 * time.Second, RefreshIn: 1800 * time.Second}},
		{"servicenow", sn, 0,
			map[string]string{"scope": "", "resource": ""},
			Grant{ExpiresIn: 3599 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.set(func(f *fakeEndpoint) { f.expiresIn, f.refreshIn, f.forms = 3599, tt.refreshIn, nil })
			g, err := tt.fetcher.Fetch(context.Background())
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if g.ExpiresIn != tt.want.ExpiresIn || g.RefreshIn != tt.want.RefreshIn {
				t.Errorf("grant lifetimes = %v, %v; want %v, %v", g.ExpiresIn, g.RefreshIn, tt.want.ExpiresIn, tt.want.RefreshIn)
			}
			if !strings.HasPrefix(g.AccessToken, "eyJ0eXAi.") {
				t.Errorf("access token %q", g.AccessToken)
			}
			form := f.forms[len(f.forms)-1]
			tt.wantForm["grant_type"] = "client_credentials"
			tt.wantForm["client_id"] = testClientID
			tt.wantForm["client_secret"] = testSecret // in the body, not a Basic header
			for k, v := range tt.wantForm {
				if got := strings.Join(form[k], ","); got != v {
					t.Errorf("form %s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestSecondsParsing(t *testing.T) {
	tests := []struct {
		in   any
		want time.Duration
		ok   bool
	}{
		{"3599", 3599 * time.Second, true},
		{" 60 ", time.Minute, true},
		{float64(86399), 86399 * time.Second, true},
		{"1.5", 1500 * time.Millisecond, true},
		{"", 0, false},
		{"NaN", 0, false},
		{"soon", 0, false},
		{"-5", 0, false},
		{nil, 0, false},
		{true, 0, false},
	}
	for _, tt := range tests {
		got, ok := seconds(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("seconds(%#v) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestEndpointErrors(t *testing.T) {
	tests := []struct {
		name      string
		fail      *fakeFailure
		secret    string // a wrong secret, to provoke the fake's invalid_client
		wantClass fault.Class
		wantCode  string
		wantAAD   int
		wantRetry time.Duration
		wantHTTP  int
	}{
		{name: "invalid secret AADSTS7000215", secret: "wrong-" + testSecret,
			wantClass: fault.Permanent, wantCode: "invalid_client", wantAAD: 7000215, wantHTTP: 401},
		{name: "tenant not found AADSTS90002", fail: &fakeFailure{status: 400,
			body: `{"error":"invalid_request","error_description":"AADSTS90002: Tenant 'nope' not found.","error_codes":[90002],"trace_id":"tr","correlation_id":"co"}`},
			wantClass: fault.Permanent, wantCode: "invalid_request", wantAAD: 90002, wantHTTP: 400},
		{name: "expired secret AADSTS7000222", fail: &fakeFailure{status: 401,
			body: `{"error":"invalid_client","error_description":"AADSTS7000222: The provided client secret keys are expired.","error_codes":[7000222]}`},
			wantClass: fault.Permanent, wantCode: "invalid_client", wantAAD: 7000222, wantHTTP: 401},
		{name: "server error 500", fail: &fakeFailure{status: 500, body: `{"error":"server_error"}`},
			wantClass: fault.Transient, wantCode: "server_error", wantHTTP: 500},
		{name: "throttled 429 with Retry-After", fail: &fakeFailure{status: 429, body: `{"error":"temporarily_unavailable"}`, retryAfter: "7"},
			wantClass: fault.Transient, wantCode: "temporarily_unavailable", wantRetry: 7 * time.Second, wantHTTP: 429},
		{name: "html 503", fail: &fakeFailure{status: 503, body: `<html>busy</html>`},
			wantClass: fault.Transient, wantHTTP: 503},
		{name: "servicenow 401 access_denied", fail: &fakeFailure{status: 401, body: `{"error_description":"access_denied","error":"server_error"}`},
			wantClass: fault.Permanent, wantCode: "server_error", wantHTTP: 401},
		{name: "endpoint echoes the secret", fail: &fakeFailure{status: 401,
			body: `{"error":"invalid_client","error_description":"bad secret ` + testSecret + `"}`},
			wantClass: fault.Permanent, wantCode: "invalid_client", wantHTTP: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeEndpoint(t)
			f.set(func(f *fakeEndpoint) { f.failWith = tt.fail })
			secret := testSecret
			if tt.secret != "" {
				secret = tt.secret
			}
			e, err := NewEntra(EntraConfig{LoginURL: f.srv.URL, Tenant: testTenant, ClientID: testClientID,
				ClientSecret: secret, Resource: testResource, HTTPClient: f.srv.Client()})
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.Fetch(context.Background())
			if err == nil {
				t.Fatal("Fetch succeeded")
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), testSecret) {
				t.Fatalf("error text leaks the secret: %v", err)
			}
			if got := fault.Classify(err); got != tt.wantClass {
				t.Errorf("class = %v, want %v (%v)", got, tt.wantClass, err)
			}
			var te *Error
			if !errors.As(err, &te) {
				t.Fatalf("error %T is not a *token.Error: %v", err, err)
			}
			if te.StatusCode != tt.wantHTTP || te.Code != tt.wantCode {
				t.Errorf("status, code = %d, %q; want %d, %q", te.StatusCode, te.Code, tt.wantHTTP, tt.wantCode)
			}
			if tt.wantAAD != 0 && !te.HasCode(tt.wantAAD) {
				t.Errorf("error codes %v lack %d", te.ErrorCodes, tt.wantAAD)
			}
			if got := fault.RetryAfter(err); got != tt.wantRetry {
				t.Errorf("RetryAfter = %v, want %v", got, tt.wantRetry)
			}
		})
	}
}

func TestEndpointNetworkErrorIsTransient(t *testing.T) {
	f := newFakeEndpoint(t)
	e := f.entra(t, "v1")
	f.srv.Close()
	_, err := e.Fetch(context.Background())
	if err == nil || fault.Classify(err) != fault.Transient {
		t.Fatalf("err = %v, class %v; want a transient error", err, fault.Classify(err))
	}
	if strings.Contains(err.Error(), testSecret) {
		t.Fatalf("error leaks the secret: %v", err)
	}
}

func TestNewEntraValidates(t *testing.T) {
	ok := EntraConfig{Tenant: testTenant, ClientID: testClientID, ClientSecret: testSecret, Resource: testResource}
	tests := []struct {
		name string
		edit func(*EntraConfig)
		want string
	}{
		{"missing secret and tenant", func(c *EntraConfig) { c.ClientSecret, c.Tenant = "", "" }, "missing tenant, client secret"},
		{"bad version", func(c *EntraConfig) { c.Version = "v3" }, `version "v3"`},
		{"relative login URL", func(c *EntraConfig) { c.LoginURL = "login.example" }, "login URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.edit(&cfg)
			_, err := NewEntra(cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
	e, err := NewEntra(ok)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Identity(); got.Authority != "https://login.microsoftonline.com" || got.Resource != testResource {
		t.Fatalf("identity %+v", got)
	}
	if _, err := NewServiceNow(ServiceNowConfig{InstanceURL: "https://x.service-now.com"}); err == nil {
		t.Fatal("NewServiceNow accepted a config without credentials")
	}
}

func TestEndpointErrorsNeverRepeatURLCredentials(t *testing.T) {
	f := newFakeEndpoint(t)
	u := strings.Replace(f.srv.URL, "http://", "http://ops:hunter2-url-password@", 1)
	sn, err := NewServiceNow(ServiceNowConfig{InstanceURL: u, ClientID: testClientID,
		ClientSecret: testSecret, HTTPClient: f.srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	f.srv.Close()
	_, err = sn.Fetch(context.Background())
	if err == nil {
		t.Fatal("Fetch against a closed server succeeded")
	}
	if strings.Contains(err.Error(), "hunter2-url-password") {
		t.Fatalf("error repeats the URL's password: %v", err)
	}
	if !strings.Contains(err.Error(), "token endpoint") {
		t.Fatalf("error does not name the endpoint: %v", err)
	}
}
