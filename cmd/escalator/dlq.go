package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/escalator/escalator/cmd/escalator/internal/replay"
	"github.com/escalator/escalator/internal/streams"
)

type dlqConfig struct {
	nats   natsConfig
	log    logConfig
	output string
	limit  int
}

// newDLQCmd is `escalator dlq list | show SEQ`.
func newDLQCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dlq",
		Short: "Inspect the dead letters: events that failed for good or too often, with the reason",
		Long: "Dead letters are kept in " + streams.DLQStreamName + " with their original subject, the number of\n" +
			"deliveries, the error class and the reason. After fixing the cause, send them through\n" +
			"again with `escalator replay --dlq` (each is deleted once its republish is acknowledged).",
	}
	cmd.AddCommand(newDLQListCmd(e), newDLQShowCmd(e))
	return cmd
}

func newDLQListCmd(e *env) *cobra.Command {
	var c dlqConfig
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the dead letters, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDLQList(cmd.Context(), e, c)
		},
	}
	c.nats.flags(cmd.Flags())
	c.log.flags(cmd.Flags())
	cmd.Flags().StringVarP(&c.output, "output", "o", "table", "table or json")
	cmd.Flags().IntVar(&c.limit, "limit", 0, "at most this many (0: all)")
	return cmd
}

func newDLQShowCmd(e *env) *cobra.Command {
	var c dlqConfig
	cmd := &cobra.Command{
		Use:   "show SEQ",
		Short: "Show one dead letter: every header and the event",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			seq, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil || seq == 0 {
				return fmt.Errorf("SEQ %q: give the sequence number `escalator dlq list` shows", args[0])
			}
			return runDLQShow(cmd.Context(), e, c, seq)
		},
	}
	c.nats.flags(cmd.Flags())
	c.log.flags(cmd.Flags())
	cmd.Flags().StringVarP(&c.output, "output", "o", "text", "text or json")
	return cmd
}

func runDLQList(ctx context.Context, e *env, c dlqConfig) error {
	if err := checkOutput(c.output, "table"); err != nil {
		return err
	}
	_, nc, js, err := e.dial(c.nats, c.log, "escalator-dlq")
	if err != nil {
		return err
	}
	defer nc.Close()
	dls, err := replay.ListDeadLetters(ctx, js, c.limit)
	if err != nil {
		return err
	}
	if c.output == "json" {
		// One JSON array, [] when there is none: what a script can parse
		// whatever the count.
		list := make([]replay.DeadLetter, 0, len(dls))
		for _, d := range dls {
			d.Header = nil // list: the summary; `dlq show` has every header
			list = append(list, d)
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	if len(dls) == 0 {
		e.printf("no dead letters\n")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME\tSUBJECT\tEVENT\tINCIDENT\tDELIVERIES\tCLASS\tREASON")
	for _, d := range dls {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", d.Seq, d.Time.UTC().Format(time.RFC3339), d.Subject,
			d.EventID, d.Incident, d.Deliveries, d.Class, oneLine(d.Reason, 100))
	}
	return tw.Flush()
}

func runDLQShow(ctx context.Context, e *env, c dlqConfig, seq uint64) error {
	if err := checkOutput(c.output, "text"); err != nil {
		return err
	}
	_, nc, js, err := e.dial(c.nats, c.log, "escalator-dlq")
	if err != nil {
		return err
	}
	defer nc.Close()
	d, err := replay.GetDeadLetter(ctx, js, seq)
	if err != nil {
		return err
	}
	if c.output == "json" {
		body := json.RawMessage(d.Data)
		if !json.Valid(d.Data) {
			b, _ := json.Marshal(string(d.Data))
			body = b
		}
		return json.NewEncoder(e.stdout).Encode(struct {
			replay.DeadLetter
			Body json.RawMessage `json:"body"`
		}{d, body})
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "seq\t%d\n", d.Seq)
	fmt.Fprintf(tw, "stored\t%s\n", d.Time.UTC().Format(time.RFC3339))
	fmt.Fprintf(tw, "subject\t%s\n", d.Subject)
	fmt.Fprintf(tw, "reason\t%s\n", d.Reason)
	fmt.Fprintf(tw, "class\t%s, after %d deliveries\n", d.Class, d.Deliveries)
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "HEADER\tVALUE")
	keys := make([]string, 0, len(d.Header))
	for k := range d.Header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range d.Header[k] {
			fmt.Fprintf(tw, "%s\t%s\n", k, v)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, d.Data, "", "  ") != nil {
		pretty.Reset()
		pretty.Write(d.Data) // not JSON: as stored
	}
	e.printf("\n%s\n", pretty.String())
	return nil
}

// oneLine keeps a reason on one table row.
func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return s
}
