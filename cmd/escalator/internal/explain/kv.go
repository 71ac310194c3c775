package explain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/escalation"
	"github.com/escalator/escalator/internal/streams"
)

// accountKey is the key of the linked account in escalator_accounts
// (escalation.AccountStore keeps it there).
const accountKey = "linked"

// history returns every revision of key that bucket keeps, oldest first
// (none for a bucket or key that does not exist), and whether that is the
// key's whole history: fewer revisions than the bucket keeps (its History
// setting, 5 by default).
func history(ctx context.Context, js jetstream.JetStream, bucket, key string) ([]jetstream.KeyValueEntry, bool, error) {
	kv, err := js.KeyValue(ctx, bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("open bucket %s: %w", bucket, err)
	}
	es, err := kv.History(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("history of %s in %s: %w", key, bucket, err)
	}
	st, err := kv.Status(ctx)
	if err != nil {
		return es, false, fmt.Errorf("status of bucket %s: %w", bucket, err)
	}
	return es, len(es) < int(st.History()), nil
}

func operation(op jetstream.KeyValueOp) string {
	switch op {
	case jetstream.KeyValueDelete:
		return "delete"
	case jetstream.KeyValuePurge:
		return "purge"
	}
	return "put"
}

// caseHistory is the incident's record in escalator_cases, revision by
// revision.
func caseHistory(ctx context.Context, js jetstream.JetStream, sysID string) ([]CaseVersion, error) {
	es, _, err := history(ctx, js, streams.BucketCases, sysID)
	if err != nil {
		return nil, err
	}
	out := make([]CaseVersion, 0, len(es))
	for _, e := range es {
		v := CaseVersion{Revision: e.Revision(), Written: e.Created().UTC(), Operation: operation(e.Operation())}
		if e.Operation() == jetstream.KeyValuePut {
			var c escalation.Case
			if err := json.Unmarshal(e.Value(), &c); err != nil {
				return out, fmt.Errorf("case record of %s, revision %d: %w", sysID, e.Revision(), err)
			}
			v.State, v.TicketName, v.CaseID, v.Generation = string(c.State), c.TicketName, c.CaseID, c.Generation
			v.EventID, v.Severity, v.Contact, v.LastStatus = c.EventID, c.Severity, c.Contact, c.LastStatus
		}
		out = append(out, v)
	}
	return out, nil
}

// accountHistory is the linked account, revision by revision (a put links
// one, a delete or purge unlinks it), and whether it is the whole history.
func accountHistory(ctx context.Context, js jetstream.JetStream) ([]Account, bool, error) {
	es, whole, err := history(ctx, js, streams.BucketAccounts, accountKey)
	if err != nil {
		return nil, false, err
	}
	out := make([]Account, 0, len(es))
	for _, e := range es {
		a := Account{Revision: e.Revision(), Written: e.Created().UTC(), Operation: operation(e.Operation())}
		if e.Operation() == jetstream.KeyValuePut {
			var acc escalation.Account
			if err := json.Unmarshal(e.Value(), &acc); err != nil {
				return out, false, fmt.Errorf("linked account, revision %d: %w", e.Revision(), err)
			}
			a.Email, a.LinkedBy, a.Verified = acc.Email, acc.LinkedBy, acc.Verified
		}
		out = append(out, a)
	}
	return out, whole, nil
}

// linkedAt is the account linked at t by the history: its email, "none"
// when none was, and "" when the history does not reach back to t.
func linkedAt(accounts []Account, whole bool, t time.Time) string {
	linked := ""
	if whole {
		linked = "none" // nothing was linked before the first revision
	}
	for _, a := range accounts {
		if a.Written.After(t) {
			break
		}
		linked = a.Email
		if a.Operation != "put" {
			linked = "none"
		}
	}
	return linked
}
