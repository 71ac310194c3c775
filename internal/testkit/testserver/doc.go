// Package testserver starts the real servers Escalator's tests talk to: an
// in-process nats-server with JetStream and a redis-server process, each private
// to the test on a free loopback port. Nothing here is a mock; tests use the same
// clients production does.
package testserver
