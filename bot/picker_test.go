package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pdbot/pdbot/internal/demoworld"
	"github.com/pdbot/pdbot/internal/pdfake"
	"github.com/pdbot/pdbot/internal/slackfake"
	"github.com/pdbot/pdbot/store"
)

// pickerForm runs the global shortcut and returns its incident form.
func (h *harness) pickerForm(user string) slackfake.View {
	h.t.Helper()
	h.ack(must(h.sf.Shortcut(user, "pd_actions")))
	return h.topView(user, func(v slackfake.View) bool { return v.CallbackID == "picker_submit" })
}

func pickIncident(ref string) map[string]map[string]slackfake.Value {
	return map[string]map[string]slackfake.Value{"incident": {"incident_input": {Value: ref}}}
}

// dmAfter waits for a new message in user's app DM and returns it.
func (h *harness) dmAfter(user string, before int) slackfake.Message {
	h.t.Helper()
	var m slackfake.Message
	h.waitFor("a message in the app DM", func() bool {
		ms := h.sf.Messages(user)
		if len(ms) <= before {
			return false
		}
		m = ms[len(ms)-1]
		return true
	})
	return m
}

// TestPickerUnknownIncidentIsAFieldError: the global shortcut's form checks
// with PagerDuty before its ack, so an incident PagerDuty does not know is
// an error under the field (the form stays open), in words that do not
// speak of a channel the shortcut has none of.
func TestPickerUnknownIncidentIsAFieldError(t *testing.T) {
	h := newHarness(t)
	v := h.pickerForm(alice)
	for _, ref := range []string{"#99", "Q9ZZZZZZZZZZZZ", "https://acme.pagerduty.com/incidents/Q9ZZZZZZZZZZZZ"} {
		a := h.submit(alice, v, pickIncident(ref))
		contains(t, string(a.Payload), `"response_action":"errors"`, `"incident"`, "PagerDuty has no incident", "workspace")
		if strings.Contains(string(a.Payload), "this channel") {
			t.Errorf("%s: the field error speaks of a channel: %s", ref, a.Payload)
		}
	}
	if ms := h.sf.Messages(alice); len(ms) != 0 {
		t.Errorf("refused picks were answered in the DM too: %q", ms[0].Text)
	}

	// A known incident: its card in the app DM, fetched once (its notes,
	// which the card quotes, are one more read of their own).
	h.pd.ResetRequests()
	a := h.submit(alice, v, pickIncident("#43"))
	if strings.Contains(string(a.Payload), "errors") {
		t.Fatalf("a known incident was refused: %s", a.Payload)
	}
	contains(t, h.dmAfter(alice, 0).PlainText(), "Checkout 502s")
	n := 0
	for _, r := range h.pd.Requests() {
		if r.Method == "GET" && strings.HasPrefix(r.Path, "/incidents/") && !strings.HasSuffix(r.Path, "/notes") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the picked incident was fetched %d times, want once", n)
	}
}

// TestPickerAdviceNeverSaysThisChannel: what goes wrong after a global
// shortcut's form (answered in the app DM, with the workspace's default
// key) is explained in terms of that default key.
func TestPickerAdviceNeverSaysThisChannel(t *testing.T) {
	t.Run("no default key", func(t *testing.T) {
		h := newHarness(t, withoutKey())
		v := h.pickerForm(alice)
		h.submit(alice, v, pickIncident("#43"))
		got := h.dmAfter(alice, 0).Text
		contains(t, got, "default", "`/pd key default`")
		if strings.Contains(got, "this channel") || strings.Contains(got, "`/pd key` here") {
			t.Errorf("advice without a channel speaks of one: %s", got)
		}
		h.requireNoPD()
	})
	t.Run("revoked default key", func(t *testing.T) {
		h := newHarness(t)
		if err := h.st.SetAPIKey(context.Background(), demoworld.TeamID, store.DefaultChannel, store.Secret("u+revokedCANARY0000"), alice); err != nil {
			t.Fatal(err)
		}
		v := h.pickerForm(alice)
		a := h.submit(alice, v, pickIncident("#43"))
		got := string(a.Payload)
		contains(t, got, "rejected the workspace's default", "`/pd key default`")
		if strings.Contains(got, "this channel") {
			t.Errorf("advice without a channel speaks of one: %s", got)
		}
	})
	t.Run("rate limited", func(t *testing.T) {
		h := newHarness(t)
		h.pd.AllowInvalid()
		v := h.pickerForm(alice)
		h.pd.FailNext(1, pdfake.Fault{Method: "GET", Kind: pdfake.Fault429, Reset: 30 * time.Second})
		a := h.submit(alice, v, pickIncident("#43"))
		got := string(a.Payload)
		contains(t, got, "rate-limiting the workspace's default")
		if strings.Contains(got, "this channel") {
			t.Errorf("advice without a channel speaks of one: %s", got)
		}
	})
}
