package health

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/outbound"
	"github.com/escalator/escalator/internal/servicenow"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/sim"
	"github.com/escalator/escalator/internal/testkit/streamtest"
	"github.com/escalator/escalator/internal/testkit/testserver"
)

// syncEnv is a simulator, a real NATS with Escalator's buckets and the real
// Graph and ServiceNow clients.
type syncEnv struct {
	sim   *sim.Server
	kv    jetstream.KeyValue
	graph *Client
	snow  *servicenow.Client
}

func newSyncEnv(t *testing.T) *syncEnv {
	t.Helper()
	_, js := testserver.Connect(t, testserver.NATS(t))
	res := streamtest.Ensure(t, js, streams.Config{})
	s := sim.New(sim.Config{})
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {sim.DefaultClientID},
		"client_secret": {sim.DefaultClientSecret}, "resource": {sim.GraphResource}}
	resp, err := http.Post(ts.URL+"/"+sim.DefaultTenant+"/oauth2/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	fast := func(name string) *http.Client {
		return outbound.NewClient(outbound.Options{Name: name, InitialBackoff: time.Millisecond, MaxAttempts: 2})
	}
	g, err := NewClient(ClientConfig{GraphURL: ts.URL, Tokens: staticToken(tok.AccessToken), Limiter: &countingLimiter{}, HTTPClient: fast("graph")})
	if err != nil {
		t.Fatal(err)
	}
	snow, err := servicenow.New(servicenow.Config{BaseURL: ts.URL, Username: sim.DefaultServiceNowUser,
		Password: sim.DefaultServiceNowPassword, HTTPClient: fast("servicenow")})
	if err != nil {
		t.Fatal(err)
	}
	return &syncEnv{sim: s, kv: res.Health, graph: g, snow: snow}
}

func (e *syncEnv) newSync(t *testing.T, mod func(*SyncConfig)) *Sync {
	t.Helper()
	cfg := SyncConfig{Graph: e.graph, Incidents: e.snow, State: e.kv, AssignmentGroup: "Messaging", Category: "email"}
	if mod != nil {
		mod(&cfg)
	}
	s, err := NewSync(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// incidentsOf returns the simulator's incidents whose correlation_id is id.
func (e *syncEnv) incidentsOf(id string) []map[string]string {
	var out []map[string]string
	for _, in := range e.sim.State().Incidents {
		f, _ := e.sim.Incident(in.SysID)
		if f["correlation_id"] == id {
			out = append(out, f)
		}
	}
	return out
}

func (e *syncEnv) notesOf(sysID string) []string {
	var out []string
	for _, j := range e.sim.Journal(sysID, "work_notes") {
		out = append(out, j.Value)
	}
	return out
}

func runOnce(t *testing.T, s *Sync) SyncResult {
	t.Helper()
	res, err := s.RunOnce(context.Background(), nil)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return res
}

func TestSyncLifecycleOfAnIssue(t *testing.T) {
	e := newSyncEnv(t)
	sync := e.newSync(t, func(c *SyncConfig) { c.AutoResolve = true })
	t0 := time.Now().UTC().Truncate(time.Second).Add(-time.Hour)
	if err := e.sim.UpsertIssue(sim.HealthIssue{
		ID: "EX900001", Service: "Exchange Online", Title: "Mail flow delays", Classification: "incident",
		Status: "serviceInterruption", StartDateTime: t0, ImpactDescription: "Mail is delayed.",
	}); err != nil {
		t.Fatal(err)
	}

	// Creates: the seeded active incident EX123456 and ours; no advisory,
	// no resolved issue.
	r := runOnce(t, sync)
	if r.IncidentsCreated != 2 {
		t.Fatalf("created %d incidents, want 2 (%+v)", r.IncidentsCreated, r)
	}
	incs := e.incidentsOf("EX900001")
	if len(incs) != 1 {
		t.Fatalf("%d incidents for EX900001", len(incs))
	}
	inc := incs[0]
	if inc["short_description"] != "Mail flow delays" || inc["impact"] != "2" || inc["urgency"] != "1" ||
		inc["assignment_group"] != "Messaging" || inc["category"] != "email" || !strings.Contains(inc["description"], "Mail is delayed.") {
		t.Fatalf("incident fields %v", inc)
	}
	for _, advisory := range []string{"TM123789", "SP123654", "OD123222"} {
		if n := len(e.incidentsOf(advisory)); n != 0 {
			t.Errorf("%s got %d incidents", advisory, n)
		}
	}
	sysID := inc["sys_id"]

	// A second run changes nothing.
	if r := runOnce(t, sync); r.IncidentsCreated != 0 || r.NotesPosted != 0 {
		t.Fatalf("second run did %+v", r)
	}

	// Two updates: one note each, once.
	for i, text := range []string{"<p>We're investigating.</p>", "<p>We've found the cause.</p>"} {
		if err := e.sim.AddIssuePost("EX900001", "restoringService", sim.HealthPost{
			CreatedDateTime: t0.Add(time.Duration(i+1) * time.Minute), Description: sim.ItemBody{Content: text}}); err != nil {
			t.Fatal(err)
		}
		if r := runOnce(t, sync); r.NotesPosted != 1 {
			t.Fatalf("update %d posted %d notes", i+1, r.NotesPosted)
		}
	}
	notes := e.notesOf(sysID)
	if len(notes) != 2 || !strings.Contains(notes[0], "We're investigating.") || !strings.Contains(notes[1], "We've found the cause.") ||
		!strings.Contains(notes[1], servicenow.Marker(PostKeys("EX900001", []Post{{CreatedDateTime: t0.Add(2 * time.Minute)}})[0])) {
		t.Fatalf("notes %q", notes)
	}

	// Resolution: the final post, then the incident resolved, once.
	if err := e.sim.ResolveIssue("EX900001", "serviceRestored", "<p>Fixed.</p>"); err != nil {
		t.Fatal(err)
	}
	if r := runOnce(t, sync); r.Resolved != 1 || r.NotesPosted != 1 {
		t.Fatalf("resolve run did %+v", r)
	}
	inc, _ = e.sim.Incident(sysID)
	if inc["state"] != "6" || inc["close_code"] != ResolveCloseCode ||
		!strings.HasPrefix(inc["close_notes"], "The Microsoft service health incident was resolved on ") {
		t.Fatalf("resolved incident %v", inc)
	}
	patches := e.sim.Calls("PATCH /api/now/table/incident/{sys_id}")
	if r := runOnce(t, sync); r.Resolved != 0 || r.NotesPosted != 0 {
		t.Fatalf("run after resolve did %+v", r)
	}
	// A post after resolution reaches nothing: the record is closed.
	if err := e.sim.AddIssuePost("EX900001", "", sim.HealthPost{Description: sim.ItemBody{Content: "<p>PIR</p>"}}); err != nil {
		t.Fatal(err)
	}
	runOnce(t, sync)
	if got := e.sim.Calls("PATCH /api/now/table/incident/{sys_id}"); got != patches {
		t.Fatalf("%d patches after the incident was resolved", got-patches)
	}
	if n := len(e.notesOf(sysID)); n != 3 {
		t.Fatalf("%d notes, want 3", n)
	}
}

func TestSyncClosedByHandGetsNothingMore(t *testing.T) {
	e := newSyncEnv(t)
	sync := e.newSync(t, nil)
	runOnce(t, sync)
	incs := e.incidentsOf(sim.ExchangeIncidentID)
	if len(incs) != 1 {
		t.Fatalf("%d incidents for %s", len(incs), sim.ExchangeIncidentID)
	}
	sysID := incs[0]["sys_id"]
	before := len(e.notesOf(sysID))
	if _, err := e.snow.PatchIncident(context.Background(), sysID, map[string]string{"state": servicenow.StateClosed}); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.AddIssuePost(sim.ExchangeIncidentID, "", sim.HealthPost{Description: sim.ItemBody{Content: "<p>More.</p>"}}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if r := runOnce(t, sync); r.NotesPosted != 0 {
			t.Fatalf("a closed incident got %d notes", r.NotesPosted)
		}
	}
	if n := len(e.notesOf(sysID)); n != before {
		t.Fatalf("notes %d → %d on a closed incident", before, n)
	}
	rec, _, _, err := sync.store.get(context.Background(), sim.ExchangeIncidentID)
	if err != nil || rec.State != RecordClosed {
		t.Fatalf("record %+v, %v", rec, err)
	}
}

func TestSyncFindsTheIncidentOfACrashedCreate(t *testing.T) {
	e := newSyncEnv(t)
	sync := e.newSync(t, nil)
	// A run that created the incident and crashed before recording it.
	inc, err := e.snow.CreateIncident(context.Background(), map[string]string{"short_description": "x", "correlation_id": sim.ExchangeIncidentID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sync.store.create(context.Background(), Record{IssueID: sim.ExchangeIncidentID, State: RecordPending}); err != nil {
		t.Fatal(err)
	}
	if r := runOnce(t, sync); r.IncidentsCreated != 0 {
		t.Fatalf("created %d", r.IncidentsCreated)
	}
	if n := len(e.incidentsOf(sim.ExchangeIncidentID)); n != 1 {
		t.Fatalf("%d incidents", n)
	}
	rec, _, _, _ := sync.store.get(context.Background(), sim.ExchangeIncidentID)
	if rec.State != RecordOpen || rec.SysID != inc.SysID {
		t.Fatalf("record %+v, want open on %s", rec, inc.SysID)
	}
}

func TestSyncFilters(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*SyncConfig)
		want []string // issues with an incident
	}{
		{"incidents only", nil, []string{"EX123456"}},
		{"advisories too", func(c *SyncConfig) { c.IncludeAdvisories = true }, []string{"EX123456", "SP123654", "TM123789"}},
		{"service filter", func(c *SyncConfig) {
			c.IncludeAdvisories, c.Services = true, []string{"microsoft teams"}
		}, []string{"TM123789"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSyncEnv(t)
			runOnce(t, e.newSync(t, tt.mod))
			var got []string
			for _, in := range e.sim.State().Incidents {
				f, _ := e.sim.Incident(in.SysID)
				if f["correlation_id"] != "" {
					got = append(got, f["correlation_id"])
				}
			}
			if strings.Join(slices.Sorted(slices.Values(got)), ",") != strings.Join(tt.want, ",") {
				t.Fatalf("incidents for %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNewSyncValidates(t *testing.T) {
	e := newSyncEnv(t)
	tests := []struct {
		name string
		mod  func(*SyncConfig)
	}{
		{"no graph", func(c *SyncConfig) { c.Graph = nil }},
		{"no servicenow", func(c *SyncConfig) { c.Incidents = nil }},
		{"no bucket", func(c *SyncConfig) { c.State = nil }},
		{"no assignment group", func(c *SyncConfig) { c.AssignmentGroup = " " }},
		{"no category", func(c *SyncConfig) { c.Category = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := SyncConfig{Graph: e.graph, Incidents: e.snow, State: e.kv, AssignmentGroup: "g", Category: "c"}
			tt.mod(&cfg)
			if _, err := NewSync(cfg); err == nil {
				t.Fatal("want an error")
			}
		})
	}
}
