package escalation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/fault"
)

// CaseState is where the Microsoft case of an incident stands.
type CaseState string

const (
	// CasePending: the incident is claimed and the ticket may or may not
	// exist yet; whoever handles the escalation next finishes the steps.
	CasePending CaseState = "pending"
	// CaseOpen: the ticket exists and the incident knows it (field and note).
	CaseOpen CaseState = "open"
	// CaseClosed: the ticket was closed; a new escalation opens a new one.
	CaseClosed CaseState = "closed"
)

// maxPriorEvents bounds Case.PriorEvents.
const maxPriorEvents = 50

// Case is the record of escalator_cases for one incident, keyed by its
// sys_id. It is the single source of truth of "does this incident have a
// Microsoft case": claims and every state change go through compare-and-set.
type Case struct {
	SysID  string `json:"sys_id"`
	Number string `json:"number"`
	// TicketName is the deterministic ARM name of the ticket of this
	// generation (TicketName(SysID, Generation)).
	TicketName string `json:"ticket_name"`
	// Generation counts the reopenings: 0 for the incident's first case,
	// n for the case opened after n closed ones, each under its own name.
	Generation int       `json:"generation"`
	State      CaseState `json:"state"`
	// CaseID is the ticket's supportTicketId once it was created.
	CaseID string `json:"case_id,omitempty"`
	// EventID is the escalation event that claimed this generation.
	EventID string `json:"event_id"`
	// PriorEvents are the events that claimed earlier generations (newest
	// last, at most 50): a replay of one of them is not a new request.
	PriorEvents []string  `json:"prior_events,omitempty"`
	Title       string    `json:"title,omitempty"`
	Severity    string    `json:"severity,omitempty"`
	Contact     string    `json:"contact,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	// LastStatus is the ticket status last seen by the case sync.
	LastStatus string `json:"last_status,omitempty"`
	// SeenCommunications are communications already copied to the incident.
	SeenCommunications []string `json:"seen_communications,omitempty"`
}

// knowsEvent reports whether id claimed this or an earlier generation.
func (c Case) knowsEvent(id string) bool {
	if c.EventID == id {
		return true
	}
	for _, p := range c.PriorEvents {
		if p == id {
			return true
		}
	}
	return false
}

// ErrNoCase is returned (wrapped) when an incident has no case record.
var ErrNoCase = errors.New("no case recorded for the incident")

// ErrCaseConflict is returned (wrapped) when a compare-and-set lost against
// another writer. It is transient: the message is retried and re-reads.
var ErrCaseConflict = errors.New("case record changed concurrently")

// CaseBucket is what CaseStore needs of the bucket escalator_cases: a
// jetstream.KeyValue, or a read-only *kvsnapshot.Snapshot of it for the
// replay dry run (whose writes fail, permanently).
type CaseBucket interface {
	Get(ctx context.Context, key string) (jetstream.KeyValueEntry, error)
	Create(ctx context.Context, key string, value []byte, opts ...jetstream.KVCreateOpt) (uint64, error)
	Update(ctx context.Context, key string, value []byte, revision uint64) (uint64, error)
	ListKeys(ctx context.Context, opts ...jetstream.WatchOpt) (jetstream.KeyLister, error)
}

// CaseStore keeps Case records in the KV bucket escalator_cases.
type CaseStore struct {
	kv  CaseBucket
	now func() time.Time
}

// NewCaseStore returns a store over kv (streams.Resources.Cases). clock
// defaults to time.Now.
func NewCaseStore(kv CaseBucket, clock func() time.Time) (*CaseStore, error) {
	if kv == nil {
		return nil, errors.New("case store: a KV bucket is required")
	}
	if clock == nil {
		clock = time.Now
	}
	return &CaseStore{kv: kv, now: clock}, nil
}

// Get returns the case of the incident sysID and its revision, or ErrNoCase.
func (s *CaseStore) Get(ctx context.Context, sysID string) (Case, uint64, error) {
	if err := validSysID(sysID); err != nil {
		return Case{}, 0, err
	}
	e, err := s.kv.Get(ctx, sysID)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Case{}, 0, fmt.Errorf("get case of %s: %w", sysID, fault.AsPermanent(ErrNoCase))
	}
	if err != nil {
		return Case{}, 0, fmt.Errorf("get case of %s: %w", sysID, err)
	}
	var c Case
	if err := json.Unmarshal(e.Value(), &c); err != nil {
		return Case{}, 0, fmt.Errorf("get case of %s: decode: %w", sysID, fault.AsPermanent(err))
	}
	return c, e.Revision(), nil
}

// Create stores a new record; it fails with ErrCaseConflict when the
// incident already has one.
func (s *CaseStore) Create(ctx context.Context, c Case) (uint64, error) {
	b, err := s.encode(c)
	if err != nil {
		return 0, err
	}
	rev, err := s.kv.Create(ctx, c.SysID, b)
	if errors.Is(err, jetstream.ErrKeyExists) {
		return 0, fmt.Errorf("create case of %s: %w", c.SysID, fault.AsTransient(ErrCaseConflict, 0))
	}
	if err != nil {
		return 0, fmt.Errorf("create case of %s: %w", c.SysID, err)
	}
	return rev, nil
}

// Update replaces the record if it is still at revision rev, and returns
// the new revision; otherwise it fails with ErrCaseConflict (transient).
func (s *CaseStore) Update(ctx context.Context, c Case, rev uint64) (uint64, error) {
	b, err := s.encode(c)
	if err != nil {
		return 0, err
	}
	next, err := s.kv.Update(ctx, c.SysID, b, rev)
	if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists) {
		return 0, fmt.Errorf("update case of %s: %w", c.SysID, fault.AsTransient(ErrCaseConflict, 0))
	}
	if err != nil {
		return 0, fmt.Errorf("update case of %s: %w", c.SysID, err)
	}
	return next, nil
}

// encode is the stored form of c, stamped now (and created now, when new),
// for Create and Update.
func (s *CaseStore) encode(c Case) ([]byte, error) {
	if err := validSysID(c.SysID); err != nil {
		return nil, err
	}
	c.UpdatedAt = s.now().UTC()
	if c.CreatedAt.IsZero() {
		c.CreatedAt = c.UpdatedAt
	}
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fault.AsPermanent(err)
	}
	return b, nil
}

// StoredCase is a case with its revision, as List returns it.
type StoredCase struct {
	Case
	Revision uint64
}

// List returns every case record (all states); the case sync and replay
// filter the open ones.
func (s *CaseStore) List(ctx context.Context) ([]StoredCase, error) {
	keys, err := s.kv.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("list cases: %w", err)
	}
	var out []StoredCase
	for key := range keys.Keys() {
		c, rev, err := s.Get(ctx, key)
		if errors.Is(err, ErrNoCase) {
			continue // deleted since listed
		}
		if err != nil {
			_ = keys.Stop()
			return nil, err
		}
		out = append(out, StoredCase{Case: c, Revision: rev})
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list cases: %w", err)
	}
	return out, nil
}

// validSysID accepts a ServiceNow sys_id (32 hex characters): anything else
// could not be a KV key or a ticket name.
func validSysID(sysID string) error {
	if len(sysID) != 32 {
		return fault.Permanentf("incident sys_id %q: want 32 hexadecimal characters", sysID)
	}
	for _, r := range sysID {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f' || 'A' <= r && r <= 'F') {
			return fault.Permanentf("incident sys_id %q: want 32 hexadecimal characters", sysID)
		}
	}
	return nil
}
