package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/streams"
)

type publishConfig struct {
	nats   natsConfig
	ingest ingestTarget
	log    logConfig
	output string
}

// publishResult is one stored event.
type publishResult struct {
	ID        string `json:"id"`
	Subject   string `json:"subject"`
	Seq       uint64 `json:"seq"`
	Duplicate bool   `json:"duplicate"`
}

func newPublishCmd(e *env) *cobra.Command {
	var c publishConfig
	cmd := &cobra.Command{
		Use:   "publish FILE|-",
		Short: "Publish CloudEvents (JSON or NDJSON, - for stdin) straight to JetStream, or through ingest with --ingest-url",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPublish(cmd, e, c, args[0])
		},
	}
	c.nats.flags(cmd.Flags())
	c.ingest.flags(cmd.Flags())
	c.log.flags(cmd.Flags())
	cmd.Flags().StringVarP(&c.output, "output", "o", "table", "table or json")
	return cmd
}

func runPublish(cmd *cobra.Command, e *env, c publishConfig, path string) error {
	if err := checkOutput(c.output, "table"); err != nil {
		return err
	}
	log, err := e.logger(c.log)
	if err != nil {
		return err
	}
	var body []byte
	if path == "-" {
		body, err = io.ReadAll(io.LimitReader(cmd.InOrStdin(), 64<<20))
	} else {
		body, err = os.ReadFile(path)
	}
	if err != nil {
		return fmt.Errorf("read events: %w", err)
	}
	events, err := event.DecodeStream(body)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var results []publishResult
	if c.ingest.URL != "" {
		results, err = c.ingest.post(cmd.Context(), &http.Client{Timeout: time.Minute}, events)
	} else {
		results, err = publishDirect(cmd.Context(), c.nats, log, events)
	}
	if err != nil {
		return err
	}
	if c.output == "json" {
		enc := json.NewEncoder(e.stdout)
		for _, r := range results {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSUBJECT\tSEQ\tDUPLICATE")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%t\n", r.ID, r.Subject, r.Seq, r.Duplicate)
	}
	return tw.Flush()
}

// publishDirect publishes the events to JetStream, bypassing ingest.
func publishDirect(ctx context.Context, c natsConfig, log *slog.Logger, events []event.Event) ([]publishResult, error) {
	nc, js, err := connectNATS(c, "escalator-publish", log)
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	pub := oneShotPublisher(ctx, js, streams.NewPublisher(js, noop.NewTracerProvider()), log)
	results := make([]publishResult, 0, len(events))
	for i := range events {
		ack, err := pub.Publish(ctx, &events[i])
		if err != nil {
			return nil, fmt.Errorf("publish event %s (%d of %d; earlier ones are stored): %w", events[i].ID, i+1, len(events), err)
		}
		results = append(results, publishResult{ID: events[i].ID, Subject: events[i].Subject(), Seq: ack.Sequence, Duplicate: ack.Duplicate})
	}
	return results, nil
}
