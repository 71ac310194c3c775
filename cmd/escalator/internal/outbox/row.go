package outbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/servicenow"
)

// Table is the outbox table the update set creates.
const Table = "u_escalator_outbox"

// Row states (u_state).
const (
	StatePending = "pending"
	StateSent    = "sent"
	StateDone    = "done"
	StateRefused = "refused"
	StateFailed  = "failed"
)

// MaxPayload bounds u_payload: the update set's field holds 64 KB.
const MaxPayload = 64 << 10

// eventTypes maps u_type to the CloudEvents type.
var eventTypes = map[string]string{
	"insights":   event.TypeInsights,
	"escalation": event.TypeEscalation,
	"update":     event.TypeUpdated,
}

// rowFields are the fields the poller reads of a row (sysparm_fields).
var rowFields = []string{"sys_id", "u_type", "u_incident", "u_payload", "sys_created_by", "sys_created_on", "sys_mod_count"}

// RowError says why a row cannot become an event; the row is marked
// failed with it and never tried again.
type RowError struct {
	// Field is the row's field at fault (u_type, u_payload, …).
	Field  string
	Detail string
}

func (e *RowError) Error() string { return e.Field + " " + e.Detail }

func rowError(field, format string, args ...any) error {
	return &RowError{Field: field, Detail: fmt.Sprintf(format, args...)}
}

// RowEvent is the CloudEvent an outbox row stands for: id the row's
// sys_id, type from u_type, source the instance URL, time sys_created_on,
// data u_payload with what the instance itself recorded laid over it: the
// requester is the row's sys_created_by (whatever the payload says) and the
// incident u_incident. The event is validated by event.Decode, so a pulled
// request meets the same rules as a pushed one. A row that cannot become a
// valid event is a *RowError.
func RowEvent(row servicenow.Record, source string) (event.Event, error) {
	typ, ok := eventTypes[row["u_type"]]
	if !ok {
		return event.Event{}, rowError("u_type", "is %q: want insights, escalation or update", row["u_type"])
	}
	incident := row["u_incident"]
	if incident == "" {
		return event.Event{}, rowError("u_incident", "is empty: the request names no incident")
	}
	user := row["sys_created_by"]
	if user == "" {
		return event.Event{}, rowError("sys_created_by", "is empty: the requester is unknown")
	}
	created, err := time.Parse(servicenow.TimeLayout, row["sys_created_on"])
	if err != nil {
		return event.Event{}, rowError("sys_created_on", "is %q: want a date/time such as 2026-11-25 09:14:03", row["sys_created_on"])
	}
	data, err := payload(row["u_payload"], incident, user)
	if err != nil {
		return event.Event{}, err
	}
	body, err := json.Marshal(map[string]any{
		"specversion": event.SpecVersion,
		"id":          row["sys_id"],
		"source":      source,
		"type":        typ,
		"time":        created.UTC().Format(time.RFC3339),
		"data":        data,
	})
	if err != nil {
		return event.Event{}, rowError("u_payload", "cannot be encoded: %v", err)
	}
	ev, err := event.Decode(body)
	var ve *event.ValidationError
	if errors.As(err, &ve) {
		parts := make([]string, len(ve.Fields))
		for i, f := range ve.Fields {
			parts[i] = f.Field + " " + f.Detail
		}
		return event.Event{}, rowError("u_payload", "makes an invalid event: %s", strings.Join(parts, "; "))
	}
	if err != nil {
		return event.Event{}, rowError("u_payload", "makes an invalid event: %v", err)
	}
	return ev, nil
}

// payload is u_payload as the event's data, with incident.sys_id and
// requested_by.user_name set from the row.
func payload(s, incident, user string) (map[string]json.RawMessage, error) {
	if len(s) > MaxPayload {
		return nil, rowError("u_payload", "is %d bytes: at most %d", len(s), MaxPayload)
	}
	var data map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &data); err != nil {
		return nil, rowError("u_payload", "is not a JSON object: %v", err)
	}
	if data == nil {
		return nil, rowError("u_payload", "is not a JSON object: null")
	}
	var err error
	if data["incident"], err = setString(data["incident"], "sys_id", incident); err != nil {
		return nil, rowError("u_payload", "incident %v", err)
	}
	if data["requested_by"], err = setString(data["requested_by"], "user_name", user); err != nil {
		return nil, rowError("u_payload", "requested_by %v", err)
	}
	return data, nil
}

// setString sets key to value in the JSON object raw (absent or null: a new
// object).
func setString(raw json.RawMessage, key, value string) (json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &obj); err != nil {
			return nil, errors.New("is not a JSON object")
		}
	}
	if obj == nil {
		obj = map[string]json.RawMessage{}
	}
	v, err := json.Marshal(value)
	if err != nil {
		return nil, err
	}
	obj[key] = v
	return json.Marshal(obj)
}

// isSysID reports whether s is a sys_id (32 lowercase hex digits): the id
// of an event that may have come from an outbox row.
func isSysID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
