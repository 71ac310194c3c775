package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/escalator/escalator/cmd/escalator/internal/replay"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/telemetry"
)

// replayConfig is what `escalator replay` runs with. The Microsoft,
// ServiceNow and Redis settings are read only by --dry-run, which asks the
// handlers (built as serve builds them) what they would do.
type replayConfig struct {
	nats      natsConfig
	log       logConfig
	redis     redisConfig
	microsoft microsoftConfig
	snow      serviceNowConfig
	worker    workerConfig

	since, until   string
	fromSeq, toSeq uint64
	dlq            bool
	file           string
	types          []string
	incident       string
	dryRun         bool
	rate           float64
	output         string
	resume         string
	runID          string
}

func (c *replayConfig) flags(fs *pflag.FlagSet) {
	remoteFlags(fs, &c.nats, &c.redis, &c.microsoft, &c.snow)
	c.log.flags(fs)
	c.worker.roleFlags(fs, "dry run: checked against the roles the event lists")
	c.worker.caseFlags(fs)
	fs.BoolVar(&c.worker.TestEnvironment, "test-environment", false, "this is a test environment")

	fs.StringVar(&c.since, "since", "", "replay events stored since this time: RFC 3339 or a duration ago (2h, 3d)")
	fs.StringVar(&c.until, "until", "", "replay events stored until this time: RFC 3339 or a duration ago")
	fs.Uint64Var(&c.fromSeq, "from-seq", 0, "first stream sequence to replay")
	fs.Uint64Var(&c.toSeq, "to-seq", 0, "last stream sequence to replay")
	fs.BoolVar(&c.dlq, "dlq", false, "replay the dead letters of "+streams.DLQStreamName+" (each is deleted once its republish is acknowledged)")
	fs.StringVar(&c.file, "file", "", "replay the CloudEvents of a JSON or NDJSON file")
	listVar(fs, &c.types, "type", "only these event types, comma-separated: insights, escalation, update or a CloudEvents type (repeatable)")
	fs.StringVar(&c.incident, "incident", "", "only events of this incident (number or sys_id)")
	fs.BoolVar(&c.dryRun, "dry-run", false, "report what would happen to each event, change nothing")
	fs.Float64Var(&c.rate, "rate", 0, "at most this many events per second (0: no limit)")
	fs.StringVarP(&c.output, "output", "o", "table", "summary as table or json")
	fs.StringVar(&c.resume, "resume", "", "continue the interrupted run RUN_ID (its source and filters are reloaded)")
	fs.StringVar(&c.runID, "run-id", "", "name of a new run (default: start time and a random suffix)")
}

// options turns the flags into the engine's options.
func (c *replayConfig) options(now time.Time) (replay.Options, error) {
	if err := checkOutput(c.output, "table"); err != nil {
		return replay.Options{}, err
	}
	if c.rate < 0 {
		return replay.Options{}, fmt.Errorf("--rate %g: use a positive number of events per second, or 0 for no limit", c.rate)
	}
	o := replay.Options{DryRun: c.dryRun, Rate: c.rate}
	var err error
	if c.dryRun { // the roles gate only the dry run's plan
		if o.Roles.Insights, err = roleList("ESCALATOR_ROLE_INSIGHTS", c.worker.RoleInsights, defaultRoleInsights); err != nil {
			return o, err
		}
		if o.Roles.Admin, err = roleList("ESCALATOR_ROLE_ADMIN", c.worker.RoleAdmin, defaultRoleAdmin); err != nil {
			return o, err
		}
	}
	if c.resume != "" {
		if c.dlq || c.file != "" || c.since != "" || c.until != "" || c.fromSeq != 0 || c.toSeq != 0 ||
			len(c.types) > 0 || c.incident != "" || c.runID != "" {
			return o, errors.New("--resume reloads the run's source and filters: give no other source, filter or --run-id")
		}
		o.RunID, o.Resume = c.resume, true
		return o, nil
	}
	o.RunID = c.runID
	switch {
	case c.dlq && c.file != "":
		return o, errors.New("--dlq and --file: choose one source")
	case c.dlq:
		o.Source.Kind = replay.SourceDLQ
	case c.file != "":
		o.Source.Kind, o.Source.File = replay.SourceFile, c.file
	default:
		o.Source.Kind = replay.SourceStream
		if c.since == "" && c.until == "" && c.fromSeq == 0 && c.toSeq == 0 {
			return o, errors.New("which events? give a window of the stream (--since, --until, --from-seq, --to-seq), --dlq or --file")
		}
	}
	if c.since != "" {
		if o.Source.Since, err = replay.ParseTime(c.since, now); err != nil {
			return o, fmt.Errorf("--since: %w", err)
		}
	}
	if c.until != "" {
		if o.Source.Until, err = replay.ParseTime(c.until, now); err != nil {
			return o, fmt.Errorf("--until: %w", err)
		}
	}
	o.Source.FromSeq, o.Source.ToSeq = c.fromSeq, c.toSeq
	if err := checkList("--type", c.types); err != nil {
		return o, err
	}
	for _, t := range c.types {
		typ, err := replay.ParseType(t)
		if err != nil {
			return o, fmt.Errorf("--type: %w", err)
		}
		o.Filter.Types = append(o.Filter.Types, typ)
	}
	o.Filter.Incident = c.incident
	if err := o.Source.Validate(); err != nil {
		return o, err
	}
	return o, nil
}

// newReplayCmd is `escalator replay`.
func newReplayCmd(e *env) *cobra.Command {
	var c replayConfig
	cmd := &cobra.Command{
		Use:   "replay",
		Short: "Send past events through again: a window of the stream, the dead letters or a file",
		Long: "Replay reads a window of the stream " + streams.StreamName + " (with an ordered consumer: the workers'\n" +
			"consumer is not touched), the dead letters (--dlq) or a file (--file), and republishes each\n" +
			"event with its CloudEvent id, so the handlers' idempotency keys recognise it: no incident\n" +
			"gets a second case. --dry-run only reports what each event would lead to, judged against\n" +
			"the buckets as they are when the run starts (read once into memory). An interrupted\n" +
			"run continues with --resume RUN_ID. On a terminal a progress bar shows the rate and ETA;\n" +
			"otherwise each event is one JSON line (seq, id, type, incident, action, error). A summary\n" +
			"follows (--output json: one object). Exit status 1 when any event failed.",
		Example: "  escalator replay --since 2h --type escalation --dry-run\n" +
			"  escalator replay --dlq --rate 20\n" +
			"  escalator replay --resume 20250601T120000Z-3fa9c1",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runReplay(cmd.Context(), e, c)
		},
	}
	c.flags(cmd.Flags())
	markSecret(cmd.Flags(), "client-secret", "servicenow-client-secret", "servicenow-password", "token-key")
	return cmd
}

func runReplay(ctx context.Context, e *env, c replayConfig) error {
	opts, err := c.options(time.Now())
	if err != nil {
		return err
	}
	log, nc, js, err := e.dial(c.nats, c.log, "escalator-replay")
	if err != nil {
		return err
	}
	defer nc.Close()
	kvs, err := replayBuckets(ctx, js)
	if err != nil {
		return err
	}
	deps := replay.Deps{JS: js, Progress: kvs[streams.BucketReplay], Publisher: oneShotPublisher(ctx, js, streams.NewPublisher(js, noop.NewTracerProvider()), log)}
	if opts.DryRun {
		planners, closeParts, err := dryRunPlanners(ctx, c, log, kvs)
		if err != nil {
			return fmt.Errorf("dry run needs the handlers' configuration: %w", err)
		}
		defer closeParts()
		deps.Planners = planners
	}
	out := newReplayOutput(e.stdout, c.output)
	deps.Reporter = out
	sum, runErr := replay.Run(ctx, opts, deps)
	out.finish()
	if sum.RunID != "" {
		if err := out.summary(sum); err != nil {
			return err
		}
	}
	if runErr != nil {
		return runErr
	}
	if sum.Failed > 0 {
		return exitCode(1)
	}
	return nil
}

// replayBuckets checks the streams and opens every bucket (streams.Buckets),
// which serve provisions; replay never creates them.
func replayBuckets(ctx context.Context, js jetstream.JetStream) (map[string]jetstream.KeyValue, error) {
	if _, err := js.Stream(ctx, streams.StreamName); err != nil {
		return nil, fmt.Errorf("stream %s: %w (has `escalator serve` run against this NATS? check ESCALATOR_NATS_URL)", streams.StreamName, err)
	}
	if _, err := js.Stream(ctx, streams.DLQStreamName); err != nil {
		return nil, fmt.Errorf("stream %s: %w", streams.DLQStreamName, err)
	}
	kvs := map[string]jetstream.KeyValue{}
	for _, b := range streams.Buckets() {
		kv, err := js.KeyValue(ctx, b.Name)
		if err != nil {
			return nil, fmt.Errorf("bucket %s: %w (run `escalator serve` once, or `escalator doctor`)", b.Name, err)
		}
		kvs[b.Name] = kv
	}
	return kvs, nil
}

// replayTelemetry is silent: a replay's spans are the republishes', which
// the publisher makes without an exporter here.
func replayTelemetry() *telemetry.Providers {
	return &telemetry.Providers{TracerProvider: noop.NewTracerProvider(), MeterProvider: metricnoop.NewMeterProvider()}
}
