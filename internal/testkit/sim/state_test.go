package sim

import (
	"encoding/json"
	"net/http"
	"testing"
)

// TestStateShowsStateChangesAndMessages: /_sim/state shows what a
// walkthrough must be able to check: an incident's state changes (who,
// when), its correlation_id, and the messages sent on a ticket.
func TestStateShowsStateChangesAndMessages(t *testing.T) {
	e := newEnv(t, Config{})
	arm := e.token(t, ARMResource)
	snow := e.snowToken(t)
	createTicket(t, e, arm, "t1")
	body := map[string]any{"properties": map[string]string{"subject": "Update from ServiceNow", "body": "Users confirm Outlook reconnects.", "sender": DefaultAdminUPN}}
	wantStatus(t, e.do(t, "PUT", supportBase+"/supportTickets/t1/communications/note-1?api-version="+APIVersion, arm, body), 202)
	if _, err := e.s.AddMicrosoftCommunication("t1", "ms-1", "", "We are looking into it.", ""); err != nil {
		t.Fatal(err)
	}
	incident := incidentPath + "/" + DefaultIncidentSysID
	wantStatus(t, e.do(t, "PATCH", incident, snow, map[string]string{"correlation_id": "2612000040000001"}), 200)
	wantStatus(t, e.doWith(t, "PATCH", incident, snow, map[string]string{"state": "6", "close_code": "Solved (Permanently)"},
		http.Header{"X-Sim-User": {"beth.anglin"}}), 200)
	wantStatus(t, e.do(t, "PATCH", incident, snow, map[string]string{"state": "6", "work_notes": "same state again"}), 200)

	var st State
	r := e.do(t, "GET", "/_sim/state", "", nil)
	wantStatus(t, r, 200)
	if err := json.Unmarshal(r.raw, &st); err != nil {
		t.Fatal(err)
	}
	in := st.Incidents[0]
	if in.CorrelationID != "2612000040000001" || in.State != "6" || in.CloseCode != "Solved (Permanently)" {
		t.Errorf("incident %+v", in)
	}
	if len(in.StateChanges) != 1 || in.StateChanges[0].From != "2" || in.StateChanges[0].To != "6" ||
		in.StateChanges[0].SysCreatedBy != "beth.anglin" || in.StateChanges[0].SysCreatedOn == "" {
		t.Errorf("state changes %+v, want one 2 → 6 by beth.anglin (writing the same state again is no change)", in.StateChanges)
	}
	comms := st.Tickets[0].Communications
	if len(comms) != 2 || comms[0].Name != "note-1" || comms[0].Direction != "outbound" || comms[0].Body != "Users confirm Outlook reconnects." ||
		comms[1].Direction != "inbound" || comms[1].Body != "We are looking into it." || comms[0].CreatedDate.IsZero() {
		t.Errorf("communications %+v", comms)
	}
}

// TestAnswersCarryTheSimulatorHeader: every API answer says it is the
// simulator's, so that doctor can tell it from production.
func TestAnswersCarryTheSimulatorHeader(t *testing.T) {
	e := newEnv(t, Config{})
	for _, path := range []string{"/" + DefaultTenant + "/oauth2/token", incidentPath, "/v1.0/admin/serviceAnnouncement/issues"} {
		method := http.MethodGet
		if path[len(path)-5:] == "token" {
			method = http.MethodPost
		}
		if r := e.do(t, method, path, "", nil); r.header.Get(Header) != "1" {
			t.Errorf("%s %s (%d): no %s header", method, path, r.status, Header)
		}
	}
}
