package main

import (
	"context"
	"time"

	"github.com/spf13/pflag"

	"github.com/escalator/escalator/escalation"
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

// devWorker is serve's worker, with dev's line per event told last, after
// the handlers' own reporters.
func devWorker(e *env) workerBuilder {
	return func(ctx context.Context, s spine) (workerParts, error) {
		w, err := buildWorker(ctx, s)
		if err != nil {
			return w, err
		}
		cases, err := escalation.NewCaseStore(s.res.Cases, nil)
		if err != nil {
			return w, err
		}
		w.reporters = append(w.reporters, &eventPrinter{w: e.stdout, cases: cases, now: time.Now})
		return w, nil
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
