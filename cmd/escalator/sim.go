package main

import (
	"net"

	"github.com/spf13/cobra"

	"github.com/escalator/escalator/internal/testkit/sim"
)

func newSimCmd(e *env) *cobra.Command {
	var addr string
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Run the simulator of Microsoft and ServiceNow alone",
		Long: "Serves Entra tokens, Graph service health and users, the Azure Support API and the\n" +
			"ServiceNow Table API on one listener, with fault injection (POST /_sim/faults)\n" +
			"and an inspection endpoint (GET /_sim/state).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return configError("--addr", "cannot listen: "+err.Error(), "choose a free address, e.g. 127.0.0.1:8081")
			}
			e.printf("simulator listening on http://%s (state: GET /_sim/state)\n", ln.Addr())
			return sim.New(sim.Config{}).Serve(cmd.Context(), ln)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8081", "listen address")
	return cmd
}
