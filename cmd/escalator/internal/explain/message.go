package explain

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/escalator/escalator/cmd/escalator/internal/replay"
	"github.com/escalator/escalator/internal/telemetry"
)

// target is the incident looked for: its sys_id, its number, or both.
type target struct {
	sysID, number string
}

// peek is what explain reads of a stored event.
type peek struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	TraceParent string `json:"traceparent"`
	Data        struct {
		Incident struct {
			SysID  string `json:"sys_id"`
			Number string `json:"number"`
		} `json:"incident"`
		RequestedBy struct {
			UserName string `json:"user_name"`
		} `json:"requested_by"`
	} `json:"data"`
}

// mayMatch is a cheap first test of a body, made before decoding it: it
// names the sys_id, or the number as ServiceNow writes it (upper case).
// match decides.
func (t target) mayMatch(body []byte) bool {
	return (t.sysID != "" && bytes.Contains(body, []byte(t.sysID))) ||
		(t.number != "" && bytes.Contains(body, []byte(t.number)))
}

// match decodes body and reports whether it is an event of the incident.
func (t target) match(body []byte) (peek, bool) {
	var p peek
	if json.Unmarshal(body, &p) != nil {
		return p, false
	}
	inc := p.Data.Incident
	switch {
	case t.sysID != "" && strings.EqualFold(inc.SysID, t.sysID):
		return p, true
	case t.sysID == "" && t.number != "" && strings.EqualFold(inc.Number, t.number):
		return p, true
	}
	return p, false
}

// traceID is the W3C trace id of a message: its traceparent header (the
// publisher's span), else the event's own traceparent extension.
func traceID(h nats.Header, p peek) string {
	for _, tp := range []string{telemetry.HeaderCarrier(h).Get("traceparent"), p.TraceParent} {
		parts := strings.Split(tp, "-")
		if len(parts) == 4 && len(parts[1]) == 32 && strings.Trim(parts[1], "0") != "" {
			return parts[1]
		}
	}
	return ""
}

// newEvent is the Event of a stored message.
func newEvent(seq uint64, stored time.Time, subject string, h nats.Header, p peek) Event {
	return Event{
		Seq: seq, Stored: stored.UTC(), ID: p.ID, Type: p.Type, Subject: subject,
		RequestedBy: p.Data.RequestedBy.UserName, TraceID: traceID(h, p),
		Replay: h.Get(replay.HeaderReplay),
	}
}

// newDeadLetter is the DeadLetter of a DLQ message, its headers read as
// `escalator dlq` reads them.
func newDeadLetter(seq uint64, stored time.Time, subject string, h nats.Header, p peek) DeadLetter {
	dl := replay.DeadLetterOf(seq, stored, subject, h, nil)
	return DeadLetter{
		Seq: seq, Stored: stored.UTC(), EventID: p.ID,
		OrigSeq: dl.OrigSeq, Subject: dl.Subject, Class: dl.Class, Reason: dl.Reason,
		Deliveries: dl.Deliveries, TraceID: traceID(h, p),
	}
}
