package event

import (
	"encoding/json"
	"time"
)

// Event types ServiceNow sends, and the internal tick types.
const (
	TypeInsights   = "com.servicenow.incident.insights.requested"
	TypeEscalation = "com.servicenow.incident.escalation.requested"
	TypeUpdated    = "com.servicenow.incident.updated"
	TypeTickHealth = "com.escalator.tick.health"
	TypeTickCases  = "com.escalator.tick.cases"
	TypeTickOutbox = "com.escalator.tick.outbox"
)

// JetStream subjects, one per event type.
const (
	SubjectInsights   = "escalator.incident.insights"
	SubjectEscalation = "escalator.incident.escalate"
	SubjectUpdate     = "escalator.incident.update"
	SubjectTickHealth = "escalator.tick.health"
	SubjectTickCases  = "escalator.tick.cases"
	SubjectTickOutbox = "escalator.tick.outbox"
)

// SpecVersion is the only CloudEvents version accepted.
const SpecVersion = "1.0"

// MaxIDLength bounds the event id, which becomes the Nats-Msg-Id.
const MaxIDLength = 128

var subjects = map[string]string{
	TypeInsights:   SubjectInsights,
	TypeEscalation: SubjectEscalation,
	TypeUpdated:    SubjectUpdate,
	TypeTickHealth: SubjectTickHealth,
	TypeTickCases:  SubjectTickCases,
	TypeTickOutbox: SubjectTickOutbox,
}

// Subject returns the JetStream subject for an event type, and whether the
// type is known.
func Subject(eventType string) (string, bool) {
	s, ok := subjects[eventType]
	return s, ok
}

// Event is one CloudEvent as Escalator reads it.
type Event struct {
	SpecVersion     string    `json:"specversion"`
	ID              string    `json:"id"`
	Source          string    `json:"source"`
	Type            string    `json:"type"`
	Time            time.Time `json:"time"`
	DataContentType string    `json:"datacontenttype,omitempty"`
	// TraceParent and TraceState are the CloudEvents distributed-tracing
	// extension: they continue the caller's W3C trace.
	TraceParent string `json:"traceparent,omitempty"`
	TraceState  string `json:"tracestate,omitempty"`
	Data        Data   `json:"data"`
}

// Subject is the JetStream subject of the event ("" for an unknown type).
func (e *Event) Subject() string {
	s, _ := Subject(e.Type)
	return s
}

// Data is the payload ServiceNow's business rules send.
type Data struct {
	Incident    Incident    `json:"incident"`
	RequestedBy RequestedBy `json:"requested_by"`
	Escalation  *Escalation `json:"escalation,omitempty"`
	Change      *Change     `json:"change,omitempty"`
	// Tick is set on internal tick events only.
	Tick *Tick `json:"tick,omitempty"`
}

// Incident carries the incident fields the handlers read; ServiceNow sends
// every value as a string.
type Incident struct {
	SysID            string `json:"sys_id"`
	Number           string `json:"number"`
	ShortDescription string `json:"short_description,omitempty"`
	Description      string `json:"description,omitempty"`
	Priority         string `json:"priority,omitempty"`
	Urgency          string `json:"urgency,omitempty"`
	Impact           string `json:"impact,omitempty"`
	State            string `json:"state,omitempty"`
	Category         string `json:"category,omitempty"`
	AssignmentGroup  string `json:"assignment_group,omitempty"`
	CallerID         string `json:"caller_id,omitempty"`
	OpenedAt         string `json:"opened_at,omitempty"`
	CloseCode        string `json:"close_code,omitempty"`
	CloseNotes       string `json:"close_notes,omitempty"`
}

// RequestedBy is the ServiceNow user whose action raised the event.
type RequestedBy struct {
	UserName string   `json:"user_name"`
	Email    string   `json:"email,omitempty"`
	Roles    []string `json:"roles"`
}

// HasRole reports whether the user holds role.
func (r RequestedBy) HasRole(role string) bool {
	for _, have := range r.Roles {
		if have == role {
			return true
		}
	}
	return false
}

// Escalation is the optional case detail an administrator filled in (the
// escalation dialog of deploy/servicenow).
type Escalation struct {
	Title       string   `json:"title,omitempty"`
	Description string   `json:"description,omitempty"`
	Severity    string   `json:"severity,omitempty"`
	Contact     *Contact `json:"contact,omitempty"`
	// ProblemStartTime is when the problem started, RFC 3339 (the dialog
	// sends UTC, e.g. "2026-11-25T08:40:00Z").
	ProblemStartTime string `json:"problem_start_time,omitempty"`
	// AdvancedDiagnosticConsent is "Yes" or "No": may Microsoft collect
	// diagnostic information from the tenant's services.
	AdvancedDiagnosticConsent string `json:"advanced_diagnostic_consent,omitempty"`
}

// Contact is who Microsoft support talks to about the case.
type Contact struct {
	FirstName              string `json:"first_name,omitempty"`
	LastName               string `json:"last_name,omitempty"`
	Email                  string `json:"email,omitempty"`
	Phone                  string `json:"phone,omitempty"`
	PreferredContactMethod string `json:"preferred_contact_method,omitempty"`
	TimeZone               string `json:"time_zone,omitempty"`
	Language               string `json:"language,omitempty"`
	Country                string `json:"country,omitempty"`
}

// Change describes what an incident.updated event changed.
type Change struct {
	// WorkNote is the text the instance says it added. It is not believed:
	// what reaches Microsoft is the journal entry JournalID names, read
	// from ServiceNow.
	WorkNote string `json:"work_note,omitempty"`
	// Fields are the names of the fields that changed.
	Fields []string `json:"fields,omitempty"`
	// JournalID is the sys_id of the sys_journal_field entry the update
	// added (empty when only fields changed).
	JournalID string `json:"journal_id,omitempty"`
}

// Tick marks one interval of a scheduled job.
type Tick struct {
	Name  string    `json:"name"`
	Start time.Time `json:"start"`
}

// Marshal encodes e as a structured-mode CloudEvent.
func (e *Event) Marshal() ([]byte, error) {
	return json.Marshal(e)
}
