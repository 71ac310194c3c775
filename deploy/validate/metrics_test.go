package validate

import (
	"testing"

	"github.com/escalator/escalator/internal/testkit/sim"
)

// exercise drives a fleet through what the dashboard and the alerts watch:
// a dead letter (an escalation before any admin account is linked), a
// failed token fetch (Entra answers 503 once), a case opened, insights
// given, insights refused for a missing role, and service health
// incidents created by the scheduled sync. It returns the union of both
// processes' /metrics.
func exercise(t *testing.T) (lines []string, names map[string]bool) {
	t.Helper()
	f := newFleet(t)
	f.post(t, event(t, "escalation-requested.json", func(ev map[string]any) { ev["id"] = "validate-escalation-before-link" }))
	if err := f.sim.SetFaults(sim.Faults{Routes: map[string]sim.RouteFault{
		"POST /{tenant}/oauth2/token": {Status: 503, Count: 1},
	}}); err != nil {
		t.Fatal(err)
	}
	f.startWorker(t)
	waitUntil(t, "a dead letter and a failed token fetch", func() bool {
		l, _ := scrape(t, f.workerAdmin)
		dlq, _ := sample(l, "escalator_jetstream_stream_messages", `stream="ESCALATOR_DLQ"`)
		failures, _ := sample(l, "escalator_token_failures_total")
		return dlq >= 1 && failures >= 1
	})
	f.linkAccount(t)
	sysID, number := f.createIncident(t, "Teams calls drop for the sales floor")
	f.post(t, event(t, "escalation-requested.json", func(ev map[string]any) {
		ev["id"] = "validate-escalation"
		inc := ev["data"].(map[string]any)["incident"].(map[string]any)
		inc["sys_id"], inc["number"] = sysID, number
	}))
	f.post(t, event(t, "insights-requested.json", func(ev map[string]any) { ev["id"] = "validate-insights" }))
	f.post(t, event(t, "insights-requested.json", func(ev map[string]any) {
		ev["id"] = "validate-insights-without-role"
		ev["data"].(map[string]any)["requested_by"] = map[string]any{"user_name": "abel.tuter", "roles": []string{"itil"}}
	}))
	waitUntil(t, "a case opened, a refusal, insights and a service health incident", func() bool {
		l, _ := scrape(t, f.workerAdmin)
		cases, _ := sample(l, "escalator_cases_opened_total")
		refused, _ := sample(l, "escalator_events_refused_total")
		insights, _ := sample(l, "escalator_messages_total", `messaging_destination_name="escalator.incident.insights"`, `outcome="ack"`)
		health, _ := sample(l, "escalator_health_incidents_created_total")
		return cases >= 1 && refused >= 1 && insights >= 2 && health >= 1
	})
	names = map[string]bool{}
	for _, admin := range []string{f.ingestAdmin, f.workerAdmin} {
		l, n := scrape(t, admin)
		lines = append(lines, l...)
		for k := range n {
			names[k] = true
		}
	}
	return lines, names
}
