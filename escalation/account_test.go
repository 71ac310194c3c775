package escalation_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/escalator/escalator/escalation"
	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/testkit/sim"
)

func TestAccountLinkVerified(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	if _, err := e.accounts.Get(ctx); !errors.Is(err, escalation.ErrNoAccount) {
		t.Fatalf("Get before link = %v, want ErrNoAccount", err)
	}
	a, err := e.accounts.Link(ctx, escalation.LinkRequest{Email: sim.DefaultAdminUPN, LinkedBy: "alice", Verify: true}, e.dir)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Verified || a.UserID == "" || a.GivenName != "MOD" || a.Surname != "Administrator" || a.LinkedBy != "alice" || a.LinkedAt.IsZero() {
		t.Errorf("account = %+v", a)
	}
	if len(a.Roles) != 1 || a.Roles[0] != "Global Administrator" {
		t.Errorf("roles = %v, want [Global Administrator]", a.Roles)
	}
	got, err := e.accounts.Get(ctx)
	if err != nil || got.Email != sim.DefaultAdminUPN || got.UserID != a.UserID {
		t.Errorf("Get = %+v, %v", got, err)
	}
}

func TestAccountLinkReplacesAndAudits(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	if _, err := e.accounts.Link(ctx, escalation.LinkRequest{Email: sim.DefaultAdminUPN, LinkedBy: "alice", Verify: true}, e.dir); err != nil {
		t.Fatal(err)
	}
	// Replaced by an account linked without verification.
	b, err := e.accounts.Link(ctx, escalation.LinkRequest{Email: "jane.doe@fabrikam.com", LinkedBy: "bob"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b.Verified || b.GivenName != "Jane" || b.Surname != "Doe" {
		t.Errorf("unverified account = %+v, want names from the address", b)
	}
	got, err := e.accounts.Get(ctx)
	if err != nil || got.Email != "jane.doe@fabrikam.com" || got.LinkedBy != "bob" {
		t.Fatalf("Get after replace = %+v, %v", got, err)
	}
	// The bucket keeps the replaced account in its history.
	hist, err := e.res.Accounts.History(ctx, "linked")
	if err != nil || len(hist) != 2 {
		t.Errorf("history = %d entries, %v; want 2", len(hist), err)
	}
	if _, err := e.accounts.Unlink(ctx, "carol"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.accounts.Get(ctx); !errors.Is(err, escalation.ErrNoAccount) {
		t.Errorf("Get after unlink = %v, want ErrNoAccount", err)
	}
	if _, err := e.accounts.Unlink(ctx, "carol"); !errors.Is(err, escalation.ErrNoAccount) {
		t.Errorf("second unlink = %v, want ErrNoAccount", err)
	}
	audit, err := e.accounts.Audit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, a := range audit {
		if a.At.IsZero() {
			t.Errorf("audit entry without time: %+v", a)
		}
		lines = append(lines, a.Action+" "+a.Email+" by "+a.By)
	}
	want := "link admin@contoso.onmicrosoft.com by alice|link jane.doe@fabrikam.com by bob|unlink jane.doe@fabrikam.com by carol"
	if strings.Join(lines, "|") != want {
		t.Errorf("audit = %q\nwant    %q", strings.Join(lines, "|"), want)
	}
}

func TestAccountLinkRefused(t *testing.T) {
	e := newTestEnv(t)
	tests := []struct {
		name, email string
		verify      bool
		wantText    []string
	}{
		{"not an address", "admin", true, []string{`"admin" is not a valid Microsoft 365 admin account: it is not an email address`, "e.g. admin@contoso.onmicrosoft.com"}},
		{"display name", "Admin <admin@contoso.onmicrosoft.com>", true, []string{"is not a valid Microsoft 365 admin account: it is not a bare email address"}},
		{"no domain dot", "admin@localhost", false, []string{"is not a tenant domain"}},
		{"empty", "", false, []string{"the address is empty"}},
		{"not in tenant", "nobody@contoso.onmicrosoft.com", true, []string{
			"nobody@contoso.onmicrosoft.com is not a valid Microsoft 365 admin account: no such user in the tenant.",
			"it must be a user of contoso.onmicrosoft.com"}},
		{"no admin role", sim.DefaultUserUPN, true, []string{
			"user@contoso.onmicrosoft.com is not a valid Microsoft 365 admin account: it holds no directory role.",
			"Assign it the Global Administrator or Service Support Administrator role in Microsoft Entra, or link another account"}},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.accounts.Link(ctx, escalation.LinkRequest{Email: tt.email, LinkedBy: "alice", Verify: tt.verify}, e.dir)
			var inv *escalation.InvalidAccountError
			if !errors.As(err, &inv) || fault.Classify(err) != fault.Permanent {
				t.Fatalf("err = %v, want a permanent InvalidAccountError", err)
			}
			for _, w := range tt.wantText {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %q\nlacks %q", err, w)
				}
			}
		})
	}
	if _, err := e.accounts.Get(ctx); !errors.Is(err, escalation.ErrNoAccount) {
		t.Errorf("a refused account was linked: %v", err)
	}
	if audit, _ := e.accounts.Audit(ctx); len(audit) != 0 {
		t.Errorf("refusals audited as links: %v", audit)
	}
}

func TestAccountLinkDirectoryUnavailable(t *testing.T) {
	e := newTestEnv(t)
	if _, err := e.sim.MergeFaults([]byte(`{"graph_users_forbidden":true}`)); err != nil {
		t.Fatal(err)
	}
	_, err := e.accounts.Link(context.Background(), escalation.LinkRequest{Email: sim.DefaultAdminUPN, LinkedBy: "alice", Verify: true}, e.dir)
	var inv *escalation.InvalidAccountError
	if err == nil || errors.As(err, &inv) {
		t.Fatalf("err = %v, want a directory error, not a refusal of the account", err)
	}
	if !strings.Contains(err.Error(), "verify "+sim.DefaultAdminUPN) {
		t.Errorf("err = %v", err)
	}
}

func TestAccountLinkNeedsLinkedBy(t *testing.T) {
	e := newTestEnv(t)
	_, err := e.accounts.Link(context.Background(), escalation.LinkRequest{Email: sim.DefaultAdminUPN, Verify: true}, e.dir)
	if err == nil || fault.Classify(err) != fault.Permanent {
		t.Errorf("err = %v, want permanent", err)
	}
	if _, err := e.accounts.Unlink(context.Background(), ""); err == nil {
		t.Error("Unlink without by succeeded")
	}
}

func TestAccountContactName(t *testing.T) {
	tests := []struct {
		a           escalation.Account
		first, last string
	}{
		{escalation.Account{GivenName: "MOD", Surname: "Administrator", DisplayName: "x y"}, "MOD", "Administrator"},
		{escalation.Account{DisplayName: "Adele van der Vance"}, "Adele", "van der Vance"},
		{escalation.Account{Email: "jane.doe@x.com"}, "Jane", "Doe"},
		{escalation.Account{Email: "admin@x.com"}, "Admin", "Admin"},
		{escalation.Account{Email: "@x.com"}, "Microsoft 365", "Administrator"},
	}
	for _, tt := range tests {
		if f, l := tt.a.ContactName(); f != tt.first || l != tt.last {
			t.Errorf("ContactName(%+v) = %q %q, want %q %q", tt.a, f, l, tt.first, tt.last)
		}
	}
}

func TestAccountLinkNameOverride(t *testing.T) {
	e := newTestEnv(t)
	a, err := e.accounts.Link(context.Background(), escalation.LinkRequest{
		Email: sim.DefaultAdminUPN, LinkedBy: "alice", Verify: true, FirstName: "Megan",
	}, e.dir)
	if err != nil || a.GivenName != "Megan" || a.Surname != "Administrator" {
		t.Errorf("account = %+v, %v", a, err)
	}
}

func TestCountryAlpha3(t *testing.T) {
	for in, want := range map[string]string{"US": "USA", "de": "DEU", " GB ": "GBR", "NL": "NLD"} {
		if got, ok := escalation.CountryAlpha3(in); !ok || got != want {
			t.Errorf("CountryAlpha3(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if _, ok := escalation.CountryAlpha3("ZZ"); ok {
		t.Error("ZZ is known")
	}
}
