package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/escalator/escalator/escalation"
	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/testkit/sim"
	"github.com/escalator/escalator/worker"
)

type recordingReporter struct {
	name string
	log  *[]string
	err  error
}

func (r recordingReporter) Report(_ context.Context, _ *worker.Message, res worker.Result) error {
	*r.log = append(*r.log, r.name+":"+string(res.State))
	return r.err
}

func TestReportersFanOut(t *testing.T) {
	if (reporters{}).reporter() != nil {
		t.Error("no reporters: want a nil Reporter, so the worker reports nothing")
	}
	var log []string
	boom := errors.New("outbox unreachable")
	rs := reporters{recordingReporter{"outbox", &log, nil}, recordingReporter{"dev", &log, nil}}
	if err := rs.reporter().Report(context.Background(), &worker.Message{}, worker.Result{State: worker.ResultDone}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(log, ",") != "outbox:done,dev:done" {
		t.Errorf("calls %v, want both in order", log)
	}
	log = nil
	rs = reporters{recordingReporter{"outbox", &log, boom}, recordingReporter{"dev", &log, nil}}
	if err := rs.Report(context.Background(), &worker.Message{}, worker.Result{State: worker.ResultDone}); !errors.Is(err, boom) {
		t.Errorf("err %v, want the first reporter's", err)
	}
	if strings.Join(log, ",") != "outbox:done" {
		t.Errorf("calls %v: after a failure (the message is retried) the later ones must wait", log)
	}
}

type fakeCases map[string]escalation.Case

func (f fakeCases) Get(_ context.Context, sysID string) (escalation.Case, uint64, error) {
	if c, ok := f[sysID]; ok {
		return c, 1, nil
	}
	return escalation.Case{}, 0, escalation.ErrNoCase
}

func TestEventPrinterLines(t *testing.T) {
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	traced := trace.ContextWithSpanContext(context.Background(),
		trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))
	ev := &event.Event{Data: event.Data{Incident: event.Incident{SysID: sim.DefaultIncidentSysID, Number: "INC0010023"}}}
	cases := fakeCases{sim.DefaultIncidentSysID: {CaseID: "2612010400000001", State: escalation.CaseOpen}}
	at := func() time.Time { return time.Date(2026, 12, 1, 12, 3, 4, 0, time.UTC) }
	tests := []struct {
		name    string
		ctx     context.Context
		msg     worker.Message
		res     worker.Result
		cases   caseReader
		want    string // the whole line; "" for none
		wantSub string
	}{
		{name: "escalation: the case from the record", ctx: traced,
			msg: worker.Message{Subject: event.SubjectEscalation, Event: ev, NumDelivered: 1}, res: worker.Result{State: worker.ResultDone}, cases: cases,
			want: "12:03:04  INC0010023  escalation  Escalated as Microsoft case 2612010400000001  trace 4bf92f3577b34da6a3ce929d0e0e4736"},
		{name: "the handler's words first", ctx: traced,
			msg: worker.Message{Subject: event.SubjectEscalation, Event: ev, NumDelivered: 2}, res: worker.Result{State: worker.ResultDone, Text: "Already escalated as case 2612010400000001"}, cases: cases,
			want: "12:03:04  INC0010023  escalation  Already escalated as case 2612010400000001 (delivery 2)  trace 4bf92f3577b34da6a3ce929d0e0e4736"},
		{name: "refused", ctx: context.Background(),
			msg: worker.Message{Subject: event.SubjectInsights, Event: ev}, res: worker.Result{State: worker.ResultRefused, Text: "Refused: abel.tuter does not hold escalator_insights_user"},
			want: "12:03:04  INC0010023  insights  Refused: abel.tuter does not hold escalator_insights_user"},
		{name: "dead-lettered", ctx: traced,
			msg: worker.Message{Subject: event.SubjectEscalation, Event: ev}, res: worker.Result{State: worker.ResultFailed, Text: "no Microsoft 365 admin account is linked"}, cases: fakeCases{},
			wantSub: "escalation  Failed, dead-lettered (escalator dlq list): no Microsoft 365 admin account is linked  trace 4bf92f"},
		{name: "update of a closed case", ctx: traced,
			msg: worker.Message{Subject: event.SubjectUpdate, Event: ev}, res: worker.Result{State: worker.ResultDone},
			cases:   fakeCases{sim.DefaultIncidentSysID: {CaseID: "2612010400000001", State: escalation.CaseClosed}},
			wantSub: "update  Update passed on to Microsoft case 2612010400000001, now closed  trace"},
		{name: "ticks are not printed", ctx: traced,
			msg: worker.Message{Subject: event.SubjectTickCases, Event: ev}, res: worker.Result{State: worker.ResultDone}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			p := &eventPrinter{w: &out, cases: tt.cases, now: at}
			if err := p.Report(tt.ctx, &tt.msg, tt.res); err != nil {
				t.Fatal(err)
			}
			got := strings.TrimSuffix(out.String(), "\n")
			switch {
			case tt.want == "" && tt.wantSub == "":
				if got != "" {
					t.Errorf("printed %q, want nothing", got)
				}
			case tt.wantSub != "":
				if !strings.Contains(got, tt.wantSub) || strings.Count(out.String(), "\n") != 1 {
					t.Errorf("line %q, want one containing %q", got, tt.wantSub)
				}
			case got != tt.want:
				t.Errorf("line\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestDevDataModel(t *testing.T) {
	data := t.TempDir()
	write := func(rel string) {
		p := filepath.Join(data, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	exists := func(rel string) bool { _, err := os.Stat(filepath.Join(data, rel)); return err == nil }

	tok, err := devToken(data)
	if err != nil || !strings.HasPrefix(tok, "dev-") || len(tok) < 16 {
		t.Fatalf("token %q, %v", tok, err)
	}
	for _, rel := range []string{"nats/jetstream/x", "dev.env", "examples/a.json", "notes.txt"} {
		write(rel)
	}
	// Default: fresh NATS, the same token.
	if err := prepareDevData(data, false, false); err != nil {
		t.Fatal(err)
	}
	if again, _ := devToken(data); exists("nats") || again != tok || !exists("dev.env") || !exists("notes.txt") {
		t.Errorf("fresh start: nats %v, token %q (want %q), dev.env %v, notes.txt %v", exists("nats"), again, tok, exists("dev.env"), exists("notes.txt"))
	}
	// --keep: NATS's data stays.
	write("nats/jetstream/x")
	if err := prepareDevData(data, true, false); err != nil || !exists("nats/jetstream/x") {
		t.Errorf("--keep: %v, nats kept %v", err, exists("nats/jetstream/x"))
	}
	// --reset: every file dev writes goes, a new token comes; nothing else.
	if err := prepareDevData(data, false, true); err != nil {
		t.Fatal(err)
	}
	if exists("nats") || exists("dev-token") || exists("dev.env") || exists("examples") || !exists("notes.txt") {
		t.Errorf("--reset left nats %v, dev-token %v, dev.env %v, examples %v; notes.txt kept %v",
			exists("nats"), exists("dev-token"), exists("dev.env"), exists("examples"), exists("notes.txt"))
	}
	if renewed, _ := devToken(data); renewed == tok {
		t.Error("--reset kept the token")
	}
	if err := prepareDevData(data, true, true); err == nil || !strings.Contains(err.Error(), "--keep and --reset") {
		t.Errorf("--keep with --reset: %v", err)
	}
}
