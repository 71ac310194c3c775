package escalation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/time/rate"

	"github.com/escalator/escalator/internal/azuresupport"
	"github.com/escalator/escalator/internal/telemetry"
	"github.com/escalator/escalator/worker"
)

// The case sync runs on every tick of escalator.tick.cases: for every open
// case it reads the ticket, and writes to the incident, once each,
//
//   - a status change (marker case-status-<ticket>-<status>),
//   - every new message from Microsoft support (marker
//     case-comm-<ticket>-<communication name>),
//   - for a ticket Microsoft closed: a closing note, the case field set to
//     the case id, and the case recorded closed.
//
// What was written is recorded in the case (LastStatus,
// SeenCommunications) with a compare-and-set. Runs never overlap across
// the fleet (a worker.Job, the lease LeaseKeyCases in escalator_leases),
// and the markers cover a crash between a note and its record. ARM calls
// are paced by a token bucket so a long list of cases stays inside ARM's
// read limits.

// CaseReader is what the case sync reads of the Azure Support API;
// *azuresupport.Client implements it.
type CaseReader interface {
	GetTicket(ctx context.Context, name string) (azuresupport.Ticket, error)
	ListCommunications(ctx context.Context, ticketName string) ([]azuresupport.Communication, error)
}

// LeaseKeyCases is the key of the case sync's lease in its lease bucket:
// worker.LeaseKey(worker.TickCases).
const LeaseKeyCases = worker.LeaseKeyPrefix + worker.TickCases

// DefaultCaseSyncRate is the default pace of ARM calls, requests a second:
// ARM allows thousands of reads an hour per subscription; two a second
// leaves most of them to everything else.
const DefaultCaseSyncRate = 2.0

// CaseSyncConfig configures NewCaseSync.
type CaseSyncConfig struct {
	Cases   *CaseStore     // required
	Support CaseReader     // required
	Notes   IncidentWriter // required
	// Leases is the bucket holding the run's lease (key LeaseKeyCases):
	// escalator_leases (streams.Resources.Leases); required. Not
	// escalator_cases, whose keys are all incidents.
	Leases jetstream.KeyValue
	// LeaseTTL defaults to worker.DefaultLeaseTTL.
	LeaseTTL time.Duration
	// CaseField is the incident field that holds the case id
	// (ESCALATOR_CASE_FIELD); default DefaultCaseField.
	CaseField string
	// Rate is the ARM calls allowed per second; default
	// DefaultCaseSyncRate. Burst defaults to 1.
	Rate  float64
	Burst int
	// Logger defaults to discarding; MeterProvider and TracerProvider to
	// no-ops.
	Logger         *slog.Logger
	MeterProvider  metric.MeterProvider
	TracerProvider trace.TracerProvider
}

// CaseSync is the worker.Handler of escalator.tick.cases, a scheduled job:
// its Handle runs the sync once for a tick under the lease, unless another
// replica's run is in progress; its RunOnce syncs every open case once,
// without the lease. A case that fails does not stop the others; the first
// error is returned so the tick is retried.
type CaseSync struct {
	*worker.Job[CaseSyncResult]
	cfg     CaseSyncConfig
	log     *slog.Logger
	limiter *rate.Limiter
	ins     *caseSyncInstruments
}

// NewCaseSync validates cfg and returns the case sync.
func NewCaseSync(cfg CaseSyncConfig) (*CaseSync, error) {
	switch {
	case cfg.Cases == nil:
		return nil, errors.New("case sync: a case store is required")
	case cfg.Support == nil:
		return nil, errors.New("case sync: a support client is required")
	case cfg.Notes == nil:
		return nil, errors.New("case sync: a ServiceNow client is required")
	case cfg.Leases == nil:
		return nil, errors.New("case sync: a bucket for the lease is required")
	case cfg.Rate < 0 || cfg.Burst < 0:
		return nil, fmt.Errorf("case sync: negative rate %v or burst %d", cfg.Rate, cfg.Burst)
	}
	if cfg.CaseField == "" {
		cfg.CaseField = DefaultCaseField
	}
	if cfg.Rate == 0 {
		cfg.Rate = DefaultCaseSyncRate
	}
	if cfg.Burst == 0 {
		cfg.Burst = 1
	}
	log := telemetry.OrDiscard(cfg.Logger)
	ins, err := newCaseSyncInstruments(cfg.MeterProvider)
	if err != nil {
		return nil, err
	}
	s := &CaseSync{cfg: cfg, log: log, ins: ins, limiter: rate.NewLimiter(rate.Limit(cfg.Rate), cfg.Burst)}
	s.Job, err = worker.NewJob(worker.JobConfig[CaseSyncResult]{
		Tick: worker.TickCases, Name: "case sync", Run: s.run, Attributes: CaseSyncResult.attributes,
		Leases: cfg.Leases, LeaseTTL: cfg.LeaseTTL, Scope: caseSyncScope,
		Logger: log, MeterProvider: cfg.MeterProvider, TracerProvider: cfg.TracerProvider,
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// CaseSyncResult counts what one run did.
type CaseSyncResult struct {
	Cases, Notes, Closed int
}

// run is one run: progress is called between cases.
func (s *CaseSync) run(ctx context.Context, progress func() error) (CaseSyncResult, error) {
	var res CaseSyncResult
	all, err := s.cfg.Cases.List(ctx)
	if err != nil {
		return res, err
	}
	open := slices.DeleteFunc(all, func(c StoredCase) bool { return c.State != CaseOpen || c.TicketName == "" })
	err = worker.ForEach(ctx, open, progress, func(c StoredCase) error {
		err := s.syncCase(ctx, c, &res)
		if err != nil {
			s.log.WarnContext(ctx, "case not synced", slog.String("incident", c.Number),
				slog.String("ticket", c.TicketName), slog.String("error", err.Error()))
		}
		return err
	})
	return res, err
}

// syncCase brings one incident up to date with its ticket.
func (s *CaseSync) syncCase(ctx context.Context, sc StoredCase, res *CaseSyncResult) error {
	c, rev := sc.Case, sc.Revision
	if err := s.limiter.Wait(ctx); err != nil {
		return err
	}
	t, err := s.cfg.Support.GetTicket(ctx, c.TicketName)
	if errors.Is(err, azuresupport.ErrTicketNotFound) {
		s.log.WarnContext(ctx, "ticket of an open case not found; skipped", slog.String("incident", c.Number), slog.String("ticket", c.TicketName))
		return nil
	}
	if err != nil {
		return fmt.Errorf("sync case of %s: %w", c.Number, err)
	}
	if err := s.limiter.Wait(ctx); err != nil {
		return err
	}
	comms, err := s.cfg.Support.ListCommunications(ctx, c.TicketName)
	if err != nil {
		return fmt.Errorf("sync case of %s: %w", c.Number, err)
	}
	res.Cases++
	s.ins.synced.Add(ctx, 1)
	caseID := c.CaseID
	if caseID == "" {
		caseID = t.Properties.SupportTicketID
	}

	changed := false
	slices.SortStableFunc(comms, func(a, b azuresupport.Communication) int { return a.CreatedDate.Compare(b.CreatedDate) })
	for _, m := range comms {
		if !fromMicrosoft(m, c.Contact) || m.Name == "" || slices.Contains(c.SeenCommunications, m.Name) {
			continue
		}
		if err := s.note(ctx, c, res, "communication", "case-comm-"+c.TicketName+"-"+markerPart(m.Name), communicationNote(caseID, m)); err != nil {
			return err
		}
		c.SeenCommunications = append(c.SeenCommunications, m.Name)
		changed = true
	}

	status := strings.TrimSpace(t.Properties.Status)
	last := c.LastStatus
	if last == "" {
		last = "Open" // a new ticket is open: no note for that
	}
	if status != "" && !strings.EqualFold(status, last) {
		closed := t.Closed()
		text := statusNote(caseID, c.TicketName, last, status)
		if closed {
			// Set the case field before the note: both are repeatable, and
			// the note is the last step a human reads.
			if _, err := s.cfg.Notes.PatchIncident(ctx, c.SysID, map[string]string{s.cfg.CaseField: caseID}); err != nil {
				return fmt.Errorf("sync case of %s: set %s: %w", c.Number, s.cfg.CaseField, err)
			}
		}
		if err := s.note(ctx, c, res, "status", "case-status-"+c.TicketName+"-"+markerPart(status), text); err != nil {
			return err
		}
		c.LastStatus = status
		if closed {
			c.State = CaseClosed
			res.Closed++
		}
		changed = true
	}
	if !changed {
		return nil
	}
	if _, err := s.cfg.Cases.Update(ctx, c, rev); err != nil {
		if errors.Is(err, ErrCaseConflict) {
			// Another writer (an update event) changed the case: the next
			// run starts from its record; the markers keep notes single.
			s.log.InfoContext(ctx, "case changed during the sync; the next run continues", slog.String("incident", c.Number))
			return nil
		}
		return fmt.Errorf("sync case of %s: %w", c.Number, err)
	}
	return nil
}

// note posts a work note once and counts it.
func (s *CaseSync) note(ctx context.Context, c Case, res *CaseSyncResult, kind, key, text string) error {
	posted, err := s.cfg.Notes.AddWorkNoteOnce(ctx, c.SysID, key, text)
	if err != nil {
		return fmt.Errorf("sync case of %s: %s note: %w", c.Number, kind, err)
	}
	if posted {
		res.Notes++
		s.ins.posted.Add(ctx, 1, metric.WithAttributes(attrNoteKind.String(kind)))
	}
	return nil
}
