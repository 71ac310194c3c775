package doctor

import (
	"context"
	"fmt"
	"time"

	"github.com/escalator/escalator/internal/redact"
)

// Status is a check's outcome.
type Status string

// Outcomes. A FAIL makes `escalator doctor` exit 1; a WARN does not.
const (
	Pass Status = "PASS"
	Warn Status = "WARN"
	Fail Status = "FAIL"
	// Skip: a check this one needs did not pass, so it did not run.
	Skip Status = "SKIP"
)

// DefaultTimeout bounds a check whose Timeout is zero.
const DefaultTimeout = 15 * time.Second

// Result is what one check found.
type Result struct {
	Status Status
	// Detail says what was found, in one line.
	Detail string
	// Fix says exactly what to change; set with every FAIL and WARN.
	Fix string
}

// Passed returns a PASS.
func Passed(format string, args ...any) Result {
	return Result{Status: Pass, Detail: fmt.Sprintf(format, args...)}
}

// Warned returns a WARN with its fix.
func Warned(fix, format string, args ...any) Result {
	return Result{Status: Warn, Detail: fmt.Sprintf(format, args...), Fix: fix}
}

// Failed returns a FAIL with its fix.
func Failed(fix, format string, args ...any) Result {
	return Result{Status: Fail, Detail: fmt.Sprintf(format, args...), Fix: fix}
}

// Check is one step of the setup test.
type Check struct {
	// Name identifies the check in the report and in other checks' Needs.
	Name string
	// Needs names earlier checks that must have passed (PASS or WARN) for
	// this one to run; otherwise it is reported as SKIP.
	Needs []string
	// Timeout bounds Run; zero means DefaultTimeout.
	Timeout time.Duration
	// Run performs the check. It must honour ctx.
	Run func(ctx context.Context) Result
}

// Entry is a check's result in a report.
type Entry struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	Detail string `json:"detail"`
	Fix    string `json:"fix"`
}

// Report is the outcome of every check, in the order they ran.
type Report struct {
	Entries []Entry
}

// Redacted returns the report with every occurrence of the secrets masked
// in its details and fixes (redact.Secrets). Checks quote the errors of
// remote clients, whose text doctor does not control; the caller hands over
// every secret of its configuration so that none is printed whatever a
// check quotes.
func (r Report) Redacted(secrets ...string) Report {
	out := Report{Entries: make([]Entry, len(r.Entries))}
	for i, e := range r.Entries {
		e.Detail = redact.Secrets(e.Detail, secrets...)
		e.Fix = redact.Secrets(e.Fix, secrets...)
		out.Entries[i] = e
	}
	return out
}

// Failed reports whether any check failed.
func (r Report) Failed() bool { return r.Count(Fail) > 0 }

// Count is the number of entries with status s.
func (r Report) Count(s Status) int {
	n := 0
	for _, e := range r.Entries {
		if e.Status == s {
			n++
		}
	}
	return n
}

// Run executes checks in order. A check whose Needs include one that did
// not pass is skipped; every other check runs under its timeout, and one
// that overruns it (or panics) fails without holding up the rest.
func Run(ctx context.Context, checks []Check) Report {
	status := make(map[string]Status, len(checks))
	rep := Report{Entries: make([]Entry, 0, len(checks))}
	for _, c := range checks {
		var r Result
		if dep := blocking(c.Needs, status); dep != "" {
			r = Result{Status: Skip, Detail: "needs " + dep}
		} else {
			r = runOne(ctx, c)
		}
		status[c.Name] = r.Status
		rep.Entries = append(rep.Entries, Entry{Name: c.Name, Status: r.Status, Detail: r.Detail, Fix: r.Fix})
	}
	return rep
}

// blocking returns the first need that did not pass, or "".
func blocking(needs []string, status map[string]Status) string {
	for _, n := range needs {
		if s, ran := status[n]; !ran || (s != Pass && s != Warn) {
			return n
		}
	}
	return ""
}

func runOne(ctx context.Context, c Check) Result {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := make(chan Result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- Failed("this is a bug in escalator doctor; please report it", "check panicked: %v", p)
			}
		}()
		done <- c.Run(ctx)
	}()
	select {
	case r := <-done:
		if r.Status == "" {
			r.Status = Fail
		}
		return r
	case <-ctx.Done():
		if parent.Err() != nil {
			return Failed("run escalator doctor again", "interrupted: %v", parent.Err())
		}
		return Failed("check the network path to the service (proxy, firewall, DNS) or raise --check-timeout",
			"no answer within %s", timeout)
	}
}
