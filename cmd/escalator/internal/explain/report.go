package explain

import (
	"cmp"
	"slices"
	"time"
)

// Report is what explain found about one incident.
type Report struct {
	// Query is the incident as asked: a number or a sys_id.
	Query    string   `json:"query"`
	Incident Incident `json:"incident"`
	// Found is false when no source knows the incident.
	Found bool `json:"found"`
	// Since bounds the report when --since was given.
	Since time.Time `json:"since,omitzero"`

	Events      []Event       `json:"events"`
	DeadLetters []DeadLetter  `json:"dead_letters"`
	Outbox      []OutboxRow   `json:"outbox"`
	Case        []CaseVersion `json:"case_history"`
	Accounts    []Account     `json:"account_history"`
	Notes       []Note        `json:"notes"`
	Tickets     []Ticket      `json:"tickets"`
	Traces      []Trace       `json:"traces"`

	// Timeline is every dated fact above, oldest first.
	Timeline []Entry `json:"timeline"`
	// Sources says, per source, whether it answered and how much it held.
	Sources []Source `json:"sources"`
	Stats   Stats    `json:"stats"`
}

// Incident identifies the incident; the ServiceNow fields are empty when
// the instance was not asked or does not hold it.
type Incident struct {
	SysID            string `json:"sys_id,omitempty"`
	Number           string `json:"number,omitempty"`
	ShortDescription string `json:"short_description,omitempty"`
	State            string `json:"state,omitempty"`
	// InServiceNow says the instance holds the incident.
	InServiceNow bool `json:"in_servicenow"`
}

// Event is one message of the stream about the incident.
type Event struct {
	Seq         uint64    `json:"seq"`
	Stored      time.Time `json:"stored"`
	ID          string    `json:"id"`
	Type        string    `json:"type"`
	Subject     string    `json:"subject"`
	RequestedBy string    `json:"requested_by,omitempty"`
	TraceID     string    `json:"trace_id,omitempty"`
	// Replay is the replay run that republished the event, if one did.
	Replay string `json:"replay,omitempty"`
	// Status is where the worker stands with it (see Status*).
	Status string `json:"status"`
	// Deliveries is known for a dead-lettered event (its header).
	Deliveries int `json:"deliveries,omitempty"`
	// Outcome is what became of it, in words: a dead letter's reason, a
	// refusal, the outbox row's result.
	Outcome string `json:"outcome,omitempty"`
	// LinkedAccount is, for an escalation, the account linked when it was
	// stored ("" when the account history does not reach back that far).
	LinkedAccount string `json:"linked_account,omitempty"`
}

// Event statuses, from the worker consumer's position and the DLQ.
const (
	StatusHandled      = "handled"       // acknowledged by the worker
	StatusDeadLettered = "dead-lettered" // terminated, its copy in the DLQ
	StatusInProgress   = "in progress"   // delivered, not yet acknowledged (running or waiting for a retry)
	StatusWaiting      = "waiting"       // not delivered yet
	StatusUnknown      = "unknown"       // no worker consumer to ask
)

// DeadLetter is one message of ESCALATOR_DLQ about the incident.
type DeadLetter struct {
	Seq        uint64    `json:"seq"`
	Stored     time.Time `json:"stored"`
	OrigSeq    uint64    `json:"original_seq,omitempty"`
	EventID    string    `json:"event_id,omitempty"`
	Subject    string    `json:"original_subject"`
	Class      string    `json:"class,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	Deliveries int       `json:"deliveries,omitempty"`
	TraceID    string    `json:"trace_id,omitempty"`
}

// OutboxRow is one row of u_escalator_outbox for the incident.
type OutboxRow struct {
	SysID     string    `json:"sys_id"`
	Created   time.Time `json:"created,omitzero"`
	CreatedBy string    `json:"created_by,omitempty"`
	Type      string    `json:"type,omitempty"`
	State     string    `json:"state,omitempty"`
	Result    string    `json:"result,omitempty"`
	EventSeq  string    `json:"event_seq,omitempty"`
	Attempts  string    `json:"attempts,omitempty"`
	LastError string    `json:"last_error,omitempty"`
}

// CaseVersion is one revision of the incident's record in escalator_cases.
type CaseVersion struct {
	Revision   uint64    `json:"revision"`
	Written    time.Time `json:"written"`
	Operation  string    `json:"operation"` // put, delete, purge
	State      string    `json:"state,omitempty"`
	TicketName string    `json:"ticket_name,omitempty"`
	CaseID     string    `json:"case_id,omitempty"`
	Generation int       `json:"generation"`
	EventID    string    `json:"event_id,omitempty"`
	Severity   string    `json:"severity,omitempty"`
	Contact    string    `json:"contact,omitempty"`
	LastStatus string    `json:"last_status,omitempty"`
}

// Account is one revision of the linked account in escalator_accounts.
type Account struct {
	Revision  uint64    `json:"revision"`
	Written   time.Time `json:"written"`
	Operation string    `json:"operation"` // put (linked), delete or purge (unlinked)
	Email     string    `json:"email,omitempty"`
	LinkedBy  string    `json:"linked_by,omitempty"`
	Verified  bool      `json:"verified,omitempty"`
}

// Note is a work note Escalator posted on the incident (one that carries
// an [escalator:<key>] marker).
type Note struct {
	SysID     string    `json:"sys_id,omitempty"`
	Created   time.Time `json:"created,omitzero"`
	CreatedBy string    `json:"created_by,omitempty"`
	Marker    string    `json:"marker"`
	Text      string    `json:"text"`
	// Foreign marks a note with a marker written by another user than
	// Escalator's integration user: Escalator ignores its marker.
	Foreign bool `json:"foreign,omitempty"`
}

// Ticket is a Microsoft support case as Azure Support answers it now.
type Ticket struct {
	Name     string    `json:"name"`
	CaseID   string    `json:"case_id,omitempty"`
	Status   string    `json:"status,omitempty"`
	Severity string    `json:"severity,omitempty"`
	Title    string    `json:"title,omitempty"`
	Created  time.Time `json:"created,omitzero"`
	Modified time.Time `json:"modified,omitzero"`
	// Error is why the ticket could not be read.
	Error string `json:"error,omitempty"`
}

// Trace is a trace id to open in a tracing UI, and the stream sequences of
// the messages that carry it.
type Trace struct {
	TraceID string   `json:"trace_id"`
	Seqs    []uint64 `json:"seqs"`
}

// Entry is one line of the timeline.
type Entry struct {
	Time   time.Time `json:"time"`
	Source string    `json:"source"`
	Text   string    `json:"text"`
	// order sorts the entry when it is not Time.
	order time.Time
}

func (e Entry) sortKey() time.Time {
	if e.order.IsZero() {
		return e.Time
	}
	return e.order
}

// Source states.
const (
	SourceOK            = "ok"
	SourceNotConfigured = "not configured"
	SourceUnavailable   = "unavailable"
)

// Source is how one source answered.
type Source struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Count  int    `json:"count"`
	Detail string `json:"detail,omitempty"`
}

// Stats are what the stream lookups cost: proof that explain reads the
// incident's messages, not the stream.
type Stats struct {
	// Method is "index" or "scan".
	Method string `json:"method"`
	// IndexEntries is the number of index keys listed for the incident.
	IndexEntries int `json:"index_entries"`
	// MessagesRead is the number of ESCALATOR messages fetched.
	MessagesRead int `json:"messages_read"`
	// Expired counts indexed events the stream no longer holds.
	Expired int `json:"expired"`
	// DeadLettersRead is the number of ESCALATOR_DLQ messages read.
	DeadLettersRead int `json:"dead_letters_read"`
	// StreamMessages is the size of ESCALATOR when explain ran.
	StreamMessages uint64        `json:"stream_messages"`
	Took           time.Duration `json:"took_ns"`
}

// found reports whether any source knows the incident.
func (r *Report) found() bool {
	return r.Incident.InServiceNow || len(r.Events) > 0 || len(r.DeadLetters) > 0 || len(r.Outbox) > 0 ||
		len(r.Case) > 0 || len(r.Notes) > 0 || r.Stats.Expired > 0
}

func (r *Report) source(name, status string, count int, detail string) {
	r.Sources = append(r.Sources, Source{Name: name, Status: status, Count: count, Detail: detail})
}

// sortTimeline orders the timeline by time, keeping the order of entries
// of the same instant as they were added.
func (r *Report) sortTimeline() {
	slices.SortStableFunc(r.Timeline, func(a, b Entry) int { return a.sortKey().Compare(b.sortKey()) })
}

// keepSince drops what happened before since from the lists and the
// timeline; the account history stays whole (it says which account was
// linked at the time of each event).
func (r *Report) keepSince(since time.Time) {
	if since.IsZero() {
		return
	}
	r.Since = since
	before := func(t time.Time) bool { return !t.IsZero() && t.Before(since) }
	r.Events = slices.DeleteFunc(r.Events, func(e Event) bool { return before(e.Stored) })
	r.DeadLetters = slices.DeleteFunc(r.DeadLetters, func(d DeadLetter) bool { return before(d.Stored) })
	r.Outbox = slices.DeleteFunc(r.Outbox, func(o OutboxRow) bool { return before(o.Created) })
	r.Case = slices.DeleteFunc(r.Case, func(c CaseVersion) bool { return before(c.Written) })
	r.Notes = slices.DeleteFunc(r.Notes, func(n Note) bool { return before(n.Created) })
	r.Timeline = slices.DeleteFunc(r.Timeline, func(e Entry) bool { return before(e.Time) })
}

// traces groups the messages by trace id, in the order first seen.
func traces(events []Event, dls []DeadLetter) []Trace {
	out := []Trace{}
	add := func(id string, seq uint64) {
		if id == "" {
			return
		}
		i := slices.IndexFunc(out, func(t Trace) bool { return t.TraceID == id })
		if i < 0 {
			out = append(out, Trace{TraceID: id})
			i = len(out) - 1
		}
		if !slices.Contains(out[i].Seqs, seq) {
			out[i].Seqs = append(out[i].Seqs, seq)
		}
	}
	for _, e := range events {
		add(e.TraceID, e.Seq)
	}
	for _, d := range dls {
		add(d.TraceID, cmp.Or(d.OrigSeq, d.Seq))
	}
	return out
}
