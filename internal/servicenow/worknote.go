package servicenow

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

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

// HasWorkNote reports whether a work note of the incident sysID contains
// marker, looked up in sys_journal_field.
func (c *Client) HasWorkNote(ctx context.Context, sysID, marker string) (bool, error) {
	if strings.Contains(marker, "^") || strings.Contains(sysID, "^") {
		return false, fault.Permanentf("look up work note of %s: '^' cannot be used in an encoded query", sysID)
	}
	recs, err := c.query(ctx, "sys_journal_field", url.Values{
		"sysparm_query":  {"element_id=" + sysID + "^element=work_notes^valueLIKE" + marker},
		"sysparm_limit":  {"1"},
		"sysparm_fields": {"sys_id"},
	})
	if err != nil {
		return false, fmt.Errorf("look up work note of %s: %w", sysID, err)
	}
	return len(recs) > 0, nil
}

// Marker returns the text that identifies the note posted under key.
func Marker(key string) string { return "[escalator:" + key + "]" }

// AddWorkNoteOnce posts text, followed by the marker of key, unless a work
// note with that marker is already on the incident: a redelivered or
// replayed event does not post the same note twice. posted says whether it
// posted. key must not contain '^', ']' or a line break.
func (c *Client) AddWorkNoteOnce(ctx context.Context, sysID, key, text string) (posted bool, err error) {
	if key == "" || strings.ContainsAny(key, "^]\r\n") {
		return false, fault.Permanentf("add work note to %s: invalid marker key %q", sysID, key)
	}
	marker := Marker(key)
	found, err := c.HasWorkNote(ctx, sysID, marker)
	if err != nil || found {
		return false, err
	}
	if err := c.AddWorkNote(ctx, sysID, strings.TrimRight(text, "\n")+"\n\n"+marker); err != nil {
		return false, err
	}
	return true, nil
}
