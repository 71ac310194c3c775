package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/pflag"
	"golang.org/x/sync/errgroup"

	"github.com/escalator/escalator/internal/admin"
	"github.com/escalator/escalator/internal/eventindex"
	"github.com/escalator/escalator/internal/ingest"
	"github.com/escalator/escalator/internal/outbound"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/telemetry"
	"github.com/escalator/escalator/worker"
)

// appConfig is everything `serve` (and `dev`) runs with.
type appConfig struct {
	nats      natsConfig
	redis     redisConfig
	microsoft microsoftConfig
	snow      serviceNowConfig
	ingest    ingestConfig
	worker    workerConfig
	streams   streamsConfig
	log       logConfig
	adminAddr string

	runIngest, runWorker bool

	// retryInitial overrides the worker's first retry delay, and http the
	// outbound HTTP policy (tests only; zero values keep the defaults).
	retryInitial time.Duration
	http         outbound.Options
}

func (c *appConfig) flags(fs *pflag.FlagSet) {
	remoteFlags(fs, &c.nats, &c.redis, &c.microsoft, &c.snow)
	c.ingest.flags(fs)
	c.worker.flags(fs)
	c.streams.flags(fs, productionStreams())
	c.log.flags(fs)
	fs.StringVar(&c.adminAddr, "admin-addr", ":9090", "admin listener: /healthz, /readyz, /metrics")
	fs.BoolVar(&c.runIngest, "ingest", true, "run the HTTP ingest")
	fs.BoolVar(&c.runWorker, "worker", true, "run the worker")
}

// remoteFlags are the flags of everything the handlers reach (serve,
// doctor and replay's dry run read them alike).
func remoteFlags(fs *pflag.FlagSet, n *natsConfig, r *redisConfig, m *microsoftConfig, s *serviceNowConfig) {
	n.flags(fs)
	r.flags(fs)
	m.flags(fs)
	s.flags(fs)
}

func (c *appConfig) validate() error {
	if !c.runIngest && !c.runWorker {
		return configError("--ingest and --worker", "are both false", "run at least one of them")
	}
	if err := c.log.validate(); err != nil {
		return err
	}
	if err := c.streams.validate(c.worker); err != nil {
		return err
	}
	if c.runIngest {
		if err := c.ingest.validate(); err != nil {
			return err
		}
	}
	if c.runWorker {
		if err := c.worker.validate(); err != nil {
			return err
		}
		if err := c.redis.validate(); err != nil {
			return err
		}
		if _, _, err := c.snow.budget(); err != nil {
			return err
		}
	}
	return nil
}

// validateRemotes checks the settings the production handlers need
// (Microsoft, Azure Support, ServiceNow), so that serve and dev refuse them
// before anything is bound or dialled.
func (c *appConfig) validateRemotes() error {
	if !c.runWorker {
		return nil
	}
	for _, validate := range []func() error{c.microsoft.validate, c.microsoft.validateSupport, c.snow.validate} {
		if err := validate(); err != nil {
			return err
		}
	}
	return nil
}

// App is one Escalator process: ingest, worker and admin listener over one
// NATS connection. New builds and checks everything; Run serves; Close
// releases what New acquired.
type App struct {
	cfg  appConfig
	log  *slog.Logger
	tel  *telemetry.Providers
	nc   *nats.Conn
	js   jetstream.JetStream
	res  *streams.Resources
	pub  eventindex.Inner
	work *worker.Worker

	ingestLn, adminLn net.Listener
	ingest            *ingest.Server
	adminSrv          *http.Server

	// remotes are the Microsoft and ServiceNow clients (worker only).
	remotes *remotes
	// background runs beside the worker until ctx ends (snapshot, ticks).
	background []func(context.Context) error

	closeOnce sync.Once
	closers   []func(context.Context) error
}

// NewApp validates cfg, then binds the listeners, connects, provisions and
// builds every part, the worker's with build. A start that fails part way
// is rolled back: what it had acquired is released in reverse order, and
// the error names the step that failed, on one line.
func NewApp(ctx context.Context, cfg appConfig, log *slog.Logger, tel *telemetry.Providers, build workerBuilder) (*App, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	a := &App{cfg: cfg, log: log, tel: tel}
	if err := a.start(ctx, build); err != nil {
		return nil, rollback(err, a.Close(context.Background()))
	}
	return a, nil
}

// start acquires the parts in order, registering the release of each as
// soon as it is held. The listeners come first: a taken port (8080 in use,
// a second escalator) fails before anything is dialled.
func (a *App) start(ctx context.Context, build workerBuilder) error {
	cfg, log, tel := a.cfg, a.log, a.tel
	var err error
	if cfg.runIngest {
		if a.ingestLn, err = a.listen("ESCALATOR_INGEST_ADDR", "--ingest-addr", cfg.ingest.Addr); err != nil {
			return err
		}
	}
	if a.adminLn, err = a.listen("ESCALATOR_ADMIN_ADDR", "--admin-addr", cfg.adminAddr); err != nil {
		return err
	}
	nc, js, err := connectNATS(cfg.nats, "escalator", log)
	if err != nil {
		return err
	}
	a.nc, a.js = nc, js
	a.onClose(func(context.Context) error { nc.Close(); return nil })
	a.res, err = streams.Ensure(ctx, a.js, cfg.streams.config(cfg.worker))
	if err != nil {
		return fmt.Errorf("provision JetStream (stream %s, consumer %s, buckets): %w", streams.StreamName, streams.ConsumerName, err)
	}
	// Every incident event is indexed for `escalator explain`.
	if a.pub, err = indexedPublisher(ctx, a.js, a.res.Stream, streams.NewPublisher(a.js, tel.TracerProvider), log); err != nil {
		return err
	}
	if err := a.registerJetStreamMetrics(); err != nil {
		return err
	}

	checks := []admin.Check{admin.NATSCheck(a.nc, a.js)}
	if cfg.runWorker {
		w, err := build(ctx, spine{cfg: cfg, log: log, tel: tel, res: a.res, pub: a.pub})
		a.closers = append(a.closers, w.closers...) // released even when the build failed part way
		if err != nil {
			return err
		}
		a.remotes, a.background = w.remotes, w.background
		checks = append(checks, w.checks...)
		a.work, err = worker.New(a.res.Consumer, a.js, w.handlers, worker.Config{
			Concurrency:    cfg.worker.Concurrency,
			MaxDeliver:     streams.DefaultMaxDeliver,
			BackoffInitial: cfg.retryInitial,
			Reporter:       w.reporters.reporter(),
			Logger:         log,
			TracerProvider: tel.TracerProvider,
			MeterProvider:  tel.MeterProvider,
			ConsumerName:   streams.ConsumerName,
		})
		if err != nil {
			return fmt.Errorf("worker: %w", err)
		}
	}
	if cfg.runIngest {
		icfg, err := cfg.ingest.config()
		if err != nil {
			return err
		}
		icfg.Logger, icfg.TracerProvider, icfg.MeterProvider = log, tel.TracerProvider, tel.MeterProvider
		if a.ingest, err = ingest.New(icfg, a.pub); err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
	}
	adm, err := admin.New(admin.Config{Logger: log, Gatherer: tel.Registry}, checks...)
	if err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	a.adminSrv = &http.Server{Handler: adm.Handler(), ReadHeaderTimeout: 10 * time.Second}
	return nil
}

// rollback is the error of a failed start, with the failures of undoing it
// (if any) on the same line.
func rollback(err, undo error) error {
	if undo == nil {
		return err
	}
	return fmt.Errorf("%w (undoing the start also failed: %s)", err, strings.ReplaceAll(undo.Error(), "\n", "; "))
}

// duplicateWindow keeps the stream's Nats-Msg-Id memory at least as long as
// the longest tick interval, so one tick per interval passes for the fleet.
func duplicateWindow(w workerConfig) time.Duration {
	d := streams.DefaultDuplicateWindow
	for _, iv := range []time.Duration{w.HealthInterval, w.CaseSyncInterval, w.OutboxInterval} {
		if iv > d {
			d = iv
		}
	}
	return d
}

// listen binds addr and registers its release. variable and flag name the
// setting in the error.
func (a *App) listen(variable, flag, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, configError(variable, fmt.Sprintf("cannot listen on %s (%v)", addr, err),
			"stop what uses that port, or choose a free address with "+variable+" or "+flag)
	}
	a.onClose(func(context.Context) error {
		if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("close %s: %w", addr, err)
		}
		return nil
	})
	return ln, nil
}

func (a *App) onClose(f func(context.Context) error) { a.closers = append(a.closers, f) }

// IngestURL and AdminURL are where the listeners answer (":0" resolved).
func (a *App) IngestURL() string {
	if a.ingest.TLS() {
		return "https://" + a.ingestLn.Addr().String()
	}
	return "http://" + a.ingestLn.Addr().String()
}

// AdminURL is where the admin listener answers.
func (a *App) AdminURL() string { return "http://" + a.adminLn.Addr().String() }

// Run serves until ctx is done, then shuts the listeners and drains the
// worker: nothing in flight is lost.
func (a *App) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	serve := func(srv *http.Server, ln net.Listener, name string) {
		g.Go(func() error {
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("%s listener: %w", name, err)
			}
			return nil
		})
		g.Go(func() error {
			<-ctx.Done()
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if srv.Shutdown(sctx) != nil {
				_ = srv.Close() // a client still connected after 10 s: the wait is over, not an error
			}
			return nil
		})
	}
	if a.ingest != nil {
		// Serve bounds its own shutdown (ESCALATOR_INGEST_SHUTDOWN_TIMEOUT).
		g.Go(func() error { return a.ingest.Serve(ctx, a.ingestLn) })
	}
	serve(a.adminSrv, a.adminLn, "admin")
	if a.work != nil {
		g.Go(func() error { return a.work.Run(ctx) })
	}
	for _, run := range a.background {
		g.Go(func() error { return run(ctx) })
	}
	a.log.Info("escalator running", "ingest", a.ingest != nil, "worker", a.work != nil, "admin", a.adminLn.Addr().String())
	return g.Wait()
}

// Close releases what the start acquired, in reverse order, and joins the
// errors. It is idempotent.
func (a *App) Close(ctx context.Context) error {
	var errs []error
	a.closeOnce.Do(func() {
		for i := len(a.closers) - 1; i >= 0; i-- {
			errs = append(errs, a.closers[i](ctx))
		}
	})
	return errors.Join(errs...)
}
