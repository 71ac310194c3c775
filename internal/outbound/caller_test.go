package outbound

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/escalator/escalator/internal/fault"
)

const callerToken = "tok-3f9a7c1e"

type staticToken string

func (s staticToken) AccessToken(context.Context) (string, error) { return string(s), nil }

type failingToken struct{}

func (failingToken) AccessToken(context.Context) (string, error) {
	return "", errors.New("token endpoint unreachable")
}

// ctxToken answers with the value the request's context carries, to show
// the token is asked for with that context.
type ctxToken struct{}

type tokenKey struct{}

func (ctxToken) AccessToken(ctx context.Context) (string, error) {
	v, _ := ctx.Value(tokenKey{}).(string)
	return v, nil
}

// peer answers every request with status, header and body and records the
// last request it received.
func peer(t *testing.T, status int, header http.Header, body string) (*httptest.Server, *recorder) {
	t.Helper()
	rec := &recorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.note(r)
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, rec
}

func (rec *recorder) header(i int) http.Header {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.headers[i]
}

func newGet(t *testing.T, ctx context.Context, target string) *http.Request {
	t.Helper()
	req, err := NewJSONRequest(ctx, http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func TestCallerSendsHeaders(t *testing.T) {
	tests := []struct {
		name       string
		tokens     TokenSource
		prepare    func(*http.Request)
		wantAuth   string
		wantAccept string
	}{
		{"bearer token", staticToken(callerToken), nil, "Bearer " + callerToken, "application/json"},
		{"no token source keeps basic auth", nil, func(r *http.Request) { r.SetBasicAuth("user", "pw") },
			"Basic dXNlcjpwdw==", "application/json"},
		{"no token source, no auth", nil, nil, "", "application/json"},
		{"an Accept of the request stays", staticToken(callerToken), func(r *http.Request) { r.Header.Set("Accept", "text/plain") },
			"Bearer " + callerToken, "text/plain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, rec := peer(t, http.StatusOK, nil, `{}`)
			req := newGet(t, context.Background(), srv.URL)
			if tt.prepare != nil {
				tt.prepare(req)
			}
			c := Caller{Client: srv.Client(), Tokens: tt.tokens}
			if _, err := c.Send(req); err != nil {
				t.Fatal(err)
			}
			h := rec.header(0)
			if got := h.Get("Authorization"); got != tt.wantAuth {
				t.Errorf("Authorization = %q, want %q", got, tt.wantAuth)
			}
			if got := h.Get("Accept"); got != tt.wantAccept {
				t.Errorf("Accept = %q, want %q", got, tt.wantAccept)
			}
		})
	}
}

func TestCallerAsksTokenWithRequestContext(t *testing.T) {
	srv, rec := peer(t, http.StatusOK, nil, `{}`)
	ctx := context.WithValue(context.Background(), tokenKey{}, "from-ctx")
	c := Caller{Client: srv.Client(), Tokens: ctxToken{}}
	if _, err := c.Send(newGet(t, ctx, srv.URL)); err != nil {
		t.Fatal(err)
	}
	if got := rec.header(0).Get("Authorization"); got != "Bearer from-ctx" {
		t.Errorf("Authorization = %q", got)
	}
}

func TestCallerTokenErrorSendsNothing(t *testing.T) {
	tests := []struct{ peer, want string }{
		{"graph", "graph token: token endpoint unreachable"},
		{"", "access token: token endpoint unreachable"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			srv, rec := peer(t, http.StatusOK, nil, `{}`)
			c := Caller{Client: srv.Client(), Tokens: failingToken{}, Peer: tt.peer}
			_, err := c.Send(newGet(t, context.Background(), srv.URL))
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
			if n := rec.count(); n != 0 {
				t.Errorf("%d requests sent without a token", n)
			}
		})
	}
}

func TestCallerAnswer(t *testing.T) {
	srv, _ := peer(t, http.StatusAccepted, http.Header{"Location": {"/op/1"}}, `{"status":"InProgress"}`)
	c := Caller{Client: srv.Client(), Tokens: staticToken(callerToken)}
	ans, err := c.Send(newGet(t, context.Background(), srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	if ans.StatusCode != http.StatusAccepted || ans.Header.Get("Location") != "/op/1" || string(ans.Body) != `{"status":"InProgress"}` {
		t.Errorf("answer = %d %v %q", ans.StatusCode, ans.Header, ans.Body)
	}
}

func TestCallerBoundsBody(t *testing.T) {
	tests := []struct {
		name    string
		max     int64
		size    int
		wantErr bool
	}{
		{"at the bound", 16, 16, false},
		{"one byte over", 16, 17, true},
		{"default bound", 0, defaultMaxBody, false},
		{"over the default bound", 0, defaultMaxBody + 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := peer(t, http.StatusOK, nil, strings.Repeat("x", tt.size))
			c := Caller{Client: srv.Client(), MaxBody: tt.max}
			ans, err := c.Send(newGet(t, context.Background(), srv.URL))
			if tt.wantErr {
				if err == nil || fault.Classify(err) != fault.Permanent || !strings.Contains(err.Error(), "answer larger than") {
					t.Errorf("err = %v, want a permanent 'answer larger than'", err)
				}
				return
			}
			if err != nil || len(ans.Body) != tt.size {
				t.Errorf("got %d bytes, err %v; want %d", len(ans.Body), err, tt.size)
			}
		})
	}
}

func TestCallerStatusErrors(t *testing.T) {
	errMissing := errors.New("missing")
	tests := []struct {
		name        string
		status      int
		notFound    error
		wantMissing bool
		wantClass   fault.Class
	}{
		{"404 joined with the sentinel", 404, errMissing, true, fault.Permanent},
		{"404 without a sentinel", 404, nil, false, fault.Permanent},
		{"403 is not not-found", 403, errMissing, false, fault.Permanent},
		{"503 is transient", 503, errMissing, false, fault.Transient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The peer echoes the token: the error must not carry it.
			srv, _ := peer(t, tt.status, nil, `{"error":{"code":"E","message":"seen Bearer `+callerToken+`"}}`)
			c := Caller{Client: srv.Client(), Tokens: staticToken(callerToken), NotFound: tt.notFound}
			_, err := c.Send(newGet(t, context.Background(), srv.URL))
			var se *StatusError
			if !errors.As(err, &se) || se.StatusCode != tt.status {
				t.Fatalf("err = %v, want a *StatusError %d", err, tt.status)
			}
			if got := errors.Is(err, errMissing); got != tt.wantMissing {
				t.Errorf("errors.Is(sentinel) = %v, want %v", got, tt.wantMissing)
			}
			if got := fault.Classify(err); got != tt.wantClass {
				t.Errorf("class = %v, want %v", got, tt.wantClass)
			}
			if strings.Contains(err.Error(), callerToken) {
				t.Errorf("error leaks the token: %v", err)
			}
		})
	}
}

func TestNewJSONRequest(t *testing.T) {
	tests := []struct {
		name            string
		target          string
		body            any
		wantBody        string
		wantContentType string
		wantErr         bool
	}{
		{"no body", "http://example.test/x", nil, "", "", false},
		{"JSON body", "http://example.test/x", map[string]string{"a": "b"}, `{"a":"b"}`, "application/json", false},
		{"body that is not JSON", "http://example.test/x", make(chan int), "", "", true},
		{"bad URL", "http://example.test/%zz", nil, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := NewJSONRequest(context.Background(), http.MethodPatch, tt.target, tt.body)
			if tt.wantErr {
				if err == nil || fault.Classify(err) != fault.Permanent {
					t.Fatalf("err = %v, want a permanent error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := req.Header.Get("Content-Type"); got != tt.wantContentType {
				t.Errorf("Content-Type = %q, want %q", got, tt.wantContentType)
			}
			if tt.body == nil {
				if req.Body != nil && req.Body != http.NoBody {
					t.Error("request without a body has one")
				}
				return
			}
			// Twice: the body must be replayable for a retry.
			for range 2 {
				rc, err := req.GetBody()
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(rc)
				if string(b) != tt.wantBody {
					t.Errorf("body = %q, want %q", b, tt.wantBody)
				}
			}
		})
	}
}
