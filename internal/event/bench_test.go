package event

import "testing"

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
