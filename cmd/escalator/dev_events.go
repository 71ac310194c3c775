package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/escalator/escalator/escalation"
	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/telemetry"
	"github.com/escalator/escalator/worker"
)

// eventPrinter is dev's worker.Reporter: one line per handled event on the
// terminal, in place of the console spans, saying what became of it and
// the trace id to look it up by:
//
//	12:03:04  INC0010023  escalation  Escalated as Microsoft case 261125040000001 (ticket escalator-9d38…)  trace 4bf92f3577b34da6a3ce929d0e0e4736
//
// Ticks (the scheduled jobs) are not printed. It never fails: a line is
// not worth a retry.
type eventPrinter struct {
	w     io.Writer
	cases caseReader // nil: no case lookup
	now   func() time.Time

	mu sync.Mutex
}

// caseReader reads an incident's case record (escalation.CaseStore).
type caseReader interface {
	Get(ctx context.Context, sysID string) (escalation.Case, uint64, error)
}

// Report prints the line of msg's outcome.
func (p *eventPrinter) Report(ctx context.Context, msg *worker.Message, res worker.Result) error {
	if strings.HasPrefix(msg.Subject, "escalator.tick.") || msg.Event == nil {
		return nil
	}
	line := fmt.Sprintf("%s  %s  %s  %s", p.now().Format("15:04:05"), orDash(msg.Event.Data.Incident.Number),
		kindOf(msg.Subject), p.outcome(ctx, msg, res))
	if n := msg.NumDelivered; n > 1 {
		line += fmt.Sprintf(" (delivery %d)", n)
	}
	// The same rule as the log lines': an id exactly when they carry one.
	if id := telemetry.TraceID(ctx); id != "" {
		line += "  trace " + id
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_, _ = fmt.Fprintln(p.w, line)
	return nil
}

// outcome is what became of the event: the handler's words when it gave
// some, else what the state shows (an escalation's case).
func (p *eventPrinter) outcome(ctx context.Context, msg *worker.Message, res worker.Result) string {
	text := oneLine(res.Text, 200)
	switch res.State {
	case worker.ResultRefused:
		// The handlers' refusals say "Refused: …" themselves.
		return orDefault(text, "Refused: the incident's work notes say why")
	case worker.ResultFailed:
		return "Failed, dead-lettered (escalator dlq list): " + orDefault(text, "no reason given")
	}
	if text != "" {
		return text
	}
	switch msg.Subject {
	case event.SubjectEscalation:
		if c, ok := p.caseOf(ctx, msg); ok && c.CaseID != "" {
			return "Escalated as Microsoft case " + c.CaseID + caseState(c)
		}
		return "Escalation handled: the incident's work notes say how"
	case event.SubjectInsights:
		return "Insights in the incident's work notes: matching service health issues and articles"
	case event.SubjectUpdate:
		if c, ok := p.caseOf(ctx, msg); ok && c.CaseID != "" {
			return "Update passed on to Microsoft case " + c.CaseID + caseState(c)
		}
		return "Update handled: the incident has no Microsoft case"
	}
	return "Handled"
}

func (p *eventPrinter) caseOf(ctx context.Context, msg *worker.Message) (escalation.Case, bool) {
	if p.cases == nil {
		return escalation.Case{}, false
	}
	c, _, err := p.cases.Get(ctx, msg.Event.Data.Incident.SysID)
	return c, err == nil
}

// caseState adds a case's state when it is not simply open.
func caseState(c escalation.Case) string {
	if c.State == escalation.CaseOpen {
		return ""
	}
	return fmt.Sprintf(", now %s", c.State)
}

// kindOf names the request a subject carries.
func kindOf(subject string) string {
	switch subject {
	case event.SubjectInsights:
		return "insights"
	case event.SubjectEscalation:
		return "escalation"
	case event.SubjectUpdate:
		return "update"
	}
	return subject
}

func orDash(s string) string { return orDefault(s, "-") }

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
