package slackfake_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/internal/slackfake"
)

// cardBlocks is a small live card.
func cardBlocks(status string) slack.MsgOption {
	return slack.MsgOptionBlocks(
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, "[#101] Checkout is down", false, false)),
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*Status:* "+status, false, false), nil, nil),
	)
}

// TestLiveCardUpdatesAndThread posts a card, updates it twice and replies in
// its thread, as live cards do, and reads back what a user now sees.
func TestLiveCardUpdatesAndThread(t *testing.T) {
	f := newFake(t, slackfake.Options{})
	api := slack.New(f.BotToken(), slack.OptionAPIURL(f.URL()))
	_, ts, err := api.PostMessageContext(ctxT(t), "C0OPS", slack.MsgOptionText("Checkout is down: triggered", false), cardBlocks("triggered"))
	if err != nil {
		t.Fatal(err)
	}
	for _, status := range []string{"acknowledged", "resolved"} {
		if _, _, _, err := api.UpdateMessageContext(ctxT(t), "C0OPS", ts, slack.MsgOptionText("Checkout is down: "+status, false), cardBlocks(status)); err != nil {
			t.Fatalf("update to %s: %v", status, err)
		}
		if _, _, err := api.PostMessageContext(ctxT(t), "C0OPS", slack.MsgOptionText(strings.ToUpper(status[:1])+status[1:]+" by Bob Brown (mobile)", false), slack.MsgOptionTS(ts)); err != nil {
			t.Fatalf("thread reply: %v", err)
		}
	}
	// A reply to a reply joins the parent's thread.
	replies := f.Thread("C0OPS", ts)
	if _, _, err := api.PostMessageContext(ctxT(t), "C0OPS", slack.MsgOptionText("Note added by Alice", false), slack.MsgOptionTS(replies[0].TS)); err != nil {
		t.Fatal(err)
	}

	card, ok := f.Message("C0OPS", ts)
	if !ok {
		t.Fatal("card not found")
	}
	if card.Edits != 2 || !card.Replaced || card.ReplyCount != 3 || card.ThreadTS != ts || !strings.Contains(card.PlainText(), "*Status:* resolved") {
		t.Errorf("card now: edits %d, replies %d, thread_ts %q:\n%s", card.Edits, card.ReplyCount, card.ThreadTS, card.PlainText())
	}
	var lines []string
	for _, r := range f.Thread("C0OPS", ts) {
		lines = append(lines, r.Text)
		if r.ThreadTS != ts {
			t.Errorf("reply %q has thread_ts %q, want %q", r.Text, r.ThreadTS, ts)
		}
	}
	want := []string{"Acknowledged by Bob Brown (mobile)", "Resolved by Bob Brown (mobile)", "Note added by Alice"}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("thread (-want +got):\n%s", diff)
	}
	var texts []string
	for _, v := range f.History("C0OPS", ts) {
		texts = append(texts, v.Method+": "+v.Text)
	}
	wantHist := []string{"chat.postMessage: Checkout is down: triggered", "chat.update: Checkout is down: acknowledged", "chat.update: Checkout is down: resolved"}
	if diff := cmp.Diff(wantHist, texts); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}

	// The message Slack answers with carries the thread's reply_count.
	form := url.Values{"token": {f.BotToken()}, "channel": {"C0OPS"}, "ts": {ts}, "text": {"again"}}
	resp, err := http.PostForm(f.URL()+"chat.update", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		OK      bool `json:"ok"`
		Message struct {
			ReplyCount int    `json:"reply_count"`
			ThreadTS   string `json:"thread_ts"`
		} `json:"message"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || !got.OK || got.Message.ReplyCount != 3 || got.Message.ThreadTS != ts {
		t.Errorf("chat.update answer %+v (%v), want reply_count 3 and thread_ts %s", got, err, ts)
	}
}

func TestUpdateAndPostErrors(t *testing.T) {
	f := newFake(t, slackfake.Options{})
	api := slack.New(f.BotToken(), slack.OptionAPIURL(f.URL()))
	_, ts, err := api.PostMessageContext(ctxT(t), "C0OPS", slack.MsgOptionText("card", false))
	if err != nil {
		t.Fatal(err)
	}
	_, gone, err := api.PostMessageContext(ctxT(t), "C0OPS", slack.MsgOptionText("to delete", false))
	if err != nil {
		t.Fatal(err)
	}
	if !f.DeleteMessage("C0OPS", gone) || f.DeleteMessage("C0OPS", gone) {
		t.Error("DeleteMessage: want true once, then false")
	}
	userMsg := f.PostAsUser("U0BOB", "C0OPS", "mine")
	tooMany := make([]slack.Block, 51)
	for i := range tooMany {
		tooMany[i] = slack.NewDividerBlock()
	}
	update := func(ts string, opts ...slack.MsgOption) func() error {
		return func() error {
			_, _, _, err := api.UpdateMessageContext(ctxT(t), "C0OPS", ts, append([]slack.MsgOption{slack.MsgOptionText("x", false)}, opts...)...)
			return err
		}
	}
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"update a deleted message", update(gone), "message_not_found"},
		{"update an unknown ts", update("1.000001"), "message_not_found"},
		{"update a user's message", update(userMsg), "cant_update_message"},
		{"update with too many blocks", update(ts, slack.MsgOptionBlocks(tooMany...)), "invalid_blocks"},
		{"reply with too many blocks", func() error {
			_, _, err := api.PostMessageContext(ctxT(t), "C0OPS", slack.MsgOptionTS(ts), slack.MsgOptionBlocks(tooMany...))
			return err
		}, "invalid_blocks"},
		{"update in an unknown channel", func() error {
			_, _, _, err := api.UpdateMessageContext(ctxT(t), "C0NOPE", ts, slack.MsgOptionText("x", false))
			return err
		}, "channel_not_found"},
		{"delete then update through chat.delete", func() error {
			if _, _, err := api.DeleteMessageContext(ctxT(t), "C0OPS", ts); err != nil {
				return err
			}
			return update(ts)()
		}, "message_not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := slackErr(t, tt.call()); got != tt.want {
				t.Errorf("error = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRemovedBotIsNotInChannel(t *testing.T) {
	f := newFake(t, slackfake.Options{})
	api := slack.New(f.BotToken(), slack.OptionAPIURL(f.URL()))
	_, ts, err := api.PostMessageContext(ctxT(t), "C0OPS", slack.MsgOptionText("card", false))
	if err != nil {
		t.Fatal(err)
	}
	f.RemoveBot("C0OPS")
	if _, _, err := api.PostMessageContext(ctxT(t), "C0OPS", slack.MsgOptionText("x", false)); slackErr(t, err) != "not_in_channel" {
		t.Errorf("post: %v, want not_in_channel", err)
	}
	if _, _, _, err := api.UpdateMessageContext(ctxT(t), "C0OPS", ts, slack.MsgOptionText("x", false)); slackErr(t, err) != "not_in_channel" {
		t.Errorf("update: %v, want not_in_channel", err)
	}
	ch, err := api.GetConversationInfoContext(ctxT(t), &slack.GetConversationInfoInput{ChannelID: "C0OPS"})
	if err != nil || ch.IsMember {
		t.Errorf("conversations.info: is_member %v, err %v", ch != nil && ch.IsMember, err)
	}
	f.AddBot("C0OPS")
	if _, _, _, err := api.UpdateMessageContext(ctxT(t), "C0OPS", ts, slack.MsgOptionText("back", false)); err != nil {
		t.Errorf("update after AddBot: %v", err)
	}
}

// clock is a settable time source for EnableRateLimits.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestRateLimits(t *testing.T) {
	f := newFake(t, slackfake.Options{})
	f.AddChannel(slackfake.Channel{ID: "C0OTHER", Name: "other"})
	api := slack.New(f.BotToken(), slack.OptionAPIURL(f.URL()))
	post := func(ch string) error {
		_, _, err := api.PostMessageContext(ctxT(t), ch, slack.MsgOptionText("x", false))
		return err
	}
	// Off by default: a burst goes through.
	for range 10 {
		if err := post("C0OPS"); err != nil {
			t.Fatalf("without limits: %v", err)
		}
	}

	clk := &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	f.EnableRateLimits(slackfake.RateLimits{PostBurst: 2, UpdatesPerMinute: 2, Now: clk.Now})
	for i := range 2 {
		if err := post("C0OPS"); err != nil {
			t.Fatalf("post %d within the burst: %v", i, err)
		}
	}
	err := post("C0OPS")
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != time.Second {
		t.Fatalf("third post: %v (%T), want *slack.RateLimitedError with RetryAfter 1s", err, err)
	}
	if err := post("C0OTHER"); err != nil {
		t.Errorf("another channel has its own limit: %v", err)
	}
	clk.advance(time.Second)
	if err := post("C0OPS"); err != nil {
		t.Errorf("post a second later: %v", err)
	}
	if calls := f.Calls("chat.postMessage"); calls[len(calls)-3].Error != "ratelimited" {
		t.Errorf("the refused post is not recorded as ratelimited: %+v", calls[len(calls)-3])
	}

	// chat.update: 2 a minute here, so the third waits 30 s.
	_, ts, err := api.PostMessageContext(ctxT(t), "C0OTHER", slack.MsgOptionText("card", false))
	if err != nil {
		t.Fatal(err)
	}
	update := func() error {
		_, _, _, err := api.UpdateMessageContext(ctxT(t), "C0OTHER", ts, slack.MsgOptionText("v", false))
		return err
	}
	for range 2 {
		if err := update(); err != nil {
			t.Fatal(err)
		}
	}
	if err := update(); !errors.As(err, &rl) || rl.RetryAfter != 30*time.Second {
		t.Errorf("third update: %v, want RetryAfter 30s", err)
	}
	if m, _ := f.Message("C0OTHER", ts); m.Edits != 2 {
		t.Errorf("a refused update changed the message: %d edits", m.Edits)
	}

	f.DisableRateLimits()
	for range 5 {
		if err := post("C0OPS"); err != nil {
			t.Fatalf("after DisableRateLimits: %v", err)
		}
	}
}
