package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/escalator/escalator/cmd/escalator/internal/explain"
)

// explainTime is how the text output writes a time: UTC, to the second.
const explainTime = "2006-01-02 15:04:05Z"

func writeExplainJSON(w io.Writer, r *explain.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// writeExplainText prints the report for a person: the incident, the
// timeline, the cases at Microsoft, the trace ids, then how each source
// answered and what the stream lookup cost.
func writeExplainText(w io.Writer, r *explain.Report) error {
	fmt.Fprintln(w, explainHeading(r))
	if !r.Found {
		fmt.Fprintf(w, "\nNo source knows %s: no event, dead letter, case record, outbox row or Escalator note%s.\n",
			r.Query, explainRetention(r))
		fmt.Fprintln(w, "Check the number or sys_id, and that ServiceNow's request reached Escalator (the incident's \"Escalator requests\").")
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(r.Timeline) > 0 {
		fmt.Fprintln(tw)
		fmt.Fprintln(tw, "TIME\tSOURCE\tWHAT")
		for _, e := range r.Timeline {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", explainAt(e.Time), e.Source, oneLine(e.Text, 240))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Tickets) > 0 {
		fmt.Fprintln(w, "\nMicrosoft support cases (now):")
		for _, t := range r.Tickets {
			if t.Error != "" {
				fmt.Fprintf(w, "  %s  cannot be read: %s\n", t.Name, oneLine(t.Error, 200))
				continue
			}
			if t.Status == explain.TicketMissing {
				fmt.Fprintf(w, "  %s  %s (never created, or deleted)\n", t.Name, t.Status)
				continue
			}
			fmt.Fprintf(w, "  %s  case %s  %s  severity %s  created %s  modified %s\n", t.Name, t.CaseID, t.Status, t.Severity,
				explainAt(t.Created), explainAt(t.Modified))
		}
	}
	if len(r.Traces) > 0 {
		fmt.Fprintln(w, "\nTrace ids (open them in your tracing UI):")
		for _, t := range r.Traces {
			seqs := make([]string, len(t.Seqs))
			for i, s := range t.Seqs {
				seqs[i] = strconv.FormatUint(s, 10)
			}
			fmt.Fprintf(w, "  %s  seq %s\n", t.TraceID, strings.Join(seqs, ", "))
		}
	}
	fmt.Fprintln(w, "\nSources:")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, s := range r.Sources {
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\n", s.Status, s.Name, s.Count, oneLine(s.Detail, 200))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, explainCost(r))
	return nil
}

func explainHeading(r *explain.Report) string {
	inc := r.Incident
	var b strings.Builder
	b.WriteString("Incident ")
	switch {
	case inc.Number != "" && inc.SysID != "":
		fmt.Fprintf(&b, "%s (sys_id %s)", inc.Number, inc.SysID)
	case inc.Number != "":
		b.WriteString(inc.Number)
	default:
		b.WriteString(inc.SysID)
	}
	if inc.ShortDescription != "" {
		fmt.Fprintf(&b, ": %s", inc.ShortDescription)
	}
	if inc.State != "" {
		fmt.Fprintf(&b, " [state %s]", inc.State)
	}
	if !r.Since.IsZero() {
		fmt.Fprintf(&b, ", since %s", explainAt(r.Since))
	}
	return b.String()
}

func explainRetention(r *explain.Report) string {
	if !r.Since.IsZero() {
		return " since " + explainAt(r.Since)
	}
	return " within the streams' retention"
}

func explainCost(r *explain.Report) string {
	s := r.Stats
	how := fmt.Sprintf("by the index, %s", plural(s.IndexEntries, "entry", "entries"))
	if s.Method == "scan" {
		how = "by a scan of the stream"
	}
	return fmt.Sprintf("Stream lookup %s: %s read of %d stored, %s read; took %s.", how,
		plural(s.MessagesRead, "message", "messages"), s.StreamMessages,
		plural(s.DeadLettersRead, "dead letter", "dead letters"), s.Took.Round(time.Millisecond))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func explainAt(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(explainTime)
}
