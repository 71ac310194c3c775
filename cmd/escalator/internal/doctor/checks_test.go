package doctor_test

import (
	"context"
	"testing"

	"github.com/escalator/escalator/cmd/escalator/internal/doctor"
	"github.com/escalator/escalator/internal/servicenow"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/sim"
	"github.com/escalator/escalator/internal/token"
)

func TestCorrectSetupPasses(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	rep := f.run(t)
	if n := len(doctor.Checks(doctor.Setup{})); len(rep.Entries) != n {
		t.Fatalf("%d checks, want %d", len(rep.Entries), n)
	}
	for _, e := range rep.Entries {
		if e.Status != doctor.Pass {
			t.Errorf("%s: %s %q (fix %q), want PASS", e.Name, e.Status, e.Detail, e.Fix)
		}
	}
	if rep.Failed() {
		t.Error("Failed() on a correct setup")
	}
	expect(t, rep, map[string]want{
		doctor.NameAccount: {status: doctor.Pass, detail: sim.DefaultAdminUPN + " (Global Administrator)"},
		doctor.NameSNWrite: {status: doctor.Pass, detail: "wrote correlation_id of INC"},
		// The fixture's endpoints are the simulator, and doctor says so.
		doctor.NameTestEnv: {status: doctor.Pass, detail: "simulator: the endpoints are Escalator's simulator"},
		doctor.NameRedis:   {status: doctor.Pass, detail: "encrypted round trip"},
	})
}

func TestMisconfigurations(t *testing.T) {
	tests := []struct {
		name   string
		opts   fixtureOpts
		change func(t *testing.T, f *fixture)
		want   map[string]want
	}{
		{
			name:   "unknown tenant",
			change: func(_ *testing.T, f *fixture) { f.ms.Tenant = "fabrikam.onmicrosoft.com" },
			want: map[string]want{
				doctor.NameTenant: {status: doctor.Fail, detail: "AADSTS90002",
					fix: "check ESCALATOR_TENANT: tenant fabrikam.onmicrosoft.com not found; use the tenant's primary domain, e.g. contoso.onmicrosoft.com, or its tenant id"},
				doctor.NameCredentials: {status: doctor.Skip, detail: "needs tenant"},
				doctor.NameGraphHealth: {status: doctor.Skip, detail: "needs client credentials"},
				doctor.NameAccount:     {status: doctor.Skip, detail: "needs client credentials"},
				doctor.NameSNOAuth:     {status: doctor.Pass},
			},
		},
		{
			name:   "login URL not Entra",
			change: func(_ *testing.T, f *fixture) { f.ms.LoginURL = f.url + "/not-entra" },
			want: map[string]want{
				doctor.NameTenant:      {status: doctor.Fail, detail: "did not answer like Entra (404 Not Found)", fix: "check ESCALATOR_LOGIN_URL"},
				doctor.NameCredentials: {status: doctor.Skip},
			},
		},
		{
			name:   "login URL unreachable",
			change: func(_ *testing.T, f *fixture) { f.ms.LoginURL = "http://127.0.0.1:1" },
			want: map[string]want{
				doctor.NameTenant: {status: doctor.Fail, detail: "cannot reach the Entra token endpoint http://127.0.0.1:1", fix: "check ESCALATOR_LOGIN_URL"},
			},
		},
		{
			name:   "wrong client id",
			change: func(_ *testing.T, f *fixture) { f.ms.ClientID = "00000000-1111-2222-3333-444444444444" },
			want: map[string]want{
				doctor.NameTenant:        {status: doctor.Pass},
				doctor.NameCredentials:   {status: doctor.Fail, detail: "AADSTS700016", fix: "the app is not registered in this tenant: check ESCALATOR_CLIENT_ID"},
				doctor.NameSupportAccess: {status: doctor.Skip, detail: "needs client credentials"},
			},
		},
		{
			name:   "rejected secret",
			change: func(t *testing.T, f *fixture) { setFaults(t, f, sim.Faults{EntraSecret: sim.SecretRejected}) },
			want: map[string]want{
				doctor.NameCredentials: {status: doctor.Fail, detail: "AADSTS7000215", fix: "the secret's Value was not copied (the Secret ID was used), or it is wrong"},
			},
		},
		{
			name:   "secret of another app",
			change: func(_ *testing.T, f *fixture) { f.ms.ClientSecret = "8f2a1c3e-secret-id-not-value" },
			want: map[string]want{
				doctor.NameCredentials: {status: doctor.Fail, fix: "ESCALATOR_CLIENT_SECRET"},
			},
		},
		{
			name:   "expired secret",
			change: func(t *testing.T, f *fixture) { setFaults(t, f, sim.Faults{EntraSecret: sim.SecretExpired}) },
			want: map[string]want{
				doctor.NameCredentials: {status: doctor.Fail, detail: "AADSTS7000222",
					fix: "the secret expired: create a new one in the app registration (Certificates & secrets) and update ESCALATOR_CLIENT_SECRET"},
			},
		},
		{
			name:   "graph forbidden",
			change: func(t *testing.T, f *fixture) { setFaults(t, f, sim.Faults{GraphForbidden: true}) },
			want: map[string]want{
				doctor.NameGraphHealth: {status: doctor.Fail, detail: "403 Forbidden", fix: "ServiceHealth.Read.All and grant admin consent"},
				doctor.NameAccount:     {status: doctor.Pass},
			},
		},
		{
			name:   "graph users forbidden",
			change: func(t *testing.T, f *fixture) { setFaults(t, f, sim.Faults{GraphUsersForbidden: true}) },
			want: map[string]want{
				doctor.NameGraphHealth: {status: doctor.Pass},
				doctor.NameAccount:     {status: doctor.Fail, detail: "403 Forbidden", fix: "User.Read.All"},
			},
		},
		{
			name:   "support forbidden",
			change: func(t *testing.T, f *fixture) { setFaults(t, f, sim.Faults{SupportForbidden: true}) },
			want: map[string]want{
				doctor.NameSupportAccess: {status: doctor.Fail, detail: "AuthorizationFailed",
					fix: `assign the "Support Request Contributor" role on subscription ` + sim.DefaultSubscription + " to the app's service principal"},
			},
		},
		{
			name:   "wrong subscription",
			change: func(_ *testing.T, f *fixture) { f.ms.Support.SubscriptionID = "11111111-2222-3333-4444-555555555555" },
			want: map[string]want{
				doctor.NameSupportAccess:  {status: doctor.Fail, detail: "SubscriptionNotFound", fix: "check ESCALATOR_AZURE_SUBSCRIPTION_ID"},
				doctor.NameSupportCatalog: {status: doctor.Pass},
			},
		},
		{
			name:   "unknown service id",
			change: func(_ *testing.T, f *fixture) { f.ms.Support.ServiceID = "/providers/Microsoft.Support/services/nope" },
			want: map[string]want{
				doctor.NameSupportAccess:  {status: doctor.Pass},
				doctor.NameSupportCatalog: {status: doctor.Fail, detail: "does not exist", fix: "set ESCALATOR_SUPPORT_SERVICE_ID to one of: " + sim.Microsoft365ServiceID},
			},
		},
		{
			name: "unknown problem classification",
			change: func(_ *testing.T, f *fixture) {
				f.ms.Support.ProblemClassificationID = sim.Microsoft365ServiceID + "/problemClassifications/nope"
			},
			want: map[string]want{
				doctor.NameSupportCatalog: {status: doctor.Fail, fix: "set ESCALATOR_SUPPORT_PROBLEM_CLASSIFICATION_ID to one of: "},
			},
		},
		{
			name:   "servicenow oauth denied",
			change: func(t *testing.T, f *fixture) { setFaults(t, f, sim.Faults{ServiceNowOAuthDenied: true}) },
			want: map[string]want{
				doctor.NameSNOAuth: {status: doctor.Fail, detail: "401 Unauthorized", fix: "oauth_entity"},
				doctor.NameSNRead:  {status: doctor.Skip, detail: "needs servicenow oauth"},
				doctor.NameSNWrite: {status: doctor.Skip, detail: "needs servicenow incident read"},
			},
		},
		{
			name:   "servicenow cross-scope",
			change: func(t *testing.T, f *fixture) { setFaults(t, f, sim.Faults{ServiceNowCrossScope: true}) },
			want: map[string]want{
				doctor.NameSNOAuth: {status: doctor.Pass},
				doctor.NameSNRead: {status: doctor.Fail, detail: "cross-scope access policy",
					fix: "Application Cross-Scope Access, a record for Target Name incident (type Table), Operation Read"},
				doctor.NameSNWrite: {status: doctor.Skip},
			},
		},
		{
			name: "servicenow basic auth",
			change: func(_ *testing.T, f *fixture) {
				f.snow.ClientID, f.snow.ClientSecret = "", ""
				f.snow.User, f.snow.Password = sim.DefaultServiceNowUser, sim.DefaultServiceNowPassword
			},
			want: map[string]want{
				doctor.NameSNOAuth: {status: doctor.Pass, detail: "basic authentication as admin"},
				doctor.NameSNWrite: {status: doctor.Pass},
			},
		},
		{
			name:   "servicenow wrong password",
			change: func(_ *testing.T, f *fixture) { f.snow.ClientID, f.snow.User, f.snow.Password = "", "admin", "wrong" },
			want: map[string]want{
				doctor.NameSNRead: {status: doctor.Fail, detail: "401", fix: "ESCALATOR_SERVICENOW_PASSWORD"},
			},
		},
		{
			name:   "skip write",
			change: func(_ *testing.T, f *fixture) { f.snow.SkipWrite = true },
			want: map[string]want{
				doctor.NameSNWrite: {status: doctor.Warn, detail: "not verified (--skip-write)", fix: "without --skip-write"},
			},
		},
		{
			name:   "roles not verified",
			change: func(_ *testing.T, f *fixture) { f.snow.VerifyRoles = false },
			want: map[string]want{
				doctor.NameSNRoles: {status: doctor.Warn, detail: "ESCALATOR_VERIFY_ROLES=false", fix: "unset ESCALATOR_VERIFY_ROLES"},
			},
		},
		{
			name:   "roles table denied",
			change: func(t *testing.T, f *fixture) { setRouteFault(t, f, "GET /api/now/table/sys_user_has_role", 403) },
			want: map[string]want{
				doctor.NameSNRoles:   {status: doctor.Fail, detail: "403 Forbidden", fix: "operation read, name sys_user_has_role.None"},
				doctor.NameSNJournal: {status: doctor.Pass},
			},
		},
		{
			name: "roles hidden by a read ACL",
			change: func(t *testing.T, f *fixture) {
				setRouteFault(t, f, "GET /api/now/table/sys_user_has_role", 404) // "No Record found", as v1 answers an empty match
			},
			want: map[string]want{
				doctor.NameSNRoles: {status: doctor.Fail, detail: "no active role assignment is visible", fix: "every request is refused"},
			},
		},
		{
			name:   "journal denied",
			change: func(t *testing.T, f *fixture) { setRouteFault(t, f, "GET /api/now/table/sys_journal_field", 403) },
			want: map[string]want{
				doctor.NameSNJournal: {status: doctor.Fail, detail: "403 Forbidden", fix: "name sys_journal_field.None"},
			},
		},
		{
			name:   "note markup allowed by default",
			change: func(*testing.T, *fixture) {},
			want: map[string]want{
				doctor.NameSNCodeTag: {status: doctor.Pass, detail: "is on (the default)"},
			},
		},
		{
			name: "note markup turned off",
			change: func(t *testing.T, f *fixture) {
				createRow(t, f, "sys_properties", map[string]string{"name": "glide.ui.security.allow_codetag", "value": "false"})
			},
			want: map[string]want{
				doctor.NameSNCodeTag: {status: doctor.Warn, detail: "is false: agents see", fix: "set glide.ui.security.allow_codetag to true"},
			},
		},
		{
			name:   "note markup property not readable",
			change: func(t *testing.T, f *fixture) { setRouteFault(t, f, "GET /api/now/table/sys_properties", 403) },
			want: map[string]want{
				doctor.NameSNCodeTag: {status: doctor.Pass, detail: "not readable (read sys_properties"},
			},
		},
		{
			name:   "integration user unknown",
			change: func(_ *testing.T, f *fixture) { f.snow.IntegrationUser = "" },
			want: map[string]want{
				doctor.NameSNSelf: {status: doctor.Fail, detail: "gs.getUserName()", fix: "set ESCALATOR_SERVICENOW_INTEGRATION_USER"},
			},
		},
		{
			name:   "outbox used, empty",
			change: func(_ *testing.T, f *fixture) { f.snow.Outbox = true },
			want: map[string]want{
				doctor.NameSNOutboxRead:  {status: doctor.Pass, detail: "readable and empty"},
				doctor.NameSNOutboxWrite: {status: doctor.Warn, detail: "no outbox row to test writing on"},
			},
		},
		{
			name: "outbox write denied",
			change: func(t *testing.T, f *fixture) {
				outboxRow(t, f)
				setRouteFault(t, f, "PATCH /api/now/table/u_escalator_outbox/{sys_id}", 403)
			},
			want: map[string]want{
				doctor.NameSNOutboxRead:  {status: doctor.Pass, detail: "read outbox row"},
				doctor.NameSNOutboxWrite: {status: doctor.Fail, detail: "403 Forbidden", fix: "operation write, name u_escalator_outbox.None"},
			},
		},
		{
			name: "no linked account",
			opts: fixtureOpts{noLink: true},
			want: map[string]want{
				doctor.NameAccount: {status: doctor.Fail, fix: "run escalator account link EMAIL"},
			},
		},
		{
			name: "linked account without admin role",
			opts: fixtureOpts{noLink: true},
			change: func(t *testing.T, f *fixture) {
				kv, err := f.js.KeyValue(context.Background(), streams.BucketAccounts)
				if err != nil {
					t.Fatal(err)
				}
				f.link(t, kv, sim.DefaultUserUPN, false)
			},
			want: map[string]want{
				doctor.NameAccount: {status: doctor.Fail, detail: sim.DefaultUserUPN, fix: "Global Administrator or Service Support Administrator role"},
			},
		},
		{
			name: "linked account not in the tenant",
			opts: fixtureOpts{noLink: true},
			change: func(t *testing.T, f *fixture) {
				kv, err := f.js.KeyValue(context.Background(), streams.BucketAccounts)
				if err != nil {
					t.Fatal(err)
				}
				f.link(t, kv, "gone@contoso.onmicrosoft.com", false)
			},
			want: map[string]want{
				doctor.NameAccount: {status: doctor.Fail, detail: "is not a user of", fix: "escalator account link EMAIL"},
			},
		},
		{
			name: "streams missing",
			opts: fixtureOpts{noEnsure: true},
			want: map[string]want{
				doctor.NameNATS: {status: doctor.Pass},
				doctor.NameStreams: {status: doctor.Fail,
					detail: "missing: stream ESCALATOR, consumer worker, stream ESCALATOR_DLQ, bucket escalator_cases",
					fix:    "start `escalator serve` once; it provisions them"},
				doctor.NameAccount: {status: doctor.Skip, detail: "needs jetstream resources"},
			},
		},
		{
			name:   "nats down",
			change: func(_ *testing.T, f *fixture) { f.nats.Shutdown(); f.nats.WaitForShutdown() },
			want: map[string]want{
				doctor.NameNATS:    {status: doctor.Fail, fix: "check ESCALATOR_NATS_URL"},
				doctor.NameStreams: {status: doctor.Skip, detail: "needs nats"},
				doctor.NameAccount: {status: doctor.Skip, detail: "needs jetstream resources"},
			},
		},
		{
			name: "dead letters waiting",
			change: func(t *testing.T, f *fixture) {
				if _, err := f.js.Publish(context.Background(), streams.DLQSubject("escalator.incident.escalate"), []byte("{}")); err != nil {
					t.Fatal(err)
				}
			},
			want: map[string]want{
				doctor.NameStreams: {status: doctor.Warn, detail: "1 dead letters waiting", fix: "escalator dlq list"},
			},
		},
		{
			name:   "redis down",
			change: func(_ *testing.T, f *fixture) { f.redis.Stop() },
			want: map[string]want{
				doctor.NameRedis: {status: doctor.Fail, detail: "PING failed", fix: "check ESCALATOR_REDIS_URL"},
			},
		},
		{
			name:   "no redis",
			change: func(_ *testing.T, f *fixture) { f.noRedis = true },
			want: map[string]want{
				doctor.NameRedis: {status: doctor.Warn, detail: "in-process token cache: every replica fetches its own tokens", fix: "ESCALATOR_REDIS_URL"},
			},
		},
		{
			name: "replicas with another token key",
			change: func(t *testing.T, f *fixture) {
				// Another replica cached a token under its own key.
				other := token.GenerateKey()
				cacheToken(t, f, other)
			},
			want: map[string]want{
				doctor.NameRedis: {status: doctor.Warn, detail: "encrypted under key id", fix: "give every replica the same ESCALATOR_TOKEN_KEY"},
			},
		},
		{
			name:   "test environment",
			change: func(_ *testing.T, f *fixture) { f.test = true },
			want: map[string]want{
				doctor.NameTestEnv: {status: doctor.Pass, detail: "test environment: cases are marked test, severity minimal"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.opts)
			if tt.change != nil {
				tt.change(t, f)
			}
			rep := f.run(t)
			expect(t, rep, tt.want)
			wantFail := false
			for _, w := range tt.want {
				wantFail = wantFail || w.status == doctor.Fail
			}
			if rep.Failed() != wantFail {
				t.Errorf("Failed() = %v, want %v", rep.Failed(), wantFail)
			}
			// Every FAIL and WARN says how to fix it.
			for _, e := range rep.Entries {
				if (e.Status == doctor.Fail || e.Status == doctor.Warn) && e.Fix == "" {
					t.Errorf("%s: %s without a fix", e.Name, e.Status)
				}
			}
		})
	}
}

func setFaults(t *testing.T, f *fixture, faults sim.Faults) {
	t.Helper()
	if err := f.sim.SetFaults(faults); err != nil {
		t.Fatal(err)
	}
}

// cacheToken stores a token in Redis the way a replica with key would.
func cacheToken(t *testing.T, f *fixture, key []byte) {
	t.Helper()
	kr, err := token.NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redisClient(t, f)
	c, err := token.NewCache(token.CacheOptions{Redis: rdb, Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	id := token.Identity{Authority: "https://login.example", Tenant: "other", ClientID: "replica"}
	src := c.Source(token.FetcherFunc(func(context.Context) (token.Grant, error) {
		return token.Grant{AccessToken: "replica-token", ExpiresIn: 3600e9}, nil
	}), id)
	if _, err := src.AccessToken(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// setRouteFault makes the simulator answer status on route.
func setRouteFault(t *testing.T, f *fixture, route string, status int) {
	t.Helper()
	setFaults(t, f, sim.Faults{Routes: map[string]sim.RouteFault{route: {Status: status}}})
}

// outboxRow adds a pending outbox row, as the update set's UI action does,
// and returns its sys_id.
func outboxRow(t *testing.T, f *fixture) string {
	t.Helper()
	return createRow(t, f, "u_escalator_outbox", map[string]string{"u_type": "escalation", "u_state": "pending"})
}

// createRow writes a record of table at the simulator and returns its sys_id.
func createRow(t *testing.T, f *fixture, table string, fields map[string]string) string {
	t.Helper()
	c, err := servicenow.New(servicenow.Config{BaseURL: f.url, Username: sim.DefaultServiceNowUser, Password: sim.DefaultServiceNowPassword})
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Create(context.Background(), table, fields)
	if err != nil {
		t.Fatal(err)
	}
	return r["sys_id"]
}

// The outbox write check writes a row's state back unchanged.
func TestOutboxWriteChecksWriteTheSameValue(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.snow.Outbox = true
	id := outboxRow(t, f)
	rep := f.run(t)
	expect(t, rep, map[string]want{
		doctor.NameSNOutboxRead:  {status: doctor.Pass, detail: "read outbox row " + id},
		doctor.NameSNOutboxWrite: {status: doctor.Pass, detail: "wrote u_state of outbox row " + id + " back unchanged"},
	})
	if row, _ := f.sim.Record("u_escalator_outbox", id); row["u_state"] != "pending" {
		t.Fatalf("outbox row after doctor: %v", row)
	}
	if n := f.sim.Calls("PATCH /api/now/table/u_escalator_outbox/{sys_id}"); n != 1 {
		t.Fatalf("outbox PATCH calls %d, want 1", n)
	}
}
