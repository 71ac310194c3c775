package token

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// FuzzClassify feeds arbitrary error bodies, as a hostile or broken token
// endpoint could send, through the error builder: it must not panic, and
// the secret must never reach the error text.
func FuzzClassify(f *testing.F) {
	f.Add(401, `{"error":"invalid_client","error_description":"AADSTS7000215: x","error_codes":[7000215],"trace_id":"t","correlation_id":"c"}`)
	f.Add(500, `<html>oops</html>`)
	f.Add(429, `{"error_codes":"not a list"}`)
	f.Add(400, `{"error_description":"echo `+testSecret+`"}`)
	f.Fuzz(func(t *testing.T, status int, body string) {
		re := &oauth2.RetrieveError{
			Response: &http.Response{StatusCode: status, Header: http.Header{"Retry-After": {body}}},
			Body:     []byte(body),
		}
		err := classify("https://login.example/t/oauth2/token", testSecret, re)
		var te *Error
		if !errors.As(err, &te) {
			t.Fatalf("classify returned %T", err)
		}
		if strings.Contains(err.Error(), testSecret) {
			t.Fatalf("secret in error text: %q", err.Error())
		}
		_ = te.FaultClass()
	})
}

// FuzzSeconds parses expires_in / refresh_in strings as Entra v1 sends them.
func FuzzSeconds(f *testing.F) {
	for _, s := range []string{"3599", "1.5", "", "-1", "1e308", "NaN", "Inf"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, ok := seconds(s); ok && d <= 0 {
			t.Fatalf("seconds(%q) = %v, ok", s, d)
		}
	})
}
