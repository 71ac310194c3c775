package escalation

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDirectoryDecode feeds Graph-shaped answers to the decoders of
// LookupUser and DirectoryRoles: they must fail cleanly, never panic.
func FuzzDirectoryDecode(f *testing.F) {
	for _, name := range []string{"user_default.json", "user_select.json", "memberof_page1.json", "memberof_page2.json", "error_not_found.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", "directory", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var u User
		_ = json.Unmarshal(data, &u)
		var p memberOfPage
		if json.Unmarshal(data, &p) == nil {
			for _, m := range p.Value {
				_ = IsAdminRole(m.Role)
			}
		}
	})
}
