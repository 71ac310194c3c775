package simuser

import (
	"net/http/httptest"
	"testing"

	"github.com/escalator/escalator/internal/testkit/sim"
)

func TestCreateAndUpdateActAsTheUser(t *testing.T) {
	s := sim.New(sim.Config{})
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)

	id := Create(t, ts.URL, "david.miller", "incident", map[string]string{"short_description": "printer on fire"})
	if r, ok := s.Record("incident", id); !ok || r["short_description"] != "printer on fire" || r["sys_created_by"] != "david.miller" {
		t.Fatalf("created %s = %v, %v", id, r, ok)
	}
	Update(t, ts.URL, "beth.anglin", "incident", id, map[string]string{"state": "2"})
	if r, _ := s.Record("incident", id); r["state"] != "2" || r["sys_updated_by"] != "beth.anglin" {
		t.Fatalf("updated %s = %v", id, r)
	}
}
