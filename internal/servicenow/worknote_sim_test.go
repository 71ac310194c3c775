package servicenow

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/escalator/escalator/internal/testkit/sim"
)

// Against the simulator: a marker typed by an ITIL user does not make
// Escalator skip its own note; Escalator's own note does.
func TestWorkNoteMarkersCountOnlyEscalatorsOwn(t *testing.T) {
	e := newSimEnv(t)
	e.c.self.name = sim.IntegrationUser
	ctx := context.Background()
	key := "case-escalator-" + sim.DefaultIncidentSysID

	req, _ := http.NewRequest(http.MethodPatch, e.url+"/api/now/table/incident/"+sim.DefaultIncidentSysID,
		strings.NewReader(`{"work_notes":"I typed `+Marker(key)+` by hand"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(sim.SimUserHeader, "abel.tuter")
	req.SetBasicAuth(sim.DefaultServiceNowUser, sim.DefaultServiceNowPassword)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("forged note: %v %v", res, err)
	}
	res.Body.Close()

	for i, want := range []bool{true, false} {
		posted, err := e.c.AddWorkNoteOnce(ctx, sim.DefaultIncidentSysID, key, "Escalated to Microsoft support.")
		if err != nil || posted != want {
			t.Fatalf("call %d: posted %v, %v; want %v", i, posted, err, want)
		}
	}
	var own int
	for _, j := range e.sim.Journal(sim.DefaultIncidentSysID, "work_notes") {
		if j.SysCreatedBy == sim.IntegrationUser && strings.Contains(j.Value, Marker(key)) {
			own++
		}
	}
	if own != 1 {
		t.Fatalf("Escalator's notes with the marker: %d, want 1", own)
	}
}
