package ingest

import (
	"io"
	"net/http"
	"time"
)

// Bounds of the drain after a refusal that closes the connection: what
// is read at least, and at most when the client announced a larger body.
const (
	lingerTimeout  = time.Second
	lingerBytes    = 256 << 10
	maxLingerBytes = 4 << 20
)

// hangUp ends the connection of an answer sent without reading the body.
// Left to net/http, the connection would wait for the announced body to
// arrive (or the read timeout) before it closes, which a client that never
// sends it can stretch for as long as it likes. The answer is flushed, the
// connection taken over, and whatever the client still sends is read and
// dropped for at most lingerTimeout before it is closed: closing with
// unread bytes would make the kernel reset the connection, and the client
// could lose the answer. announced is the body's Content-Length (-1 when
// unknown): a too-large body is drained up to maxLingerBytes so that its
// sender, still writing, reads the 413 rather than a reset.
func hangUp(w http.ResponseWriter, announced int64) {
	rc := http.NewResponseController(w)
	if err := rc.Flush(); err != nil {
		return
	}
	conn, _, err := rc.Hijack()
	if err != nil {
		return // HTTP/2 or a test recorder: Connection: close is all there is
	}
	go func() {
		defer conn.Close()
		_ = conn.SetReadDeadline(time.Now().Add(lingerTimeout))
		_, _ = io.Copy(io.Discard, io.LimitReader(conn, min(max(announced, lingerBytes), maxLingerBytes)))
	}()
}
