package escalation

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"

	"github.com/escalator/escalator/internal/fault"
)

// UserDirectory is what linking needs of Microsoft Graph; *Directory
// implements it.
type UserDirectory interface {
	LookupUser(ctx context.Context, upn string) (User, error)
	DirectoryRoles(ctx context.Context, userID string) ([]Role, error)
}

// LinkRequest asks to link an account.
type LinkRequest struct {
	// Email is the account's address (its user principal name).
	Email string
	// LinkedBy names who links it (the audit record); required.
	LinkedBy string
	// Verify checks the directory: the user exists in the tenant and holds
	// an administrator role. Without it (--no-verify) only the syntax is
	// checked.
	Verify bool
	// FirstName and LastName override the contact's names (else from the
	// directory, else from the address).
	FirstName, LastName string
}

// InvalidAccountError refuses an account, saying why and how to fix it, in
// the words of the app: "<email> is not a valid Microsoft 365 admin
// account: <reason>. <fix>". It is permanent.
type InvalidAccountError struct {
	Email, Reason, Fix string
}

func (e *InvalidAccountError) Error() string {
	return fmt.Sprintf("%s is not a valid Microsoft 365 admin account: %s. %s", e.Email, e.Reason, e.Fix)
}

// FaultClass makes the refusal permanent.
func (e *InvalidAccountError) FaultClass() fault.Class { return fault.Permanent }

// roleFix is the fix of an account without an admin role.
const roleFix = "Assign it the Global Administrator or Service Support Administrator role in Microsoft Entra, or link another account"

// check validates req and returns the account to link.
func (s *AccountStore) check(ctx context.Context, req LinkRequest, dir UserDirectory) (Account, error) {
	email := strings.TrimSpace(req.Email)
	if strings.TrimSpace(req.LinkedBy) == "" {
		return Account{}, fault.Permanentf("link %s: say who links it (--by)", email)
	}
	if err := checkAddress(email); err != nil {
		return Account{}, err
	}
	a := Account{Email: email, Verified: req.Verify}
	if req.Verify {
		if dir == nil {
			return Account{}, fault.Permanentf("link %s: no directory to verify the account", email)
		}
		u, err := dir.LookupUser(ctx, email)
		if errors.Is(err, ErrUserNotFound) {
			return Account{}, &InvalidAccountError{Email: email,
				Reason: "no such user in the tenant",
				Fix:    "Check the address: it must be a user of " + s.tenantName()}
		}
		if err != nil {
			return Account{}, fmt.Errorf("verify %s in the directory: %w", email, err)
		}
		roles, err := dir.DirectoryRoles(ctx, u.ID)
		if err != nil {
			return Account{}, fmt.Errorf("verify the directory roles of %s: %w", email, err)
		}
		admin := false
		for _, r := range roles {
			a.Roles = append(a.Roles, r.DisplayName)
			admin = admin || IsAdminRole(r)
		}
		if !admin {
			reason := "it holds no directory role"
			if len(a.Roles) > 0 {
				reason = "none of its directory roles (" + strings.Join(a.Roles, ", ") + ") administers Microsoft 365"
			}
			return Account{}, &InvalidAccountError{Email: email, Reason: reason, Fix: roleFix}
		}
		a.UserID, a.DisplayName = u.ID, u.DisplayName
		a.GivenName, a.Surname, a.UsageLocation = u.GivenName, u.Surname, u.UsageLocation
	}
	if req.FirstName != "" || req.LastName != "" {
		first, last := a.ContactName()
		a.GivenName, a.Surname = cmp.Or(req.FirstName, first), cmp.Or(req.LastName, last)
	}
	if a.GivenName == "" || a.Surname == "" {
		a.GivenName, a.Surname = a.ContactName()
	}
	return a, nil
}

// checkAddress accepts a bare address with a domain, as a user principal
// name is.
func checkAddress(email string) error {
	bad := func(reason string) error {
		return &InvalidAccountError{Email: fmt.Sprintf("%q", email), Reason: reason,
			Fix: "Give the account's address alone, e.g. admin@contoso.onmicrosoft.com"}
	}
	if email == "" {
		return bad("the address is empty")
	}
	addr, err := mail.ParseAddress(email)
	if err != nil {
		return bad("it is not an email address (" + strings.TrimPrefix(err.Error(), "mail: ") + ")")
	}
	if addr.Address != email || addr.Name != "" {
		return bad("it is not a bare email address")
	}
	_, domain, _ := strings.Cut(email, "@")
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, "[") {
		return bad("its domain " + domain + " is not a tenant domain")
	}
	return nil
}

func (s *AccountStore) tenantName() string {
	if s.tenant == "" {
		return "your Microsoft 365 tenant"
	}
	return s.tenant
}
