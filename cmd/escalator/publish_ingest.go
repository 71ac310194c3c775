package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/ingest"
)

// ingestTarget sends the events through a running ingest over HTTP, as
// ServiceNow does, instead of straight to JetStream.
type ingestTarget struct {
	URL     string   // ESCALATOR_INGEST_URL
	Tokens  []string // ESCALATOR_INGEST_TOKENS: the first is sent
	Secrets []string // ESCALATOR_INGEST_SIGNING_SECRETS: the first signs
}

func (c *ingestTarget) flags(fs *pflag.FlagSet) {
	fs.StringVar(&c.URL, "ingest-url", "", "post the events to this ingest (e.g. https://escalator.example.com:8080) instead of publishing to JetStream")
	listVar(fs, &c.Tokens, "ingest-tokens", "with --ingest-url: bearer token(s); the first is sent")
	listVar(fs, &c.Secrets, "ingest-signing-secrets", "with --ingest-url: signing secret(s); the first signs every request")
	markSecret(fs, "ingest-tokens", "ingest-signing-secrets")
}

// Batches stay under ingest's default limits.
const (
	postMaxEvents = ingest.DefaultMaxEvents
	postMaxBytes  = ingest.DefaultMaxBody - 1<<10
)

// post sends the events in batches and returns what ingest stored. A
// refused batch stops the run: the batches before it are stored, and
// sending the file again is safe (the ids are deduplicated).
func (c *ingestTarget) post(ctx context.Context, client *http.Client, events []event.Event) ([]publishResult, error) {
	if err := validHTTPURL("ESCALATOR_INGEST_URL", c.URL); err != nil {
		return nil, err
	}
	token, secret := firstTrimmed(c.Tokens), firstTrimmed(c.Secrets)
	if token == "" {
		return nil, configError("ESCALATOR_INGEST_TOKENS", "is not set but ESCALATOR_INGEST_URL is", "set the bearer token ingest accepts")
	}
	url := strings.TrimSuffix(strings.TrimSuffix(c.URL, "/"), ingest.EventsPath) + ingest.EventsPath
	results := make([]publishResult, 0, len(events))
	for from := 0; from < len(events); {
		body, to, err := batchBody(events, from)
		if err != nil {
			return results, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return results, fmt.Errorf("ESCALATOR_INGEST_URL %s: %w", c.URL, err)
		}
		req.Header.Set("Content-Type", "application/cloudevents-batch+json")
		req.Header.Set("Authorization", "Bearer "+token)
		if secret != "" {
			req.Header.Set(ingest.SignatureHeader, ingest.Sign(secret, time.Now(), body))
		}
		accepted, err := sendBatch(client, req)
		if err != nil {
			return results, fmt.Errorf("post events %d-%d of %d to %s (earlier ones are stored; sending again is safe): %w", from+1, to, len(events), url, err)
		}
		for i, a := range accepted {
			results = append(results, publishResult{ID: a.ID, Subject: events[from+i].Subject(), Seq: a.Seq, Duplicate: a.Duplicate})
		}
		from = to
	}
	return results, nil
}

// batchBody is the JSON array of events[from:to], as many as fit.
func batchBody(events []event.Event, from int) ([]byte, int, error) {
	buf := []byte{'['}
	to := from
	for to < len(events) && to-from < postMaxEvents {
		b, err := events[to].Marshal()
		if err != nil {
			return nil, 0, fmt.Errorf("event %s: %w", events[to].ID, err)
		}
		if to > from && len(buf)+len(b)+2 > postMaxBytes {
			break
		}
		if to > from {
			buf = append(buf, ',')
		}
		buf = append(buf, b...)
		to++
	}
	return append(buf, ']'), to, nil
}

// acceptedEntry is one event of ingest's 202 answer.
type acceptedEntry struct {
	ID        string `json:"id"`
	Seq       uint64 `json:"seq"`
	Duplicate bool   `json:"duplicate"`
}

// problemAnswer is the part of ingest's problem document worth printing.
type problemAnswer struct {
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Check  string `json:"check"`
	Errors []struct {
		Index  *int   `json:"index"`
		Field  string `json:"field"`
		Detail string `json:"detail"`
	} `json:"errors"`
}

// sendBatch posts one batch and returns ingest's acknowledgements, or the
// problem it answered, in words.
func sendBatch(client *http.Client, req *http.Request) ([]acceptedEntry, error) {
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("read the answer: %w", err)
	}
	if resp.StatusCode == http.StatusAccepted {
		var a struct {
			Accepted []acceptedEntry `json:"accepted"`
		}
		if err := json.Unmarshal(b, &a); err != nil {
			return nil, fmt.Errorf("ingest answered 202 with %q: %w", b, err)
		}
		return a.Accepted, nil
	}
	var p problemAnswer
	if json.Unmarshal(b, &p) != nil || p.Title == "" {
		return nil, fmt.Errorf("ingest answered %s", resp.Status)
	}
	msg := fmt.Sprintf("ingest answered %s: %s: %s", resp.Status, p.Title, p.Detail)
	for _, f := range p.Errors {
		if f.Index != nil {
			msg += fmt.Sprintf("; [%d].%s: %s", *f.Index, f.Field, f.Detail)
		} else {
			msg += fmt.Sprintf("; %s: %s", f.Field, f.Detail)
		}
	}
	if ra := resp.Header.Get("Retry-After"); ra != "" {
		msg += " (retry after " + ra + " s)"
	}
	return nil, errors.New(msg)
}

func firstTrimmed(list []string) string {
	if len(list) == 0 {
		return ""
	}
	return strings.TrimSpace(list[0])
}
