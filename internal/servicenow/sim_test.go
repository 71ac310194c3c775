package servicenow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/outbound"
	"github.com/escalator/escalator/internal/testkit/sim"
)

// simTokens gets client-credentials tokens from the simulator's
// /oauth_token.do, so calls act as its integration user.
type simTokens struct{ url string }

func (s simTokens) AccessToken(ctx context.Context) (string, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {sim.DefaultServiceNowClientID},
		"client_secret": {sim.DefaultServiceNowClientSecret}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url+"/oauth_token.do", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		return "", fmt.Errorf("simulator token: %d %v", res.StatusCode, err)
	}
	return tok.AccessToken, nil
}

type simEnv struct {
	sim *sim.Server
	url string
	c   *Client
}

func newSimEnv(t *testing.T) *simEnv {
	t.Helper()
	s := sim.New(sim.Config{Now: func() time.Time { return time.Date(2026, 11, 25, 11, 30, 0, 0, time.UTC) }})
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	c, err := New(Config{BaseURL: ts.URL, Tokens: simTokens{ts.URL},
		HTTPClient: outbound.NewClient(outbound.Options{Name: "servicenow", InitialBackoff: time.Millisecond})})
	if err != nil {
		t.Fatal(err)
	}
	return &simEnv{sim: s, url: ts.URL, c: c}
}

// createAs posts a record through the simulator as user (a click in the
// instance), the way the update set's business rules write outbox rows.
func (e *simEnv) createAs(t *testing.T, user, table string, fields map[string]string) string {
	t.Helper()
	body, _ := json.Marshal(fields)
	req, _ := http.NewRequest(http.MethodPost, e.url+"/api/now/table/"+table, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(sim.SimUserHeader, user)
	req.SetBasicAuth(sim.DefaultServiceNowUser, sim.DefaultServiceNowPassword)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct{ Result map[string]any }
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("create %s as %s: %d %v", table, user, res.StatusCode, err)
	}
	return out.Result["sys_id"].(string)
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

func TestSimRecordsRoundTrip(t *testing.T) {
	e := newSimEnv(t)
	ctx := context.Background()
	created, err := e.c.Create(ctx, "u_escalator_outbox", map[string]string{
		"u_type": "insights", "u_incident": sim.DefaultIncidentSysID, "u_payload": `{"a":1}`})
	if err != nil {
		t.Fatal(err)
	}
	id := created["sys_id"]
	if !sysIDExpr.MatchString(id) || created["u_state"] != "pending" || created["sys_created_by"] != sim.IntegrationUser ||
		created["u_incident"] != sim.DefaultIncidentSysID {
		t.Fatalf("created %v", created)
	}
	if _, err := time.Parse(TimeLayout, created["sys_created_on"]); err != nil {
		t.Errorf("sys_created_on: %v", err)
	}
	patched, err := e.c.Patch(ctx, "u_escalator_outbox", id, map[string]string{"u_state": "sent", "u_event_seq": "17"})
	if err != nil || patched["sys_mod_count"] != "1" || patched["u_event_seq"] != "17" {
		t.Fatalf("patched %v, %v", patched, err)
	}
	got, err := e.c.Get(ctx, "u_escalator_outbox", id, "u_state", "u_incident.number")
	if err != nil || len(got) != 2 || got["u_state"] != "sent" || got["u_incident.number"] != sim.DefaultIncidentNumber {
		t.Fatalf("got %v, %v", got, err)
	}
	if _, err := e.c.Get(ctx, "u_escalator_outbox", strings.Repeat("0", 32)); !isNotFound(err) {
		t.Errorf("missing record: %v", err)
	}
	if _, err := e.c.Patch(ctx, "u_escalator_outbox", strings.Repeat("0", 32), map[string]string{"u_state": "x"}); !isNotFound(err) {
		t.Errorf("patch missing record: %v", err)
	}
}

func TestSimPagingAndQuery(t *testing.T) {
	e := newSimEnv(t)
	ctx := context.Background()
	for i := range 5 {
		e.createAs(t, "beth.anglin", "u_escalator_outbox", map[string]string{"u_type": "update", "u_payload": fmt.Sprint(i)})
	}
	e.createAs(t, "david.miller", "u_escalator_outbox", map[string]string{"u_type": "insights", "u_payload": "x^NQu_type=update"})
	pending := Query{}.Eq("u_state", "pending").Eq("u_type", "update").OrderByDesc("u_payload")
	p := e.c.Pages("u_escalator_outbox", ListOptions{Query: pending, Fields: []string{"u_payload", "sys_created_by"}, Limit: 2})
	var got []string
	pages := 0
	for p.Next(ctx) {
		pages++
		if p.Page().Total != 5 {
			t.Errorf("Total %d", p.Page().Total)
		}
		for _, r := range p.Page().Records {
			if len(r) != 2 || r["sys_created_by"] != "beth.anglin" {
				t.Errorf("record %v", r)
			}
			got = append(got, r["u_payload"])
		}
	}
	if err := p.Err(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "4,3,2,1,0" || pages != 3 {
		t.Errorf("got %v in %d pages", got, pages)
	}
	// the three pages went by the simulator's Link rel="next"
	if n := e.sim.Calls("GET /api/now/table/u_escalator_outbox"); n != 3 {
		t.Errorf("%d list calls, want 3", n)
	}
	tests := []struct {
		name string
		q    Query
		want int
	}{
		{"a value with a caret stays a value", Query{}.Eq("u_payload", "x^NQu_type=update"), 1},
		{"no injection", Query{}.Eq("u_payload", "nothing^NQu_type=update"), 0},
		{"IN", Query{}.In("u_type", "insights", "escalation"), 1},
		{"NotEq", Query{}.NotEq("u_type", "update"), 1},
		{"dot-walk nothing", Query{}.Eq("u_incident.number", sim.DefaultIncidentNumber), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := e.c.List(ctx, "u_escalator_outbox", ListOptions{Query: tt.q})
			if err != nil || len(recs) != tt.want {
				t.Errorf("%d records, %v; want %d", len(recs), err, tt.want)
			}
		})
	}
}
