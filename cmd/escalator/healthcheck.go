package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// healthcheckTimeout bounds one probe: well under Docker's default
// HEALTHCHECK timeout (30s), so the probe's own error is what Docker records.
const healthcheckTimeout = 5 * time.Second

// newHealthcheckCmd probes the admin listener of a running process, for
// images without a shell or curl (distroless): Docker's HEALTHCHECK and any
// exec probe run the binary itself.
func newHealthcheckCmd(e *env) *cobra.Command {
	var adminAddr string
	cmd := &cobra.Command{
		Use:   "healthcheck [healthz|readyz]",
		Short: "Exit 0 when the admin listener answers /healthz (or /readyz) with 2xx, else 1",
		Long: "GETs /healthz (default: the process is alive) or /readyz (it can do its work) on\n" +
			"ESCALATOR_ADMIN_ADDR of the process running beside it, and exits 0 on a 2xx answer,\n" +
			"1 otherwise. An unspecified host (\":9090\", \"0.0.0.0:9090\") is probed on loopback.",
		Args:      cobra.MaximumNArgs(1),
		ValidArgs: []string{"healthz", "readyz"},
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "healthz"
			if len(args) == 1 {
				path = strings.TrimPrefix(args[0], "/")
			}
			if path != "healthz" && path != "readyz" {
				return fmt.Errorf("healthcheck: %q is not a probe: use healthz or readyz", args[0])
			}
			url, err := probeURL(adminAddr, path)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), healthcheckTimeout)
			defer cancel()
			status, err := probe(ctx, url)
			if err != nil {
				return err
			}
			e.printf("%s: %s\n", url, status)
			return nil
		},
	}
	cmd.Flags().StringVar(&adminAddr, "admin-addr", ":9090", "admin listener of the process to probe (the same ESCALATOR_ADMIN_ADDR as serve's)")
	return cmd
}

// probeURL is the admin URL of path; an unspecified or empty host is
// loopback, since the probe runs beside the process.
func probeURL(adminAddr, path string) (string, error) {
	host, port, err := net.SplitHostPort(adminAddr)
	if err != nil || port == "" {
		return "", configError("ESCALATOR_ADMIN_ADDR", fmt.Sprintf("is %q, not host:port", adminAddr), "use the admin listener's address, e.g. :9090")
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	return "http://" + net.JoinHostPort(host, port) + "/" + path, nil
}

// probe GETs url and returns its status line on 2xx; any other answer is an
// error carrying the status and the first line of the body (the readiness
// report names the failing check).
func probe(ctx context.Context, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", fmt.Errorf("healthcheck %s: %w", url, err)
	}
	client := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("healthcheck %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp.Status, nil
	}
	return "", fmt.Errorf("healthcheck %s: %s: %s", url, resp.Status, firstLines(resp, 8))
}

// firstLines reads at most n lines (4 KiB) of the body, joined by spaces.
func firstLines(resp *http.Response, n int) string {
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 4<<10))
	var lines []string
	for len(lines) < n && sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, " ")
}
