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
	return execute(ctx, &env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, environ: os.Environ}, os.Args[1:])
}

// execute runs the command line args over e and returns the exit status:
// 0, the status a command chose (exitCode), or 1 with the error on one
// line of stderr.
func execute(ctx context.Context, e *env, args []string) int {
	root := newRootEnv(e)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ec exitCode
	if errors.As(err, &ec) {
		return int(ec)
	}
	fmt.Fprintln(e.stderr, "escalator:", err)
	return 1
}

// exitCode ends the process with a status and no further message: the
// command already said what went wrong (doctor FAIL, replay failures).
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }
