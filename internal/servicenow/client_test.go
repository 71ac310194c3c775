package servicenow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/outbound"
)

const testToken = "snow-access-token-123"

type staticToken string

func (s staticToken) AccessToken(context.Context) (string, error) { return string(s), nil }

type failingToken struct{}

func (failingToken) AccessToken(context.Context) (string, error) {
	return "", errors.New("token endpoint unreachable")
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// seen is what the fake instance received.
type seen struct {
	mu       sync.Mutex
	requests []*http.Request
	bodies   []map[string]string
}

func (s *seen) add(r *http.Request) {
	var body map[string]string
	if b, _ := io.ReadAll(r.Body); len(b) > 0 {
		_ = json.Unmarshal(b, &body)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
	s.bodies = append(s.bodies, body)
}

func (s *seen) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// answer is one scripted reply of the fake instance.
type answer struct {
	status int
	body   []byte
}

// instance serves answers in order (the last repeats) and records requests.
func instance(t *testing.T, answers ...answer) (*httptest.Server, *seen) {
	t.Helper()
	s := &seen{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.add(r)
		a := answers[min(s.count()-1, len(answers)-1)]
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		_, _ = w.Write(a.body)
	}))
	t.Cleanup(srv.Close)
	return srv, s
}

func newClient(t *testing.T, baseURL string) *Client {
	t.Helper()
	c, err := New(Config{
		BaseURL:    baseURL,
		Tokens:     staticToken(testToken),
		HTTPClient: outbound.NewClient(outbound.Options{Name: "servicenow", InitialBackoff: time.Millisecond}),
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr bool
	}{
		{"oauth", Config{BaseURL: "https://contoso.service-now.com", Tokens: staticToken("x")}, false},
		{"basic", Config{BaseURL: "https://contoso.service-now.com/", Username: "u", Password: "p"}, false},
		{"no base", Config{Tokens: staticToken("x")}, true},
		{"relative base", Config{BaseURL: "contoso.service-now.com", Tokens: staticToken("x")}, true},
		{"ftp base", Config{BaseURL: "ftp://contoso.service-now.com", Tokens: staticToken("x")}, true},
		{"no credentials", Config{BaseURL: "https://contoso.service-now.com"}, true},
		{"no password", Config{BaseURL: "https://contoso.service-now.com", Username: "u"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if (err != nil) != tt.wantErr {
				t.Errorf("New = %v, wantErr %v", err, tt.wantErr)
			}
		})
	}
}

func TestGetIncident(t *testing.T) {
	srv, s := instance(t, answer{200, fixture(t, "get_incident.json")})
	inc, err := newClient(t, srv.URL).GetIncident(context.Background(), "a9e30c7dc61122760116894de7bcc7bd")
	if err != nil {
		t.Fatal(err)
	}
	r := s.requests[0]
	if r.Method != http.MethodGet || r.URL.Path != "/api/now/table/incident/a9e30c7dc61122760116894de7bcc7bd" {
		t.Errorf("request = %s %s", r.Method, r.URL.Path)
	}
	if r.URL.Query().Get("sysparm_exclude_reference_link") != "true" {
		t.Errorf("query = %q, want sysparm_exclude_reference_link=true", r.URL.RawQuery)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer "+testToken {
		t.Errorf("Authorization = %q", got)
	}
	want := Incident{
		SysID: "a9e30c7dc61122760116894de7bcc7bd", Number: "INC0000046",
		ShortDescription: "Can't access SFA software", State: StateNew, Priority: "3", Impact: "1",
		Urgency: "3", Category: "software", AssignmentGroup: "8a4dde73c6112278017a6a4baf547aa7",
	}
	inc.Fields = nil
	if !reflect.DeepEqual(inc, want) {
		t.Errorf("incident = %+v\nwant       %+v", inc, want)
	}
}

func TestDecodeReferenceAndDisplayValues(t *testing.T) {
	inc, err := decodeOne(fixture(t, "get_incident.json"))
	if err != nil {
		t.Fatal(err)
	}
	for field, want := range map[string]string{
		"caller_id":    "46c6f9efa9fe198101ddf5eed9adf6e7",
		"sys_domain":   "global",
		"contact_type": "phone",
		"number":       "INC0000046",
		"work_notes":   "",
	} {
		if got, ok := inc.Fields[field]; !ok || got != want {
			t.Errorf("Fields[%s] = %q (present %v), want %q", field, got, ok, want)
		}
	}
	inc, err = decodeOne(fixture(t, "display_value_all.json"))
	if err != nil {
		t.Fatal(err)
	}
	if inc.State != "2" || inc.Number != "INC0010023" || inc.AssignmentGroup != "d625dccec0a8016700a222a0f7900d06" {
		t.Errorf("display_value=all decoded as %+v", inc)
	}
	inc, err = decodeOne([]byte(`{"result":{"sys_id":"x","reassignment_count":3,"active":true,"parent":null}}`))
	if err != nil {
		t.Fatal(err)
	}
	if inc.Fields["reassignment_count"] != "3" || inc.Fields["active"] != "true" || inc.Fields["parent"] != "" {
		t.Errorf("non-string values decoded as %v", inc.Fields)
	}
	for _, bad := range []string{`{}`, `{"result":null}`, `{"result":"x"}`, `{"result":{"a":[1]}}`, `nope`} {
		if _, err := decodeOne([]byte(bad)); err == nil {
			t.Errorf("decodeOne(%s) succeeded", bad)
		}
	}
}

func TestBasicAuthFallback(t *testing.T) {
	srv, s := instance(t, answer{200, fixture(t, "get_incident.json")})
	c, err := New(Config{BaseURL: srv.URL, Username: "escalator", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetIncident(context.Background(), "a9e30c7dc61122760116894de7bcc7bd"); err != nil {
		t.Fatal(err)
	}
	if u, p, ok := s.requests[0].BasicAuth(); !ok || u != "escalator" || p != "pw" {
		t.Errorf("basic auth = %q %q %v", u, p, ok)
	}
}

func TestPatchIncident(t *testing.T) {
	tests := []struct {
		name      string
		fields    map[string]string
		answers   []answer
		wantCalls int
		wantErr   bool
	}{
		{"sets fields", map[string]string{"urgency": "1"}, []answer{{200, nil}}, 1, false},
		{"field update retried", map[string]string{"correlation_id": "MS-1"}, []answer{{503, nil}, {200, nil}}, 2, false},
		{"journal not retried", map[string]string{"state": "6", "work_notes": "x"}, []answer{{503, nil}, {200, nil}}, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range tt.answers {
				if tt.answers[i].body == nil {
					tt.answers[i].body = fixture(t, "patch_incident.json")
				}
			}
			srv, s := instance(t, tt.answers...)
			inc, err := newClient(t, srv.URL).PatchIncident(context.Background(), "ef43c6d40a0a0b5700c77f9bf387afe3", tt.fields)
			if (err != nil) != tt.wantErr {
				t.Fatalf("PatchIncident = %v, wantErr %v", err, tt.wantErr)
			}
			if s.count() != tt.wantCalls {
				t.Errorf("requests = %d, want %d", s.count(), tt.wantCalls)
			}
			r := s.requests[0]
			if r.Method != http.MethodPatch || r.URL.Path != "/api/now/table/incident/ef43c6d40a0a0b5700c77f9bf387afe3" {
				t.Errorf("request = %s %s", r.Method, r.URL.Path)
			}
			if r.Header.Get("Content-Type") != "application/json" {
				t.Errorf("Content-Type = %q", r.Header.Get("Content-Type"))
			}
			for k, v := range tt.fields {
				if s.bodies[0][k] != v {
					t.Errorf("body[%s] = %q, want %q", k, s.bodies[0][k], v)
				}
			}
			if err == nil && (inc.Number != "INC0000050" || inc.Urgency != "1" || inc.State != StateInProgress) {
				t.Errorf("incident = %+v", inc)
			}
		})
	}
}

func TestCreateIncident(t *testing.T) {
	srv, s := instance(t, answer{201, fixture(t, "create_incident.json")})
	fields := map[string]string{"short_description": "Unable to connect to office wifi", "urgency": "2", "impact": "2"}
	inc, err := newClient(t, srv.URL).CreateIncident(context.Background(), fields)
	if err != nil {
		t.Fatal(err)
	}
	if r := s.requests[0]; r.Method != http.MethodPost || r.URL.Path != "/api/now/table/incident" {
		t.Errorf("request = %s %s", r.Method, r.URL.Path)
	}
	if s.bodies[0]["short_description"] != fields["short_description"] {
		t.Errorf("body = %v", s.bodies[0])
	}
	if inc.SysID != "c537bae64f411200adf9f8e18110c76e" || inc.Number != "INC0010002" {
		t.Errorf("incident = %+v", inc)
	}
}

func TestCreateIncidentNotRetried(t *testing.T) {
	srv, s := instance(t, answer{503, nil}, answer{201, fixture(t, "create_incident.json")})
	_, err := newClient(t, srv.URL).CreateIncident(context.Background(), map[string]string{"short_description": "x"})
	if err == nil || fault.Classify(err) != fault.Transient {
		t.Errorf("err = %v, want a transient error", err)
	}
	if s.count() != 1 {
		t.Errorf("requests = %d, want 1 (a create is not repeated)", s.count())
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name         string
		status       int
		body         string
		wantClass    fault.Class
		wantNotFound bool
		wantMessage  string
	}{
		{"not found", 404, "error_not_found.json", fault.Permanent, true, "No Record found: Record doesn't exist or ACL restricts the record retrieval"},
		{"unauthenticated", 401, "error_unauthenticated.json", fault.Permanent, false, "User Not Authenticated: Required to provide Auth information"},
		{"unavailable", 503, "", fault.Transient, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body []byte
			if tt.body != "" {
				body = fixture(t, tt.body)
			}
			srv, _ := instance(t, answer{tt.status, body})
			c := newClient(t, srv.URL)
			c.table.Client = outbound.NewClient(outbound.Options{MaxAttempts: 1})
			_, err := c.GetIncident(context.Background(), "9d385017c611228701d22104cc95c371")
			if err == nil {
				t.Fatal("GetIncident succeeded")
			}
			if got := fault.Classify(err); got != tt.wantClass {
				t.Errorf("class = %v, want %v (%v)", got, tt.wantClass, err)
			}
			if errors.Is(err, ErrNotFound) != tt.wantNotFound {
				t.Errorf("errors.Is(ErrNotFound) = %v, want %v", !tt.wantNotFound, tt.wantNotFound)
			}
			var se *outbound.StatusError
			if !errors.As(err, &se) || se.StatusCode != tt.status || se.Message != tt.wantMessage {
				t.Errorf("StatusError = %+v, want status %d message %q", se, tt.status, tt.wantMessage)
			}
			if !strings.Contains(err.Error(), "get incident 9d385017c611228701d22104cc95c371") {
				t.Errorf("error lacks context: %v", err)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("error leaks the token: %v", err)
			}
		})
	}
}

func TestTokenError(t *testing.T) {
	srv, s := instance(t, answer{200, fixture(t, "get_incident.json")})
	c, _ := New(Config{BaseURL: srv.URL, Tokens: failingToken{}})
	if _, err := c.GetIncident(context.Background(), "x"); err == nil || !strings.Contains(err.Error(), "token endpoint unreachable") {
		t.Errorf("err = %v", err)
	}
	if s.count() != 0 {
		t.Errorf("requests = %d, want none without a token", s.count())
	}
}

func TestPathEscaping(t *testing.T) {
	srv, s := instance(t, answer{200, fixture(t, "get_incident.json")})
	_, _ = newClient(t, srv.URL).GetIncident(context.Background(), "../sys_user/x?y")
	if got := s.requests[0].URL.EscapedPath(); got != "/api/now/table/incident/..%2Fsys_user%2Fx%3Fy" {
		t.Errorf("path = %s", got)
	}
}

func TestFindIncidents(t *testing.T) {
	t.Run("pages", func(t *testing.T) {
		var mu sync.Mutex
		var offsets []string
		const total = DefaultPageSize + 3
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			mu.Lock()
			offsets = append(offsets, q.Get("sysparm_offset"))
			mu.Unlock()
			if r.URL.Path != "/api/now/table/incident" || q.Get("sysparm_query") != "correlation_id=MS-1^active=true" {
				http.Error(w, "bad request "+r.URL.String(), 400)
				return
			}
			var off int
			_, _ = fmt.Sscan(q.Get("sysparm_offset"), &off)
			var recs []map[string]string
			for i := off; i < min(off+DefaultPageSize, total); i++ {
				recs = append(recs, map[string]string{"sys_id": fmt.Sprintf("%032d", i), "number": fmt.Sprintf("INC%07d", i)})
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"result": recs})
		}))
		t.Cleanup(srv.Close)
		got, err := newClient(t, srv.URL).FindIncidents(context.Background(), "correlation_id=MS-1^active=true")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != total || got[total-1].Number != fmt.Sprintf("INC%07d", total-1) {
			t.Errorf("found %d incidents, want %d", len(got), total)
		}
		if strings.Join(offsets, ",") != fmt.Sprintf("0,%d", DefaultPageSize) {
			t.Errorf("offsets = %v", offsets)
		}
	})
	t.Run("documented example", func(t *testing.T) {
		srv, _ := instance(t, answer{200, fixture(t, "list_records.json")})
		got, err := newClient(t, srv.URL).FindIncidents(context.Background(), "active=false")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].SysID != "04ce72c9c0a8016600b5b7f75ac67b5b" || got[0].CloseNotes != "updated firmware" {
			t.Errorf("got %+v", got)
		}
	})
	t.Run("404 is none", func(t *testing.T) {
		srv, _ := instance(t, answer{404, fixture(t, "error_not_found.json")})
		got, err := newClient(t, srv.URL).FindIncidents(context.Background(), "number=INC0")
		if err != nil || len(got) != 0 {
			t.Errorf("got %v, %v; want none", got, err)
		}
	})
	t.Run("empty", func(t *testing.T) {
		srv, _ := instance(t, answer{200, []byte(`{"result":[]}`)})
		got, err := newClient(t, srv.URL).FindIncidents(context.Background(), "number=INC0")
		if err != nil || len(got) != 0 {
			t.Errorf("got %v, %v; want none", got, err)
		}
	})
}

func TestIsResolvedOrClosed(t *testing.T) {
	for state, want := range map[string]bool{
		StateNew: false, StateInProgress: false, StateOnHold: false,
		StateResolved: true, StateClosed: true, StateCanceled: true, "": false,
	} {
		if got := (Incident{State: state}).IsResolvedOrClosed(); got != want {
			t.Errorf("IsResolvedOrClosed(%q) = %v, want %v", state, got, want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, name := range []string{"get_incident.json", "list_records.json", "display_value_all.json", "error_not_found.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"result":{"a":{"value":{"value":1}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if inc, err := decodeOne(data); err == nil && inc.Fields == nil {
			t.Errorf("decoded without fields: %q", data)
		}
		_, _ = decodeMany(data)
	})
}
