package servicenow

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// Record is one Table API record: field name → value, every value the
// string the instance sends. A reference field holds the referenced
// record's sys_id, whichever shape it came in ({"link","value"} without
// sysparm_exclude_reference_link, a plain string with it); a field under
// sysparm_display_value=all ({"display_value","value"}) holds its value. A
// dot-walked field asked for in sysparm_fields is under its dotted name:
// Record{"role.name": "itil"}. Numbers, booleans and null, which the Table
// API does not send but a proxy might, become their text.
type Record map[string]string

func (r *Record) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	if raw == nil {
		return fmt.Errorf("record is null")
	}
	out := make(Record, len(raw))
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

// decodeRecord decodes {"result":{…}}.
func decodeRecord(data []byte) (Record, error) {
	var env struct {
		Result *Record `json:"result"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("decode answer: %w", err)
	}
	if env.Result == nil {
		return nil, fmt.Errorf("decode answer: no result")
	}
	return *env.Result, nil
}

// decodeOne decodes {"result":{…}} as an incident.
func decodeOne(data []byte) (Incident, error) {
	r, err := decodeRecord(data)
	if err != nil {
		return Incident{}, err
	}
	return incidentFrom(r), nil
}

// decodeMany decodes {"result":[{…},…]}.
func decodeMany(data []byte) ([]Record, error) {
	var env struct {
		Result *[]Record `json:"result"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("decode answer: %w", err)
	}
	if env.Result == nil {
		return nil, fmt.Errorf("decode answer: no result")
	}
	return *env.Result, nil
}
