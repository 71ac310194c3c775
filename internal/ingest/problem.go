package ingest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/escalator/escalator/internal/event"
)

// problemTypeBase prefixes the RFC 9457 type URIs of ingest's problems.
const problemTypeBase = "https://escalator.dev/problems/"

// problem is an RFC 9457 problem document.
type problem struct {
	Type   string         `json:"type"`
	Title  string         `json:"title"`
	Status int            `json:"status"`
	Detail string         `json:"detail,omitempty"`
	Errors []problemField `json:"errors,omitempty"`
	// Check names the signature check that failed: missing, malformed,
	// stale or mismatch.
	Check string `json:"check,omitempty"`

	// reason is logged, never sent: why the request was refused.
	reason string
	// retryAfter sets Retry-After on a 503.
	retryAfter time.Duration
	// header adds headers to the answer (WWW-Authenticate, Allow).
	header http.Header
	// events holds the type of each event the refused request held, as
	// far as it was read ("" for a type not read): the refused count.
	events []string
	// close ends the connection after the answer (Connection: close): the
	// body was not read, and reading it could wait for ever.
	close bool
}

// problemField is one invalid field; Index is omitted for a single event.
type problemField struct {
	Index  *int   `json:"index,omitempty"`
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

func (p *problem) Error() string { return p.Title + ": " + p.Detail }

func newProblem(status int, slug, title, detail string) *problem {
	return &problem{Type: problemTypeBase + slug, Title: title, Status: status, Detail: detail, reason: slug}
}

// closing marks the answer as the connection's last.
func (p *problem) closing() *problem {
	p.close = true
	return p
}

func invalid(fields []event.FieldError) *problem {
	p := newProblem(http.StatusBadRequest, "invalid-event", "Invalid event",
		"one or more fields are invalid; see errors")
	p.Errors = make([]problemField, len(fields))
	for i, f := range fields {
		pf := problemField{Field: f.Field, Detail: f.Detail}
		if f.Index >= 0 {
			idx := f.Index
			pf.Index = &idx
		}
		p.Errors[i] = pf
	}
	return p
}

func (p *problem) write(w http.ResponseWriter) {
	h := w.Header()
	for k, v := range p.header {
		h[k] = v
	}
	if p.Status == http.StatusServiceUnavailable && p.retryAfter > 0 {
		secs := int((p.retryAfter + time.Second - 1) / time.Second)
		h.Set("Retry-After", strconv.Itoa(secs))
	}
	if p.close {
		h.Set("Connection", "close")
	}
	body, _ := json.Marshal(p)
	body = append(body, '\n')
	h.Set("Content-Type", "application/problem+json")
	h.Set("X-Content-Type-Options", "nosniff")
	// A length, never chunks: hangUp flushes and closes right after.
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(p.Status)
	_, _ = w.Write(body)
}

// fieldNames lists the invalid fields for the log, without their details,
// which may quote the body.
func (p *problem) fieldNames() []string {
	names := make([]string, len(p.Errors))
	for i, f := range p.Errors {
		if f.Index != nil {
			names[i] = "[" + strconv.Itoa(*f.Index) + "]." + f.Field
		} else {
			names[i] = f.Field
		}
	}
	return names
}
