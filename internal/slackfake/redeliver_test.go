package slackfake_test

import (
	"context"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/internal/slackfake"
)

// TestRedeliverSendsTheSameEnvelopeAgain: a redelivered envelope keeps its
// envelope_id, reaches the client again, and each ack is counted.
func TestRedeliverSendsTheSameEnvelopeAgain(t *testing.T) {
	f, b := connected(t, slackfake.Options{})
	d, err := f.Slash("U0ALICE", "C0INC", "/pd help")
	if err != nil {
		t.Fatal(err)
	}
	first := b.next(t)
	b.ack(t, first, nil)
	waitAck(t, d)
	if err := f.Redeliver(d); err != nil {
		t.Fatal(err)
	}
	again := b.next(t)
	if again.Request.EnvelopeID != d.EnvelopeID {
		t.Fatalf("redelivered envelope %s, want %s", again.Request.EnvelopeID, d.EnvelopeID)
	}
	b.ack(t, again, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.WaitFor(ctx, func() bool {
		for _, a := range f.Acks() {
			if a.EnvelopeID == d.EnvelopeID && a.Count == 2 {
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatal("the second ack was not counted")
	}
}

// TestSubmittedExternalOptionCarriesItsText: an option picked from the
// bot's type-ahead answer is submitted with its text, as Slack does.
func TestSubmittedExternalOptionCarriesItsText(t *testing.T) {
	f, b := connected(t, slackfake.Options{})
	d, err := f.Slash("U0ALICE", "C0INC", "/pd escalate")
	if err != nil {
		t.Fatal(err)
	}
	evt := b.next(t)
	trigger := evt.Data.(slack.SlashCommand).TriggerID
	b.ack(t, evt, nil)
	waitAck(t, d)
	view, err := b.api.OpenViewContext(context.Background(), trigger, slack.ModalViewRequest{
		Type: slack.VTModal, Title: slack.NewTextBlockObject("plain_text", "Escalate", false, false),
		Submit: slack.NewTextBlockObject("plain_text", "Go", false, false),
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewInputBlock("policy", slack.NewTextBlockObject("plain_text", "Policy", false, false), nil,
			slack.NewOptionsSelectBlockElement(slack.OptTypeExternal, nil, "policy_search"))}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := f.Suggest("U0ALICE", view.ID, "policy_search", "web")
	if err != nil {
		t.Fatal(err)
	}
	b.ack(t, b.next(t), map[string]any{"options": []any{map[string]any{"text": map[string]any{"type": "plain_text", "text": "Web On-Call"}, "value": "PEPWEB1"}}})
	waitAck(t, ds)
	if _, err := f.SubmitView("U0ALICE", view.ID, map[string]map[string]slackfake.Value{"policy": {"policy_search": {SelectedOption: "PEPWEB1"}}}); err != nil {
		t.Fatal(err)
	}
	sub := b.next(t)
	ic := sub.Data.(slack.InteractionCallback)
	got := ic.View.State.Values["policy"]["policy_search"].SelectedOption
	if got.Value != "PEPWEB1" || got.Text == nil || got.Text.Text != "Web On-Call" {
		t.Errorf("selected option = %+v (text %+v), want PEPWEB1 with its text", got, got.Text)
	}
	b.ack(t, sub, nil)
}
