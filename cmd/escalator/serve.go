package main

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/escalator/escalator/internal/telemetry"
)

func newServeCmd(e *env) *cobra.Command {
	var c appConfig
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run ingest and worker (production)",
		Long: "Runs the HTTP ingest, the JetStream worker and the admin listener.\n" +
			"Split them with --ingest=false or --worker=false.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Events must come from the instance Escalator writes back to.
			c.ingest.policy.Source = c.snow.URL
			return runApp(cmd.Context(), e, c, "none", buildWorker, nil)
		},
	}
	c.flags(cmd.Flags())
	return cmd
}

// runApp is what serve and dev share: the whole configuration checked
// first, then telemetry, the App, and a bounded shutdown once the signal
// context ends.
func runApp(ctx context.Context, e *env, c appConfig, defaultTraces string, build workerBuilder, onReady func(*App)) error {
	if err := c.validate(); err != nil {
		return err
	}
	if err := c.validateRemotes(); err != nil {
		return err
	}
	log, err := e.logger(c.log)
	if err != nil {
		return err
	}
	version, _ := buildInfo()
	tel, err := telemetry.Setup(ctx, telemetry.Options{Version: version, DefaultTraces: defaultTraces, Console: e.stderr, Getenv: e.getenv})
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tel.Shutdown(sctx)
	}()
	app, err := NewApp(ctx, c, log, tel, build)
	if err != nil {
		return err
	}
	defer app.Close(context.Background())
	if onReady != nil {
		onReady(app)
	}
	return app.Run(ctx)
}
