package ingest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"slices"
	"strings"

	"github.com/escalator/escalator/internal/event"
)

// Content types of the CloudEvents HTTP binding.
const (
	contentStructured = "application/cloudevents+json"
	contentBatch      = "application/cloudevents-batch+json"
)

// readBody reads at most maxBody bytes of the request body.
func readBody(w http.ResponseWriter, r *http.Request, maxBody int64) ([]byte, *problem) {
	tooLarge := newProblem(http.StatusRequestEntityTooLarge, "body-too-large", "Request body too large",
		fmt.Sprintf("the body exceeds the limit of %d bytes; send fewer events per request", maxBody))
	if r.ContentLength > maxBody {
		// Not read: the connection ends after the answer (hangUp drains
		// what the client is still sending, so it reads the 413).
		return nil, tooLarge.closing()
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			p := newProblem(http.StatusRequestTimeout, "request-timeout", "Request timeout",
				"the body did not arrive within the read timeout; send it in one go")
			return nil, p
		}
		p := newProblem(http.StatusBadRequest, "unreadable-body", "Unreadable body", "the request body could not be read")
		p.reason = "unreadable-body: " + err.Error()
		return nil, p
	}
	return body, nil
}

// mode is how the request carries its events.
type mode int

const (
	modeStructured mode = iota
	modeBatch
	modeBinary
)

// requestMode picks the CloudEvents mode from the content type: the two
// cloudevents types name theirs; any other JSON type is binary mode when
// ce-specversion is present and a structured event otherwise.
func requestMode(r *http.Request) (mode, *problem) {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt = ""
	}
	switch {
	case mt == contentStructured:
		return modeStructured, nil
	case mt == contentBatch:
		return modeBatch, nil
	case isJSON(mt) && r.Header.Get("ce-specversion") != "":
		return modeBinary, nil
	case mt == "application/json":
		return modeStructured, nil
	}
	return 0, newProblem(http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type",
		fmt.Sprintf("content type %q is not accepted; send %s, %s, or binary mode (ce-* headers with a JSON body)",
			ct, contentStructured, contentBatch))
}

func isJSON(mt string) bool {
	return mt == "application/json" || mt == "text/json" || strings.HasSuffix(mt, "+json")
}

// decodeEvents turns the body into events, or a problem listing every
// invalid field. Internal (tick) types are refused: only Escalator raises
// them.
func decodeEvents(m mode, r *http.Request, body []byte, maxEvents int) ([]event.Event, *problem) {
	var (
		events []event.Event
		fields []event.FieldError
	)
	switch m {
	case modeBatch:
		var err error
		events, err = event.DecodeBatch(body)
		// A batch over the limit is refused whole, valid or not; the count
		// is only taken apart from the decode when the decode failed.
		batch := typesOf(events)
		var types []struct {
			Type string `json:"type"`
		}
		if err != nil && json.Unmarshal(body, &types) == nil {
			batch = make([]string, len(types))
			for i, t := range types {
				batch[i] = t.Type
			}
		}
		if n := len(batch); n > maxEvents {
			p := newProblem(http.StatusRequestEntityTooLarge, "too-many-events", "Too many events",
				fmt.Sprintf("the batch holds %d events, at most %d are accepted per request", n, maxEvents))
			p.events = batch
			return nil, p
		}
		var ve *event.ValidationError
		if errors.As(err, &ve) && len(types) > 0 {
			// Report internal types beside the other invalid fields.
			fields := ve.Fields
			for i, t := range types {
				if event.Internal(t.Type) {
					fields = append(fields, internalType(i, t.Type))
				}
			}
			slices.SortStableFunc(fields, func(a, b event.FieldError) int { return cmp.Compare(a.Index, b.Index) })
			err = &event.ValidationError{Fields: fields}
		}
		if err != nil {
			p := decodeProblem(err)
			p.events = batch
			return nil, p
		}
	case modeBinary:
		// The attributes are the headers: a body without data is an event
		// without data, refused as in structured mode.
		ev, err := event.DecodeBinary(r.Header, body)
		if err != nil {
			p := decodeProblem(err)
			p.events = []string{r.Header.Get("Ce-Type")}
			return nil, p
		}
		events = []event.Event{ev}
	default:
		if len(bytes.TrimSpace(body)) == 0 {
			return nil, decodeProblem(event.ErrEmpty)
		}
		ev, err := event.Decode(body)
		if err != nil {
			p := decodeProblem(err)
			p.events = []string{typeIn(body)}
			return nil, p
		}
		events = []event.Event{ev}
	}
	index := func(i int) int {
		if m == modeBatch {
			return i
		}
		return -1
	}
	for i := range events {
		if events[i].Type != "" && event.Internal(events[i].Type) {
			fields = append(fields, internalType(index(i), events[i].Type))
		}
	}
	if len(fields) > 0 {
		p := invalid(fields)
		p.events = typesOf(events)
		return nil, p
	}
	return events, nil
}

func internalType(index int, eventType string) event.FieldError {
	return event.FieldError{Index: index, Field: "type",
		Detail: fmt.Sprintf("%q is an internal type Escalator raises itself; it cannot be posted", eventType)}
}

func decodeProblem(err error) *problem {
	var ve *event.ValidationError
	switch {
	case errors.As(err, &ve):
		return invalid(ve.Fields)
	case errors.Is(err, event.ErrEmpty):
		return invalid([]event.FieldError{{Index: -1, Field: "body", Detail: "no event in body"}})
	default:
		return invalid([]event.FieldError{{Index: -1, Field: "body", Detail: err.Error()}})
	}
}

// typeIn is the type of the event a body that did not decode holds, as far
// as it can be read: for the events counter.
func typeIn(body []byte) string {
	var ev struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(body, &ev)
	return ev.Type
}
