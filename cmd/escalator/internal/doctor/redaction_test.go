package doctor_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"

	"github.com/escalator/escalator/cmd/escalator/internal/doctor"
)

// TestPrintedURLsAreRedacted: the checks that name a URL (NATS, Redis, the
// Entra endpoint) print it without its credentials, even when the caller
// hands it over whole.
func TestPrintedURLsAreRedacted(t *testing.T) {
	ctx := context.Background()
	js := &doctor.JetStream{
		URL: "nats://natsuser:pw-nats-1234@127.0.0.1:1, nats://nats-token-5555@127.0.0.1:2",
		Connect: func(context.Context) (jetstream.JetStream, error) {
			return nil, errors.New("nats: no servers available for connection")
		},
	}
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { _ = rdb.Close() })
	rd := &doctor.Redis{Client: rdb, URL: "redis://cache:pw-redis-5678@127.0.0.1:1/0?password=pw-query-9999"}

	rem, err := doctor.NewRemote(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rem.Close() })
	var s doctor.Setup
	if err := rem.Microsoft(&s, doctor.MicrosoftConfig{LoginURL: "http://loginuser:pw-login-4321@127.0.0.1:1",
		Tenant: "contoso.onmicrosoft.com", ClientID: "id", ClientSecret: "client-secret-x", GraphURL: "http://127.0.0.1:1"}); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		check doctor.Check
		shows string // the redacted URL, so the user still sees which server
	}{
		{js.NATSCheck(), "nats://natsuser:xxxxx@127.0.0.1:1,nats://xxxxx@127.0.0.1:2"},
		{rd.Check(), "redis://cache:xxxxx@127.0.0.1:1/0?password=xxxxx"},
		{s.Entra.TenantCheck(), "http://loginuser:xxxxx@127.0.0.1:1"},
	} {
		t.Run(tt.check.Name, func(t *testing.T) {
			tt.check.Timeout = 10 * time.Second
			rep := doctor.Run(ctx, []doctor.Check{tt.check})
			e := rep.Entries[0]
			if e.Status != doctor.Fail {
				t.Fatalf("%s: %s %q, want FAIL", e.Name, e.Status, e.Detail)
			}
			if !strings.Contains(e.Detail, tt.shows) {
				t.Errorf("detail %q lacks %q", e.Detail, tt.shows)
			}
			for _, secret := range []string{"pw-nats-1234", "nats-token-5555", "pw-redis-5678", "pw-query-9999", "pw-login-4321"} {
				if strings.Contains(e.Detail+e.Fix, secret) {
					t.Errorf("%s shows %q: %q / %q", e.Name, secret, e.Detail, e.Fix)
				}
			}
		})
	}
}

func TestReportRedacted(t *testing.T) {
	rep := doctor.Report{Entries: []doctor.Entry{
		{Name: "a", Status: doctor.Fail, Detail: "peer said: bad secret s3cret-value-1", Fix: "not s3cret-value-1, nor tok-0123456789"},
		{Name: "b", Status: doctor.Pass, Detail: "fine"},
	}}
	got := rep.Redacted("s3cret-value-1", "tok-0123456789", "")
	if got.Entries[0].Detail != "peer said: bad secret xxxxx" || got.Entries[0].Fix != "not xxxxx, nor xxxxx" || got.Entries[1].Detail != "fine" {
		t.Errorf("redacted: %+v", got.Entries)
	}
	if rep.Entries[0].Detail != "peer said: bad secret s3cret-value-1" {
		t.Error("Redacted changed the report it was called on")
	}
}
