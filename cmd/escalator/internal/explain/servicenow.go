package explain

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/escalator/escalator/internal/servicenow"
)

// Records reads records of a ServiceNow table; *servicenow.Client
// implements it.
type Records interface {
	List(ctx context.Context, table string, opts servicenow.ListOptions) ([]servicenow.Record, error)
}

// Self names the ServiceNow user Escalator acts as; *servicenow.Client
// implements it. A Records without it leaves every marked note Escalator's.
type Self interface {
	IntegrationUser(ctx context.Context) (string, error)
}

// Tables and fields explain reads.
const (
	tableIncident = "incident"
	tableOutbox   = "u_escalator_outbox"
	tableJournal  = "sys_journal_field"
)

var (
	incidentFields = []string{"sys_id", "number", "short_description", "state"}
	outboxFields   = []string{"sys_id", "sys_created_on", "sys_created_by", "u_type", "u_state", "u_result",
		"u_event_seq", "u_attempts", "u_last_error"}
	noteFields = []string{"sys_id", "sys_created_on", "sys_created_by", "value"}
)

// snowTime reads a ServiceNow date-time ("2006-01-02 15:04:05", UTC, as the
// Table API answers without display values); zero when it is not one.
func snowTime(s string) time.Time {
	t, err := time.ParseInLocation(time.DateTime, s, time.UTC)
	if err != nil {
		return time.Time{}
	}
	return t
}

// findIncident reads the incident by sys_id, or else by number, into inc.
// It reports false when the instance holds no such incident.
func findIncident(ctx context.Context, sn Records, t target, inc *Incident) (bool, error) {
	q := servicenow.Query{}.Eq("number", t.number)
	if t.sysID != "" {
		q = servicenow.Query{}.Eq("sys_id", t.sysID)
	}
	recs, err := sn.List(ctx, tableIncident, servicenow.ListOptions{Query: q, Fields: incidentFields, Limit: 1})
	if errors.Is(err, servicenow.ErrNotFound) || (err == nil && len(recs) == 0) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read incident: %w", err)
	}
	r := recs[0]
	inc.SysID, inc.Number = strings.ToLower(r["sys_id"]), r["number"]
	inc.ShortDescription, inc.State, inc.InServiceNow = r["short_description"], r["state"], true
	return true, nil
}

// outboxRows reads the incident's rows of u_escalator_outbox, oldest first.
func outboxRows(ctx context.Context, sn Records, sysID string) ([]OutboxRow, error) {
	recs, err := sn.List(ctx, tableOutbox, servicenow.ListOptions{
		Query:  servicenow.Query{}.Eq("u_incident", sysID).OrderBy("sys_created_on"),
		Fields: outboxFields,
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", tableOutbox, err)
	}
	out := make([]OutboxRow, 0, len(recs))
	for _, r := range recs {
		out = append(out, OutboxRow{
			SysID: r["sys_id"], Created: snowTime(r["sys_created_on"]), CreatedBy: r["sys_created_by"],
			Type: r["u_type"], State: r["u_state"], Result: r["u_result"], EventSeq: r["u_event_seq"],
			Attempts: r["u_attempts"], LastError: r["u_last_error"],
		})
	}
	return out, nil
}

// notes reads the work notes of the incident that carry Escalator's
// marker, oldest first. A marker counts for Escalator only in its
// integration user's notes: one typed by anybody else is marked Foreign
// (when the integration user is known).
func notes(ctx context.Context, sn Records, sysID string) ([]Note, error) {
	self := ""
	if s, ok := sn.(Self); ok {
		self, _ = s.IntegrationUser(ctx) // unknown: every note counts
	}
	recs, err := sn.List(ctx, tableJournal, servicenow.ListOptions{
		Query: servicenow.Query{}.Eq("element_id", sysID).Eq("element", "work_notes").
			Like("value", servicenow.MarkerPrefix).OrderBy("sys_created_on"),
		Fields: noteFields,
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", tableJournal, err)
	}
	out := make([]Note, 0, len(recs))
	for _, r := range recs {
		marker, text, ok := servicenow.FindMarker(r["value"])
		if !ok {
			continue
		}
		out = append(out, Note{SysID: r["sys_id"], Created: snowTime(r["sys_created_on"]), CreatedBy: r["sys_created_by"],
			Marker: marker, Text: text, Foreign: self != "" && !strings.EqualFold(r["sys_created_by"], self)})
	}
	return out, nil
}
