package event

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// decoded is what decoding an event found besides its fields.
type decoded struct {
	// problems are the values it could not read, each named by its place
	// in the event.
	problems []FieldError
	// fatal is set for malformed JSON: nothing else can be said.
	fatal bool
	// attrsPrintable and dataPrintable report that the scanner read every
	// string of the attributes, and of the data, as printable ASCII: their
	// characters need no second look.
	attrsPrintable, dataPrintable bool
}

// decodeEvent decodes body, one structured event, into w: the one decoder
// of an event in every mode (structured, each event of a batch, and, by
// decodeData, the data of binary mode). JSON is read as RFC 7493 I-JSON: a
// duplicate member name or invalid UTF-8 is malformed, as jsonv2.Unmarshal
// has it; the plain shape is read by the scanner (fast.go).
//
// After a fatal problem w is zero; after others, values of the wrong type,
// w holds everything else.
func decodeEvent(body []byte, w *wire) decoded {
	printable, err := decodeFast(body, w)
	if err != nil {
		problems, fatal := decodeSlow(body, w, "body", err)
		return decoded{problems: problems, fatal: fatal}
	}
	return decoded{attrsPrintable: printable, dataPrintable: printable}
}

// decodeData is decodeEvent for the data of a binary-mode event.
func decodeData(body []byte, d **Data) decoded {
	printable, err := decodeFastData(body, d)
	if err != nil {
		problems, fatal := decodeSlow(body, d, "data", err)
		return decoded{problems: problems, fatal: fatal}
	}
	return decoded{dataPrintable: printable}
}

// decodeSlow names what jsonv2.Unmarshal refused in body (err), decoding
// into dst what can be. root names dst in errors: "body" for an event,
// "data" for binary-mode data.
func decodeSlow[T any](body []byte, dst *T, root string, err error) (problems []FieldError, fatal bool) {
	var zero T
	*dst = zero
	if se := syntaxError(body, err); se != nil {
		return []FieldError{{Index: -1, Field: "body", Detail: malformed(se)}}, true
	}
	// Well-formed, with a value of the wrong type: decode again, noting
	// each such value and going on, to report every wrong field at once.
	problems, lerr := decodeLenient(body, dst, root)
	if lerr != nil || len(problems) == 0 {
		// Not a problem the lenient pass knows: refuse it as jsonv2 did.
		*dst = zero
		field := root
		var me *jsonv2.SemanticError
		if errors.As(err, &me) {
			field = fieldName(root, me.JSONPointer)
		}
		return []FieldError{{Index: -1, Field: field, Detail: strings.TrimPrefix(err.Error(), "json: ")}}, true
	}
	// An event that is not an object has nothing else to check.
	return problems, problems[0].Field == "body"
}

// syntaxError returns the syntactic error of body, or nil if it is
// well-formed I-JSON. err is what decoding returned.
func syntaxError(body []byte, err error) *jsontext.SyntacticError {
	var se *jsontext.SyntacticError
	if errors.As(err, &se) {
		return se
	}
	if jsontext.Value(body).IsValid() {
		return nil
	}
	// A value of the wrong type came before the syntax error.
	var v jsontext.Value
	if errors.As(jsonv2.Unmarshal(body, &v), &se) {
		return se
	}
	return &jsontext.SyntacticError{Err: errors.New("invalid JSON")}
}

func malformed(se *jsontext.SyntacticError) string {
	return "malformed JSON: " + strings.TrimPrefix(se.Error(), "jsontext: ")
}

var (
	typeString = reflect.TypeFor[*string]()
	typeTime   = reflect.TypeFor[*time.Time]()
)

// decodeLenient decodes well-formed body into dst as jsonv2.Unmarshal
// does, except that a value of the wrong type is skipped and returned as
// a problem named by its place.
func decodeLenient[T any](body []byte, dst *T, root string) ([]FieldError, error) {
	var problems []FieldError
	note := func(dec *jsontext.Decoder, detail string) {
		problems = append(problems, FieldError{Index: -1, Field: fieldName(root, dec.StackPointer()), Detail: detail})
	}
	lenient := jsonv2.UnmarshalFromFunc(func(dec *jsontext.Decoder, v any) error {
		kind := dec.PeekKind()
		want := wantKind(reflect.TypeOf(v))
		if want == 0 || kind == 'n' {
			return errors.ErrUnsupported // the default decoding
		}
		if want == 't' {
			raw, err := dec.ReadValue()
			if err != nil {
				return err
			}
			if jsonv2.Unmarshal(raw, v) != nil {
				note(dec, "must be an RFC 3339 timestamp, e.g. 2026-11-25T09:14:03Z")
			}
			return nil
		}
		if kind == want {
			return errors.ErrUnsupported
		}
		if err := dec.SkipValue(); err != nil {
			return err
		}
		note(dec, fmt.Sprintf("must be a JSON %s, got %s", kindName(want), kindName(kind)))
		return nil
	})
	err := unmarshal(body, dst, jsonv2.WithUnmarshalers(lenient))
	return problems, err
}

// wantKind is the JSON kind a value of pointer type t is decoded from:
// 't' for a timestamp, 0 for any.
func wantKind(t reflect.Type) jsontext.Kind {
	switch {
	case t == typeString:
		return '"'
	case t == typeTime:
		return 't'
	}
	switch e := t.Elem(); e.Kind() {
	case reflect.Slice:
		return '['
	case reflect.Struct:
		return '{'
	case reflect.Pointer:
		return wantKind(e)
	}
	return 0
}

func kindName(k jsontext.Kind) string {
	switch k {
	case '"':
		return "string"
	case '0':
		return "number"
	case 't', 'f':
		return "boolean"
	case '{':
		return "object"
	case '[':
		return "array"
	}
	return "null"
}

// fieldName names the value at ptr under root as errors do:
// "data.requested_by.roles[1]"; the event itself is "body".
func fieldName(root string, ptr jsontext.Pointer) string {
	var b strings.Builder
	if root != "body" {
		b.WriteString(root)
	}
	for tok := range ptr.Tokens() {
		if isIndex(tok) {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	if b.Len() == 0 {
		return root
	}
	return b.String()
}

func isIndex(tok string) bool {
	if tok == "" {
		return false
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] < '0' || tok[i] > '9' {
			return false
		}
	}
	return true
}
