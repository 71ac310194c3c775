package doctor

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/escalator/escalator/escalation"
	"github.com/escalator/escalator/internal/streams"
)

// fixLink is the fix when no valid admin account is linked.
const fixLink = "run escalator account link EMAIL with the address of a Global Administrator or Service Support Administrator of the tenant"

// Account checks the linked Microsoft 365 admin account: present in the
// accounts bucket, still a user of the tenant, still an administrator.
type Account struct {
	// JetStream is where the accounts bucket is looked up (after its checks).
	JetStream *JetStream
	// Directory reads the user and its roles; *escalation.Directory.
	Directory escalation.UserDirectory
	// Tenant is named in details and fixes.
	Tenant string
}

// Check returns the linked account check.
func (a *Account) Check(needs ...string) Check {
	return Check{Name: NameAccount, Needs: needs, Run: a.run}
}

func (a *Account) run(ctx context.Context) Result {
	kv, err := a.JetStream.KV(ctx, streams.BucketAccounts)
	if err != nil {
		return Failed(fixProvision, "bucket %s: %s", streams.BucketAccounts, brief(err))
	}
	store, err := escalation.NewAccountStore(kv, escalation.AccountStoreConfig{Tenant: a.Tenant})
	if err != nil {
		return Failed(fixProvision, "%s", brief(err))
	}
	acct, err := store.Get(ctx)
	if errors.Is(err, escalation.ErrNoAccount) {
		return Failed(fixLink, "no Microsoft 365 admin account is linked: support cases have no contact")
	}
	if err != nil {
		return Failed("check the NATS server; see the error", "read the linked account: %s", brief(err))
	}
	user, err := a.Directory.LookupUser(ctx, acct.Email)
	switch {
	case errors.Is(err, escalation.ErrUserNotFound):
		return Failed(fixLink+" (the linked one no longer exists)",
			"linked account %s is not a user of %s", acct.Email, a.Tenant)
	case err != nil:
		return graphFailure("Graph user lookup of "+acct.Email, err, fixUserRead)
	}
	roles, err := a.Directory.DirectoryRoles(ctx, user.ID)
	if err != nil {
		return graphFailure("Graph directory roles of "+acct.Email, err, fixUserRead)
	}
	var admin, names []string
	for _, r := range roles {
		names = append(names, r.DisplayName)
		if escalation.IsAdminRole(r) {
			admin = append(admin, r.DisplayName)
		}
	}
	if len(admin) == 0 {
		held := "no directory role"
		if len(names) > 0 {
			held = "only " + strings.Join(names, ", ")
		}
		return Failed(fmt.Sprintf("assign %s the Global Administrator or Service Support Administrator role in Microsoft Entra, or %s", acct.Email, fixLink),
			"linked account %s holds %s: it cannot be the contact of support cases", acct.Email, held)
	}
	return Passed("%s (%s), linked by %s", acct.Email, strings.Join(admin, ", "), acct.LinkedBy)
}
