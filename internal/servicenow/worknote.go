package servicenow

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/escalator/escalator/internal/fault"
)

// AddWorkNote appends a work note to the incident sysID. The PATCH is not
// retried: a lost answer could otherwise post the note twice. Notes that a
// redelivery could repeat go through AddWorkNoteOnce.
func (c *Client) AddWorkNote(ctx context.Context, sysID, text string) error {
	_, err := c.do(ctx, http.MethodPatch, c.tableURL("incident", sysID, nil), map[string]string{"work_notes": text}, false)
	if err != nil {
		return fmt.Errorf("add work note to %s: %w", sysID, err)
	}
	return nil
}

// HasWorkNote reports whether a work note that Escalator's own user wrote
// on the incident sysID contains marker, looked up in sys_journal_field.
// A marker in a note written by anyone else does not count: any ITIL user
// can type "[escalator:…]", and it must not stop Escalator's own note.
func (c *Client) HasWorkNote(ctx context.Context, sysID, marker string) (bool, error) {
	if strings.Contains(marker, "^") || strings.Contains(sysID, "^") {
		return false, fault.Permanentf("look up work note of %s: '^' cannot be used in an encoded query", sysID)
	}
	self, err := c.IntegrationUser(ctx)
	if err != nil {
		return false, fmt.Errorf("look up work note of %s: %w", sysID, err)
	}
	q := Query{}.Eq("element_id", sysID).Eq("element", "work_notes").Eq("sys_created_by", self).Like("value", marker)
	if err := q.Err(); err != nil {
		return false, fmt.Errorf("look up work note of %s: %w", sysID, fault.AsPermanent(err))
	}
	recs, err := c.query(ctx, "sys_journal_field", url.Values{
		"sysparm_query":  {q.String()},
		"sysparm_limit":  {"1"},
		"sysparm_fields": {"sys_id"},
	})
	if err != nil {
		return false, fmt.Errorf("look up work note of %s: %w", sysID, err)
	}
	return len(recs) > 0, nil
}

// AddWorkNoteOnce posts text, followed by the marker of key (hidden, as
// marker.go explains), unless a work note with that marker, written by Escalator's own
// user, is already on the incident: a redelivered or replayed event does
// not post the same note twice, nor does one that an earlier version of
// Escalator posted with the marker visible. posted says whether it posted.
// key must not contain '^', ']' or a line break (NoteKey builds one that
// does not).
func (c *Client) AddWorkNoteOnce(ctx context.Context, sysID, key, text string) (posted bool, err error) {
	if key == "" || strings.ContainsAny(key, "^]\r\n") {
		return false, fault.Permanentf("add work note to %s: invalid marker key %q", sysID, key)
	}
	marker := Marker(key)
	found, err := c.HasWorkNote(ctx, sysID, marker)
	if err != nil || found {
		return false, err
	}
	if err := c.AddWorkNote(ctx, sysID, markedNote(text, key)); err != nil {
		return false, err
	}
	return true, nil
}

// integrationUser is the user_name Escalator acts as, once known.
type integrationUser struct {
	mu   sync.Mutex
	name string
}

// IntegrationUser returns the user_name Escalator's requests act as: the
// configured one (Config.IntegrationUser, else the basic auth user), or,
// with OAuth, the instance's answer to
//
//	GET /api/now/table/sys_user?sysparm_query=user_name=javascript:gs.getUserName()
//
// (a filter with a javascript: value is evaluated for the calling user,
// inside the script sandbox when that is on), asked once and remembered.
// An answer that is not exactly one user is a permanent error naming
// ESCALATOR_SERVICENOW_INTEGRATION_USER, the variable that avoids the
// question.
func (c *Client) IntegrationUser(ctx context.Context) (string, error) {
	c.self.mu.Lock()
	defer c.self.mu.Unlock()
	if c.self.name != "" {
		return c.self.name, nil
	}
	recs, err := c.query(ctx, "sys_user", url.Values{
		"sysparm_query":  {"user_name=javascript:gs.getUserName()"},
		"sysparm_fields": {"user_name"},
		// Two: an instance that ignored the filter would answer with
		// several users, which must not be mistaken for this one.
		"sysparm_limit": {"2"},
	})
	if err != nil {
		return "", fmt.Errorf("find the integration user (sys_user of gs.getUserName()): %w", err)
	}
	if len(recs) != 1 || recs[0]["user_name"] == "" || strings.Contains(recs[0]["user_name"], "^") {
		return "", fault.Permanentf("find the integration user: the instance answered %d users to user_name=javascript:gs.getUserName(); "+
			"set ESCALATOR_SERVICENOW_INTEGRATION_USER to the user_name Escalator acts as (the OAuth Application User)", len(recs))
	}
	c.self.name = recs[0]["user_name"]
	return c.self.name, nil
}
