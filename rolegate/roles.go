package rolegate

import (
	"context"
	"slices"
	"strings"

	"github.com/escalator/escalator/internal/event"
)

// AdminRole is ServiceNow's administrator role. On an instance
// gs.hasRole(x) is true for a user with admin whatever x is, and the update
// set's UI actions show their buttons to admins; the gate does the same, so
// that what an admin can click is what Escalator accepts.
const AdminRole = "admin"

// RoleSource tells which roles the requester of an event holds.
type RoleSource interface {
	// Roles returns the requester's roles. An error means they could not
	// be read (the request is retried), never that the user has none.
	Roles(ctx context.Context, ev *event.Event) ([]string, error)
}

// PayloadRoles believes the roles the event lists
// (data.requested_by.roles): the escape hatch ESCALATOR_VERIFY_ROLES=false,
// for instances that do not let the integration read sys_user_has_role.
type PayloadRoles struct{}

// Roles returns ev's data.requested_by.roles.
func (PayloadRoles) Roles(_ context.Context, ev *event.Event) ([]string, error) {
	return ev.Data.RequestedBy.Roles, nil
}

// Holds reports whether held includes one of wanted (any one suffices), by
// exact name, or ServiceNow's admin role (AdminRole).
func Holds(held, wanted []string) bool {
	if slices.Contains(held, AdminRole) {
		return true
	}
	for _, w := range wanted {
		if w != "" && slices.Contains(held, w) {
			return true
		}
	}
	return false
}

// Allowed reports whether the roles ev lists (data.requested_by.roles)
// include one of roles. It reads only the payload: the replay dry run uses
// it to plan without calling ServiceNow; the gate itself asks its
// RoleSource.
func Allowed(ev *event.Event, roles []string) bool {
	return ev != nil && Holds(ev.Data.RequestedBy.Roles, roles)
}

// roleList names roles in a sentence: "a", "a or b", "a, b or c".
func roleList(roles []string) string {
	switch len(roles) {
	case 0:
		return "(none)"
	case 1:
		return roles[0]
	}
	return strings.Join(roles[:len(roles)-1], ", ") + " or " + roles[len(roles)-1]
}
