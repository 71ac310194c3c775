package outbox

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/servicenow"
)

const (
	rowID      = "3f1c9a7e5b2d4c6e8a0b1d3f5e7a9c21"
	incidentID = "9d385017c611228701d22104cc95c371"
)

func rowOf(typ, payload string) servicenow.Record {
	return servicenow.Record{
		"sys_id": rowID, "u_type": typ, "u_incident": incidentID, "u_payload": payload,
		"sys_created_by": "beth.anglin", "sys_created_on": "2026-11-25 09:14:03", "sys_mod_count": "0",
	}
}

func TestRowEventIsWhatTheRowStandsFor(t *testing.T) {
	payload := `{"incident":{"sys_id":"00000000000000000000000000000000","number":"INC0010023","short_description":"Outlook down"},
		"requested_by":{"user_name":"someone.else","roles":["escalator_administrator"]},
		"escalation":{"severity":"moderate","title":"Outlook down"}}`
	ev, err := RowEvent(rowOf("escalation", payload), source)
	if err != nil {
		t.Fatal(err)
	}
	want := event.Event{SpecVersion: "1.0", ID: rowID, Source: source, Type: event.TypeEscalation,
		Time: time.Date(2026, 11, 25, 9, 14, 3, 0, time.UTC)}
	if ev.SpecVersion != want.SpecVersion || ev.ID != want.ID || ev.Source != want.Source || ev.Type != want.Type || !ev.Time.Equal(want.Time) {
		t.Fatalf("envelope %+v, want %+v", ev, want)
	}
	// The instance's own record wins over the payload: who asked, and for
	// which incident.
	if ev.Data.RequestedBy.UserName != "beth.anglin" || ev.Data.Incident.SysID != incidentID {
		t.Fatalf("requester %q incident %q", ev.Data.RequestedBy.UserName, ev.Data.Incident.SysID)
	}
	if ev.Data.Incident.Number != "INC0010023" || ev.Data.Escalation == nil || ev.Data.Escalation.Severity != "moderate" ||
		len(ev.Data.RequestedBy.Roles) != 1 {
		t.Fatalf("payload not kept: %+v", ev.Data)
	}
	if ev.Subject() != event.SubjectEscalation {
		t.Fatalf("subject %q", ev.Subject())
	}
}

func TestRowEventTypes(t *testing.T) {
	for typ, want := range map[string]string{"insights": event.TypeInsights, "escalation": event.TypeEscalation, "update": event.TypeUpdated} {
		ev, err := RowEvent(rowOf(typ, payloadOf(typ)), source)
		if err != nil || ev.Type != want {
			t.Errorf("%s: type %q, %v; want %q", typ, ev.Type, err, want)
		}
	}
}

// The requester need not be in the payload: the row says who asked, and
// the roles are read from ServiceNow.
func TestRowEventWithoutRequesterInThePayload(t *testing.T) {
	ev, err := RowEvent(rowOf("escalation", `{"incident":{"number":"INC0010023"}}`), source)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Data.RequestedBy.UserName != "beth.anglin" || len(ev.Data.RequestedBy.Roles) != 0 {
		t.Fatalf("requester %+v", ev.Data.RequestedBy)
	}
}

func TestRowEventRefusesMalformedRows(t *testing.T) {
	tests := []struct {
		name, field, detail string
		row                 func(servicenow.Record)
	}{
		{"unknown type", "u_type", `is "reopen": want insights, escalation or update`, func(r servicenow.Record) { r["u_type"] = "reopen" }},
		{"no incident", "u_incident", "is empty", func(r servicenow.Record) { r["u_incident"] = "" }},
		{"no requester", "sys_created_by", "is empty", func(r servicenow.Record) { r["sys_created_by"] = "" }},
		{"bad created on", "sys_created_on", "want a date/time", func(r servicenow.Record) { r["sys_created_on"] = "yesterday" }},
		{"bad JSON", "u_payload", "is not a JSON object", func(r servicenow.Record) { r["u_payload"] = `{"incident":` }},
		{"JSON array", "u_payload", "is not a JSON object", func(r servicenow.Record) { r["u_payload"] = `[1,2]` }},
		{"JSON null", "u_payload", "is not a JSON object: null", func(r servicenow.Record) { r["u_payload"] = `null` }},
		{"empty payload", "u_payload", "is not a JSON object", func(r servicenow.Record) { r["u_payload"] = `` }},
		{"incident not an object", "u_payload", "incident is not a JSON object", func(r servicenow.Record) { r["u_payload"] = `{"incident":"INC1"}` }},
		{"requester not an object", "u_payload", "requested_by is not a JSON object", func(r servicenow.Record) {
			r["u_payload"] = `{"incident":{"number":"INC1"},"requested_by":[]}`
		}},
		{"no incident number", "u_payload", "data.incident.number required", func(r servicenow.Record) {
			r["u_payload"] = `{"requested_by":{"roles":["x"]}}`
		}},
		{"bad severity", "u_payload", "data.escalation.severity must be one of", func(r servicenow.Record) {
			r["u_type"] = "escalation"
			r["u_payload"] = `{"incident":{"number":"INC1"},"requested_by":{"roles":["x"]},"escalation":{"severity":"urgent"}}`
		}},
		{"too large", "u_payload", "bytes: at most 65536", func(r servicenow.Record) {
			r["u_payload"] = `{"incident":{"number":"INC1","description":"` + strings.Repeat("x", MaxPayload) + `"}}`
		}},
		{"incident not a sys_id", "u_payload", "data.incident.sys_id must be 32 hexadecimal", func(r servicenow.Record) { r["u_incident"] = "INC0010023" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row := rowOf("update", payloadOf("update"))
			tt.row(row)
			_, err := RowEvent(row, source)
			var re *RowError
			if !errors.As(err, &re) {
				t.Fatalf("error %v, want a *RowError", err)
			}
			if re.Field != tt.field || !strings.Contains(re.Error(), tt.detail) {
				t.Fatalf("error %q (field %s), want field %s and %q", re.Error(), re.Field, tt.field, tt.detail)
			}
		})
	}
}

func FuzzRowEvent(f *testing.F) {
	f.Add("update", payloadOf("update"), incidentID, "beth.anglin", "2026-11-25 09:14:03")
	f.Add("escalation", payloadOf("escalation"), incidentID, "abel.tuter", "2026-11-25 09:14:03")
	f.Add("insights", `{"incident":null,"requested_by":null}`, "x", "", "")
	f.Add("update", `{"incident":{"sys_id":1},"requested_by":{"user_name":["a"]}}`, incidentID, "a", "2026-01-01 00:00:00")
	f.Fuzz(func(t *testing.T, typ, payload, incident, user, created string) {
		row := servicenow.Record{"sys_id": rowID, "u_type": typ, "u_incident": incident, "u_payload": payload,
			"sys_created_by": user, "sys_created_on": created}
		ev, err := RowEvent(row, source)
		if err != nil {
			var re *RowError
			if !errors.As(err, &re) {
				t.Fatalf("error %v is not a *RowError", err)
			}
			return
		}
		if ev.ID != rowID || ev.Data.RequestedBy.UserName != user || ev.Data.Incident.SysID != incident || ev.Source != source {
			t.Fatalf("event %+v does not carry the row's id, requester and incident", ev)
		}
	})
}
