package doctor_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"

	"github.com/escalator/escalator/cmd/escalator/internal/doctor"
	"github.com/escalator/escalator/escalation"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/sim"
	"github.com/escalator/escalator/internal/testkit/testserver"
	"github.com/escalator/escalator/internal/token"
)

// fixture is a complete, correct installation: the simulator, a NATS
// server provisioned by streams.Ensure with the admin account linked, and
// Redis. Tests change one thing and check what doctor says.
type fixture struct {
	sim   *sim.Server
	url   string
	nats  *server.Server
	js    jetstream.JetStream
	redis *testserver.Redis
	key   []byte

	ms   doctor.MicrosoftConfig
	snow doctor.ServiceNowConfig
	// noRedis leaves ESCALATOR_REDIS_URL unset.
	noRedis bool
	test    bool
}

type fixtureOpts struct {
	noEnsure bool // a fresh NATS: no streams, consumer or buckets
	noLink   bool // no admin account linked
}

func newFixture(t *testing.T, o fixtureOpts) *fixture {
	t.Helper()
	s := sim.New(sim.Config{})
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	f := &fixture{sim: s, url: ts.URL, nats: testserver.NATS(t), redis: testserver.StartRedis(t), key: token.GenerateKey()}
	_, f.js = testserver.Connect(t, f.nats)
	f.ms = doctor.MicrosoftConfig{
		LoginURL: ts.URL, TokenEndpoint: "v1", Tenant: sim.DefaultTenant,
		ClientID: sim.DefaultClientID, ClientSecret: sim.DefaultClientSecret,
		GraphURL: ts.URL, ARMURL: ts.URL,
		Support: &doctor.SupportConfig{
			SubscriptionID: sim.DefaultSubscription, ServiceID: sim.Microsoft365ServiceID,
			ProblemClassificationID: sim.Microsoft365ProblemClassificationID,
		},
	}
	f.snow = doctor.ServiceNowConfig{URL: ts.URL, ClientID: sim.DefaultServiceNowClientID,
		ClientSecret: sim.DefaultServiceNowClientSecret, IntegrationUser: sim.IntegrationUser,
		CaseField: "correlation_id", VerifyRoles: true}
	if o.noEnsure {
		return f
	}
	ctx := context.Background()
	res, err := streams.Ensure(ctx, f.js, streams.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if !o.noLink {
		f.link(t, res.Accounts, sim.DefaultAdminUPN, true)
	}
	return f
}

// link links email as the admin account, checking the directory if verify.
func (f *fixture) link(t *testing.T, kv jetstream.KeyValue, email string, verify bool) {
	t.Helper()
	store, err := escalation.NewAccountStore(kv, escalation.AccountStoreConfig{Tenant: sim.DefaultTenant})
	if err != nil {
		t.Fatal(err)
	}
	var dir escalation.UserDirectory
	if verify {
		rem, err := doctor.NewRemote(5 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer rem.Close()
		var s doctor.Setup
		if err := rem.Microsoft(&s, f.ms); err != nil {
			t.Fatal(err)
		}
		dir = s.Account.Directory
	}
	if _, err := store.Link(context.Background(), escalation.LinkRequest{Email: email, LinkedBy: "test", Verify: verify}, dir); err != nil {
		t.Fatal(err)
	}
}

// run builds the Setup as `escalator doctor` does and runs every check.
func (f *fixture) run(t *testing.T) doctor.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rem, err := doctor.NewRemote(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer rem.Close()
	s := doctor.Setup{Timeout: 5 * time.Second, TestEnvironment: f.test}
	if err := rem.Microsoft(&s, f.ms); err != nil {
		t.Fatal(err)
	}
	if err := rem.ServiceNow(&s, f.snow); err != nil {
		t.Fatal(err)
	}
	var conns []*nats.Conn
	defer func() {
		for _, nc := range conns {
			nc.Close()
		}
	}()
	natsURL := f.nats.ClientURL()
	s.JetStream = &doctor.JetStream{URL: natsURL, Connect: func(context.Context) (jetstream.JetStream, error) {
		nc, err := nats.Connect(natsURL, nats.Timeout(2*time.Second))
		if err != nil {
			return nil, err
		}
		conns = append(conns, nc)
		return jetstream.New(nc)
	}}
	s.Redis = &doctor.Redis{}
	if !f.noRedis {
		rdb := redis.NewClient(&redis.Options{Addr: f.redis.Addr, MaxRetries: -1, DialTimeout: time.Second})
		defer rdb.Close()
		kr, err := token.NewKeyring(f.key)
		if err != nil {
			t.Fatal(err)
		}
		s.Redis = &doctor.Redis{Client: rdb, Keyring: kr, URL: f.redis.URL()}
	}
	return doctor.Run(ctx, doctor.Checks(s))
}

// want is what a test expects of one check.
type want struct {
	status doctor.Status
	// fix and detail must contain these, when set.
	fix, detail string
}

func expect(t *testing.T, rep doctor.Report, checks map[string]want) {
	t.Helper()
	for name, w := range checks {
		e, ok := rep.Entry(name)
		if !ok {
			t.Errorf("no entry %q", name)
			continue
		}
		if e.Status != w.status || !contains(e.Fix, w.fix) || !contains(e.Detail, w.detail) {
			t.Errorf("%s: got %s %q (fix %q); want %s, detail containing %q, fix containing %q",
				name, e.Status, e.Detail, e.Fix, w.status, w.detail, w.fix)
		}
	}
}

func contains(s, sub string) bool {
	return strings.Contains(s, sub)
}

func redisClient(t *testing.T, f *fixture) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: f.redis.Addr})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}
