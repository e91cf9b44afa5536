package slackfake_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/internal/slackfake"
)

// TestConversationsCreate: Slack's name rules, through slack-go's client.
func TestConversationsCreate(t *testing.T) {
	f := newFake(t, slackfake.Options{})
	api := slack.New(f.BotToken(), slack.OptionAPIURL(f.URL()))
	ch, err := api.CreateConversationContext(ctxT(t), slack.CreateConversationParams{ChannelName: "inc-45-orders-db_lag"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ch.ID, "C") || ch.Name != "inc-45-orders-db_lag" || !ch.IsMember || ch.IsPrivate {
		t.Errorf("channel %+v", ch)
	}
	if got, ok := f.ChannelByName("inc-45-orders-db_lag"); !ok || got.ID != ch.ID {
		t.Errorf("ChannelByName = %+v, %v", got, ok)
	}
	if m := f.Members(ch.ID); len(m) != 1 || m[0] != f.BotUserID() {
		t.Errorf("members %q, want the bot (its creator)", m)
	}
	priv, err := api.CreateConversationContext(ctxT(t), slack.CreateConversationParams{ChannelName: "secret", IsPrivate: true})
	if err != nil || !priv.IsPrivate {
		t.Errorf("private: %+v, %v", priv, err)
	}
	for _, tc := range []struct{ name, want string }{
		{"inc-45-orders-db_lag", "name_taken"},
		{"ops", "name_taken"},
		{"", "invalid_name_required"},
		{strings.Repeat("a", 81), "invalid_name_maxlength"},
		{"---", "invalid_name_punctuation"},
		{"orders db", "invalid_name_specials"},
		{"orders.db", "invalid_name_specials"},
		{"café", "invalid_name_specials"},
		{"Orders", "invalid_name"},
	} {
		_, err := api.CreateConversationContext(ctxT(t), slack.CreateConversationParams{ChannelName: tc.name})
		if got := slackErr(t, err); got != tc.want {
			t.Errorf("create %q: %q, want %q", tc.name, got, tc.want)
		}
	}
	if _, err := api.CreateConversationContext(ctxT(t), slack.CreateConversationParams{ChannelName: strings.Repeat("a", 80)}); err != nil {
		t.Errorf("80 characters: %v", err)
	}
}

// TestConversationsSetTopicAndInvite: the topic shows in
// conversations.info; invites add members once, with Slack's per-user
// errors; the bot must be in the channel for both.
func TestConversationsSetTopicAndInvite(t *testing.T) {
	f := newFake(t, slackfake.Options{})
	api := slack.New(f.BotToken(), slack.OptionAPIURL(f.URL()))
	ch, err := api.CreateConversationContext(ctxT(t), slack.CreateConversationParams{ChannelName: "inc-9"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.SetTopicOfConversationContext(ctxT(t), ch.ID, "https://acme.pagerduty.com/incidents/Q1"); err != nil {
		t.Fatal(err)
	}
	info, err := api.GetConversationInfoContext(ctxT(t), &slack.GetConversationInfoInput{ChannelID: ch.ID})
	if err != nil || info.Topic.Value != "https://acme.pagerduty.com/incidents/Q1" {
		t.Errorf("topic %q, %v", info.Topic.Value, err)
	}
	if _, err := api.SetTopicOfConversationContext(ctxT(t), ch.ID, strings.Repeat("x", 251)); slackErr(t, err) != "too_long" {
		t.Errorf("long topic: %v", err)
	}
	if _, err := api.InviteUsersToConversationContext(ctxT(t), ch.ID, "U0ALICE", "U0BOB"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{f.BotUserID(), "U0ALICE", "U0BOB"}, f.Members(ch.ID)); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		channel string
		users   []string
		want    string
	}{
		{ch.ID, []string{"U0ALICE"}, "already_in_channel"},
		{ch.ID, []string{"U0NOBODY"}, "user_not_found"},
		{ch.ID, []string{f.BotUserID()}, "cant_invite_self"},
		{"C0NOPE", []string{"U0ALICE"}, "channel_not_found"},
	} {
		_, err := api.InviteUsersToConversationContext(ctxT(t), tc.channel, tc.users...)
		if got := slackErr(t, err); got != tc.want {
			t.Errorf("invite %v to %s: %q, want %q", tc.users, tc.channel, got, tc.want)
		}
	}
	f.RemoveBot("C0OPS")
	if _, err := api.InviteUsersToConversationContext(ctxT(t), "C0OPS", "U0ALICE"); slackErr(t, err) != "not_in_channel" {
		t.Errorf("invite where the bot is not: %v", err)
	}
	if _, err := api.SetTopicOfConversationContext(ctxT(t), "C0OPS", "x"); slackErr(t, err) != "not_in_channel" {
		t.Errorf("topic where the bot is not: %v", err)
	}
	// The per-user errors ride along, as Slack sends them.
	var body string
	for _, c := range f.Calls("conversations.invite") {
		if c.Error == "user_not_found" {
			body = c.Params.Get("users")
		}
	}
	if body != "U0NOBODY" {
		t.Errorf("recorded invite of %q", body)
	}
}
