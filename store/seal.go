package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// The sealed-record format, version 1:
//
//	offset  size  field
//	0       1     format byte, sealFormatV1 (0x01)
//	1       1     key id: the first byte of SHA-256(keyIDLabel || master key)
//	2       12    nonce, fresh from crypto/rand for every seal
//	14      n+16  AES-256-GCM ciphertext of the n-byte API key, then the tag
//
// The associated data (authenticated, not stored) is
//
//	aadLabel || format byte || key id || uvarint(len(team)) || team || uvarint(len(channel)) || channel
//
// so a ciphertext opens only for the team and channel it was sealed for,
// and the header bytes cannot be changed without the tag failing.
//
// The key id is derived from the key itself rather than from its position in
// PDBOT_MASTER_KEY, so keys can be added to or dropped from the list without
// renumbering. One byte can collide (two keys in a ring share an id with
// probability about 1/256 per pair); Open therefore tries every key with the
// matching id, and GCM's tag tells the right one apart. The id is one byte of
// a hash and reveals nothing useful about the key.
const (
	sealFormatV1 = 0x01

	masterKeySize = 32 // AES-256
	nonceSize     = 12 // GCM standard nonce
	tagSize       = 16 // GCM tag
	headerSize    = 2 + nonceSize

	keyIDLabel = "pdbot master key id v1\x00"
	aadLabel   = "pdbot sealed api key v1\x00"
)

// ErrCannotUnseal is returned when a sealed key does not open: no master key
// in the ring fits, the record was tampered with or moved to another team or
// channel, or the bytes are not a sealed record at all.
var ErrCannotUnseal = errors.New("store: sealed key cannot be opened with the master key ring")

// KeyRing holds the master keys that seal and open API keys. The first key is
// the newest: it seals; every key opens. A KeyRing is safe for concurrent use
// and never prints its keys (see Format).
type KeyRing struct {
	keys []ringKey // newest first
}

type ringKey struct {
	id   byte
	aead cipher.AEAD
}

// ParseKeyRing parses PDBOT_MASTER_KEY: the standard base64 encoding of a
// 32-byte key, or a comma-separated list of them, newest first. Errors name
// the entry at fault (the caller names the variable) and never contain key
// material.
func ParseKeyRing(s string) (*KeyRing, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("empty; want base64 of %d bytes (pdbot keygen prints one)", masterKeySize)
	}
	entries := strings.Split(s, ",")
	raw := make([][]byte, 0, len(entries))
	for i, e := range entries {
		n := i + 1
		e = strings.TrimSpace(e)
		if e == "" {
			return nil, fmt.Errorf("entry %d is empty", n)
		}
		b, err := base64.StdEncoding.DecodeString(e)
		if err != nil {
			// CorruptInputError carries only an offset, never input bytes.
			return nil, fmt.Errorf("entry %d is not standard base64: %w", n, err)
		}
		if len(b) != masterKeySize {
			return nil, fmt.Errorf("entry %d is %d bytes, want %d", n, len(b), masterKeySize)
		}
		for j, prev := range raw {
			if string(prev) == string(b) {
				return nil, fmt.Errorf("entry %d repeats entry %d", n, j+1)
			}
		}
		raw = append(raw, b)
	}
	return newKeyRing(raw)
}

// newKeyRing builds a ring from raw 32-byte keys, newest first.
func newKeyRing(keys [][]byte) (*KeyRing, error) {
	r := &KeyRing{keys: make([]ringKey, 0, len(keys))}
	for _, k := range keys {
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("master key: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("master key: %w", err)
		}
		r.keys = append(r.keys, ringKey{id: keyID(k), aead: aead})
	}
	return r, nil
}

// keyID is the key-version byte of a master key.
func keyID(key []byte) byte {
	h := sha256.New()
	h.Write([]byte(keyIDLabel))
	h.Write(key)
	return h.Sum(nil)[0]
}

// GenerateMasterKey returns a new random master key encoded for
// PDBOT_MASTER_KEY. It backs `pdbot keygen`.
func GenerateMasterKey() (string, error) {
	b := make([]byte, masterKeySize)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate master key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// Len reports how many master keys the ring holds.
func (r *KeyRing) Len() int { return len(r.keys) }

// String implements fmt.Stringer without revealing any key. It and the
// other printing methods have value receivers so that a KeyRing printed by
// value is as safe as one printed through a pointer.
func (r KeyRing) String() string { return fmt.Sprintf("<keyring: %d keys>", len(r.keys)) }

// GoString implements fmt.GoStringer so %#v is safe too.
func (r KeyRing) GoString() string { return r.String() }

// Format implements fmt.Formatter so that every verb (%v, %+v, %x, %d, …)
// prints the same key-free summary as String.
func (r KeyRing) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(r.String())) }

// MarshalText keeps the ring out of text encodings (zap, JSON, YAML).
func (r KeyRing) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// aad returns the associated data that binds a sealed record to its owner.
func aad(format, id byte, team, channel string) []byte {
	b := make([]byte, 0, len(aadLabel)+2+2*binary.MaxVarintLen64+len(team)+len(channel))
	b = append(b, aadLabel...)
	b = append(b, format, id)
	b = binary.AppendUvarint(b, uint64(len(team)))
	b = append(b, team...)
	b = binary.AppendUvarint(b, uint64(len(channel)))
	b = append(b, channel...)
	return b
}

// seal encrypts plaintext under the newest master key for team and channel.
func (r *KeyRing) seal(plaintext []byte, team, channel string) ([]byte, error) {
	nonce := make([]byte, nonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal: nonce: %w", err)
	}
	return r.sealWithNonce(nonce, plaintext, team, channel), nil
}

// sealWithNonce is seal with a caller-chosen nonce. Only seal and the golden
// test call it: reusing a nonce under one key breaks GCM.
func (r *KeyRing) sealWithNonce(nonce, plaintext []byte, team, channel string) []byte {
	k := r.keys[0]
	out := make([]byte, headerSize, headerSize+len(plaintext)+tagSize)
	out[0] = sealFormatV1
	out[1] = k.id
	copy(out[2:headerSize], nonce)
	return k.aead.Seal(out, nonce, plaintext, aad(sealFormatV1, k.id, team, channel))
}

// open decrypts a sealed record of team and channel. It also returns the
// position in the ring of the key that opened it (0 is the newest), which
// tells Reseal whether the record needs rewriting. Every failure wraps
// ErrCannotUnseal and says nothing about the plaintext.
func (r *KeyRing) open(sealed []byte, team, channel string) (plaintext []byte, keyIndex int, err error) {
	if len(sealed) < headerSize+tagSize {
		return nil, -1, fmt.Errorf("%w: record is %d bytes, too short", ErrCannotUnseal, len(sealed))
	}
	if sealed[0] != sealFormatV1 {
		return nil, -1, fmt.Errorf("%w: unknown format byte 0x%02x", ErrCannotUnseal, sealed[0])
	}
	id := sealed[1]
	nonce := sealed[2:headerSize]
	ad := aad(sealed[0], id, team, channel)
	tried := 0
	for i, k := range r.keys {
		if k.id != id {
			continue
		}
		tried++
		pt, err := k.aead.Open(nil, nonce, sealed[headerSize:], ad)
		if err == nil {
			return pt, i, nil
		}
	}
	if tried == 0 {
		return nil, -1, fmt.Errorf("%w: no master key with id 0x%02x in the ring", ErrCannotUnseal, id)
	}
	return nil, -1, fmt.Errorf("%w: authentication failed (wrong team or channel, or tampered)", ErrCannotUnseal)
}

// keyAge is where a sealed record stands against a ring, for KeyCensus.
type keyAge int

const (
	ageNewest  keyAge = iota // sealed under the ring's newest key
	ageOlder                 // under another key of the ring
	ageUnknown               // under no key of the ring, or not a sealed record
)

// age classifies a sealed record of team and channel by the key of the
// ring that opens it. The key-id byte alone cannot tell: it is one byte, so
// a record sealed under a key outside the ring can carry the id of one in
// it (1 in 256), and only opening (authenticating) the record says which
// key sealed it. The plaintext is wiped at once.
func (r *KeyRing) age(sealed []byte, team, channel string) keyAge {
	pt, idx, err := r.open(sealed, team, channel)
	clear(pt)
	switch {
	case err != nil:
		return ageUnknown
	case idx == 0:
		return ageNewest
	}
	return ageOlder
}

// count adds a record of age a to c.
func (c *KeyCensus) count(a keyAge) {
	switch a {
	case ageNewest:
		c.Newest++
	case ageOlder:
		c.Older++
	default:
		c.Unknown++
	}
}
