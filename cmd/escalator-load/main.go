// Command escalator-load measures Escalator's event path on one machine:
// it sends N events through the ingest HTTP server (or straight to
// JetStream) to K worker instances with a no-op handler, all in one process
// against an embedded nats-server (or --nats-url), and reports throughput,
// hand-off-to-handler latency and peak RSS. It then reads the same stored
// events through K minimal consume+ack loops (at the worker's prefetch and
// at nats.go's default) and through K workers, and prints the worker/raw
// throughput and CPU ratios: the runtime's own cost. -cpuprofile profiles
// the whole run.
//
// To check latency at a given load, run once flat out, then with
// --rate set to half the measured events/s.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/escalator/escalator/internal/telemetry"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run parses the flags, runs the scenario and returns the exit status: 0
// when every event was handled, 1 on a failure, 2 on bad flags.
func run(args []string, stdout, stderr io.Writer) int {
	cfg, opts, err := parseFlags(args, stderr)
	if err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	level := slog.LevelWarn
	if !opts.verbose {
		level = slog.LevelError
	}
	cfg.Logger = slog.New(telemetry.NewLogHandler(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})))
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p := &progressLine{w: stderr}
		cfg.Progress = p.show
		defer p.clear()
	}
	if opts.cpuProfile != "" {
		f, err := os.Create(opts.cpuProfile)
		if err != nil {
			fmt.Fprintln(stderr, "escalator-load:", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "escalator-load: cpu profile:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}

	rep, runErr := Run(ctx, cfg)
	if cfg.Progress != nil {
		fmt.Fprint(stderr, "\r\033[K")
	}
	if rep != nil {
		var werr error
		if opts.output == "json" {
			werr = writeJSON(stdout, rep)
		} else {
			werr = writeTable(stdout, rep)
		}
		if werr != nil {
			fmt.Fprintln(stderr, "escalator-load: write report:", werr)
			return 1
		}
	}
	if runErr != nil {
		fmt.Fprintln(stderr, "escalator-load:", runErr)
		return 1
	}
	if !rep.Complete() {
		fmt.Fprintf(stderr, "escalator-load: incomplete: %d sent, %d handled of %d\n", rep.Sent, rep.Handled, rep.Events)
		return 1
	}
	return 0
}

type options struct {
	output     string
	cpuProfile string
	verbose    bool
}

func parseFlags(args []string, stderr io.Writer) (Config, options, error) {
	var (
		cfg  Config
		opts options
	)
	fs := flag.NewFlagSet("escalator-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&cfg.Events, "n", 10000, "events to send (N)")
	fs.IntVar(&cfg.Workers, "workers", 2, "worker instances (K), each on its own connection")
	fs.StringVar(&cfg.Mode, "mode", ModeIngest, "ingest (HTTP batches to the ingest server) or direct (publish to JetStream)")
	fs.IntVar(&cfg.Concurrency, "c", 8, "concurrent senders (C)")
	fs.IntVar(&cfg.Batch, "b", 100, "events per request (B)")
	fs.Float64Var(&cfg.Rate, "rate", 0, "offered events/s; 0 sends flat out")
	fs.IntVar(&cfg.WorkerConcurrency, "worker-concurrency", 32, "handlers in flight per worker (ESCALATOR_CONCURRENCY)")
	fs.IntVar(&cfg.Rounds, "rounds", 1, "rounds of the consume-only comparison (raw and worker phases alternate); medians are reported")
	fs.IntVar(&cfg.Prefetch, "prefetch", 0, "messages each worker pulls ahead while its handlers keep up (worker.Config.Prefetch); 0: the worker's default, 500")
	fs.IntVar(&cfg.MaxAckPending, "max-ack-pending", 0, "consumer MaxAckPending; 0: streams' default, 4×worker-concurrency")
	fs.BoolVar(&cfg.SendOnly, "send-only", false, "run no workers while sending: measures ingest (or publish) alone; no latency")
	fs.BoolVar(&cfg.RawDecode, "raw-decode", false, "the raw loop decodes every event (event.Decode) as the worker does")
	fs.BoolVar(&cfg.RawDoubleAck, "raw-double-ack", false, "the raw loop waits for each ack to be confirmed (DoubleAck); the worker sends plain Acks")
	fs.StringVar(&cfg.NATSURL, "nats-url", "", "external NATS server (a scratch one); empty runs an embedded server with a temporary file store")
	fs.BoolVar(&cfg.DeleteExisting, "delete-existing", false, "delete ESCALATOR and ESCALATOR_DLQ on --nats-url first")
	fs.StringVar(&cfg.SigningSecret, "signing-secret", "", "ingest mode: the in-process ingest requires signatures made with this secret (as with ESCALATOR_INGEST_SIGNING_SECRETS) and every request is signed")
	fs.DurationVar(&cfg.StallTimeout, "stall-timeout", 30*time.Second, "fail when no event is handled for this long")
	fs.StringVar(&opts.output, "output", "table", "table or json")
	fs.StringVar(&opts.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	fs.BoolVar(&opts.verbose, "v", false, "log the workers' and ingest's warnings")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: escalator-load [flags]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return cfg, opts, err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "escalator-load: unexpected argument %q\n", fs.Arg(0))
		return cfg, opts, fmt.Errorf("unexpected argument")
	}
	if opts.output != "table" && opts.output != "json" {
		fmt.Fprintf(stderr, "escalator-load: --output %q: want table or json\n", opts.output)
		return cfg, opts, fmt.Errorf("bad output")
	}
	if err := cfg.withDefaults().validate(); err != nil {
		fmt.Fprintln(stderr, "escalator-load:", err)
		return cfg, opts, err
	}
	return cfg, opts, nil
}
