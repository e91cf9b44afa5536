package bot_test

import (
	"strings"
	"testing"

	"github.com/pdbot/pdbot/internal/demoworld"
	"github.com/pdbot/pdbot/internal/slackfake"
)

// TestUnmappedUserIsToldBeforeAnyWriteFormOpens: someone with no PagerDuty
// identity who starts a write through a form (a card button, the "Add as
// incident note" message shortcut, a bare slash command) sees the refusal
// in place of the form, never after typing into it.
func TestUnmappedUserIsToldBeforeAnyWriteFormOpens(t *testing.T) {
	h := newHarness(t)
	erin := demoworld.ErinID
	card := h.card(erin, incCh)
	msgTS := h.sf.PostAsUser(bob, incCh, "Replica lag is back to 0")
	starts := map[string]func() *slackfake.Delivery{
		"card_note":         func() *slackfake.Delivery { return must(h.sf.ClickButton(erin, incCh, card.TS, "card_note")) },
		"card_reassign":     func() *slackfake.Delivery { return must(h.sf.ClickButton(erin, incCh, card.TS, "card_reassign")) },
		"card_escalate":     func() *slackfake.Delivery { return must(h.sf.ClickButton(erin, incCh, card.TS, "card_escalate")) },
		"card_responders":   func() *slackfake.Delivery { return must(h.sf.ClickButton(erin, incCh, card.TS, "card_responders")) },
		"note_from_message": func() *slackfake.Delivery { return must(h.sf.MessageShortcut(erin, incCh, msgTS, "note_from_message")) },
		"/pd update":        func() *slackfake.Delivery { return must(h.sf.Slash(erin, incCh, "/pd update")) },
		"/pd escalate":      func() *slackfake.Delivery { return must(h.sf.Slash(erin, incCh, "/pd escalate")) },
		"/pd responders":    func() *slackfake.Delivery { return must(h.sf.Slash(erin, incCh, "/pd responders")) },
	}
	for name, start := range starts {
		prev := ""
		if vs := h.sf.Views(erin); len(vs) > 0 {
			prev = vs[len(vs)-1].ID
		}
		h.ack(start())
		v := h.topView(erin, func(v slackfake.View) bool {
			return v.ID != prev && !strings.Contains(v.PlainText(), "Loading")
		})
		if v.CallbackID != "" || v.Submit != "" {
			t.Errorf("%s: erin got a form (%q) instead of the refusal:\n%s", name, v.CallbackID, v.PlainText())
		}
		contains(t, v.PlainText(), "No PagerDuty user has your Slack email", "/pd map")
	}
	if ws := h.writes(); len(ws) != 0 {
		t.Fatalf("writes for an unmapped user: %v", paths(ws))
	}
}
