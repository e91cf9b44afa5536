package bot_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pdbot/pdbot/handlers"
	"github.com/pdbot/pdbot/internal/demoworld"
	"github.com/pdbot/pdbot/internal/pdfake"
	"github.com/pdbot/pdbot/internal/slackfake"
)

// choose picks an option of the card menu on m.
func (h *harness) choose(user, channel string, m slackfake.Message, action, incident string) {
	h.t.Helper()
	d, err := h.sf.ChooseOverflow(user, channel, m.TS, handlers.ActionMore, handlers.MenuValue(action, incident))
	if err != nil {
		h.t.Fatal(err)
	}
	h.ack(d)
}

// clickFor clicks a button on m and returns the newest message the user
// then sees in the channel.
func (h *harness) clickFor(user, channel string, m slackfake.Message, actionID string) slackfake.Message {
	h.t.Helper()
	before := h.snapshot(user, channel)
	h.click(user, channel, m, actionID)
	return h.next(user, channel, before, actionID)
}

// mergeSources reads the source_incidents of a merge request.
func mergeSources(t *testing.T, w pdfake.Request) []string {
	t.Helper()
	var body struct {
		Sources []struct{ ID, Type string } `json:"source_incidents"`
	}
	if err := json.Unmarshal(w.Body, &body); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range body.Sources {
		out = append(out, s.ID+" "+s.Type)
	}
	return out
}

func TestMergeFromSlashAfterConfirmation(t *testing.T) {
	h := newHarness(t)
	// The channel's incident (#42, from the topic) is the target.
	conf := h.slash(alice, incCh, "/pd merge #43")
	if !conf.Ephemeral {
		t.Fatalf("the confirmation is for the channel: %s", conf.PlainText())
	}
	contains(t, conf.PlainText(), "Merge into #42 Orders DB latency", "#43 Checkout 502s", "[Merge]", "[Cancel]")
	h.noWrites("showing the confirmation")

	got := h.clickFor(alice, incCh, conf, handlers.ActionMergeConfirm)
	contains(t, got.Text, "Alice Smith merged #43 Checkout 502s into #42 Orders DB latency")
	if got.Ephemeral {
		t.Error("the merge was not announced in the channel")
	}
	ws := h.writesOnly(demoworld.AliceEmail, "PUT /incidents/"+inc42+"/merge")
	if diff := strings.Join(mergeSources(t, ws[0]), ","); diff != inc43+" incident_reference" {
		t.Errorf("source_incidents = %s", diff)
	}
	if in, _ := h.pd.Incident(inc43); in.Status != "resolved" || in.MergedInto != inc42 {
		t.Errorf("#43 after the merge: %s, merged into %q", in.Status, in.MergedInto)
	}
	// The confirmation is gone, so it cannot be pressed again.
	for _, m := range h.sf.Ephemerals(alice, incCh) {
		if m.TS == conf.TS && !m.Deleted {
			t.Error("the confirmation is still there")
		}
	}

	// Several sources into an explicit target, by ID and number.
	h.pd.AddIncident(pdfake.Incident{ID: "Q0MERGE0000045", Number: 45, Title: "Orders API 500s", ServiceID: demoworld.ServiceDBID})
	h.pd.AddIncident(pdfake.Incident{ID: "Q0MERGE0000046", Number: 46, Title: "Orders API slow", ServiceID: demoworld.ServiceDBID})
	h.pd.AddIncident(pdfake.Incident{ID: "Q0MERGE0000047", Number: 47, Title: "Orders API down", ServiceID: demoworld.ServiceDBID})
	h.pd.ResetRequests()
	conf = h.slash(alice, opsCh, "/pd merge #45 Q0MERGE0000046, #47")
	contains(t, conf.PlainText(), "Merge into #45 Orders API 500s", "#46 Orders API slow", "#47 Orders API down")
	h.clickFor(alice, opsCh, conf, handlers.ActionMergeConfirm)
	ws = h.writesOnly(demoworld.AliceEmail, "PUT /incidents/Q0MERGE0000045/merge")
	if got := strings.Join(mergeSources(t, ws[0]), ","); got != "Q0MERGE0000046 incident_reference,Q0MERGE0000047 incident_reference" {
		t.Errorf("source_incidents = %s", got)
	}
}

func TestMergeRefusals(t *testing.T) {
	h := newHarness(t)
	h.pd.AddIncident(pdfake.Incident{ID: "Q0MERGE0000045", Number: 45, Title: "Orders API 500s", ServiceID: demoworld.ServiceDBID})
	for _, tt := range []struct {
		user, line string
		want       string
	}{
		{alice, "/pd merge #44 #43", "#44 Old disk alert is resolved, so nothing was merged"},
		{alice, "/pd merge #42 #42", "cannot be merged into itself"},
		{alice, "/pd merge #99", "PagerDuty has no incident #99 that this channel's key can see"},
		{alice, "/pd merge frob", "`frob` is not an incident"},
		{dave, "/pd merge #43", "Guests cannot merge incidents"},
		{deploybot, "/pd merge #43", "Bots cannot merge incidents"},
		{demoworld.ErinID, "/pd merge #43", "/pd map"},
	} {
		got := h.slash(tt.user, incCh, tt.line)
		contains(t, got.PlainText(), tt.want)
		if strings.Contains(string(got.Blocks), handlers.ActionMergeConfirm) {
			t.Errorf("%s: a confirmation was offered", tt.line)
		}
	}
	h.noWrites("refused merges")

	// A confirmation pressed after the target was resolved elsewhere:
	// re-checked, refused, nothing sent.
	conf := h.slash(alice, incCh, "/pd merge #45")
	contains(t, conf.PlainText(), "#45 Orders API 500s")
	if err := h.pd.Resolve(inc42, pdfake.FromWeb(demoworld.PDBobID), ""); err != nil {
		t.Fatal(err)
	}
	got := h.clickFor(alice, incCh, conf, handlers.ActionMergeConfirm)
	contains(t, got.Text, "#42 Orders DB latency &gt; 2s is resolved, so nothing was merged")
	// Cancel sends nothing either.
	conf = h.slash(alice, inc43Ch, "/pd merge #45")
	h.click(alice, inc43Ch, conf, handlers.ActionMergeCancel)
	h.waitFor("the cancelled confirmation", func() bool {
		for _, m := range h.sf.Ephemerals(alice, inc43Ch) {
			if m.TS == conf.TS && strings.Contains(m.Text, "Cancelled: nothing was merged.") && !strings.Contains(string(m.Blocks), handlers.ActionMergeConfirm) {
				return true
			}
		}
		return false
	})
	h.noWrites("a stale or cancelled confirmation")
	// A forged confirmation names nothing valid.
	conf = h.slash(alice, inc43Ch, "/pd merge #45")
	before := h.snapshot(alice, inc43Ch)
	d, err := h.sf.ClickButtonValue(alice, inc43Ch, conf.TS, handlers.ActionMergeConfirm, inc43+" ../users")
	if err != nil {
		t.Fatal(err)
	}
	h.ack(d)
	contains(t, h.next(alice, inc43Ch, before, "a forged merge").Text, "does not name valid incidents")
	h.noWrites("a forged confirmation")
}

func TestMergeFromFormAndCardMenu(t *testing.T) {
	h := newHarness(t)
	v := h.openModal(alice, incCh, "/pd merge", handlers.MergeCallback)
	contains(t, v.PlainText(), "Merge into #42 Orders DB latency", "Incidents to merge into it")
	a := h.submit(alice, v, map[string]map[string]slackfake.Value{"sources": {"sources_input": {Value: "#43 ../users"}}})
	contains(t, string(a.Payload), `"response_action":"errors"`, `"sources"`)
	a = h.submit(alice, v, map[string]map[string]slackfake.Value{"sources": {"sources_input": {Value: inc42}}})
	contains(t, string(a.Payload), "cannot be merged into itself")
	h.noWrites("invalid merge forms")

	before := h.snapshot(alice, incCh)
	h.submit(alice, v, map[string]map[string]slackfake.Value{"sources": {"sources_input": {Value: "#43"}}})
	conf := h.next(alice, incCh, before, "the merge form")
	contains(t, conf.PlainText(), "Merge into #42", "#43 Checkout 502s")
	h.noWrites("the form before its confirmation")
	h.clickFor(alice, incCh, conf, handlers.ActionMergeConfirm)
	h.writesOnly(demoworld.AliceEmail, "PUT /incidents/"+inc42+"/merge")

	// From the card's menu: the same form.
	h.pd.ResetRequests()
	card := h.card(bob, incCh)
	h.choose(bob, incCh, card, handlers.ActionMerge, inc42)
	v = h.topView(bob, func(v slackfake.View) bool { return v.CallbackID == handlers.MergeCallback })
	contains(t, v.PlainText(), "Merge into #42")
	h.noWrites("opening the merge form from the menu")
}

func TestStatusUpdateFromSlashFormAndCardMenu(t *testing.T) {
	h := newHarness(t)
	got := h.slash(alice, incCh, "/pd status-update Failover under way, next update in 30 min")
	contains(t, got.Text, "Alice Smith sent a status update for #42 Orders DB latency", "Failover under way, next update in 30 min")
	ws := h.writesOnly(demoworld.AliceEmail, "POST /incidents/"+inc42+"/status_updates")
	if string(ws[0].Body) != `{"message":"Failover under way, next update in 30 min"}` {
		t.Errorf("body %s", ws[0].Body)
	}

	// Key-shaped text is never sent.
	h.pd.ResetRequests()
	got = h.slash(alice, incCh, "/pd status-update the key is "+pastedKey)
	contains(t, got.Text, "shaped like an API key")
	h.noWrites("a key-shaped status update")

	// Bare: the form; an empty update is a field error.
	v := h.openModal(alice, incCh, "/pd status-update", handlers.StatusUpdateCallback)
	contains(t, v.PlainText(), "#42 Orders DB latency", "stakeholders")
	a := h.submit(alice, v, map[string]map[string]slackfake.Value{"message": {"message_input": {Value: "  "}}})
	contains(t, string(a.Payload), `"response_action":"errors"`, "Write the update")
	h.noWrites("an empty status update")
	before := h.snapshot(alice, incCh)
	h.submit(alice, v, map[string]map[string]slackfake.Value{"message": {"message_input": {Value: "DB is back"}}})
	contains(t, h.next(alice, incCh, before, "the status update form").Text, "DB is back")
	ws = h.writesOnly(demoworld.AliceEmail, "POST /incidents/"+inc42+"/status_updates")
	contains(t, string(ws[0].Body), `"message":"DB is back"`)

	// From the card's menu, as Bob.
	h.pd.ResetRequests()
	card := h.card(bob, incCh)
	h.choose(bob, incCh, card, handlers.ActionStatusUpdate, inc42)
	v = h.topView(bob, func(v slackfake.View) bool { return v.CallbackID == handlers.StatusUpdateCallback })
	before = h.snapshot(bob, incCh)
	h.submit(bob, v, map[string]map[string]slackfake.Value{"message": {"message_input": {Value: "Bob here: replicas caught up"}}})
	contains(t, h.next(bob, incCh, before, "the menu's status update").Text, "Bob Jones sent a status update")
	h.writesOnly(demoworld.BobEmail, "POST /incidents/"+inc42+"/status_updates")
	if in, _ := h.pd.Incident(inc42); len(in.StatusUpdates) != 3 || in.StatusUpdates[2].SenderID != demoworld.PDBobID {
		t.Errorf("status updates %+v", in.StatusUpdates)
	}
}

func TestWorkflowFromSlashFormAndCardMenu(t *testing.T) {
	h := newHarness(t)
	h.pd.AddWorkflow(pdfake.Workflow{ID: "PWFRETR", Name: "Major incident retro"})
	instances := func() string { return "POST /incident_workflows/" }
	check := func(from, workflow string) {
		t.Helper()
		ws := h.writesOnly(from, instances()+workflow+"/instances")
		var body struct {
			Instance struct {
				Incident struct{ ID, Type string } `json:"incident"`
			} `json:"incident_workflow_instance"`
		}
		if err := json.Unmarshal(ws[0].Body, &body); err != nil || body.Instance.Incident.ID != inc42 || body.Instance.Incident.Type != "incident_reference" {
			t.Errorf("body %s", ws[0].Body)
		}
		h.pd.ResetRequests()
	}
	// Ambiguous, unknown, or on a resolved incident: advice, nothing started.
	for line, want := range map[string]string{
		"/pd workflow major":        "Several workflows match",
		"/pd workflow frobnicate":   "No incident workflow that is turned on has that name or ID",
		"/pd workflow #44 kickoff":  "already resolved",
		"/pd workflow " + pastedKey: "looks like an API key, not a workflow name",
	} {
		contains(t, h.slash(alice, incCh, line).Text, want)
	}
	h.noWrites("refused workflows")

	// By exact name (case-insensitive), by a partial name that only one
	// matches, and by ID.
	contains(t, h.slash(alice, incCh, "/pd workflow major INCIDENT kickoff").Text, "Alice Smith started the workflow *Major incident kickoff* on #42")
	check(demoworld.AliceEmail, demoworld.WorkflowKickoffID)
	h.slash(alice, incCh, "/pd workflow stakeholder")
	check(demoworld.AliceEmail, demoworld.WorkflowCommsID)
	h.slash(alice, incCh, "/pd workflow "+demoworld.WorkflowCommsID)
	check(demoworld.AliceEmail, demoworld.WorkflowCommsID)

	// Bare: a form listing them.
	v := h.openModal(alice, incCh, "/pd workflow", handlers.WorkflowCallback)
	contains(t, v.PlainText(), "#42 Orders DB latency", "Incident workflow")
	a := h.submit(alice, v, map[string]map[string]slackfake.Value{"workflow": {"workflow_select": {SelectedOption: "../x"}}})
	contains(t, string(a.Payload), `"response_action":"errors"`, "Pick a workflow")
	h.noWrites("an invalid workflow form")
	before := h.snapshot(alice, incCh)
	h.submit(alice, v, map[string]map[string]slackfake.Value{"workflow": {"workflow_select": {SelectedOption: "PWFRETR"}}})
	contains(t, h.next(alice, incCh, before, "the workflow form").Text, "started the workflow *Major incident retro*")
	check(demoworld.AliceEmail, "PWFRETR")

	// From the card's menu.
	card := h.card(bob, incCh)
	h.choose(bob, incCh, card, handlers.ActionWorkflow, inc42)
	v = h.topView(bob, func(v slackfake.View) bool { return v.CallbackID == handlers.WorkflowCallback })
	before = h.snapshot(bob, incCh)
	h.submit(bob, v, map[string]map[string]slackfake.Value{"workflow": {"workflow_select": {SelectedOption: demoworld.WorkflowKickoffID}}})
	contains(t, h.next(bob, incCh, before, "the menu's workflow").Text, "Bob Jones started the workflow")
	check(demoworld.BobEmail, demoworld.WorkflowKickoffID)
	if in, _ := h.pd.Incident(inc42); len(in.WorkflowRuns) != 5 {
		t.Errorf("workflow runs %+v", in.WorkflowRuns)
	}
}

// TestFullerCard: /pd get shows the fuller card with the latest notes (one
// more read), a menu while the incident is open, none once resolved.
func TestFullerCard(t *testing.T) {
	h := newHarness(t)
	h.slash(alice, incCh, "/pd note Paged the DBA")
	h.slash(alice, incCh, "/pd ack")
	h.pd.ResetRequests()
	card := h.card(bob, incCh)
	contains(t, card.PlainText(), "Acknowledged by Alice Smith", "Priority", "Alerts", "Responders", "Latest notes", "Paged the DBA", "Updated")
	if got := paths(h.pd.Requests()); strings.Join(got, ",") != "GET /incidents/"+inc42+",GET /incidents/"+inc42+"/notes" {
		t.Errorf("reads for /pd get: %v", got)
	}
	if !strings.Contains(string(card.Blocks), handlers.ActionMore) {
		t.Error("an open incident's card has no menu")
	}
	resolved := h.slash(bob, incCh, "/pd get #44")
	if strings.Contains(string(resolved.Blocks), handlers.ActionMore) || !strings.Contains(string(resolved.Blocks), handlers.ActionNote) {
		t.Errorf("a resolved card must keep only Add note: %s", resolved.PlainText())
	}
}

// TestSnoozeAndPriorityFromCardMenu: the card's menu opens more1's snooze
// and priority forms, whose submissions make one write each as the chooser.
func TestSnoozeAndPriorityFromCardMenu(t *testing.T) {
	h := newHarness(t)
	card := h.card(bob, inc43Ch) // #43 is acknowledged: its menu offers Snooze
	h.pd.ResetRequests()
	h.choose(bob, inc43Ch, card, handlers.ActionSnooze, inc43)
	v := h.topView(bob, func(v slackfake.View) bool { return v.CallbackID == handlers.SnoozeCallback })
	before := h.snapshot(bob, inc43Ch)
	h.submit(bob, v, sel("duration", "duration_select", "1h"))
	contains(t, h.next(bob, inc43Ch, before, "the menu's snooze").Text, "Bob Jones snoozed #43")
	ws := h.writesOnly(demoworld.BobEmail, "POST /incidents/"+inc43+"/snooze")
	wantBody(t, ws[0].Body, `{"duration":3600}`)

	h.pd.ResetRequests()
	h.choose(bob, inc43Ch, card, handlers.ActionPriority, inc43)
	v = h.topView(bob, func(v slackfake.View) bool { return v.CallbackID == handlers.PriorityCallback })
	before = h.snapshot(bob, inc43Ch)
	h.submit(bob, v, sel("priority", "priority_select", demoworld.PriorityP1ID))
	contains(t, h.next(bob, inc43Ch, before, "the menu's priority").Text, "Bob Jones set the priority of #43", "*P1*")
	h.writesOnly(demoworld.BobEmail, "PUT /incidents/"+inc43)

	// A triggered incident's menu has no Snooze.
	if strings.Contains(string(h.card(bob, incCh).Blocks), handlers.MenuValue(handlers.ActionSnooze, inc42)) {
		t.Error("a triggered incident's card offers Snooze")
	}
}
