package event

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limit bounds one string or list field of an event, in every mode.
//
// The bounds stop abuse (a 500 KB user name that would become a span
// attribute, 100,000 roles) without refusing what a ServiceNow instance
// sends: identifiers take the length ServiceNow itself keeps them to; long
// free text, which ServiceNow stores past its dictionary length
// (KB0685779), takes the 64 KB the outbox payload is bounded to.
type Limit struct {
	// Field is the field as errors name it.
	Field string
	// Max is the most characters (Unicode code points) the field holds;
	// for a list, the most entries.
	Max int
	// Item is, for a list, the most characters of each entry.
	Item int
	// Members is, for tracestate, the most comma-separated list members.
	Members int
	// Text marks free text, which may hold tab, newline and carriage
	// return; every other field refuses all control characters (C0, DEL,
	// C1) and invalid UTF-8.
	Text bool
	// Why is where the bound comes from.
	Why string
}

// limit is a Limit and how to read its field.
type limit struct {
	Limit
	str  func(*wire) string
	list func(*wire) []string
}

// attr reports whether l bounds a CloudEvents attribute (a header in
// binary mode) rather than a field of the data.
func (l *limit) attr() bool { return !strings.HasPrefix(l.Field, "data.") }

// Bounds shared by several fields.
const (
	choiceLen    = 40    // a ServiceNow choice value (priority, state, category, close_code)
	userNameLen  = 40    // sys_user.user_name; ServiceNow keeps the first 40 (KB2029092)
	emailLen     = 254   // RFC 5321 path limit
	longTextLen  = 65536 // free text ServiceNow stores as mediumtext; the outbox payload is ≤ 64 KB
	dateTimeLen  = 64    // an RFC 3339 or ServiceNow date-time is at most 35
	shortDescLen = 160   // task.short_description
)

// limits is the one table of field bounds; read-only.
var limits = []limit{
	{Limit{Field: "specversion", Max: 16, Why: "must be \"1.0\""}, func(w *wire) string { return w.SpecVersion }, nil},
	{Limit{Field: "id", Max: MaxIDLength, Why: "becomes the Nats-Msg-Id"}, func(w *wire) string { return w.ID }, nil},
	{Limit{Field: "source", Max: 512, Why: "the instance URL"}, func(w *wire) string { return w.Source }, nil},
	{Limit{Field: "type", Max: 128, Why: "the known types are at most 44"}, func(w *wire) string { return w.Type }, nil},
	{Limit{Field: "time", Max: dateTimeLen, Why: "RFC 3339 with nanoseconds and an offset is 35"}, func(w *wire) string { return w.Time }, nil},
	{Limit{Field: "datacontenttype", Max: 256, Why: "a media type with parameters"}, func(w *wire) string { return w.DataContentType }, nil},
	{Limit{Field: "traceparent", Max: 55, Why: "W3C Trace Context, version 00"}, func(w *wire) string { return w.TraceParent }, nil},
	{Limit{Field: "tracestate", Max: 512, Members: 32, Why: "W3C Trace Context: 32 list members; 512 characters is what tracers propagate"}, func(w *wire) string { return w.TraceState }, nil},

	{Limit{Field: "data.incident.sys_id", Max: 32, Why: "32 hexadecimal characters"}, func(w *wire) string { return dataOf(w).Incident.SysID }, nil},
	{Limit{Field: "data.incident.number", Max: 40, Why: "ServiceNow task.number"}, func(w *wire) string { return dataOf(w).Incident.Number }, nil},
	{Limit{Field: "data.incident.short_description", Max: shortDescLen, Text: true, Why: "ServiceNow task.short_description"}, func(w *wire) string { return dataOf(w).Incident.ShortDescription }, nil},
	{Limit{Field: "data.incident.description", Max: longTextLen, Text: true, Why: "ServiceNow stores past its 4000 (KB0685779); the outbox payload is at most 64 KB"}, func(w *wire) string { return dataOf(w).Incident.Description }, nil},
	{Limit{Field: "data.incident.priority", Max: choiceLen, Why: "a ServiceNow choice value"}, func(w *wire) string { return dataOf(w).Incident.Priority }, nil},
	{Limit{Field: "data.incident.urgency", Max: choiceLen, Why: "a ServiceNow choice value"}, func(w *wire) string { return dataOf(w).Incident.Urgency }, nil},
	{Limit{Field: "data.incident.impact", Max: choiceLen, Why: "a ServiceNow choice value"}, func(w *wire) string { return dataOf(w).Incident.Impact }, nil},
	{Limit{Field: "data.incident.state", Max: choiceLen, Why: "a ServiceNow choice value"}, func(w *wire) string { return dataOf(w).Incident.State }, nil},
	{Limit{Field: "data.incident.category", Max: choiceLen, Why: "a ServiceNow choice value"}, func(w *wire) string { return dataOf(w).Incident.Category }, nil},
	{Limit{Field: "data.incident.assignment_group", Max: 80, Why: "ServiceNow sys_user_group.name"}, func(w *wire) string { return dataOf(w).Incident.AssignmentGroup }, nil},
	{Limit{Field: "data.incident.caller_id", Max: userNameLen, Why: "a user name, as user_name"}, func(w *wire) string { return dataOf(w).Incident.CallerID }, nil},
	{Limit{Field: "data.incident.opened_at", Max: dateTimeLen, Why: "a date-time"}, func(w *wire) string { return dataOf(w).Incident.OpenedAt }, nil},
	{Limit{Field: "data.incident.close_code", Max: choiceLen, Why: "a ServiceNow choice value"}, func(w *wire) string { return dataOf(w).Incident.CloseCode }, nil},
	{Limit{Field: "data.incident.close_notes", Max: longTextLen, Text: true, Why: "as the description"}, func(w *wire) string { return dataOf(w).Incident.CloseNotes }, nil},

	{Limit{Field: "data.requested_by.user_name", Max: userNameLen, Why: "ServiceNow sys_user.user_name, which it keeps to 40 (KB2029092)"}, func(w *wire) string { return dataOf(w).RequestedBy.UserName }, nil},
	{Limit{Field: "data.requested_by.email", Max: emailLen, Why: "RFC 5321 (ServiceNow sys_user.email is 100)"}, func(w *wire) string { return dataOf(w).RequestedBy.Email }, nil},
	{Limit{Field: "data.requested_by.roles", Max: 1000, Item: 100, Why: "ServiceNow sys_user_role.name; every role of the user, inherited ones included"}, nil, func(w *wire) []string { return dataOf(w).RequestedBy.Roles }},

	{Limit{Field: "data.escalation.title", Max: 256, Text: true, Why: "the support ticket's title"}, func(w *wire) string { return escalation(w).Title }, nil},
	{Limit{Field: "data.escalation.description", Max: longTextLen, Text: true, Why: "as the incident's description"}, func(w *wire) string { return escalation(w).Description }, nil},
	{Limit{Field: "data.escalation.severity", Max: 32, Why: "one of four values"}, func(w *wire) string { return escalation(w).Severity }, nil},
	{Limit{Field: "data.escalation.problem_start_time", Max: dateTimeLen, Why: "an RFC 3339 date-time"}, func(w *wire) string { return escalation(w).ProblemStartTime }, nil},
	{Limit{Field: "data.escalation.advanced_diagnostic_consent", Max: 8, Why: "Yes or No"}, func(w *wire) string { return escalation(w).AdvancedDiagnosticConsent }, nil},
	{Limit{Field: "data.escalation.contact.first_name", Max: 50, Why: "ServiceNow sys_user.first_name"}, func(w *wire) string { return contact(w).FirstName }, nil},
	{Limit{Field: "data.escalation.contact.last_name", Max: 50, Why: "ServiceNow sys_user.last_name"}, func(w *wire) string { return contact(w).LastName }, nil},
	{Limit{Field: "data.escalation.contact.email", Max: emailLen, Why: "RFC 5321"}, func(w *wire) string { return contact(w).Email }, nil},
	{Limit{Field: "data.escalation.contact.phone", Max: 40, Why: "ServiceNow sys_user.phone"}, func(w *wire) string { return contact(w).Phone }, nil},
	{Limit{Field: "data.escalation.contact.preferred_contact_method", Max: 16, Why: "email or phone"}, func(w *wire) string { return contact(w).PreferredContactMethod }, nil},
	{Limit{Field: "data.escalation.contact.time_zone", Max: 64, Why: "a Windows or IANA time zone name"}, func(w *wire) string { return contact(w).TimeZone }, nil},
	{Limit{Field: "data.escalation.contact.language", Max: 35, Why: "an RFC 5646 language tag"}, func(w *wire) string { return contact(w).Language }, nil},
	{Limit{Field: "data.escalation.contact.country", Max: 64, Why: "a country code or name"}, func(w *wire) string { return contact(w).Country }, nil},

	{Limit{Field: "data.change.work_note", Max: longTextLen, Text: true, Why: "a journal entry, as the incident's description"}, func(w *wire) string { return change(w).WorkNote }, nil},
	{Limit{Field: "data.change.fields", Max: 500, Item: 80, Why: "incident field names: ServiceNow sys_dictionary.element"}, nil, func(w *wire) []string { return change(w).Fields }},
	{Limit{Field: "data.change.journal_id", Max: 32, Why: "a sys_journal_field sys_id: 32 hexadecimal characters"}, func(w *wire) string { return change(w).JournalID }, nil},

	{Limit{Field: "data.tick.name", Max: 64, Why: "Escalator's own job names (internal ticks)"}, func(w *wire) string { return tick(w).Name }, nil},
}

// Limits returns the bound of every string and list field of an event.
func Limits() []Limit {
	out := make([]Limit, len(limits))
	for i, l := range limits {
		out[i] = l.Limit
	}
	return out
}

// Zero values the optional parts of an event read as when absent.
var (
	noData       Data
	noEscalation Escalation
	noContact    Contact
	noChange     Change
	noTick       Tick
)

func dataOf(w *wire) *Data {
	if w.Data == nil {
		return &noData
	}
	return w.Data
}

func escalation(w *wire) *Escalation {
	if e := dataOf(w).Escalation; e != nil {
		return e
	}
	return &noEscalation
}

func contact(w *wire) *Contact {
	if c := escalation(w).Contact; c != nil {
		return c
	}
	return &noContact
}

func change(w *wire) *Change {
	if c := dataOf(w).Change; c != nil {
		return c
	}
	return &noChange
}

func tick(w *wire) *Tick {
	if t := dataOf(w).Tick; t != nil {
		return t
	}
	return &noTick
}

// bounds checks every field of w against its limit. A field over its
// limit is reported once: the checks after it leave it alone (and never
// quote its value).
func (v *validator) bounds(w *wire, d decoded) {
	for i := range limits {
		l := &limits[i]
		chars := !d.dataPrintable
		if l.attr() {
			chars = !d.attrsPrintable
		}
		if l.list != nil {
			v.boundList(l, l.list(w), chars)
			continue
		}
		s := l.str(w)
		if len(s) <= l.Max && !chars && l.Members == 0 {
			continue // the common case, without a call
		}
		if detail := l.check(s, l.Max, chars); detail != "" {
			v.cover(l.Field, detail)
		}
	}
}

func (v *validator) boundList(l *limit, items []string, chars bool) {
	if len(items) > l.Max {
		v.cover(l.Field, fmt.Sprintf("more than %d entries", l.Max))
		return
	}
	for i, s := range items {
		if detail := l.check(s, l.Item, chars); detail != "" {
			// The first bad entry is enough to fix the sender.
			v.cover(l.Field+"["+strconv.Itoa(i)+"]", detail)
			v.covered = append(v.covered, l.Field)
			return
		}
	}
}

// check returns what is wrong with s against max characters and, if
// chars, the characters l allows; or "".
func (l *limit) check(s string, max int, chars bool) string {
	if len(s) > max && utf8.RuneCountInString(s) > max {
		return fmt.Sprintf("longer than %d characters", max)
	}
	if chars {
		if detail := l.characters(s); detail != "" {
			return detail
		}
	}
	if l.Members > 0 && strings.Count(s, ",") >= l.Members && listMembers(s) > l.Members {
		return fmt.Sprintf("more than %d list members", l.Members)
	}
	return ""
}

// characters returns what is wrong with the characters of s, or "".
func (l *limit) characters(s string) string {
	if l.Text {
		if r, ok := textClean(s); !ok {
			return fmt.Sprintf("contains the control character %U", r)
		}
		return ""
	}
	if r, ok := identClean(s); !ok {
		if r == utf8.RuneError {
			return "is not valid UTF-8"
		}
		return fmt.Sprintf("contains the control character %U", r)
	}
	return ""
}

// listMembers counts the non-empty members of a W3C list (tracestate).
func listMembers(s string) int {
	n := 0
	for m := range strings.SplitSeq(s, ",") {
		if strings.TrimSpace(m) != "" {
			n++
		}
	}
	return n
}
