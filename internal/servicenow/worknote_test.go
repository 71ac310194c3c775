package servicenow

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/escalator/escalator/internal/fault"
)

// journal is a fake instance that keeps the work notes of one incident and
// answers sys_journal_field queries the way ServiceNow does.
type journal struct {
	mu      sync.Mutex
	sysID   string
	notes   []string
	queries []string
	patches int
}

func (j *journal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	j.mu.Lock()
	defer j.mu.Unlock()
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/api/now/table/sys_journal_field":
		q := r.URL.Query()
		j.queries = append(j.queries, q.Get("sysparm_query"))
		prefix := "element_id=" + j.sysID + "^element=work_notes^valueLIKE"
		result := []map[string]string{}
		if marker, ok := strings.CutPrefix(q.Get("sysparm_query"), prefix); ok && q.Get("sysparm_limit") == "1" {
			for i, n := range j.notes {
				if strings.Contains(strings.ToLower(n), strings.ToLower(marker)) {
					result = append(result, map[string]string{"sys_id": strings.Repeat("a", 31) + string(rune('0'+i))})
					break
				}
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
			j.notes = append(j.notes, n)
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"result": map[string]string{"sys_id": j.sysID, "work_notes": ""}})
	default:
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error":{"message":"No Record found","detail":"Record doesn't exist or ACL restricts the record retrieval"},"status":"failure"}`))
	}
}

const incidentID = "9d385017c611228701d22104cc95c371"

func TestAddWorkNoteOnce(t *testing.T) {
	j := &journal{sysID: incidentID}
	srv := httptest.NewServer(j)
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL)
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
		"Microsoft case 2405300010000123 opened.\n\n[escalator:case-opened:evt-1]",
		"another note\n\n[escalator:case-opened:evt-2]",
	}
	if strings.Join(j.notes, "|") != strings.Join(want, "|") {
		t.Errorf("notes = %q\nwant    %q", j.notes, want)
	}
	if j.queries[0] != "element_id="+incidentID+"^element=work_notes^valueLIKE[escalator:case-opened:evt-1]" {
		t.Errorf("journal query = %q", j.queries[0])
	}
}

func TestHasWorkNote(t *testing.T) {
	j := &journal{sysID: incidentID, notes: []string{"hello [escalator:k1]"}}
	srv := httptest.NewServer(j)
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL)
	for marker, want := range map[string]bool{"[escalator:k1]": true, "[escalator:k2]": false} {
		got, err := c.HasWorkNote(context.Background(), incidentID, marker)
		if err != nil || got != want {
			t.Errorf("HasWorkNote(%s) = %v, %v; want %v", marker, got, err, want)
		}
	}
}

func TestAddWorkNoteOnceRejectsBadKeys(t *testing.T) {
	j := &journal{sysID: incidentID}
	srv := httptest.NewServer(j)
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL)
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
