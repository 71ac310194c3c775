package escalation

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/fault"
)

// Keys of escalator_accounts.
const (
	accountKey  = "linked"
	auditPrefix = "audit."
)

// ErrNoAccount is returned (wrapped) when no admin account is linked.
var ErrNoAccount = errors.New("no Microsoft 365 admin account is linked")

// Account is the single Microsoft 365 admin account that stands as the
// contact of every support case, as the app's "linked account" did.
type Account struct {
	Email       string `json:"email"`
	UserID      string `json:"user_id,omitempty"`
	DisplayName string `json:"display_name,omitempty"`
	GivenName   string `json:"given_name,omitempty"`
	Surname     string `json:"surname,omitempty"`
	// UsageLocation is the user's two-letter country code, may be empty.
	UsageLocation string `json:"usage_location,omitempty"`
	// Roles are the names of the user's directory roles at link time.
	Roles    []string  `json:"roles,omitempty"`
	LinkedBy string    `json:"linked_by"`
	LinkedAt time.Time `json:"linked_at"`
	// Verified says the directory was checked (false with --no-verify).
	Verified bool `json:"verified"`
}

// ContactName returns the first and last name support cases carry: the
// directory's given name and surname, else the display name split, else
// the email's local part.
func (a Account) ContactName() (first, last string) {
	if a.GivenName != "" && a.Surname != "" {
		return a.GivenName, a.Surname
	}
	if f := strings.Fields(a.DisplayName); len(f) >= 2 {
		return f[0], strings.Join(f[1:], " ")
	}
	return namesFromEmail(a.Email)
}

// namesFromEmail turns "jane.doe@x" into Jane, Doe and "admin@x" into
// Admin, Admin (the Support API requires both names).
func namesFromEmail(email string) (first, last string) {
	local, _, _ := strings.Cut(email, "@")
	parts := strings.FieldsFunc(local, func(r rune) bool { return r == '.' || r == '_' || r == '-' || r == '+' })
	for i, p := range parts {
		parts[i] = strings.ToUpper(p[:1]) + p[1:]
	}
	switch len(parts) {
	case 0:
		return "Microsoft 365", "Administrator"
	case 1:
		return parts[0], parts[0]
	}
	return parts[0], strings.Join(parts[1:], " ")
}

// AuditEntry records one link or unlink.
type AuditEntry struct {
	Action string    `json:"action"` // link | unlink
	Email  string    `json:"email"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// AccountStoreConfig configures NewAccountStore.
type AccountStoreConfig struct {
	// Tenant is the Microsoft 365 tenant domain, named in refusals.
	Tenant string
	// Clock defaults to time.Now.
	Clock func() time.Time
}

// AccountBucket is what AccountStore needs of the bucket
// escalator_accounts: a jetstream.KeyValue, or a read-only
// *kvsnapshot.Snapshot of it for the replay dry run.
type AccountBucket interface {
	Get(ctx context.Context, key string) (jetstream.KeyValueEntry, error)
	Put(ctx context.Context, key string, value []byte) (uint64, error)
	Delete(ctx context.Context, key string, opts ...jetstream.KVDeleteOpt) error
	ListKeysFiltered(ctx context.Context, filters ...string) (jetstream.KeyLister, error)
}

// AccountStore keeps the linked account in the KV bucket
// escalator_accounts: the key "linked" (the bucket's history keeps the
// accounts it replaced) and one "audit.<unix nanos>" key per change.
type AccountStore struct {
	kv     AccountBucket
	tenant string
	now    func() time.Time
}

// NewAccountStore returns a store over kv (streams.Resources.Accounts).
func NewAccountStore(kv AccountBucket, cfg AccountStoreConfig) (*AccountStore, error) {
	if kv == nil {
		return nil, errors.New("account store: a KV bucket is required")
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	return &AccountStore{kv: kv, tenant: cfg.Tenant, now: cfg.Clock}, nil
}

// Get returns the linked account, or ErrNoAccount.
func (s *AccountStore) Get(ctx context.Context) (Account, error) {
	e, err := s.kv.Get(ctx, accountKey)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Account{}, fault.AsPermanent(ErrNoAccount)
	}
	if err != nil {
		return Account{}, fmt.Errorf("get linked account: %w", err)
	}
	var a Account
	if err := json.Unmarshal(e.Value(), &a); err != nil {
		return Account{}, fmt.Errorf("get linked account: decode: %w", fault.AsPermanent(err))
	}
	return a, nil
}

// Link checks req (see LinkRequest) and, when the account passes, makes it
// the linked account, replacing any other, and audits the change.
func (s *AccountStore) Link(ctx context.Context, req LinkRequest, dir UserDirectory) (Account, error) {
	a, err := s.check(ctx, req, dir)
	if err != nil {
		return Account{}, err
	}
	a.LinkedBy = req.LinkedBy
	a.LinkedAt = s.now().UTC()
	b, err := json.Marshal(a)
	if err != nil {
		return Account{}, fault.AsPermanent(err)
	}
	if _, err := s.kv.Put(ctx, accountKey, b); err != nil {
		return Account{}, fmt.Errorf("link %s: %w", a.Email, err)
	}
	if err := s.audit(ctx, AuditEntry{Action: "link", Email: a.Email, By: a.LinkedBy, At: a.LinkedAt}); err != nil {
		return a, fmt.Errorf("linked %s, but %w", a.Email, err)
	}
	return a, nil
}

// Unlink removes the linked account and audits it; it returns the account
// it removed, or ErrNoAccount.
func (s *AccountStore) Unlink(ctx context.Context, by string) (Account, error) {
	if strings.TrimSpace(by) == "" {
		return Account{}, fault.Permanentf("unlink: say who unlinks (--by)")
	}
	e, err := s.kv.Get(ctx, accountKey)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Account{}, fault.AsPermanent(ErrNoAccount)
	}
	if err != nil {
		return Account{}, fmt.Errorf("unlink: %w", err)
	}
	var a Account
	_ = json.Unmarshal(e.Value(), &a) // a bad record is still removed
	// Delete only what we read: a link in between is not lost.
	if err := s.kv.Delete(ctx, accountKey, jetstream.LastRevision(e.Revision())); err != nil {
		return Account{}, fmt.Errorf("unlink %s: %w", a.Email, err)
	}
	if err := s.audit(ctx, AuditEntry{Action: "unlink", Email: a.Email, By: by, At: s.now().UTC()}); err != nil {
		return a, fmt.Errorf("unlinked %s, but %w", a.Email, err)
	}
	return a, nil
}

// Audit returns the audit entries, oldest first.
func (s *AccountStore) Audit(ctx context.Context) ([]AuditEntry, error) {
	keys, err := s.kv.ListKeysFiltered(ctx, auditPrefix+">")
	if err != nil {
		return nil, fmt.Errorf("list account audit: %w", err)
	}
	var names []string
	for k := range keys.Keys() {
		names = append(names, k)
	}
	slices.SortFunc(names, func(a, b string) int { return cmp.Compare(auditTime(a), auditTime(b)) })
	out := make([]AuditEntry, 0, len(names))
	for _, k := range names {
		e, err := s.kv.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read account audit %s: %w", k, err)
		}
		var a AuditEntry
		if err := json.Unmarshal(e.Value(), &a); err == nil {
			out = append(out, a)
		}
	}
	return out, nil
}

// auditTime is the nanoseconds an audit key was written at.
func auditTime(key string) int64 {
	n, _ := strconv.ParseInt(strings.TrimPrefix(key, auditPrefix), 10, 64)
	return n
}

func (s *AccountStore) audit(ctx context.Context, e AuditEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fault.AsPermanent(err)
	}
	key := auditPrefix + strconv.FormatInt(e.At.UnixNano(), 10)
	if _, err := s.kv.Put(ctx, key, b); err != nil {
		return fmt.Errorf("write audit record: %w", err)
	}
	return nil
}
