package event

import (
	"errors"
	"strings"
	"testing"
)

// TestEveryModeRefusesMalformedJSON: what the strict decoder refuses in a
// structured event (a repeated member name, invalid UTF-8) every mode
// refuses, naming the body; a batch names the event's index.
func TestEveryModeRefusesMalformedJSON(t *testing.T) {
	attrs, data := exampleParts(t, "escalation-requested.json")
	good := string(data)
	tests := []struct {
		name string
		data string
	}{
		{"repeated member in data", strings.Replace(good, `"number":`, `"number": "INC0000001", "number":`, 1)},
		{"repeated member in data, other spelling", strings.Replace(good, `"requested_by": {`, `"requested_by": {"user_name": "mallory", `, 1)},
		{"repeated data member", strings.Replace(good, `"incident": {`, `"change": {}, "change": {}, "incident": {`, 1)},
		{"invalid UTF-8 in a value", strings.Replace(good, `"beth.anglin"`, "\"beth\xff.anglin\"", 1)},
		{"invalid UTF-8 in a name", strings.Replace(good, `"category"`, "\"cat\xc3egory\"", 1)},
		{"lone surrogate escape", strings.Replace(good, `"beth.anglin"`, `"beth\ud800anglin"`, 1)},
		{"truncated", good[:len(good)/2]},
		{"trailing garbage", good + " x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, o := range decodeModes(t, attrs, []byte(tt.data)) {
				checkIndexes(t, o)
				if strings.Join(o.fields, ",") != "body" {
					t.Errorf("%s: want one error on body, got %v", o.mode, o.err)
				}
			}
		})
	}
}

// TestBatchRefusesAMalformedEventByIndex: a repeated name in the second
// event of a batch is that event's problem, reported beside the others'.
func TestBatchRefusesAMalformedEventByIndex(t *testing.T) {
	good := string(readExample(t, "insights-requested.json"))
	dup := strings.Replace(good, `"id":`, `"id": "first", "id":`, 1)
	noSource := strings.Replace(good, `"source":`, `"ignored":`, 1)
	_, err := DecodeBatch([]byte("[" + good + "," + dup + "," + noSource + "]"))
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want *ValidationError, got %v", err)
	}
	var got []string
	for _, f := range ve.Fields {
		got = append(got, f.String())
	}
	if len(got) != 2 || !strings.HasPrefix(got[0], "[1].body: malformed JSON: duplicate") || !strings.HasPrefix(got[1], "[2].source: required") {
		t.Fatalf("got %q", got)
	}
}

// TestWrongTypesAreNamedInEveryMode: a value of the wrong type is named by
// its place, the same in every mode, and the rest is still validated.
func TestWrongTypesAreNamedInEveryMode(t *testing.T) {
	attrs, data := exampleParts(t, "escalation-requested.json")
	good := string(data)
	tests := []struct {
		name, data string
		fields     []string
	}{
		{"number as a number", strings.Replace(good, `"INC0010023"`, `10023`, 1), []string{"data.incident.number"}},
		{"role as a number", strings.Replace(good, `["itil", `, `["itil", 7, `, 1), []string{"data.requested_by.roles[1]"}},
		{"roles as a string", strings.Replace(good, `["itil", "x_mioms_m365_assis.administrator"]`, `"itil"`, 1), []string{"data.requested_by.roles"}},
		{"incident as a string", strings.Replace(good, `"incident": {`, `"incident": "INC1", "x": {`, 1), []string{"data.incident"}},
		{"two at once", strings.Replace(strings.Replace(good, `"INC0010023"`, `true`, 1), `"critical"`, `3`, 1),
			[]string{"data.incident.number", "data.escalation.severity"}},
		{"data as an array", `[1]`, []string{"data"}},
		{"data as null", `null`, []string{"data"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := sameInEveryMode(t, decodeModes(t, attrs, []byte(tt.data)))
			if strings.Join(o.fields, ",") != strings.Join(tt.fields, ",") {
				t.Fatalf("fields %v, want %v (%v)", o.fields, tt.fields, o.err)
			}
		})
	}
}

func TestBinaryWithoutDataIsAnEventWithoutData(t *testing.T) {
	attrs, _ := exampleParts(t, "escalation-requested.json")
	for _, data := range [][]byte{nil, []byte("  \n")} {
		for _, o := range decodeModes(t, attrs, nil) {
			if strings.Join(o.fields, ",") != "data" {
				t.Errorf("%s: want data required, got %v", o.mode, o.err)
			}
		}
		if _, err := DecodeBinary(binaryHeader(attrs), data); err == nil || !strings.Contains(err.Error(), "data: required") {
			t.Errorf("binary body %q: %v", data, err)
		}
	}
}

// TestBatchRefusesWhatFollowsIt: a value after the batch is malformed
// JSON, not a panic.
func TestBatchRefusesWhatFollowsIt(t *testing.T) {
	for _, body := range []string{`[]0`, `[] []`, `null 1`, `[{}] {}`} {
		_, err := DecodeBatch([]byte(body))
		var ve *ValidationError
		if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != "body" || ve.Fields[0].Index != -1 {
			t.Errorf("%s: want one error on body, got %v", body, err)
		}
	}
}
