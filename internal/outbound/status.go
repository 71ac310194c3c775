package outbound

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/escalator/escalator/internal/fault"
)

// maxErrorBody bounds how much of an error answer is read and kept.
const maxErrorBody = 4 << 10

// StatusError is a non-2xx answer. It holds no request headers, so neither
// its fields nor its text can leak the Authorization header.
type StatusError struct {
	Method     string
	URL        string // redacted: no userinfo
	StatusCode int
	Body       []byte        // first 4 KiB of the answer, credentials scrubbed
	Retry      time.Duration // parsed Retry-After, zero when absent
	// Code and Message come from the body when it has a known error shape
	// (Graph/ARM, ServiceNow, Entra, RFC 9457); both may be empty.
	Code, Message string
}

func (e *StatusError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d %s", e.Method, e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	switch {
	case e.Code != "" && e.Message != "":
		fmt.Fprintf(&b, ": %s: %s", e.Code, e.Message)
	case e.Code != "":
		fmt.Fprintf(&b, ": %s", e.Code)
	case e.Message != "":
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	return b.String()
}

// FaultClass implements fault.Classifier: the class of the status
// (fault.StatusClass).
func (e *StatusError) FaultClass() fault.Class { return fault.StatusClass(e.StatusCode) }

// RetryAfter implements fault.RetryAfterer.
func (e *StatusError) RetryAfter() time.Duration { return e.Retry }

// holdStatus says which answers, with a Retry-After, hold the whole
// service rather than the one request: Microsoft's and ServiceNow's
// throttling (429) and their "come back later" (503) limit the app or the
// user, so every other request would get the same.
func holdStatus(code int) bool {
	return code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable
}

// CheckResponse returns nil for a 2xx answer. Otherwise it reads (at most
// 4 KiB of) and closes the body and returns a *StatusError.
func CheckResponse(resp *http.Response) error {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	_ = resp.Body.Close()

	e := &StatusError{StatusCode: resp.StatusCode}
	if req := resp.Request; req != nil {
		e.Method = req.Method
		if req.URL != nil {
			e.URL = redactURL(req.URL)
		}
		body = scrub(body, req.Header.Get("Authorization"))
	}
	e.Body = body
	if d, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
		e.Retry = d
	}
	e.Code, e.Message = parseErrorBody(body)
	return e
}

func redactURL(u *url.URL) string {
	c := *u
	c.User = nil
	return c.String()
}

// scrub removes the credential of auth (and the whole header value) from
// body, in case a peer echoes the request back in its error.
func scrub(body []byte, auth string) []byte {
	if auth == "" || len(body) == 0 {
		return body
	}
	s := string(body)
	if _, cred, ok := strings.Cut(auth, " "); ok && len(cred) >= 4 {
		s = strings.ReplaceAll(s, cred, "[REDACTED]")
	}
	if len(auth) >= 4 {
		s = strings.ReplaceAll(s, auth, "[REDACTED]")
	}
	return []byte(s)
}

// parseErrorBody knows the error shapes of the peers we call.
func parseErrorBody(body []byte) (code, message string) {
	var v struct {
		Error            json.RawMessage `json:"error"`
		ErrorDescription string          `json:"error_description"` // Entra
		Title            string          `json:"title"`             // RFC 9457
		Detail           string          `json:"detail"`            // RFC 9457
		Message          string          `json:"message"`
	}
	if json.Unmarshal(body, &v) != nil {
		return "", ""
	}
	if len(v.Error) > 0 {
		var obj struct {
			Code    any    `json:"code"` // Graph/ARM: string; some peers: number
			Message string `json:"message"`
			Detail  string `json:"detail"` // ServiceNow
		}
		var str string
		switch {
		case json.Unmarshal(v.Error, &obj) == nil:
			code = anyString(obj.Code)
			message = obj.Message
			if obj.Detail != "" && obj.Detail != obj.Message {
				if message != "" {
					message += ": "
				}
				message += obj.Detail
			}
			return code, message
		case json.Unmarshal(v.Error, &str) == nil: // Entra: "error":"invalid_client"
			return str, firstLine(v.ErrorDescription)
		}
	}
	if v.Title != "" || v.Detail != "" {
		if v.Detail != "" {
			return v.Title, v.Detail
		}
		return "", v.Title
	}
	return "", v.Message
}

func anyString(v any) string {
	switch c := v.(type) {
	case string:
		return c
	case float64:
		return strconv.FormatFloat(c, 'f', -1, 64)
	}
	return ""
}

// firstLine keeps Entra's multi-line descriptions (trace ids, timestamps) short.
func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\r\n")
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// ParseRetryAfter reads a Retry-After value: delay seconds (Graph sends
// fractional ones) or an HTTP date. A date in the past means "now" (0, true).
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		// ParseFloat accepts "NaN", "Inf" and hex; a delay is plain digits.
		if secs < 0 || secs != secs || secs > float64(1<<62)/float64(time.Second) || !isDecimal(v) {
			return 0, false
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	if d := t.Sub(now); d > 0 {
		return d, true
	}
	return 0, true
}

func isDecimal(s string) bool {
	dot := false
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
		case r == '.' && !dot:
			dot = true
		case r == '+' && i == 0:
		default:
			return false
		}
	}
	return true
}
