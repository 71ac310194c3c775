package servicenow

// Incident states (the incident table's "state" choice values).
const (
	StateNew        = "1"
	StateInProgress = "2"
	StateOnHold     = "3"
	StateResolved   = "6"
	StateClosed     = "7"
	StateCanceled   = "8"
)

// IsResolvedOrClosed reports whether state ends the incident's life:
// Resolved, Closed or Canceled. A Microsoft case opened for it has nothing
// left to do.
func IsResolvedOrClosed(state string) bool {
	switch state {
	case StateResolved, StateClosed, StateCanceled:
		return true
	}
	return false
}

// Incident is a record of the incident table, with every value as the
// string the Table API sends. Reference fields hold the referenced sys_id.
type Incident struct {
	SysID            string
	Number           string
	ShortDescription string
	Description      string
	State            string
	Priority         string
	Impact           string
	Urgency          string
	CloseCode        string
	CloseNotes       string
	CorrelationID    string
	Category         string
	AssignmentGroup  string
	// Fields holds every field of the answer, the ones above included, so
	// that a configured field (ESCALATOR_CASE_FIELD) is read by name.
	Fields map[string]string
}

// IsResolvedOrClosed reports whether the incident is Resolved, Closed or
// Canceled.
func (i Incident) IsResolvedOrClosed() bool { return IsResolvedOrClosed(i.State) }

func incidentFrom(fields map[string]string) Incident {
	return Incident{
		SysID:            fields["sys_id"],
		Number:           fields["number"],
		ShortDescription: fields["short_description"],
		Description:      fields["description"],
		State:            fields["state"],
		Priority:         fields["priority"],
		Impact:           fields["impact"],
		Urgency:          fields["urgency"],
		CloseCode:        fields["close_code"],
		CloseNotes:       fields["close_notes"],
		CorrelationID:    fields["correlation_id"],
		Category:         fields["category"],
		AssignmentGroup:  fields["assignment_group"],
		Fields:           fields,
	}
}
