package main

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/escalator/escalator/internal/streams"
)

func TestByteSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"10GiB", 10 << 30, true},
		{"10 gib", 10 << 30, true},
		{"500MiB", 500 << 20, true},
		{"1.5G", 3 << 29, true},
		{"1GB", 1e9, true},
		{"2048", 2048, true},
		{"64KiB", 64 << 10, true},
		{"-1", -1, true},
		{"0", 0, false},
		{"-5", 0, false},
		{"lots", 0, false},
		{"10XB", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var b byteSize
			err := b.Set(tt.in)
			if (err == nil) != tt.ok || (tt.ok && int64(b) != tt.want) {
				t.Fatalf("Set(%q) = %d, %v; want %d, ok %v", tt.in, b, err, tt.want, tt.ok)
			}
		})
	}
	for _, n := range []byteSize{10 << 30, 256 << 20, 1000, -1} {
		s := n.String()
		var back byteSize
		if err := back.Set(s); err != nil || back != n {
			t.Errorf("%d prints as %q, which reads back as %d (%v)", n, s, back, err)
		}
	}
}

func TestDays(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30d", 30 * 24 * time.Hour, true},
		{"7d", 7 * 24 * time.Hour, true},
		{"72h", 72 * time.Hour, true},
		{"90m", 90 * time.Minute, true},
		{"0d", 0, false},
		{"-1h", 0, false},
		{"1.5d", 0, false},
		{"week", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var d days
			err := d.Set(tt.in)
			if (err == nil) != tt.ok || (tt.ok && time.Duration(d) != tt.want) {
				t.Fatalf("Set(%q) = %s, %v; want %s, ok %v", tt.in, time.Duration(d), err, tt.want, tt.ok)
			}
		})
	}
}

// The variables reach streams.Config; unset ones keep the defaults.
func TestStreamsConfigFromEnv(t *testing.T) {
	parse := func(t *testing.T, def streamsConfig, envm map[string]string) streamsConfig {
		t.Helper()
		var c streamsConfig
		cmd := &cobra.Command{Use: "t"}
		c.flags(cmd.Flags(), def)
		if err := applyEnv(cmd, func(k string) string { return envm[k] }); err != nil {
			t.Fatal(err)
		}
		return c
	}
	w := workerConfig{Concurrency: 8, HealthInterval: 5 * time.Minute, CaseSyncInterval: 5 * time.Minute}

	got := parse(t, productionStreams(), nil).config(w)
	if got.Replicas != 0 || got.MaxBytes != streams.DefaultMaxBytes || got.MaxAge != streams.DefaultMaxAge ||
		got.DLQMaxBytes != streams.DefaultDLQMaxBytes || got.DLQMaxAge != streams.DefaultDLQMaxAge ||
		got.Concurrency != 8 || got.MaxDeliver != streams.DefaultMaxDeliver {
		t.Fatalf("defaults: %+v", got)
	}
	if dev := parse(t, devStreams(), nil).config(w); dev.MaxBytes != 1<<30 || dev.DLQMaxBytes != 256<<20 {
		t.Fatalf("dev defaults: %+v", dev)
	}
	c := parse(t, productionStreams(), map[string]string{
		"ESCALATOR_REPLICAS": "3", "ESCALATOR_STREAM_MAX_BYTES": "2GiB", "ESCALATOR_STREAM_MAX_AGE": "14d",
		"ESCALATOR_DLQ_MAX_BYTES": "-1", "ESCALATOR_DLQ_MAX_AGE": "90d",
	})
	if err := c.validate(w); err != nil {
		t.Fatal(err)
	}
	got = c.config(w)
	if got.Replicas != 3 || got.MaxBytes != 2<<30 || got.MaxAge != 14*24*time.Hour || got.DLQMaxBytes != -1 || got.DLQMaxAge != 90*24*time.Hour {
		t.Fatalf("from env: %+v", got)
	}
	if err := got.WithDefaults().Validate(); err != nil {
		t.Fatalf("streams refuses what the variables gave: %v", err)
	}
}

func TestStreamsConfigErrorsNameTheVariable(t *testing.T) {
	w := workerConfig{Concurrency: 8, HealthInterval: 5 * time.Minute, CaseSyncInterval: time.Hour}
	tests := []struct {
		name, variable, value, fix string
	}{
		{"replicas too many", "ESCALATOR_REPLICAS", "7", "use 1 to 5"},
		{"replicas negative", "ESCALATOR_REPLICAS", "-1", "use 1 to 5"},
		{"size not a size", "ESCALATOR_STREAM_MAX_BYTES", "big", "10GiB"},
		{"age not a duration", "ESCALATOR_DLQ_MAX_AGE", "month", "30d"},
		{"age below the duplicate window", "ESCALATOR_STREAM_MAX_AGE", "30m", "at least 1h0m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c streamsConfig
			cmd := &cobra.Command{Use: "t"}
			c.flags(cmd.Flags(), productionStreams())
			err := applyEnv(cmd, func(k string) string { return map[string]string{tt.variable: tt.value}[k] })
			if err == nil {
				err = c.validate(w)
			}
			if err == nil || !strings.Contains(err.Error(), tt.variable) || !strings.Contains(err.Error(), tt.fix) {
				t.Fatalf("error %v: want one naming %s with the fix %q", err, tt.variable, tt.fix)
			}
		})
	}
}
