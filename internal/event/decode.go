package event

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
)

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
}

// Decode reads one structured-mode CloudEvent and validates it.
//
// Valid events, nearly all of them, are decoded by a hand-written scanner
// with the semantics of the encoding/json/v2 prototype, to which it leaves
// anything unusual (fast.go says what it gains). Every invalid field is
// reported.
func Decode(body []byte) (Event, error) {
	var w wire
	return w.validated(-1, decodeEvent(body, &w))
}

// validated is the event of w, or every problem with it: decoding's, then
// validation's. After a fatal problem nothing else is checked.
func (w *wire) validated(index int, d decoded) (Event, error) {
	if d.fatal {
		return Event{}, &ValidationError{Fields: withIndex(d.problems, index)}
	}
	ev, fields := w.event(index, d)
	if len(fields) > 0 {
		return Event{}, &ValidationError{Fields: fields}
	}
	return ev, nil
}

func withIndex(fields []FieldError, index int) []FieldError {
	for i := range fields {
		fields[i].Index = index
	}
	return fields
}

// DecodeBinary reads a binary-mode CloudEvent: attributes in ce-* headers,
// the data as the body, decoded and validated as the same event in
// structured mode would be. A body of only whitespace is an event without
// data.
func DecodeBinary(h http.Header, body []byte) (Event, error) {
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
	var d decoded // attributes from headers: their characters are checked
	if len(bytes.TrimSpace(body)) > 0 {
		d = decodeData(body, &w.Data)
	}
	return w.validated(-1, d)
}

// DecodeStream reads JSON or NDJSON: a single event, an array of events, or
// one event per line, as `escalator publish` and `replay --file` take them.
// Each event is decoded as Decode decodes it.
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
	dec := newShapeDecoder(trimmed)
	for i := 0; ; i++ {
		raw, err := dec.ReadValue()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			fields = append(fields, FieldError{Index: i, Field: "body", Detail: "malformed JSON: " + strings.TrimPrefix(err.Error(), "jsontext: ")})
			break
		}
		ev, err := Decode(raw)
		var ve *ValidationError
		if errors.As(err, &ve) {
			fields = append(fields, withIndex(ve.Fields, i)...)
			continue
		}
		events = append(events, ev)
	}
	if len(fields) > 0 {
		return nil, &ValidationError{Fields: fields}
	}
	return events, nil
}

// newShapeDecoder reads JSON for its shape only (where one value ends):
// the strictness of each event is Decode's, so that its problems carry the
// event's index.
func newShapeDecoder(body []byte) *jsontext.Decoder {
	return jsontext.NewDecoder(bytes.NewReader(body), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
