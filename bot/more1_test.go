package bot_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/handlers"
	"github.com/pdbot/pdbot/internal/demoworld"
	"github.com/pdbot/pdbot/internal/pdfake"
	"github.com/pdbot/pdbot/internal/slackfake"
)

// sel is a form value that picks one option.
func sel(block, action, value string) map[string]map[string]slackfake.Value {
	return map[string]map[string]slackfake.Value{block: {action: {SelectedOption: value}}}
}

// wantBody checks a write's body is exactly want (as JSON).
func wantBody(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("body %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("body %s, want %s", gb, wb)
	}
}

func TestSnoozeFromSlashAndModal(t *testing.T) {
	h := newHarness(t)
	got := h.slash(alice, inc43Ch, "/pd snooze 2h")
	contains(t, got.Text, "Alice Smith snoozed #43 Checkout 502s for 2 hours via Slack", "goes back to triggered")
	if got.Ephemeral {
		t.Error("the snooze confirmation is not in the channel")
	}
	ws := h.writesOnly(demoworld.AliceEmail, "POST /incidents/"+inc43+"/snooze")
	wantBody(t, ws[0].Body, `{"duration":7200}`)
	if inc, _ := h.pd.Incident(inc43); inc.SnoozedUntil.IsZero() {
		t.Error("the incident is not snoozed")
	}

	// Bad input: a clear message, nothing written.
	h.pd.ResetRequests()
	for line, want := range map[string]string{
		"/pd snooze #43 8d":    "at most 7 days",
		"/pd snooze #43 soon":  "like `30m`, `2h` or `1d`",
		"/pd snooze #43 30":    "like `30m`, `2h` or `1d`",
		"/pd snooze #42 30m":   "snooze needs an acknowledged incident: acknowledge it first",
		"/pd snooze #44 30m":   "already resolved",
		"/pd snooze #43 0m":    "at least 1 minute",
		"/pd snooze #43 1h 2h": "like `30m`, `2h` or `1d`",
	} {
		got := h.slash(alice, opsCh, line)
		contains(t, got.Text, want)
		if !got.Ephemeral {
			t.Errorf("%s: the refusal went to the channel", line)
		}
	}
	h.noWrites("bad snoozes")

	// The form: a duration from the list.
	v := h.openModal(bob, inc43Ch, "/pd snooze", handlers.SnoozeCallback)
	contains(t, v.PlainText(), "Checkout 502s", "Snooze for")
	contains(t, string(v.Blocks), "30 minutes", "7 days")
	a := h.submit(bob, v, sel("duration", "duration_select", "8d"))
	contains(t, string(a.Payload), `"duration"`, "Pick how long")
	h.noWrites("an invalid snooze form")
	before := h.snapshot(bob, inc43Ch)
	h.submit(bob, v, sel("duration", "duration_select", "30m"))
	contains(t, h.next(bob, inc43Ch, before, "the snooze form").Text, "Bob Jones snoozed #43", "for 30 minutes")
	ws = h.writesOnly(demoworld.BobEmail, "POST /incidents/"+inc43+"/snooze")
	wantBody(t, ws[0].Body, `{"duration":1800}`)
}

func TestPriorityFromSlashAndModal(t *testing.T) {
	h := newHarness(t)
	got := h.slash(alice, incCh, "/pd priority p1")
	contains(t, got.Text, "Alice Smith set the priority of #42 Orders DB latency", "to *P1*")
	ws := h.writesOnly(demoworld.AliceEmail, "PUT /incidents/"+inc42)
	wantBody(t, ws[0].Body, `{"incident":{"type":"incident_reference","priority":{"id":"`+demoworld.PriorityP1ID+`","type":"priority_reference"}}}`)
	if inc, _ := h.pd.Incident(inc42); inc.PriorityID != demoworld.PriorityP1ID {
		t.Errorf("priority %q, want P1", inc.PriorityID)
	}

	h.pd.ResetRequests()
	for line, want := range map[string]string{
		"/pd priority P9":     "No priority has that name. This account's priorities are *P1*, *P2*, *P3*, *P4*, *P5*",
		"/pd priority P1":     "already has priority *P1*; nothing changed",
		"/pd priority #44 P2": "already resolved",
		"/pd priority":        "", // the form, checked below
	} {
		if want == "" {
			continue
		}
		got := h.slash(alice, incCh, line)
		contains(t, got.Text, want)
	}
	h.noWrites("bad priorities")

	v := h.openModal(alice, incCh, "/pd priority", handlers.PriorityCallback)
	contains(t, v.PlainText(), "Current priority: P1")
	contains(t, string(v.Blocks), "P2 — Major", "P5 — Cosmetic")
	a := h.submit(alice, v, sel("priority", "priority_select", "../x"))
	contains(t, string(a.Payload), `"priority"`, "Pick a priority")
	h.noWrites("an invalid priority form")
	before := h.snapshot(alice, incCh)
	h.submit(alice, v, sel("priority", "priority_select", demoworld.PriorityP2ID))
	contains(t, h.next(alice, incCh, before, "the priority form").Text, "to *P2* (was P1)")
	ws = h.writesOnly(demoworld.AliceEmail, "PUT /incidents/"+inc42)
	wantBody(t, ws[0].Body, `{"incident":{"type":"incident_reference","priority":{"id":"`+demoworld.PriorityP2ID+`","type":"priority_reference"}}}`)
}

// TestPriorityOnAnAccountWithout: an account whose GET /priorities is
// empty gets advice, from the slash line and the form, and no write.
func TestPriorityOnAnAccountWithout(t *testing.T) {
	h := newHarness(t)
	h.pd.SetPriorities()
	contains(t, h.slash(alice, incCh, "/pd priority P1").Text, "This PagerDuty account has no priorities", "an account admin can turn them on")
	d, err := h.sf.Slash(alice, incCh, "/pd priority")
	if err != nil {
		t.Fatal(err)
	}
	h.ack(d)
	// The form's loading view shows the advice instead.
	h.topView(alice, func(v slackfake.View) bool {
		return strings.Contains(v.PlainText(), "This PagerDuty account has no priorities")
	})
	h.noWrites("priority on an account without priorities")
}

func TestEscalateToLevel(t *testing.T) {
	h := newHarness(t)
	got := h.slash(alice, incCh, "/pd escalate level=2")
	contains(t, got.Text, "Alice Smith escalated #42 Orders DB latency", "to level 2 of *Database On-Call*")
	ws := h.writesOnly(demoworld.AliceEmail, "PUT /incidents/"+inc42)
	wantBody(t, ws[0].Body, `{"incident":{"type":"incident_reference","escalation_level":2}}`)
	if inc, _ := h.pd.Incident(inc42); inc.EscalationLevel != 2 || len(inc.Assignees) != 1 || inc.Assignees[0] != demoworld.PDCarolID {
		t.Errorf("after level 2: level %d, assignees %v; want 2, Carol", inc.EscalationLevel, inc.Assignees)
	}

	h.pd.ResetRequests()
	for line, want := range map[string]string{
		"/pd escalate level=3":     "Database On-Call has 2 levels, so there is no level 3",
		"/pd escalate level=0":     "no level 0",
		"/pd escalate #44 level=1": "already resolved",
	} {
		contains(t, h.slash(alice, incCh, line).Text, want)
	}
	h.noWrites("bad escalation levels")

	// The form offers the levels and another policy, one or the other.
	v := h.openModal(bob, incCh, "/pd escalate", handlers.EscalateCallback)
	contains(t, v.PlainText(), "Database On-Call (2 levels)", "another escalation policy")
	contains(t, string(v.Blocks), "Level 1 of 2", "Level 2 of 2")
	both := sel("level", "level_select", "1")
	both["policy"] = map[string]slackfake.Value{"policy_search": {SelectedOption: demoworld.PolicyWebID}}
	contains(t, string(h.submit(bob, v, both).Payload), `"level"`, "not both")
	contains(t, string(h.submit(bob, v, nil).Payload), `"policy"`, "Pick an escalation policy")
	h.noWrites("invalid escalate forms")
	before := h.snapshot(bob, incCh)
	h.submit(bob, v, sel("level", "level_select", "1"))
	contains(t, h.next(bob, incCh, before, "the level form").Text, "Bob Jones escalated #42", "to level 1 of *Database On-Call*")
	ws = h.writesOnly(demoworld.BobEmail, "PUT /incidents/"+inc42)
	wantBody(t, ws[0].Body, `{"incident":{"type":"incident_reference","escalation_level":1}}`)

	// Another policy from the same form still works.
	h.pd.ResetRequests()
	v = h.openModal(bob, incCh, "/pd escalate", handlers.EscalateCallback)
	before = h.snapshot(bob, incCh)
	h.submit(bob, v, sel("policy", "policy_search", demoworld.PolicyWebID))
	contains(t, h.next(bob, incCh, before, "the policy form").Text, "Web On-Call")
	ws = h.writesOnly(demoworld.BobEmail, "PUT /incidents/"+inc42)
	contains(t, string(ws[0].Body), `"escalation_policy":{"id":"`+demoworld.PolicyWebID)
}

// TestSnoozeAndPriorityControls: the Action IDs the card's menu uses open
// the forms, whose submissions make one write each as the clicker. A
// message with plain buttons stands in for the menu.
func TestSnoozeAndPriorityControls(t *testing.T) {
	h := newHarness(t)
	api := slack.New(h.sf.BotToken(), slack.OptionAPIURL(h.sf.URL()))
	btn := func(id, label string) *slack.ButtonBlockElement {
		return slack.NewButtonBlockElement(id, inc43, slack.NewTextBlockObject(slack.PlainTextType, label, false, false))
	}
	_, ts, err := api.PostMessageContext(context.Background(), inc43Ch, slack.MsgOptionText("controls", false),
		slack.MsgOptionBlocks(slack.NewActionBlock("more", btn(handlers.ActionSnooze, "Snooze"), btn(handlers.ActionPriority, "Priority"))))
	if err != nil {
		t.Fatal(err)
	}
	msg, ok := h.sf.Message(inc43Ch, ts)
	if !ok {
		t.Fatal("the controls message was not posted")
	}
	h.pd.ResetRequests()

	h.click(bob, inc43Ch, msg, handlers.ActionSnooze)
	v := h.topView(bob, func(v slackfake.View) bool { return v.CallbackID == handlers.SnoozeCallback })
	before := h.snapshot(bob, inc43Ch)
	h.submit(bob, v, sel("duration", "duration_select", "1h"))
	contains(t, h.next(bob, inc43Ch, before, "the snooze").Text, "Bob Jones snoozed #43", "for 1 hour")
	ws := h.writesOnly(demoworld.BobEmail, "POST /incidents/"+inc43+"/snooze")
	wantBody(t, ws[0].Body, `{"duration":3600}`)

	h.pd.ResetRequests()
	h.click(bob, inc43Ch, msg, handlers.ActionPriority)
	v = h.topView(bob, func(v slackfake.View) bool { return v.CallbackID == handlers.PriorityCallback })
	before = h.snapshot(bob, inc43Ch)
	h.submit(bob, v, sel("priority", "priority_select", demoworld.PriorityP1ID))
	contains(t, h.next(bob, inc43Ch, before, "the priority").Text, "Bob Jones set the priority of #43", "*P1*")
	h.writesOnly(demoworld.BobEmail, "PUT /incidents/"+inc43)

	// Once resolved, the same controls change nothing.
	if err := h.pd.Resolve(inc43, pdfake.FromWeb(demoworld.PDAliceID), ""); err != nil {
		t.Fatal(err)
	}
	h.pd.ResetRequests()
	h.click(bob, inc43Ch, msg, handlers.ActionSnooze)
	h.topView(bob, func(v slackfake.View) bool {
		return v.CallbackID != handlers.SnoozeCallback && strings.Contains(v.PlainText(), "already resolved")
	})
	h.noWrites("a snooze control on a resolved incident")
}
