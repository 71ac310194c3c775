package outbound

import (
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
)

// AttrService labels the HTTP client metrics (http.client.request.duration
// and the others otelhttp records) with the service a client calls:
// Options.Service, ratelimit.Graph, ratelimit.ARM, ratelimit.ServiceNow,
// ratelimit.Entra. A short, fixed list, where server.address is one value
// per host (a ServiceNow instance, login.microsoftonline.com): dashboards
// and alerts group by it.
const AttrService = attribute.Key("service")

// serviceLabel puts the client's service on the metrics of every request
// it sends, through otelhttp's client Labeler (the replacement of the
// deprecated WithMetricAttributesFn). It wraps the otelhttp transport,
// which reads the Labeler from the request's context.
type serviceLabel struct {
	service attribute.KeyValue
	next    http.RoundTripper
}

func labelService(service string, next http.RoundTripper) http.RoundTripper {
	return serviceLabel{service: AttrService.String(service), next: next}
}

func (s serviceLabel) RoundTrip(req *http.Request) (*http.Response, error) {
	l := &otelhttp.Labeler{}
	if outer, ok := otelhttp.ClientLabelerFromContext(req.Context()); ok {
		l.Add(outer.Get()...)
	}
	l.Add(s.service)
	return s.next.RoundTrip(req.WithContext(otelhttp.ContextWithClientLabeler(req.Context(), l)))
}
