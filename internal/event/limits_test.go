package event

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// eventWith is the escalation example with field set to value, as
// attributes and data JSON for decodeModes.
func eventWith(t *testing.T, field string, value any) (map[string]string, []byte) {
	t.Helper()
	attrs, raw := exampleParts(t, "escalation-requested.json")
	var data map[string]any
	if err := json.Unmarshal(raw, &data); err != nil {
		t.Fatal(err)
	}
	path, ok := strings.CutPrefix(field, "data.")
	if !ok {
		attrs[field] = value.(string)
	} else {
		parts := strings.Split(path, ".")
		m := data
		for _, p := range parts[:len(parts)-1] {
			next, ok := m[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[p] = next
			}
			m = next
		}
		m[parts[len(parts)-1]] = value
	}
	b, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	return attrs, b
}

// modesWith decodes the escalation example with field set to value in
// every mode.
func modesWith(t *testing.T, field string, value any) []outcome {
	t.Helper()
	attrs, data := eventWith(t, field, value)
	return decodeModes(t, attrs, data)
}

// refusedInEveryMode fails unless every mode refuses the event with exactly
// one error, on field, whose detail contains detail.
func refusedInEveryMode(t *testing.T, outs []outcome, field, detail string) {
	t.Helper()
	for _, o := range outs {
		checkIndexes(t, o)
		var ve *ValidationError
		if !errors.As(o.err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != field || !strings.Contains(ve.Fields[0].Detail, detail) {
			t.Errorf("%s: want one error on %s (%q), got %v", o.mode, field, detail, o.err)
		}
	}
}

func acceptedInEveryMode(t *testing.T, outs []outcome) {
	t.Helper()
	if o := sameInEveryMode(t, outs); o.err != nil {
		t.Fatalf("refused: %v", o.err)
	}
}

// formatted are fields whose value has a format of its own: a value of
// their full length in arbitrary characters is not valid anyway.
var formatted = []string{"specversion", "type", "time", "traceparent", "data.incident.sys_id", "data.escalation.severity", "data.escalation.problem_start_time", "data.escalation.advanced_diagnostic_consent", "data.change.journal_id"}

// TestEveryLimitInEveryMode: one character or entry past its limit, each
// field is refused by name in every mode; at its limit, counted in
// characters (two bytes each here), it is accepted.
func TestEveryLimitInEveryMode(t *testing.T) {
	for _, l := range Limits() {
		t.Run(l.Field, func(t *testing.T) {
			if l.Item > 0 {
				over := slices.Repeat([]any{"itil"}, l.Max+1)
				refusedInEveryMode(t, modesWith(t, l.Field, over), l.Field, fmt.Sprintf("more than %d entries", l.Max))
				long := []any{"a", "b", "c", strings.Repeat("r", l.Item+1), strings.Repeat("s", l.Item+1)}
				refusedInEveryMode(t, modesWith(t, l.Field, long), l.Field+"[3]", fmt.Sprintf("longer than %d characters", l.Item))
				full := slices.Repeat([]any{strings.Repeat("é", l.Item)}, l.Max)
				acceptedInEveryMode(t, modesWith(t, l.Field, full))
				return
			}
			over := strings.Repeat("a", l.Max+1)
			refusedInEveryMode(t, modesWith(t, l.Field, over), l.Field, fmt.Sprintf("longer than %d characters", l.Max))
			if !slices.Contains(formatted, l.Field) {
				full := strings.Repeat("é", l.Max)
				acceptedInEveryMode(t, modesWith(t, l.Field, full))
			}
		})
	}
}

// TestAbuseIsRefusedByName: the inputs issue 9 found accepted.
func TestAbuseIsRefusedByName(t *testing.T) {
	big := strings.Repeat("x", 500_000)
	roles := func(n int) []any { return slices.Repeat([]any{"itil"}, n) }
	tests := []struct {
		name, field string
		value       any
		want        string // the error, as FieldError.String gives it
	}{
		{"500 KB user_name", "data.requested_by.user_name", big, "data.requested_by.user_name: longer than 40 characters"},
		{"500 KB number", "data.incident.number", big, "data.incident.number: longer than 40 characters"},
		{"500 KB source", "source", big, "source: longer than 512 characters"},
		{"500 KB role", "data.requested_by.roles", []any{"itil", "a", "b", big}, "data.requested_by.roles[3]: longer than 100 characters"},
		{"100,000 roles", "data.requested_by.roles", roles(100_000), "data.requested_by.roles: more than 1000 entries"},
		{"100 KB tracestate", "tracestate", strings.Repeat("k=v,", 25_000), "tracestate: longer than 512 characters"},
		{"33 tracestate members", "tracestate", strings.TrimSuffix(strings.Repeat("k=v,", 33), ","), "tracestate: more than 32 list members"},
		{"NUL in id", "id", "evt\x00-1", "id: contains the control character U+0000"},
		{"NUL in number", "data.incident.number", "INC\x001", "data.incident.number: contains the control character U+0000"},
		{"NUL in a role", "data.requested_by.roles", []any{"itil", "x\x00"}, "data.requested_by.roles[1]: contains the control character U+0000"},
		{"NUL in a changed field", "data.change.fields", []any{"state\x00"}, "data.change.fields[0]: contains the control character U+0000"},
		{"NUL in a description", "data.incident.description", "line\x00", "data.incident.description: contains the control character U+0000"},
		{"escape in a user name", "data.requested_by.user_name", "beth\x1b[2J", "data.requested_by.user_name: contains the control character U+001B"},
		{"newline in an identifier", "data.requested_by.email", "a@b\n.com", "data.requested_by.email: contains the control character U+000A"},
		{"DEL in an identifier", "data.incident.category", "email\x7f", "data.incident.category: contains the control character U+007F"},
		{"C1 control in an identifier", "data.incident.caller_id", "abel\u0085tuter", "data.incident.caller_id: contains the control character U+0085"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, o := range modesWith(t, tt.field, tt.value) {
				var ve *ValidationError
				if !errors.As(o.err, &ve) || len(ve.Fields) != 1 {
					t.Errorf("%s: want one error, got %v", o.mode, o.err)
					continue
				}
				f := ve.Fields[0]
				f.Index = -1
				if f.String() != tt.want {
					t.Errorf("%s: %q, want %q", o.mode, f.String(), tt.want)
				}
			}
		})
	}
}

func TestAllowedCharacters(t *testing.T) {
	tests := []struct{ field, value string }{
		{"data.incident.description", "Since 08:40\n\tabout 40 users\r\n"},
		{"data.change.work_note", "Users confirm\n\nOutlook reconnects \u0085 \x7f"},
		{"data.requested_by.user_name", "josé.müller"},
		{"tracestate", strings.TrimSuffix(strings.Repeat("k=v,", 32), ",") + ", ,"},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			acceptedInEveryMode(t, modesWith(t, tt.field, tt.value))
		})
	}
}

func TestBinaryRefusesInvalidUTF8InAHeader(t *testing.T) {
	attrs, data := exampleParts(t, "escalation-requested.json")
	attrs["source"] = "https://contoso\xff.service-now.com"
	_, err := DecodeBinary(binaryHeader(attrs), data)
	if err == nil || err.Error() != "invalid event: source: is not valid UTF-8" {
		t.Fatalf("got %v", err)
	}
}

// TestEveryFieldHasALimit: each string and list field of an event is in
// the table, so a field added later cannot go unbounded.
func TestEveryFieldHasALimit(t *testing.T) {
	fields := stringFields("", reflect.TypeFor[wire]())
	var have []string
	for _, l := range Limits() {
		have = append(have, l.Field)
	}
	for _, f := range fields {
		if !slices.Contains(have, f) {
			t.Errorf("%s has no limit", f)
		}
	}
	if len(have) != len(fields) {
		t.Errorf("%d limits for %d fields: %v", len(have), len(fields), have)
	}
}

// stringFields are the JSON paths of the string and []string fields of
// struct t, under prefix.
func stringFields(prefix string, t reflect.Type) []string {
	var out []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case ft.Kind() == reflect.String, ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.String:
			out = append(out, prefix+name)
		case ft.Kind() == reflect.Struct && ft.PkgPath() == t.PkgPath():
			out = append(out, stringFields(prefix+name+".", ft)...)
		}
	}
	return out
}

// TestREADMEListsEveryLimit keeps the README's Limits table the table's.
func TestREADMEListsEveryLimit(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range limitRows() {
		if !strings.Contains(string(readme), row+"\n") {
			t.Errorf("README.md lacks the row\n%s", row)
		}
	}
}

// limitRows are the README's rows of the Limits table.
func limitRows() []string {
	var rows []string
	for _, l := range Limits() {
		bound := fmt.Sprintf("%d characters", l.Max)
		if l.Item > 0 {
			bound = fmt.Sprintf("%d entries of %d characters", l.Max, l.Item)
		}
		if l.Members > 0 {
			bound += fmt.Sprintf(", %d list members", l.Members)
		}
		chars := "identifier"
		if l.Text {
			chars = "text"
		}
		rows = append(rows, fmt.Sprintf("| `%s` | %s | %s | %s |", l.Field, bound, chars, l.Why))
	}
	return rows
}
