package slackfake_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/pdbot/pdbot/internal/slackfake"
)

// dialRaw opens a socket with a plain gorilla client (to see frames
// slack-go hides) and returns it with the URL it used.
func dialRaw(t *testing.T, f *slackfake.Fake) (*websocket.Conn, string) {
	t.Helper()
	api := slack.New(f.BotToken(), slack.OptionAppLevelToken(f.AppToken()), slack.OptionAPIURL(f.URL()))
	_, u, err := api.StartSocketModeContext(ctxT(t))
	if err != nil {
		t.Fatalf("apps.connections.open: %v", err)
	}
	h := http.Header{"Origin": {"https://api.slack.com"}}
	ws, _, err := websocket.DefaultDialer.Dial(u, h)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = ws.Close() })
	return ws, u
}

func TestHelloPingAndOneShotTicket(t *testing.T) {
	f := newFake(t, slackfake.Options{PingInterval: 100 * time.Millisecond, AppID: "A0TESTAPP"})
	ws, u := dialRaw(t, f)
	if !strings.HasPrefix(u, "ws://127.0.0.1:") || !strings.Contains(u, "/link/?ticket=") {
		t.Errorf("url = %q, want ws://127.0.0.1:PORT/link/?ticket=…", u)
	}
	pings := make(chan struct{}, 10)
	ws.SetPingHandler(func(string) error {
		select {
		case pings <- struct{}{}:
		default:
		}
		return nil
	})
	var hello socketmode.Request
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := ws.ReadJSON(&hello); err != nil {
		t.Fatal(err)
	}
	want := socketmode.Request{Type: "hello", NumConnections: 1, ConnectionInfo: socketmode.ConnectionInfo{AppID: "A0TESTAPP"}}
	if diff := cmp.Diff(want, hello, cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "DebugInfo" }, cmp.Ignore())); diff != "" {
		t.Errorf("hello (-want +got):\n%s", diff)
	}
	if hello.DebugInfo.ApproximateConnectionTime <= 0 {
		t.Errorf("approximate_connection_time = %d, want > 0", hello.DebugInfo.ApproximateConnectionTime)
	}
	// Pings are handled while reading; read in the background.
	go func() {
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	}()
	for i := 0; i < 3; i++ {
		select {
		case <-pings:
		case <-time.After(2 * time.Second):
			t.Fatalf("ping %d not received", i+1)
		}
	}

	// The ticket was used: a second dial is refused.
	if _, resp, err := websocket.DefaultDialer.Dial(u, nil); err == nil {
		t.Error("second dial with the same ticket succeeded")
	} else if resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("second dial: %v, want HTTP 401", err)
	}
	// debug_reconnects (slack.OptionDebug) is tolerated.
	api := slack.New(f.BotToken(), slack.OptionAppLevelToken(f.AppToken()), slack.OptionAPIURL(f.URL()), slack.OptionDebug(true), slack.OptionLog(discard{}))
	_, u2, err := api.StartSocketModeContext(ctxT(t))
	if err != nil || !strings.Contains(u2, "debug_reconnects=true") {
		t.Fatalf("open with debug: %q, %v", u2, err)
	}
	ws2, _, err := websocket.DefaultDialer.Dial(u2, nil)
	if err != nil {
		t.Fatalf("dial with debug_reconnects: %v", err)
	}
	_ = ws2.Close()
}

type discard struct{}

func (discard) Output(int, string) error { return nil }

func TestEnvelopesOfEachTypeAreDeliveredAndAcked(t *testing.T) {
	f, b := connected(t, slackfake.Options{})
	ts := f.PostAsUser("U0BOB", "C0INC", "the database is on fire")

	// A modal to interact with, opened from a shortcut's trigger.
	d, err := f.Shortcut("U0ALICE", "new_note")
	if err != nil {
		t.Fatal(err)
	}
	b.ack(t, b.next(t), nil)
	notify := true
	view := testModal()
	view.NotifyOnClose = notify
	resp, err := b.api.OpenViewContext(ctxT(t), d.TriggerID, view)
	if err != nil {
		t.Fatalf("views.open: %v", err)
	}
	viewID := resp.ID
	// A message with a button.
	_, msgTS, err := b.api.PostMessageContext(ctxT(t), "C0INC", slack.MsgOptionBlocks(
		slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "Incident *PABC123*", false, false), nil, nil),
		slack.NewActionBlock("acts", slack.NewButtonBlockElement("ack", "PABC123", slack.NewTextBlockObject("plain_text", "Acknowledge", false, false))),
	))
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name        string
		send        func() (*slackfake.Delivery, error)
		wantType    socketmode.EventType
		wantKind    string
		wantAccepts bool
		check       func(t *testing.T, evt socketmode.Event)
	}{
		{"slash", func() (*slackfake.Delivery, error) { return f.Slash("U0ALICE", "C0INC", "/pd note hi") }, socketmode.EventTypeSlashCommand, "/pd", true,
			func(t *testing.T, evt socketmode.Event) {
				cmd := evt.Data.(slack.SlashCommand)
				got := []string{cmd.Command, cmd.Text, cmd.UserID, cmd.UserName, cmd.ChannelID, cmd.ChannelName, cmd.TeamID}
				if diff := cmp.Diff([]string{"/pd", "note hi", "U0ALICE", "alice", "C0INC", "inc-42", f.TeamID()}, got); diff != "" {
					t.Errorf("slash (-want +got):\n%s", diff)
				}
				if cmd.TriggerID == "" || cmd.ResponseURL == "" {
					t.Errorf("slash lacks trigger_id or response_url: %+v", cmd)
				}
			}},
		{"shortcut", func() (*slackfake.Delivery, error) { return f.Shortcut("U0ALICE", "new_note") }, socketmode.EventTypeInteractive, "shortcut", false,
			func(t *testing.T, evt socketmode.Event) {
				ic := evt.Data.(slack.InteractionCallback)
				if ic.Type != slack.InteractionTypeShortcut || ic.CallbackID != "new_note" || ic.ResponseURL != "" || ic.TriggerID == "" {
					t.Errorf("shortcut payload: %+v", ic)
				}
			}},
		{"message_action", func() (*slackfake.Delivery, error) { return f.MessageShortcut("U0ALICE", "C0INC", ts, "add_note") }, socketmode.EventTypeInteractive, "message_action", false,
			func(t *testing.T, evt socketmode.Event) {
				ic := evt.Data.(slack.InteractionCallback)
				got := []string{string(ic.Type), ic.CallbackID, ic.Message.Text, ic.Message.User, ic.MessageTs, ic.Channel.ID}
				if diff := cmp.Diff([]string{"message_action", "add_note", "the database is on fire", "U0BOB", ts, "C0INC"}, got); diff != "" {
					t.Errorf("message_action (-want +got):\n%s", diff)
				}
			}},
		{"block_actions", func() (*slackfake.Delivery, error) { return f.ClickButton("U0ALICE", "C0INC", msgTS, "ack") }, socketmode.EventTypeInteractive, "block_actions", false,
			func(t *testing.T, evt socketmode.Event) {
				ic := evt.Data.(slack.InteractionCallback)
				if len(ic.ActionCallback.BlockActions) != 1 {
					t.Fatalf("actions: %+v", ic.ActionCallback)
				}
				a := ic.ActionCallback.BlockActions[0]
				got := []string{a.ActionID, a.BlockID, a.Value, ic.Container.Type, ic.Container.MessageTs, ic.Container.ChannelID}
				if diff := cmp.Diff([]string{"ack", "acts", "PABC123", "message", msgTS, "C0INC"}, got); diff != "" {
					t.Errorf("block_actions (-want +got):\n%s", diff)
				}
				if ic.ResponseURL == "" || ic.TriggerID == "" || ic.BlockActionState == nil {
					t.Errorf("block_actions lacks response_url, trigger_id or state")
				}
			}},
		{"block_suggestion", func() (*slackfake.Delivery, error) { return f.Suggest("U0ALICE", viewID, "policy", "eng") }, socketmode.EventTypeInteractive, "block_suggestion", true,
			func(t *testing.T, evt socketmode.Event) {
				ic := evt.Data.(slack.InteractionCallback)
				if ic.ActionID != "policy" || ic.Value != "eng" || ic.View.ID != viewID || ic.BlockID != "policy_block" {
					t.Errorf("block_suggestion: action %q value %q view %q block %q", ic.ActionID, ic.Value, ic.View.ID, ic.BlockID)
				}
			}},
		{"view_submission", func() (*slackfake.Delivery, error) {
			return f.SubmitView("U0ALICE", viewID, map[string]map[string]slackfake.Value{"note_block": {"note": {Value: "hello"}}})
		}, socketmode.EventTypeInteractive, "view_submission", true,
			func(t *testing.T, evt socketmode.Event) {
				ic := evt.Data.(slack.InteractionCallback)
				if got := ic.View.State.Values["note_block"]["note"].Value; got != "hello" {
					t.Errorf("note = %q, want hello", got)
				}
				if _, ok := ic.View.State.Values["policy_block"]["policy"]; !ok {
					t.Errorf("state lacks the untouched optional input: %+v", ic.View.State.Values)
				}
				if ic.View.CallbackID != "note_modal" || ic.View.PrivateMetadata != "C0INC" {
					t.Errorf("view: callback %q metadata %q", ic.View.CallbackID, ic.View.PrivateMetadata)
				}
			}},
		{"events_api", func() (*slackfake.Delivery, error) {
			return f.SendEvent([]byte(`{"type":"app_mention","user":"U0BOB","text":"<@U0PDBOT000> hi","ts":"1.000001","channel":"C0INC","event_ts":"1.000001"}`))
		}, socketmode.EventTypeEventsAPI, "app_mention", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := tt.send()
			if err != nil {
				t.Fatal(err)
			}
			evt := b.next(t)
			if evt.Type != tt.wantType {
				t.Fatalf("event type = %s, want %s", evt.Type, tt.wantType)
			}
			if evt.Request.EnvelopeID != d.EnvelopeID || evt.Request.AcceptsResponsePayload != tt.wantAccepts || d.Kind != tt.wantKind {
				t.Errorf("envelope %q accepts %v kind %q, want %q %v %q", evt.Request.EnvelopeID, evt.Request.AcceptsResponsePayload, d.Kind, d.EnvelopeID, tt.wantAccepts, tt.wantKind)
			}
			if tt.check != nil {
				tt.check(t, evt)
			}
			time.Sleep(5 * time.Millisecond)
			b.ack(t, evt, nil)
			a := waitAck(t, d)
			if a.Count != 1 || a.Latency < 5*time.Millisecond || a.Latency > time.Second {
				t.Errorf("ack = %+v, want one ack with a latency of a few ms", a)
			}
		})
	}

	// The submission closed the modal; view_closed comes only with notify_on_close.
	if got := f.Views("U0ALICE"); len(got) != 0 {
		t.Errorf("views after submission: %d open", len(got))
	}
	d, err = f.Shortcut("U0ALICE", "x")
	if err != nil {
		t.Fatal(err)
	}
	b.ack(t, b.next(t), nil)
	resp, err = b.api.OpenViewContext(ctxT(t), d.TriggerID, view)
	if err != nil {
		t.Fatal(err)
	}
	dc, err := f.CloseView("U0ALICE", resp.ID)
	if err != nil {
		t.Fatal(err)
	}
	evt := b.next(t)
	if ic := evt.Data.(slack.InteractionCallback); ic.Type != slack.InteractionTypeViewClosed || ic.View.ID != resp.ID {
		t.Errorf("view_closed: type %q view %q", ic.Type, ic.View.ID)
	}
	b.ack(t, evt, nil)
	b.ack(t, evt, nil) // a duplicate is counted, not applied
	waitAck(t, dc)
	if err := f.WaitFor(ctxT(t), func() bool { return lastAck(f).Count == 2 }); err != nil {
		t.Errorf("duplicate ack not counted: %+v", lastAck(f))
	}
	view.NotifyOnClose = false
	d, _ = f.Shortcut("U0ALICE", "x")
	b.ack(t, b.next(t), nil)
	resp, err = b.api.OpenViewContext(ctxT(t), d.TriggerID, view)
	if err != nil {
		t.Fatal(err)
	}
	if dc, err := f.CloseView("U0ALICE", resp.ID); dc != nil || err != nil {
		t.Errorf("CloseView without notify_on_close = %v, %v; want nil, nil", dc, err)
	}
}

func lastAck(f *slackfake.Fake) slackfake.AckRecord {
	acks := f.Acks()
	return acks[len(acks)-1]
}

// testModal is a note modal with a required text input and an optional
// external select.
func testModal() slack.ModalViewRequest {
	minLen := 1
	policy := slack.NewOptionsSelectBlockElement(slack.OptTypeExternal, slack.NewTextBlockObject("plain_text", "Pick a policy", false, false), "policy")
	policy.MinQueryLength = &minLen
	in := slack.NewInputBlock("policy_block", slack.NewTextBlockObject("plain_text", "Policy", false, false), nil, policy)
	in.Optional = true
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		Title:           slack.NewTextBlockObject("plain_text", "Add note", false, false),
		Submit:          slack.NewTextBlockObject("plain_text", "Add", false, false),
		Close:           slack.NewTextBlockObject("plain_text", "Cancel", false, false),
		CallbackID:      "note_modal",
		PrivateMetadata: "C0INC",
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock("note_block", slack.NewTextBlockObject("plain_text", "Note", false, false), nil,
				slack.NewPlainTextInputBlockElement(slack.NewTextBlockObject("plain_text", "What happened?", false, false), "note")),
			in,
			slack.NewActionBlock("view_acts", slack.NewButtonBlockElement("refresh", "r", slack.NewTextBlockObject("plain_text", "Refresh", false, false))),
		}},
	}
}

func TestReconnectAfterDisconnect(t *testing.T) {
	for _, reason := range []string{slackfake.ReasonRefreshRequested, slackfake.ReasonWarning} {
		t.Run(reason, func(t *testing.T) {
			t.Parallel()
			f, b := connected(t, slackfake.Options{})
			opens := len(f.Calls("apps.connections.open"))
			f.Disconnect(reason)
			b.waitHello(t) // slack-go closes and reconnects
			if got := len(f.Calls("apps.connections.open")); got != opens+1 {
				t.Errorf("apps.connections.open calls = %d, want %d", got, opens+1)
			}
			if err := f.WaitFor(ctxT(t), func() bool { return f.Connections() == 1 }); err != nil {
				t.Fatalf("connections = %d: %v", f.Connections(), err)
			}
			d, err := f.Slash("U0ALICE", "C0INC", "/pd help")
			if err != nil {
				t.Fatal(err)
			}
			evt := b.next(t)
			if evt.Request.EnvelopeID != d.EnvelopeID {
				t.Errorf("got envelope %s, want %s", evt.Request.EnvelopeID, d.EnvelopeID)
			}
			b.ack(t, evt, nil)
			waitAck(t, d)
		})
	}
	t.Run("server close", func(t *testing.T) {
		t.Parallel()
		f, b := connected(t, slackfake.Options{})
		f.CloseConnections()
		b.waitHello(t)
		d, err := f.Slash("U0ALICE", "C0INC", "/pd help")
		if err != nil {
			t.Fatal(err)
		}
		b.ack(t, b.next(t), nil)
		waitAck(t, d)
	})
}

func TestPingsKeepTheClientConnected(t *testing.T) {
	tests := []struct {
		name      string
		fakePing  time.Duration
		wantOpens int // apps.connections.open calls after 3.5 client ping intervals
	}{
		{"fake pings every 250ms", 250 * time.Millisecond, 1},
		{"fake too slow to ping", time.Minute, 2}, // control: slack-go gives up and reconnects
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, _ := connected(t, slackfake.Options{PingInterval: tt.fakePing}, socketmode.OptionPingInterval(time.Second))
			time.Sleep(3500 * time.Millisecond)
			if got := len(f.Calls("apps.connections.open")); (tt.wantOpens == 1 && got != 1) || (tt.wantOpens > 1 && got < tt.wantOpens) {
				t.Errorf("apps.connections.open called %d times, want %d", got, tt.wantOpens)
			}
		})
	}
}

func TestTenConnectionsEachEnvelopeOnce(t *testing.T) {
	f := newFake(t, slackfake.Options{})
	var (
		mu   sync.Mutex
		seen = map[string]int{}
		per  = map[int]int{}
	)
	for i := range slackfake.MaxConnections {
		b := startBot(t, f)
		b.waitHello(t)
		go func() {
			for evt := range b.reqs {
				mu.Lock()
				seen[evt.Request.EnvelopeID]++
				per[i]++
				mu.Unlock()
				_ = b.client.Ack(*evt.Request)
			}
		}()
	}
	if got := f.Connections(); got != slackfake.MaxConnections {
		t.Fatalf("connections = %d, want 10", got)
	}
	// The 11th socket is told too_many_websockets.
	ws, _ := dialRaw(t, f)
	var r socketmode.Request
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := ws.ReadJSON(&r); err != nil || r.Type != "disconnect" || r.Reason != slackfake.ReasonTooManyWebsockets {
		t.Errorf("11th socket got %+v, %v; want disconnect too_many_websockets", r, err)
	}

	var ds []*slackfake.Delivery
	for i := range 30 {
		d, err := f.Slash("U0ALICE", "C0INC", fmt.Sprintf("/pd note %d", i))
		if err != nil {
			t.Fatal(err)
		}
		ds = append(ds, d)
	}
	for _, d := range ds {
		waitAck(t, d)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, d := range ds {
		if seen[d.EnvelopeID] != 1 {
			t.Errorf("envelope %s delivered %d times", d.EnvelopeID, seen[d.EnvelopeID])
		}
	}
	for i := range slackfake.MaxConnections {
		if per[i] != 3 {
			t.Errorf("connection %d got %d envelopes, want 3 (round-robin)", i, per[i])
		}
	}
}

func TestOversizedClientFrameClosesWith1009(t *testing.T) {
	f := newFake(t, slackfake.Options{})
	ws, _ := dialRaw(t, f)
	var hello map[string]any
	if err := ws.ReadJSON(&hello); err != nil {
		t.Fatal(err)
	}
	big := `{"envelope_id":"x","payload":{"text":"` + strings.Repeat("a", slackfake.MaxClientFrame) + `"}}`
	if err := ws.WriteMessage(websocket.TextMessage, []byte(big)); err != nil {
		t.Fatal(err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err := ws.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseMessageTooBig {
		t.Fatalf("read after oversized frame: %v, want close 1009", err)
	}
	if f.RejectedFrames() != 1 {
		t.Errorf("RejectedFrames = %d, want 1", f.RejectedFrames())
	}
}

func TestInteractionWaitsForAConnection(t *testing.T) {
	f := newFake(t, slackfake.Options{ConnectWait: 100 * time.Millisecond})
	if _, err := f.Slash("U0ALICE", "C0INC", "/pd help"); !errors.Is(err, slackfake.ErrNoConnection) {
		t.Fatalf("Slash without a socket: %v, want ErrNoConnection", err)
	}
	f2 := newFake(t, slackfake.Options{})
	go func() {
		time.Sleep(200 * time.Millisecond)
		b := startBot(t, f2)
		evt := <-b.reqs
		_ = b.client.Ack(*evt.Request)
	}()
	d, err := f2.Slash("U0ALICE", "C0INC", "/pd help")
	if err != nil {
		t.Fatalf("Slash while a client connects: %v", err)
	}
	waitAck(t, d)
}

func TestLateAckIsAProblem(t *testing.T) {
	if testing.Short() {
		t.Skip("waits 3s")
	}
	t.Parallel()
	f, b := connected(t, slackfake.Options{})
	d, err := f.Slash("U0ALICE", "C0INC", "/pd get")
	if err != nil {
		t.Fatal(err)
	}
	evt := b.next(t)
	time.Sleep(slackfake.AckTimeout + 100*time.Millisecond)
	if p := lastAck(f).Problem; !strings.Contains(p, "operation_timeout") {
		t.Errorf("unacked after 3s: problem %q", p)
	}
	b.ack(t, evt, map[string]any{"text": "too late"})
	a := waitAck(t, d)
	if !strings.Contains(a.Problem, "operation_timeout") {
		t.Errorf("late ack problem = %q", a.Problem)
	}
	if got := f.Ephemerals("U0ALICE", "C0INC"); len(got) != 0 {
		t.Errorf("a late ack's payload was shown: %+v", got)
	}
}
