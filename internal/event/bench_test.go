package event

import (
	"encoding/json"
	"strings"
	"testing"
)

func BenchmarkDecode(b *testing.B) {
	body := readExample(b, "escalation-requested.json")
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := Decode(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeBatch decodes a batch of 100 examples, as ingest does.
func BenchmarkDecodeBatch(b *testing.B) {
	one := string(readExample(b, "escalation-requested.json"))
	body := []byte("[" + strings.TrimSuffix(strings.Repeat(one+",", 100), ",") + "]")
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := DecodeBatch(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeBinary decodes the example in binary mode.
func BenchmarkDecodeBinary(b *testing.B) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(readExample(b, "escalation-requested.json"), &m); err != nil {
		b.Fatal(err)
	}
	h := exampleHeader("bin-1", TypeEscalation)
	h.Set("Content-Type", "application/json")
	body := []byte(m["data"])
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := DecodeBinary(h, body); err != nil {
			b.Fatal(err)
		}
	}
}
