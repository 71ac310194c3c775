package explain

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/eventindex"
	"github.com/escalator/escalator/internal/streams"
)

// Source names, as the report lists them.
const (
	SourceStream    = "stream " + streams.StreamName
	SourceDLQ       = "dead letters " + streams.DLQStreamName
	SourceCases     = "case record " + streams.BucketCases
	SourceAccounts  = "linked account " + streams.BucketAccounts
	SourceIncident  = "ServiceNow incident"
	SourceOutbox    = "ServiceNow outbox " + tableOutbox
	SourceNotes     = "ServiceNow work notes"
	SourceMicrosoft = "Microsoft support case"
)

// Query names the incident to explain.
type Query struct {
	// Incident is a number (INC0010023) or a sys_id (32 hex).
	Incident string
	// Since bounds the report; zero: everything retained.
	Since time.Time
	// Scan reads the stream instead of the index (for events published
	// before the index existed, or by a publisher that does not index).
	Scan bool
}

// Deps are the sources. JS is required; a nil ServiceNow or Support is a
// source not configured, and its Why says which setting is missing.
type Deps struct {
	JS            jetstream.JetStream
	ServiceNow    Records
	ServiceNowWhy string
	Support       Tickets
	SupportWhy    string
}

// ErrBadQuery is returned for an incident that is neither a number nor a
// sys_id.
var ErrBadQuery = errors.New("give an incident number (INC0010023) or its sys_id (32 hexadecimal characters)")

// parseQuery tells a sys_id from a number.
func parseQuery(s string) (target, error) {
	s = strings.TrimSpace(s)
	if eventindex.ValidSysID(strings.ToLower(s)) {
		return target{sysID: strings.ToLower(s)}, nil
	}
	if _, ok := eventindex.NumberKey(s); ok {
		return target{number: strings.ToUpper(s)}, nil
	}
	return target{}, fmt.Errorf("incident %q: %w", s, ErrBadQuery)
}

// Explain gathers everything every source holds about the incident. It
// fails only for a query it cannot read; a source that fails is reported
// in Report.Sources and the others are still read.
func Explain(ctx context.Context, d Deps, q Query) (*Report, error) {
	began := time.Now()
	t, err := parseQuery(q.Incident)
	if err != nil {
		return nil, err
	}
	r := &Report{
		Query: q.Incident, Incident: Incident{SysID: t.sysID, Number: t.number},
		// Empty lists, not null, for scripts reading the JSON.
		Events: []Event{}, DeadLetters: []DeadLetter{}, Outbox: []OutboxRow{}, Case: []CaseVersion{},
		Accounts: []Account{}, Notes: []Note{}, Tickets: []Ticket{}, Timeline: []Entry{}, Sources: []Source{},
	}
	x := &explainer{d: d, q: q, r: r}
	x.incident(ctx, &t)
	seqs := x.events(ctx, &t)
	x.deadLetters(ctx, t, seqs)
	if t.sysID != "" {
		x.caseRecord(ctx, t.sysID)
		x.serviceNow(ctx, t.sysID)
	}
	x.accounts(ctx)
	x.tickets(ctx)
	x.conclude()
	r.keepSince(q.Since)
	r.Found = r.found()
	r.Stats.Took = time.Since(began)
	return r, nil
}

// explainer fills one report.
type explainer struct {
	d Deps
	q Query
	r *Report

	accountsWhole bool

	ix     *eventindex.Index // opened once, by index
	ixErr  error
	ixOpen bool
}

// index opens the incident index once; its error says why there is none.
func (x *explainer) index(ctx context.Context) (*eventindex.Index, error) {
	if !x.ixOpen {
		x.ix, x.ixErr = eventindex.Open(ctx, x.d.JS)
		x.ixOpen = true
	}
	return x.ix, x.ixErr
}

// incident reads the incident from ServiceNow, which also turns a number
// into its sys_id (or else the index does).
func (x *explainer) incident(ctx context.Context, t *target) {
	r := x.r
	if x.d.ServiceNow == nil {
		r.source(SourceIncident, SourceNotConfigured, 0, x.d.ServiceNowWhy)
	} else if ok, err := findIncident(ctx, x.d.ServiceNow, *t, &r.Incident); err != nil {
		r.source(SourceIncident, SourceUnavailable, 0, err.Error())
	} else if !ok {
		r.source(SourceIncident, SourceOK, 0, "no such incident in ServiceNow")
	} else {
		r.source(SourceIncident, SourceOK, 1, "")
		t.sysID = r.Incident.SysID
	}
	if t.sysID == "" {
		if ix, err := x.index(ctx); err == nil {
			if sysID, err := ix.SysID(ctx, t.number); err == nil {
				t.sysID, r.Incident.SysID = sysID, sysID
			}
		}
	}
}

// events reads the incident's events through the index, or by a scan of
// the stream when there is no index or --scan says so. A number that
// neither ServiceNow nor the index knows is not looked for in the stream
// unless --scan asks (a scan of a long stream takes seconds; the index
// holds every number published through it). It returns their sequences.
func (x *explainer) events(ctx context.Context, t *target) []uint64 {
	r := x.r
	js := x.d.JS
	st, err := js.Stream(ctx, streams.StreamName)
	if err != nil {
		r.source(SourceStream, SourceUnavailable, 0, err.Error())
		return nil
	}
	r.Stats.StreamMessages = st.CachedInfo().State.Msgs
	detail := ""
	ix, ixErr := x.index(ctx)
	switch {
	case x.q.Scan:
		detail = "read the stream (--scan)"
		err = eventsByScan(ctx, js, *t, x.q.Since, r)
	case ixErr != nil:
		detail = "no index (" + ixErr.Error() + "): read the stream"
		err = eventsByScan(ctx, js, *t, x.q.Since, r)
	case t.sysID == "":
		r.Stats.Method = "index"
		detail = "neither ServiceNow nor the index knows " + t.number + ": --scan reads the stream for it"
	default:
		err = eventsByIndex(ctx, st, ix, *t, r)
	}
	if err != nil {
		r.source(SourceStream, SourceUnavailable, len(r.Events), err.Error())
	} else {
		if r.Stats.Expired > 0 {
			detail = strings.TrimPrefix(detail+fmt.Sprintf("; %d indexed events aged out of the stream", r.Stats.Expired), "; ")
		}
		r.source(SourceStream, SourceOK, len(r.Events), detail)
	}
	if t.sysID == "" {
		t.sysID = r.Incident.SysID // found by number in a scan: the events name it
	}
	seqs := make([]uint64, 0, len(r.Events))
	for _, e := range r.Events {
		seqs = append(seqs, e.Seq)
	}
	if pos, err := consumerPosition(ctx, js); err == nil {
		for i := range r.Events {
			r.Events[i].Status = pos.status(r.Events[i].Seq)
		}
	} else {
		for i := range r.Events {
			r.Events[i].Status = StatusUnknown
		}
	}
	return seqs
}

func (x *explainer) deadLetters(ctx context.Context, t target, seqs []uint64) {
	if err := deadLetters(ctx, x.d.JS, t, seqs, x.q.Since, x.r); err != nil {
		x.r.source(SourceDLQ, SourceUnavailable, len(x.r.DeadLetters), err.Error())
		return
	}
	x.r.source(SourceDLQ, SourceOK, len(x.r.DeadLetters), plural(x.r.Stats.DeadLettersRead, "dead letter", "dead letters")+" read")
}

func (x *explainer) caseRecord(ctx context.Context, sysID string) {
	cases, err := caseHistory(ctx, x.d.JS, sysID)
	x.r.Case = cases
	if err != nil {
		x.r.source(SourceCases, SourceUnavailable, len(cases), err.Error())
		return
	}
	x.r.source(SourceCases, SourceOK, len(cases), "")
}

func (x *explainer) serviceNow(ctx context.Context, sysID string) {
	r := x.r
	if x.d.ServiceNow == nil {
		r.source(SourceOutbox, SourceNotConfigured, 0, x.d.ServiceNowWhy)
		r.source(SourceNotes, SourceNotConfigured, 0, x.d.ServiceNowWhy)
		return
	}
	rows, err := outboxRows(ctx, x.d.ServiceNow, sysID)
	r.Outbox = rows
	if err != nil {
		r.source(SourceOutbox, SourceUnavailable, 0, err.Error())
	} else {
		r.source(SourceOutbox, SourceOK, len(rows), "")
	}
	ns, err := notes(ctx, x.d.ServiceNow, sysID)
	r.Notes = ns
	if err != nil {
		r.source(SourceNotes, SourceUnavailable, 0, err.Error())
	} else {
		r.source(SourceNotes, SourceOK, len(ns), "")
	}
}

// accounts reads the linked account's history when the incident was
// escalated: which account Escalator would have filed the case with.
func (x *explainer) accounts(ctx context.Context) {
	r := x.r
	escalated := len(r.Case) > 0
	for _, e := range r.Events {
		escalated = escalated || strings.HasSuffix(e.Subject, ".escalate")
	}
	if !escalated {
		return
	}
	accs, whole, err := accountHistory(ctx, x.d.JS)
	r.Accounts, x.accountsWhole = accs, whole
	if err != nil {
		r.source(SourceAccounts, SourceUnavailable, len(accs), err.Error())
		return
	}
	r.source(SourceAccounts, SourceOK, len(accs), "")
}

func (x *explainer) tickets(ctx context.Context) {
	names := ticketNames(x.r.Case)
	if len(names) == 0 {
		return
	}
	if x.d.Support == nil {
		x.r.source(SourceMicrosoft, SourceNotConfigured, 0, x.d.SupportWhy)
		return
	}
	ts, found, failed := readTickets(ctx, x.d.Support, names)
	x.r.Tickets = ts
	if failed == len(names) {
		x.r.source(SourceMicrosoft, SourceUnavailable, 0, ts[0].Error)
		return
	}
	x.r.source(SourceMicrosoft, SourceOK, found, "")
}
