package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pdbot/pdbot/internal/demoworld"
	"github.com/pdbot/pdbot/internal/pdfake"
	"github.com/pdbot/pdbot/internal/slackfake"
	"github.com/pdbot/pdbot/store"
)

// writesOnly asserts PagerDuty got exactly these writes (method path), each
// with the requester's From.
func (h *harness) writesOnly(from string, want ...string) []pdfake.Request {
	h.t.Helper()
	ws := h.writes()
	got := paths(ws)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		h.t.Fatalf("PagerDuty writes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, w := range ws {
		if w.Header.Get("From") != from {
			h.t.Errorf("%s %s: From %q, want %q", w.Method, w.Path, w.Header.Get("From"), from)
		}
	}
	return ws
}

// openModal runs a slash command that answers with a form and returns the
// filled form (not the loading one).
func (h *harness) openModal(user, channel, line, callbackID string) slackfake.View {
	h.t.Helper()
	d, err := h.sf.Slash(user, channel, line)
	if err != nil {
		h.t.Fatal(err)
	}
	h.ack(d)
	return h.topView(user, func(v slackfake.View) bool { return v.CallbackID == callbackID })
}

// submit submits a view and returns the ack.
func (h *harness) submit(user string, v slackfake.View, values map[string]map[string]slackfake.Value) slackfake.Ack {
	h.t.Helper()
	d, err := h.sf.SubmitView(user, v.ID, values)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.ack(d)
}

// card shows the incident card to user in channel and returns it.
func (h *harness) card(user, channel string) slackfake.Message {
	h.t.Helper()
	m := h.slash(user, channel, "/pd get")
	if !strings.Contains(string(m.Blocks), "card_actions") {
		h.t.Fatalf("no card: %s", m.PlainText())
	}
	return m
}

func (h *harness) click(user, channel string, m slackfake.Message, actionID string) {
	h.t.Helper()
	d, err := h.sf.ClickButton(user, channel, m.TS, actionID)
	if err != nil {
		h.t.Fatal(err)
	}
	h.ack(d)
}

func TestUpdateFromSlashLine(t *testing.T) {
	h := newHarness(t)
	got := h.slash(alice, incCh, "/pd update status=acknowledged assignees=@carol,bob@example.com")
	contains(t, got.Text, "Alice Smith updated #42 Orders DB latency", "status → acknowledged", "Carol White", "Bob Jones")
	ws := h.writesOnly(demoworld.AliceEmail, "PUT /incidents/"+inc42)
	body := string(ws[0].Body)
	contains(t, body, `"status":"acknowledged"`, demoworld.PDCarolID, demoworld.PDBobID)
	inc, _ := h.pd.Incident(inc42)
	if inc.Status != "acknowledged" {
		t.Errorf("status %s", inc.Status)
	}

	h.pd.ResetRequests()
	got = h.slash(alice, incCh, `/pd update status=resolved resolution=Rolled back the bad deploy`)
	contains(t, got.Text, "status → resolved", "Rolled back the bad deploy")
	ws = h.writesOnly(demoworld.AliceEmail, "PUT /incidents/"+inc42)
	contains(t, string(ws[0].Body), `"resolution":"Rolled back the bad deploy"`)

	// Assignees by PagerDuty user ID, on another incident.
	h.pd.ResetRequests()
	got = h.slash(alice, incCh, "/pd update "+demoworld.Incident43ID+" assignees="+demoworld.PDBobID)
	contains(t, got.Text, "updated #43 Checkout 502s", "Bob Jones")
	ws = h.writesOnly(demoworld.AliceEmail, "PUT /incidents/"+demoworld.Incident43ID)
	contains(t, string(ws[0].Body), `"assignments":[{"assignee":{"id":"`+demoworld.PDBobID+`","type":"user_reference"}}]`)

	h.pd.ResetRequests()
	for _, line := range []string{"/pd update " + demoworld.Incident43ID + " resolution=oops", "/pd update " + demoworld.Incident43ID + " status=sleeping", "/pd update " + demoworld.Incident43ID + " frob"} {
		got = h.slash(alice, incCh, line)
		if !got.Ephemeral {
			t.Errorf("%s: %s", line, got.Text)
		}
	}
	if len(h.writes()) != 0 {
		t.Errorf("bad update lines wrote: %v", paths(h.writes()))
	}
}

func TestUpdateModalOpensInTimeWhenPagerDutyIsSlow(t *testing.T) {
	h := newHarness(t)
	h.pd.SetLatency(2 * time.Second)
	v := h.openModal(alice, incCh, "/pd update", "update_submit")
	for _, c := range h.sf.Calls("views.open") {
		if c.Error != "" {
			t.Fatalf("views.open failed: %s", c.Error)
		}
	}
	contains(t, v.PlainText(), "Orders DB latency", "Status", "Assign to")
	h.pd.SetLatency(0)
	h.pd.ResetRequests()

	// Nothing to change: a field error on the ack, nothing sent.
	a := h.submit(alice, v, nil)
	contains(t, string(a.Payload), `"response_action":"errors"`, `"status"`)
	// A resolution without resolving: a field error too.
	a = h.submit(alice, v, map[string]map[string]slackfake.Value{
		"resolution": {"resolution_input": {Value: "fixed"}},
	})
	contains(t, string(a.Payload), `"resolution"`)
	if len(h.pd.Requests()) != 0 {
		t.Fatalf("invalid submissions reached PagerDuty: %v", paths(h.pd.Requests()))
	}

	before := h.snapshot(alice, incCh)
	a = h.submit(alice, v, map[string]map[string]slackfake.Value{
		"status":    {"status_select": {SelectedOption: "acknowledged"}},
		"assignees": {"user_search": {SelectedOptions: []string{demoworld.PDCarolID}}},
	})
	if len(a.Payload) > 0 && string(a.Payload) != "null" {
		t.Errorf("ack payload %s", a.Payload)
	}
	got := h.next(alice, incCh, before, "the update")
	contains(t, got.Text, "status → acknowledged", "assigned to")
	h.writesOnly(demoworld.AliceEmail, "PUT /incidents/"+inc42)
}

func TestEscalateFromSlashAndModal(t *testing.T) {
	h := newHarness(t)
	got := h.slash(alice, incCh, "/pd escalate web on-call")
	contains(t, got.Text, "to the escalation policy *Web On-Call*", "Escalation restarts")
	ws := h.writesOnly(demoworld.AliceEmail, "PUT /incidents/"+inc42)
	contains(t, string(ws[0].Body), demoworld.PolicyWebID, "escalation_policy_reference")
	if strings.Contains(string(ws[0].Body), "assignments") {
		t.Error("escalation sent assignees too")
	}

	h.pd.ResetRequests()
	got = h.slash(alice, incCh, "/pd escalate On-Call")
	contains(t, got.Text, "Several escalation policies match")
	got = h.slash(alice, incCh, "/pd escalate Database On-Call assignees=@bob")
	contains(t, got.Text, "cannot take assignees and an escalation policy")
	if len(h.writes()) != 0 {
		t.Fatalf("writes: %v", paths(h.writes()))
	}

	v := h.openModal(alice, incCh, "/pd escalate", "escalate_submit")
	contains(t, v.PlainText(), "restarts escalation")
	a := h.submit(alice, v, map[string]map[string]slackfake.Value{"policy": {"policy_search": {SelectedOption: "../users"}}})
	contains(t, string(a.Payload), `"policy"`, "Pick an escalation policy")
	before := h.snapshot(alice, incCh)
	h.submit(alice, v, map[string]map[string]slackfake.Value{"policy": {"policy_search": {SelectedOption: demoworld.PolicyDBID}}})
	got = h.next(alice, incCh, before, "the escalation")
	contains(t, got.Text, "Database On-Call")
	h.writesOnly(demoworld.AliceEmail, "PUT /incidents/"+inc42)
}

func TestRespondersFromSlashAndModal(t *testing.T) {
	h := newHarness(t)
	got := h.slash(alice, incCh, `/pd responders policy="Web On-Call" user=@carol Need a DBA for the failover`)
	contains(t, got.Text, "Alice Smith asked Web On-Call, Carol White to join", "Need a DBA for the failover")
	ws := h.writesOnly(demoworld.AliceEmail, "POST /incidents/"+inc42+"/responder_requests")
	var body struct {
		RequesterID string `json:"requester_id"`
		Message     string `json:"message"`
	}
	if err := json.Unmarshal(ws[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.RequesterID != demoworld.PDAliceID || body.Message != "Need a DBA for the failover" {
		t.Errorf("body = %+v", body)
	}

	h.pd.ResetRequests()
	for _, line := range []string{"/pd responders just a message", "/pd responders user=@carol"} {
		got = h.slash(alice, incCh, line)
		if !got.Ephemeral {
			t.Errorf("%s: %s", line, got.Text)
		}
	}
	if len(h.writes()) != 0 {
		t.Fatalf("writes: %v", paths(h.writes()))
	}

	v := h.openModal(bob, incCh, "/pd responders", "responders_submit")
	a := h.submit(bob, v, map[string]map[string]slackfake.Value{"message": {"message_input": {Value: "help"}}})
	contains(t, string(a.Payload), `"users"`)
	// Pick Carol from the type-ahead, as a user would.
	h.ack(must(h.sf.Suggest(bob, v.ID, "user_search", "carol")))
	before := h.snapshot(bob, incCh)
	h.submit(bob, v, map[string]map[string]slackfake.Value{
		"users":   {"user_search": {SelectedOptions: []string{demoworld.PDCarolID}}},
		"message": {"message_input": {Value: "Need eyes on the replica"}},
	})
	got = h.next(bob, incCh, before, "the responder request")
	contains(t, got.Text, "Bob Jones asked Carol White to join", "Need eyes on the replica")
	ws = h.writesOnly(demoworld.BobEmail, "POST /incidents/"+inc42+"/responder_requests")
	contains(t, string(ws[0].Body), `"requester_id":"`+demoworld.PDBobID+`"`, `"responder_request_target":{"id":"`+demoworld.PDCarolID+`","type":"user_reference"}`)

	// Without the ability PagerDuty answers 402; the advice says so.
	h.pd.SetAbilities("teams")
	got = h.slash(alice, incCh, `/pd responders user=@carol Please join`)
	contains(t, got.Text, "coordinated_responding")
}

func TestTypeAheadIsCachedAndWithinLimits(t *testing.T) {
	h := newHarness(t)
	v := h.openModal(alice, incCh, "/pd responders", "responders_submit")
	h.pd.ResetRequests()
	options := func(action, q string) []string {
		t.Helper()
		d, err := h.sf.Suggest(alice, v.ID, action, q)
		if err != nil {
			t.Fatal(err)
		}
		a := h.ack(d)
		var resp struct {
			Options []struct {
				Text  struct{ Text string }
				Value string
			}
		}
		if err := json.Unmarshal(a.Payload, &resp); err != nil {
			t.Fatalf("suggestion ack %s: %v", a.Payload, err)
		}
		var out []string
		for _, o := range resp.Options {
			if len([]rune(o.Text.Text)) > 75 || len(o.Value) > 75 {
				t.Errorf("option over Block Kit limits: %+v", o)
			}
			out = append(out, o.Value)
		}
		return out
	}
	if got := options("policy_search", "on-call"); len(got) != 2 {
		t.Errorf("policies for on-call: %v", got)
	}
	if got := options("policy_search", "on-call d"); len(got) != 0 {
		t.Errorf("policies for 'on-call d': %v", got)
	}
	if got := options("user_search", "b"); strings.Join(got, ",") != demoworld.PDBobID {
		t.Errorf("users for b: %v", got)
	}
	if got := options("user_search", "bo"); strings.Join(got, ",") != demoworld.PDBobID {
		t.Errorf("users for bo: %v", got)
	}
	if n := len(h.pd.Requests()); n != 2 {
		t.Errorf("PagerDuty got %d requests for 4 keystrokes, want 2 (one per list): %v", n, paths(h.pd.Requests()))
	}
	// Many users: at most 100 options.
	for i := 0; i < 150; i++ {
		h.pd.AddUser(pdfake.User{ID: fmt.Sprintf("PX%05d", i), Name: "Extra " + strings.Repeat("x", 90), Email: fmt.Sprintf("extra%d@example.com", i)})
	}
	if got := options("user_search", "extra"); len(got) != 100 {
		t.Errorf("got %d options, want the 100 Slack allows", len(got))
	}
}

func TestCardButtons(t *testing.T) {
	h := newHarness(t)
	card := h.card(bob, incCh)
	var blocks []struct {
		Elements []struct {
			ActionID string          `json:"action_id"`
			Confirm  json.RawMessage `json:"confirm"`
		}
	}
	if err := json.Unmarshal(card.Blocks, &blocks); err != nil {
		t.Fatal(err)
	}
	for _, b := range blocks {
		for _, e := range b.Elements {
			if asks := len(e.Confirm) > 0; asks != (e.ActionID == "card_resolve") {
				t.Errorf("button %s: confirm dialog %v", e.ActionID, asks)
			}
		}
	}

	// Add note: a form, then one POST as the clicker.
	h.click(bob, incCh, card, "card_note")
	v := h.topView(bob, func(v slackfake.View) bool { return v.CallbackID == "note_submit" })
	a := h.submit(bob, v, map[string]map[string]slackfake.Value{"note": {"note_input": {Value: "   "}}})
	contains(t, string(a.Payload), `"note"`, "Write the note")
	before := h.snapshot(bob, incCh)
	h.submit(bob, v, map[string]map[string]slackfake.Value{"note": {"note_input": {Value: "Looking at replica lag"}}})
	got := h.next(bob, incCh, before, "the note")
	contains(t, got.Text, "Bob Jones added a note")
	h.writesOnly(demoworld.BobEmail, "POST /incidents/"+inc42+"/notes")

	// Reassign, escalate and add responders open their forms, and each
	// form's submission makes its one write as the clicker.
	forms := []struct {
		action, callback string
		values           map[string]map[string]slackfake.Value
		write            string
		body             string
	}{
		{"card_reassign", "update_submit", map[string]map[string]slackfake.Value{"assignees": {"user_search": {SelectedOptions: []string{demoworld.PDCarolID}}}},
			"PUT /incidents/" + inc42, `"assignments":[{"assignee":{"id":"` + demoworld.PDCarolID},
		{"card_escalate", "escalate_submit", map[string]map[string]slackfake.Value{"policy": {"policy_search": {SelectedOption: demoworld.PolicyWebID}}},
			"PUT /incidents/" + inc42, `"escalation_policy":{"id":"` + demoworld.PolicyWebID},
		{"card_responders", "responders_submit", map[string]map[string]slackfake.Value{
			"policies": {"policy_search": {SelectedOptions: []string{demoworld.PolicyDBID}}},
			"message":  {"message_input": {Value: "DBA please"}}},
			"POST /incidents/" + inc42 + "/responder_requests", `"requester_id":"` + demoworld.PDBobID},
	}
	for _, f := range forms {
		h.pd.ResetRequests()
		h.click(bob, incCh, card, f.action)
		v := h.topView(bob, func(v slackfake.View) bool { return v.CallbackID == f.callback })
		before := h.snapshot(bob, incCh)
		h.submit(bob, v, f.values)
		h.next(bob, incCh, before, f.action)
		ws := h.writesOnly(demoworld.BobEmail, f.write)
		contains(t, string(ws[0].Body), f.body)
	}

	// Acknowledge, then resolve (after Slack's confirm dialog).
	h.pd.ResetRequests()
	before = h.snapshot(bob, incCh)
	h.click(bob, incCh, card, "card_ack")
	contains(t, h.next(bob, incCh, before, "ack").Text, "Bob Jones acknowledged")
	h.writesOnly(demoworld.BobEmail, "PUT /incidents/"+inc42)
	h.pd.ResetRequests()
	before = h.snapshot(bob, incCh)
	h.click(bob, incCh, card, "card_resolve")
	contains(t, h.next(bob, incCh, before, "resolve").Text, "Bob Jones resolved")
	h.writesOnly(demoworld.BobEmail, "PUT /incidents/"+inc42)

	// The card is stale now: its Ack must not reopen the incident.
	h.pd.ResetRequests()
	before = h.snapshot(bob, incCh)
	h.click(bob, incCh, card, "card_ack")
	contains(t, h.next(bob, incCh, before, "stale ack").Text, "already resolved")
	if len(h.writes()) != 0 {
		t.Fatalf("a stale card wrote: %v", paths(h.writes()))
	}
	if inc, _ := h.pd.Incident(inc42); inc.Status != "resolved" {
		t.Fatalf("stale ack reopened the incident: %s", inc.Status)
	}
}

func TestForgedButtonDoesNotWidenAccess(t *testing.T) {
	h := newHarness(t)
	// #ops has its own read-only key; the incident channel uses the default.
	const opsKey = "u+opsReadOnlyCANARY01"
	h.pd.AddKey(opsKey, pdfake.ReadOnlyKey)
	if err := h.st.SetAPIKey(context.Background(), demoworld.TeamID, opsCh, store.Secret(opsKey), alice); err != nil {
		t.Fatal(err)
	}
	card := h.slash(alice, opsCh, "/pd get "+demoworld.Incident43ID)
	if !strings.Contains(string(card.Blocks), "card_resolve") {
		t.Fatalf("no card in #ops: %s", card.PlainText())
	}
	h.pd.ResetRequests()
	// A click in #ops with a value naming #42 (the incident channel's incident).
	before := h.snapshot(alice, opsCh)
	d, err := h.sf.ClickButtonValue(alice, opsCh, card.TS, "card_resolve", inc42)
	if err != nil {
		t.Fatal(err)
	}
	h.ack(d)
	got := h.next(alice, opsCh, before, "forged resolve")
	contains(t, got.Text, "not allowed")
	for _, r := range h.pd.Requests() {
		if r.Key != opsKey {
			t.Errorf("%s %s used key %q, want the clicked channel's", r.Method, r.Path, r.Key)
		}
	}
	if len(h.writes()) > 1 {
		t.Errorf("writes: %v", paths(h.writes()))
	}
	if inc, _ := h.pd.Incident(inc42); inc.Status != "triggered" {
		t.Errorf("forged click changed the incident: %s", inc.Status)
	}
	// A value that is not an incident ID never reaches a URL.
	h.pd.ResetRequests()
	before = h.snapshot(alice, opsCh)
	d, _ = h.sf.ClickButtonValue(alice, opsCh, card.TS, "card_resolve", "../users")
	h.ack(d)
	contains(t, h.next(alice, opsCh, before, "bad value").Text, "not name a valid incident")
	h.requireNoPD()
}

func TestMessageShortcuts(t *testing.T) {
	h := newHarness(t)
	ts := h.sf.PostAsUser(bob, incCh, "Replica lag is back to 0 after <https://example.com/failover|the failover>")
	d, err := h.sf.MessageShortcut(alice, incCh, ts, "note_from_message")
	if err != nil {
		t.Fatal(err)
	}
	h.ack(d)
	v := h.topView(alice, func(v slackfake.View) bool { return v.CallbackID == "note_submit" })
	contains(t, v.PlainText(), "Bob Jones wrote in Slack", slackfake.Permalink(incCh, ts), "Replica lag is back to 0 after the failover (https://example.com/failover)")
	before := h.snapshot(alice, incCh)
	var prefill string
	h.sf.View(v.ID) // the user keeps the prefilled text
	prefill = "Bob Jones wrote in Slack: replica lag is back to 0"
	h.submit(alice, v, map[string]map[string]slackfake.Value{"note": {"note_input": {Value: prefill}}})
	contains(t, h.next(alice, incCh, before, "the note").Text, "Alice Smith added a note")
	h.writesOnly(demoworld.AliceEmail, "POST /incidents/"+inc42+"/notes")

	// Show PagerDuty incident: the message names #43 by URL.
	ts = h.sf.PostAsUser(bob, opsCh, "see https://acme.pagerduty.com/incidents/"+demoworld.Incident43ID+" please")
	before = h.snapshot(alice, opsCh)
	d, _ = h.sf.MessageShortcut(alice, opsCh, ts, "show_incident")
	h.ack(d)
	contains(t, h.next(alice, opsCh, before, "the card").PlainText(), "#43 Checkout 502s", "Acknowledged")

	// A message that names no incident: the picker of open incidents.
	ts = h.sf.PostAsUser(bob, opsCh, "nothing to see")
	d, _ = h.sf.MessageShortcut(alice, opsCh, ts, "show_incident")
	h.ack(d)
	v = h.topView(alice, func(v slackfake.View) bool { return v.CallbackID == "picker_submit" })
	contains(t, v.PlainText(), "Open incident", "Or give an incident")
}

func TestActionPickerAndGlobalShortcut(t *testing.T) {
	h := newHarness(t)
	got := h.slash(alice, incCh, "/pd")
	contains(t, got.PlainText(), "#42 Orders DB latency", "[Acknowledge]", "[Add responders]")
	got = h.slash(alice, opsCh, "/pd")
	contains(t, got.Text, "Which incident?")

	d, err := h.sf.Shortcut(alice, "pd_actions")
	if err != nil {
		t.Fatal(err)
	}
	h.ack(d)
	v := h.topView(alice, func(v slackfake.View) bool { return v.CallbackID == "picker_submit" })
	a := h.submit(alice, v, map[string]map[string]slackfake.Value{"incident": {"incident_input": {Value: "../users"}}})
	contains(t, string(a.Payload), `"incident"`)
	h.submit(alice, v, map[string]map[string]slackfake.Value{"incident": {"incident_input": {Value: "#43"}}})
	h.waitFor("the card in the app DM", func() bool {
		for _, m := range h.sf.Messages(alice) {
			if strings.Contains(m.PlainText(), "Checkout 502s") {
				return true
			}
		}
		return false
	})
}

func TestKeyModalAdminsOnly(t *testing.T) {
	h := newHarness(t)
	const newKey = "u+channelKeyCANARY-77"
	h.pd.AddKey(newKey, pdfake.AccountKey)
	for _, who := range []string{bob, demoworld.DaveID, demoworld.DeployBotID} {
		// Refused at once, without a form (not even a loading one), and
		// without naming pdbot's configuration.
		got := h.slash(who, incCh, "/pd key")
		contains(t, got.Text, "Only workspace admins", "Ask a workspace admin")
		if strings.Contains(got.Text, "PDBOT_") {
			t.Errorf("%s: the refusal names a configuration variable: %q", who, got.Text)
		}
		if vs := h.sf.Views(who); len(vs) != 0 {
			t.Errorf("%s got a form: %s", who, vs[0].PlainText())
		}
		got = h.slash(who, incCh, "/pd key status")
		contains(t, got.Text, "Only workspace admins")
	}
	h.requireNoPD()

	v := h.openModal(alice, incCh, "/pd key", "key_submit")
	a := h.submit(alice, v, map[string]map[string]slackfake.Value{"key": {"key_input": {Value: "u+notAKnownKey000000"}}})
	contains(t, string(a.Payload), "PagerDuty rejected this key")
	if info, err := h.st.APIKeyInfo(context.Background(), demoworld.TeamID, incCh); err == nil {
		t.Fatalf("a rejected key was saved: %+v", info)
	}
	before := h.snapshot(alice, incCh)
	h.submit(alice, v, map[string]map[string]slackfake.Value{"key": {"key_input": {Value: newKey}}})
	contains(t, h.next(alice, incCh, before, "saved").Text, "ending in `Y-77`")
	got := h.slash(alice, incCh, "/pd key status")
	contains(t, got.Text, "This channel: key ending in `Y-77`", "Workspace default: key ending in `0001`")
	h.pd.ResetRequests()
	h.slash(alice, incCh, "/pd get")
	for _, r := range h.pd.Requests() {
		if r.Key != newKey {
			t.Errorf("after /pd key, %s used another key", r.Path)
		}
	}
	got = h.slash(alice, incCh, "/pd key u+pastedInChatCANARY1")
	contains(t, got.Text, "Never paste an API key")
	got = h.slash(alice, incCh, "/pd key delete")
	contains(t, got.Text, "Deleted")
	got = h.slash(carol(), incCh, "/pd key status")
	contains(t, got.Text, "This channel: no key")
}

func carol() string { return demoworld.CarolID }
