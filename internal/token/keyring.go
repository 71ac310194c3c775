package token

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// KeySize is the length of a token encryption key: AES-256.
const KeySize = 32

// ParseKey decodes ESCALATOR_TOKEN_KEY: base64 (standard or URL alphabet,
// padded or not) of exactly 32 bytes. The error never repeats the value.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("token key is empty: want base64 of 32 random bytes (e.g. `openssl rand -base64 32`)")
	}
	var key []byte
	var err error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if key, err = enc.DecodeString(s); err == nil {
			break
		}
	}
	if err != nil {
		return nil, errors.New("token key is not valid base64: want base64 of 32 random bytes (e.g. `openssl rand -base64 32`)")
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("token key decodes to %d bytes, want %d (e.g. `openssl rand -base64 32`)", len(key), KeySize)
	}
	return key, nil
}

// GenerateKey returns a random key, for `escalator dev` and tests.
func GenerateKey() []byte {
	k := make([]byte, KeySize)
	_, _ = rand.Read(k) // crypto/rand.Read never fails (Go 1.24+).
	return k
}

// Keyring encrypts cached tokens under its current key and decrypts values
// written under the current or any older key, so a key can be rotated
// without emptying the cache: deploy the new key as an older key everywhere,
// then make it current. Each value names its key by an id (the first 8 hex
// digits of the key's SHA-256), which reveals nothing about the key.
type Keyring struct {
	current keyEntry
	byID    map[string]cipher.AEAD
}

type keyEntry struct {
	id   string
	aead cipher.AEAD
}

const keyIDLen = 8

// NewKeyring returns a Keyring writing with current and reading with current
// and older.
func NewKeyring(current []byte, older ...[]byte) (*Keyring, error) {
	k := &Keyring{byID: make(map[string]cipher.AEAD)}
	for i, key := range append([][]byte{current}, older...) {
		if len(key) != KeySize {
			return nil, fmt.Errorf("token key %d is %d bytes, want %d", i, len(key), KeySize)
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("token key %d: %w", i, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("token key %d: %w", i, err)
		}
		sum := sha256.Sum256(key)
		id := hex.EncodeToString(sum[:])[:keyIDLen]
		if i == 0 {
			k.current = keyEntry{id: id, aead: aead}
		}
		if _, dup := k.byID[id]; !dup {
			k.byID[id] = aead
		}
	}
	return k, nil
}

// CurrentID is the id of the key new values are written under.
func (k *Keyring) CurrentID() string { return k.current.id }

// seal encrypts plain as: key id (8 ASCII hex) | nonce (12) | ciphertext+tag,
// with a fresh random nonce; aad (the Redis key) binds the value to its key.
func (k *Keyring) seal(plain, aad []byte) []byte {
	a := k.current.aead
	out := make([]byte, keyIDLen+a.NonceSize(), keyIDLen+a.NonceSize()+len(plain)+a.Overhead())
	copy(out, k.current.id)
	_, _ = rand.Read(out[keyIDLen:])
	return a.Seal(out, out[keyIDLen:], plain, aad)
}

// errUnknownKey: the value was written under a key this ring does not hold.
var errUnknownKey = errors.New("token cache value written under an unknown key")

// open decrypts what seal wrote.
func (k *Keyring) open(sealed, aad []byte) ([]byte, error) {
	if len(sealed) < keyIDLen {
		return nil, errors.New("token cache value too short")
	}
	a, ok := k.byID[string(sealed[:keyIDLen])]
	if !ok {
		return nil, errUnknownKey
	}
	rest := sealed[keyIDLen:]
	if len(rest) < a.NonceSize()+a.Overhead() {
		return nil, errors.New("token cache value too short")
	}
	plain, err := a.Open(nil, rest[:a.NonceSize()], rest[a.NonceSize():], aad)
	if err != nil {
		return nil, errors.New("token cache value does not decrypt")
	}
	return plain, nil
}

// cached is what Redis holds for an identity, before encryption.
type cached struct {
	tok    Token
	usable time.Time // the writer's expiry minus skew
}

// payloadVersion leads the plaintext so the layout can change.
const payloadVersion = 1

// encode lays cached out as version | expiry | refresh at | usable (Unix
// nanoseconds, 8 bytes each, big endian) | access token.
func (c cached) encode() []byte {
	b := make([]byte, 0, 1+24+len(c.tok.AccessToken))
	b = append(b, payloadVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(c.tok.Expiry.UnixNano()))
	b = binary.BigEndian.AppendUint64(b, uint64(c.tok.RefreshAt.UnixNano()))
	b = binary.BigEndian.AppendUint64(b, uint64(c.usable.UnixNano()))
	return append(b, c.tok.AccessToken...)
}

// decodeCached reverses encode; it rejects anything it did not write.
func decodeCached(b []byte) (cached, error) {
	if len(b) < 1+24+1 || b[0] != payloadVersion {
		return cached{}, errors.New("token cache value: unknown layout")
	}
	t := func(off int) time.Time { return time.Unix(0, int64(binary.BigEndian.Uint64(b[off:]))) }
	c := cached{
		tok:    Token{Expiry: t(1), RefreshAt: t(9), AccessToken: string(b[25:])},
		usable: t(17),
	}
	if c.tok.RefreshAt.After(c.tok.Expiry) || c.usable.After(c.tok.Expiry) {
		return cached{}, errors.New("token cache value: inconsistent times")
	}
	return c, nil
}
