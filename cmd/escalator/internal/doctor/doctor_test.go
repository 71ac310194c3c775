package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func result(r Result) func(context.Context) Result {
	return func(context.Context) Result { return r }
}

func TestRunSkipsWhatNeedsAFailure(t *testing.T) {
	ran := map[string]bool{}
	check := func(name string, r Result, needs ...string) Check {
		return Check{Name: name, Needs: needs, Run: func(context.Context) Result { ran[name] = true; return r }}
	}
	rep := Run(context.Background(), []Check{
		check("a", Failed("fix a", "a broke")),
		check("b", Passed("fine")),
		check("c", Passed("fine"), "a"),      // a failed
		check("d", Passed("fine"), "b", "c"), // c skipped
		check("e", Warned("fix e", "meh"), "b"),
		check("f", Passed("fine"), "e"), // a WARN does not block
		check("g", Passed("fine"), "nope"),
	})
	want := []struct {
		name   string
		status Status
		detail string
	}{
		{"a", Fail, "a broke"}, {"b", Pass, "fine"}, {"c", Skip, "needs a"}, {"d", Skip, "needs c"},
		{"e", Warn, "meh"}, {"f", Pass, "fine"}, {"g", Skip, "needs nope"},
	}
	for i, w := range want {
		e := rep.Entries[i]
		if e.Name != w.name || e.Status != w.status || e.Detail != w.detail {
			t.Errorf("entry %d = %+v, want %s %s %q", i, e, w.name, w.status, w.detail)
		}
	}
	if ran["c"] || ran["d"] || ran["g"] {
		t.Errorf("skipped checks ran: %v", ran)
	}
	if !rep.Failed() || rep.Count(Skip) != 3 {
		t.Errorf("Failed %v, skipped %d", rep.Failed(), rep.Count(Skip))
	}
}

func TestRunBoundsEachCheck(t *testing.T) {
	stuck := make(chan struct{})
	defer close(stuck)
	rep := Run(context.Background(), []Check{
		{Name: "stuck", Timeout: 10 * time.Millisecond, Run: func(context.Context) Result { <-stuck; return Passed("late") }},
		{Name: "panics", Run: func(context.Context) Result { panic("boom") }},
		{Name: "empty", Run: func(context.Context) Result { return Result{} }},
		{Name: "next", Run: result(Passed("ran"))},
	})
	want := map[string]string{"stuck": "no answer within 10ms", "panics": "check panicked: boom", "empty": ""}
	for name, detail := range want {
		e, _ := rep.Entry(name)
		if e.Status != Fail || e.Detail != detail {
			t.Errorf("%s = %+v, want FAIL %q", name, e, detail)
		}
	}
	if e, _ := rep.Entry("next"); e.Status != Pass {
		t.Errorf("next = %+v, want PASS after the others", e)
	}
}

func TestRunInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	stuck := make(chan struct{})
	defer close(stuck)
	rep := Run(ctx, []Check{
		{Name: "a", Run: func(ctx context.Context) Result { cancel(); <-ctx.Done(); return Failed("x", "cancelled") }},
		{Name: "b", Run: func(context.Context) Result { <-stuck; return Passed("late") }},
	})
	if e, _ := rep.Entry("b"); e.Status != Fail || !strings.HasPrefix(e.Detail, "interrupted") {
		t.Errorf("b = %+v, want FAIL interrupted", e)
	}
}

func sampleReport() Report {
	return Report{Entries: []Entry{
		{Name: "configuration", Status: Fail, Detail: "2 problems: A, B", Fix: "A is not set: set it\nB is bad: fix it"},
		{Name: "tenant", Status: Pass, Detail: "tenant x\nresolves"},
		{Name: "redis", Status: Warn, Detail: "in-process", Fix: "set ESCALATOR_REDIS_URL"},
		{Name: "nats", Status: Skip, Detail: "needs configuration"},
	}}
}

func TestWriteText(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteText(&b, false); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"FAIL  configuration  2 problems: A, B\n" +
		"                     fix: A is not set: set it\n" +
		"                          B is bad: fix it\n" +
		"PASS  tenant         tenant x resolves\n" +
		"WARN  redis          in-process\n" +
		"                     fix: set ESCALATOR_REDIS_URL\n" +
		"SKIP  nats           needs configuration\n" +
		"\n1 passed, 1 warning, 1 failed, 1 skipped\n"
	if b.String() != want {
		t.Errorf("text:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	_ = sampleReport().WriteText(&b, true)
	for _, s := range []Status{Pass, Warn, Fail, Skip} {
		if !strings.Contains(b.String(), statusColor[s]+string(s)+colorReset) {
			t.Errorf("coloured text lacks coloured %s", s)
		}
	}
}

func TestWriteJSON(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var got []map[string]string
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if len(got) != 4 {
		t.Fatalf("%d entries, want 4", len(got))
	}
	for _, e := range got {
		if len(e) != 4 || e["name"] == "" || e["status"] == "" {
			t.Errorf("entry %v: want exactly name, status, detail, fix", e)
		}
		if _, ok := e["fix"]; !ok {
			t.Errorf("entry %v has no fix key", e)
		}
	}
	if got[0]["status"] != "FAIL" || got[0]["fix"] != "A is not set: set it\nB is bad: fix it" {
		t.Errorf("first entry %v", got[0])
	}
	b.Reset()
	_ = Report{}.WriteJSON(&b)
	if strings.TrimSpace(b.String()) != "[]" {
		t.Errorf("empty report = %q, want []", b.String())
	}
}

func TestConfigurationCheck(t *testing.T) {
	tests := []struct {
		problems, warnings []string
		status             Status
		detail, fix        string
	}{
		{status: Pass, detail: "every setting is present and well-formed"},
		{problems: []string{"ESCALATOR_TENANT is not set: set it", "ESCALATOR_CLIENT_ID is not set: set it"},
			warnings: []string{"ESCALATOR_INGEST_TOKENS is not set: set some"},
			status:   Fail, detail: "2 problems and 1 warning: ESCALATOR_TENANT, ESCALATOR_CLIENT_ID, ESCALATOR_INGEST_TOKENS",
			fix: "ESCALATOR_TENANT is not set: set it\nESCALATOR_CLIENT_ID is not set: set it\nESCALATOR_INGEST_TOKENS is not set: set some"},
		{warnings: []string{"ESCALATOR_INGEST_TOKENS is not set: set some"}, status: Warn,
			detail: "1 warning: ESCALATOR_INGEST_TOKENS", fix: "ESCALATOR_INGEST_TOKENS is not set: set some"},
	}
	for _, tt := range tests {
		r := ConfigurationCheck(tt.problems, tt.warnings).Run(context.Background())
		if r.Status != tt.status || r.Detail != tt.detail || r.Fix != tt.fix {
			t.Errorf("got %+v, want %s %q %q", r, tt.status, tt.detail, tt.fix)
		}
	}
}

// TestEnvironmentCheckSaysSimulator: an answer from the simulator makes the
// last check say "simulator", never "production: cases are real".
func TestEnvironmentCheckSaysSimulator(t *testing.T) {
	yes, no := func() bool { return true }, func() bool { return false }
	tests := []struct {
		test      bool
		simulated func() bool
		want      string
	}{
		{false, nil, "production: cases are real"},
		{false, no, "production: cases are real"},
		{true, no, "test environment: cases are marked test, severity minimal"},
		{false, yes, "simulator: the endpoints are Escalator's simulator, no case is real"},
		{true, yes, "simulator: the endpoints are Escalator's simulator, no case is real; test environment: cases are marked test, severity minimal"},
	}
	for _, tt := range tests {
		if r := TestEnvironmentCheck(tt.test, tt.simulated).Run(context.Background()); r.Status != Pass || r.Detail != tt.want {
			t.Errorf("test %v, simulated %v: %s %q, want PASS %q", tt.test, tt.simulated != nil && tt.simulated(), r.Status, r.Detail, tt.want)
		}
	}
}
