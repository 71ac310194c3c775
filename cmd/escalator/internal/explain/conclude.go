package explain

import (
	"fmt"
	"strings"
	"time"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/rolegate"
)

// conclude links the sources to each other (an event to its dead letter,
// its refusal note, its outbox row; an escalation to the account linked at
// the time), collects the trace ids and writes the timeline.
func (x *explainer) conclude() {
	r := x.r
	for i := range r.Events {
		e := &r.Events[i]
		var outcomes []string
		for _, d := range r.DeadLetters {
			if d.OrigSeq == e.Seq {
				e.Status, e.Deliveries = StatusDeadLettered, d.Deliveries
				outcomes = append(outcomes, fmt.Sprintf("dead-lettered (%s, after %s): %s", d.Class, plural(d.Deliveries, "delivery", "deliveries"), d.Reason))
			}
		}
		for _, n := range r.Notes {
			if what := noteOf(n.Marker, e.ID); what != "" && !n.Foreign {
				outcomes = append(outcomes, what)
			}
		}
		for _, o := range r.Outbox {
			if o.SysID == e.ID || (o.EventSeq != "" && o.EventSeq == fmt.Sprint(e.Seq)) {
				outcomes = append(outcomes, strings.TrimSuffix("outbox row "+o.State+": "+o.Result, ": "))
			}
		}
		e.Outcome = strings.Join(outcomes, "; ")
		if e.Type == event.TypeEscalation && (len(r.Accounts) > 0 || x.accountsWhole) {
			e.LinkedAccount = linkedAt(r.Accounts, x.accountsWhole, e.Stored)
		}
	}
	r.Traces = traces(r.Events, r.DeadLetters)
	x.timeline()
	r.sortTimeline()
}

// noteOf says what a note of marker tells about the event id, or "" when
// the note is not about that event.
func noteOf(marker, id string) string {
	switch {
	case marker == rolegate.NoteKey(id):
		return "refused: the requester lacks the role (work note)"
	case !strings.HasSuffix(marker, "-"+id):
		return ""
	case strings.HasPrefix(marker, "already-"):
		return "already escalated (work note)"
	case strings.HasPrefix(marker, "no-account-"):
		return "no linked admin account (work note)"
	}
	return "work note [escalator:" + marker + "]"
}

// typeWords names an event type in the timeline.
func typeWords(t string) string {
	switch t {
	case event.TypeInsights:
		return "insights requested"
	case event.TypeEscalation:
		return "escalation requested"
	case event.TypeUpdated:
		return "incident updated"
	}
	return t
}

func (x *explainer) timeline() {
	r := x.r
	add := func(e Entry) { r.Timeline = append(r.Timeline, e) }
	for _, e := range r.Events {
		text := typeWords(e.Type)
		if e.RequestedBy != "" {
			text += " by " + e.RequestedBy
		}
		text += fmt.Sprintf(" (event %s, seq %d", e.ID, e.Seq)
		if e.Replay != "" {
			text += ", replay " + e.Replay
		}
		if e.TraceID != "" {
			text += ", trace " + e.TraceID
		}
		text += "): " + e.Status
		if e.Outcome != "" && e.Status != StatusDeadLettered {
			text += "; " + e.Outcome
		}
		if e.LinkedAccount != "" {
			text += "; linked account " + e.LinkedAccount
		}
		add(Entry{Time: e.Stored, Source: "event", Text: text})
	}
	for _, d := range r.DeadLetters {
		add(Entry{Time: d.Stored, Source: "dead letter", Text: fmt.Sprintf("%s of seq %d after %s (%s): %s (DLQ seq %d)",
			d.Subject, d.OrigSeq, plural(d.Deliveries, "delivery", "deliveries"), d.Class, d.Reason, d.Seq)})
	}
	for _, o := range r.Outbox {
		text := fmt.Sprintf("outbox row %s: %s, %s", o.SysID, o.Type, o.State)
		if o.Result != "" {
			text += ": " + o.Result
		}
		if o.LastError != "" {
			text += " (last error: " + o.LastError + ")"
		}
		add(Entry{Time: o.Created, Source: "outbox", Text: text})
	}
	for _, c := range r.Case {
		text := "case record " + c.Operation + "d"
		if c.Operation == "put" {
			text = fmt.Sprintf("case record %s: ticket %s", c.State, c.TicketName)
			if c.CaseID != "" {
				text += ", case " + c.CaseID
			}
			if c.LastStatus != "" {
				text += ", last status " + c.LastStatus
			}
		}
		add(Entry{Time: c.Written, Source: "case", Text: text})
	}
	for _, a := range r.Accounts {
		text := "account unlinked"
		if a.Operation == "put" {
			text = "account linked: " + a.Email
			if a.LinkedBy != "" {
				text += " by " + a.LinkedBy
			}
		}
		add(Entry{Time: a.Written, Source: "account", Text: text})
	}
	for _, n := range r.Notes {
		first, _, _ := strings.Cut(n.Text, "\n")
		// ServiceNow's times are to the second, and a note follows what
		// it is about: it sorts at the end of its second.
		text := fmt.Sprintf("[escalator:%s] by %s: %s", n.Marker, n.CreatedBy, first)
		if n.Foreign {
			text = fmt.Sprintf("[escalator:%s] typed by %s, not Escalator's user: its marker is ignored: %s", n.Marker, n.CreatedBy, first)
		}
		add(Entry{Time: n.Created, Source: "note", Text: text, order: n.Created.Add(time.Second - 1)})
	}
}

// plural is "1 delivery", "6 deliveries".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
