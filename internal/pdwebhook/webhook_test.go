package pdwebhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdbot/pdbot/internal/pdwebhook"
	"github.com/pdbot/pdbot/store"
	"github.com/pdbot/pdbot/store/storetest"
)

const secret = "CANARYwebhookSecret-0001"

var now = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func sign(body, key string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(body))
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

func delivery(id string, at time.Time) string {
	return fmt.Sprintf(`{"event":{"id":%q,"event_type":"incident.acknowledged","resource_type":"incident","occurred_at":%q,
		"agent":{"id":"PBOB001","type":"user_reference"},
		"data":{"id":"Q1ABCDEFGHIJKL","type":"incident","service":{"id":"PSVCDB1","type":"service_reference"}}}}`, id, at.Format(time.RFC3339Nano))
}

type recorder struct {
	mu     sync.Mutex
	events []pdwebhook.Event
}

func (r *recorder) changed(e pdwebhook.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func newStore(t *testing.T) store.Store {
	ring, _ := storetest.NewKeyRing(t, 1)
	st, err := store.OpenBolt(filepath.Join(t.TempDir(), "pdbot.db"), ring)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func post(t *testing.T, h http.Handler, body, signature string) int {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/pagerduty/webhook", strings.NewReader(body))
	if signature != "" {
		req.Header.Set("X-PagerDuty-Signature", signature)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if strings.Contains(w.Body.String(), secret) {
		t.Errorf("the answer holds the secret: %q", w.Body.String())
	}
	return w.Code
}

// TestSignedDeliveryIsAccepted: a delivery signed with the secret (any of
// several v1 signatures, as during a rotation) is handed on once.
func TestSignedDeliveryIsAccepted(t *testing.T) {
	var rec recorder
	h := pdwebhook.Handler(secret, newStore(t), func() time.Time { return now }, rec.changed)
	body := delivery("EV1", now.Add(-time.Minute))
	if code := post(t, h, body, sign(body, "old-secret")+", "+sign(body, secret)); code != http.StatusNoContent {
		t.Fatalf("signed delivery: %d, want 204", code)
	}
	want := pdwebhook.Event{ID: "EV1", Type: "incident.acknowledged", IncidentID: "Q1ABCDEFGHIJKL", ServiceID: "PSVCDB1", OccurredAt: now.Add(-time.Minute)}
	if len(rec.events) != 1 || rec.events[0] != want {
		t.Errorf("handed on %+v, want [%+v]", rec.events, want)
	}
}

// TestBadDeliveriesChangeNothing: unsigned, badly signed, tampered, stale,
// malformed and replayed deliveries are refused and handed on to nobody.
func TestBadDeliveriesChangeNothing(t *testing.T) {
	var rec recorder
	st := newStore(t)
	h := pdwebhook.Handler(secret, st, func() time.Time { return now }, rec.changed)
	good := delivery("EV2", now)
	stale := delivery("EV3", now.Add(-6*time.Minute))
	for _, tc := range []struct {
		name, body, sig string
		want            int
	}{
		{"unsigned", good, "", http.StatusUnauthorized},
		{"signed with another secret", good, sign(good, "not-the-secret"), http.StatusUnauthorized},
		{"tampered after signing", strings.Replace(good, "acknowledged", "resolved", 1), sign(good, secret), http.StatusUnauthorized},
		{"not v1", good, "v0=" + strings.TrimPrefix(sign(good, secret), "v1="), http.StatusUnauthorized},
		{"stale", stale, sign(stale, secret), http.StatusBadRequest},
		{"not an event", `{"hello":1}`, sign(`{"hello":1}`, secret), http.StatusBadRequest},
	} {
		if code := post(t, h, tc.body, tc.sig); code != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, code, tc.want)
		}
	}
	if len(rec.events) != 0 {
		t.Fatalf("bad deliveries were handed on: %+v", rec.events)
	}
	if code := post(t, h, good, sign(good, secret)); code != http.StatusNoContent {
		t.Fatalf("the good delivery: %d", code)
	}
	if code := post(t, h, good, sign(good, secret)); code != http.StatusConflict {
		t.Errorf("the same delivery again: %d, want 409", code)
	}
	// Another replica on the same store recognises the replay too.
	h2 := pdwebhook.Handler(secret, st, func() time.Time { return now }, rec.changed)
	if code := post(t, h2, good, sign(good, secret)); code != http.StatusConflict {
		t.Errorf("the same delivery at another replica: %d, want 409", code)
	}
	if len(rec.events) != 1 {
		t.Errorf("handed on %d times, want once", len(rec.events))
	}
}
