package main

import (
	"context"
	"time"

	"github.com/spf13/pflag"

	"github.com/escalator/escalator/escalation"
	"github.com/escalator/escalator/worker"
)

// What `escalator dev` prints, and what it keeps between runs.

func devModeFlags(fs *pflag.FlagSet, c *devConfig) {
	fs.BoolVar(&c.keep, "keep", false, "keep the last run's NATS data (events, dead letters, cases, the linked account); default: start fresh")
	fs.BoolVar(&c.reset, "reset", false, "start fresh and also forget the ingest token and the files written in --data")
	fs.BoolVar(&c.traces, "traces", false, "print every span to the console (as OTEL_TRACES_EXPORTER=console does)")
}

// devTraces is dev's trace exporter unless OTEL_TRACES_EXPORTER names
// one: none, the line per event says what happened, with its trace id.
func devTraces(c devConfig) string {
	if c.traces {
		return "console"
	}
	return "none"
}

// devHandlers are serve's handlers, with dev's line per event told last,
// after the handlers' own reporters.
func devHandlers(e *env) handlerSet {
	return func(ctx context.Context, a *App) (map[string]worker.Handler, error) {
		hs, err := productionHandlers(ctx, a)
		if err != nil {
			return nil, err
		}
		cases, err := escalation.NewCaseStore(a.res.Cases, nil)
		if err != nil {
			return nil, err
		}
		a.reporters = append(a.reporters, &eventPrinter{w: e.stdout, cases: cases, now: time.Now})
		return hs, nil
	}
}

// printDevMode says what this run kept and what it prints.
func printDevMode(e *env, c devConfig) {
	if c.keep {
		e.printf("Data: kept from the last run (--keep); the simulator started from its seed.\n")
	} else {
		e.printf("Data: fresh (NATS's data was removed at start; --keep keeps it, --reset also renews the token).\n")
	}
	e.printf("Each handled event prints one line below, with its trace id (--traces prints every span).\n\n")
}
