// Command escalator connects ServiceNow incidents to Microsoft 365 support:
// CloudEvents in through ingest, through NATS JetStream, to the handlers that
// call Microsoft Graph, the Azure Support API and ServiceNow.
//
// main only handles signals and the exit code; every subcommand lives in a
// file of its own and builds its parts from a plain Config.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() { os.Exit(run()) }

func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRoot(os.Stdout, os.Stderr, os.Getenv)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ec exitCode
	if errors.As(err, &ec) {
		return int(ec)
	}
	fmt.Fprintln(os.Stderr, "escalator:", err)
	return 1
}

// exitCode ends the process with a status and no further message: the
// command already said what went wrong (doctor FAIL, replay failures).
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }
