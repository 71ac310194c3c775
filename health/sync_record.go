package health

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/fault"
)

// RecordState is where the incident of an issue stands.
type RecordState string

const (
	// RecordPending: the issue is claimed; the incident may or may not
	// exist yet (a crash between create and record). The next run looks it
	// up by correlation_id before creating.
	RecordPending RecordState = "pending"
	// RecordOpen: the incident exists and receives the issue's posts.
	RecordOpen RecordState = "open"
	// RecordClosed: the incident is resolved or closed (by hand or by the
	// auto-resolve): it receives nothing more.
	RecordClosed RecordState = "closed"
)

// Record is the value of escalator_health for one issue, keyed by issue id.
type Record struct {
	IssueID string      `json:"issue_id"`
	State   RecordState `json:"state"`
	SysID   string      `json:"sys_id,omitempty"`
	Number  string      `json:"number,omitempty"`
	// PostsSeen counts the issue's posts (oldest first) already written to
	// the incident as work notes.
	PostsSeen int `json:"posts_seen"`
	// LastPostAt is the creation time of the last post written.
	LastPostAt time.Time `json:"last_post_at,omitzero"`
	// Resolved says the issue was seen resolved; AutoResolved that the sync
	// resolved the incident because of it.
	Resolved     bool      `json:"resolved,omitempty"`
	AutoResolved bool      `json:"auto_resolved,omitempty"`
	ClaimedAt    time.Time `json:"claimed_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// issueKey accepts ids that are valid KV keys and safe in an encoded query
// and a marker (Graph's ids look like "EX226792").
var issueKey = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$`)

// errRecordConflict is a compare-and-set lost to another writer.
var errRecordConflict = errors.New("health record changed concurrently")

type recordStore struct {
	kv jetstream.KeyValue
}

// get returns the record of id, with its revision; found false when none.
func (s recordStore) get(ctx context.Context, id string) (Record, uint64, bool, error) {
	e, err := s.kv.Get(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Record{}, 0, false, nil
	}
	if err != nil {
		return Record{}, 0, false, fmt.Errorf("read health record %s: %w", id, err)
	}
	var r Record
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		return Record{}, 0, false, fmt.Errorf("read health record %s: %w", id, fault.AsPermanent(err))
	}
	return r, e.Revision(), true, nil
}

// create claims id; errRecordConflict when a record exists.
func (s recordStore) create(ctx context.Context, r Record) (uint64, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return 0, fault.AsPermanent(err)
	}
	rev, err := s.kv.Create(ctx, r.IssueID, b)
	if errors.Is(err, jetstream.ErrKeyExists) {
		return 0, fmt.Errorf("claim issue %s: %w", r.IssueID, errRecordConflict)
	}
	if err != nil {
		return 0, fmt.Errorf("claim issue %s: %w", r.IssueID, err)
	}
	return rev, nil
}

// update replaces the record at revision rev.
func (s recordStore) update(ctx context.Context, r Record, rev uint64) (uint64, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return 0, fault.AsPermanent(err)
	}
	next, err := s.kv.Update(ctx, r.IssueID, b, rev)
	if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return 0, fmt.Errorf("update health record %s: %w", r.IssueID, fault.AsTransient(errRecordConflict, 0))
	}
	if err != nil {
		return 0, fmt.Errorf("update health record %s: %w", r.IssueID, err)
	}
	return next, nil
}

// sortedPosts returns the posts oldest first (stable for equal times).
func sortedPosts(posts []Post) []Post {
	out := append([]Post(nil), posts...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedDateTime.Before(out[j].CreatedDateTime) })
	return out
}

// PostKeys are the work-note marker keys of posts (oldest first):
// "health-<issue id>-<post created unix>", with "-2", "-3" … added for
// further posts created in the same second.
func PostKeys(id string, posts []Post) []string {
	keys := make([]string, len(posts))
	same := map[int64]int{}
	for i, p := range posts {
		sec := p.CreatedDateTime.Unix()
		same[sec]++
		keys[i] = "health-" + id + "-" + strconv.FormatInt(sec, 10)
		if n := same[sec]; n > 1 {
			keys[i] += "-" + strconv.Itoa(n)
		}
	}
	return keys
}
