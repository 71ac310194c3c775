package servicenow

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

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

// record is one Table API record. Values are strings, except reference
// fields without sysparm_exclude_reference_link ({"link","value"}) and
// fields under sysparm_display_value=all ({"display_value","value"}); both
// collapse to their value. Numbers, booleans and null, which the Table API
// does not send but a proxy might, become their text.
type record map[string]string

func (r *record) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	if raw == nil {
		return fmt.Errorf("record is null")
	}
	out := make(record, len(raw))
	for k, v := range raw {
		s, err := fieldValue(v)
		if err != nil {
			return fmt.Errorf("field %s: %w", k, err)
		}
		out[k] = s
	}
	*r = out
	return nil
}

func fieldValue(v json.RawMessage) (string, error) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "", nil
	}
	switch v[0] {
	case '"':
		var s string
		err := json.Unmarshal(v, &s)
		return s, err
	case '{':
		var ref struct {
			Value json.RawMessage `json:"value"`
		}
		if err := json.Unmarshal(v, &ref); err != nil {
			return "", err
		}
		if len(ref.Value) == 0 || ref.Value[0] == '{' {
			return "", nil
		}
		return fieldValue(ref.Value)
	case 'n':
		return "", nil
	case 't', 'f':
		var b bool
		err := json.Unmarshal(v, &b)
		return strconv.FormatBool(b), err
	case '[':
		return "", fmt.Errorf("unexpected array")
	default:
		var n json.Number
		err := json.Unmarshal(v, &n)
		return n.String(), err
	}
}

// decodeOne decodes {"result":{…}}.
func decodeOne(data []byte) (Incident, error) {
	var env struct {
		Result *record `json:"result"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return Incident{}, fmt.Errorf("decode answer: %w", err)
	}
	if env.Result == nil {
		return Incident{}, fmt.Errorf("decode answer: no result")
	}
	return incidentFrom(*env.Result), nil
}

// decodeMany decodes {"result":[{…},…]}.
func decodeMany(data []byte) ([]record, error) {
	var env struct {
		Result *[]record `json:"result"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("decode answer: %w", err)
	}
	if env.Result == nil {
		return nil, fmt.Errorf("decode answer: no result")
	}
	return *env.Result, nil
}
