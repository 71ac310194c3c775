package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/escalator/escalator/escalation"
	"github.com/escalator/escalator/internal/azuresupport"
	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/sim"
	"github.com/escalator/escalator/internal/testkit/testserver"
)

// TestDryRunPlansWithoutNATSRequests: the dry run's planners (the real
// handlers) answer from the snapshots loaded when they were built: planning
// events sends nothing on the NATS connection, where a Get per event would
// send a request each.
func TestDryRunPlansWithoutNATSRequests(t *testing.T) {
	ctx := context.Background()
	s := sim.New(sim.Config{})
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	srv := testserver.NATS(t)
	nc, js := testserver.Connect(t, srv)
	res, err := streams.Ensure(ctx, js, streams.Config{})
	if err != nil {
		t.Fatal(err)
	}
	rc := replayConfig{
		nats:  natsConfig{URL: srv.ClientURL()},
		redis: redisConfig{URL: testserver.StartRedis(t).URL(), TokenKey: base64.StdEncoding.EncodeToString(make([]byte, 32))},
		microsoft: microsoftConfig{
			Tenant: sim.DefaultTenant, ClientID: sim.DefaultClientID, ClientSecret: sim.DefaultClientSecret,
			LoginURL: hs.URL, TokenEndpoint: "v1", GraphURL: hs.URL, ARMURL: hs.URL,
			SubscriptionID: sim.DefaultSubscription, SupportServiceID: sim.Microsoft365ServiceID,
			ProblemClassification: sim.Microsoft365ProblemClassificationID,
		},
		snow:   serviceNowConfig{URL: hs.URL, ClientID: sim.DefaultServiceNowClientID, ClientSecret: sim.DefaultServiceNowClientSecret},
		worker: workerConfig{RoleInsights: defaultRoleInsights, RoleAdmin: defaultRoleAdmin, CaseField: "correlation_id"},
		dryRun: true,
	}

	// The state: a linked account, and an open case opened by "first".
	accounts, err := escalation.NewAccountStore(res.Accounts, escalation.AccountStoreConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := accounts.Link(ctx, escalation.LinkRequest{Email: sim.DefaultAdminUPN, LinkedBy: "test"}, nil); err != nil {
		t.Fatal(err)
	}
	cases, err := escalation.NewCaseStore(res.Cases, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cases.Create(ctx, escalation.Case{
		SysID: sim.DefaultIncidentSysID, Number: "INC0010023", TicketName: azuresupport.TicketName(sim.DefaultIncidentSysID, 0),
		State: escalation.CaseOpen, CaseID: "2506010010001234", EventID: "first",
	}); err != nil {
		t.Fatal(err)
	}

	kvs, err := replayBuckets(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	planners, closeParts, err := dryRunPlanners(ctx, rc, slog.New(slog.DiscardHandler), kvs)
	if err != nil {
		t.Fatal(err)
	}
	defer closeParts()

	type planned struct {
		ev   event.Event
		want string
	}
	evs := []planned{{example(t, "escalation-requested.json", func(ev *event.Event) { ev.ID = "first" }), "done"}}
	for i := range 50 {
		evs = append(evs,
			planned{example(t, "escalation-requested.json", func(ev *event.Event) { ev.ID = fmt.Sprintf("esc-%d", i) }), "already"},
			planned{example(t, "insights-requested.json", func(ev *event.Event) { ev.ID = fmt.Sprintf("ins-%d", i) }), "post"},
			planned{example(t, "incident-updated.json", func(ev *event.Event) { ev.ID = fmt.Sprintf("upd-%d", i) }), "sync"},
		)
	}
	before := nc.Stats().OutMsgs
	for _, p := range evs {
		d, err := planners[p.ev.Type].Plan(ctx, &p.ev)
		if err != nil || d.Action != p.want {
			t.Fatalf("%s: plan = %+v, %v; want %s", p.ev.ID, d, err, p.want)
		}
	}
	if n := nc.Stats().OutMsgs - before; n != 0 {
		t.Errorf("planning %d events sent %d NATS messages, want none", len(evs), n)
	}

	// The count does see a request: a Get of the live bucket.
	if _, err := res.Cases.Get(ctx, sim.DefaultIncidentSysID); err != nil {
		t.Fatal(err)
	}
	if nc.Stats().OutMsgs == before {
		t.Error("a KV Get sent no message: the count proves nothing")
	}
}
