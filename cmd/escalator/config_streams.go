package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/escalator/escalator/internal/streams"
)

// streamsConfig sizes and replicates the JetStream resources serve and dev
// provision at start.
type streamsConfig struct {
	Replicas    int      // ESCALATOR_REPLICAS; 0 = automatic
	MaxBytes    byteSize // ESCALATOR_STREAM_MAX_BYTES
	MaxAge      days     // ESCALATOR_STREAM_MAX_AGE
	DLQMaxBytes byteSize // ESCALATOR_DLQ_MAX_BYTES
	DLQMaxAge   days     // ESCALATOR_DLQ_MAX_AGE

	// ackWait overrides the consumer's AckWait (tests only: a delivery
	// lost with a NATS node comes back after it).
	ackWait time.Duration
}

// productionStreams are serve's defaults.
func productionStreams() streamsConfig {
	return streamsConfig{
		MaxBytes: streams.DefaultMaxBytes, MaxAge: days(streams.DefaultMaxAge),
		DLQMaxBytes: streams.DefaultDLQMaxBytes, DLQMaxAge: days(streams.DefaultDLQMaxAge),
	}
}

// devStreams are dev's: JetStream reserves MaxBytes on disk up front, so
// the embedded server asks a laptop for 1.25 GiB rather than 11.
func devStreams() streamsConfig {
	c := productionStreams()
	c.MaxBytes, c.DLQMaxBytes = 1<<30, 256<<20
	return c
}

func (c *streamsConfig) flags(fs *pflag.FlagSet, def streamsConfig) {
	*c = def
	fs.IntVar(&c.Replicas, "replicas", def.Replicas, "replicas of every stream and bucket (default: 3 on a NATS cluster of 3 or more servers, else 1)")
	fs.Var(&c.MaxBytes, "stream-max-bytes", "size limit of the event stream ESCALATOR, e.g. 10GiB; -1 for none; a full stream refuses new events (ingest answers 503)")
	fs.Var(&c.MaxAge, "stream-max-age", "how long events stay in ESCALATOR for replay, e.g. 7d or 72h")
	fs.Var(&c.DLQMaxBytes, "dlq-max-bytes", "size limit of the dead-letter stream ESCALATOR_DLQ, e.g. 1GiB; -1 for none")
	fs.Var(&c.DLQMaxAge, "dlq-max-age", "how long dead letters stay in ESCALATOR_DLQ, e.g. 30d")
}

// validate checks what streams.Ensure would refuse, naming the variable.
// Zero values are the defaults.
// Both ages must cover the duplicate window, which is at least the longest
// tick interval.
func (c *streamsConfig) validate(w workerConfig) error {
	if c.Replicas < 0 || c.Replicas > streams.MaxReplicas {
		return configError("ESCALATOR_REPLICAS", fmt.Sprintf("is %d", c.Replicas), fmt.Sprintf("use 1 to %d, or leave it unset for 3 on a cluster of 3 or more servers and 1 otherwise", streams.MaxReplicas))
	}
	window := duplicateWindow(w)
	for _, a := range []struct {
		variable string
		age      *days
	}{{"ESCALATOR_STREAM_MAX_AGE", &c.MaxAge}, {"ESCALATOR_DLQ_MAX_AGE", &c.DLQMaxAge}} {
		if *a.age != 0 && time.Duration(*a.age) < window { // 0: the default
			return configError(a.variable, fmt.Sprintf("is %s", a.age.String()), fmt.Sprintf("use at least %s (the duplicate window, which covers the longest tick interval)", window))
		}
	}
	return nil
}

// config is the streams.Config of this configuration.
func (c streamsConfig) config(w workerConfig) streams.Config {
	return streams.Config{
		Replicas:        c.Replicas,
		MaxBytes:        int64(c.MaxBytes),
		MaxAge:          time.Duration(c.MaxAge),
		DLQMaxBytes:     int64(c.DLQMaxBytes),
		DLQMaxAge:       time.Duration(c.DLQMaxAge),
		Concurrency:     w.Concurrency,
		MaxDeliver:      streams.DefaultMaxDeliver,
		DuplicateWindow: duplicateWindow(w),
		AckWait:         c.ackWait,
	}
}

// byteSize is a size flag: "10GiB", "500MB", "1048576", or -1 for no limit.
type byteSize int64

func (b *byteSize) Set(s string) error {
	v := strings.ToLower(strings.TrimSpace(s))
	if v == "-1" {
		*b = -1
		return nil
	}
	units := []struct {
		suffix string
		factor float64
	}{ // longer suffixes first
		{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
		{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
		{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"t", 1 << 40},
		{"b", 1},
	}
	factor := 1.0
	for _, u := range units {
		if strings.HasSuffix(v, u.suffix) {
			v, factor = strings.TrimSpace(strings.TrimSuffix(v, u.suffix)), u.factor
			break
		}
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || n <= 0 || math.IsInf(n, 0) || n*factor > math.MaxInt64 || n*factor < 1 {
		return fmt.Errorf("want a size such as 10GiB, 500MiB or 1073741824 bytes, or -1 for no limit")
	}
	*b = byteSize(n * factor)
	return nil
}

func (b *byteSize) String() string {
	switch n := int64(*b); {
	case n == -1:
		return "-1"
	case n >= 1<<30 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + "GiB"
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "MiB"
	default:
		return strconv.FormatInt(n, 10)
	}
}

func (b *byteSize) Type() string { return "size" }

// days is a duration flag that also takes whole days: "30d", "7d", "36h".
type days time.Duration

func (d *days) Set(s string) error {
	v := strings.TrimSpace(s)
	var dur time.Duration
	if n, ok := strings.CutSuffix(v, "d"); ok {
		k, err := strconv.Atoi(n)
		if err != nil || k <= 0 || k > 100*365 {
			return fmt.Errorf("want a duration such as 30d, 7d or 72h")
		}
		dur = time.Duration(k) * 24 * time.Hour
	} else {
		var err error
		if dur, err = time.ParseDuration(v); err != nil || dur <= 0 {
			return fmt.Errorf("want a duration such as 30d, 7d or 72h")
		}
	}
	*d = days(dur)
	return nil
}

func (d *days) String() string {
	dur := time.Duration(*d)
	if dur > 0 && dur%(24*time.Hour) == 0 {
		return strconv.Itoa(int(dur/(24*time.Hour))) + "d"
	}
	return dur.String()
}

func (d *days) Type() string { return "duration" }
