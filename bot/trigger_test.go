package bot_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/pdbot/pdbot/internal/demoworld"
	"github.com/pdbot/pdbot/internal/pdfake"
	"github.com/pdbot/pdbot/internal/slackfake"
)

// createBody is the incident of a POST /incidents body.
type createBody struct {
	Incident struct {
		Type    string
		Title   string
		Urgency string
		Service struct{ ID, Type string }
		Body    *struct{ Type, Details string }
		// Assignments and EscalationPolicy are what the requester picked.
		Assignments []struct {
			Assignee struct{ ID, Type string }
		}
		EscalationPolicy *struct{ ID, Type string } `json:"escalation_policy"`
	}
}

// triggered waits for the n-th POST /incidents (1-based), checks it is the
// only kind of write and carries from, and returns its body and the
// incident PagerDuty made.
func (h *harness) triggered(n int, from string) (createBody, pdfake.Incident) {
	h.t.Helper()
	h.waitFor("POST /incidents", func() bool { return len(h.writes()) >= n })
	ws := h.writes()
	if len(ws) != n {
		h.t.Fatalf("PagerDuty writes %v, want %d POST /incidents", paths(ws), n)
	}
	w := ws[n-1]
	if w.Method != "POST" || w.Path != "/incidents" || w.Header.Get("From") != from {
		h.t.Fatalf("write %s %s From %q, want POST /incidents From %q", w.Method, w.Path, w.Header.Get("From"), from)
	}
	if w.Invalid != "" {
		h.t.Fatalf("POST /incidents was invalid: %s", w.Invalid)
	}
	var b createBody
	if err := json.Unmarshal(w.Body, &b); err != nil {
		h.t.Fatal(err)
	}
	var inc pdfake.Incident
	found := false
	for _, id := range h.incidentIDs() {
		if in, _ := h.pd.Incident(id); in.Title == b.Incident.Title && in.Number == demoworld.Incident44Number+n {
			inc, found = in, true
		}
	}
	if !found {
		h.t.Fatalf("no incident #%d %q in PagerDuty", demoworld.Incident44Number+n, b.Incident.Title)
	}
	return b, inc
}

// incidentIDs lists the incidents the log knows of (every new one has a
// trigger entry).
func (h *harness) incidentIDs() []string {
	var ids []string
	for _, e := range h.pd.LogEntries("") {
		if e.Type == pdfake.TypeTrigger {
			ids = append(ids, e.IncidentID)
		}
	}
	return ids
}

// ephemeralWith waits for an ephemeral to user in channel that holds want.
func (h *harness) ephemeralWith(user, channel, want string) slackfake.Message {
	h.t.Helper()
	var got slackfake.Message
	h.waitFor("an answer with "+want, func() bool {
		for _, m := range h.sf.Ephemerals(user, channel) {
			if strings.Contains(m.Text, want) {
				got = m
				return true
			}
		}
		return false
	})
	return got
}

// TestTriggerSlashByServiceName: `/pd trigger Orders DB replicas lagging`
// sends one valid POST /incidents as the requester, on the service the
// leading words name, and posts the new incident's live card here.
func TestTriggerSlashByServiceName(t *testing.T) {
	h := newHarness(t)
	h.slash(alice, opsCh, "/pd trigger Orders DB replicas lagging")
	b, inc := h.triggered(1, demoworld.AliceEmail)
	if b.Incident.Type != "incident" || b.Incident.Service.ID != demoworld.ServiceDBID || b.Incident.Service.Type != "service_reference" ||
		b.Incident.Title != "replicas lagging" || b.Incident.Body != nil || b.Incident.Assignments != nil || b.Incident.EscalationPolicy != nil {
		t.Errorf("body %+v", b.Incident)
	}
	_, m := h.liveMessage(opsCh, inc.ID)
	contains(t, m.Text, "Alice Smith triggered #45 replicas lagging on *Orders DB*")
	contains(t, string(m.Blocks), "replicas lagging", "card_actions")
	got := h.ephemeralWith(alice, opsCh, "You triggered")
	contains(t, got.Text, "<"+demoworld.PagerDutyWebURL+"/incidents/"+inc.ID+"|#45 replicas lagging>", "*Orders DB*")
	if a := h.lastAudit(); a.Action != "slash:trigger" || a.Result != "ok" || a.Incident != inc.ID {
		t.Errorf("audit row %+v", a)
	}
	if es := h.pd.LogEntries(inc.ID); len(es) == 0 || es[0].AgentID != demoworld.PDAliceID || es[0].Channel != pdfake.ChannelAPI {
		t.Errorf("trigger entry %+v, want by Alice through the API", es)
	}
}

// TestTriggerSlashPrefersLongestExactName: of the names the leading words
// could be, the longest exact one wins; an ID and a quoted name work too.
func TestTriggerSlashPrefersLongestExactName(t *testing.T) {
	h := newHarness(t)
	h.pd.AddService(pdfake.Service{ID: "PSVCORD", Name: "Orders", EscalationPolicyID: demoworld.PolicyDBID})
	h.pd.AddService(pdfake.Service{ID: "PSVCDBR", Name: "Orders DB Replicas", EscalationPolicyID: demoworld.PolicyDBID})
	for i, tc := range []struct{ line, service, title string }{
		{"/pd trigger Orders DB replicas lagging", "PSVCDBR", "lagging"},
		{"/pd trigger orders db down hard", demoworld.ServiceDBID, "down hard"},
		{"/pd trigger Orders disk full", "PSVCORD", "disk full"},
		{"/pd trigger " + demoworld.ServiceWebID + " 502s on /cart", demoworld.ServiceWebID, "502s on /cart"},
		{`/pd trigger "checkout web" 502s again`, demoworld.ServiceWebID, "502s again"},
	} {
		h.slash(alice, opsCh, tc.line)
		b, _ := h.triggered(i+1, demoworld.AliceEmail)
		if b.Incident.Service.ID != tc.service || b.Incident.Title != tc.title {
			t.Errorf("%s: service %s title %q, want %s %q", tc.line, b.Incident.Service.ID, b.Incident.Title, tc.service, tc.title)
		}
	}
}

// TestTriggerWithoutServiceOpensForm: no leading words name a service, so
// the form opens with the title filled in; submitting it triggers once.
func TestTriggerWithoutServiceOpensForm(t *testing.T) {
	h := newHarness(t)
	v := h.openModal(alice, opsCh, "/pd trigger disk is full on db7", "trigger_submit")
	contains(t, string(v.Blocks), `"initial_value":"disk is full on db7"`)
	contains(t, v.PlainText(), "No service is called")
	h.noWrites("opening the form")

	before := h.snapshot(alice, opsCh)
	h.submit(alice, v, map[string]map[string]slackfake.Value{
		"service": {"service_search": {SelectedOption: demoworld.ServiceWebID}},
	})
	b, inc := h.triggered(1, demoworld.AliceEmail)
	if b.Incident.Title != "disk is full on db7" || b.Incident.Service.ID != demoworld.ServiceWebID || b.Incident.Urgency != "high" {
		t.Errorf("body %+v", b.Incident)
	}
	h.next(alice, opsCh, before, "the trigger form")
	h.liveMessage(opsCh, inc.ID)
	if a := h.lastAudit(); a.Action != "submission:trigger_submit" || a.Result != "ok" || a.Incident != inc.ID {
		t.Errorf("audit row %+v", a)
	}

	// The service alone: the form opens with it picked.
	v = h.openModal(bob, opsCh, "/pd trigger Orders DB", "trigger_submit")
	contains(t, string(v.Blocks), `"value":"`+demoworld.ServiceDBID+`"`, "Give the incident a title")
}

// TestTriggerFormOpensIncidentChannel: with the box ticked, the incident
// gets a channel of its own (created, topic its URL, linked, requester
// invited, live card there) and the requester a link to it; a second
// incident of the same title gets another name, and a taken name a suffix.
func TestTriggerFormOpensIncidentChannel(t *testing.T) {
	h := newHarness(t)
	v := h.openModal(alice, opsCh, "/pd trigger", "trigger_submit")
	contains(t, v.PlainText(), "Service", "Title", "Urgency", "Details", "Open an incident channel")
	form := func(title string) map[string]map[string]slackfake.Value {
		return map[string]map[string]slackfake.Value{
			"service":  {"service_search": {SelectedOption: demoworld.ServiceDBID}},
			"title":    {"title_input": {Value: title}},
			"urgency":  {"urgency_choice": {SelectedOption: "low"}},
			"details":  {"details_input": {Value: "lag 30 s on replica 2"}},
			"assignee": {"user_search": {SelectedOption: demoworld.PDBobID}},
			"channel":  {"open_channel": {SelectedOptions: []string{"open"}}},
		}
	}
	h.submit(alice, v, form("Replicas lagging"))
	b, inc := h.triggered(1, demoworld.AliceEmail)
	if b.Incident.Urgency != "low" || b.Incident.Body == nil || b.Incident.Body.Type != "incident_body" || b.Incident.Body.Details != "lag 30 s on replica 2" ||
		len(b.Incident.Assignments) != 1 || b.Incident.Assignments[0].Assignee.ID != demoworld.PDBobID || b.Incident.EscalationPolicy != nil {
		t.Errorf("body %+v", b.Incident)
	}
	if inc.Details != "lag 30 s on replica 2" || len(inc.Assignees) != 1 || inc.Assignees[0] != demoworld.PDBobID {
		t.Errorf("incident %+v", inc)
	}
	got := h.ephemeralWith(alice, opsCh, "You triggered")
	ch, ok := h.sf.ChannelByName("inc-45-replicas-lagging")
	if !ok {
		t.Fatalf("no channel inc-45-replicas-lagging; answer %q", got.Text)
	}
	contains(t, got.Text, "Its channel is <#"+ch.ID+">", "you are in it")
	if ch.Topic != demoworld.PagerDutyWebURL+"/incidents/"+inc.ID || ch.IsPrivate {
		t.Errorf("channel %+v", ch)
	}
	if link, err := h.st.Link(context.Background(), demoworld.TeamID, ch.ID); err != nil || link != inc.ID {
		t.Errorf("link %q, %v; want %s", link, err, inc.ID)
	}
	if m := h.sf.Members(ch.ID); !strings.Contains(strings.Join(m, ","), alice) {
		t.Errorf("members %q, want Alice invited", m)
	}
	_, card := h.liveMessage(ch.ID, inc.ID)
	contains(t, string(card.Blocks), "Replicas lagging")
	for _, m := range h.sf.Messages(opsCh) {
		t.Errorf("posted in the channel the form came from: %q", m.Text)
	}

	// The same title again: another incident, another channel.
	v = h.openModal(alice, opsCh, "/pd trigger", "trigger_submit")
	h.submit(alice, v, form("Replicas lagging"))
	_, inc2 := h.triggered(2, demoworld.AliceEmail)
	h.ephemeralWith(alice, opsCh, "#46 Replicas lagging")
	ch2, ok := h.sf.ChannelByName("inc-46-replicas-lagging")
	if !ok || ch2.ID == ch.ID {
		t.Fatalf("second channel %+v", ch2)
	}
	h.liveMessage(ch2.ID, inc2.ID)

	// A name someone took already gets a suffix.
	h.sf.AddChannel(slackfake.Channel{ID: "C0TAKEN01", Name: "inc-47-replicas-lagging"})
	h.allowSlackErrors = true // the name_taken answer
	v = h.openModal(alice, opsCh, "/pd trigger", "trigger_submit")
	h.submit(alice, v, form("Replicas lagging"))
	_, inc3 := h.triggered(3, demoworld.AliceEmail)
	h.ephemeralWith(alice, opsCh, "#47 Replicas lagging")
	ch3, ok := h.sf.ChannelByName("inc-47-replicas-lagging-2")
	if !ok {
		t.Fatal("no channel inc-47-replicas-lagging-2")
	}
	h.liveMessage(ch3.ID, inc3.ID)
}

// TestTriggerChannelPartialFailures: the incident exists whatever Slack
// refuses; the requester hears what did not happen and how to finish.
func TestTriggerChannelPartialFailures(t *testing.T) {
	h := newHarness(t)
	h.allowSlackErrors = true
	form := map[string]map[string]slackfake.Value{
		"service": {"service_search": {SelectedOption: demoworld.ServiceWebID}},
		"title":   {"title_input": {Value: "Cart 500s"}},
		"channel": {"open_channel": {SelectedOptions: []string{"open"}}},
	}
	h.sf.FailMethod("conversations.setTopic", "too_long", 1)
	h.sf.FailMethod("conversations.invite", "cant_invite", 1)
	h.submit(alice, h.openModal(alice, opsCh, "/pd trigger", "trigger_submit"), form)
	_, inc := h.triggered(1, demoworld.AliceEmail)
	got := h.ephemeralWith(alice, opsCh, "You triggered")
	contains(t, got.Text, "its topic is not set (Slack said too_long): set it to "+demoworld.PagerDutyWebURL+"/incidents/"+inc.ID,
		"you were not invited (Slack said cant_invite): join #inc-45-cart-500s yourself")
	ch, _ := h.sf.ChannelByName("inc-45-cart-500s")
	h.liveMessage(ch.ID, inc.ID)

	// No channel at all: the card comes here, with how to make one by hand.
	h.sf.FailMethod("conversations.create", "restricted_action", 1)
	h.submit(alice, h.openModal(alice, opsCh, "/pd trigger", "trigger_submit"), form)
	_, inc2 := h.triggered(2, demoworld.AliceEmail)
	got = h.ephemeralWith(alice, opsCh, "could not open its channel")
	contains(t, got.Text, "Slack said restricted_action", "`/pd link #46`")
	h.liveMessage(opsCh, inc2.ID)
}

// TestTriggerRefusedForGuestsBotsAndUnmapped: nothing reaches PagerDuty,
// and the form does not open for them.
func TestTriggerRefusedForGuestsBotsAndUnmapped(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct{ who, want string }{
		{demoworld.DaveID, "Guests cannot trigger PagerDuty incidents"},
		{demoworld.DeployBotID, "Bots cannot trigger PagerDuty incidents"},
		{demoworld.ErinID, "No PagerDuty user has your Slack email"},
	} {
		got := h.slash(tc.who, opsCh, "/pd trigger Orders DB replicas lagging")
		contains(t, got.Text, tc.want)
	}
	h.noWrites("refused triggers")
	d, err := h.sf.Slash(demoworld.DaveID, opsCh, "/pd trigger")
	if err != nil {
		t.Fatal(err)
	}
	h.ack(d)
	v := h.topView(demoworld.DaveID, func(v slackfake.View) bool { return !strings.Contains(v.PlainText(), "Loading") })
	if v.CallbackID == "trigger_submit" {
		t.Error("a guest got the trigger form")
	}
	h.noWrites("a guest's bare trigger")
}

// TestTriggerUnknownServiceAndRefusals: a service PagerDuty does not have
// is advice with no write; PagerDuty's refusal of the write is its answer
// as advice; an uncertain answer says not to trigger twice; key-shaped
// text never leaves.
func TestTriggerUnknownServiceAndRefusals(t *testing.T) {
	h := newHarness(t)
	got := h.slash(alice, opsCh, `/pd trigger "No Such Service" disk full`)
	contains(t, got.Text, "Nothing was triggered", "no service is called “No Such Service”")
	v := h.openModal(alice, opsCh, "/pd trigger", "trigger_submit")
	before := h.snapshot(alice, opsCh)
	h.submit(alice, v, map[string]map[string]slackfake.Value{
		"service": {"service_search": {SelectedOption: "PNOSUCH"}},
		"title":   {"title_input": {Value: "disk full"}},
	})
	contains(t, h.next(alice, opsCh, before, "an unknown service").Text, "PagerDuty has no service PNOSUCH", "nothing was triggered")
	h.noWrites("unknown services")

	// Assignee and policy together: a field error, before anything.
	v = h.openModal(alice, opsCh, "/pd trigger", "trigger_submit")
	a := h.submit(alice, v, map[string]map[string]slackfake.Value{
		"service":  {"service_search": {SelectedOption: demoworld.ServiceDBID}},
		"title":    {"title_input": {Value: "disk full"}},
		"assignee": {"user_search": {SelectedOption: demoworld.PDBobID}},
		"policy":   {"policy_search": {SelectedOption: demoworld.PolicyWebID}},
	})
	contains(t, string(a.Payload), `"response_action":"errors"`, "not both")
	h.noWrites("a form with both")

	h.pd.FailNext(1, pdfake.Fault{Method: "POST", PathPrefix: "/incidents", Kind: pdfake.FaultErrorsString})
	got = h.slash(alice, opsCh, "/pd trigger Orders DB disk full")
	contains(t, got.Text, "PagerDuty refused: Something about the input was wrong", "Nothing was changed")
	notContains(t, got.Text, "/pd get")

	h.pd.FailNext(1, pdfake.Fault{Method: "POST", PathPrefix: "/incidents", Kind: pdfake.Fault5xxJSON})
	got = h.slash(alice, opsCh, "/pd trigger Orders DB disk full")
	contains(t, got.Text, "may or may not exist", "before triggering it again")
	if n := len(h.writes()); n != 2 {
		t.Errorf("%d writes, want the 2 PagerDuty refused (a POST is never retried)", n)
	}

	h.pd.ResetRequests()
	got = h.slash(alice, opsCh, "/pd trigger Orders DB leaked u+abcdefghijklmnop1234567")
	contains(t, got.Text, "shaped like an API key")
	h.requireNoPD()
}
