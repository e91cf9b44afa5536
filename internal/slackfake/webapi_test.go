package slackfake_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/internal/slackfake"
	"github.com/pdbot/pdbot/internal/slackfake/slackfaketest"
)

// slackErr returns the Slack error code of err ("" if none).
func slackErr(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return err.Error()
}

func TestWebAPIErrorShapes(t *testing.T) {
	f := newFake(t, slackfake.Options{})
	good := slack.New(f.BotToken(), slack.OptionAPIURL(f.URL()))
	badBot := slack.New("xoxb-wrong", slack.OptionAPIURL(f.URL()))
	noToken := slack.New("", slack.OptionAPIURL(f.URL()))
	appAsBot := slack.New(f.AppToken(), slack.OptionAPIURL(f.URL()))
	botAsApp := slack.New(f.BotToken(), slack.OptionAppLevelToken(f.BotToken()), slack.OptionAPIURL(f.URL()))
	wrongApp := slack.New(f.BotToken(), slack.OptionAppLevelToken("xapp-1-nope"), slack.OptionAPIURL(f.URL()))

	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"auth.test ok", func() error { _, err := good.AuthTest(); return err }, ""},
		{"bad bot token", func() error { _, err := badBot.AuthTest(); return err }, "invalid_auth"},
		{"no token", func() error { _, err := noToken.GetUserInfo("U0ALICE"); return err }, "not_authed"},
		{"app token on a bot method", func() error { _, err := appAsBot.GetUserInfo("U0ALICE"); return err }, "not_allowed_token_type"},
		{"bot token on apps.connections.open", func() error { _, _, err := botAsApp.StartSocketModeContext(ctxT(t)); return err }, "not_allowed_token_type"},
		{"wrong app token", func() error { _, _, err := wrongApp.StartSocketModeContext(ctxT(t)); return err }, "invalid_auth"},
		{"unknown user", func() error { _, err := good.GetUserInfo("U0NOBODY"); return err }, "user_not_found"},
		{"unknown channel", func() error {
			_, err := good.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: "C0NOPE"})
			return err
		}, "channel_not_found"},
		{"post to unknown channel", func() error { _, _, err := good.PostMessage("C0NOPE", slack.MsgOptionText("x", false)); return err }, "channel_not_found"},
		{"update someone else's message", func() error {
			ts := f.PostAsUser("U0BOB", "C0OPS", "mine")
			_, _, _, err := good.UpdateMessage("C0OPS", ts, slack.MsgOptionText("x", false))
			return err
		}, "cant_update_message"},
		{"permalink of unknown message", func() error {
			_, err := good.GetPermalink(&slack.PermalinkParameters{Channel: "C0OPS", Ts: "1.2"})
			return err
		}, "message_not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := slackErr(t, tt.call()); got != tt.want {
				t.Errorf("error = %q, want %q", got, tt.want)
			}
		})
	}

	// Raw shape: ok false always carries error.
	resp, err := http.Post(f.URL()+"users.info", "application/x-www-form-urlencoded", strings.NewReader("user=U0ALICE"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	if diff := cmp.Diff(map[string]any{"ok": false, "error": "not_authed"}, body); diff != "" || resp.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("raw error (-want +got):\n%s (content type %q)", diff, resp.Header.Get("Content-Type"))
	}
}

func TestUsersInfoConversationsInfoAuthTest(t *testing.T) {
	f := newFake(t, slackfake.Options{})
	f.AddUser(slackfake.User{ID: "U0GUEST", Name: "gus", RealName: "Gus Guest", Email: "gus@partner.example", TeamID: "T0OTHER", IsRestricted: true, IsUltraRestricted: true})
	api := slack.New(f.BotToken(), slack.OptionAPIURL(f.URL()))

	u, err := api.GetUserInfo("U0GUEST")
	if err != nil {
		t.Fatal(err)
	}
	type userView struct {
		ID, Name, TeamID, RealName, Email, DisplayName string
		Admin, Owner, Restricted, Ultra, Bot, Deleted  bool
	}
	got := userView{u.ID, u.Name, u.TeamID, u.Profile.RealName, u.Profile.Email, u.Profile.DisplayName, u.IsAdmin, u.IsOwner, u.IsRestricted, u.IsUltraRestricted, u.IsBot, u.Deleted}
	want := userView{"U0GUEST", "gus", "T0OTHER", "Gus Guest", "gus@partner.example", "gus", false, false, true, true, false, false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("users.info (-want +got):\n%s", diff)
	}
	if a, _ := api.GetUserInfo("U0ALICE"); !a.IsAdmin || a.TeamID != f.TeamID() {
		t.Errorf("alice: admin %v team %q", a.IsAdmin, a.TeamID)
	}

	f.SetTopic("C0OPS", "PQ1W2E3R4T5Y6U now")
	f.SetPurpose("C0OPS", "ops room")
	c, err := api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: "C0OPS"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"C0OPS", "ops", "PQ1W2E3R4T5Y6U now", "ops room"}, []string{c.ID, c.Name, c.Topic.Value, c.Purpose.Value}); diff != "" {
		t.Errorf("conversations.info (-want +got):\n%s", diff)
	}

	at, err := api.AuthTest()
	if err != nil {
		t.Fatal(err)
	}
	if at.UserID != f.BotUserID() || at.TeamID != f.TeamID() || at.BotID == "" {
		t.Errorf("auth.test = %+v", at)
	}
	calls := f.Calls("users.info")
	if len(calls) != 2 || calls[0].Token != f.BotToken() || calls[0].Params.Get("user") != "U0GUEST" || calls[0].Params.Has("token") {
		t.Errorf("recorded users.info calls: %+v", calls)
	}
}

func TestScriptedFailuresAndRateLimits(t *testing.T) {
	f := newFake(t, slackfake.Options{})
	api := slack.New(f.BotToken(), slack.OptionAPIURL(f.URL()))
	f.RateLimitMethod("chat.postMessage", 7, 1)
	_, _, err := api.PostMessage("C0OPS", slack.MsgOptionText("hi", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 7*time.Second {
		t.Fatalf("rate limited post: %v, want *slack.RateLimitedError after 7s", err)
	}
	if _, _, err := api.PostMessage("C0OPS", slack.MsgOptionText("hi", false)); err != nil {
		t.Fatalf("second post: %v", err)
	}
	f.FailMethod("users.info", "fatal_error", 2)
	for i := range 3 {
		_, err := api.GetUserInfo("U0ALICE")
		want := map[bool]string{true: "fatal_error", false: ""}[i < 2]
		if got := slackErr(t, err); got != want {
			t.Errorf("call %d: %q, want %q", i, got, want)
		}
	}
	var errs []string
	for _, c := range f.Calls("") {
		errs = append(errs, c.Method+":"+c.Error)
	}
	want := []string{"chat.postMessage:ratelimited", "chat.postMessage:", "users.info:fatal_error", "users.info:fatal_error", "users.info:"}
	if diff := cmp.Diff(want, errs); diff != "" {
		t.Errorf("recorded calls (-want +got):\n%s", diff)
	}
}

func TestTriggerIDs(t *testing.T) {
	f, b := connected(t, slackfake.Options{TriggerTTL: 150 * time.Millisecond})
	trigger := func() string {
		d, err := f.Shortcut("U0ALICE", "new_note")
		if err != nil {
			t.Fatal(err)
		}
		b.ack(t, b.next(t), nil)
		return d.TriggerID
	}
	open := func(tr string) error { _, err := b.api.OpenViewContext(ctxT(t), tr, testModal()); return err }

	fresh := trigger()
	if err := open(fresh); err != nil {
		t.Fatalf("fresh trigger: %v", err)
	}
	if got := slackErr(t, open(fresh)); got != "expired_trigger_id" {
		t.Errorf("reused trigger: %q, want expired_trigger_id", got)
	}
	old := trigger()
	time.Sleep(200 * time.Millisecond)
	if got := slackErr(t, open(old)); got != "expired_trigger_id" {
		t.Errorf("expired trigger: %q, want expired_trigger_id", got)
	}
	err := open("12345.67890.deadbeef")
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != "invalid_arguments" || len(se.ResponseMetadata.Messages) == 0 {
		t.Errorf("unknown trigger: %v (%+v), want invalid_arguments with messages", err, se)
	}
	// views.push takes a trigger too and stacks at most 3 views.
	for i := range 3 {
		_, err := b.api.PushViewContext(ctxT(t), trigger(), testModal())
		want := map[bool]string{true: "", false: "push_limit_reached"}[i < 2]
		if got := slackErr(t, err); got != want {
			t.Errorf("push %d: %q, want %q", i+1, got, want)
		}
	}
	if n := len(f.Views("U0ALICE")); n != 3 {
		t.Errorf("stack = %d views, want 3", n)
	}
}

func TestViewLimits(t *testing.T) {
	f, b := connected(t, slackfake.Options{})
	text := func(s string) *slack.TextBlockObject { return slack.NewTextBlockObject("plain_text", s, false, false) }
	section := func(id string) slack.Block {
		return slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "x", false, false), nil, nil, slack.SectionBlockOptionBlockID(id))
	}
	modal := func(blocks ...slack.Block) slack.ModalViewRequest {
		return slack.ModalViewRequest{Type: slack.VTModal, Title: text("Title"), Submit: text("OK"), Blocks: slack.Blocks{BlockSet: blocks}}
	}
	options := func(n int, textLen int) []*slack.OptionBlockObject {
		var out []*slack.OptionBlockObject
		for i := range n {
			out = append(out, slack.NewOptionBlockObject(fmt.Sprint(i), text(strings.Repeat("o", textLen)), nil))
		}
		return out
	}
	selectWith := func(opts []*slack.OptionBlockObject) slack.Block {
		return slack.NewInputBlock("sel", text("Pick"), nil, slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, text("Pick"), "pick", opts...))
	}
	many := func(n int) []slack.Block {
		var out []slack.Block
		for i := range n {
			out = append(out, section(fmt.Sprint("b", i)))
		}
		return out
	}

	tests := []struct {
		name    string
		view    func() slack.ModalViewRequest
		wantErr string
		wantPtr string // a json-pointer the explanation names
	}{
		{"valid", func() slack.ModalViewRequest { return modal(section("a")) }, "", ""},
		{"25-char title", func() slack.ModalViewRequest {
			v := modal(section("a"))
			v.Title = text(strings.Repeat("t", 25))
			return v
		}, "invalid_arguments", "/view/title/text"},
		{"25-char submit", func() slack.ModalViewRequest {
			v := modal(section("a"))
			v.Submit = text(strings.Repeat("s", 25))
			return v
		}, "invalid_arguments", "/view/submit/text"},
		{"input without submit", func() slack.ModalViewRequest {
			v := modal(selectWith(options(1, 5)))
			v.Submit = nil
			return v
		}, "invalid_arguments", "/view/submit"},
		{"101 blocks", func() slack.ModalViewRequest { return modal(many(101)...) }, "invalid_arguments", "/view/blocks"},
		{"100 blocks", func() slack.ModalViewRequest { return modal(many(100)...) }, "", ""},
		{"duplicate block_id", func() slack.ModalViewRequest { return modal(section("dup"), section("dup")) }, "invalid_arguments", "/view/blocks/1/block_id"},
		{"101 options", func() slack.ModalViewRequest { return modal(selectWith(options(101, 5))) }, "invalid_arguments", "/view/blocks/0/element/options"},
		{"76-char option text", func() slack.ModalViewRequest { return modal(selectWith(options(1, 76))) }, "invalid_arguments", "/view/blocks/0/element/options/0/text/text"},
		{"private_metadata 3001", func() slack.ModalViewRequest {
			v := modal(section("a"))
			v.PrivateMetadata = strings.Repeat("m", 3001)
			return v
		}, "invalid_arguments", "/view/private_metadata"},
		{"151-char header", func() slack.ModalViewRequest { return modal(slack.NewHeaderBlock(text(strings.Repeat("h", 151)))) }, "invalid_arguments", "/view/blocks/0/text/text"},
		{"76-char button", func() slack.ModalViewRequest {
			return modal(slack.NewActionBlock("a", slack.NewButtonBlockElement("b", "v", text(strings.Repeat("b", 76)))))
		}, "invalid_arguments", "/view/blocks/0/elements/0/text/text"},
		{"duplicate action_id in a block", func() slack.ModalViewRequest {
			return modal(slack.NewActionBlock("a", slack.NewButtonBlockElement("b", "v", text("One")), slack.NewButtonBlockElement("b", "v", text("Two"))))
		}, "invalid_arguments", "/view/blocks/0/elements/1/action_id"},
		{"max_length 3001", func() slack.ModalViewRequest {
			el := slack.NewPlainTextInputBlockElement(nil, "n")
			el.MaxLength = 3001
			return modal(slack.NewInputBlock("n", text("Note"), nil, el))
		}, "invalid_arguments", "/view/blocks/0/element/max_length"},
	}
	d, err := f.Shortcut("U0ALICE", "x")
	if err != nil {
		t.Fatal(err)
	}
	b.ack(t, b.next(t), nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// An invalid view leaves the trigger unused, so one serves all the failing cases.
			tr := d.TriggerID
			if tt.wantErr == "" {
				nd, err := f.Shortcut("U0ALICE", "x")
				if err != nil {
					t.Fatal(err)
				}
				b.ack(t, b.next(t), nil)
				tr = nd.TriggerID
			}
			_, err := b.api.OpenViewContext(ctxT(t), tr, tt.view())
			if got := slackErr(t, err); got != tt.wantErr {
				t.Fatalf("views.open: %q, want %q", got, tt.wantErr)
			}
			if tt.wantPtr != "" {
				var se slack.SlackErrorResponse
				errors.As(err, &se)
				if !strings.Contains(strings.Join(se.ResponseMetadata.Messages, "\n"), "[json-pointer:"+tt.wantPtr+"]") {
					t.Errorf("messages %q do not name %s", se.ResponseMetadata.Messages, tt.wantPtr)
				}
			}
		})
	}
}

func TestViewsUpdate(t *testing.T) {
	f, b := connected(t, slackfake.Options{})
	d, _ := f.Shortcut("U0ALICE", "x")
	b.ack(t, b.next(t), nil)
	v := testModal()
	v.ExternalID = "note-1"
	resp, err := b.api.OpenViewContext(ctxT(t), d.TriggerID, v)
	if err != nil {
		t.Fatal(err)
	}
	v.Title = slack.NewTextBlockObject("plain_text", "Loaded", false, false)
	if _, err := b.api.UpdateViewContext(ctxT(t), v, "", "stale-hash", resp.ID); slackErr(t, err) != "hash_conflict" {
		t.Errorf("stale hash: %v, want hash_conflict", err)
	}
	up, err := b.api.UpdateViewContext(ctxT(t), v, "", resp.Hash, resp.ID)
	if err != nil {
		t.Fatalf("update by id: %v", err)
	}
	if up.ID != resp.ID || up.Hash == resp.Hash || up.Title.Text != "Loaded" {
		t.Errorf("updated view: id %q hash %q title %q", up.ID, up.Hash, up.Title.Text)
	}
	v.Title = slack.NewTextBlockObject("plain_text", "By external id", false, false)
	if _, err := b.api.UpdateViewContext(ctxT(t), v, "note-1", "", ""); err != nil {
		t.Fatalf("update by external_id: %v", err)
	}
	if got, _ := f.View(resp.ID); got.Title != "By external id" {
		t.Errorf("title = %q", got.Title)
	}
	if _, err := b.api.UpdateViewContext(ctxT(t), v, "", "", "V0NOPE"); slackErr(t, err) != "not_found" {
		t.Errorf("unknown view: %v, want not_found", err)
	}
}

func TestMessageLimits(t *testing.T) {
	f := newFake(t, slackfake.Options{})
	api := slack.New(f.BotToken(), slack.OptionAPIURL(f.URL()))
	mrkdwn := func(s string) *slack.TextBlockObject { return slack.NewTextBlockObject("mrkdwn", s, false, false) }
	sections := func(n int) []slack.Block {
		var out []slack.Block
		for range n {
			out = append(out, slack.NewSectionBlock(mrkdwn("x"), nil, nil))
		}
		return out
	}
	fields := func(n int) []*slack.TextBlockObject {
		var out []*slack.TextBlockObject
		for range n {
			out = append(out, mrkdwn("f"))
		}
		return out
	}
	buttons := func(n int) []slack.BlockElement {
		var out []slack.BlockElement
		for i := range n {
			out = append(out, slack.NewButtonBlockElement(fmt.Sprint("b", i), "v", slack.NewTextBlockObject("plain_text", "B", false, false)))
		}
		return out
	}
	tests := []struct {
		name string
		opts []slack.MsgOption
		want string
	}{
		{"50 blocks", []slack.MsgOption{slack.MsgOptionBlocks(sections(50)...)}, ""},
		{"51 blocks", []slack.MsgOption{slack.MsgOptionBlocks(sections(51)...)}, "invalid_blocks"},
		{"section text 3001", []slack.MsgOption{slack.MsgOptionBlocks(slack.NewSectionBlock(mrkdwn(strings.Repeat("x", 3001)), nil, nil))}, "invalid_blocks"},
		{"11 fields", []slack.MsgOption{slack.MsgOptionBlocks(slack.NewSectionBlock(nil, fields(11), nil))}, "invalid_blocks"},
		{"field 2001", []slack.MsgOption{slack.MsgOptionBlocks(slack.NewSectionBlock(nil, []*slack.TextBlockObject{mrkdwn(strings.Repeat("x", 2001))}, nil))}, "invalid_blocks"},
		{"26 buttons", []slack.MsgOption{slack.MsgOptionBlocks(slack.NewActionBlock("a", buttons(26)...))}, "invalid_blocks"},
		{"11 context elements", []slack.MsgOption{slack.MsgOptionBlocks(slack.NewContextBlock("c", func() []slack.MixedElement {
			var out []slack.MixedElement
			for range 11 {
				out = append(out, mrkdwn("c"))
			}
			return out
		}()...))}, "invalid_blocks"},
		{"text 40000", []slack.MsgOption{slack.MsgOptionText(strings.Repeat("x", 40000), false)}, ""},
		{"text 40001", []slack.MsgOption{slack.MsgOptionText(strings.Repeat("x", 40001), false)}, "msg_too_long"},
		{"no text", []slack.MsgOption{slack.MsgOptionText("", false)}, "no_text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := api.PostMessage("C0OPS", tt.opts...)
			if got := slackErr(t, err); got != tt.want {
				t.Fatalf("chat.postMessage: %q, want %q", got, tt.want)
			}
			var se slack.SlackErrorResponse
			if tt.want == "invalid_blocks" && (!errors.As(err, &se) || len(se.ResponseMetadata.Messages) == 0) {
				t.Errorf("invalid_blocks without response_metadata.messages: %+v", se)
			}
		})
	}
}

func TestResponseURL(t *testing.T) {
	f, b := connected(t, slackfake.Options{})
	d, err := f.Slash("U0ALICE", "C0INC", "/pd get")
	if err != nil {
		t.Fatal(err)
	}
	b.ack(t, b.next(t), nil)
	waitAck(t, d)
	post := func(opts ...slack.MsgOption) error {
		_, _, err := b.api.PostMessageContext(ctxT(t), "", opts...)
		return err
	}
	if err := post(slack.MsgOptionResponseURL(d.ResponseURL, slack.ResponseTypeEphemeral), slack.MsgOptionText("only you", false)); err != nil {
		t.Fatalf("ephemeral: %v", err)
	}
	if err := post(slack.MsgOptionResponseURL(d.ResponseURL, slack.ResponseTypeInChannel), slack.MsgOptionText("everyone", false)); err != nil {
		t.Fatalf("in_channel: %v", err)
	}
	eph := f.Ephemerals("U0ALICE", "C0INC")
	if len(eph) != 1 || eph[0].Text != "only you" || !eph[0].Ephemeral || eph[0].User != f.BotUserID() {
		t.Errorf("ephemerals: %+v", eph)
	}
	if got := f.Ephemerals("U0BOB", "C0INC"); len(got) != 0 {
		t.Errorf("bob sees alice's ephemeral: %+v", got)
	}
	msgs := f.Messages("C0INC")
	if len(msgs) != 1 || msgs[0].Text != "everyone" {
		t.Errorf("channel messages: %+v", msgs)
	}
	for i := 3; i <= 5; i++ {
		if err := post(slack.MsgOptionResponseURL(d.ResponseURL, slack.ResponseTypeEphemeral), slack.MsgOptionText("x", false)); err != nil {
			t.Fatalf("use %d: %v", i, err)
		}
	}
	if err := post(slack.MsgOptionResponseURL(d.ResponseURL, slack.ResponseTypeEphemeral), slack.MsgOptionText("x", false)); err == nil {
		t.Error("6th use of a response_url succeeded")
	}

	// Buttons on an ephemeral: replace_original then delete_original.
	_, err = b.api.PostEphemeralContext(ctxT(t), "C0INC", "U0BOB", slack.MsgOptionBlocks(
		slack.NewActionBlock("a", slack.NewButtonBlockElement("confirm", "yes", slack.NewTextBlockObject("plain_text", "Confirm", false, false)))))
	if err != nil {
		t.Fatal(err)
	}
	ts := f.Ephemerals("U0BOB", "C0INC")[0].TS
	if _, err := f.ClickButton("U0ALICE", "C0INC", ts, "confirm"); err == nil {
		t.Error("alice clicked bob's ephemeral")
	}
	click, err := f.ClickButton("U0BOB", "C0INC", ts, "confirm")
	if err != nil {
		t.Fatal(err)
	}
	evt := b.next(t)
	ic := evt.Data.(slack.InteractionCallback)
	if !ic.Container.IsEphemeral {
		t.Error("container.is_ephemeral = false")
	}
	b.ack(t, evt, nil)
	if err := post(slack.MsgOptionReplaceOriginal(click.ResponseURL), slack.MsgOptionText("Confirmed", false)); err != nil {
		t.Fatal(err)
	}
	got := f.Ephemerals("U0BOB", "C0INC")
	if len(got) != 1 || got[0].Text != "Confirmed" || !got[0].Replaced {
		t.Errorf("after replace_original: %+v", got)
	}
	if err := post(slack.MsgOptionDeleteOriginal(click.ResponseURL)); err != nil {
		t.Fatal(err)
	}
	if got := f.Ephemerals("U0BOB", "C0INC"); len(got) != 1 || !got[0].Deleted {
		t.Errorf("after delete_original: %+v", got)
	}

	// The raw answer is JSON {"ok":true}; unknown URLs are refused.
	resp, err := http.Post(d.ResponseURL+"x", "application/json", bytes.NewReader([]byte(`{"text":"x"}`)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown response_url: HTTP %d", resp.StatusCode)
	}
}

func TestSlashAckIsShown(t *testing.T) {
	f, b := connected(t, slackfake.Options{})
	tests := []struct {
		name        string
		payload     any
		wantEph     []string
		wantChannel []string
		wantProblem string
	}{
		{"empty ack shows nothing", nil, nil, nil, ""},
		{"ephemeral by default", map[string]any{"text": "Working on it"}, []string{"Working on it"}, nil, ""},
		{"in_channel", map[string]any{"text": "Acknowledged", "response_type": "in_channel"}, nil, []string{"Acknowledged"}, ""},
		{"invalid blocks", map[string]any{"blocks": []any{map[string]any{"type": "header", "text": map[string]any{"type": "plain_text", "text": strings.Repeat("h", 151)}}}}, nil, nil, "invalid_blocks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := "C0OPS"
			before, beforeCh := len(f.Ephemerals("U0ALICE", ch)), len(f.Messages(ch))
			d, err := f.Slash("U0ALICE", ch, "/pd whoami")
			if err != nil {
				t.Fatal(err)
			}
			b.ack(t, b.next(t), tt.payload)
			a := waitAck(t, d)
			if !strings.Contains(a.Problem, tt.wantProblem) || (tt.wantProblem == "" && a.Problem != "") {
				t.Errorf("problem = %q, want %q", a.Problem, tt.wantProblem)
			}
			var eph, chm []string
			for _, m := range f.Ephemerals("U0ALICE", ch)[before:] {
				eph = append(eph, m.Text)
			}
			for _, m := range f.Messages(ch)[beforeCh:] {
				chm = append(chm, m.Text)
			}
			if diff := cmp.Diff(tt.wantEph, eph); diff != "" {
				t.Errorf("ephemerals (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantChannel, chm); diff != "" {
				t.Errorf("channel (-want +got):\n%s", diff)
			}
		})
	}
}

func TestViewSubmissionAcks(t *testing.T) {
	f, b := connected(t, slackfake.Options{})
	open := func(t *testing.T) string {
		t.Helper()
		d, err := f.Shortcut("U0ALICE", "x")
		if err != nil {
			t.Fatal(err)
		}
		b.ack(t, b.next(t), nil)
		resp, err := b.api.OpenViewContext(ctxT(t), d.TriggerID, testModal())
		if err != nil {
			t.Fatal(err)
		}
		return resp.ID
	}
	other := testModal()
	other.Title = slack.NewTextBlockObject("plain_text", "Second", false, false)
	bad := testModal()
	bad.Title = slack.NewTextBlockObject("plain_text", strings.Repeat("t", 25), false, false)

	tests := []struct {
		name        string
		ack         any
		wantTitles  []string
		wantErrors  map[string]string
		wantProblem string
	}{
		{"empty ack closes", nil, nil, nil, ""},
		{"clear closes", slack.NewClearViewSubmissionResponse(), nil, nil, ""},
		{"errors keep it open", slack.NewErrorsViewSubmissionResponse(map[string]string{"note_block": "Too short"}), []string{"Add note"}, map[string]string{"note_block": "Too short"}, ""},
		{"errors on a non-input block", slack.NewErrorsViewSubmissionResponse(map[string]string{"view_acts": "x"}), []string{"Add note"}, nil, "not an input block_id"},
		{"update replaces", slack.NewUpdateViewSubmissionResponse(&other), []string{"Second"}, nil, ""},
		{"push stacks", slack.NewPushViewSubmissionResponse(&other), []string{"Add note", "Second"}, nil, ""},
		{"update with an invalid view", slack.NewUpdateViewSubmissionResponse(&bad), []string{"Add note"}, nil, "invalid_arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := open(t)
			d, err := f.SubmitView("U0ALICE", id, map[string]map[string]slackfake.Value{"note_block": {"note": {Value: "hi"}}})
			if err != nil {
				t.Fatal(err)
			}
			b.ack(t, b.next(t), tt.ack)
			a := waitAck(t, d)
			if !strings.Contains(a.Problem, tt.wantProblem) || (tt.wantProblem == "" && a.Problem != "") {
				t.Errorf("problem = %q, want %q", a.Problem, tt.wantProblem)
			}
			var titles []string
			var errs map[string]string
			for _, v := range f.Views("U0ALICE") {
				titles = append(titles, v.Title)
				if v.ID == id {
					errs = v.Errors
				}
			}
			if diff := cmp.Diff(tt.wantTitles, titles); diff != "" {
				t.Errorf("open views (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantErrors, errs); diff != "" {
				t.Errorf("view errors (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("required input left empty", func(t *testing.T) {
		id := open(t)
		if _, err := f.SubmitView("U0ALICE", id, nil); err == nil {
			t.Error("SubmitView with an empty required input succeeded")
		}
	})
}

func TestSuggestionAck(t *testing.T) {
	f, b := connected(t, slackfake.Options{})
	d, _ := f.Shortcut("U0ALICE", "x")
	b.ack(t, b.next(t), nil)
	resp, err := b.api.OpenViewContext(ctxT(t), d.TriggerID, testModal())
	if err != nil {
		t.Fatal(err)
	}
	opts := func(n, textLen int) *slack.OptionsResponse {
		r := &slack.OptionsResponse{}
		for i := range n {
			r.Options = append(r.Options, slack.NewOptionBlockObject(fmt.Sprint("P", i), slack.NewTextBlockObject("plain_text", strings.Repeat("p", textLen), false, false), nil))
		}
		return r
	}
	tests := []struct {
		name        string
		ack         any
		wantProblem string
	}{
		{"100 options", opts(100, 10), ""},
		{"101 options", opts(101, 10), "no more than 100"},
		{"76-char text", opts(1, 76), "less than 76"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := f.Suggest("U0ALICE", resp.ID, "policy", "eng")
			if err != nil {
				t.Fatal(err)
			}
			b.ack(t, b.next(t), tt.ack)
			a := waitAck(t, d)
			if !strings.Contains(a.Problem, tt.wantProblem) || (tt.wantProblem == "" && a.Problem != "") {
				t.Errorf("problem = %q, want %q", a.Problem, tt.wantProblem)
			}
		})
	}
}

func TestSlashTextEscaping(t *testing.T) {
	f, b := connected(t, slackfake.Options{})
	tests := []struct{ line, want string }{
		{"/pd map @bob bob@example.com", "map <@U0BOB|bob> bob@example.com"},
		{"/pd responders user=@alice,@bob page them", "responders user=<@U0ALICE|alice>,<@U0BOB|bob> page them"},
		{"/pd note see #ops and #nochannel", "note see <#C0OPS|ops> and #nochannel"},
		{"/pd note a < b && c > d", "note a &lt; b &amp;&amp; c &gt; d"},
		{"/pd note <!channel> @here", "note &lt;!channel&gt; <!here>"},
		{"/pd note @nobody thanks @bob.", "note @nobody thanks <@U0BOB|bob>."},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			if _, err := f.Slash("U0ALICE", "C0INC", tt.line); err != nil {
				t.Fatal(err)
			}
			evt := b.next(t)
			b.ack(t, evt, nil)
			if diff := cmp.Diff(tt.want, evt.Data.(slack.SlashCommand).Text); diff != "" {
				t.Errorf("text (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlainText(t *testing.T) {
	f, b := connected(t, slackfake.Options{})
	text := func(s string) *slack.TextBlockObject { return slack.NewTextBlockObject("plain_text", s, false, false) }
	mrkdwn := func(s string) *slack.TextBlockObject { return slack.NewTextBlockObject("mrkdwn", s, false, false) }
	_, _, err := b.api.PostMessageContext(ctxT(t), "C0INC",
		slack.MsgOptionText("Incident PABC123 triggered", false),
		slack.MsgOptionBlocks(
			slack.NewHeaderBlock(text("DB on fire")),
			slack.NewSectionBlock(mrkdwn("*Status:* triggered, assigned to <@U0BOB|bob> &amp; <https://acme.pagerduty.com/incidents/PABC123|PABC123>"), []*slack.TextBlockObject{mrkdwn("*Urgency*\nhigh"), mrkdwn("*Service*\nDB")}, nil),
			slack.NewDividerBlock(),
			slack.NewContextBlock("ctx", mrkdwn("Opened 5 min ago"), mrkdwn("in <#C0INC|inc-42>")),
			slack.NewActionBlock("acts",
				slack.NewButtonBlockElement("ack", "PABC123", text("Acknowledge")),
				slack.NewButtonBlockElement("resolve", "PABC123", text("Resolve"))),
		))
	if err != nil {
		t.Fatal(err)
	}
	wantMsg := `Incident PABC123 triggered
== DB on fire ==
*Status:* triggered, assigned to @bob & PABC123 (https://acme.pagerduty.com/incidents/PABC123)
  *Urgency*
high
  *Service*
DB
---
Opened 5 min ago · in #inc-42
[Acknowledge] [Resolve]`
	if diff := cmp.Diff(wantMsg, f.Messages("C0INC")[0].PlainText()); diff != "" {
		t.Errorf("message PlainText (-want +got):\n%s", diff)
	}

	d, _ := f.Shortcut("U0ALICE", "x")
	b.ack(t, b.next(t), nil)
	resp, err := b.api.OpenViewContext(ctxT(t), d.TriggerID, testModal())
	if err != nil {
		t.Fatal(err)
	}
	sd, err := f.SubmitView("U0ALICE", resp.ID, map[string]map[string]slackfake.Value{"note_block": {"note": {Value: "x"}}})
	if err != nil {
		t.Fatal(err)
	}
	b.ack(t, b.next(t), slack.NewErrorsViewSubmissionResponse(map[string]string{"note_block": "Say more"}))
	waitAck(t, sd)
	v, _ := f.View(resp.ID)
	wantView := `=== Add note ===
Note: [What happened?]
  ! Say more
Policy (optional): [Pick a policy ▾]
[Refresh]
[Cancel] [Add]`
	if diff := cmp.Diff(wantView, v.PlainText()); diff != "" {
		t.Errorf("view PlainText (-want +got):\n%s", diff)
	}
}

func TestSlackfaketestNewChatMethods(t *testing.T) {
	f := slackfaketest.New(t)
	seed(f)
	api := slack.New(f.BotToken(), slack.OptionAPIURL(f.URL()))
	if !strings.HasSuffix(f.URL(), "/api/") {
		t.Errorf("URL() = %q, want a trailing /api/", f.URL())
	}
	_, ts, err := api.PostMessage("C0OPS", slack.MsgOptionText("first", false))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := api.UpdateMessage("C0OPS", ts, slack.MsgOptionText("edited", false)); err != nil {
		t.Fatal(err)
	}
	link, err := api.GetPermalink(&slack.PermalinkParameters{Channel: "C0OPS", Ts: ts})
	if err != nil || link != slackfake.Permalink("C0OPS", ts) || !strings.HasPrefix(link, "https://fake.slack.com/archives/C0OPS/p") {
		t.Errorf("permalink = %q, %v", link, err)
	}
	ets, err := api.PostEphemeral("C0OPS", "U0BOB", slack.MsgOptionText("psst", false))
	if err != nil || ets == "" {
		t.Fatalf("postEphemeral = %q, %v", ets, err)
	}
	if _, _, err := api.PostMessage("U0BOB", slack.MsgOptionText("dm", false)); err != nil {
		t.Fatal(err)
	}
	type msg struct {
		Text          string
		Replaced, Eph bool
		User          string
	}
	var got []msg
	for _, m := range append(append(f.Messages("C0OPS"), f.Ephemerals("U0BOB", "")...), f.Messages("U0BOB")...) {
		got = append(got, msg{m.Text, m.Replaced, m.Ephemeral, m.User})
	}
	want := []msg{{"edited", true, false, f.BotUserID()}, {"psst", false, true, f.BotUserID()}, {"dm", false, false, f.BotUserID()}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
}
