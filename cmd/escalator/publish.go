package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/streams"
)

type publishConfig struct {
	nats   natsConfig
	log    logConfig
	output string
}

func newPublishCmd(e *env) *cobra.Command {
	var c publishConfig
	cmd := &cobra.Command{
		Use:   "publish FILE|-",
		Short: "Publish CloudEvents (JSON or NDJSON, - for stdin) straight to JetStream",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPublish(cmd, e, c, args[0])
		},
	}
	c.nats.flags(cmd.Flags())
	c.log.flags(cmd.Flags())
	cmd.Flags().StringVarP(&c.output, "output", "o", "table", "table or json")
	return cmd
}

func runPublish(cmd *cobra.Command, e *env, c publishConfig, path string) error {
	if c.output != "table" && c.output != "json" {
		return fmt.Errorf("--output %q: use table or json", c.output)
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
	nc, js, err := connectNATS(c.nats, "escalator-publish", log)
	if err != nil {
		return err
	}
	defer nc.Close()
	pub := streams.NewPublisher(js, noop.NewTracerProvider())

	type result struct {
		ID        string `json:"id"`
		Subject   string `json:"subject"`
		Seq       uint64 `json:"seq"`
		Duplicate bool   `json:"duplicate"`
	}
	results := make([]result, 0, len(events))
	for i := range events {
		ack, err := pub.Publish(cmd.Context(), &events[i])
		if err != nil {
			return fmt.Errorf("publish event %s (%d of %d; earlier ones are stored): %w", events[i].ID, i+1, len(events), err)
		}
		results = append(results, result{ID: events[i].ID, Subject: events[i].Subject(), Seq: ack.Sequence, Duplicate: ack.Duplicate})
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
