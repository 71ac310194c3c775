package escalation_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/escalator/escalator/escalation"
	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/outbound"
)

const dirTestToken = "graph-access-token-xyz"

type dirStaticToken string

func (s dirStaticToken) AccessToken(context.Context) (string, error) { return string(s), nil }

func dirFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "directory", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// dirGraph is a fake Graph serving fixtures by path, recording requests.
type dirGraph struct {
	mu       sync.Mutex
	requests []*http.Request
	routes   map[string]func(w http.ResponseWriter, r *http.Request)
}

func newDirGraph(t *testing.T) (*httptest.Server, *dirGraph) {
	t.Helper()
	g := &dirGraph{routes: map[string]func(http.ResponseWriter, *http.Request){}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		g.requests = append(g.requests, r)
		h, ok := g.routes[r.URL.EscapedPath()]
		g.mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+dirTestToken {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if !ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(dirFixture(t, "error_not_found.json")))
			return
		}
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, g
}

func (g *dirGraph) handle(path string, h func(w http.ResponseWriter, r *http.Request)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.routes[path] = h
}

func (g *dirGraph) serve(path, body string) {
	g.handle(path, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	})
}

// lookupServed serves fixture at path and looks up upn.
func lookupServed(t *testing.T, path, fixture, upn string) (escalation.User, *dirGraph) {
	t.Helper()
	srv, g := newDirGraph(t)
	g.serve(path, dirFixture(t, fixture))
	u, err := newTestDirectory(t, srv.URL).LookupUser(context.Background(), upn)
	if err != nil {
		t.Fatal(err)
	}
	return u, g
}

func newTestDirectory(t *testing.T, graphURL string) *escalation.Directory {
	t.Helper()
	d, err := escalation.NewDirectory(escalation.DirectoryConfig{
		GraphURL:   graphURL,
		Tokens:     dirStaticToken(dirTestToken),
		HTTPClient: outbound.NewClient(outbound.Options{Name: "graph", InitialBackoff: time.Millisecond}),
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestNewDirectoryValidates(t *testing.T) {
	tests := []struct {
		name    string
		cfg     escalation.DirectoryConfig
		wantErr bool
	}{
		{"default graph", escalation.DirectoryConfig{Tokens: dirStaticToken("x")}, false},
		{"custom graph", escalation.DirectoryConfig{GraphURL: "http://127.0.0.1:8081/", Tokens: dirStaticToken("x")}, false},
		{"no tokens", escalation.DirectoryConfig{GraphURL: "https://graph.microsoft.com"}, true},
		{"relative graph", escalation.DirectoryConfig{GraphURL: "graph.microsoft.com", Tokens: dirStaticToken("x")}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := escalation.NewDirectory(tt.cfg); (err != nil) != tt.wantErr {
				t.Errorf("NewDirectory = %v, wantErr %v", err, tt.wantErr)
			}
		})
	}
}

func TestLookupUser(t *testing.T) {
	u, g := lookupServed(t, "/v1.0/users/AdeleV@contoso.com", "user_select.json", "AdeleV@contoso.com")
	want := escalation.User{
		ID: "87d349ed-44d7-43e1-9a83-5f2406dee5bd", UserPrincipalName: "AdeleV@contoso.com",
		DisplayName: "Adele Vance", Mail: "AdeleV@contoso.com", GivenName: "Adele", Surname: "Vance",
		AccountEnabled: true, JobTitle: "Retail Manager", MobilePhone: "+1 425 555 0109",
		BusinessPhones: []string{"+1 425 555 0109"}, PreferredLanguage: "en-US", UsageLocation: "US",
	}
	if !reflect.DeepEqual(u, want) {
		t.Errorf("user = %+v\nwant   %+v", u, want)
	}
	sel := g.requests[0].URL.Query().Get("$select")
	for _, p := range []string{"accountEnabled", "userPrincipalName", "givenName", "surname", "mail"} {
		if !strings.Contains(sel, p) {
			t.Errorf("$select = %q lacks %s", sel, p)
		}
	}
}

func TestLookupUserDocumentedDefaultAnswer(t *testing.T) {
	const id = "87d349ed-44d7-43e1-9a83-5f2406dee5bd"
	u, _ := lookupServed(t, "/v1.0/users/"+id, "user_default.json", id)
	if u.DisplayName != "Adele Vance" || u.AccountEnabled {
		t.Errorf("user = %+v (accountEnabled absent must read as false)", u)
	}
}

func TestLookupUserEscapesPath(t *testing.T) {
	srv, g := newDirGraph(t)
	const guest = "adele_fabrikam.com#EXT#@contoso.onmicrosoft.com"
	g.serve("/v1.0/users/adele_fabrikam.com%23EXT%23@contoso.onmicrosoft.com", dirFixture(t, "user_select.json"))
	if _, err := newTestDirectory(t, srv.URL).LookupUser(context.Background(), guest); err != nil {
		t.Fatal(err)
	}
	_, err := newTestDirectory(t, srv.URL).LookupUser(context.Background(), "../../admin/serviceAnnouncement")
	if got := g.requests[1].URL.EscapedPath(); got != "/v1.0/users/..%2F..%2Fadmin%2FserviceAnnouncement" {
		t.Errorf("path = %s (err %v)", got, err)
	}
}

func TestLookupUserNotFound(t *testing.T) {
	srv, g := newDirGraph(t)
	_, err := newTestDirectory(t, srv.URL).LookupUser(context.Background(), "nobody@contoso.onmicrosoft.com")
	if !errors.Is(err, escalation.ErrUserNotFound) {
		t.Fatalf("err = %v, want ErrUserNotFound", err)
	}
	if fault.Classify(err) != fault.Permanent {
		t.Errorf("class = %v, want permanent", fault.Classify(err))
	}
	var se *outbound.StatusError
	if !errors.As(err, &se) || se.Code != "Request_ResourceNotFound" {
		t.Errorf("StatusError = %+v", se)
	}
	if strings.Contains(err.Error(), dirTestToken) {
		t.Errorf("error leaks the token: %v", err)
	}
	if len(g.requests) != 1 {
		t.Errorf("requests = %d, want 1 (a 404 is not retried)", len(g.requests))
	}
}

func TestLookupUserTransient(t *testing.T) {
	srv, g := newDirGraph(t)
	g.handle("/v1.0/users/admin@contoso.onmicrosoft.com", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "0.01")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	d, _ := escalation.NewDirectory(escalation.DirectoryConfig{
		GraphURL: srv.URL, Tokens: dirStaticToken(dirTestToken),
		HTTPClient: outbound.NewClient(outbound.Options{MaxAttempts: 1}),
	})
	_, err := d.LookupUser(context.Background(), "admin@contoso.onmicrosoft.com")
	if err == nil || errors.Is(err, escalation.ErrUserNotFound) || fault.Classify(err) != fault.Transient {
		t.Errorf("err = %v, want transient and not ErrUserNotFound", err)
	}
	if got := fault.RetryAfter(err); got != 10*time.Millisecond {
		t.Errorf("RetryAfter = %v, want 10ms", got)
	}
}

func TestDirectoryRoles(t *testing.T) {
	srv, g := newDirGraph(t)
	const id = "87d349ed-44d7-43e1-9a83-5f2406dee5bd"
	next := srv.URL + "/v1.0/users/" + id + "/memberOf?$skiptoken=page2"
	g.handle("/v1.0/users/"+id+"/memberOf", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("$skiptoken") == "page2" {
			_, _ = w.Write([]byte(dirFixture(t, "memberof_page2.json")))
			return
		}
		_, _ = w.Write([]byte(strings.ReplaceAll(dirFixture(t, "memberof_page1.json"), "{{NEXT}}", next)))
	})

	roles, err := newTestDirectory(t, srv.URL).DirectoryRoles(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	want := []escalation.Role{
		{ID: "5a48ab0f-c546-441f-832a-8ab48348e372", DisplayName: "Global Reader",
			Description:    "Can read everything that a Global Administrator can, but not update anything.",
			RoleTemplateID: "f2ef992c-3afb-46b9-b7cf-a126ee74c451"},
		{ID: "2f74a429-a429-2f74-29a4-742f29a4742f", DisplayName: "Global Administrator",
			Description:    "Can manage all aspects of Microsoft Entra ID and Microsoft services that use Microsoft Entra identities.",
			RoleTemplateID: "62e90394-69f5-4237-9190-012177145e10"},
	}
	if !reflect.DeepEqual(roles, want) {
		t.Errorf("roles = %+v\nwant    %+v", roles, want)
	}
	if len(g.requests) != 2 {
		t.Errorf("requests = %d, want 2 pages", len(g.requests))
	}
	if !escalation.IsAdminRole(roles[1]) || escalation.IsAdminRole(roles[0]) {
		t.Errorf("IsAdminRole: Global Administrator must be admin, Global Reader not")
	}
}

func TestDirectoryRolesRefusesForeignNextLink(t *testing.T) {
	srv, g := newDirGraph(t)
	const id = "u1"
	g.serve("/v1.0/users/u1/memberOf", strings.ReplaceAll(dirFixture(t, "memberof_page1.json"), "{{NEXT}}", "https://evil.example/steal?x=1"))
	_, err := newTestDirectory(t, srv.URL).DirectoryRoles(context.Background(), id)
	if err == nil || fault.Classify(err) != fault.Permanent {
		t.Errorf("err = %v, want a permanent refusal", err)
	}
}

func TestDirectoryRolesUserNotFound(t *testing.T) {
	srv, _ := newDirGraph(t)
	_, err := newTestDirectory(t, srv.URL).DirectoryRoles(context.Background(), "missing")
	if !errors.Is(err, escalation.ErrUserNotFound) {
		t.Errorf("err = %v, want ErrUserNotFound", err)
	}
}

func TestIsAdminRole(t *testing.T) {
	tests := []struct {
		template string
		want     bool
	}{
		{"62e90394-69f5-4237-9190-012177145e10", true}, // Global Administrator
		{"62E90394-69F5-4237-9190-012177145E10", true},
		{"f023fd81-a637-4b56-95fd-791ac0226033", true},  // Service Support Administrator
		{"29232cdf-9323-42fd-ade2-1d097af3e4de", true},  // Exchange Administrator
		{"f28a1f50-f6e7-4571-818b-6a12f2af6b6c", true},  // SharePoint Administrator
		{"69091246-20e8-4a56-aa4d-066075b2a7a8", true},  // Teams Administrator
		{"729827e3-9c14-49f7-bb1b-9608f156bbb8", true},  // Helpdesk Administrator
		{"75941009-915a-4869-abe7-691bff18279e", true},  // Skype for Business Administrator
		{"3a2c62db-5318-420d-8d74-23affee5d9d5", true},  // Intune Administrator
		{"f2ef992c-3afb-46b9-b7cf-a126ee74c451", false}, // Global Reader
		{"88d8e3e3-8f55-4a1e-953a-9b9898b8876b", false}, // Directory Readers
		{"", false},
	}
	for _, tt := range tests {
		if got := escalation.IsAdminRole(escalation.Role{RoleTemplateID: tt.template, DisplayName: "Global Administrator"}); got != tt.want {
			t.Errorf("IsAdminRole(%q) = %v, want %v", tt.template, got, tt.want)
		}
	}
}
