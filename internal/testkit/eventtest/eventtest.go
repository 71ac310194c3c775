// Package eventtest builds the CloudEvents tests publish and consume, so the
// stream and worker tests share one valid event instead of each spelling it.
package eventtest

import (
	"time"

	"github.com/escalator/escalator/internal/event"
)

// Insights is a valid insights request with id for ServiceNow's example
// incident INC0010023, made by an insights user.
func Insights(id string) *event.Event {
	return &event.Event{
		SpecVersion: event.SpecVersion,
		ID:          id,
		Source:      "https://contoso.service-now.com",
		Type:        event.TypeInsights,
		Time:        time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC),
		Data: event.Data{
			Incident:    event.Incident{SysID: "9d385017c611228701d22104cc95c371", Number: "INC0010023"},
			RequestedBy: event.RequestedBy{UserName: "beth.anglin", Roles: []string{"x_mioms_m365_assis.insights_user"}},
		},
	}
}
