package redact

import (
	"slices"
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	tests := []struct {
		raw, want string
		secrets   []string // must not survive
	}{
		{"redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0", nil},
		{"redis://cache:pw-0b3e@10.0.0.1:6379/0", "redis://cache:xxxxx@10.0.0.1:6379/0", []string{"pw-0b3e"}},
		{"nats://s3cr3t-token@nats:4222", "nats://xxxxx@nats:4222", []string{"s3cr3t-token"}},
		{"redis://h:26379?master_name=m&password=qp-7a1f&addr=h2:26379", "redis://h:26379?addr=h2%3A26379&master_name=m&password=xxxxx", []string{"qp-7a1f"}},
		{"rediss://u:p@h:6379?sentinel_password=sp-99&db=1", "rediss://u:xxxxx@h:6379?db=1&sentinel_password=xxxxx", []string{"sp-99"}},
		// Unparsable: the user information and the query go, whatever they hold.
		{"redis://u:pw-9c@127.0.0.1:notaport", "redis://xxxxx@127.0.0.1:notaport", []string{"pw-9c", "u:"}},
		{"redis://u:p w@h:1?password=q", "redis://xxxxx@h:1?xxxxx", []string{"p w", "password=q"}},
		{"u:pw-opaque@127.0.0.1:6379", "xxxxx@127.0.0.1:6379", []string{"pw-opaque"}},
		{"tok-en@host", "xxxxx@host", []string{"tok-en"}},
		{"127.0.0.1:1", "127.0.0.1:1", nil},
		{"unix://u:pw-unix@/run/redis.sock", "unix://u:xxxxx@/run/redis.sock", []string{"pw-unix"}},
		{"contoso.service-now.com", "contoso.service-now.com", nil},
		// Lists: each entry on its own.
		{"nats://a:pa-1@h1:4222, nats://h2:4222", "nats://a:xxxxx@h1:4222,nats://h2:4222", []string{"pa-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got := URL(tt.raw)
			if got != tt.want {
				t.Errorf("URL(%q) = %q, want %q", tt.raw, got, tt.want)
			}
			for _, s := range tt.secrets {
				if strings.Contains(got, s) {
					t.Errorf("URL(%q) = %q keeps %q", tt.raw, got, s)
				}
			}
		})
	}
}

func TestURLSecrets(t *testing.T) {
	tests := []struct {
		raw  string
		want []string
	}{
		{"redis://h:6379", nil},
		{"redis://cache:pw-0b3e@h:6379", []string{"pw-0b3e"}},
		{"nats://tok@h, nats://u:p2@h2", []string{"tok", "p2"}},
		{"redis://h?password=qp&db=1", []string{"qp"}},
		{"redis://u:pw-9c@127.0.0.1:notaport", []string{"u:pw-9c", "pw-9c"}},
		{"u:pw@h:1?password=qp", []string{"qp", "u:pw", "pw"}},
	}
	for _, tt := range tests {
		got := URLSecrets(tt.raw)
		slices.Sort(got)
		want := slices.Clone(tt.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("URLSecrets(%q) = %q, want %q", tt.raw, got, want)
		}
	}
}

func TestSecrets(t *testing.T) {
	got := Secrets("token abcdefgh and abcdefgh-longer; pw x",
		"abcdefgh", "abcdefgh-longer", "x", "")
	if want := "token xxxxx and xxxxx; pw x"; got != want {
		t.Fatalf("Secrets = %q, want %q", got, want)
	}
}

// FuzzURL: whatever raw is, every credential position of the redacted
// URL holds the mask, and nothing else.
func FuzzURL(f *testing.F) {
	for _, s := range []string{"redis://u:p@h:1/0?password=q", "u:p@h", "nats://t@h,nats://h2", "redis://u:p w@h", "a@b@c/d?e=f&password=g"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got := URL(raw)
		for _, s := range URLSecrets(got) {
			if s != Mask {
				t.Fatalf("URL(%q) = %q still holds %q", raw, got, s)
			}
		}
	})
}

func TestText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"no url here", "no url here"},
		{`token endpoint http://u:pw-1@127.0.0.1:1/t/oauth2/token: Post "http://u:***@127.0.0.1:1/t": refused`,
			`token endpoint http://xxxxx@127.0.0.1:1/t/oauth2/token: Post "http://xxxxx@127.0.0.1:1/t": refused`},
		{"dial redis://h:1/0?db=1&password=pw-2 failed", "dial redis://h:1/0?db=1&password=xxxxx failed"},
		{"a nats://tok@h:4222, b nats://h2", "a nats://xxxxx@h:4222, b nats://h2"},
		{"ends with ://", "ends with ://"},
	}
	for _, tt := range tests {
		if got := Text(tt.in); got != tt.want {
			t.Errorf("Text(%q)\n = %q\nwant %q", tt.in, got, tt.want)
		}
	}
}
