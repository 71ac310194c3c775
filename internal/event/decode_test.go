package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readExample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeExamples(t *testing.T) {
	tests := []struct {
		file, subject string
	}{
		{"escalation-requested.json", SubjectEscalation},
		{"insights-requested.json", SubjectInsights},
		{"incident-updated.json", SubjectUpdate},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			ev, err := Decode(readExample(t, tt.file))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if ev.Subject() != tt.subject {
				t.Fatalf("subject %q, want %q", ev.Subject(), tt.subject)
			}
			if ev.Data.Incident.Number != "INC0010023" || ev.Time.IsZero() {
				t.Fatalf("decoded %+v", ev)
			}
		})
	}
}

// mutate decodes the escalation example into a map, applies f, re-encodes.
func mutate(t *testing.T, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(readExample(t, "escalation-requested.json"), &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func data(m map[string]any) map[string]any { return m["data"].(map[string]any) }
func incident(m map[string]any) map[string]any {
	return data(m)["incident"].(map[string]any)
}
func requester(m map[string]any) map[string]any {
	return data(m)["requested_by"].(map[string]any)
}

func TestDecodeNamesTheWrongField(t *testing.T) {
	tests := []struct {
		name   string
		change func(m map[string]any)
		fields []string
	}{
		{"missing specversion", func(m map[string]any) { delete(m, "specversion") }, []string{"specversion"}},
		{"wrong specversion", func(m map[string]any) { m["specversion"] = "0.3" }, []string{"specversion"}},
		{"missing id", func(m map[string]any) { delete(m, "id") }, []string{"id"}},
		{"id too long", func(m map[string]any) { m["id"] = strings.Repeat("a", 129) }, []string{"id"}},
		{"missing source", func(m map[string]any) { delete(m, "source") }, []string{"source"}},
		{"unknown type", func(m map[string]any) { m["type"] = "com.example.other" }, []string{"type"}},
		{"missing time", func(m map[string]any) { delete(m, "time") }, []string{"time"}},
		{"bad time", func(m map[string]any) { m["time"] = "yesterday" }, []string{"time"}},
		{"bad traceparent", func(m map[string]any) { m["traceparent"] = "00-abc" }, []string{"traceparent"}},
		{"missing data", func(m map[string]any) { delete(m, "data") }, []string{"data"}},
		{"short sys_id", func(m map[string]any) { incident(m)["sys_id"] = "9d38" }, []string{"data.incident.sys_id"}},
		{"non-hex sys_id", func(m map[string]any) { incident(m)["sys_id"] = strings.Repeat("z", 32) }, []string{"data.incident.sys_id"}},
		{"missing number", func(m map[string]any) { delete(incident(m), "number") }, []string{"data.incident.number"}},
		{"missing user", func(m map[string]any) { delete(requester(m), "user_name") }, []string{"data.requested_by.user_name"}},
		{"bad severity", func(m map[string]any) {
			data(m)["escalation"].(map[string]any)["severity"] = "urgent"
		}, []string{"data.escalation.severity"}},
		{"problem start time not RFC 3339", func(m map[string]any) {
			data(m)["escalation"].(map[string]any)["problem_start_time"] = "25/11/2026 08:40"
		}, []string{"data.escalation.problem_start_time"}},
		{"consent neither Yes nor No", func(m map[string]any) {
			data(m)["escalation"].(map[string]any)["advanced_diagnostic_consent"] = "true"
		}, []string{"data.escalation.advanced_diagnostic_consent"}},
		{"number as number", func(m map[string]any) { incident(m)["number"] = 7 }, []string{"data.incident.number"}},
		{"several at once", func(m map[string]any) {
			delete(m, "id")
			incident(m)["sys_id"] = "x"
		}, []string{"id", "data.incident.sys_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(mutate(t, tt.change))
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("want *ValidationError, got %v", err)
			}
			var got []string
			for _, f := range ve.Fields {
				got = append(got, f.Field)
				if f.Detail == "" {
					t.Errorf("field %s has no detail", f.Field)
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.fields, ",") {
				t.Fatalf("fields %v, want %v (%v)", got, tt.fields, err)
			}
		})
	}
}

// TestDialogFieldsDecode: the escalation dialog's start time and consent,
// as deploy/servicenow sends them, reach the event.
func TestDialogFieldsDecode(t *testing.T) {
	ev, err := Decode(mutate(t, func(m map[string]any) {
		esc := data(m)["escalation"].(map[string]any)
		esc["problem_start_time"] = "2026-11-25T08:40:00Z"
		esc["advanced_diagnostic_consent"] = "Yes"
	}))
	if err != nil {
		t.Fatal(err)
	}
	if e := ev.Data.Escalation; e.ProblemStartTime != "2026-11-25T08:40:00Z" || e.AdvancedDiagnosticConsent != "Yes" {
		t.Fatalf("escalation = %+v", e)
	}
}

// TestRolesAreOptional: a missing, null or empty roles list is a requester
// without roles, for every type and in every mode, not a 400.
func TestRolesAreOptional(t *testing.T) {
	for _, name := range []string{"escalation-requested.json", "insights-requested.json", "incident-updated.json"} {
		for _, roles := range []string{"missing", "null", "[]"} {
			t.Run(name+"/"+roles, func(t *testing.T) {
				attrs, raw := exampleParts(t, name)
				var data map[string]any
				if err := json.Unmarshal(raw, &data); err != nil {
					t.Fatal(err)
				}
				switch r := data["requested_by"].(map[string]any); roles {
				case "missing":
					delete(r, "roles")
				case "null":
					r["roles"] = nil
				default:
					r["roles"] = []string{}
				}
				b, _ := json.Marshal(data)
				o := sameInEveryMode(t, decodeModes(t, attrs, b))
				if o.err != nil || len(o.ev.Data.RequestedBy.Roles) != 0 {
					t.Fatalf("roles %s: %v, roles %v", roles, o.err, o.ev.Data.RequestedBy.Roles)
				}
			})
		}
	}
}

func TestDecodeBatch(t *testing.T) {
	good := readExample(t, "insights-requested.json")
	bad := mutate(t, func(m map[string]any) { delete(m, "id") })
	batch := []byte("[" + string(good) + "," + string(bad) + "]")
	_, err := DecodeBatch(batch)
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Index != 1 || ve.Fields[0].Field != "id" {
		t.Fatalf("want one error at [1].id, got %v", err)
	}
	events, err := DecodeBatch([]byte("[" + string(good) + "," + string(good) + "]"))
	if err != nil || len(events) != 2 {
		t.Fatalf("good batch: %v, %d events", err, len(events))
	}
	if _, err := DecodeBatch([]byte("[]")); !errors.Is(err, ErrEmpty) {
		t.Fatalf("empty batch: %v", err)
	}
	big := "[" + strings.TrimSuffix(strings.Repeat(string(good)+",", MaxBatch+1), ",") + "]"
	if _, err := DecodeBatch([]byte(big)); !errors.As(err, &ve) {
		t.Fatalf("oversized batch: %v", err)
	}
}

func TestDecodeStream(t *testing.T) {
	var nd bytes.Buffer
	for _, f := range []string{"insights-requested.json", "escalation-requested.json", "incident-updated.json"} {
		var v any
		_ = json.Unmarshal(readExample(t, f), &v)
		line, _ := json.Marshal(v)
		nd.Write(line)
		nd.WriteByte('\n')
	}
	events, err := DecodeStream(nd.Bytes())
	if err != nil || len(events) != 3 {
		t.Fatalf("ndjson: %v, %d events", err, len(events))
	}
	single, err := DecodeStream(readExample(t, "insights-requested.json"))
	if err != nil || len(single) != 1 {
		t.Fatalf("single pretty-printed: %v", err)
	}
	nd.WriteString(`{"specversion":"1.0"}` + "\n")
	var ve *ValidationError
	if _, err := DecodeStream(nd.Bytes()); !errors.As(err, &ve) || ve.Fields[0].Index != 3 {
		t.Fatalf("bad line: %v", err)
	}
}

// exampleHeader is the binary-mode header of an event with id and type typ
// from the example instance.
func exampleHeader(id, typ string) http.Header {
	return binaryHeader(map[string]string{"specversion": "1.0", "id": id,
		"source": "https://contoso.service-now.com", "type": typ, "time": "2026-11-25T09:14:03Z"})
}

func TestDecodeBinary(t *testing.T) {
	var m map[string]json.RawMessage
	_ = json.Unmarshal(readExample(t, "escalation-requested.json"), &m)
	h := exampleHeader("bin-1", TypeEscalation)
	h.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	h.Set("Content-Type", "application/json")
	ev, err := DecodeBinary(h, m["data"])
	if err != nil {
		t.Fatalf("DecodeBinary: %v", err)
	}
	if ev.ID != "bin-1" || ev.TraceParent == "" || ev.Data.Incident.SysID != "9d385017c611228701d22104cc95c371" {
		t.Fatalf("decoded %+v", ev)
	}
	h.Del("ce-id")
	var ve *ValidationError
	if _, err := DecodeBinary(h, m["data"]); !errors.As(err, &ve) || ve.Fields[0].Field != "id" {
		t.Fatalf("missing ce-id: %v", err)
	}
}

func TestRoundTrip(t *testing.T) {
	ev, err := Decode(readExample(t, "escalation-requested.json"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ev.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	again, err := Decode(b)
	if err != nil {
		t.Fatalf("re-decode: %v", err)
	}
	if again.ID != ev.ID || again.Data.Escalation.Contact.Email != ev.Data.Escalation.Contact.Email || !again.Time.Equal(ev.Time) {
		t.Fatalf("round trip changed the event: %+v", again)
	}
}

func TestDecodeTypeErrorsKeepTheirPlace(t *testing.T) {
	good := string(readExample(t, "insights-requested.json"))
	bad := string(mutate(t, func(m map[string]any) { incident(m)["number"] = 7 }))
	_, err := DecodeBatch([]byte("[" + good + "," + bad + "]"))
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Index != 1 || ve.Fields[0].Field != "data.incident.number" {
		t.Fatalf("want one error at [1].data.incident.number, got %v", err)
	}
	_, err = Decode(mutate(t, func(m map[string]any) { m["id"] = 42 }))
	if !errors.As(err, &ve) || ve.Fields[0].Field != "id" {
		t.Fatalf("numeric id: %v", err)
	}
	dup := strings.Replace(good, `"id":`, `"id": "first", "id":`, 1)
	_, err = Decode([]byte(dup))
	if !errors.As(err, &ve) || ve.Fields[0].Field != "body" || !strings.Contains(ve.Fields[0].Detail, "duplicate") {
		t.Fatalf("duplicate name: %v", err)
	}
	_, err = Decode([]byte(`"just a string"`))
	if !errors.As(err, &ve) || ve.Fields[0].Field != "body" {
		t.Fatalf("not an object: %v", err)
	}
}

func TestDecodeBinaryBadData(t *testing.T) {
	h := exampleHeader("bin-2", TypeUpdated)
	tests := []struct {
		body, field string
	}{
		{`{"incident":{"sys_id":"9d385017c611228701d22104cc95c371","number":5},"requested_by":{"user_name":"a"}}`, "data.incident.number"},
		{`{"incident":`, "body"},
		{``, "data"},
	}
	for _, tt := range tests {
		_, err := DecodeBinary(h, []byte(tt.body))
		var ve *ValidationError
		if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != tt.field {
			t.Errorf("body %q: want one error on %s, got %v", tt.body, tt.field, err)
		}
	}
}

func TestChangeJournalID(t *testing.T) {
	b := readExample(t, "incident-updated.json")
	ev, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Data.Change == nil || ev.Data.Change.JournalID != "5b7c2e9a1f3d4c6b8a0e2d4f6a8c0e13" {
		t.Fatalf("change = %+v, want the example's journal_id", ev.Data.Change)
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	m["data"].(map[string]any)["change"].(map[string]any)["journal_id"] = "not-a-sys-id"
	b, _ = json.Marshal(m)
	var ve *ValidationError
	if _, err := Decode(b); !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != "data.change.journal_id" {
		t.Fatalf("bad journal_id: %v, want a data.change.journal_id error", err)
	}
}
