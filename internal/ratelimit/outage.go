package ratelimit

import (
	"log/slog"
	"sync/atomic"
)

// outage logs the moment Redis stops answering and the moment it answers
// again, once each, however many calls fail in between.
type outage struct {
	log *slog.Logger
	// what names the shared thing ("graph rate limit"), fallback what it
	// does meanwhile ("is kept per process").
	what, fallback string
	down           atomic.Bool
}

// failed records a failed Redis call; the first after a success is logged.
func (o *outage) failed(err error) {
	if o.down.CompareAndSwap(false, true) {
		o.log.Warn("redis unreachable: "+o.what+" "+o.fallback+" until it answers", slog.String("error", err.Error()))
	}
}

// answered records a successful Redis call; the first after a failure is
// logged.
func (o *outage) answered() {
	if o.down.CompareAndSwap(true, false) {
		o.log.Info("redis answers again: " + o.what + " is shared by the fleet again")
	}
}
