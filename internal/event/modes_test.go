package event

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// attribute is a CloudEvents attribute: its JSON member and, in binary
// mode, its header.
type attribute struct{ name, header string }

var attributes = []attribute{
	{"specversion", "ce-specversion"},
	{"id", "ce-id"},
	{"source", "ce-source"},
	{"type", "ce-type"},
	{"time", "ce-time"},
	{"datacontenttype", "Content-Type"},
	{"traceparent", "ce-traceparent"},
	{"tracestate", "ce-tracestate"},
}

// outcome is what one mode made of an event: the event, or the fields
// named by its error (with the index, for a batch).
type outcome struct {
	mode   string
	ev     Event
	err    error
	fields []string
}

// decodeModes decodes one event in every mode: structured, a batch of
// one, and binary. attrs are its attributes (absent when not in the map);
// data is the data member's JSON text, nil for an event without data.
func decodeModes(t testing.TB, attrs map[string]string, data []byte) []outcome {
	t.Helper()
	var structured strings.Builder
	structured.WriteByte('{')
	for _, a := range attributes {
		v, ok := attrs[a.name]
		if !ok {
			continue
		}
		q, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		structured.WriteString(`"` + a.name + `":` + string(q) + `,`)
	}
	if data != nil {
		structured.WriteString(`"data":` + string(data))
	}
	body := strings.TrimSuffix(structured.String(), ",") + "}"

	var out []outcome
	ev, err := Decode([]byte(body))
	out = append(out, newOutcome("structured", ev, err))
	events, err := DecodeBatch([]byte("[" + body + "]"))
	var first Event
	if err == nil {
		if len(events) != 1 {
			t.Fatalf("batch of one decoded to %d events", len(events))
		}
		first = events[0]
	}
	out = append(out, newOutcome("batch", first, err))
	ev, err = DecodeBinary(binaryHeader(attrs), data)
	out = append(out, newOutcome("binary", ev, err))
	return out
}

// binaryHeader carries attrs as binary mode does.
func binaryHeader(attrs map[string]string) http.Header {
	h := http.Header{}
	for _, a := range attributes {
		if v, ok := attrs[a.name]; ok {
			h.Set(a.header, v)
		}
	}
	return h
}

func newOutcome(mode string, ev Event, err error) outcome {
	o := outcome{mode: mode, ev: ev, err: err}
	var ve *ValidationError
	if errors.As(err, &ve) {
		for _, f := range ve.Fields {
			o.fields = append(o.fields, f.Field)
		}
	}
	return o
}

// checkIndexes holds each mode to its index: -1 for a single event, 0 in
// the batch of one.
func checkIndexes(t testing.TB, o outcome) {
	t.Helper()
	want := -1
	if o.mode == "batch" {
		want = 0
	}
	var ve *ValidationError
	if errors.As(o.err, &ve) {
		for _, f := range ve.Fields {
			if f.Index != want {
				t.Fatalf("%s: %s has index %d, want %d", o.mode, f, f.Index, want)
			}
		}
	}
}

// sameInEveryMode fails unless every mode decoded the same event or
// refused it naming the same fields; it returns the structured outcome.
func sameInEveryMode(t testing.TB, outs []outcome) outcome {
	t.Helper()
	ref := outs[0]
	for _, o := range outs {
		checkIndexes(t, o)
		if (o.err == nil) != (ref.err == nil) {
			t.Fatalf("%s: %v\n%s: %v", ref.mode, ref.err, o.mode, o.err)
		}
		if o.err != nil && o.fields == nil {
			t.Fatalf("%s: error without fields: %v", o.mode, o.err)
		}
		if strings.Join(o.fields, ",") != strings.Join(ref.fields, ",") {
			t.Fatalf("%s refused %v\n%s refused %v", ref.mode, ref.err, o.mode, o.err)
		}
		if o.err == nil && !reflect.DeepEqual(o.ev, ref.ev) {
			t.Fatalf("%s decoded %+v\n%s decoded %+v", ref.mode, ref.ev, o.mode, o.ev)
		}
	}
	return ref
}

// exampleParts splits a contract example into attributes and data.
func exampleParts(t testing.TB, name string) (map[string]string, []byte) {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(readExample(t, name), &m); err != nil {
		t.Fatal(err)
	}
	attrs := map[string]string{}
	for _, a := range attributes {
		if raw, ok := m[a.name]; ok {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				t.Fatal(err)
			}
			attrs[a.name] = s
		}
	}
	return attrs, m["data"]
}

func TestExamplesDecodeTheSameInEveryMode(t *testing.T) {
	for _, name := range []string{"escalation-requested.json", "insights-requested.json", "incident-updated.json"} {
		t.Run(name, func(t *testing.T) {
			attrs, data := exampleParts(t, name)
			o := sameInEveryMode(t, decodeModes(t, attrs, data))
			if o.err != nil {
				t.Fatal(o.err)
			}
		})
	}
}
