// Package validate checks Escalator's deployment files offline, against the
// Kubernetes API types, Prometheus's rule parser and the binary itself:
// deploy/kubernetes, deploy/compose.yaml, deploy/escalator.env.example,
// deploy/Dockerfile, deploy/prometheus and deploy/grafana.
//
// It is a module of its own so that the heavy test-only dependencies
// (k8s.io/api, github.com/prometheus/prometheus) stay out of Escalator's
// go.mod; scripts/test runs it as a separate `go test` step. The binary's
// variables come from the hidden `escalator env` command of a binary built
// the way the Dockerfile builds it, never from a list kept here.
package validate
