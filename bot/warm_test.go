package bot_test

import (
	"testing"
)

// TestWarmCommandsMakeNoSlackLookups: once a channel and a requester have
// been seen, a bare command in that channel reaches PagerDuty without one
// Slack Web API call before it (the channel's topic and the requester's
// profile come from short-lived caches); Slack hears from pdbot only for the
// answer.
func TestWarmCommandsMakeNoSlackLookups(t *testing.T) {
	h := newHarness(t)
	h.slash(bob, incCh, "/pd get") // warms the channel's topic and Bob's profile
	h.slash(bob, incCh, "/pd whoami")
	h.sf.ResetRecords()
	h.pd.ResetRequests()
	got := h.slash(bob, incCh, "/pd ack")
	contains(t, got.Text, "acknowledged")
	if len(h.writes()) != 1 {
		t.Fatalf("writes: %v", paths(h.writes()))
	}
	for _, c := range h.sf.Calls("") {
		switch c.Method {
		case "response_url", "chat.postMessage", "chat.postEphemeral":
			// the answer, after the PagerDuty call
		default:
			t.Errorf("Slack call %s on a warm command", c.Method)
		}
	}
}
