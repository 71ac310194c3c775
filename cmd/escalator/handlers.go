package main

import (
	"context"
	"log/slog"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/worker"
)

// handledSubjects are the subjects the worker handles.
func handledSubjects() []string {
	return []string{
		event.SubjectInsights, event.SubjectEscalation, event.SubjectUpdate,
		event.SubjectTickHealth, event.SubjectTickCases,
	}
}

// logHandlers only log each event: the spine without side effects, for load
// tests and for checking the wiring.
func logHandlers(log *slog.Logger) map[string]worker.Handler {
	h := worker.HandlerFunc(func(ctx context.Context, m *worker.Message) error {
		log.InfoContext(ctx, "event received", "subject", m.Subject, "id", m.Event.ID,
			"incident", m.Event.Data.Incident.Number, "deliveries", m.NumDelivered)
		return nil
	})
	out := map[string]worker.Handler{}
	for _, s := range handledSubjects() {
		out[s] = h
	}
	return out
}

// productionHandlers are the handlers serve and dev run.
func productionHandlers(_ context.Context, a *App) (map[string]worker.Handler, error) {
	return logHandlers(a.log), nil
}
