package ratelimit

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Budget is a number of requests allowed in any window of length Per.
type Budget struct {
	N   int
	Per time.Duration
}

func (b Budget) String() string {
	switch b.Per {
	case time.Second:
		return strconv.Itoa(b.N) + "/s"
	case time.Minute:
		return strconv.Itoa(b.N) + "/min"
	case time.Hour:
		return strconv.Itoa(b.N) + "/h"
	}
	return strconv.Itoa(b.N) + "/" + b.Per.String()
}

// burst and refill split a budget the way both limiters spend it: a tenth
// of it at once, the rest spread over the window. A bucket (or GCRA) of
// burst b refilling r per window admits at most b + r requests in any
// window, so burst + refill = N keeps every window inside the budget.
func (b Budget) burst() int  { return max(b.N/10, 1) }
func (b Budget) refill() int { return max(b.N-b.burst(), 1) }

func (b Budget) validate() error {
	if b.N < 1 || b.Per <= 0 {
		return fmt.Errorf("budget %d per %s: want at least 1 request per positive window", b.N, b.Per)
	}
	return nil
}

// maxWindow bounds a budget's window: a longer one is a typo.
const maxWindow = 24 * time.Hour

// ParseBudget reads "N/unit" or "N/duration": "100/s", "600/min", "800/h",
// "24/6s". Units: s, sec, second, m, min, minute, h, hour (plurals too),
// or a Go duration.
func ParseBudget(s string) (Budget, error) {
	num, per, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Budget{}, fmt.Errorf("rate %q: want requests/window, e.g. 100/s, 600/min or 800/h", s)
	}
	n, err := strconv.Atoi(strings.TrimSpace(num))
	if err != nil || n < 1 {
		return Budget{}, fmt.Errorf("rate %q: %q is not a positive whole number of requests", s, num)
	}
	per = strings.ToLower(strings.TrimSpace(per))
	var d time.Duration
	switch per {
	case "s", "sec", "secs", "second", "seconds":
		d = time.Second
	case "m", "min", "mins", "minute", "minutes":
		d = time.Minute
	case "h", "hr", "hour", "hours":
		d = time.Hour
	default:
		if d, err = time.ParseDuration(per); err != nil {
			return Budget{}, fmt.Errorf("rate %q: window %q: want s, min, h or a duration such as 10s", s, per)
		}
	}
	if d <= 0 || d > maxWindow {
		return Budget{}, fmt.Errorf("rate %q: window %s: want more than 0 and at most %s", s, d, maxWindow)
	}
	return Budget{N: n, Per: d}, nil
}
