package insights_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/escalator/escalator/insights"
	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/servicenow"
	"github.com/escalator/escalator/internal/testkit/sim"
	"github.com/escalator/escalator/worker"
)

const issuesRoute = "GET /v1.0/admin/serviceAnnouncement/issues"

// articleURL matches the article links of a note.
var articleURL = regexp.MustCompile(`https://(learn|support)\.microsoft\.com/\S+`)

func TestHandleExampleIncident(t *testing.T) {
	e := newHandlerEnv(t)
	ev := exampleEvent(t)
	if err := e.handle(t, ev); err != nil {
		t.Fatal(err)
	}
	notes := e.workNotes(t)
	if len(notes) != 1 {
		t.Fatalf("%d work notes, want 1", len(notes))
	}
	note := notes[0].Value
	for _, want := range []string{
		"Microsoft 365 insights for " + sim.DefaultIncidentNumber,
		sim.ExchangeIncidentID + " - Users may be unable to connect to Exchange Online using the Outlook desktop client",
		"Service: Exchange Online | Status: Service degradation",
		"Recommended articles:",
		"[escalator:insights-",
	} {
		if !strings.Contains(note, want) {
			t.Errorf("note lacks %q:\n%s", want, note)
		}
	}
	// The issue is the first one named, before any other issue.
	if i := strings.Index(note, "1. "+sim.ExchangeIncidentID); i < 0 {
		t.Errorf("the Exchange issue is not the first issue:\n%s", note)
	}
	// Issues of other services (Teams chat, SharePoint sites) do not match.
	for _, other := range []string{"TM123789", "SP123654"} {
		if strings.Contains(note, other) {
			t.Errorf("note names %s, an issue of another service:\n%s", other, note)
		}
	}
	// Relevant articles: some, at most 5, each about Outlook or Exchange.
	urls := articleURL.FindAllString(note, -1)
	if len(urls) == 0 || len(urls) > insights.TopArticles {
		t.Fatalf("%d article links, want 1..%d:\n%s", len(urls), insights.TopArticles, note)
	}
	catalog, err := insights.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	byURL := make(map[string]insights.Article)
	for _, a := range catalog.Articles() {
		byURL[a.URL] = a
	}
	for _, u := range urls {
		a, ok := byURL[u]
		if !ok {
			t.Errorf("note links %s, which is not in the catalog", u)
			continue
		}
		if !aboutMail(a) {
			t.Errorf("article %q (%v) is not about Outlook or Exchange", a.Title, a.Services)
		}
	}
	if got, want := e.storedDigest(t), planOf(t, e, ev).Digest; got != want {
		t.Errorf("stored digest %q, want %q", got, want)
	}
}

func aboutMail(a insights.Article) bool {
	for _, s := range a.Services {
		if c := insights.CanonicalService(s); c == insights.ServiceExchange || strings.Contains(strings.ToLower(s), "outlook") {
			return true
		}
	}
	return false
}

func planOf(t *testing.T, e *handlerEnv, ev *event.Event) insights.Plan {
	t.Helper()
	p, err := e.handler.Plan(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSecondIdenticalRequestPostsNothing(t *testing.T) {
	e := newHandlerEnv(t)
	ev := exampleEvent(t)
	for i := range 3 {
		if err := e.handle(t, ev); err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
	}
	if n := len(e.workNotes(t)); n != 1 {
		t.Errorf("%d work notes after 3 identical requests, want 1", n)
	}
	// Unchanged even with a fresh read of Graph.
	e.clock.Advance(testMaxAge + time.Minute)
	if err := e.handle(t, ev); err != nil {
		t.Fatal(err)
	}
	if n := len(e.workNotes(t)); n != 1 {
		t.Errorf("%d work notes after a refresh that changed nothing, want 1", n)
	}
	if n := e.sim.Calls(issuesRoute); n != 2 {
		t.Errorf("Graph issues read %d times, want 2 (first request, then after MaxAge)", n)
	}
}

func TestIssueChangePostsNewNote(t *testing.T) {
	e := newHandlerEnv(t)
	ev := exampleEvent(t)
	original, ok := e.sim.Issue(sim.ExchangeIncidentID)
	if !ok {
		t.Fatalf("simulator has no issue %s", sim.ExchangeIncidentID)
	}
	if err := e.handle(t, ev); err != nil {
		t.Fatal(err)
	}

	steps := []struct {
		name   string
		change func() error
		// want is in the new note; absent is not.
		want, absent string
	}{
		{
			name: "new post and status",
			change: func() error {
				return e.sim.AddIssuePost(sim.ExchangeIncidentID, "restoringService", sim.HealthPost{
					Description: sim.ItemBody{Content: "<p>We're deploying the fix.</p>"}})
			},
			want: "Status: Restoring service",
		},
		{
			name:   "resolved",
			change: func() error { return e.sim.ResolveIssue(sim.ExchangeIncidentID, "", "<p>Fixed.</p>") },
			absent: sim.ExchangeIncidentID,
		},
		{
			// Back to the first state: the same digest as the first note,
			// posted again because it replaces another one.
			name:   "back to the original",
			change: func() error { return e.sim.UpsertIssue(original) },
			want:   "Status: Service degradation",
		},
	}
	for i, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			before := e.storedDigest(t)
			if err := st.change(); err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(testMaxAge + time.Minute)
			if err := e.handle(t, ev); err != nil {
				t.Fatal(err)
			}
			notes := e.workNotes(t)
			if len(notes) != i+2 {
				t.Fatalf("%d work notes, want %d", len(notes), i+2)
			}
			if after := e.storedDigest(t); after == before {
				t.Errorf("digest unchanged (%s) after the issue changed", after)
			}
			last := notes[len(notes)-1].Value
			if st.want != "" && !strings.Contains(last, st.want) {
				t.Errorf("new note lacks %q:\n%s", st.want, last)
			}
			if st.absent != "" && strings.Contains(last, st.absent) {
				t.Errorf("new note still names %q:\n%s", st.absent, last)
			}
			// And a repeat of the request posts nothing more.
			if err := e.handle(t, ev); err != nil {
				t.Fatal(err)
			}
			if n := len(e.workNotes(t)); n != i+2 {
				t.Errorf("%d work notes after a repeated request, want %d", n, i+2)
			}
		})
	}
}

func TestGraphFailureIsRetried(t *testing.T) {
	e := newHandlerEnv(t)
	ev := exampleEvent(t)
	if err := e.sim.SetFaults(sim.Faults{Routes: map[string]sim.RouteFault{issuesRoute: {Status: 503}}}); err != nil {
		t.Fatal(err)
	}
	err := e.handle(t, ev)
	if err == nil {
		t.Fatal("Handle succeeded while Graph answered 503")
	}
	if c := fault.Classify(err); c != fault.Transient {
		t.Errorf("class %v, want transient: %v", c, err)
	}
	if n := len(e.workNotes(t)); n != 0 {
		t.Errorf("%d work notes posted without service health", n)
	}
	if d := e.storedDigest(t); d != "" {
		t.Errorf("digest %q stored without a note", d)
	}

	e.sim.ClearFaults()
	if err := e.handle(t, ev); err != nil {
		t.Fatalf("redelivery: %v", err)
	}
	notes := e.workNotes(t)
	if len(notes) != 1 || !strings.Contains(notes[0].Value, sim.ExchangeIncidentID) {
		t.Errorf("after the redelivery: %d notes, want 1 naming %s", len(notes), sim.ExchangeIncidentID)
	}
}

func TestStaleSnapshotRefreshFailureIsRetried(t *testing.T) {
	e := newHandlerEnv(t)
	ev := exampleEvent(t)
	if err := e.handle(t, ev); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.SetFaults(sim.Faults{Routes: map[string]sim.RouteFault{issuesRoute: {Status: 503}}}); err != nil {
		t.Fatal(err)
	}
	// Within MaxAge the snapshot is used as it is.
	if err := e.handle(t, ev); err != nil {
		t.Errorf("fresh snapshot: %v", err)
	}
	// Past it, a snapshot that cannot be refreshed fails the message.
	e.clock.Advance(testMaxAge + time.Minute)
	if err := e.handle(t, ev); fault.Classify(err) != fault.Transient || err == nil {
		t.Errorf("stale snapshot, Graph down: err %v, want transient", err)
	}
}

// The first delivery posted its note and died before recording the
// digest; the redelivery finds the note by its marker and records the
// digest. The note may be this version's, or an earlier version's, its
// marker visible on the last line: no second note after an upgrade.
func TestCrashBetweenNoteAndDigest(t *testing.T) {
	for _, tt := range []struct {
		name string
		post func(e *handlerEnv, p insights.Plan) error
	}{
		{"this version", func(e *handlerEnv, p insights.Plan) error {
			_, err := e.notes.AddWorkNoteOnce(context.Background(), p.SysID, p.Key, p.Text)
			return err
		}},
		{"earlier version", func(e *handlerEnv, p insights.Plan) error {
			return e.notes.AddWorkNote(context.Background(), p.SysID, p.Text+"\n\n"+servicenow.Marker(p.Key))
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newHandlerEnv(t)
			ev := exampleEvent(t)
			p := planOf(t, e, ev)
			if err := tt.post(e, p); err != nil {
				t.Fatal(err)
			}
			if err := e.handle(t, ev); err != nil {
				t.Fatal(err)
			}
			if n := len(e.workNotes(t)); n != 1 {
				t.Errorf("%d work notes after the redelivery, want 1", n)
			}
			if got := e.storedDigest(t); got != p.Digest {
				t.Errorf("stored digest %q, want %q", got, p.Digest)
			}
		})
	}
}

// The note's marker is in the stored value, hidden in a [code] block that
// the activity stream renders as nothing: agents read the note, not the key.
func TestNoteMarkerIsHidden(t *testing.T) {
	e := newHandlerEnv(t)
	ev := exampleEvent(t)
	p := planOf(t, e, ev)
	if err := e.handle(t, ev); err != nil {
		t.Fatal(err)
	}
	notes := e.workNotes(t)
	if len(notes) != 1 {
		t.Fatalf("%d work notes, want 1", len(notes))
	}
	hidden := `[code]<span style="display:none">` + servicenow.Marker(p.Key) + `</span>[/code]`
	if v := notes[0].Value; !strings.HasSuffix(v, "\n"+hidden) || strings.Count(v, servicenow.MarkerPrefix) != 1 {
		t.Errorf("note does not end with its hidden marker %q:\n%s", hidden, v)
	}
}

func TestPlanHasNoSideEffects(t *testing.T) {
	e := newHandlerEnv(t)
	ev := exampleEvent(t)
	p := planOf(t, e, ev)
	if !p.Post || p.Action() != "post" || p.Stored != "" || p.StoredRevision != 0 {
		t.Errorf("plan before any note = %+v", p)
	}
	if !strings.HasPrefix(p.Key, "insights-"+p.Digest[:16]) {
		t.Errorf("key %q does not start with the digest", p.Key)
	}
	if !strings.Contains(p.Text, sim.ExchangeIncidentID) {
		t.Errorf("planned note lacks %s:\n%s", sim.ExchangeIncidentID, p.Text)
	}
	if n := len(e.workNotes(t)); n != 0 {
		t.Errorf("Plan posted %d work notes", n)
	}
	if d := e.storedDigest(t); d != "" {
		t.Errorf("Plan stored digest %q", d)
	}
	if err := e.handle(t, ev); err != nil {
		t.Fatal(err)
	}
	p = planOf(t, e, ev)
	if p.Post || p.Action() != "unchanged" || p.Stored != p.Digest {
		t.Errorf("plan after the note = %+v", p)
	}
}

func TestHandleRefusesOtherEvents(t *testing.T) {
	e := newHandlerEnv(t)
	ev := exampleEvent(t)
	ev.Type = event.TypeEscalation
	tests := []struct {
		name string
		msg  *worker.Message
	}{
		{"nil message", nil},
		{"no event", &worker.Message{}},
		{"escalation event", &worker.Message{Event: ev}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.handler.Handle(context.Background(), tt.msg)
			if err == nil || fault.Classify(err) != fault.Permanent {
				t.Errorf("err %v, want permanent", err)
			}
		})
	}
	if n := len(e.workNotes(t)); n != 0 {
		t.Errorf("%d work notes for refused messages", n)
	}
}

func TestNewHandlerValidates(t *testing.T) {
	e := newHandlerEnv(t)
	catalog, err := insights.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	full := insights.HandlerConfig{Catalog: catalog, Health: e.snapshot, Notes: e.notes, Digests: e.digests}
	tests := []struct {
		name  string
		spoil func(*insights.HandlerConfig)
	}{
		{"no catalog", func(c *insights.HandlerConfig) { c.Catalog = nil }},
		{"no health", func(c *insights.HandlerConfig) { c.Health = nil }},
		{"no notes", func(c *insights.HandlerConfig) { c.Notes = nil }},
		{"no digests", func(c *insights.HandlerConfig) { c.Digests = nil }},
		{"negative max age", func(c *insights.HandlerConfig) { c.MaxAge = -time.Second }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := full
			tt.spoil(&cfg)
			if _, err := insights.NewHandler(cfg); err == nil {
				t.Error("NewHandler succeeded")
			}
		})
	}
	if _, err := insights.NewHandler(full); err != nil {
		t.Errorf("complete config: %v", err)
	}
}

func TestIncidentText(t *testing.T) {
	got := insights.IncidentText(event.Incident{ShortDescription: " Outlook down ", Description: "", Category: "email"})
	if got != "Outlook down\nemail" {
		t.Errorf("IncidentText = %q", got)
	}
}
