package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/ingest"
	"github.com/escalator/escalator/internal/streams"
)

// sender hands events [from, to) to ingest or JetStream and returns once
// they are acknowledged.
type sender interface {
	send(ctx context.Context, from, to int) error
}

// template is the event every load event is made from: an
// incident.updated (no role gate), whose id is prefix + index.
type template struct {
	prefix string
	ev     event.Event
	// head and tail surround the id in the event's JSON.
	head, tail []byte
}

const idPlaceholder = "@@ID@@"

func newTemplate(prefix string) (*template, error) {
	ev := event.Event{
		SpecVersion:     event.SpecVersion,
		ID:              idPlaceholder,
		Source:          "https://load.service-now.com",
		Type:            event.TypeUpdated,
		Time:            time.Date(2026, 11, 25, 11, 30, 0, 0, time.UTC),
		DataContentType: "application/json",
		Data: event.Data{
			Incident: event.Incident{
				SysID: "9d385017c611228701d22104cc95c371", Number: "INC0010023",
				ShortDescription: "Outlook cannot connect to Exchange Online for the finance floor",
				Priority:         "1", State: "2",
			},
			RequestedBy: event.RequestedBy{UserName: "beth.anglin", Roles: []string{"itil"}},
			Change:      &event.Change{WorkNote: "escalator-load", Fields: []string{"state"}},
		},
	}
	body, err := json.Marshal(&ev)
	if err != nil {
		return nil, fmt.Errorf("event template: %w", err)
	}
	head, tail, ok := bytes.Cut(body, []byte(idPlaceholder))
	if !ok {
		return nil, fmt.Errorf("event template: id placeholder lost")
	}
	return &template{prefix: prefix, ev: ev, head: head, tail: tail}, nil
}

func (t *template) id(i int) string { return t.prefix + strconv.Itoa(i) }

func (t *template) event(i int) *event.Event {
	ev := t.ev
	ev.ID = t.id(i)
	return &ev
}

// appendJSON appends the structured-mode JSON of event i.
func (t *template) appendJSON(b []byte, i int) []byte {
	b = append(b, t.head...)
	b = append(b, t.prefix...)
	b = strconv.AppendInt(b, int64(i), 10)
	return append(b, t.tail...)
}

// ingestSender posts batches to the ingest server over HTTP.
type ingestSender struct {
	client *http.Client
	url    string
	token  string
	secret string // signs every request when set
	tmpl   *template
	bufs   sync.Pool
}

func (s *ingestSender) send(ctx context.Context, from, to int) error {
	buf, _ := s.bufs.Get().(*[]byte)
	if buf == nil {
		buf = new([]byte)
	}
	b := (*buf)[:0]
	contentType := "application/cloudevents+json"
	if to-from == 1 {
		b = s.tmpl.appendJSON(b, from)
	} else {
		contentType = "application/cloudevents-batch+json"
		b = append(b, '[')
		for i := from; i < to; i++ {
			if i > from {
				b = append(b, ',')
			}
			b = s.tmpl.appendJSON(b, i)
		}
		b = append(b, ']')
	}
	*buf = b

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url+ingest.EventsPath, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+s.token)
	if s.secret != "" {
		req.Header.Set(ingest.SignatureHeader, ingest.Sign(s.secret, time.Now(), b))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("post events %d-%d: %w", from, to-1, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		detail, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("post events %d-%d: %s: %s", from, to-1, resp.Status, bytes.TrimSpace(detail))
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	// Reuse the body only after a 202: ingest answers that after reading
	// all of it, so the transport no longer holds it.
	s.bufs.Put(buf)
	return nil
}

// directSender publishes straight to JetStream through streams.Publisher,
// the events of a batch at once, as ingest does with a batch.
type directSender struct {
	pub  *streams.Publisher
	tmpl *template
}

func (s *directSender) send(ctx context.Context, from, to int) error {
	errs := make([]error, to-from)
	var wg sync.WaitGroup
	for i := from; i < to; i++ {
		wg.Go(func() {
			if _, err := s.pub.Publish(ctx, s.tmpl.event(i)); err != nil {
				errs[i-from] = err
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// sendAll hands every event to s in batches of cfg.Batch from
// cfg.Concurrency goroutines; with cfg.Rate > 0 batch j is not sent before
// start + j*Batch/Rate, a fixed offered rate (a sender that falls behind
// catches up without waiting). The first error stops every sender.
func sendAll(ctx context.Context, cfg Config, tr *tracker, s sender) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	batches := (cfg.Events + cfg.Batch - 1) / cfg.Batch
	var next atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range min(cfg.Concurrency, batches) {
		wg.Go(func() {
			for {
				j := int(next.Add(1) - 1)
				if j >= batches {
					return
				}
				from := j * cfg.Batch
				to := min(from+cfg.Batch, cfg.Events)
				if cfg.Rate > 0 {
					at := start.Add(time.Duration(float64(from) / cfg.Rate * float64(time.Second)))
					if err := sleepUntil(ctx, at); err != nil {
						return
					}
				}
				if ctx.Err() != nil {
					return
				}
				tr.markSent(from, to)
				if err := s.send(ctx, from, to); err != nil {
					cancel(err)
					return
				}
				tr.acked(from, to)
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return nil
}

func sleepUntil(ctx context.Context, at time.Time) error {
	d := time.Until(at)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
