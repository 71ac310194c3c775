package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxBatch is the largest batch ingest accepts.
const MaxBatch = 500

// FieldError names one field that is wrong and why.
type FieldError struct {
	// Index is the event's position in a batch, or -1 for a single event.
	Index  int    `json:"index"`
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

func (f FieldError) String() string {
	if f.Index >= 0 {
		return fmt.Sprintf("[%d].%s: %s", f.Index, f.Field, f.Detail)
	}
	return f.Field + ": " + f.Detail
}

// ValidationError lists every invalid field of an event or batch.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.String()
	}
	return "invalid event: " + strings.Join(parts, "; ")
}

// ErrEmpty is returned for a body with no event in it.
var ErrEmpty = errors.New("no event in body")

// wire is the structured-mode shape before validation: time is a string so a
// bad value becomes a field error rather than a decode failure.
type wire struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Type            string          `json:"type"`
	Time            string          `json:"time"`
	DataContentType string          `json:"datacontenttype"`
	TraceParent     string          `json:"traceparent"`
	TraceState      string          `json:"tracestate"`
	Data            json.RawMessage `json:"data"`
}

// Decode reads one structured-mode CloudEvent and validates it.
func Decode(body []byte) (Event, error) {
	var w wire
	if err := json.Unmarshal(body, &w); err != nil {
		return Event{}, &ValidationError{Fields: []FieldError{{Index: -1, Field: "body", Detail: jsonDetail(err)}}}
	}
	ev, fields := w.event(-1)
	if len(fields) > 0 {
		return Event{}, &ValidationError{Fields: fields}
	}
	return ev, nil
}

// DecodeBatch reads a batched-mode body (a JSON array of structured events).
// Every invalid field of every event is reported, each with its index.
func DecodeBatch(body []byte) ([]Event, error) {
	var ws []wire
	if err := json.Unmarshal(body, &ws); err != nil {
		return nil, &ValidationError{Fields: []FieldError{{Index: -1, Field: "body", Detail: jsonDetail(err)}}}
	}
	if len(ws) == 0 {
		return nil, ErrEmpty
	}
	if len(ws) > MaxBatch {
		return nil, &ValidationError{Fields: []FieldError{{Index: -1, Field: "body",
			Detail: fmt.Sprintf("batch of %d events exceeds the limit of %d", len(ws), MaxBatch)}}}
	}
	events := make([]Event, len(ws))
	var fields []FieldError
	for i := range ws {
		ev, fe := ws[i].event(i)
		events[i] = ev
		fields = append(fields, fe...)
	}
	if len(fields) > 0 {
		return nil, &ValidationError{Fields: fields}
	}
	return events, nil
}

// DecodeStream reads JSON or NDJSON: a single event, an array of events, or
// one event per line, as `escalator publish` and `replay --file` take them.
func DecodeStream(body []byte) ([]Event, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, ErrEmpty
	}
	if trimmed[0] == '[' {
		return DecodeBatch(trimmed)
	}
	var events []Event
	var fields []FieldError
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	for i := 0; ; i++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			fields = append(fields, FieldError{Index: i, Field: "body", Detail: jsonDetail(err)})
			break
		}
		ev, err := Decode(raw)
		var ve *ValidationError
		if errors.As(err, &ve) {
			for _, f := range ve.Fields {
				f.Index = i
				fields = append(fields, f)
			}
			continue
		}
		events = append(events, ev)
	}
	if len(fields) > 0 {
		return nil, &ValidationError{Fields: fields}
	}
	return events, nil
}

// FromBinary reads a binary-mode CloudEvent: attributes in ce-* headers,
// the data as the body.
func FromBinary(h http.Header, body []byte) (Event, error) {
	w := wire{
		SpecVersion:     h.Get("ce-specversion"),
		ID:              h.Get("ce-id"),
		Source:          h.Get("ce-source"),
		Type:            h.Get("ce-type"),
		Time:            h.Get("ce-time"),
		DataContentType: h.Get("Content-Type"),
		TraceParent:     firstNonEmpty(h.Get("ce-traceparent"), h.Get("traceparent")),
		TraceState:      firstNonEmpty(h.Get("ce-tracestate"), h.Get("tracestate")),
		Data:            body,
	}
	ev, fields := w.event(-1)
	if len(fields) > 0 {
		return Event{}, &ValidationError{Fields: fields}
	}
	return ev, nil
}

func (w *wire) event(index int) (Event, []FieldError) {
	ev := Event{
		SpecVersion:     w.SpecVersion,
		ID:              w.ID,
		Source:          w.Source,
		Type:            w.Type,
		DataContentType: w.DataContentType,
		TraceParent:     w.TraceParent,
		TraceState:      w.TraceState,
	}
	v := validator{index: index}
	switch {
	case w.SpecVersion == "":
		v.add("specversion", "required")
	case w.SpecVersion != SpecVersion:
		v.add("specversion", fmt.Sprintf("must be %q, got %q", SpecVersion, w.SpecVersion))
	}
	switch {
	case w.ID == "":
		v.add("id", "required")
	case len(w.ID) > MaxIDLength:
		v.add("id", fmt.Sprintf("is %d characters, at most %d allowed", len(w.ID), MaxIDLength))
	}
	if w.Source == "" {
		v.add("source", "required")
	}
	if w.Type == "" {
		v.add("type", "required")
	} else if _, ok := Subject(w.Type); !ok {
		v.add("type", fmt.Sprintf("unknown type %q", w.Type))
	}
	if w.Time == "" {
		v.add("time", "required")
	} else if t, err := time.Parse(time.RFC3339Nano, w.Time); err != nil {
		v.add("time", "must be an RFC 3339 timestamp, e.g. 2026-11-25T09:14:03Z")
	} else {
		ev.Time = t
	}
	if w.TraceParent != "" && !validTraceParent(w.TraceParent) {
		v.add("traceparent", "must be a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>)")
	}
	if len(w.Data) == 0 || string(w.Data) == "null" {
		v.add("data", "required")
	} else if err := json.Unmarshal(w.Data, &ev.Data); err != nil {
		v.add(dataField(err), jsonDetail(err))
	} else {
		v.data(w.Type, &ev.Data)
	}
	return ev, v.fields
}

type validator struct {
	index  int
	fields []FieldError
}

func (v *validator) add(field, detail string) {
	v.fields = append(v.fields, FieldError{Index: v.index, Field: field, Detail: detail})
}

func (v *validator) data(eventType string, d *Data) {
	if Internal(eventType) {
		if d.Tick == nil || d.Tick.Name == "" {
			v.add("data.tick.name", "required")
		}
		return
	}
	switch {
	case d.Incident.SysID == "":
		v.add("data.incident.sys_id", "required")
	case !isSysID(d.Incident.SysID):
		v.add("data.incident.sys_id", "must be 32 hexadecimal characters")
	}
	if d.Incident.Number == "" {
		v.add("data.incident.number", "required")
	}
	if d.RequestedBy.UserName == "" {
		v.add("data.requested_by.user_name", "required")
	}
	if RoleGated(eventType) && len(d.RequestedBy.Roles) == 0 {
		v.add("data.requested_by.roles", "required for "+eventType)
	}
	if d.Escalation != nil && d.Escalation.Severity != "" && !validSeverity(d.Escalation.Severity) {
		v.add("data.escalation.severity", "must be one of minimal, moderate, critical, highestcriticalimpact")
	}
}

// RoleGated reports whether events of this type need a role.
func RoleGated(eventType string) bool {
	return eventType == TypeInsights || eventType == TypeEscalation
}

// Internal reports whether the type is one Escalator raises itself (ticks);
// ingest refuses those from outside.
func Internal(eventType string) bool {
	return eventType == TypeTickHealth || eventType == TypeTickCases
}

func validSeverity(s string) bool {
	switch strings.ToLower(s) {
	case "minimal", "moderate", "critical", "highestcriticalimpact":
		return true
	}
	return false
}

func isSysID(s string) bool {
	return len(s) == 32 && isHex(s)
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func validTraceParent(s string) bool {
	p := strings.Split(s, "-")
	return len(p) == 4 && len(p[0]) == 2 && len(p[1]) == 32 && len(p[2]) == 16 && len(p[3]) == 2 &&
		isHex(p[0]) && isHex(p[1]) && isHex(p[2]) && isHex(p[3]) &&
		strings.Trim(p[1], "0") != "" && strings.Trim(p[2], "0") != ""
}

func jsonDetail(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return "malformed JSON at byte " + strconv.FormatInt(se.Offset, 10) + ": " + se.Error()
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "value"
		}
		return fmt.Sprintf("%s must be a JSON %s, got %s", field, te.Type.Kind(), te.Value)
	}
	return "malformed JSON: " + err.Error()
}

// dataField names the data field a type error is about.
func dataField(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return "data." + te.Field
	}
	return "data"
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
