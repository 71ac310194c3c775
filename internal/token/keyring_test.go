package token

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

func TestParseKey(t *testing.T) {
	key := bytes.Repeat([]byte{0xfb}, 32)
	tests := []struct {
		name, in string
		wantErr  string
	}{
		{"standard base64", base64.StdEncoding.EncodeToString(key), ""},
		{"unpadded url base64 with newline", base64.RawURLEncoding.EncodeToString(key) + "\n", ""},
		{"empty", "", "empty"},
		{"not base64", "this is not base64!!", "not valid base64"},
		{"16 bytes", base64.StdEncoding.EncodeToString(key[:16]), "16 bytes, want 32"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseKey(tt.in)
			if tt.wantErr == "" {
				if err != nil || !bytes.Equal(got, key) {
					t.Fatalf("ParseKey = %x, %v", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if tt.in != "" && strings.Contains(err.Error(), strings.TrimSpace(tt.in)) {
				t.Fatalf("error repeats the key: %v", err)
			}
		})
	}
}

func TestKeyringRotation(t *testing.T) {
	k1, k2 := GenerateKey(), GenerateKey()
	old, err := NewKeyring(k1)
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := NewKeyring(k2, k1)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewKeyring(GenerateKey())
	aad := []byte("escalator:token:abc")
	plain := []byte("payload")

	a, b := old.seal(plain, aad), old.seal(plain, aad)
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same value are equal: nonce reused")
	}
	if !strings.HasPrefix(string(a), old.CurrentID()) || len(old.CurrentID()) != 8 {
		t.Fatalf("value does not start with the key id %q", old.CurrentID())
	}
	tests := []struct {
		name    string
		ring    *Keyring
		sealed  []byte
		aad     []byte
		wantErr bool
	}{
		{"same key", old, a, aad, false},
		{"old key on a rotated ring", rotated, a, aad, false},
		{"new key on a rotated ring", rotated, rotated.seal(plain, aad), aad, false},
		{"unknown key", other, a, aad, true},
		{"value moved to another key", old, a, []byte("escalator:token:def"), true},
		{"tampered", old, append(append([]byte{}, a[:len(a)-1]...), a[len(a)-1]^1), aad, true},
		{"truncated", old, a[:10], aad, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.ring.open(tt.sealed, tt.aad)
			if tt.wantErr != (err != nil) {
				t.Fatalf("open = %q, %v; want error %v", got, err, tt.wantErr)
			}
			if err == nil && !bytes.Equal(got, plain) {
				t.Fatalf("open = %q", got)
			}
		})
	}
	if _, err := NewKeyring(k1[:31]); err == nil {
		t.Fatal("NewKeyring accepted a 31-byte key")
	}
}

func TestCachedRoundTrip(t *testing.T) {
	now := time.Unix(1_750_000_000, 123)
	in := cached{tok: Token{AccessToken: "tok", Expiry: now.Add(time.Hour), RefreshAt: now.Add(50 * time.Minute)}, usable: now.Add(59 * time.Minute)}
	out, err := decodeCached(in.encode())
	if err != nil {
		t.Fatal(err)
	}
	if out.tok.AccessToken != "tok" || !out.tok.Expiry.Equal(in.tok.Expiry) || !out.tok.RefreshAt.Equal(in.tok.RefreshAt) || !out.usable.Equal(in.usable) {
		t.Fatalf("round trip: %+v != %+v", out, in)
	}
}

func TestTokenRedacts(t *testing.T) {
	tok := Token{AccessToken: "secret-token", Expiry: time.Unix(0, 0)}
	for _, s := range []string{tok.String(), tok.GoString(), tok.LogValue().String()} {
		if strings.Contains(s, "secret-token") {
			t.Fatalf("%q leaks the token", s)
		}
	}
}

// FuzzOpenCached feeds arbitrary Redis values to the decoder: it must never
// panic, whatever another writer (or an attacker with Redis access) stored.
func FuzzOpenCached(f *testing.F) {
	ring, _ := NewKeyring(bytes.Repeat([]byte{1}, 32))
	aad := []byte("escalator:token:x")
	now := time.Unix(1_750_000_000, 0)
	good := cached{tok: Token{AccessToken: "t", Expiry: now.Add(time.Hour), RefreshAt: now}, usable: now}
	f.Add(ring.seal(good.encode(), aad))
	f.Add(good.encode())
	f.Add([]byte("0123456789"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if plain, err := ring.open(b, aad); err == nil {
			_, _ = decodeCached(plain)
		}
		if c, err := decodeCached(b); err == nil && c.tok.RefreshAt.After(c.tok.Expiry) {
			t.Fatalf("decoded inconsistent times %+v", c)
		}
	})
}
