package outbound

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/fault"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 5, 30, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"1", time.Second, true},
		{" 120 ", 2 * time.Minute, true},
		{"1.5", 1500 * time.Millisecond, true},
		{"0.25", 250 * time.Millisecond, true},
		{"2.", 2 * time.Second, true},
		{"-1", 0, false},
		{"NaN", 0, false},
		{"Inf", 0, false},
		{"0x10", 0, false},
		{"1e3", 0, false},
		{"1e400", 0, false},
		{"99999999999999999999", 0, false},
		{"soon", 0, false},
		{"Fri, 30 May 2025 12:00:30 GMT", 30 * time.Second, true}, // IMF-fixdate
		{"Friday, 30-May-25 12:01:00 GMT", time.Minute, true},     // RFC 850
		{"Fri May 30 12:00:05 2025", 5 * time.Second, true},       // asctime
		{"Fri, 30 May 2025 11:00:00 GMT", 0, true},                // in the past: now
		{"Fri, 30 May 2025 12:00:30 +0000", 0, false},             // not an HTTP date
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := ParseRetryAfter(tt.in, now)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestStatusErrorFaultClass(t *testing.T) {
	tests := []struct {
		code int
		want fault.Class
	}{
		{400, fault.Permanent}, {401, fault.Permanent}, {403, fault.Permanent}, {404, fault.Permanent},
		{409, fault.Permanent}, {422, fault.Permanent},
		{408, fault.Transient}, {429, fault.Transient}, {500, fault.Transient}, {502, fault.Transient},
		{503, fault.Transient}, {504, fault.Transient},
	}
	for _, tt := range tests {
		err := error(&StatusError{StatusCode: tt.code, Retry: time.Second})
		if got := fault.Classify(fmtWrap(err)); got != tt.want {
			t.Errorf("Classify(%d) = %v, want %v", tt.code, got, tt.want)
		}
		if got := fault.RetryAfter(fmtWrap(err)); got != time.Second {
			t.Errorf("RetryAfter(%d) = %v, want 1s", tt.code, got)
		}
	}
}

func fmtWrap(err error) error { return errors.Join(errors.New("get incident"), err) }

// checkAnswer sends one request to a peer that answers status and body, and
// returns CheckResponse's error.
func checkAnswer(t *testing.T, status int, body string, header http.Header, auth string) *StatusError {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, strings.ReplaceAll(body, "$AUTH", r.Header.Get("Authorization")))
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL + "/api/now/table/incident/abc?sysparm_limit=1")
	u.User = url.UserPassword("admin", "basic-secret")
	req, _ := http.NewRequest(http.MethodGet, u.String(), nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	opts := fastOptions()
	opts.MaxAttempts = 1
	resp, err := NewClient(opts).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	err = CheckResponse(resp)
	var se *StatusError
	if !errors.As(err, &se) {
		t.Fatalf("CheckResponse = %v, want *StatusError", err)
	}
	return se
}

func TestCheckResponseOK(t *testing.T) {
	for _, code := range []int{200, 201, 202, 204} {
		resp := &http.Response{StatusCode: code, Body: io.NopCloser(strings.NewReader("{}"))}
		if err := CheckResponse(resp); err != nil {
			t.Errorf("CheckResponse(%d) = %v", code, err)
		}
	}
}

func TestStatusErrorNeverLeaksCredentials(t *testing.T) {
	const token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.secret-token-value"
	body := `{"error":{"code":"InvalidAuthenticationToken","message":"token $AUTH is expired"}}`
	se := checkAnswer(t, 401, body, nil, "Bearer "+token)
	for what, s := range map[string]string{"Error()": se.Error(), "Body": string(se.Body), "URL": se.URL, "Message": se.Message} {
		for _, secret := range []string{token, "basic-secret"} {
			if strings.Contains(s, secret) {
				t.Errorf("%s contains a credential: %s", what, s)
			}
		}
	}
	if se.Code != "InvalidAuthenticationToken" || se.StatusCode != 401 || se.Method != "GET" {
		t.Errorf("StatusError = %+v", se)
	}
}

func TestCheckResponseParsesErrorShapes(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		body        string
		header      http.Header
		wantCode    string
		wantMessage string
		wantRetry   time.Duration
	}{
		{
			name:        "graph",
			status:      429,
			body:        `{"error":{"code":"TooManyRequests","message":"Too many requests","innerError":{"request-id":"x"}}}`,
			header:      http.Header{"Retry-After": {"2.5"}},
			wantCode:    "TooManyRequests",
			wantMessage: "Too many requests",
			wantRetry:   2500 * time.Millisecond,
		},
		{
			name:        "servicenow",
			status:      404,
			body:        `{"error":{"message":"No Record found","detail":"Record doesn't exist or ACL restricts the record retrieval"},"status":"failure"}`,
			wantMessage: "No Record found: Record doesn't exist or ACL restricts the record retrieval",
		},
		{
			name:        "entra",
			status:      401,
			body:        `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 1\r\nCorrelation ID: 2","error_codes":[7000215]}`,
			wantCode:    "invalid_client",
			wantMessage: "AADSTS7000215: Invalid client secret provided.",
		},
		{
			name:        "problem",
			status:      503,
			body:        `{"type":"about:blank","title":"Service Unavailable","detail":"JetStream not ready"}`,
			wantCode:    "Service Unavailable",
			wantMessage: "JetStream not ready",
		},
		{name: "html", status: 502, body: `<html>Bad Gateway</html>`},
		{name: "empty", status: 500, body: ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			se := checkAnswer(t, tt.status, tt.body, tt.header, "")
			if se.Code != tt.wantCode || se.Message != tt.wantMessage || se.Retry != tt.wantRetry {
				t.Errorf("got code %q message %q retry %v; want %q %q %v",
					se.Code, se.Message, se.Retry, tt.wantCode, tt.wantMessage, tt.wantRetry)
			}
			if string(se.Body) != tt.body {
				t.Errorf("Body = %q, want %q", se.Body, tt.body)
			}
		})
	}
}

func TestCheckResponseBoundsBody(t *testing.T) {
	big := strings.Repeat("x", 64<<10)
	se := checkAnswer(t, 500, big, nil, "")
	if len(se.Body) != maxErrorBody {
		t.Errorf("Body length = %d, want %d", len(se.Body), maxErrorBody)
	}
}

func FuzzParseErrorBody(f *testing.F) {
	for _, s := range []string{
		`{"error":{"code":"x","message":"y"}}`,
		`{"error":{"message":"No Record found","detail":"d"},"status":"failure"}`,
		`{"error":"invalid_client","error_description":"a\nb"}`,
		`{"title":"t","detail":"d"}`,
		`{"error":{"code":42}}`,
		`[]`, `null`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		se := &StatusError{StatusCode: 500}
		se.Code, se.Message = parseErrorBody(body)
		_ = se.Error()
		_ = scrub(body, "Bearer abcd")
	})
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"1", "1.5", "-3", "Fri, 30 May 2025 12:00:30 GMT", "NaN", "1e999"} {
		f.Add(s)
	}
	now := time.Date(2025, 5, 30, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		if d, ok := ParseRetryAfter(v, now); d < 0 || (!ok && d != 0) {
			t.Errorf("ParseRetryAfter(%q) = %v, %v", v, d, ok)
		}
	})
}
