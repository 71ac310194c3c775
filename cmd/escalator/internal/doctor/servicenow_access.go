package doctor

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

// The tables Escalator reads besides incident, and the outbox it writes.
const (
	tableUserRoles = "sys_user_has_role"
	tableJournal   = "sys_journal_field"
	tableOutbox    = "u_escalator_outbox"
	tableProps     = "sys_properties"
	// propCodeTag lets journal fields render [code] blocks as HTML; the
	// hidden span around Escalator's markers relies on it.
	propCodeTag = "glide.ui.security.allow_codetag"
)

// IntegrationUserReader tells which ServiceNow user Escalator acts as;
// *servicenow.Client implements it.
type IntegrationUserReader interface {
	IntegrationUser(ctx context.Context) (string, error)
}

// Access checks what Escalator reads and writes on the instance besides
// incidents: the requester's roles (sys_user_has_role), journal entries
// (sys_journal_field), its own user name (whose work notes carry its
// markers) and the outbox u_escalator_outbox.
type Access struct {
	// Table reads and writes one row.
	Table *Table
	// Self tells the integration user; SelfFrom says where that name comes
	// from (the variable, the basic auth user, or asked of the instance).
	Self     IntegrationUserReader
	SelfFrom string
	// VerifyRoles is ESCALATOR_VERIFY_ROLES: off, the roles are not read.
	VerifyRoles bool
	// Outbox is ESCALATOR_SERVICENOW_OUTBOX: on, the outbox must be there.
	Outbox bool
	// SkipWrite leaves writing the outbox untested (WARN).
	SkipWrite bool

	outboxRow map[string]string // the row the outbox read found, if any
}

// fixACL is the fix of a refused read of table: the read ACL to add.
func fixACL(table, op, consequence string) string {
	return fmt.Sprintf("the integration user may not %s %s: add an ACL on table %s (type record, operation %s, name %s.None) that a role of the integration user satisfies "+
		"(System Security > Access Control, with security_admin elevated), or, when the cross-scope access policy is named, "+
		"an Application Cross-Scope Access record for table %s, operation %s, status Allowed. %s",
		op, table, table, op, table, table, op, consequence)
}

// RolesCheck reads one active row of sys_user_has_role (sysparm_limit=1).
func (a *Access) RolesCheck() Check {
	return Check{Name: NameSNRoles, Needs: []string{NameSNOAuth}, Run: a.roles}
}

// JournalCheck reads one work note of sys_journal_field.
func (a *Access) JournalCheck() Check {
	return Check{Name: NameSNJournal, Needs: []string{NameSNOAuth}, Run: a.journal}
}

// SelfCheck finds the user Escalator acts as.
func (a *Access) SelfCheck() Check {
	return Check{Name: NameSNSelf, Needs: []string{NameSNOAuth}, Run: a.self}
}

// CodeTagCheck reads glide.ui.security.allow_codetag: false (a common
// hardening) shows the hidden markers of Escalator's notes to agents as
// markup. A property the integration user may not read passes, saying so:
// most integration users cannot read sys_properties, and the default is true.
func (a *Access) CodeTagCheck() Check {
	return Check{Name: NameSNCodeTag, Needs: []string{NameSNOAuth}, Run: a.codeTag}
}

// OutboxReadCheck reads one row of u_escalator_outbox, when the outbox is
// used or the table is there.
func (a *Access) OutboxReadCheck() Check {
	return Check{Name: NameSNOutboxRead, Needs: []string{NameSNOAuth}, Run: a.outboxRead}
}

// OutboxWriteCheck writes the state of the row the read check found back
// with the value it already has (ServiceNow skips an update that changes
// nothing: no junk row, no audit, no business rule on changes), as the
// incident write check does: a PATCH of a sys_id that does not exist
// answers 404 whatever the ACLs, so it proves nothing.
func (a *Access) OutboxWriteCheck() Check {
	return Check{Name: NameSNOutboxWrite, Needs: []string{NameSNOutboxRead}, Run: a.outboxWrite}
}

func (a *Access) roles(ctx context.Context) Result {
	if !a.VerifyRoles {
		return Warned("grant the integration user read access to sys_user_has_role, then unset ESCALATOR_VERIFY_ROLES",
			"ESCALATOR_VERIFY_ROLES=false: the roles an event lists are believed, so whoever holds an ingest token can claim any role")
	}
	_, ok, err := a.Table.FirstOf(ctx, tableUserRoles, "state=active", []string{"sys_id"})
	if err != nil {
		return a.failure(tableUserRoles, "read", "Until then every insights and escalation request fails (retried, then dead-lettered).", err)
	}
	if !ok {
		return Failed(fixACL(tableUserRoles, "read", "Read ACLs hide rows rather than refuse them: as it is, no requester holds a role and every request is refused."),
			"sys_user_has_role answered, but no active role assignment is visible to the integration user")
	}
	return Passed("read a role assignment: requesters' roles are read from ServiceNow")
}

func (a *Access) journal(ctx context.Context) Result {
	_, ok, err := a.Table.FirstOf(ctx, tableJournal, "element=work_notes", []string{"sys_id"})
	if err != nil {
		return a.failure(tableJournal, "read", "Until then work notes reach no Microsoft case, and notes may be posted twice.", err)
	}
	if !ok {
		return Warned(fixACL(tableJournal, "read", "If incidents have work notes, read ACLs hide them: notes then reach no Microsoft case."),
			"sys_journal_field answered, but no work note is visible")
	}
	return Passed("read a work note: update notes and idempotency markers are read from ServiceNow")
}

func (a *Access) codeTag(ctx context.Context) Result {
	row, ok, err := a.Table.FirstOf(ctx, tableProps, "name="+propCodeTag, []string{"value"})
	switch {
	case err != nil:
		return Passed("%s not readable (%s): notes end in a hidden marker, shown as text only if an administrator set it to false", propCodeTag, brief(err))
	case ok && strings.EqualFold(strings.TrimSpace(row["value"]), "false"):
		return Warned("set "+propCodeTag+" to true (System Properties > sys_properties.list), or accept the markup: the markers still work, only their look suffers",
			"%s is false: agents see each Escalator note end in [code]<span style=\"display:none\">[escalator:…]</span>[/code]", propCodeTag)
	}
	return Passed("%s is on (the default): Escalator's note markers are hidden from agents", propCodeTag)
}

func (a *Access) self(ctx context.Context) Result {
	name, err := a.Self.IntegrationUser(ctx)
	if err != nil {
		return Failed("set ESCALATOR_SERVICENOW_INTEGRATION_USER to the user_name Escalator acts as (with OAuth, the OAuth Application User of the registry entry)",
			"cannot tell which user Escalator acts as: %s", brief(err))
	}
	return Passed("acting as %s (%s): only its work notes count as Escalator's", name, a.SelfFrom)
}

func (a *Access) outboxRead(ctx context.Context) Result {
	row, ok, err := a.Table.FirstOf(ctx, tableOutbox, "ORDERBYDESCsys_updated_on", []string{"sys_id", "u_state"})
	switch {
	case err != nil && !a.Outbox && status(err) == http.StatusBadRequest:
		return Passed("no outbox table and ESCALATOR_SERVICENOW_OUTBOX is off: not used")
	case err != nil && status(err) == http.StatusBadRequest:
		return Failed("import and commit deploy/servicenow/escalator-update-set.xml (Retrieved Update Sets > Import Update Set from XML), which creates u_escalator_outbox",
			"ESCALATOR_SERVICENOW_OUTBOX is on but the instance has no table u_escalator_outbox (%s)", remoteMessage(err))
	case err != nil:
		return a.failure(tableOutbox, "read", "Until then pending requests are not pulled.", err)
	case !ok && !a.Outbox:
		return Passed("the outbox table is empty and ESCALATOR_SERVICENOW_OUTBOX is off: not used")
	case !ok:
		return Passed("the outbox is readable and empty")
	}
	a.outboxRow = row
	return Passed("read outbox row %s", row["sys_id"])
}

func (a *Access) outboxWrite(ctx context.Context) Result {
	switch {
	case a.outboxRow == nil && !a.Outbox:
		return Passed("the outbox is not used: writing it not needed")
	case a.SkipWrite:
		return Warned("run escalator doctor without --skip-write to verify it", "write access to the outbox not verified (--skip-write)")
	case a.outboxRow == nil:
		return Warned("run escalator doctor again once a request was made (the outbox then has a row to test writing on)",
			"no outbox row to test writing on: write access to u_escalator_outbox not verified")
	}
	id := a.outboxRow["sys_id"]
	if err := a.Table.Patch(ctx, tableOutbox, id, map[string]string{"u_state": a.outboxRow["u_state"]}); err != nil {
		return a.failure(tableOutbox, "write", "Until then Escalator cannot record what became of a request.", err)
	}
	return Passed("wrote u_state of outbox row %s back unchanged", id)
}

// failure explains a failed read or write of table.
func (a *Access) failure(table, op, consequence string, err error) Result {
	switch code := status(err); code {
	case http.StatusForbidden:
		return Failed(fixACL(table, op, consequence), "%s %s: the instance answered %s (%s)", op, table, statusText(code), remoteMessage(err))
	case http.StatusUnauthorized:
		return Failed(fixSNTable, "%s %s: the instance answered %s (%s)", op, table, statusText(code), remoteMessage(err))
	}
	return otherFailure(op+" "+table, err, fixSNReach, "see the instance's system log")
}
