package event

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
)

// takesFast reports whether the hand-written scanner reads body by itself,
// without handing it to jsonv2.Unmarshal.
func takesFast(body []byte) bool {
	var w wire
	s := scanner{b: body, s: string(body)}
	return s.wire(&w) && s.end()
}

// Every example in testdata, and the same event as Marshal writes it (the
// outbox and publish write events that way), takes the fast path: the
// events ServiceNow sends must not fall back to reflection unnoticed.
func TestFastPathTakesEveryExample(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples in testdata (%v)", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !takesFast(b) {
			t.Errorf("%s falls back to reflection", name)
		}
		ev, err := Decode(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out, err := ev.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if !takesFast(out) {
			t.Errorf("%s, as Marshal writes it, falls back to reflection: %s", name, out)
		}
	}
}

// A wire with every field set takes the fast path: a member added to the
// wire type (or to Data and below) but not to the scanner fails here rather
// than silently costing every event a reflective decode. Ticks are the one
// exception, on purpose: a few internal events a minute, with a time the
// scanner does not parse, left to jsonv2.
func TestFastPathKnowsEveryField(t *testing.T) {
	var w wire
	fill(t, reflect.ValueOf(&w).Elem())
	tick := w.Data.Tick
	w.Data.Tick = nil
	body, err := jsonv2.Marshal(&w)
	if err != nil {
		t.Fatal(err)
	}
	if !takesFast(body) {
		t.Fatalf("a wire with every field set falls back to reflection; teach the scanner (fast.go) the new member:\n%s", body)
	}
	var fast, slow wire
	if _, err := decodeFast(body, &fast); err != nil {
		t.Fatal(err)
	}
	if err := jsonv2.Unmarshal(body, &slow); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fast, slow) || !reflect.DeepEqual(fast, w) {
		t.Fatalf("fast decoded %#v\nwant %#v", fast, w)
	}
	w.Data.Tick = tick
	if body, _ = jsonv2.Marshal(&w); takesFast(body) {
		t.Fatal("the scanner now reads ticks: drop the exception above")
	}
}

// fill sets every field under v to a plain, non-zero value.
func fill(t *testing.T, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.String:
		v.SetString("x-" + v.Type().Name())
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.String {
			t.Fatalf("a slice of %s: fill knows only strings", v.Type().Elem())
		}
		v.Set(reflect.ValueOf([]string{"a", "b"}).Convert(v.Type()))
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem())
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 11, 25, 11, 30, 0, 0, time.UTC)))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(t, v.Field(i))
			}
		}
	default:
		t.Fatalf("a %s field: fill does not know it", v.Kind())
	}
}
