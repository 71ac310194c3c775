// Package admin is the operator's listener: /healthz says the process is
// alive, /readyz says whether it can do its work (each dependency checked,
// with a JSON report), /metrics serves Prometheus.
//
// Liveness never runs a check: a NATS outage must make the process unready
// (no traffic routed to it) but not get it restarted, which would not bring
// NATS back.
package admin
