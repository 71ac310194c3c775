package event

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/go-json-experiment/json/jsontext"
)

// MaxBatch is the largest batch ingest accepts.
const MaxBatch = 500

// DecodeBatch reads a batched-mode body (a JSON array of structured events).
// Each event is decoded as Decode decodes it; every invalid field of every
// event is reported, each with its index.
func DecodeBatch(body []byte) ([]Event, error) {
	ws, printable, ok := scanBatch(body)
	if ok {
		return validateBatch(ws, func(i int) decoded {
			return decoded{attrsPrintable: printable[i], dataPrintable: printable[i]}
		})
	}
	return splitBatch(body)
}

// scanBatch reads a batch of plain events with the hand-written scanner,
// all in one pass, and whether each is printable ASCII; ok is false when
// any part of it is not plain.
func scanBatch(body []byte) (ws []wire, printable []bool, ok bool) {
	p := scanner{b: body, s: string(body)}
	if p.null() {
		return nil, nil, p.end()
	}
	if !p.byte('[') {
		return nil, nil, false
	}
	if p.byte(']') {
		return nil, nil, p.end()
	}
	ws = make([]wire, 0, 16)
	for {
		ws = append(ws, wire{})
		p.odd = false
		if !p.wire(&ws[len(ws)-1]) {
			return nil, nil, false
		}
		printable = append(printable, !p.odd)
		if p.byte(']') {
			return ws, printable, p.end()
		}
		if !p.byte(',') {
			return nil, nil, false
		}
	}
}

// splitBatch decodes a batch event by event, each as Decode does.
func splitBatch(body []byte) ([]Event, error) {
	dec := newShapeDecoder(body)
	refuse := func(index int, detail string) error {
		return &ValidationError{Fields: []FieldError{{Index: index, Field: "body", Detail: detail}}}
	}
	syntax := func(err error) error {
		var se *jsontext.SyntacticError
		if !errors.As(err, &se) {
			return refuse(-1, "malformed JSON: "+err.Error())
		}
		return refuse(batchIndex(se.JSONPointer), malformed(se))
	}
	tok, err := dec.ReadToken()
	if err != nil {
		return nil, syntax(err)
	}
	switch tok.Kind() {
	case '[':
	case 'n':
		if err := atEnd(dec); err != nil {
			return nil, syntax(err)
		}
		return nil, ErrEmpty
	default:
		return nil, refuse(-1, fmt.Sprintf("must be a JSON array of events, got %s", kindName(tok.Kind())))
	}
	var (
		ws   []wire
		decs []decoded
	)
	for dec.PeekKind() != ']' {
		raw, err := dec.ReadValue()
		if err != nil {
			return nil, syntax(err)
		}
		ws = append(ws, wire{})
		decs = append(decs, decodeEvent(raw, &ws[len(ws)-1]))
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, syntax(err)
	}
	if err := atEnd(dec); err != nil {
		return nil, syntax(err)
	}
	return validateBatch(ws, func(i int) decoded { return decs[i] })
}

// atEnd returns nil at the end of the input, or what is wrong with what
// follows instead.
func atEnd(dec *jsontext.Decoder) error {
	_, err := dec.ReadToken()
	switch {
	case err == io.EOF:
		return nil
	case err == nil:
		return fmt.Errorf("a value after the batch, at byte %d", dec.InputOffset())
	}
	return err
}

// batchIndex is the event a pointer into a batch points into, or -1.
func batchIndex(ptr jsontext.Pointer) int {
	for tok := range ptr.Tokens() {
		if n, err := strconv.Atoi(tok); err == nil && isIndex(tok) {
			return n
		}
		return -1
	}
	return -1
}

// validateBatch validates every event; dec is what decoding found of
// event i.
func validateBatch(ws []wire, dec func(i int) decoded) ([]Event, error) {
	if len(ws) == 0 {
		return nil, ErrEmpty
	}
	if len(ws) > MaxBatch {
		return nil, &ValidationError{Fields: []FieldError{{Index: -1, Field: "body",
			Detail: fmt.Sprintf("batch of %d events exceeds the limit of %d", len(ws), MaxBatch)}}}
	}
	events := make([]Event, len(ws))
	var fields []FieldError
	for i := range ws {
		d := dec(i)
		if d.fatal {
			fields = append(fields, withIndex(d.problems, i)...)
			continue
		}
		ev, fe := ws[i].event(i, d)
		events[i] = ev
		fields = append(fields, fe...)
	}
	if len(fields) > 0 {
		return nil, &ValidationError{Fields: fields}
	}
	return events, nil
}
