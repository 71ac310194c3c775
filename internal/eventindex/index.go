package eventindex

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/streams"
)

// Bucket is the KV bucket of the index.
const Bucket = "escalator_explain"

// Key prefixes of the bucket.
const (
	incidentPrefix = "incident."
	numberPrefix   = "number."
)

// ErrNoIndex is returned by Open when the bucket does not exist: no
// indexing publisher has run against this JetStream yet.
var ErrNoIndex = errors.New("no incident index (bucket " + Bucket + ")")

// ErrUnknownNumber is returned by SysID for a number the index never saw.
var ErrUnknownNumber = errors.New("incident number not in the index")

var (
	sysIDExpr = regexp.MustCompile(`^[0-9a-f]{32}$`)
	// numberExpr is what a number may hold to be a key token as it is.
	numberExpr = regexp.MustCompile(`^[A-Z0-9_-]{1,40}$`)
)

// Config sizes the bucket. Zero values take the defaults.
type Config struct {
	// Replicas of the bucket; default 1. Give it the event stream's.
	Replicas int
	// TTL of every entry; default streams.DefaultMaxAge. Give it the event
	// stream's max age: an entry is of no use once its event is gone.
	TTL time.Duration
}

func (c Config) withDefaults() Config {
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.TTL == 0 {
		c.TTL = streams.DefaultMaxAge
	}
	return c
}

// BucketConfig is the configuration Ensure gives the bucket.
func BucketConfig(cfg Config) jetstream.KeyValueConfig {
	cfg = cfg.withDefaults()
	return jetstream.KeyValueConfig{
		Bucket:      Bucket,
		Description: "incident to the stream sequences of its events (escalator explain)",
		History:     1,
		TTL:         cfg.TTL,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
	}
}

// Index reads and writes the bucket.
type Index struct {
	kv jetstream.KeyValue
	js jetstream.JetStream
}

// bucketStream and keySubject name the stream behind the bucket and the
// subject of a key in it (the KV layout nats.go and the server share).
const (
	bucketStream = "KV_" + Bucket
	keySubject   = "$KV." + Bucket + "."
)

// Ensure creates the bucket or updates it to cfg, and returns the index.
func Ensure(ctx context.Context, js jetstream.JetStream, cfg Config) (*Index, error) {
	cfg = cfg.withDefaults()
	if cfg.Replicas < 1 || cfg.Replicas > 5 || cfg.TTL < 0 {
		return nil, fmt.Errorf("ensure bucket %s: replicas %d, ttl %s: want 1 to 5 replicas and a ttl of 0 or more", Bucket, cfg.Replicas, cfg.TTL)
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, BucketConfig(cfg))
	if err != nil {
		return nil, fmt.Errorf("ensure bucket %s: %w", Bucket, err)
	}
	return &Index{kv: kv, js: js}, nil
}

// EnsureFor provisions the bucket to follow the event stream st: its
// replicas, and its max age as the entries' TTL.
func EnsureFor(ctx context.Context, js jetstream.JetStream, st jetstream.Stream) (*Index, error) {
	info := st.CachedInfo()
	if info == nil {
		var err error
		if info, err = st.Info(ctx); err != nil {
			return nil, fmt.Errorf("ensure bucket %s: read the event stream: %w", Bucket, err)
		}
	}
	return Ensure(ctx, js, Config{Replicas: info.Config.Replicas, TTL: info.Config.MaxAge})
}

// Open returns the index of an existing bucket, or ErrNoIndex. It creates
// nothing: readers (explain) never provision.
func Open(ctx context.Context, js jetstream.JetStream) (*Index, error) {
	kv, err := js.KeyValue(ctx, Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, ErrNoIndex
	}
	if err != nil {
		return nil, fmt.Errorf("open bucket %s: %w", Bucket, err)
	}
	return &Index{kv: kv, js: js}, nil
}

// EventKey is the key recording that the event at stream sequence seq
// belongs to incident sysID.
func EventKey(sysID string, seq uint64) string {
	return incidentPrefix + sysID + "." + strconv.FormatUint(seq, 10)
}

// NumberKey is the key of an incident number, and false for a number that
// cannot be a key (it is then looked up elsewhere). Numbers are compared
// without regard to case, as ServiceNow does.
func NumberKey(number string) (string, bool) {
	n := strings.ToUpper(strings.TrimSpace(number))
	if !numberExpr.MatchString(n) {
		return "", false
	}
	return numberPrefix + n, true
}

// ValidSysID reports whether s is a sys_id as the index keys it: 32
// lowercase hexadecimal characters.
func ValidSysID(s string) bool { return sysIDExpr.MatchString(s) }

// RecordEvent stores that the event at stream sequence seq belongs to
// incident sysID.
func (ix *Index) RecordEvent(ctx context.Context, sysID string, seq uint64) error {
	sysID = strings.ToLower(sysID)
	if !ValidSysID(sysID) {
		return fmt.Errorf("index seq %d: sys_id %q is not 32 hexadecimal characters", seq, sysID)
	}
	if _, err := ix.kv.PutString(ctx, EventKey(sysID, seq), ""); err != nil {
		return fmt.Errorf("index seq %d of incident %s: %w", seq, sysID, err)
	}
	return nil
}

// RecordNumber stores the sys_id of an incident number. A number that
// cannot be a key is skipped (explain then resolves it through ServiceNow).
func (ix *Index) RecordNumber(ctx context.Context, number, sysID string) error {
	sysID = strings.ToLower(sysID)
	key, ok := NumberKey(number)
	if !ok || !ValidSysID(sysID) {
		return nil
	}
	if _, err := ix.kv.PutString(ctx, key, sysID); err != nil {
		return fmt.Errorf("index number %s: %w", number, err)
	}
	return nil
}

// Seqs returns the stream sequences recorded for incident sysID, in order.
// It asks the server for the subjects of the bucket's stream that match the
// incident's keys: the server answers from its subject index, so the cost
// does not grow with the number of other incidents' events (a key listing
// through a consumer would, walking the blocks after the last match).
func (ix *Index) Seqs(ctx context.Context, sysID string) ([]uint64, error) {
	sysID = strings.ToLower(sysID)
	if !ValidSysID(sysID) {
		return nil, fmt.Errorf("index lookup: sys_id %q is not 32 hexadecimal characters", sysID)
	}
	st, err := ix.js.Stream(ctx, bucketStream)
	if err != nil {
		return nil, fmt.Errorf("index lookup of %s: %w", sysID, err)
	}
	prefix := keySubject + incidentPrefix + sysID + "."
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(prefix+"*"))
	if err != nil {
		return nil, fmt.Errorf("index lookup of %s: %w", sysID, err)
	}
	seqs := make([]uint64, 0, len(info.State.Subjects))
	for subject := range info.State.Subjects {
		if seq, err := strconv.ParseUint(strings.TrimPrefix(subject, prefix), 10, 64); err == nil {
			seqs = append(seqs, seq)
		}
	}
	slices.Sort(seqs)
	return seqs, nil
}

// SysID returns the sys_id the index recorded for an incident number, or
// ErrUnknownNumber.
func (ix *Index) SysID(ctx context.Context, number string) (string, error) {
	key, ok := NumberKey(number)
	if !ok {
		return "", fmt.Errorf("number %q: %w", number, ErrUnknownNumber)
	}
	e, err := ix.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", fmt.Errorf("number %q: %w", number, ErrUnknownNumber)
	}
	if err != nil {
		return "", fmt.Errorf("index lookup of %s: %w", number, err)
	}
	return string(e.Value()), nil
}
