package escalation

import "strings"

// IsAdminRole reports whether r is one of the Microsoft Entra built-in roles
// that administer Microsoft 365 services and may therefore stand as the
// contact of a Microsoft support case. Roles are matched by template id
// (stable across tenants), never by display name (localised, renamable).
//
// The ids come from Microsoft's "Microsoft Entra built-in roles" reference
// (learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference):
//
//	62e90394-69f5-4237-9190-012177145e10  Global Administrator
//	f023fd81-a637-4b56-95fd-791ac0226033  Service Support Administrator
//	29232cdf-9323-42fd-ade2-1d097af3e4de  Exchange Administrator
//	f28a1f50-f6e7-4571-818b-6a12f2af6b6c  SharePoint Administrator
//	69091246-20e8-4a56-aa4d-066075b2a7a8  Teams Administrator
//	729827e3-9c14-49f7-bb1b-9608f156bbb8  Helpdesk Administrator
//	75941009-915a-4869-abe7-691bff18279e  Skype for Business Administrator
//	3a2c62db-5318-420d-8d74-23affee5d9d5  Intune Administrator
func IsAdminRole(r Role) bool {
	_, ok := AdminRoleName(r.RoleTemplateID)
	return ok
}

// AdminRoleName returns the name of the admin role with templateID, and
// whether it is one IsAdminRole accepts.
func AdminRoleName(templateID string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(templateID)) {
	case "62e90394-69f5-4237-9190-012177145e10":
		return "Global Administrator", true
	case "f023fd81-a637-4b56-95fd-791ac0226033":
		return "Service Support Administrator", true
	case "29232cdf-9323-42fd-ade2-1d097af3e4de":
		return "Exchange Administrator", true
	case "f28a1f50-f6e7-4571-818b-6a12f2af6b6c":
		return "SharePoint Administrator", true
	case "69091246-20e8-4a56-aa4d-066075b2a7a8":
		return "Teams Administrator", true
	case "729827e3-9c14-49f7-bb1b-9608f156bbb8":
		return "Helpdesk Administrator", true
	case "75941009-915a-4869-abe7-691bff18279e":
		return "Skype for Business Administrator", true
	case "3a2c62db-5318-420d-8d74-23affee5d9d5":
		return "Intune Administrator", true
	}
	return "", false
}
