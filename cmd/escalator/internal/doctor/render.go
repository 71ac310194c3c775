package doctor

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// ANSI colours of the statuses in WriteText.
var statusColor = map[Status]string{
	Pass: "\x1b[32m", // green
	Warn: "\x1b[33m", // yellow
	Fail: "\x1b[31m", // red
	Skip: "\x1b[90m", // grey
}

const colorReset = "\x1b[0m"

// WriteText writes one line per check — status, name, detail — with the fix
// of each FAIL and WARN on the lines below, then a summary. color adds ANSI
// colours to the statuses (for a terminal).
func (r Report) WriteText(w io.Writer, color bool) error {
	width := 0
	for _, e := range r.Entries {
		width = max(width, len(e.Name))
	}
	var b strings.Builder
	for _, e := range r.Entries {
		st := string(e.Status)
		if color {
			st = statusColor[e.Status] + st + colorReset
		}
		fmt.Fprintf(&b, "%s  %-*s  %s\n", st, width, e.Name, oneLine(e.Detail))
		if e.Fix != "" && (e.Status == Fail || e.Status == Warn) {
			indent := strings.Repeat(" ", 4+2+width+2)
			for i, line := range strings.Split(e.Fix, "\n") {
				label := "fix: "
				if i > 0 {
					label = "     "
				}
				fmt.Fprintf(&b, "%s%s%s\n", indent, label, line)
			}
		}
	}
	fmt.Fprintf(&b, "\n%d passed, %s, %d failed, %d skipped\n",
		r.Count(Pass), plural(r.Count(Warn), "warning"), r.Count(Fail), r.Count(Skip))
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes the report as a JSON array of {name, status, detail, fix}.
func (r Report) WriteJSON(w io.Writer) error {
	entries := r.Entries
	if entries == nil {
		entries = []Entry{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(entries)
}

// oneLine keeps a detail on its line: remote messages may hold newlines.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
