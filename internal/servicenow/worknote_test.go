package servicenow

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/outbound"
)

// journal is a fake instance that keeps the work notes of one incident and
// answers sys_journal_field queries the way ServiceNow does. A note is
// written by writer (default the integration user); sys_user answers users
// to the query for the calling user.
type journal struct {
	mu      sync.Mutex
	sysID   string
	writer  string
	notes   []note
	users   []string
	queries []string
	lookups int
	patches int
}

type note struct{ value, by string }

const self = "escalator.integration"

func (j *journal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	j.mu.Lock()
	defer j.mu.Unlock()
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/api/now/table/sys_journal_field":
		q := r.URL.Query()
		j.queries = append(j.queries, q.Get("sysparm_query"))
		result := []map[string]string{}
		rest, ok := strings.CutPrefix(q.Get("sysparm_query"), "element_id="+j.sysID+"^element=work_notes^sys_created_by=")
		by, marker, _ := strings.Cut(rest, "^valueLIKE")
		if ok && q.Get("sysparm_limit") == "1" {
			for i, n := range j.notes {
				if n.by == by && strings.Contains(strings.ToLower(n.value), strings.ToLower(marker)) {
					result = append(result, map[string]string{"sys_id": strings.Repeat("a", 31) + string(rune('0'+i))})
					break
				}
			}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"result": result})
	case r.Method == http.MethodGet && r.URL.Path == "/api/now/table/sys_user":
		j.lookups++
		result := []map[string]string{}
		if r.URL.Query().Get("sysparm_query") == "user_name=javascript:gs.getUserName()" {
			for _, u := range j.users {
				result = append(result, map[string]string{"user_name": u})
			}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"result": result})
	case r.Method == http.MethodPatch && r.URL.Path == "/api/now/table/incident/"+j.sysID:
		var body map[string]string
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		j.patches++
		if n := body["work_notes"]; n != "" {
			by := j.writer
			if by == "" {
				by = self
			}
			j.notes = append(j.notes, note{n, by})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"result": map[string]string{"sys_id": j.sysID, "work_notes": ""}})
	default:
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error":{"message":"No Record found","detail":"Record doesn't exist or ACL restricts the record retrieval"},"status":"failure"}`))
	}
}

// noteClient is an OAuth client of j that knows its integration user.
func noteClient(t *testing.T, j *journal) *Client {
	t.Helper()
	srv := httptest.NewServer(j)
	t.Cleanup(srv.Close)
	c, err := New(Config{
		BaseURL: srv.URL, Tokens: staticToken(testToken), IntegrationUser: self,
		HTTPClient: outbound.NewClient(outbound.Options{Name: "servicenow", InitialBackoff: time.Millisecond}),
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const incidentID = "9d385017c611228701d22104cc95c371"

func TestAddWorkNoteOnce(t *testing.T) {
	j := &journal{sysID: incidentID}
	c := noteClient(t, j)
	ctx := context.Background()

	posted, err := c.AddWorkNoteOnce(ctx, incidentID, "case-opened:evt-1", "Microsoft case 2405300010000123 opened.\n")
	if err != nil || !posted {
		t.Fatalf("first AddWorkNoteOnce = %v, %v; want posted", posted, err)
	}
	posted, err = c.AddWorkNoteOnce(ctx, incidentID, "case-opened:evt-1", "Microsoft case 2405300010000123 opened.")
	if err != nil || posted {
		t.Fatalf("repeated AddWorkNoteOnce = %v, %v; want not posted", posted, err)
	}
	posted, err = c.AddWorkNoteOnce(ctx, incidentID, "case-opened:evt-2", "another note")
	if err != nil || !posted {
		t.Fatalf("other key AddWorkNoteOnce = %v, %v; want posted", posted, err)
	}

	j.mu.Lock()
	defer j.mu.Unlock()
	want := []string{
		"Microsoft case 2405300010000123 opened.\n" + `[code]<span style="display:none">[escalator:case-opened:evt-1]</span>[/code]`,
		"another note\n" + `[code]<span style="display:none">[escalator:case-opened:evt-2]</span>[/code]`,
	}
	var got []string
	for _, n := range j.notes {
		got = append(got, n.value)
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("notes = %q\nwant    %q", got, want)
	}
	if j.queries[0] != "element_id="+incidentID+"^element=work_notes^sys_created_by="+self+"^valueLIKE[escalator:case-opened:evt-1]" {
		t.Errorf("journal query = %q", j.queries[0])
	}
}

func TestHasWorkNote(t *testing.T) {
	j := &journal{sysID: incidentID, notes: []note{{"hello [escalator:k1]", self}, {"typed by hand [escalator:k3]", "abel.tuter"}}}
	c := noteClient(t, j)
	// A marker counts only in a note Escalator's own user wrote.
	for marker, want := range map[string]bool{"[escalator:k1]": true, "[escalator:k2]": false, "[escalator:k3]": false} {
		got, err := c.HasWorkNote(context.Background(), incidentID, marker)
		if err != nil || got != want {
			t.Errorf("HasWorkNote(%s) = %v, %v; want %v", marker, got, err, want)
		}
	}
}

func TestAddWorkNoteOnceRejectsBadKeys(t *testing.T) {
	j := &journal{sysID: incidentID}
	c := noteClient(t, j)
	for _, key := range []string{"", "a^b", "a]b", "a\nb"} {
		_, err := c.AddWorkNoteOnce(context.Background(), incidentID, key, "x")
		if err == nil || fault.Classify(err) != fault.Permanent {
			t.Errorf("key %q: err = %v, want permanent", key, err)
		}
	}
	if j.patches != 0 || len(j.queries) != 0 {
		t.Errorf("bad keys reached the instance")
	}
}

func TestAddWorkNoteNotRetried(t *testing.T) {
	srv, s := instance(t, answer{502, nil}, answer{200, []byte(`{"result":{}}`)})
	err := newClient(t, srv.URL).AddWorkNote(context.Background(), incidentID, "note")
	if err == nil || fault.Classify(err) != fault.Transient {
		t.Errorf("err = %v, want transient", err)
	}
	if s.count() != 1 {
		t.Errorf("requests = %d, want 1: a journal append is never repeated blindly", s.count())
	}
	if s.bodies[0]["work_notes"] != "note" {
		t.Errorf("body = %v", s.bodies[0])
	}
}

// A marker typed by another user does not stop Escalator's note.
func TestAddWorkNoteOnceIgnoresForgedMarker(t *testing.T) {
	j := &journal{sysID: incidentID, notes: []note{{"see [escalator:case-escalator-x]", "abel.tuter"}}}
	posted, err := noteClient(t, j).AddWorkNoteOnce(context.Background(), incidentID, "case-escalator-x", "Escalated.")
	if err != nil || !posted {
		t.Fatalf("AddWorkNoteOnce = %v, %v; want posted despite the forged marker", posted, err)
	}
}

func TestIntegrationUser(t *testing.T) {
	ctx := context.Background()
	newAt := func(t *testing.T, j *journal, cfg Config) *Client {
		t.Helper()
		srv := httptest.NewServer(j)
		t.Cleanup(srv.Close)
		cfg.BaseURL = srv.URL
		cfg.HTTPClient = outbound.NewClient(outbound.Options{Name: "servicenow", InitialBackoff: time.Millisecond, MaxAttempts: 1})
		c, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	t.Run("configured", func(t *testing.T) {
		j := &journal{users: []string{"someone.else"}}
		c := newAt(t, j, Config{Tokens: staticToken(testToken), IntegrationUser: "svc.escalator"})
		if got, err := c.IntegrationUser(ctx); got != "svc.escalator" || err != nil || j.lookups != 0 {
			t.Fatalf("got %q, %v after %d lookups", got, err, j.lookups)
		}
	})
	t.Run("basic auth user", func(t *testing.T) {
		j := &journal{}
		c := newAt(t, j, Config{Username: "svc.basic", Password: "pw"})
		if got, err := c.IntegrationUser(ctx); got != "svc.basic" || err != nil || j.lookups != 0 {
			t.Fatalf("got %q, %v after %d lookups", got, err, j.lookups)
		}
	})
	t.Run("discovered once with OAuth", func(t *testing.T) {
		j := &journal{users: []string{self}}
		c := newAt(t, j, Config{Tokens: staticToken(testToken)})
		for range 2 {
			if got, err := c.IntegrationUser(ctx); got != self || err != nil {
				t.Fatalf("got %q, %v", got, err)
			}
		}
		if j.lookups != 1 {
			t.Fatalf("%d lookups, want 1", j.lookups)
		}
	})
	for name, users := range map[string][]string{"no user": nil, "a filter ignored": {"a", "b"}} {
		t.Run(name, func(t *testing.T) {
			j := &journal{users: users}
			c := newAt(t, j, Config{Tokens: staticToken(testToken)})
			_, err := c.IntegrationUser(ctx)
			if err == nil || fault.Classify(err) != fault.Permanent || !strings.Contains(err.Error(), "ESCALATOR_SERVICENOW_INTEGRATION_USER") {
				t.Fatalf("err = %v, want a permanent error naming the variable", err)
			}
			if _, err := c.IntegrationUser(ctx); err == nil || j.lookups != 2 {
				t.Fatalf("a failed discovery was remembered (%d lookups, %v)", j.lookups, err)
			}
		})
	}
}
