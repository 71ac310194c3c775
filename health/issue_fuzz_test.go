package health

import (
	"os"
	"path/filepath"
	"testing"
)

func FuzzDecodeIssue(f *testing.F) {
	files, _ := filepath.Glob("testdata/issue*.json")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"id":"X","endDateTime":null,"posts":[{"description":null}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		is, err := decodeIssue(b)
		if err == nil {
			if is.ID == "" {
				t.Fatal("issue without id accepted")
			}
			if ParseStatus(string(is.Status)) != is.Status || ParseClassification(string(is.Classification)) != is.Classification {
				t.Fatalf("parse not idempotent: %q %q", is.Status, is.Classification)
			}
		}
		issues, _, err := decodeIssuePage(b)
		if err == nil {
			for _, is := range issues {
				if is.ID == "" {
					t.Fatal("page item without id accepted")
				}
			}
		}
	})
}
