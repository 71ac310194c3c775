package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
)

func writeJSON(w io.Writer, rep *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

func writeTable(w io.Writer, rep *Report) error {
	rate := "flat out"
	if rep.Rate > 0 {
		rate = fmt.Sprintf("%.0f events/s", rep.Rate)
	}
	server := "embedded nats-server"
	if !rep.Embedded {
		server = "external nats-server"
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "escalator-load\tmode %s, %d events, %d workers × %d, %d senders × batch %d, %s, %s\n",
		rep.Mode, rep.Events, rep.Workers, rep.WorkerConcurrency, rep.Concurrency, rep.Batch, rate, server)
	if rep.SendOnly {
		fmt.Fprintln(tw, "send only\tno workers running")
	} else {
		fmt.Fprintln(tw, "end to end\t")
	}
	fmt.Fprintf(tw, "  sent\t%d in %.2fs\t%.0f events/s accepted\n", rep.Sent, rep.SendSeconds, rep.SendRate)
	if !rep.SendOnly {
		fmt.Fprintf(tw, "  handled\t%d in %.2fs\t%.0f events/s\t%d duplicates\n", rep.Handled, rep.Seconds, rep.Throughput, rep.Duplicates)
		l := rep.Latency
		fmt.Fprintf(tw, "  latency\tp50 %.2fms\tp90 %.2fms\tp99 %.2fms\tp99.9 %.2fms\tmax %.2fms\tmean %.2fms\n",
			l.P50, l.P90, l.P99, l.P999, l.Max, l.Mean)
	}
	fmt.Fprintf(tw, "  cpu\t%.1f µs/event\t(whole process)\n", rep.CPUPerEvent)
	c := rep.Compare
	ack := "Ack"
	if c.RawDoubleAck {
		ack = "DoubleAck"
	}
	if c.RawDecode {
		ack = "decode+" + ack
	}
	fmt.Fprintf(tw, "consume only\t%d stored events, fresh consumers, %d round(s), medians; cpu is the process's user+sys\n", c.Events, c.Rounds)
	fmt.Fprintf(tw, "  worker (no-op)\t%.2fs\t%.0f events/s\t%.1f µs cpu/event\t%d duplicates\tprefetch %d\n",
		c.WorkerSeconds, c.WorkerRate, c.WorkerCPU, c.WorkerDups, c.Prefetch)
	fmt.Fprintf(tw, "  raw consume+%s\t%.2fs\t%.0f events/s\t%.1f µs cpu/event\t%d duplicates\tprefetch %d\n",
		ack, c.RawSeconds, c.RawRate, c.RawCPU, c.RawDups, c.Prefetch)
	if c.DefaultPrefetch != c.Prefetch {
		fmt.Fprintf(tw, "  raw consume+%s\t%.2fs\t%.0f events/s\t%.1f µs cpu/event\t%d duplicates\tprefetch %d (nats.go's default)\n",
			ack, c.RawDefaultSeconds, c.RawDefaultRate, c.RawDefaultCPU, c.RawDefaultDups, c.DefaultPrefetch)
	}
	fmt.Fprintf(tw, "  ratio worker/raw\t%.2f\tby cpu %.2f\tat the same prefetch\n", c.Ratio, c.CPURatio)
	fmt.Fprintf(tw, "  ratio worker/raw\t%.2f\tby cpu %.2f\tat nats.go's default prefetch (%d)\n", c.RatioDefault, c.CPURatioDefault, c.DefaultPrefetch)
	if c.Rounds > 1 {
		fmt.Fprintf(tw, "  rounds' ratios\t%s\tat the same prefetch\n", fmtRatios(c.RoundRatios))
		fmt.Fprintf(tw, "  rounds' ratios\t%s\tat the default prefetch\n", fmtRatios(c.RoundRatiosDefault))
	}
	fmt.Fprintf(tw, "peak RSS\t%.1f MiB (%s, whole process)\n", float64(rep.PeakRSS)/(1<<20), rep.PeakRSSSource)
	fmt.Fprintf(tw, "machine\t%d cpus, load average %.2f at start, %.2f at end\n", rep.NumCPU, rep.LoadStart, rep.LoadEnd)
	return tw.Flush()
}

// progressLine rewrites one terminal line with the running phase.
type progressLine struct {
	mu sync.Mutex
	w  io.Writer
}

func (p *progressLine) show(pr Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	sent := ""
	if pr.Sent > 0 {
		sent = fmt.Sprintf("sent %d, ", pr.Sent)
	}
	fmt.Fprintf(p.w, "\r\033[K%s: %shandled %d of %d (%.0f%%) in %.1fs",
		pr.Phase, sent, pr.Seen, pr.Total, 100*float64(pr.Seen)/float64(max(pr.Total, 1)), pr.Elapsed.Seconds())
}

func (p *progressLine) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprint(p.w, "\r\033[K")
}

func fmtRatios(rs []float64) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = fmt.Sprintf("%.2f", r)
	}
	return strings.Join(parts, " ")
}
