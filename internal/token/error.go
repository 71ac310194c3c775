package token

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/redact"
)

// Error is a token endpoint's refusal, with the fields Entra and ServiceNow
// put in their error bodies. It never carries the client secret or a token:
// it is built field by field from the answer, not from the request, and the
// description is scrubbed of the secret in case an endpoint echoes it.
type Error struct {
	// Endpoint is the token URL that answered.
	Endpoint string
	// StatusCode is the HTTP status (0 when a 2xx body carried an error).
	StatusCode int
	// Code is RFC 6749's "error", e.g. "invalid_client".
	Code string
	// Description is "error_description", truncated to 512 bytes.
	Description string
	// ErrorCodes are Entra's AADSTS numbers, e.g. 7000215 (invalid secret).
	ErrorCodes []int
	// TraceID and CorrelationID identify the request to Microsoft support.
	TraceID, CorrelationID string
	// Retry is the Retry-After the endpoint asked for, if any.
	Retry time.Duration
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "token endpoint %s", e.Endpoint)
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, ": %d", e.StatusCode)
	}
	if e.Code != "" {
		fmt.Fprintf(&b, " %s", e.Code)
	}
	for _, c := range e.ErrorCodes {
		fmt.Fprintf(&b, " AADSTS%d", c)
	}
	if e.TraceID != "" || e.CorrelationID != "" {
		fmt.Fprintf(&b, " (trace_id=%s correlation_id=%s)", e.TraceID, e.CorrelationID)
	}
	if e.Description != "" {
		fmt.Fprintf(&b, ": %s", e.Description)
	}
	return b.String()
}

// FaultClass is the class of the status (fault.StatusClass), and transient
// too for Entra's temporarily_unavailable: a wrong secret, tenant or client
// id does not heal by retrying.
func (e *Error) FaultClass() fault.Class {
	if e.Code == "temporarily_unavailable" {
		return fault.Transient
	}
	return fault.StatusClass(e.StatusCode)
}

// RetryAfter is the endpoint's Retry-After, zero when it sent none.
func (e *Error) RetryAfter() time.Duration { return e.Retry }

// HasCode reports whether Entra listed the AADSTS code n, e.g. 7000222
// (expired secret); doctor uses it to name the fix.
func (e *Error) HasCode(n int) bool {
	for _, c := range e.ErrorCodes {
		if c == n {
			return true
		}
	}
	return false
}

// errorBody is the JSON error shape of Entra (all fields) and ServiceNow
// (error, error_description).
type errorBody struct {
	Error         string `json:"error"`
	Description   string `json:"error_description"`
	ErrorCodes    []int  `json:"error_codes"`
	TraceID       string `json:"trace_id"`
	CorrelationID string `json:"correlation_id"`
}

const maxDescription = 512

// classify turns what x/oauth2 returned into a *Error (endpoint refusals) or
// a transient error (network and protocol trouble), never repeating secret.
func classify(endpoint, secret string, err error) error {
	// A URL may carry credentials (https://user:pass@…): never repeat them.
	endpoint = redact.URL(endpoint)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		// Network errors: *url.Error names the URL, never the form body.
		var ue *url.Error
		if errors.As(err, &ue) && ue == err {
			masked := *ue
			masked.URL = redact.URL(ue.URL)
			err = &masked
		}
		return fault.AsTransient(fmt.Errorf("token endpoint %s: %w", endpoint, err), 0)
	}
	e := &Error{Endpoint: endpoint, Code: re.ErrorCode, Description: re.ErrorDescription}
	if re.Response != nil {
		if re.Response.StatusCode < 200 || re.Response.StatusCode > 299 {
			e.StatusCode = re.Response.StatusCode
		}
		e.Retry = parseRetryAfter(re.Response.Header.Get("Retry-After"))
	}
	var body errorBody
	if json.Unmarshal(re.Body, &body) == nil {
		if e.Code == "" {
			e.Code = body.Error
		}
		if e.Description == "" {
			e.Description = body.Description
		}
		e.ErrorCodes, e.TraceID, e.CorrelationID = body.ErrorCodes, body.TraceID, body.CorrelationID
	}
	e.Code = scrub(e.Code, secret, 64)
	e.Description = scrub(e.Description, secret, maxDescription)
	e.TraceID = scrub(e.TraceID, secret, 64)
	e.CorrelationID = scrub(e.CorrelationID, secret, 64)
	return e
}

// scrub removes secret from s and bounds its length.
func scrub(s, secret string, limit int) string {
	if secret != "" {
		s = strings.ReplaceAll(s, secret, "[redacted]")
	}
	if len(s) > limit {
		s = strings.ToValidUTF8(s[:limit], "") + "…"
	}
	return s
}

// parseRetryAfter reads delay-seconds (possibly fractional) or an HTTP date.
func parseRetryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}
