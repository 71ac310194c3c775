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

	jsonv2 "github.com/go-json-experiment/json"
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
// bad value becomes a field error rather than a decode failure. The whole
// event, data included, is decoded in one pass: the worker decodes every
// message, so a second scan of the body would be its largest cost.
type wire struct {
	SpecVersion     string `json:"specversion"`
	ID              string `json:"id"`
	Source          string `json:"source"`
	Type            string `json:"type"`
	Time            string `json:"time"`
	DataContentType string `json:"datacontenttype"`
	TraceParent     string `json:"traceparent"`
	TraceState      string `json:"tracestate"`
	Data            *Data  `json:"data"`

	// decodeErr is a field decoding already found wrong (a value of the
	// wrong JSON type; the rest was decoded), or nil.
	decodeErr *FieldError
}

// unmarshal decodes body into w. A value of the wrong type is kept as a
// field error (json.Unmarshal decodes the rest); malformed JSON is returned.
func (w *wire) unmarshal(body []byte) error {
	err := json.Unmarshal(body, w)
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "body"
		}
		w.decodeErr = &FieldError{Field: field, Detail: jsonDetail(err)}
		return nil
	}
	return err
}

// Decode reads one structured-mode CloudEvent and validates it.
//
// Valid events, nearly all of them, are decoded by a hand-written scanner
// (fast.go) with the semantics of the encoding/json/v2 prototype, to which
// it leaves anything unusual; several times faster than encoding/json: the
// worker decodes every message. It stops at the first problem, so a body it refuses is
// decoded again the slow way, to name every wrong field.
func Decode(body []byte) (Event, error) {
	var w wire
	fastErr := decodeFast(body, &w)
	if fastErr == nil {
		return w.validated()
	}
	return decodeSlow(body, fastErr)
}

func (w *wire) validated() (Event, error) {
	ev, fields := w.event(-1)
	if len(fields) > 0 {
		return Event{}, &ValidationError{Fields: fields}
	}
	return ev, nil
}

// decodeSlow decodes with encoding/json, which keeps going past a value of
// the wrong type, to report every invalid field. What encoding/json accepts
// but the strict decoder refused (a duplicate name, invalid UTF-8) is
// reported with the strict decoder's reason.
func decodeSlow(body []byte, fastErr error) (Event, error) {
	var w wire
	if err := w.unmarshal(body); err != nil {
		return Event{}, &ValidationError{Fields: []FieldError{{Index: -1, Field: "body", Detail: jsonDetail(err)}}}
	}
	ev, fields := w.event(-1)
	if len(fields) > 0 {
		return Event{}, &ValidationError{Fields: fields}
	}
	return ev, &ValidationError{Fields: []FieldError{{Index: -1, Field: "body", Detail: "malformed JSON: " + fastErr.Error()}}}
}

// DecodeBatch reads a batched-mode body (a JSON array of structured events).
// Every invalid field of every event is reported, each with its index.
func DecodeBatch(body []byte) ([]Event, error) {
	var ws []wire
	if err := jsonv2.Unmarshal(body, &ws); err == nil {
		return validateBatch(ws)
	}
	ws = nil
	err := json.Unmarshal(body, &ws)
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		// The error does not say which event: decode them one by one to
		// report each with its index (the rare path).
		var raws []json.RawMessage
		if err := json.Unmarshal(body, &raws); err != nil {
			return nil, &ValidationError{Fields: []FieldError{{Index: -1, Field: "body", Detail: jsonDetail(err)}}}
		}
		ws = make([]wire, len(raws))
		for i := range raws {
			_ = ws[i].unmarshal(raws[i]) // raws[i] is valid JSON: only type errors remain
		}
	} else if err != nil {
		return nil, &ValidationError{Fields: []FieldError{{Index: -1, Field: "body", Detail: jsonDetail(err)}}}
	}
	return validateBatch(ws)
}

func validateBatch(ws []wire) ([]Event, error) {
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
	}
	if len(bytes.TrimSpace(body)) > 0 {
		var d Data
		err := json.Unmarshal(body, &d)
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			w.decodeErr = &FieldError{Field: strings.TrimSuffix("data."+te.Field, "."), Detail: jsonDetail(err)}
			w.Data = &d
		case err != nil:
			w.decodeErr = &FieldError{Field: "data", Detail: jsonDetail(err)}
		default:
			w.Data = &d
		}
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
	if w.decodeErr != nil {
		v.add(w.decodeErr.Field, w.decodeErr.Detail)
		v.skip = w.decodeErr.Field
	}
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
	if w.Data == nil {
		v.add("data", "required")
	} else {
		ev.Data = *w.Data
		v.data(w.Type, &ev.Data)
	}
	return ev, v.fields
}

type validator struct {
	index  int
	fields []FieldError
	// skip is a field already reported by decoding: validation does not
	// report it again (a number where a string belongs is not also
	// "required").
	skip string
}

func (v *validator) add(field, detail string) {
	if field == v.skip || (v.skip != "" && field == "data" && strings.HasPrefix(v.skip, "data")) {
		return
	}
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

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
