package servicenow

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/escalator/escalator/internal/fault"
)

// paged is a fake instance listing total records of u_escalator_outbox,
// page by page as sysparm_limit and sysparm_offset ask, with X-Total-Count
// and, when link is set, the Link header in the instance's format.
type paged struct {
	total int
	link  func(base string, offset, limit, total int) string
	mu    sync.Mutex
	asked []string // "offset/limit" of each request
}

func (p *paged) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	off, _ := strconv.Atoi(q.Get("sysparm_offset"))
	limit, _ := strconv.Atoi(q.Get("sysparm_limit"))
	p.mu.Lock()
	p.asked = append(p.asked, fmt.Sprintf("%d/%d", off, limit))
	p.mu.Unlock()
	var recs []map[string]string
	for i := off; i < min(off+limit, p.total); i++ {
		recs = append(recs, map[string]string{"sys_id": fmt.Sprintf("%032x", i), "u_payload": strconv.Itoa(i)})
	}
	if recs == nil {
		recs = []map[string]string{}
	}
	w.Header().Set("X-Total-Count", strconv.Itoa(p.total))
	if p.link != nil {
		if l := p.link("http://"+r.Host+r.URL.Path+"?sysparm_fields=sys_id,u_payload", off, limit, p.total); l != "" {
			w.Header().Set("Link", l)
		}
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"result": recs})
}

// snowLinks is the Link header ServiceNow sends: first, prev, next, last.
func snowLinks(base string, off, limit, total int) string {
	if off == 0 && total <= limit {
		return ""
	}
	l := func(o int, rel string) string {
		return fmt.Sprintf(`<%s&sysparm_offset=%d&sysparm_limit=%d>;rel="%s"`, base, o, limit, rel)
	}
	out := []string{l(0, "first")}
	if off > 0 {
		out = append(out, l(max(off-limit, 0), "prev"))
	}
	if off+limit < total {
		out = append(out, l(off+limit, "next"))
	}
	return strings.Join(append(out, l((total-1)/limit*limit, "last")), ",")
}

func TestPagesFollowLinkOrOffset(t *testing.T) {
	tests := []struct {
		name      string
		total     int
		limit     int
		link      func(string, int, int, int) string
		wantAsked string
		wantPages string // records per page
	}{
		{"Link next", 7, 3, snowLinks, "0/3,3/3,6/3", "3,3,1"},
		{"Link, one page", 3, 3, snowLinks, "0/3,3/3", "3"},
		{"Link without next ends", 6, 3, func(b string, o, l, t int) string {
			return fmt.Sprintf(`<%s&sysparm_offset=0&sysparm_limit=3>;rel="first"`, b)
		}, "0/3", "3"},
		{"offsets when no Link", 7, 3, nil, "0/3,3/3,6/3", "3,3,1"},
		{"offsets, full last page", 6, 3, nil, "0/3,3/3,6/3", "3,3"},
		{"default limit", 2, 0, nil, "0/200", "2"},
		{"empty", 0, 5, snowLinks, "0/5", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &paged{total: tt.total, link: tt.link}
			srv := httptest.NewServer(p)
			t.Cleanup(srv.Close)
			pager := newClient(t, srv.URL).Pages("u_escalator_outbox", ListOptions{Limit: tt.limit})
			var sizes []string
			next := 0
			for pager.Next(context.Background()) {
				page := pager.Page()
				sizes = append(sizes, strconv.Itoa(len(page.Records)))
				if page.Total != tt.total {
					t.Errorf("Total = %d, want %d", page.Total, tt.total)
				}
				for _, r := range page.Records {
					if r["u_payload"] != strconv.Itoa(next) {
						t.Fatalf("record %v, want u_payload %d", r, next)
					}
					next++
				}
			}
			if err := pager.Err(); err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(sizes, ","); got != tt.wantPages {
				t.Errorf("pages %q, want %q", got, tt.wantPages)
			}
			if got := strings.Join(p.asked, ","); got != tt.wantAsked {
				t.Errorf("asked %q, want %q", got, tt.wantAsked)
			}
		})
	}
}

func TestLinkThatDoesNotAdvance(t *testing.T) {
	p := &paged{total: 9, link: func(b string, o, l, t int) string {
		return fmt.Sprintf(`<%s&sysparm_offset=0&sysparm_limit=3>;rel="next"`, b)
	}}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	_, err := newClient(t, srv.URL).List(context.Background(), "u_escalator_outbox", ListOptions{Limit: 3})
	if err == nil || fault.Classify(err) != fault.Permanent || !strings.Contains(err.Error(), "does not move past") {
		t.Errorf("err = %v, want a permanent error", err)
	}
}

func TestNextOffset(t *testing.T) {
	base := "https://i.service-now.com/api/now/table/x?sysparm_fields=a,b&sysparm_query=a%3D1"
	tests := []struct {
		name   string
		values []string
		want   int
		ok     bool
		bad    bool
	}{
		{"instance format", []string{"<" + base + "&sysparm_offset=0&sysparm_limit=2>;rel=\"first\",<" + base +
			"&sysparm_offset=2&sysparm_limit=2>;rel=\"next\",<" + base + "&sysparm_offset=4&sysparm_limit=2>;rel=\"last\""}, 2, true, false},
		{"spaces, unquoted, several values", []string{`<` + base + `&sysparm_offset=0>; rel=first`, `<` + base + `&sysparm_offset=40>; rel=next`}, 40, true, false},
		{"no next", []string{`<` + base + `&sysparm_offset=0>;rel="first"`}, 0, false, false},
		{"next without offset", []string{`<` + base + `>;rel="next"`}, 0, false, true},
		{"unclosed", []string{`<` + base + `;rel="next"`}, 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := nextOffset(tt.values)
			if (err != nil) != tt.bad || ok != tt.ok || got != tt.want {
				t.Errorf("nextOffset = %d, %v, %v; want %d, %v, error %v", got, ok, err, tt.want, tt.ok, tt.bad)
			}
		})
	}
}

func TestListSendsOptions(t *testing.T) {
	srv, s := instance(t, answer{200, fixture(t, "list_outbox.json")})
	opts := ListOptions{
		Query:  Query{}.Eq("u_state", "pending").OrderBy("sys_created_on"),
		Fields: []string{"sys_id", "u_incident", "u_incident.number"},
		Limit:  50, Offset: 100,
	}
	page, err := newClient(t, srv.URL).ListPage(context.Background(), "u_escalator_outbox", opts)
	if err != nil {
		t.Fatal(err)
	}
	q := s.requests[0].URL.Query()
	for k, want := range map[string]string{"sysparm_query": "u_state=pending^ORDERBYsys_created_on",
		"sysparm_fields": "sys_id,u_incident,u_incident.number", "sysparm_limit": "50", "sysparm_offset": "100",
		"sysparm_exclude_reference_link": "true"} {
		if q.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, q.Get(k), want)
		}
	}
	if s.requests[0].URL.Path != "/api/now/table/u_escalator_outbox" {
		t.Errorf("path %s", s.requests[0].URL.Path)
	}
	// both reference shapes read as the sys_id; no Link and a short page: the last
	if len(page.Records) != 2 || page.NextOffset != -1 || page.Total != -1 {
		t.Fatalf("page %+v", page)
	}
	for _, r := range page.Records {
		if r["u_incident"] != "9d385017c611228701d22104cc95c371" {
			t.Errorf("u_incident = %q", r["u_incident"])
		}
	}
	if page.Records[1]["u_attempts"] != "2" || page.Records[0]["sys_created_by"] != "beth.anglin" {
		t.Errorf("records %v", page.Records)
	}
}

func TestListRefusesBadOptions(t *testing.T) {
	tests := []struct {
		name  string
		table string
		opts  ListOptions
	}{
		{"table", "../sys_user", ListOptions{}},
		{"table case", "Incident", ListOptions{}},
		{"field", "incident", ListOptions{Fields: []string{"number,sys_id"}}},
		{"limit", "incident", ListOptions{Limit: MaxPageSize + 1}},
		{"negative limit", "incident", ListOptions{Limit: -1}},
		{"offset", "incident", ListOptions{Offset: -1}},
		{"query", "incident", ListOptions{Query: Query{}.Eq("Number", "1")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, s := instance(t, answer{200, []byte(`{"result":[]}`)})
			_, err := newClient(t, srv.URL).List(context.Background(), tt.table, tt.opts)
			if err == nil || fault.Classify(err) != fault.Permanent {
				t.Errorf("err = %v, want permanent", err)
			}
			if s.count() != 0 {
				t.Errorf("%d requests sent", s.count())
			}
		})
	}
}

func TestGetCreatePatch(t *testing.T) {
	ctx := context.Background()
	t.Run("get with fields", func(t *testing.T) {
		srv, s := instance(t, answer{200, fixture(t, "get_journal_entry.json")})
		r, err := newClient(t, srv.URL).Get(ctx, "sys_journal_field", "5b7c2e9a1f3d4c6b8a0e2d4f6a8c0e13", "value", "element")
		if err != nil {
			t.Fatal(err)
		}
		if s.requests[0].URL.Path != "/api/now/table/sys_journal_field/5b7c2e9a1f3d4c6b8a0e2d4f6a8c0e13" ||
			s.requests[0].URL.Query().Get("sysparm_fields") != "value,element" {
			t.Errorf("request %s", s.requests[0].URL)
		}
		if r["element"] != "work_notes" {
			t.Errorf("record %v", r)
		}
	})
	t.Run("get not found", func(t *testing.T) {
		srv, _ := instance(t, answer{404, fixture(t, "error_not_found.json")})
		_, err := newClient(t, srv.URL).Get(ctx, "u_escalator_outbox", "0f1e2d3c4b5a69788796a5b4c3d2e1f0")
		if !isNotFound(err) || !strings.Contains(err.Error(), "get u_escalator_outbox 0f1e2d3c4b5a69788796a5b4c3d2e1f0") {
			t.Errorf("err = %v", err)
		}
	})
	tests := []struct {
		name      string
		call      func(*Client) (Record, error)
		method    string
		path      string
		answers   []answer
		wantCalls int
	}{
		{"create not retried", func(c *Client) (Record, error) {
			return c.Create(ctx, "u_escalator_outbox", map[string]string{"u_type": "update"})
		}, "POST", "/api/now/table/u_escalator_outbox", []answer{{503, nil}, {201, nil}}, 1},
		{"patch retried", func(c *Client) (Record, error) {
			return c.Patch(ctx, "u_escalator_outbox", "0f1e2d3c4b5a69788796a5b4c3d2e1f0", map[string]string{"u_state": "done"})
		}, "PATCH", "/api/now/table/u_escalator_outbox/0f1e2d3c4b5a69788796a5b4c3d2e1f0", []answer{{503, nil}, {200, nil}}, 2},
		{"patch of a journal field not retried", func(c *Client) (Record, error) {
			return c.Patch(ctx, "incident", incidentID, map[string]string{"comments": "x"})
		}, "PATCH", "/api/now/table/incident/" + incidentID, []answer{{503, nil}, {200, nil}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range tt.answers {
				if tt.answers[i].body == nil {
					tt.answers[i].body = []byte(`{"result":{"sys_id":"0f1e2d3c4b5a69788796a5b4c3d2e1f0","u_state":"done"}}`)
				}
			}
			srv, s := instance(t, tt.answers...)
			_, err := tt.call(newClient(t, srv.URL))
			if s.count() != tt.wantCalls {
				t.Errorf("%d requests, want %d (err %v)", s.count(), tt.wantCalls, err)
			}
			if r := s.requests[0]; r.Method != tt.method || r.URL.Path != tt.path {
				t.Errorf("request %s %s", r.Method, r.URL.Path)
			}
		})
	}
	srv, s := instance(t, answer{200, nil})
	c := newClient(t, srv.URL)
	for _, err := range []error{
		func() error { _, err := c.Get(ctx, "incident", ""); return err }(),
		func() error { _, err := c.Get(ctx, "incident", incidentID, "a b"); return err }(),
		func() error { _, err := c.Create(ctx, "sys user", nil); return err }(),
		func() error { _, err := c.Patch(ctx, "incident", "", nil); return err }(),
	} {
		if err == nil || fault.Classify(err) != fault.Permanent {
			t.Errorf("err = %v, want permanent", err)
		}
	}
	if s.count() != 0 {
		t.Errorf("%d requests for invalid calls", s.count())
	}
}
