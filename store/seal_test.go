package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// testKey returns a deterministic 32-byte master key.
func testKey(seed byte) []byte {
	k := make([]byte, masterKeySize)
	for i := range k {
		k[i] = seed + byte(i)
	}
	return k
}

func testRing(t testing.TB, keys ...[]byte) *KeyRing {
	t.Helper()
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = base64.StdEncoding.EncodeToString(k)
	}
	r, err := ParseKeyRing(strings.Join(parts, ","))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSealRoundTrip(t *testing.T) {
	r := testRing(t, testKey(1))
	for _, pt := range []string{"", "x", "u+abcdefghijklmnopqrs", strings.Repeat("k", 4096)} {
		sealed, err := r.seal([]byte(pt), "T1", "C1")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(sealed), headerSize+len(pt)+tagSize; got != want {
			t.Errorf("sealed length %d, want %d", got, want)
		}
		got, idx, err := r.open(sealed, "T1", "C1")
		if err != nil {
			t.Fatalf("open(seal(%d bytes)): %v", len(pt), err)
		}
		if string(got) != pt || idx != 0 {
			t.Errorf("open(seal(%d bytes)) = %d bytes, key %d", len(pt), len(got), idx)
		}
	}
}

func TestSealFreshNonce(t *testing.T) {
	r := testRing(t, testKey(1))
	a, _ := r.seal([]byte("same"), "T1", "C1")
	b, _ := r.seal([]byte("same"), "T1", "C1")
	if bytes.Equal(a[2:headerSize], b[2:headerSize]) || bytes.Equal(a, b) {
		t.Error("two seals of the same plaintext share a nonce")
	}
}

func TestSealHeader(t *testing.T) {
	k := testKey(7)
	sealed, err := testRing(t, k).seal([]byte("key"), "T1", "C1")
	if err != nil {
		t.Fatal(err)
	}
	if sealed[0] != sealFormatV1 {
		t.Errorf("format byte 0x%02x, want 0x%02x", sealed[0], sealFormatV1)
	}
	sum := sha256.Sum256(append([]byte(keyIDLabel), k...))
	if sealed[1] != sum[0] {
		t.Errorf("key id 0x%02x, want 0x%02x (first byte of SHA-256(label || key))", sealed[1], sum[0])
	}
}

func TestOpenDetectsTampering(t *testing.T) {
	r := testRing(t, testKey(1))
	sealed, err := r.seal([]byte("u+abcdefghijklmnopqrs"), "T1", "C1")
	if err != nil {
		t.Fatal(err)
	}
	for i := range sealed {
		for _, mask := range []byte{0x01, 0x80} {
			bad := bytes.Clone(sealed)
			bad[i] ^= mask
			if pt, _, err := r.open(bad, "T1", "C1"); !errors.Is(err, ErrCannotUnseal) {
				t.Fatalf("byte %d ^ 0x%02x: open = %q, %v; want ErrCannotUnseal", i, mask, pt, err)
			}
		}
	}
	for _, n := range []int{0, 1, headerSize, headerSize + tagSize - 1, len(sealed) - 1} {
		if _, _, err := r.open(sealed[:n], "T1", "C1"); !errors.Is(err, ErrCannotUnseal) {
			t.Errorf("truncated to %d bytes: %v, want ErrCannotUnseal", n, err)
		}
	}
	if _, _, err := r.open(append(bytes.Clone(sealed), 0), "T1", "C1"); !errors.Is(err, ErrCannotUnseal) {
		t.Errorf("extended by a byte: %v, want ErrCannotUnseal", err)
	}
}

func TestOpenWrongRecord(t *testing.T) {
	r := testRing(t, testKey(1))
	sealed, err := r.seal([]byte("secret"), "T1", "2C")
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range []struct{ team, channel string }{
		{"T1", "C2"},
		{"T2", "2C"},
		{"T1", DefaultChannel},
		{"T12", "C"}, // same concatenation: length prefixes keep them apart
		{"T", "12C"},
		{"", "T12C"},
	} {
		if _, _, err := r.open(sealed, rec.team, rec.channel); !errors.Is(err, ErrCannotUnseal) {
			t.Errorf("open as %q/%q: %v, want ErrCannotUnseal", rec.team, rec.channel, err)
		}
	}
}

func TestAADIsUnambiguous(t *testing.T) {
	a := aad(1, 2, "T1", "2C")
	b := aad(1, 2, "T12", "C")
	if bytes.Equal(a, b) {
		t.Error("aad(T1, 2C) == aad(T12, C)")
	}
}

func TestUnknownFormatAndKey(t *testing.T) {
	r := testRing(t, testKey(1))
	sealed, _ := r.seal([]byte("secret"), "T1", "C1")

	bad := bytes.Clone(sealed)
	bad[0] = 0x02
	if _, _, err := r.open(bad, "T1", "C1"); !errors.Is(err, ErrCannotUnseal) || !strings.Contains(err.Error(), "format") {
		t.Errorf("format 0x02: %v, want ErrCannotUnseal naming the format", err)
	}
	other := testRing(t, testKey(99))
	if _, _, err := other.open(sealed, "T1", "C1"); !errors.Is(err, ErrCannotUnseal) || !strings.Contains(err.Error(), "no master key") {
		t.Errorf("open with an unrelated ring: %v, want ErrCannotUnseal saying no key fits", err)
	}
}

func TestKeyRotation(t *testing.T) {
	oldK, newK := testKey(1), testKey(2)
	oldRing := testRing(t, oldK)
	sealedOld, _ := oldRing.seal([]byte("secret"), "T1", "C1")

	both := testRing(t, newK, oldK)
	pt, idx, err := both.open(sealedOld, "T1", "C1")
	if err != nil || string(pt) != "secret" || idx != 1 {
		t.Fatalf("open old record with [new, old] = %q, %d, %v; want secret, 1", pt, idx, err)
	}
	sealedNew, _ := both.seal([]byte("secret"), "T1", "C1")
	if sealedNew[1] != keyID(newK) {
		t.Errorf("[new, old] sealed with key id 0x%02x, want the new key's 0x%02x", sealedNew[1], keyID(newK))
	}
	if _, idx, err := testRing(t, newK).open(sealedNew, "T1", "C1"); err != nil || idx != 0 {
		t.Errorf("open new record with [new] = %d, %v", idx, err)
	}
	if _, _, err := oldRing.open(sealedNew, "T1", "C1"); !errors.Is(err, ErrCannotUnseal) {
		t.Errorf("open new record with [old]: %v, want ErrCannotUnseal", err)
	}
	// Adding a key in front does not disturb the older ones: ids are not positions.
	three := testRing(t, testKey(3), newK, oldK)
	if _, idx, err := three.open(sealedOld, "T1", "C1"); err != nil || idx != 2 {
		t.Errorf("open old record with [newer, new, old] = %d, %v; want 2, nil", idx, err)
	}
}

func TestKeyIDCollision(t *testing.T) {
	// Find two keys whose one-byte ids collide; open must try both.
	a := testKey(1)
	var b []byte
	for seed := byte(2); ; seed++ {
		k := testKey(seed)
		k[31] = 0xee // differ from testKey(1) even when seeds wrap
		if keyID(k) == keyID(a) {
			b = k
			break
		}
		if seed == 255 {
			for i := range 1 << 16 {
				k[0], k[1] = byte(i), byte(i>>8)
				if keyID(k) == keyID(a) {
					b = k
					break
				}
			}
			break
		}
	}
	if b == nil {
		t.Fatal("no colliding key found")
	}
	sealed, _ := testRing(t, b).seal([]byte("secret"), "T1", "C1")
	pt, idx, err := testRing(t, a, b).open(sealed, "T1", "C1")
	if err != nil || string(pt) != "secret" || idx != 1 {
		t.Errorf("open under [a, b] with colliding ids = %q, %d, %v; want secret, 1", pt, idx, err)
	}
}

func TestParseKeyRingErrors(t *testing.T) {
	k32 := base64.StdEncoding.EncodeToString(testKey(1))
	k32b := base64.StdEncoding.EncodeToString(testKey(2))
	k16 := base64.StdEncoding.EncodeToString(testKey(3)[:16])
	k33 := base64.StdEncoding.EncodeToString(append(testKey(4), 9))
	for _, tc := range []struct {
		in, want string
	}{
		{"", "empty; want base64 of 32 bytes (pdbot keygen prints one)"},
		{"  ", "empty; want base64 of 32 bytes (pdbot keygen prints one)"},
		{k16, "entry 1 is 16 bytes, want 32"},
		{k32 + "," + k16, "entry 2 is 16 bytes, want 32"},
		{k33, "entry 1 is 33 bytes, want 32"},
		{k32 + ",", "entry 2 is empty"},
		{k32 + ",," + k32b, "entry 2 is empty"},
		{"not*base64!", "entry 1 is not standard base64: illegal base64 data at input byte 3"},
		{k32b + "," + strings.TrimRight(base64.URLEncoding.EncodeToString(testKey(250)), "=") + "_", "entry 2 is not standard base64"},
		{k32 + "," + k32b + "," + k32, "entry 3 repeats entry 1"},
	} {
		_, err := ParseKeyRing(tc.in)
		if err == nil {
			t.Errorf("ParseKeyRing(%.8q…): no error, want %q", tc.in, tc.want)
			continue
		}
		if !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("ParseKeyRing(%.8q…) error %q, want %q", tc.in, err, tc.want)
		}
		for _, part := range strings.Split(tc.in, ",") {
			if part = strings.TrimSpace(part); len(part) >= 8 && strings.Contains(err.Error(), part) {
				t.Errorf("error %q contains key material", err)
			}
		}
	}
}

func TestParseKeyRingAccepts(t *testing.T) {
	k1 := base64.StdEncoding.EncodeToString(testKey(1))
	k2 := base64.StdEncoding.EncodeToString(testKey(2))
	r, err := ParseKeyRing(" " + k1 + " , " + k2 + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if r.Len() != 2 || r.keys[0].id != keyID(testKey(1)) {
		t.Errorf("ring has %d keys, newest id 0x%02x", r.Len(), r.keys[0].id)
	}
}

func TestGenerateMasterKey(t *testing.T) {
	a, err := GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := GenerateMasterKey()
	if a == b {
		t.Error("two generated keys are equal")
	}
	raw, err := base64.StdEncoding.DecodeString(a)
	if err != nil || len(raw) != masterKeySize {
		t.Errorf("generated key decodes to %d bytes, %v", len(raw), err)
	}
	if _, err := ParseKeyRing(a + "," + b); err != nil {
		t.Errorf("ParseKeyRing(generated): %v", err)
	}
}

func TestNothingPrintsKeyMaterial(t *testing.T) {
	const plaintext = "u+CANARYpdKEYzz9Q7wX1"
	rawKey := testKey(42)
	encoded := base64.StdEncoding.EncodeToString(rawKey)
	ring, err := ParseKeyRing(encoded)
	if err != nil {
		t.Fatal(err)
	}
	secret := Secret(plaintext)
	type holder struct {
		Key  Secret
		Ring *KeyRing
	}
	h := holder{secret, ring}
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%t", "%10.3s"} {
		out = append(out, fmt.Sprintf(verb, secret), fmt.Sprintf(verb, ring), fmt.Sprintf(verb, *ring), fmt.Sprintf(verb, h), fmt.Sprintf(verb, &h))
	}
	out = append(out, fmt.Sprint(secret, ring), fmt.Sprintln(secret, ring))
	js, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, string(js))
	all := strings.Join(out, "\n")
	for _, needle := range []string{
		plaintext, hex.EncodeToString([]byte(plaintext)), encoded, encoded[:12],
		hex.EncodeToString(rawKey), string(rawKey), fmt.Sprint(rawKey[:8]),
	} {
		if strings.Contains(strings.ToLower(all), strings.ToLower(needle)) {
			t.Errorf("printed output holds key material %q:\n%s", needle, all)
		}
	}
	if !strings.Contains(all, "<secret>") || !strings.Contains(all, "<keyring: 1 keys>") {
		t.Errorf("printed output lacks the placeholders:\n%s", all)
	}
}

// The golden record pins the sealed format: a record sealed by this version
// must open in every later one. Regenerate with -update only on purpose.
func TestSealedGolden(t *testing.T) {
	const (
		team, channel = "T0001", "C0002"
		plaintext     = "u+EXAMPLEkey12345678"
	)
	r := testRing(t, testKey(0))
	nonce := []byte("fixed-nonce!") // 12 bytes
	sealed := r.sealWithNonce(nonce, []byte(plaintext), team, channel)
	got := fmt.Sprintf(`# pdbot sealed record, format 1 (see seal.go); regenerate: go test ./store -run Golden -update
# master key: bytes 0x00..0x1f; team %q; channel %q; plaintext %q
format     %02x
key_id     %02x
nonce      %x
ciphertext %x
tag        %x
record     %x
`, team, channel, plaintext,
		sealed[0], sealed[1], sealed[2:headerSize], sealed[headerSize:len(sealed)-tagSize], sealed[len(sealed)-tagSize:], sealed)

	path := filepath.Join("testdata", "sealed.golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("sealed record changed; if on purpose, bump the format and run -update.\ngot:\n%s\nwant:\n%s", got, want)
	}

	// Independently of today's seal: the stored record still opens.
	var recHex string
	for _, line := range strings.Split(string(want), "\n") {
		if v, ok := strings.CutPrefix(line, "record     "); ok {
			recHex = v
		}
	}
	rec, err := hex.DecodeString(recHex)
	if err != nil {
		t.Fatal(err)
	}
	pt, _, err := r.open(rec, team, channel)
	if err != nil || string(pt) != plaintext {
		t.Errorf("open(golden record) = %q, %v; want %q", pt, err, plaintext)
	}
}

func BenchmarkSeal(b *testing.B) {
	r := testRing(b, testKey(1))
	pt := []byte("u+abcdefghijklmnopqrs")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.seal(pt, "T0001", "C0002"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	r := testRing(b, testKey(2), testKey(1))
	sealed, err := testRing(b, testKey(1)).seal([]byte("u+abcdefghijklmnopqrs"), "T0001", "C0002")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := r.open(sealed, "T0001", "C0002"); err != nil {
			b.Fatal(err)
		}
	}
}

// TestKeyAge: the census reads the key-id byte, and opens a record only
// when two ring keys share that id.
func TestKeyAge(t *testing.T) {
	oldK, newK := testKey(1), testKey(2)
	sealedOld, _ := testRing(t, oldK).seal([]byte("secret"), "T1", "C1")
	sealedNew, _ := testRing(t, newK).seal([]byte("secret"), "T1", "C1")
	both := testRing(t, newK, oldK)
	for _, tt := range []struct {
		name   string
		ring   *KeyRing
		sealed []byte
		want   keyAge
	}{
		{"new under [new, old]", both, sealedNew, ageNewest},
		{"old under [new, old]", both, sealedOld, ageOlder},
		{"new under [old]", testRing(t, oldK), sealedNew, ageUnknown},
		{"old under [old]", testRing(t, oldK), sealedOld, ageNewest},
		{"too short", both, sealedNew[:headerSize], ageUnknown},
		{"unknown format", both, append([]byte{0x7f}, sealedNew[1:]...), ageUnknown},
	} {
		if got := tt.ring.age(tt.sealed, "T1", "C1"); got != tt.want {
			t.Errorf("%s: age = %d, want %d", tt.name, got, tt.want)
		}
	}

	// Two keys with one id: the byte cannot tell, so age opens the record.
	a := testKey(1)
	var b []byte
	for i := range 1 << 16 {
		k := testKey(3)
		k[0], k[1] = byte(i), byte(i>>8)
		if keyID(k) == keyID(a) && string(k) != string(a) {
			b = k
			break
		}
	}
	if b == nil {
		t.Fatal("no colliding key found")
	}
	sealedA, _ := testRing(t, a).seal([]byte("secret"), "T1", "C1")
	sealedB, _ := testRing(t, b).seal([]byte("secret"), "T1", "C1")
	colliding := testRing(t, a, b)
	if got := colliding.age(sealedB, "T1", "C1"); got != ageOlder {
		t.Errorf("record under the older of two colliding keys: age = %d, want ageOlder", got)
	}
	if got := colliding.age(sealedA, "T1", "C1"); got != ageNewest {
		t.Errorf("record under the newer of two colliding keys: age = %d, want ageNewest", got)
	}
	if got := colliding.age(sealedA, "T1", "C2"); got != ageUnknown {
		t.Errorf("moved record with a colliding id: age = %d, want ageUnknown", got)
	}
	// A record sealed under a key outside the ring that happens to carry
	// the id of the ring's newest key is under no key of the ring (the
	// census counted it newest by its byte alone, 1 run in 256).
	if got := testRing(t, a).age(sealedB, "T1", "C1"); got != ageUnknown {
		t.Errorf("record under a key outside the ring with the newest key's id: age = %d, want ageUnknown", got)
	}
}
