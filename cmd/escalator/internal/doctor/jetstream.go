package doctor

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/redact"
	"github.com/escalator/escalator/internal/streams"
)

// fixProvision is the fix of any missing stream, consumer or bucket.
const fixProvision = "start `escalator serve` once; it provisions them (doctor does not create anything)"

// JetStream checks NATS and the resources Escalator runs on. It only looks
// resources up (Stream, Consumer, KeyValue), never creates them.
type JetStream struct {
	// Connect dials NATS; called once by the NATS check.
	Connect func(ctx context.Context) (jetstream.JetStream, error)
	// URL is named in details, redacted (redact.URL).
	URL string

	js jetstream.JetStream // set by the NATS check
}

// NATSCheck connects and asks for the account's JetStream information.
func (j *JetStream) NATSCheck(needs ...string) Check {
	return Check{Name: NameNATS, Needs: needs, Run: j.nats}
}

// ResourcesCheck looks up the streams, the consumer and the buckets.
func (j *JetStream) ResourcesCheck() Check {
	return Check{Name: NameStreams, Needs: []string{NameNATS}, Run: j.resources}
}

// KV returns the bucket name once the NATS check connected.
func (j *JetStream) KV(ctx context.Context, name string) (jetstream.KeyValue, error) {
	if j.js == nil {
		return nil, errors.New("not connected to NATS")
	}
	return j.js.KeyValue(ctx, name)
}

func (j *JetStream) nats(ctx context.Context) Result {
	js, err := j.Connect(ctx)
	if err != nil {
		return Failed("check ESCALATOR_NATS_URL (and ESCALATOR_NATS_CREDS if the server needs credentials) and that the NATS server is running and reachable",
			"cannot connect to NATS at %s: %s", redact.URL(j.URL), brief(err))
	}
	info, err := js.AccountInfo(ctx)
	switch {
	case errors.Is(err, jetstream.ErrJetStreamNotEnabled), errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount):
		return Failed("enable JetStream on the NATS server (nats-server -js, or a jetstream {} block in its configuration) for this account",
			"NATS at %s answers, but JetStream is not enabled", redact.URL(j.URL))
	case err != nil:
		return Failed("check that the NATS server runs JetStream and the account may use it",
			"NATS at %s answers, but JetStream does not: %s", redact.URL(j.URL), brief(err))
	}
	j.js = js
	return Passed("connected to %s, JetStream enabled (%d streams)", redact.URL(j.URL), info.Streams)
}

func (j *JetStream) resources(ctx context.Context) Result {
	var missing, found []string
	var failure error
	note := func(kind, name string, err error) bool {
		switch {
		case err == nil:
			return true
		case errors.Is(err, jetstream.ErrStreamNotFound), errors.Is(err, jetstream.ErrConsumerNotFound),
			errors.Is(err, jetstream.ErrBucketNotFound):
			missing = append(missing, kind+" "+name)
		default:
			failure = errors.Join(failure, fmt.Errorf("%s %s: %w", kind, name, err))
		}
		return false
	}
	var deadLetters uint64
	stream, err := j.js.Stream(ctx, streams.StreamName)
	if note("stream", streams.StreamName, err) {
		found = append(found, fmt.Sprintf("stream %s (%d events)", streams.StreamName, stream.CachedInfo().State.Msgs))
		cons, err := stream.Consumer(ctx, streams.ConsumerName)
		if note("consumer", streams.ConsumerName, err) {
			ci := cons.CachedInfo()
			found = append(found, fmt.Sprintf("consumer %s (%d pending)", streams.ConsumerName, ci.NumPending+uint64(ci.NumAckPending)))
		}
	} else if errors.Is(err, jetstream.ErrStreamNotFound) {
		missing = append(missing, "consumer "+streams.ConsumerName)
	}
	dlq, err := j.js.Stream(ctx, streams.DLQStreamName)
	if note("stream", streams.DLQStreamName, err) {
		deadLetters = dlq.CachedInfo().State.Msgs
		found = append(found, fmt.Sprintf("stream %s (%d dead letters)", streams.DLQStreamName, deadLetters))
	}
	buckets := streams.Buckets()
	for _, b := range buckets {
		_, err := j.js.KeyValue(ctx, b.Name)
		note("bucket", b.Name, err)
	}
	switch {
	case failure != nil:
		return Failed("check that the NATS account may read stream and consumer information", "looking up the JetStream resources: %s", brief(failure))
	case len(missing) > 0:
		return Failed(fixProvision, "missing: %s", strings.Join(missing, ", "))
	}
	found = append(found, fmt.Sprintf("%d buckets", len(buckets)))
	rep := replication(streams.Inspect(ctx, j.js))
	found = append(found, rep.summary)
	if rep.failed != "" {
		return Failed(rep.fix, "%s; %s", strings.Join(found, ", "), rep.failed)
	}
	var warnings, fixes []string
	if rep.warned != "" {
		warnings, fixes = append(warnings, rep.warned), append(fixes, rep.fix)
	}
	if deadLetters > 0 {
		warnings = append(warnings, fmt.Sprintf("%d dead letters waiting", deadLetters))
		fixes = append(fixes, "inspect them with `escalator dlq list`; after fixing the cause, `escalator replay --dlq` sends them through again")
	}
	if len(warnings) > 0 {
		return Warned(strings.Join(fixes, "; "), "%s; %s", strings.Join(found, ", "), strings.Join(warnings, "; "))
	}
	return Passed("%s", strings.Join(found, ", "))
}
