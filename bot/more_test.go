package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/pdbot/pdbot/bot"
	"github.com/pdbot/pdbot/handlers"
	"github.com/pdbot/pdbot/internal/demoworld"
	"github.com/pdbot/pdbot/internal/pdfake"
	"github.com/pdbot/pdbot/internal/slackfake"
	"github.com/pdbot/pdbot/store"
)

func TestReconnectsAfterDisconnect(t *testing.T) {
	h := newHarness(t)
	for _, reason := range []string{slackfake.ReasonRefreshRequested, slackfake.ReasonWarning} {
		opened := len(h.sf.Calls("apps.connections.open"))
		h.sf.Disconnect(reason)
		h.waitFor("a new connection after "+reason, func() bool {
			return len(h.sf.Calls("apps.connections.open")) > opened && h.sf.Connections() == 1
		})
		got := h.slash(alice, incCh, "/pd whoami")
		contains(t, got.Text, "Alice Smith")
	}
	h.sf.CloseConnections()
	got := h.slash(alice, incCh, "/pd help")
	contains(t, got.Text, "/pd note")
}

func TestAdminsFromConfigButNeverGuests(t *testing.T) {
	h := newHarness(t, withAdmins(bob, demoworld.DaveID))
	got := h.slash(bob, incCh, "/pd key status")
	contains(t, got.Text, "Workspace default: key ending in")
	got = h.slash(demoworld.DaveID, incCh, "/pd key status")
	contains(t, got.Text, "Only workspace admins")
}

func TestUserAndPagerDutyTextIsEscaped(t *testing.T) {
	h := newHarness(t)
	const evil = "<!channel> DB down & <https://evil.example|click me> <@U0CAROL01>"
	h.pd.AddIncident(pdfake.Incident{ID: "Q3EVILEVILEVIL", Number: 66, Title: evil, ServiceID: demoworld.ServiceDBID})
	card := h.slash(alice, opsCh, "/pd get Q3EVILEVILEVIL")
	got := h.slash(alice, opsCh, "/pd note Q3EVILEVILEVIL <!here> see <https://evil.example|this>")
	for _, m := range []slackfake.Message{card, got} {
		raw := m.Text + string(m.Blocks)
		var mrkdwn []string
		collectMrkdwn(t, m.Blocks, &mrkdwn)
		for _, s := range append(mrkdwn, m.Text) {
			for _, bad := range []string{"<!channel>", "<!here>", "<https://evil", "<@U0CAROL01>"} {
				if strings.Contains(s, bad) {
					t.Errorf("unescaped %q in %q", bad, s)
				}
			}
		}
		_ = raw
	}
	// PagerDuty gets the note exactly as typed (Slack escaped it; pdbot unescapes).
	inc, _ := h.pd.Incident("Q3EVILEVILEVIL")
	if n := inc.Notes[len(inc.Notes)-1].Content; n != "<!here> see <https://evil.example|this>" {
		t.Errorf("note content %q", n)
	}
}

// collectMrkdwn gathers every mrkdwn text object in blocks.
func collectMrkdwn(t *testing.T, blocks json.RawMessage, out *[]string) {
	t.Helper()
	if len(blocks) == 0 {
		return
	}
	var v any
	if err := json.Unmarshal(blocks, &v); err != nil {
		t.Fatal(err)
	}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["type"] == "mrkdwn" {
				if s, ok := x["text"].(string); ok {
					*out = append(*out, s)
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(v)
}

func TestRouteTableRefusesMistakes(t *testing.T) {
	ok := handlers.Route{Kind: handlers.Slash, ID: "x", Usage: "x", Help: "x", Handle: func(context.Context, *handlers.Request) (handlers.Reply, error) { return handlers.Reply{}, nil }}
	cases := map[string][]handlers.Route{
		"duplicate": {ok, ok},
		"empty action": {func() handlers.Route {
			r := ok
			r.Kind, r.ID = handlers.Action, ""
			return r
		}()},
		"no handler": {func() handlers.Route { r := ok; r.Handle = nil; return r }()},
		"no usage":   {func() handlers.Route { r := ok; r.Usage = ""; return r }()},
		"long modal title": {func() handlers.Route {
			r := ok
			r.Modal, r.Title = true, "A title longer than 24 chars"
			return r
		}()},
	}
	for name, routes := range cases {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("NewTable did not panic")
				}
			}()
			bot.NewTable(routes)
		})
	}
	// Same ID, different kinds: fine.
	a := ok
	a.Kind = handlers.Action
	bot.NewTable([]handlers.Route{ok, a})
}

// TestDependenciesFlowOneWay: cmd → bot → handlers → pdapi, bot → store,
// bot → live → (handlers, pdapi, store);
// store knows nothing of Slack or PagerDuty, handlers nothing of bot or
// store, pdapi nothing of Slack or of pdbot's other packages.
func TestDependenciesFlowOneWay(t *testing.T) {
	forbidden := map[string][]string{
		"github.com/pdbot/pdbot/store":    {"github.com/slack-go/slack", "github.com/PagerDuty/go-pagerduty", "github.com/pdbot/pdbot/bot", "github.com/pdbot/pdbot/handlers"},
		"github.com/pdbot/pdbot/handlers": {"github.com/pdbot/pdbot/bot", "github.com/pdbot/pdbot/store", "github.com/slack-go/slack/socketmode"},
		"github.com/pdbot/pdbot/bot":      {"github.com/pdbot/pdbot/cmd/pdbot", "github.com/pdbot/pdbot/internal/slackfake", "github.com/pdbot/pdbot/internal/pdfake"},
		// live is driven by bot, never the other way, and knows no transport.
		"github.com/pdbot/pdbot/internal/live": {"github.com/pdbot/pdbot/bot", "github.com/pdbot/pdbot/cmd/pdbot", "github.com/slack-go/slack/socketmode", "github.com/pdbot/pdbot/internal/slackfake", "github.com/pdbot/pdbot/internal/pdfake"},
		// pdapi is the PagerDuty client and nothing else.
		"github.com/pdbot/pdbot/internal/pdapi": {"github.com/pdbot/pdbot/handlers", "github.com/pdbot/pdbot/bot", "github.com/pdbot/pdbot/store", "github.com/slack-go/slack"},
	}
	for pkg, bad := range forbidden {
		out, err := exec.Command("go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		deps := strings.Fields(string(out))
		for _, d := range deps {
			for _, b := range bad {
				if d == b || strings.HasPrefix(d, b+"/") {
					t.Errorf("%s imports %s", pkg, d)
				}
			}
		}
	}
}

// TestReplicasShareTheWork runs two replicas on one store: Slack spreads
// envelopes over both connections, and each command is carried out once.
func TestReplicasShareTheWork(t *testing.T) {
	t.Run("bolt", func(t *testing.T) { replicasShareTheWork(t, newHarness(t)) })
	t.Run("postgres", func(t *testing.T) { replicasShareTheWork(t, newHarness(t, onPostgres())) })
}

func replicasShareTheWork(t *testing.T, h *harness) {
	h.startReplica()
	h.waitFor("two connections", func() bool { return h.sf.Connections() == 2 })
	const n = 20
	for i := 0; i < n; i++ {
		if _, err := h.sf.Slash(alice, incCh, "/pd note replica test"); err != nil {
			t.Fatal(err)
		}
	}
	h.waitFor("every note", func() bool { return len(h.sf.Messages(incCh)) >= n })
	inc, _ := h.pd.Incident(inc42)
	got := 0
	for _, note := range inc.Notes {
		if note.Content == "replica test" {
			got++
		}
	}
	if got != n {
		t.Errorf("%d notes for %d commands", got, n)
	}
	// A form opened through one replica is submitted through either.
	v := h.openModal(alice, incCh, "/pd escalate", "escalate_submit")
	before := h.snapshot(alice, incCh)
	h.submit(alice, v, map[string]map[string]slackfake.Value{"policy": {"policy_search": {SelectedOption: demoworld.PolicyWebID}}})
	contains(t, h.next(alice, incCh, before, "the escalation").Text, "Web On-Call")
}

// TestModalThatCannotOpenIsReported: when Slack refuses views.open (here an
// expired trigger), the requester is told instead of seeing nothing.
func TestModalThatCannotOpenIsReported(t *testing.T) {
	h := newHarness(t)
	h.allowSlackErrors = true
	h.sf.FailMethod("views.open", "expired_trigger_id", 2)
	got := h.slash(alice, incCh, "/pd key")
	contains(t, got.Text, "Slack did not let pdbot open the form", "expired_trigger_id")
	if !got.Ephemeral {
		t.Error("the warning should be ephemeral")
	}
}

// TestAnswersInDMWhenTheChannelIsClosedToTheBot: after a form, pdbot answers
// in the channel; when Slack refuses (the bot was never invited), the
// requester still hears back, in the app DM.
func TestAnswersInDMWhenTheChannelIsClosedToTheBot(t *testing.T) {
	h := newHarness(t)
	h.allowSlackErrors = true
	v := h.openModal(alice, incCh, "/pd escalate", "escalate_submit")
	h.sf.FailMethod("chat.postMessage", "not_in_channel", 1)
	h.sf.FailMethod("chat.postEphemeral", "not_in_channel", 1)
	h.submit(alice, v, map[string]map[string]slackfake.Value{"policy": {"policy_search": {SelectedOption: demoworld.PolicyWebID}}})
	h.waitFor("an answer in the DM", func() bool {
		for _, m := range h.sf.Messages(alice) {
			if strings.Contains(m.Text, "Web On-Call") && strings.Contains(m.Text, "not_in_channel") {
				return true
			}
		}
		return false
	})
}

// TestPastedKeysAreNeverRepeated: a key pasted where it does not belong is
// refused without being quoted back, logged or audited (the harness checks
// replies, logs and audit rows for the canary).
func TestPastedKeysAreNeverRepeated(t *testing.T) {
	h := newHarness(t)
	const pasted = "u+pastedKeyCANARY990" // 20 characters, like a PagerDuty key
	for _, line := range []string{
		"/pd " + pasted,
		"/pd get " + pasted,
		"/pd link " + pasted,
		"/pd key " + pasted,
		"/pd map @bob " + pasted,
		"/pd update status=acknowledged " + pasted,
		"/pd escalate " + pasted,
		"/pd responders policy=" + pasted + " please join",
	} {
		got := h.slash(alice, incCh, line)
		if !got.Ephemeral || strings.Contains(got.Text, pasted) {
			t.Errorf("%s: %q", line, got.Text)
		}
	}
	if len(h.writes()) != 0 {
		t.Errorf("writes: %v", paths(h.writes()))
	}
	for _, r := range h.pd.Requests() {
		if strings.Contains(r.RawQuery+r.Path, "CANARY") {
			t.Errorf("a pasted key went to PagerDuty: %s %s?%s", r.Method, r.Path, r.RawQuery)
		}
	}
	// Nor does type-ahead send one on.
	v := h.openModal(alice, incCh, "/pd escalate", "escalate_submit")
	h.pd.ResetRequests()
	h.ack(must(h.sf.Suggest(alice, v.ID, "policy_search", pasted)))
	h.requireNoPD()
}

// TestRedeliveredEnvelopeIsCarriedOutOnce: Slack may deliver an envelope
// again (to another replica) when a connection drops before the ack was
// read. Both are acked; the note is added once.
func TestRedeliveredEnvelopeIsCarriedOutOnce(t *testing.T) {
	t.Run("bolt", func(t *testing.T) { redeliveredOnce(t, newHarness(t)) })
	t.Run("postgres", func(t *testing.T) { redeliveredOnce(t, newHarness(t, onPostgres())) })
}

func redeliveredOnce(t *testing.T, h *harness) {
	h.startReplica()
	h.waitFor("two connections", func() bool { return h.sf.Connections() == 2 })
	d, err := h.sf.Slash(alice, incCh, "/pd note only once")
	if err != nil {
		t.Fatal(err)
	}
	h.ack(d)
	h.waitFor("the note", func() bool { return len(h.sf.Messages(incCh)) == 1 })
	if err := h.sf.Redeliver(d); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the second ack", func() bool {
		for _, a := range h.sf.Acks() {
			if a.EnvelopeID == d.EnvelopeID {
				return a.Count == 2
			}
		}
		return false
	})
	time.Sleep(200 * time.Millisecond) // room for a wrong second note
	inc, _ := h.pd.Incident(inc42)
	n := 0
	for _, note := range inc.Notes {
		if note.Content == "only once" {
			n++
		}
	}
	if n != 1 || len(h.sf.Messages(incCh)) != 1 {
		t.Fatalf("%d notes and %d confirmations for one envelope delivered twice", n, len(h.sf.Messages(incCh)))
	}
	h.sf.ResetRecords() // the double ack was the point
}

// TestKeySealedUnderAnotherMasterKey: a stored key pdbot cannot open (the
// master key changed without a rotation) gets advice, and nothing is sent.
func TestKeySealedUnderAnotherMasterKey(t *testing.T) {
	h := newHarness(t, withoutKey(), beforeStore(func(path string) {
		mk, _ := store.GenerateMasterKey()
		ring, _ := store.ParseKeyRing(mk)
		st, err := store.OpenBolt(path, ring)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if err := st.SetAPIKey(context.Background(), demoworld.TeamID, incCh, store.Secret(demoworld.DemoPDKey), alice); err != nil {
			t.Fatal(err)
		}
	}))
	got := h.slash(alice, incCh, "/pd get")
	contains(t, got.Text, "cannot open the PagerDuty key stored for this channel", "keys rotate", "/pd key")
	h.requireNoPD()
}

// TestAcksThatCarryAnswersStayInTimeWhenPagerDutyIsSlow: a key check and a
// type-ahead must answer inside the ack; with PagerDuty taking 5 s they give
// up in time and say so, rather than let Slack time out.
func TestAcksThatCarryAnswersStayInTimeWhenPagerDutyIsSlow(t *testing.T) {
	h := newHarness(t)
	key := h.openModal(alice, incCh, "/pd key", "key_submit")
	h.pd.SetLatency(5 * time.Second)
	a := h.submit(alice, key, map[string]map[string]slackfake.Value{"key": {"key_input": {Value: "u+slowCheckKey000000"}}})
	if a.Latency >= 3*time.Second {
		t.Errorf("key form acked after %v", a.Latency)
	}
	contains(t, string(a.Payload), "Could not check the key")

	h.pd.SetLatency(0)
	form := h.openModal(alice, incCh, "/pd escalate", "escalate_submit")
	h.pd.SetLatency(5 * time.Second)
	d, err := h.sf.Suggest(alice, form.ID, "policy_search", "data")
	if err != nil {
		t.Fatal(err)
	}
	a = h.ack(d)
	if a.Latency >= 3*time.Second {
		t.Errorf("type-ahead acked after %v", a.Latency)
	}
	contains(t, string(a.Payload), `"options":[]`)
	h.pd.SetLatency(0)
}

// TestMappingIsLearntPerAccountKey: who someone is in PagerDuty is learnt
// per key, so a channel whose key belongs to another account looks its own
// user up; an admin's mapping names an email that each account resolves.
func TestMappingIsLearntPerAccountKey(t *testing.T) {
	h := newHarness(t)
	const secondKey = "u+secondAccountCANARY2"
	h.pd.AddKey(secondKey, pdfake.AccountKey)
	if err := h.st.SetAPIKey(context.Background(), demoworld.TeamID, opsCh, store.Secret(secondKey), alice); err != nil {
		t.Fatal(err)
	}
	h.slash(alice, incCh, "/pd whoami")
	h.pd.ResetRequests()
	contains(t, h.slash(alice, opsCh, "/pd whoami").Text, "Alice Smith")
	if rs := h.pd.Requests(); len(rs) != 1 || rs[0].Key != secondKey || !strings.HasPrefix(rs[0].Path, "/users") {
		t.Fatalf("want one user look-up with #ops's key, got %v", paths(rs))
	}
	h.pd.ResetRequests()
	h.slash(alice, incCh, "/pd whoami")
	h.slash(alice, opsCh, "/pd whoami")
	if rs := h.pd.Requests(); len(rs) != 0 {
		t.Fatalf("cached mappings asked PagerDuty again: %v", paths(rs))
	}

	// An override names an email; an account without it says so.
	contains(t, h.slash(alice, incCh, "/pd map @erin carol@example.com").Text, "Carol White")
	h.pd.AddUser(pdfake.User{ID: demoworld.PDCarolID, Name: demoworld.CarolReal, Email: "carol@new.example"})
	got := h.slash(demoworld.ErinID, incCh, "/pd note hello")
	contains(t, got.Text, "An admin mapped you to carol@example.com", "has no user with that email")
	if len(h.writes()) != 0 {
		t.Fatalf("writes: %v", paths(h.writes()))
	}
}

// TestIncidentPrecedence: an explicit reference beats the channel's link,
// which beats the topic.
func TestIncidentPrecedence(t *testing.T) {
	h := newHarness(t)
	// #inc-42's topic names #42; link it to #43.
	h.slash(alice, incCh, "/pd link "+demoworld.Incident43ID)
	contains(t, h.slash(alice, incCh, "/pd note via link").Text, "`"+demoworld.Incident43ID+"`")
	contains(t, h.slash(alice, incCh, "/pd note "+inc42+" explicit").Text, "`"+inc42+"`")
	h.slash(alice, incCh, "/pd unlink")
	contains(t, h.slash(alice, incCh, "/pd note via topic").Text, "`"+inc42+"`")
	// Unlinking twice, or deleting a key that is not there, says so.
	got := h.slash(alice, incCh, "/pd unlink")
	contains(t, got.Text, "was not linked")
	if !got.Ephemeral {
		t.Error("a no-op unlink was announced in the channel")
	}
	contains(t, h.slash(alice, incCh, "/pd key delete").Text, "nothing was deleted")
}

func TestSlashArgumentEdges(t *testing.T) {
	h := newHarness(t)
	contains(t, h.slash(alice, incCh, "/pd escalate "+demoworld.PolicyWebID).Text, "*Web On-Call*")
	contains(t, h.slash(alice, incCh, `/pd escalate "Database On-Call"`).Text, "*Database On-Call*")
	contains(t, h.slash(alice, incCh, "/pd ack now please").Text, "takes nothing but the incident")
	// A capitalised word is text, not an incident ID (IDs hold a digit).
	contains(t, h.slash(alice, incCh, "/pd note PENDING restart of the replica").Text, "added a note to `"+inc42+"`")
	contains(t, h.slash(alice, opsCh, "/pd").Text, "e.g. `/pd get #42`")
	// Guests may look, but not re-point the channel for everyone.
	got := h.slash(demoworld.DaveID, incCh, "/pd link "+demoworld.Incident43ID)
	contains(t, got.Text, "Guests cannot change")
	contains(t, h.slash(demoworld.DaveID, incCh, "/pd unlink").Text, "Guests cannot change")
}

// TestModalsOpenInTimeWhenPagerDutyIsSlow: every form opens inside the
// trigger's 3 s even when PagerDuty takes 2.5 s per request.
func TestModalsOpenInTimeWhenPagerDutyIsSlow(t *testing.T) {
	h := newHarness(t)
	h.slash(alice, incCh, "/pd whoami") // learn Alice while PagerDuty is fast
	card := h.card(alice, incCh)
	h.pd.SetLatency(2500 * time.Millisecond)
	open := map[string]func(){
		"escalate_submit":   func() { h.ack(must(h.sf.Slash(alice, incCh, "/pd escalate"))) },
		"responders_submit": func() { h.ack(must(h.sf.Slash(alice, incCh, "/pd responders"))) },
		"update_submit":     func() { h.ack(must(h.sf.ClickButton(alice, incCh, card.TS, "card_reassign"))) },
		"note_submit":       func() { h.ack(must(h.sf.ClickButton(alice, incCh, card.TS, "card_note"))) },
		"picker_submit":     func() { h.ack(must(h.sf.Shortcut(alice, "pd_actions"))) },
	}
	for callback, run := range open {
		run()
		v := h.topView(alice, func(v slackfake.View) bool { return v.CallbackID == callback })
		h.sf.CloseView(alice, v.ID)
	}
	for _, c := range h.sf.Calls("views.open") {
		if c.Error != "" {
			t.Errorf("views.open: %s", c.Error)
		}
	}
	h.pd.SetLatency(0)
}

func must(d *slackfake.Delivery, err error) *slackfake.Delivery {
	if err != nil {
		panic(err)
	}
	return d
}

// TestBusyAnswersAtOnceAndKeepsTheConnection: past MaxInFlight (and with
// no room to wait for), commands are acked at once and told "busy" where
// their answer would have gone; the loop never stalls.
func TestBusyAnswersAtOnceAndKeepsTheConnection(t *testing.T) {
	// No queueing: this is about the refusal once no room can be had.
	h := newHarness(t, tuned(func(c *bot.Config) { c.MaxInFlight, c.QueueWait = 2, -1 }))
	h.slash(alice, incCh, "/pd whoami")
	before := len(h.sf.Ephemerals(alice, incCh))
	h.pd.SetLatency(2 * time.Second)
	var ds []*slackfake.Delivery
	for i := 0; i < 5; i++ {
		ds = append(ds, must(h.sf.Slash(alice, incCh, "/pd get")))
	}
	for _, d := range ds {
		a := h.ack(d)
		if a.Latency >= time.Second {
			t.Errorf("ack after %v", a.Latency)
		}
	}
	h.waitWithin(30*time.Second, "five answers", func() bool { return len(h.sf.Ephemerals(alice, incCh)) >= before+5 })
	busy := 0
	for _, m := range h.sf.Ephemerals(alice, incCh)[before:] {
		if strings.Contains(m.Text, "too many requests") {
			busy++
		}
	}
	if busy != 3 {
		t.Errorf("%d busy answers, want 3 (5 requests, room for 2)", busy)
	}
	h.pd.SetLatency(0)
}

// TestAnswerArrivesWhenTheWorkRunsOutOfTime: a request that used up its
// time still gets its answer (the reply has a budget of its own).
func TestAnswerArrivesWhenTheWorkRunsOutOfTime(t *testing.T) {
	h := newHarness(t, tuned(func(c *bot.Config) { c.WorkTimeout = 500 * time.Millisecond }))
	h.slash(alice, incCh, "/pd whoami")
	h.pd.SetLatency(2 * time.Second)
	got := h.slash(alice, incCh, "/pd ack")
	contains(t, got.Text, "did not answer in time", "/pd get")
	h.pd.SetLatency(0)
}

// TestHandlerPanicIsReported: a handler that panics leaves a "something went
// wrong" answer with a ref, a log line and an audit row, not silence.
func TestHandlerPanicIsReported(t *testing.T) {
	boom := handlers.Route{Kind: handlers.Slash, ID: "boom", Usage: "boom", Help: "Panics.",
		Handle: func(context.Context, *handlers.Request) (handlers.Reply, error) { panic("boom") }}
	h := newHarness(t, tuned(func(c *bot.Config) { c.Routes = append(handlers.All(), boom) }))
	got := h.slash(alice, incCh, "/pd boom")
	contains(t, got.Text, "Something went wrong (ref")
	if h.logs.FilterMessage("handler panic").Len() != 1 {
		t.Error("the panic was not logged")
	}
	entries, _ := h.st.Audit(context.Background(), demoworld.TeamID, 1)
	if len(entries) != 1 || !strings.HasPrefix(entries[0].Result, "error ref ") {
		t.Errorf("audit = %+v", entries)
	}
}

// TestFormsSurviveAMasterKeyRotation: forms signed by one replica are
// accepted by another that signs with a different key, as long as it still
// verifies with the other's (OldMetadataKeys); without that, the form stays
// open with advice instead of closing on the user's text.
func TestFormsSurviveAMasterKeyRotation(t *testing.T) {
	oldKey := []byte("harness metadata key, shared by replicas")
	newKey := []byte("the metadata key after a rotation, 32+")
	for _, tt := range []struct {
		name     string
		keepOld  bool
		accepted bool
	}{{"new replica keeps the old key", true, true}, {"new replica lost the old key", false, false}} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tuned(func(c *bot.Config) {
				if tt.keepOld {
					c.OldMetadataKeys = [][]byte{newKey}
				}
			}))
			h.startReplicaWith(func(c *bot.Config) {
				c.MetadataKey = newKey
				if tt.keepOld {
					c.OldMetadataKeys = [][]byte{oldKey}
				}
			})
			h.waitFor("two connections", func() bool { return h.sf.Connections() == 2 })
			// Slack alternates between the sockets, so forms are opened by
			// one replica and submitted to the other.
			for i := 0; i < 4; i++ {
				v := h.openModal(alice, incCh, "/pd escalate", "escalate_submit")
				a := h.submit(alice, v, map[string]map[string]slackfake.Value{"policy": {"policy_search": {SelectedOption: demoworld.PolicyWebID}}})
				rejected := strings.Contains(string(a.Payload), "cannot verify this form")
				if rejected && tt.accepted {
					t.Fatalf("form %d rejected: %s", i, a.Payload)
				}
				if rejected {
					return // the form stayed open with advice
				}
				for _, v := range h.sf.Views(alice) {
					h.sf.CloseView(alice, v.ID)
				}
			}
			if !tt.accepted {
				t.Fatal("no form was ever rejected, though the replicas share no key")
			}
		})
	}
}

// TestTypeAheadAnswerFitsInAnAck: 100 long non-ASCII names would overflow
// Slack's 20 KiB frame; the answer is cut to fit instead of being dropped.
func TestTypeAheadAnswerFitsInAnAck(t *testing.T) {
	h := newHarness(t)
	for i := 0; i < 120; i++ {
		h.pd.AddUser(pdfake.User{ID: fmt.Sprintf("PJ%05d", i), Name: strings.Repeat("山田太郎", 18), Email: fmt.Sprintf("yamada%d@example.com", i)})
	}
	v := h.openModal(alice, incCh, "/pd responders", "responders_submit")
	a := h.ack(must(h.sf.Suggest(alice, v.ID, "user_search", "")))
	if len(a.Payload) >= 20<<10 {
		t.Fatalf("ack payload is %d bytes", len(a.Payload))
	}
	var resp struct{ Options []json.RawMessage }
	if err := json.Unmarshal(a.Payload, &resp); err != nil || len(resp.Options) < 20 {
		t.Fatalf("got %d options (%v), want as many as fit", len(resp.Options), err)
	}
}

// TestPeopleFromAnotherOrganisation: in a shared channel, a user of another
// workspace is never an admin here and acts in PagerDuty only once a
// workspace admin vouches for them with /pd map.
func TestPeopleFromAnotherOrganisation(t *testing.T) {
	h := newHarness(t)
	h.sf.AddUser(slackfake.User{ID: "U0ZED0001", Name: "zed", RealName: "Zed Outside", Email: "alice@example.com", TeamID: "T0OTHER01", IsAdmin: true, IsOwner: true})
	contains(t, h.slash("U0ZED0001", incCh, "/pd key status").Text, "Only workspace admins")
	got := h.slash("U0ZED0001", incCh, "/pd note hello")
	contains(t, got.Text, "only for members of this workspace")
	if len(h.pd.Requests()) != 0 || len(h.writes()) != 0 {
		t.Fatalf("requests: %v", paths(h.pd.Requests()))
	}
	contains(t, h.slash(alice, incCh, "/pd map @zed carol@example.com").Text, "Carol White")
	contains(t, h.slash("U0ZED0001", incCh, "/pd note hello").Text, "Carol White added a note")
	h.writesOnly(demoworld.CarolEmail, "POST /incidents/"+inc42+"/notes")
}

// TestMoreKeyAndAdminPaths: the workspace default is set through its own
// form and deleted by name; deleted users are never admins.
func TestMoreKeyAndAdminPaths(t *testing.T) {
	h := newHarness(t)
	const newDefault = "u+newDefaultCANARY-42"
	h.pd.AddKey(newDefault, pdfake.AccountKey)
	h.ack(must(h.sf.Slash(alice, opsCh, "/pd key default")))
	v := h.topView(alice, func(v slackfake.View) bool { return v.CallbackID == "key_submit" })
	contains(t, v.PlainText(), "default")
	before := h.snapshot(alice, opsCh)
	h.submit(alice, v, map[string]map[string]slackfake.Value{"key": {"key_input": {Value: newDefault}}})
	contains(t, h.next(alice, opsCh, before, "saved").Text, "The workspace default now uses the PagerDuty key ending in `Y-42`")
	if _, err := h.st.APIKeyInfo(context.Background(), demoworld.TeamID, opsCh); err == nil {
		t.Error("the default key was stored as #ops's key")
	}
	h.pd.ResetRequests()
	h.slash(alice, incCh, "/pd get")
	for _, r := range h.pd.Requests() {
		if r.Key != newDefault {
			t.Errorf("%s used another key than the new default", r.Path)
		}
	}
	contains(t, h.slash(bob, opsCh, "/pd key delete default").Text, "Only workspace admins")
	confirm := h.slash(alice, opsCh, "/pd key delete default")
	contains(t, confirm.PlainText(), "Delete the workspace default PagerDuty key?", "ending in `Y-42`")
	h.click(alice, opsCh, confirm, "key_delete_default")
	h.waitFor("the deletion", func() bool {
		for _, m := range h.sf.Ephemerals(alice, opsCh) {
			if strings.Contains(m.Text, "Deleted. The workspace default") {
				return true
			}
		}
		return false
	})
	contains(t, h.slash(alice, incCh, "/pd get").Text, "no PagerDuty API key")

	h.sf.AddUser(slackfake.User{ID: "U0GONE001", Name: "gone", RealName: "Gone Admin", Email: "gone@example.com", TeamID: demoworld.TeamID, IsAdmin: true, Deleted: true})
	contains(t, h.slash("U0GONE001", opsCh, "/pd key status").Text, "Only workspace admins")
}

// TestStaleTopicIncidentIsExplained: when the incident came from the
// channel's topic and PagerDuty does not know it, the advice says so.
func TestStaleTopicIncidentIsExplained(t *testing.T) {
	h := newHarness(t)
	h.sf.SetTopic(opsCh, "war room for https://acme.pagerduty.com/incidents/Q9STALE0000000")
	got := h.slash(alice, opsCh, "/pd get")
	contains(t, got.Text, "PagerDuty has no incident Q9STALE0000000", "took it from this channel's topic")
	if len(h.writes()) != 0 {
		t.Errorf("writes: %v", paths(h.writes()))
	}
}

// TestNoteIsNotRetriedAfterA5xx: the note landed but PagerDuty answered 502;
// pdbot must not send it again, and says it may have been recorded.
func TestNoteIsNotRetriedAfterA5xx(t *testing.T) {
	h := newHarness(t)
	h.slash(alice, incCh, "/pd whoami")
	h.pd.FailNext(1, pdfake.Fault{Method: "POST", PathPrefix: "/incidents/" + inc42 + "/notes", Kind: pdfake.Fault5xxText, Landed: true})
	got := h.slash(alice, incCh, "/pd note failover done")
	contains(t, got.Text, "may still have been recorded", "/pd get")
	h.writesOnly(demoworld.AliceEmail, "POST /incidents/"+inc42+"/notes")
	inc, _ := h.pd.Incident(inc42)
	if n := inc.Notes[len(inc.Notes)-1]; n.Content != "failover done" || len(inc.Notes) != 1 {
		t.Errorf("notes = %+v", inc.Notes)
	}
}

// TestSlackRefusalsBecomeAdvice: Slack refusing a look-up on the way to
// PagerDuty is explained, and nothing reaches PagerDuty.
func TestSlackRefusalsBecomeAdvice(t *testing.T) {
	h := newHarness(t)
	h.allowSlackErrors = true
	h.sf.RateLimitMethod("users.info", 30, 2)
	contains(t, h.slash(alice, incCh, "/pd ack").Text, "Slack is rate-limiting pdbot", "Try again in 30s")
	h.sf.FailMethod("users.info", "missing_scope", 2)
	contains(t, h.slash(bob, incCh, "/pd ack").Text, "missing a permission")
	if len(h.writes()) != 0 {
		t.Errorf("writes: %v", paths(h.writes()))
	}
}
