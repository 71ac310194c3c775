package doctor_test

import (
	"context"
	"errors"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/cmd/escalator/internal/doctor"
	"github.com/escalator/escalator/internal/servicenow"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/sim"
)

// Doctor looks streams, the consumer and buckets up; it never creates them.
func TestDoctorCreatesNothingInNATS(t *testing.T) {
	f := newFixture(t, fixtureOpts{noEnsure: true})
	f.run(t)
	ctx := context.Background()
	for _, s := range []string{streams.StreamName, streams.DLQStreamName} {
		if _, err := f.js.Stream(ctx, s); !errors.Is(err, jetstream.ErrStreamNotFound) {
			t.Errorf("stream %s after doctor: %v, want not found", s, err)
		}
	}
	for _, b := range []string{streams.BucketCases, streams.BucketAccounts, streams.BucketHealth, streams.BucketInsights, streams.BucketReplay} {
		if _, err := f.js.KeyValue(ctx, b); !errors.Is(err, jetstream.ErrBucketNotFound) {
			t.Errorf("bucket %s after doctor: %v, want not found", b, err)
		}
	}
}

// The write check sends exactly one PATCH, of the case field with the value
// it already had, and adds no work note.
func TestWriteCheckWritesTheSameValue(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	snow, err := servicenow.New(servicenow.Config{BaseURL: f.url, Username: sim.DefaultServiceNowUser, Password: sim.DefaultServiceNowPassword})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := snow.PatchIncident(ctx, sim.DefaultIncidentSysID, map[string]string{"correlation_id": "CASE-42"}); err != nil {
		t.Fatal(err)
	}
	const patch = "PATCH /api/now/table/incident/{sys_id}"
	before := f.sim.State()
	expect(t, f.run(t), map[string]want{doctor.NameSNWrite: {status: doctor.Pass, detail: "correlation_id of " + sim.DefaultIncidentNumber}})
	after := f.sim.State()
	if n := after.Calls[patch] - before.Calls[patch]; n != 1 {
		t.Errorf("%d PATCH calls, want 1", n)
	}
	inc, err := snow.GetIncident(ctx, sim.DefaultIncidentSysID)
	if err != nil {
		t.Fatal(err)
	}
	if inc.CorrelationID != "CASE-42" {
		t.Errorf("correlation_id = %q after doctor, want CASE-42", inc.CorrelationID)
	}
	for i, in := range after.Incidents {
		if len(in.WorkNotes) != len(before.Incidents[i].WorkNotes) {
			t.Errorf("incident %s got a work note", in.Number)
		}
	}
	if n := len(after.Tickets) - len(before.Tickets); n != 0 {
		t.Errorf("doctor filed %d support tickets", n)
	}
}

// The Redis round trip deletes its key.
func TestRedisRoundTripLeavesNothing(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	rep := f.run(t)
	expect(t, rep, map[string]want{doctor.NameRedis: {status: doctor.Pass}})
	n, err := redisClient(t, f).DBSize(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("Redis holds %d keys after doctor, want 0", n)
	}
}
