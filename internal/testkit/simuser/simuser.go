// Package simuser makes, against the simulator's Table API, the writes a
// person makes in the ServiceNow instance (a work note typed, an incident
// resolved, an outbox row a business rule inserts), acting as that person
// through sim.SimUserHeader. Tests use it to check what Escalator does with
// writes that are not its own.
package simuser

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/escalator/escalator/internal/testkit/sim"
)

// Create inserts a record of table with fields as user, at the simulator
// served on base, and returns the new record's sys_id.
func Create(t testing.TB, base, user, table string, fields map[string]string) string {
	t.Helper()
	res := write(t, http.MethodPost, base+"/api/now/table/"+table, user, fields)
	defer res.Body.Close()
	var out struct{ Result map[string]any }
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("create %s as %s: %d %v", table, user, res.StatusCode, err)
	}
	id, _ := out.Result["sys_id"].(string)
	return id
}

// Update sets fields of record sysID of table as user, at the simulator
// served on base.
func Update(t testing.TB, base, user, table, sysID string, fields map[string]string) {
	t.Helper()
	res := write(t, http.MethodPatch, base+"/api/now/table/"+table+"/"+sysID, user, fields)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("update %s %s as %s: status %d", table, sysID, user, res.StatusCode)
	}
}

// write sends fields as JSON to url, signed in as the simulator's admin and
// acting as user.
func write(t testing.TB, method, url, user string, fields map[string]string) *http.Response {
	t.Helper()
	body, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(sim.SimUserHeader, user)
	req.SetBasicAuth(sim.DefaultServiceNowUser, sim.DefaultServiceNowPassword)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}
