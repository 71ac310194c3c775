package event

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// examples are the contract examples in testdata.
func examples(f *testing.F) [][]byte {
	files, _ := filepath.Glob("testdata/*.json")
	var out [][]byte
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	if len(out) == 0 {
		f.Fatal("no examples in testdata")
	}
	return out
}

// FuzzDecode decodes structured events: a refusal names fields, a valid
// event survives a round trip, and the same event sent as a batch of one
// and in binary mode (when its attributes can be headers) gives the same
// result or the same error fields.
func FuzzDecode(f *testing.F) {
	for _, b := range examples(f) {
		f.Add(b)
	}
	for _, s := range fastSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := Decode(body)
		outs := []outcome{newOutcome("structured", ev, err)}
		if attrs, data, ok := asModes(body); ok {
			outs = append(outs, decodeModes(t, attrs, data)...)
		}
		sameInEveryMode(t, outs)
		_, _ = DecodeStream(body)
		if err != nil {
			return
		}
		// A valid event re-encodes to the same event.
		b, err := ev.Marshal()
		if err != nil {
			t.Fatalf("marshal valid event: %v", err)
		}
		again, err := Decode(b)
		if err != nil {
			t.Fatalf("valid event did not survive a round trip: %v", err)
		}
		if !reflect.DeepEqual(again.Data, ev.Data) || again.ID != ev.ID || !again.Time.Equal(ev.Time) {
			t.Fatalf("round trip changed the event:\n%+v\n%+v", ev, again)
		}
	})
}

// asModes splits a structured event into its attributes and data when
// another mode can carry the same event: one object, whose names outside
// data are unique and well-formed, whose attributes are strings.
func asModes(body []byte) (map[string]string, []byte, bool) {
	var members []struct {
		name  string
		value jsontext.Value
	}
	dec := newShapeDecoder(body)
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil, nil, false
	}
	for dec.PeekKind() != '}' {
		rawName, err := dec.ReadValue()
		if err != nil || !rawName.IsValid() {
			return nil, nil, false // a name no JSON string holds
		}
		var name string
		if jsonv2.Unmarshal(rawName, &name) != nil {
			return nil, nil, false
		}
		value, err := dec.ReadValue()
		if err != nil {
			return nil, nil, false
		}
		members = append(members, struct {
			name  string
			value jsontext.Value
		}{name, bytes.Clone(value)})
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, nil, false
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return nil, nil, false
	}
	attrs := map[string]string{}
	var data []byte
	seen := map[string]bool{}
	for _, m := range members {
		if seen[m.name] {
			return nil, nil, false
		}
		seen[m.name] = true
		if m.name == "data" {
			data = m.value
			continue
		}
		if !m.value.IsValid() {
			return nil, nil, false
		}
		for _, a := range attributes {
			if m.name != a.name {
				continue
			}
			if m.value.Kind() != '"' || jsonv2.Unmarshal(m.value, new(string)) != nil {
				return nil, nil, false
			}
			var s string
			_ = jsonv2.Unmarshal(m.value, &s)
			attrs[a.name] = s
		}
	}
	return attrs, data, true
}

// FuzzDecodeBatch decodes batches: each event of a batch is decoded as
// Decode decodes it alone, its problems carrying its index, and the one
// pass over a plain batch gives what decoding event by event gives.
func FuzzDecodeBatch(f *testing.F) {
	ex := examples(f)
	for _, b := range ex {
		f.Add([]byte("[" + string(b) + "]"))
	}
	f.Add([]byte("[" + string(bytes.Join(ex, []byte(","))) + "]"))
	f.Add([]byte(`[{"id":"a","id":"b"},` + string(ex[0]) + `]`))
	f.Add([]byte(`[null, {}, 1, "x", []]`))
	f.Add([]byte(`null`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`[` + string(ex[0])))
	f.Fuzz(func(t *testing.T, body []byte) {
		events, err := DecodeBatch(body)
		split, splitErr := splitBatch(body)
		if fmt.Sprint(err) != fmt.Sprint(splitErr) || !reflect.DeepEqual(events, split) {
			t.Fatalf("one pass: %v\nevent by event: %v", err, splitErr)
		}
		raws, ok := batchValues(body)
		if !ok {
			var ve *ValidationError
			if !errors.Is(err, ErrEmpty) && (!errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != "body") {
				t.Fatalf("not a batch, yet %v", err)
			}
			return
		}
		if len(raws) == 0 || len(raws) > MaxBatch {
			if err == nil {
				t.Fatalf("batch of %d accepted", len(raws))
			}
			return
		}
		var want []string
		var wantEvents []Event
		for i, raw := range raws {
			ev, err := Decode(raw)
			var ve *ValidationError
			if errors.As(err, &ve) {
				for _, f := range ve.Fields {
					want = append(want, fmt.Sprintf("[%d].%s", i, f.Field))
				}
			}
			wantEvents = append(wantEvents, ev)
		}
		var got []string
		var ve *ValidationError
		if errors.As(err, &ve) {
			for _, f := range ve.Fields {
				got = append(got, fmt.Sprintf("[%d].%s", f.Index, f.Field))
			}
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("batch refused %v\nalone, its events %v", got, want)
		}
		if err == nil && !reflect.DeepEqual(events, wantEvents) {
			t.Fatalf("batch decoded %+v\nalone, its events %+v", events, wantEvents)
		}
	})
}

// batchValues are the values of a JSON array, read for shape only.
func batchValues(body []byte) ([][]byte, bool) {
	dec := newShapeDecoder(body)
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '[' {
		return nil, false
	}
	var out [][]byte
	for dec.PeekKind() != ']' {
		v, err := dec.ReadValue()
		if err != nil {
			return nil, false
		}
		out = append(out, bytes.Clone(v))
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, false
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return nil, false
	}
	return out, true
}

// FuzzDecodeBinary decodes binary-mode events: the attributes as headers,
// the data as the body, give what the same event gives in structured mode
// and as a batch of one.
func FuzzDecodeBinary(f *testing.F) {
	for _, b := range examples(f) {
		var m map[string]jsontext.Value
		if err := jsonv2.Unmarshal(b, &m); err != nil {
			f.Fatal(err)
		}
		attr := func(name string) string {
			var s string
			_ = jsonv2.Unmarshal(m[name], &s)
			return s
		}
		f.Add(attr("id"), attr("source"), attr("type"), attr("time"), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", []byte(m["data"]))
	}
	f.Add("a", "s", TypeUpdated, "2026-11-25T11:30:00Z", "", []byte(`{"incident":{"number":"1","number":"2"}}`))
	f.Add("a\x00", "s\xff", TypeUpdated, "2026-11-25T11:30:00Z", "", []byte(`null`))
	f.Add("a", "s", TypeUpdated, "2026-11-25T11:30:00Z", "", []byte(`{},"x":1`))
	f.Add("a", "s", TypeUpdated, "2026-11-25T11:30:00Z", "", []byte("  \n"))
	f.Fuzz(func(t *testing.T, id, source, typ, tm, traceparent string, data []byte) {
		attrs := map[string]string{"specversion": SpecVersion, "id": id, "source": source, "type": typ, "time": tm,
			"datacontenttype": "application/json", "traceparent": traceparent}
		for _, a := range attributes {
			if v, ok := attrs[a.name]; ok && !utf8.ValidString(v) {
				// No JSON string holds it: binary mode alone can send it.
				_, err := DecodeBinary(binaryHeader(attrs), data)
				var ve *ValidationError
				if !errors.As(err, &ve) || len(ve.Fields) == 0 {
					t.Fatalf("invalid UTF-8 in %s accepted: %v", a.name, err)
				}
				return
			}
		}
		if len(bytes.TrimSpace(data)) == 0 {
			ev, err := DecodeBinary(binaryHeader(attrs), data)
			outs := []outcome{newOutcome("binary, blank body", ev, err)}
			sameInEveryMode(t, append(outs, decodeModes(t, attrs, nil)...))
			return
		}
		if _, ok := batchValues([]byte("[" + string(data) + "]")); !ok || len(jsonValues(data)) != 1 {
			// Not one JSON value: malformed in binary mode.
			_, err := DecodeBinary(binaryHeader(attrs), data)
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != "body" {
				t.Fatalf("malformed data: %v", err)
			}
			return
		}
		sameInEveryMode(t, decodeModes(t, attrs, data))
	})
}

// jsonValues are the top-level values in b, read for shape only; nil if
// b is not a sequence of values.
func jsonValues(b []byte) [][]byte {
	dec := newShapeDecoder(b)
	var out [][]byte
	for {
		v, err := dec.ReadValue()
		if err == io.EOF {
			return out
		}
		if err != nil {
			return nil
		}
		out = append(out, v)
	}
}
