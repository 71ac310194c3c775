package servicenow

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/escalator/escalator/internal/fault"
)

// What the instance says about people: the roles a user holds and the
// journal entries (work notes, comments) they wrote.

// TimeLayout is the layout of the Table API's date/time values
// (sys_created_on, sys_updated_on), in UTC.
const TimeLayout = "2006-01-02 15:04:05"

var sysIDExpr = regexp.MustCompile(`^[0-9a-f]{32}$`)

// UserRoles returns the names of the roles userName (a sys_user user_name)
// holds, sorted and each once: one query on sys_user_has_role,
// user.user_name=<userName>^state=active with the value escaped, read page
// after page. Inherited roles count: the instance lists them as rows too.
// A user without roles, or no such user, has none. Each row also answers
// user.user_name, and a row naming another user is an error: the answer
// is never believed for someone it was not asked about.
func (c *Client) UserRoles(ctx context.Context, userName string) ([]string, error) {
	if strings.TrimSpace(userName) == "" {
		return nil, fault.Permanentf("roles of user: empty user name")
	}
	recs, err := c.List(ctx, "sys_user_has_role", ListOptions{
		Query:  Query{}.Eq("user.user_name", userName).Eq("state", "active"),
		Fields: []string{"role.name", "user.user_name"},
	})
	if err != nil {
		return nil, fmt.Errorf("roles of user %q: %w", userName, err)
	}
	roles := []string{}
	for _, r := range recs {
		if u := r["user.user_name"]; u != "" && !strings.EqualFold(u, userName) {
			return nil, fault.Permanentf("roles of user %q: the instance answered a role of %q", userName, u)
		}
		if name := r["role.name"]; name != "" {
			roles = append(roles, name)
		}
	}
	slices.Sort(roles)
	return slices.Compact(roles), nil
}

// JournalEntry is a sys_journal_field record: one work note or comment.
type JournalEntry struct {
	SysID string
	// ElementID is the sys_id of the record the entry is on (an incident).
	ElementID string
	// Element is the journal field: work_notes or comments.
	Element string
	// Name is the table of that record: incident.
	Name  string
	Value string
	// CreatedBy is the user_name of the author (sys_created_by).
	CreatedBy string
	// CreatedOn is when it was written (sys_created_on, TimeLayout, UTC).
	CreatedOn string
}

// Created parses CreatedOn.
func (j JournalEntry) Created() (time.Time, error) {
	t, err := time.ParseInLocation(TimeLayout, j.CreatedOn, time.UTC)
	if err != nil {
		return time.Time{}, fmt.Errorf("journal entry %s: sys_created_on: %w", j.SysID, err)
	}
	return t, nil
}

// JournalEntry reads the sys_journal_field entry sysID (32 hex digits,
// e.g. an update's change.journal_id). A missing entry, or one an ACL
// hides, is ErrNotFound.
func (c *Client) JournalEntry(ctx context.Context, sysID string) (JournalEntry, error) {
	if !sysIDExpr.MatchString(sysID) {
		return JournalEntry{}, fault.Permanentf("journal entry %q: not a sys_id (32 lowercase hex digits)", sysID)
	}
	r, err := c.Get(ctx, "sys_journal_field", sysID,
		"sys_id", "element_id", "element", "name", "value", "sys_created_by", "sys_created_on")
	if err != nil {
		return JournalEntry{}, err
	}
	return JournalEntry{
		SysID: r["sys_id"], ElementID: r["element_id"], Element: r["element"], Name: r["name"],
		Value: r["value"], CreatedBy: r["sys_created_by"], CreatedOn: r["sys_created_on"],
	}, nil
}
