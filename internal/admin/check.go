package admin

import (
	"context"
	"fmt"
)

// Level is the outcome of a check.
type Level string

// Levels, from best to worst. Degraded still counts as ready.
const (
	LevelOK       Level = "ok"
	LevelDegraded Level = "degraded"
	LevelFailed   Level = "failed"
)

func (l Level) rank() int {
	switch l {
	case LevelOK:
		return 0
	case LevelDegraded:
		return 1
	}
	return 2
}

// Status is a check's result: a level and, when not ok, why.
type Status struct {
	Level   Level  `json:"status"`
	Message string `json:"message,omitempty"`
	// Details are lines that back the message, e.g. one per stream.
	Details []string `json:"details,omitempty"`
}

// OK is a passing status.
func OK() Status { return Status{Level: LevelOK} }

// Degraded is a status that still counts as ready.
func Degraded(format string, args ...any) Status {
	return Status{Level: LevelDegraded, Message: fmt.Sprintf(format, args...)}
}

// Failed is a status that makes the process unready.
func Failed(format string, args ...any) Status {
	return Status{Level: LevelFailed, Message: fmt.Sprintf(format, args...)}
}

// Check is one dependency readiness depends on. Run must honour ctx: it is
// cancelled after Config.CheckTimeout.
type Check struct {
	Name string
	Run  func(ctx context.Context) Status
}

// FuncCheck makes a check from a func: nil is ok, an error failed with the
// error as the message.
func FuncCheck(name string, fn func(ctx context.Context) error) Check {
	return Check{Name: name, Run: func(ctx context.Context) Status {
		if err := fn(ctx); err != nil {
			return Failed("%v", err)
		}
		return OK()
	}}
}
