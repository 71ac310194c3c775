package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/escalator/escalator/cmd/escalator/internal/replay"
)

// maxListedFailures bounds the failures listed under the bar on a terminal.
const maxListedFailures = 20

// replayOutput shows a replay: a progress bar with rate and ETA on a
// terminal, otherwise one JSON line per event; then the summary.
type replayOutput struct {
	w        io.Writer
	format   string // table or json
	bar      *progressbar.ProgressBar
	enc      *json.Encoder
	failures []replay.Result
	failed   int
}

func newReplayOutput(w io.Writer, format string) *replayOutput {
	o := &replayOutput{w: w, format: format}
	if isTerminal(w) {
		o.bar = progressbar.NewOptions64(-1,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription("replay"),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("events"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionFullWidth(),
		)
	} else {
		o.enc = json.NewEncoder(w)
	}
	return o
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Window sizes the bar.
func (o *replayOutput) Window(total int) {
	if o.bar != nil && total >= 0 {
		o.bar.ChangeMax(total)
	}
}

// Skipped advances the bar over a filtered message.
func (o *replayOutput) Skipped(uint64) {
	if o.bar != nil {
		_ = o.bar.Add(1)
	}
}

// Result advances the bar, or writes the event's JSON line.
func (o *replayOutput) Result(r replay.Result) {
	if r.Failed() {
		o.failed++
		if len(o.failures) < maxListedFailures {
			o.failures = append(o.failures, r)
		}
	}
	if o.bar != nil {
		_ = o.bar.Add(1)
		return
	}
	_ = o.enc.Encode(r)
}

// finish ends the bar and lists the first failures under it.
func (o *replayOutput) finish() {
	if o.bar == nil {
		return
	}
	_ = o.bar.Exit()
	fmt.Fprintln(o.w)
	if len(o.failures) == 0 {
		return
	}
	tw := tabwriter.NewWriter(o.w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tID\tINCIDENT\tACTION\tERROR")
	for _, r := range o.failures {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", r.Seq, r.ID, r.Incident, r.Action, r.Error)
	}
	_ = tw.Flush()
	if o.failed > len(o.failures) {
		fmt.Fprintf(o.w, "… and %d more failures (run with output to a file or pipe for every event as JSON)\n", o.failed-len(o.failures))
	}
	fmt.Fprintln(o.w)
}

// summary prints the run's summary: a table, or one JSON object.
func (o *replayOutput) summary(s replay.Summary) error {
	if o.format == "json" {
		return json.NewEncoder(o.w).Encode(s)
	}
	tw := tabwriter.NewWriter(o.w, 0, 4, 2, ' ', 0)
	mode := "republished"
	if s.DryRun {
		mode = "dry run: nothing changed"
	}
	fmt.Fprintf(tw, "run\t%s (%s)\n", s.RunID, mode)
	fmt.Fprintf(tw, "source\t%s\n", describeSource(s.Source, s.Filter))
	fmt.Fprintf(tw, "events\t%d read, %d filtered out, %d handled, %d failed\n", s.Read, s.Filtered, s.Processed, s.Failed)
	fmt.Fprintf(tw, "speed\t%.0f events/s over %s\n", s.PerSecond, s.Elapsed.Round(time.Millisecond))
	if !s.Complete && !s.DryRun {
		fmt.Fprintf(tw, "stopped\tafter position %d: continue with `escalator replay --resume %s`\n", s.Position, s.RunID)
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "ACTION\tEVENTS")
	actions := make([]string, 0, len(s.Actions))
	for a, n := range s.Actions {
		if n > 0 {
			actions = append(actions, a)
		}
	}
	slices.Sort(actions)
	for _, a := range actions {
		fmt.Fprintf(tw, "%s\t%d\n", a, s.Actions[a])
	}
	return tw.Flush()
}

func describeSource(src replay.Source, f replay.Filter) string {
	var parts []string
	switch src.Kind {
	case replay.SourceFile:
		parts = append(parts, "file "+src.File)
	case replay.SourceDLQ:
		parts = append(parts, "dead letters")
	default:
		parts = append(parts, "stream")
	}
	if !src.Since.IsZero() {
		parts = append(parts, "since "+src.Since.Format(time.RFC3339))
	}
	if !src.Until.IsZero() {
		parts = append(parts, "until "+src.Until.Format(time.RFC3339))
	}
	if src.FromSeq != 0 {
		parts = append(parts, fmt.Sprintf("from seq %d", src.FromSeq))
	}
	if src.ToSeq != 0 {
		parts = append(parts, fmt.Sprintf("to seq %d", src.ToSeq))
	}
	if len(f.Types) > 0 {
		parts = append(parts, "types "+strings.Join(f.Types, ","))
	}
	if f.Incident != "" {
		parts = append(parts, "incident "+f.Incident)
	}
	return strings.Join(parts, ", ")
}
