package escalation

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/escalator/escalator/internal/azuresupport"
	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/worker"
)

// SupportClassifier suggests the service and problem classification of an
// issue from its words (the Azure Support API's classifyServices and
// classifyProblems); *azuresupport.Client implements it.
type SupportClassifier interface {
	ClassifyServices(ctx context.Context, issueSummary string) ([]azuresupport.ServiceClassification, error)
	ClassifyProblems(ctx context.Context, serviceID, issueSummary string) ([]azuresupport.ProblemClassificationResult, error)
}

// classifyAttempts is the delivery from which a transient classification
// failure no longer holds the escalation back: the case is opened with the
// configured ids instead. Earlier deliveries are retried (the worker's
// backoff), as any transient failure is.
const classifyAttempts = 3

// choice is the service and problem classification a ticket is opened
// with, and why.
type choice struct {
	serviceID, problemID string
	// serviceName, problemName are the classification's names for them
	// ("" for the configured ids, which Azure names on the ticket).
	serviceName, problemName string
	classified               bool
	// why the configured ids were used.
	why string
}

// classify chooses the ticket's service and problem classification for ev:
// the first service classifyServices suggests for the incident's short
// description and description, and the first problem classification of it
// classifyProblems suggests; else, saying why, the configured ids. A
// transient failure is an error (the message is retried) until delivery
// classifyAttempts; a permanent one, or one that lasts, falls back.
func (h *EscalateHandler) classify(ctx context.Context, msg *worker.Message, ev *event.Event) (choice, error) {
	conf := choice{serviceID: h.cfg.ServiceID, problemID: h.cfg.ProblemClassificationID}
	if h.cfg.Classifier == nil {
		conf.why = "classification is off"
		return conf, nil
	}
	summary := issueSummary(ev)
	if summary == "" {
		conf.why = "the incident has no description to classify"
		return conf, nil
	}
	svcs, err := h.cfg.Classifier.ClassifyServices(ctx, summary)
	if err != nil {
		return h.classifyFailed(ctx, msg, ev, conf, err)
	}
	var svc azuresupport.ServiceClassification
	for _, s := range svcs {
		if strings.TrimSpace(s.ServiceID) != "" {
			svc = s
			break
		}
	}
	if svc.ServiceID == "" {
		conf.why = "the Azure Support API's classification suggested no service for the incident's description"
		return conf, nil
	}
	pcs, err := h.cfg.Classifier.ClassifyProblems(ctx, svc.ServiceID, summary)
	if err != nil {
		return h.classifyFailed(ctx, msg, ev, conf, err)
	}
	for _, pc := range pcs {
		if strings.TrimSpace(pc.ProblemClassificationID) != "" {
			return choice{
				serviceID: svc.ServiceID, problemID: pc.ProblemClassificationID,
				serviceName: svc.DisplayName, problemName: pc.Title, classified: true,
			}, nil
		}
	}
	conf.why = fmt.Sprintf("the Azure Support API's classification suggested the service %s but none of its problem classifications",
		cmp.Or(svc.DisplayName, svc.ServiceID))
	return conf, nil
}

// classifyFailed decides, by the fault rules, what a failed classification
// does: retry the message (transient, before classifyAttempts), or open the
// case with the configured ids.
func (h *EscalateHandler) classifyFailed(ctx context.Context, msg *worker.Message, ev *event.Event, conf choice, err error) (choice, error) {
	transient := fault.Classify(err) == fault.Transient
	if transient && msg.NumDelivered < classifyAttempts {
		return choice{}, fmt.Errorf("escalate %s: %w", ev.Data.Incident.Number, err)
	}
	h.log.WarnContext(ctx, "support classification failed: the configured service and problem classification are used",
		"error", err, "transient", transient)
	text := failureText(err, transient)
	if transient {
		text += fmt.Sprintf(", on %d attempts", msg.NumDelivered)
	}
	conf.why = "the classification failed (" + text + ")"
	return conf, nil
}

// failureText says in a few words what went wrong, for a work note.
func failureText(err error, transient bool) string {
	var ae *azuresupport.ARMError
	switch {
	case errors.As(err, &ae) && ae.StatusCode != 0:
		text := http.StatusText(ae.StatusCode)
		s := fmt.Sprintf("Azure answered %d %s", ae.StatusCode, text)
		if ae.Code != "" && !strings.EqualFold(ae.Code, strings.ReplaceAll(text, " ", "")) {
			s += " " + ae.Code
		}
		return s
	case transient:
		return "Azure did not answer"
	}
	return err.Error()
}

// issueSummary is what classification reads: the incident's short
// description and description as ServiceNow holds them, else the
// escalation dialog's title and description.
func issueSummary(ev *event.Event) string {
	inc := ev.Data.Incident
	parts := []string{strings.TrimSpace(inc.ShortDescription), strings.TrimSpace(inc.Description)}
	if parts[0] == "" && parts[1] == "" && ev.Data.Escalation != nil {
		parts = []string{strings.TrimSpace(ev.Data.Escalation.Title), strings.TrimSpace(ev.Data.Escalation.Description)}
	}
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, "\n")
}

// serviceNote is the case note's sentence on the service and problem
// classification of ticket t, opened after choice ch (zero when this
// attempt found the ticket's id already recorded).
func serviceNote(t azuresupport.Ticket, ch choice) string {
	p := t.Properties
	svc := cmp.Or(p.ServiceDisplayName, ch.serviceName, p.ServiceID, ch.serviceID)
	pc := cmp.Or(p.ProblemClassificationDisplayName, ch.problemName, p.ProblemClassificationID, ch.problemID)
	s := fmt.Sprintf(" Microsoft support service: %s; problem classification: %s", svc, pc)
	same := ch.serviceID != "" &&
		(p.ServiceID == "" || strings.EqualFold(p.ServiceID, ch.serviceID)) &&
		(p.ProblemClassificationID == "" || strings.EqualFold(p.ProblemClassificationID, ch.problemID))
	switch {
	case !same:
		return s + " (as the ticket was first filed)."
	case ch.classified:
		return s + ", chosen by the Azure Support API's classification of the incident's short description and description."
	}
	return s + ", the configured ESCALATOR_SUPPORT_SERVICE_ID and ESCALATOR_SUPPORT_PROBLEM_CLASSIFICATION_ID: " + ch.why + "."
}
