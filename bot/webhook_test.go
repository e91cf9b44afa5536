package bot_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pdbot/pdbot/internal/demoworld"
	"github.com/pdbot/pdbot/internal/pdfake"
	"github.com/pdbot/pdbot/internal/pdwebhook"
)

const webhookSecret = "CANARYwebhookSigningSecret"

func signedDelivery(id string, at time.Time, incident string) (body, signature string) {
	body = fmt.Sprintf(`{"event":{"id":%q,"event_type":"incident.acknowledged","resource_type":"incident","occurred_at":%q,"data":{"id":%q,"type":"incident"}}}`,
		id, at.UTC().Format(time.RFC3339), incident)
	m := hmac.New(sha256.New, []byte(webhookSecret))
	m.Write([]byte(body))
	return body, "v1=" + hex.EncodeToString(m.Sum(nil))
}

// TestWebhookBringsTheCardUpToDate: with no poll due, a signed PagerDuty
// webhook makes the live card show a change made on the phone; unsigned,
// badly signed and replayed deliveries are refused and change nothing.
func TestWebhookBringsTheCardUpToDate(t *testing.T) {
	h := newHarness(t)
	p := h.startPoller() // rounds come only from ticks (none below) or webhooks
	inc, card := liveCard(t, h, p)
	srv := httptest.NewServer(pdwebhook.Handler(webhookSecret, h.st, time.Now, func(pdwebhook.Event) { p.bot.PagerDutyChanged() }))
	defer srv.Close()
	send := func(body, sig string) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(body))
		if sig != "" {
			req.Header.Set("X-PagerDuty-Signature", sig)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if err := h.pd.Acknowledge(inc.ID, pdfake.FromMobile(demoworld.PDBobID)); err != nil {
		t.Fatal(err)
	}
	body, sig := signedDelivery("EVWEB1", time.Now(), inc.ID)
	rounds := p.rounds.Load()
	for _, bad := range []struct{ body, sig string }{
		{body, ""},
		{body, "v1=" + strings.Repeat("00", 32)},
		{strings.Replace(body, "EVWEB1", "EVWEB2", 1), sig}, // signed for another body
	} {
		if code := send(bad.body, bad.sig); code != http.StatusUnauthorized {
			t.Errorf("a bad delivery was answered %d, want 401", code)
		}
	}
	if code := send(body, sig); code != http.StatusNoContent {
		t.Fatalf("the signed delivery was answered %d, want 204", code)
	}
	h.waitFor("the webhook's round", func() bool { return p.rounds.Load() > rounds })
	h.waitFor("the thread line", func() bool { return len(h.sf.Thread(opsCh, card.TS)) == 1 })
	contains(t, h.sf.Thread(opsCh, card.TS)[0].Text, "Acknowledged by Bob Jones (mobile)")
	if m, _ := h.sf.Message(opsCh, card.TS); m.Edits != 1 {
		t.Errorf("card edited %d times, want 1", m.Edits)
	}
	rounds = p.rounds.Load()
	if code := send(body, sig); code != http.StatusConflict {
		t.Errorf("the replayed delivery was answered %d, want 409", code)
	}
	if got := p.rounds.Load(); got != rounds {
		t.Errorf("a replayed delivery started a poll round")
	}
	if len(h.sf.Thread(opsCh, card.TS)) != 1 {
		t.Errorf("thread after the replay: %q", threadText(h.sf.Thread(opsCh, card.TS)))
	}
}
