package bot_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pdbot/pdbot/internal/demoworld"
	"github.com/pdbot/pdbot/internal/pdfake"
	"github.com/pdbot/pdbot/internal/slackfake"
)

// moreForBob gives Bob twelve more open incidents on Orders DB: #100–#105
// triggered and low (#105 the oldest), #106–#109 acknowledged and high
// (#109 the oldest), #110 and #111 triggered and high, minutes old. With
// #42 (triggered, high, the oldest of all) he has 13.
func moreForBob(h *harness) {
	now := time.Now()
	add := func(n int, status, urgency string, age time.Duration) {
		in := pdfake.Incident{ID: fmt.Sprintf("Q9%012d", n), Number: n, Title: fmt.Sprintf("Extra %d", n), Status: status, Urgency: urgency,
			ServiceID: demoworld.ServiceDBID, Assignees: []string{demoworld.PDBobID}, CreatedAt: now.Add(-age)}
		if status == "acknowledged" {
			in.Acknowledgers = []string{demoworld.PDBobID}
		}
		h.pd.AddIncident(in)
	}
	for i := range 6 {
		add(100+i, "triggered", "low", time.Duration(i+1)*time.Hour)
	}
	for i := range 4 {
		add(106+i, "acknowledged", "high", time.Duration(i+2)*time.Hour)
	}
	add(110, "triggered", "high", 30*time.Minute)
	add(111, "triggered", "high", 10*time.Minute)
}

var rowNumber = regexp.MustCompile(`"block_id":"row_\d+","text":\{"text":":[a-z_]+: \*#(\d+) `)

// rows are the incident numbers of a list's rows, in order.
func rows(m slackfake.Message) []string {
	var out []string
	for _, sm := range rowNumber.FindAllStringSubmatch(blocksText(m), -1) {
		out = append(out, sm[1])
	}
	return out
}

// TestMine: `/pd mine` lists the requester's open incidents, triggered
// first, then high urgency, then the oldest, at most 10 with "and N more"
// linking to PagerDuty, from one GET /incidents; a row's buttons act as
// the clicker.
func TestMine(t *testing.T) {
	h := newHarness(t)
	moreForBob(h)
	h.pd.ResetRequests()
	list := h.slash(bob, opsCh, "/pd mine")
	if !list.Ephemeral {
		t.Error("the list is not ephemeral")
	}
	want := "42,110,111,105,104,103,102,101,100,109"
	if got := strings.Join(rows(list), ","); got != want {
		t.Errorf("rows %s, want %s", got, want)
	}
	contains(t, blocksText(list), "*Your open incidents* (13)", "…and 3 more: <"+demoworld.PagerDutyWebURL+"/incidents|see them in PagerDuty>", `"confirm"`)
	if strings.Contains(blocksText(list), "Checkout 502s") {
		t.Error("an incident assigned to someone else is listed")
	}
	rs := h.gets("/incidents")
	if len(rs) != 1 {
		t.Fatalf("%d GET /incidents, want one", len(rs))
	}
	q, _ := url.ParseQuery(rs[0].RawQuery)
	if strings.Join(q["statuses[]"], ",") != "triggered,acknowledged" || strings.Join(q["user_ids[]"], ",") != demoworld.PDBobID || q.Get("date_range") != "all" {
		t.Errorf("GET /incidents?%s", rs[0].RawQuery)
	}

	// View shows the row's card, Acknowledge acknowledges it as the clicker.
	before := h.snapshot(bob, opsCh)
	h.click(bob, opsCh, list, "incident_view")
	contains(t, h.next(bob, opsCh, before, "the card").PlainText(), "#42 Orders DB latency", "[Share]")
	h.pd.ResetRequests()
	before = h.snapshot(bob, opsCh)
	h.click(bob, opsCh, list, "card_ack")
	contains(t, h.next(bob, opsCh, before, "the confirmation").Text, "Bob Jones acknowledged #42")
	h.writesOnly(demoworld.BobEmail, "PUT /incidents/"+inc42)

	// Someone with nothing assigned hears so; someone unmapped, how to fix it.
	got := h.slash(demoworld.CarolID, opsCh, "/pd mine")
	contains(t, got.Text, "No open incidents are assigned to you")
	h.pd.ResetRequests()
	got = h.slash(demoworld.ErinID, opsCh, "/pd mine")
	if !strings.Contains(got.Text, "/pd map") && !strings.Contains(got.Text, "PagerDuty user") {
		t.Errorf("an unmapped user got %q", got.Text)
	}
	if n := len(h.gets("/incidents")); n != 0 {
		t.Errorf("an unmapped user's /pd mine listed incidents")
	}
}

// TestOpen: `/pd open SERVICE` lists a service's open incidents; bare, the
// channel's subscribed services', else the whole account's.
func TestOpen(t *testing.T) {
	h := newHarness(t)
	moreForBob(h)
	got := h.slash(alice, opsCh, "/pd open Checkout Web")
	if r := rows(got); strings.Join(r, ",") != "43" {
		t.Errorf("Checkout Web rows %v, want 43", r)
	}
	contains(t, blocksText(got), "*Open incidents* on *Checkout Web* (1)")
	if strings.Contains(blocksText(got), "more") {
		t.Error("a short list says there are more")
	}

	got = h.slash(alice, opsCh, "/pd open")
	contains(t, blocksText(got), "*Open incidents* in PagerDuty (14)", "…and 4 more")

	got = h.slash(alice, opsCh, "/pd open Payments")
	contains(t, got.Text, "No service is called “Payments”", "`/pd open Orders DB`")

	h.slash(alice, inc43Ch, "/pd subscribe Checkout Web")
	got = h.slash(bob, inc43Ch, "/pd open")
	contains(t, blocksText(got), "this channel's services, *Checkout Web* (1)")
	if len(h.writes()) != 0 {
		t.Errorf("listing wrote to PagerDuty: %v", paths(h.writes()))
	}
}

// suggest types q into a form's external select and returns the options'
// values and labels, checking Slack's limits.
func (h *harness) suggest(user string, v slackfake.View, action, q string) (values, labels []string, size int) {
	h.t.Helper()
	a := h.ack(must(h.sf.Suggest(user, v.ID, action, q)))
	var resp struct {
		Options []struct {
			Text  struct{ Text string }
			Value string
		}
	}
	if err := json.Unmarshal(a.Payload, &resp); err != nil {
		h.t.Fatalf("suggestion ack %s: %v", a.Payload, err)
	}
	if len(resp.Options) > 100 {
		h.t.Errorf("%d options, Slack takes 100", len(resp.Options))
	}
	for _, o := range resp.Options {
		if len([]rune(o.Text.Text)) > 75 || len(o.Value) > 75 {
			h.t.Errorf("option over Block Kit limits: %+v", o)
		}
		values, labels = append(values, o.Value), append(labels, o.Text.Text)
	}
	return values, labels, len(a.Payload)
}

// TestPickerOffersOpenIncidents: the global shortcut's form offers the open
// incidents by type-ahead (number, title, service), from one GET
// /incidents cached per key, and a picked one gets its card.
func TestPickerOffersOpenIncidents(t *testing.T) {
	h := newHarness(t)
	v := h.pickerForm(alice)
	h.pd.ResetRequests()
	values, labels, _ := h.suggest(alice, v, "incident_search", "")
	if strings.Join(values, ",") != inc42+","+demoworld.Incident43ID {
		t.Errorf("options %v (%v), want the two open incidents, newest first", values, labels)
	}
	contains(t, strings.Join(labels, "\n"), "#42 Orders DB latency > 2s — Orders DB", "#43 Checkout 502s — Checkout Web")
	for q, want := range map[string]string{"502": demoworld.Incident43ID, "#42": inc42, "42": inc42, "checkout web": demoworld.Incident43ID, "old disk": ""} {
		if got, _, _ := h.suggest(alice, v, "incident_search", q); strings.Join(got, ",") != want {
			t.Errorf("%q: %v, want %s", q, got, want)
		}
	}
	if n := len(h.pd.Requests()); n != 1 {
		t.Errorf("PagerDuty got %d requests for 6 queries, want one: %v", n, paths(h.pd.Requests()))
	}

	// Neither picked nor typed: a field error; picked: the card.
	a := h.submit(alice, v, nil)
	contains(t, string(a.Payload), `"response_action":"errors"`, `"incident_pick"`, "Pick an open incident")
	h.suggest(alice, v, "incident_search", "502")
	h.submit(alice, v, map[string]map[string]slackfake.Value{"incident_pick": {"incident_search": {SelectedOption: demoworld.Incident43ID}}})
	contains(t, h.dmAfter(alice, 0).PlainText(), "#43 Checkout 502s")
}

// TestIncidentTypeAheadWithinLimits: many open incidents with long titles
// still answer within Slack's 100 options and far inside the 20 KiB ack.
func TestIncidentTypeAheadWithinLimits(t *testing.T) {
	h := newHarness(t)
	for i := range 300 {
		h.pd.AddIncident(pdfake.Incident{ID: fmt.Sprintf("Q8%012d", i), Title: strings.Repeat("Très long & <titre> ", 12), ServiceID: demoworld.ServiceWebID})
	}
	v := h.pickerForm(alice)
	values, _, size := h.suggest(alice, v, "incident_search", "")
	if len(values) == 0 || len(values) > 100 || size >= 20<<10 {
		t.Errorf("%d options in %d bytes, want 1..100 within 20 KiB", len(values), size)
	}
}

// TestNoteShortcutOffersOpenIncidents: "Add as incident note" in a channel
// without an incident opens the note form with the incident field; the
// picked (or typed) incident gets the note, as the requester.
func TestNoteShortcutOffersOpenIncidents(t *testing.T) {
	h := newHarness(t)
	ts := h.sf.PostAsUser(bob, opsCh, "Replica lag is back to 0")
	h.ack(must(h.sf.MessageShortcut(alice, opsCh, ts, "note_from_message")))
	v := h.topView(alice, func(v slackfake.View) bool { return v.CallbackID == "note_submit" })
	contains(t, v.PlainText(), "Open incident", "Or give an incident", "Bob Jones wrote in Slack")
	note := map[string]slackfake.Value{"note_input": {Value: "Replica lag is back to 0"}}

	a := h.submit(alice, v, map[string]map[string]slackfake.Value{"note": note})
	contains(t, string(a.Payload), `"incident_pick"`, "Pick an open incident")
	if len(h.writes()) != 0 {
		t.Fatalf("a note without an incident was sent: %v", paths(h.writes()))
	}

	h.suggest(alice, v, "incident_search", "checkout")
	before := h.snapshot(alice, opsCh)
	h.submit(alice, v, map[string]map[string]slackfake.Value{"note": note, "incident_pick": {"incident_search": {SelectedOption: demoworld.Incident43ID}}})
	contains(t, h.next(alice, opsCh, before, "the note").Text, "Alice Smith added a note")
	h.writesOnly(demoworld.AliceEmail, "POST /incidents/"+demoworld.Incident43ID+"/notes")

	// The typed fallback: #42 becomes its ID before the write.
	h.pd.ResetRequests()
	h.ack(must(h.sf.MessageShortcut(alice, opsCh, ts, "note_from_message")))
	v = h.topView(alice, func(w slackfake.View) bool { return w.CallbackID == "note_submit" && w.ID != v.ID })
	before = h.snapshot(alice, opsCh)
	h.submit(alice, v, map[string]map[string]slackfake.Value{"note": note, "incident": {"incident_input": {Value: "#42"}}})
	contains(t, h.next(alice, opsCh, before, "the note").Text, "Alice Smith added a note")
	h.writesOnly(demoworld.AliceEmail, "POST /incidents/"+inc42+"/notes")
}
