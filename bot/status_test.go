package bot_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pdbot/pdbot/internal/demoworld"
	"github.com/pdbot/pdbot/internal/pdfake"
	"github.com/pdbot/pdbot/internal/slackfake"
)

// Incidents and a channel of the demo world the status tests act on.
const (
	inc43   = demoworld.Incident43ID // acknowledged by Alice
	inc44   = demoworld.Incident44ID // resolved
	inc43Ch = demoworld.Inc43ChannelID
)

// noWrites fails the test if PagerDuty got any write.
func (h *harness) noWrites(what string) {
	h.t.Helper()
	if ws := h.writes(); len(ws) != 0 {
		h.t.Errorf("%s wrote: %v", what, paths(ws))
	}
}

// notContains fails the test if got holds any of the strings.
func notContains(t testing.TB, got string, nots ...string) {
	t.Helper()
	for _, n := range nots {
		if strings.Contains(got, n) {
			t.Errorf("unexpected %q in:\n%s", n, got)
		}
	}
}

// TestWriteDecidesOnAFreshRead: the incident fetched to turn #42 into its
// ID is not what a write decides on. Carol resolves #42 right after that
// look-up; the ack, the update and the responder request that follow read
// it again, see it resolved, and send nothing (an ack would have reopened
// it).
func TestWriteDecidesOnAFreshRead(t *testing.T) {
	for _, line := range []string{
		"/pd ack #42",
		"/pd status #42 acknowledged",
		"/pd update #42 status=acknowledged assignees=@carol",
		"/pd escalate #42 \"Web On-Call\"",
		"/pd responders #42 user=@carol Need a DBA",
	} {
		t.Run(line, func(t *testing.T) {
			h := newHarness(t)
			h.slash(bob, opsCh, "/pd whoami") // learn Bob first
			h.pd.ResetRequests()
			h.pd.AfterNext(http.MethodGet, "/incidents/42", func() {
				if err := h.pd.SetStatusAs(demoworld.PDCarolID, inc42, "resolved"); err != nil {
					t.Error(err)
				}
			})
			got := h.slash(bob, opsCh, line)
			contains(t, got.Text, "#42 Orders DB latency &gt; 2s is already resolved", "pdbot changed nothing")
			if !got.Ephemeral {
				t.Errorf("the refusal is in the channel: %s", got.Text)
			}
			h.noWrites(line)
			if inc, _ := h.pd.Incident(inc42); inc.Status != "resolved" {
				t.Errorf("status %s, want resolved (reopened?)", inc.Status)
			}
		})
	}
}

// TestStatusRaceIsReported: when the incident changes between pdbot's read
// and its write, and PagerDuty's answer shows it (the last status change is
// someone else's), the confirmation says so instead of hiding it.
func TestStatusRaceIsReported(t *testing.T) {
	h := newHarness(t)
	h.pd.SetResolveResolvedOK(true)
	// Carol acknowledges right after pdbot read #42 for Bob's ack.
	h.pd.AfterNext(http.MethodGet, "/incidents/"+inc42, func() {
		if err := h.pd.SetStatusAs(demoworld.PDCarolID, inc42, "acknowledged"); err != nil {
			t.Error(err)
		}
	})
	got := h.slash(bob, incCh, "/pd ack")
	contains(t, got.Text, "Bob Jones acknowledged #42", "Carol White had acknowledged it moments before", "/pd get #42")
	h.writesOnly(demoworld.BobEmail, "PUT /incidents/"+inc42)

	// Carol resolves right after pdbot read #42 for Alice's resolve.
	h.pd.ResetRequests()
	h.pd.AfterNext(http.MethodGet, "/incidents/"+inc42, func() {
		if err := h.pd.SetStatusAs(demoworld.PDCarolID, inc42, "resolved"); err != nil {
			t.Error(err)
		}
	})
	got = h.slash(alice, incCh, "/pd resolve")
	contains(t, got.Text, "Carol White had resolved it moments before", "/pd get #42")

	// Without a race, the confirmation carries no warning.
	h.pd.ResetRequests()
	got = h.slash(alice, inc43Ch, "/pd resolve")
	contains(t, got.Text, "Alice Smith resolved #43 Checkout 502s via Slack.")
	notContains(t, got.Text, ":warning:", "moments before")
}

// TestAckOfAnAcknowledgedIncidentSendsNothing: /pd ack, /pd status,
// /pd update and a stale card's button on an incident already acknowledged
// say so, and by whom, and send nothing.
func TestAckOfAnAcknowledgedIncidentSendsNothing(t *testing.T) {
	h := newHarness(t)
	for _, line := range []string{"/pd ack", "/pd status acknowledged", "/pd update status=acknowledged", "/pd status ack"} {
		got := h.slash(bob, inc43Ch, line)
		contains(t, got.Text, "#43 Checkout 502s is already acknowledged by Alice Smith, so pdbot sent nothing")
		if !got.Ephemeral {
			t.Errorf("%s: answer in the channel: %s", line, got.Text)
		}
	}
	contains(t, h.slash(alice, inc43Ch, "/pd ack").Text, "already acknowledged by you")
	h.noWrites("acks of an acknowledged incident")

	// A card shown while #42 was triggered still has its Acknowledge
	// button; Carol acknowledges from her phone; Bob's click sends nothing.
	card := h.card(bob, incCh)
	if err := h.pd.SetStatusAs(demoworld.PDCarolID, inc42, "acknowledged"); err != nil {
		t.Fatal(err)
	}
	h.pd.ResetRequests()
	before := h.snapshot(bob, incCh)
	h.click(bob, incCh, card, "card_ack")
	contains(t, h.next(bob, incCh, before, "stale ack").Text, "already acknowledged by Carol White")
	h.noWrites("a stale Acknowledge button")

	// Reassigning is still a change worth sending.
	got := h.slash(bob, inc43Ch, "/pd update status=acknowledged assignees=@carol")
	contains(t, got.Text, "Bob Jones updated #43 Checkout 502s", "Carol White")
	h.writesOnly(demoworld.BobEmail, "PUT /incidents/"+inc43)
}

// TestResolveMessageOnAResolvedIncidentBecomesANote: the message of
// /pd resolve on a resolved incident is added as a note, and the answer says
// the status was left alone; without a message, nothing is sent.
func TestResolveMessageOnAResolvedIncidentBecomesANote(t *testing.T) {
	h := newHarness(t)
	got := h.slash(alice, opsCh, "/pd resolve #44 Postmortem in DOC-12")
	contains(t, got.Text, "Alice Smith added a note to #44 Old disk alert", "already resolved, so its status is unchanged", ">Postmortem in DOC-12")
	if got.Ephemeral {
		t.Error("the note's confirmation is not in the channel")
	}
	ws := h.writesOnly(demoworld.AliceEmail, "POST /incidents/"+inc44+"/notes")
	contains(t, string(ws[0].Body), `"content":"Postmortem in DOC-12"`)
	if inc, _ := h.pd.Incident(inc44); inc.Status != "resolved" || inc.Notes[len(inc.Notes)-1].Content != "Postmortem in DOC-12" {
		t.Errorf("after: %s, notes %+v", inc.Status, inc.Notes)
	}

	h.pd.ResetRequests()
	got = h.slash(alice, opsCh, "/pd status #44 resolved Same again")
	contains(t, got.Text, "added a note to #44", "Same again")
	h.writesOnly(demoworld.AliceEmail, "POST /incidents/"+inc44+"/notes")

	h.pd.ResetRequests()
	got = h.slash(alice, opsCh, "/pd resolve #44")
	contains(t, got.Text, "#44 Old disk alert is already resolved; nothing changed.")
	h.noWrites("a bare resolve of a resolved incident")

	// Acknowledging it is refused, and the message is said not to be added.
	got = h.slash(alice, opsCh, "/pd status #44 acknowledged Looking again")
	contains(t, got.Text, "already resolved", "acknowledging it would reopen it", "your message was not added")
	h.noWrites("an ack with a message on a resolved incident")
}

// TestRespondersOnAResolvedIncidentAreRefused: asking people to join a
// resolved incident would page them for nothing: the slash command, a stale
// card's button and a form opened before the incident was resolved are all
// refused, with no write.
func TestRespondersOnAResolvedIncidentAreRefused(t *testing.T) {
	h := newHarness(t)
	got := h.slash(alice, opsCh, "/pd responders #44 user=@carol Please join")
	contains(t, got.Text, "#44 Old disk alert is already resolved", "would page them for nothing")
	h.noWrites("/pd responders on a resolved incident")

	// A card and a form, both shown while #42 was open.
	card := h.card(bob, incCh)
	v := h.openModal(bob, incCh, "/pd responders", "responders_submit")
	h.ack(must(h.sf.Suggest(bob, v.ID, "user_search", "carol")))
	if err := h.pd.SetStatusAs(demoworld.PDAliceID, inc42, "resolved"); err != nil {
		t.Fatal(err)
	}
	h.pd.ResetRequests()
	before := h.snapshot(bob, incCh)
	h.submit(bob, v, map[string]map[string]slackfake.Value{
		"users":   {"user_search": {SelectedOptions: []string{demoworld.PDCarolID}}},
		"message": {"message_input": {Value: "Need eyes on the replica"}},
	})
	contains(t, h.next(bob, incCh, before, "the stale form").Text, "#42 Orders DB latency &gt; 2s is already resolved", "would page them for nothing")
	h.noWrites("a responders form submitted after the incident was resolved")

	// The button opens a modal at once, which then shows the refusal.
	h.click(bob, incCh, card, "card_responders")
	v = h.topView(bob, func(v slackfake.View) bool { return strings.Contains(v.PlainText(), "already resolved") })
	contains(t, v.PlainText(), "#42 Orders DB latency > 2s is already resolved", "would page them for nothing")
	h.noWrites("a stale Add responders button")
}

// TestWordingOfRefusals: refusals name only what was asked, the advice
// about reopening is what PagerDuty really does, /pd status triggered says
// why it cannot be, examples are real commands, and confirmations name the
// incident by number and title.
func TestWordingOfRefusals(t *testing.T) {
	h := newHarness(t)
	got := h.slash(alice, opsCh, "/pd update #44 status=resolved resolution=Disk replaced")
	contains(t, got.Text, "#44 Old disk alert is already resolved; nothing changed.", "resolution was not recorded", "`/pd note #44 Disk replaced`")
	notContains(t, got.Text, "acknowledg", "reassign", "reopen")
	h.noWrites("an update of a resolved incident")

	got = h.slash(alice, opsCh, "/pd update #44 assignees=@carol")
	contains(t, got.Text, "already resolved", "PagerDuty does not reassign a resolved incident")
	notContains(t, got.Text, "acknowledging")

	got = h.slash(alice, opsCh, "/pd ack #44")
	contains(t, got.Text, "acknowledging it would reopen it", "pdbot never reopens an incident", "trigger a new incident in PagerDuty",
		"reopens a resolved incident only when its status is set back to acknowledged or triggered through its API")
	notContains(t, got.Text, "Reopen it in PagerDuty")

	for _, line := range []string{"/pd status triggered", "/pd update status=triggered", "/pd status #42 trigger"} {
		got = h.slash(bob, incCh, line)
		contains(t, got.Text, "PagerDuty cannot set an open incident back to triggered", "reopen a resolved incident", "`/pd responders ")
		notContains(t, got.Text, "[INC]", "Say which status")
	}
	contains(t, h.slash(bob, incCh, "/pd status #42 trigger").Text, "`/pd responders #42 user=@carol")
	h.noWrites("/pd status triggered")

	// Advice shows commands one can type.
	for line, want := range map[string]string{
		"/pd status sleeping":          "`/pd status acknowledged`",
		"/pd status #42 sleeping":      "`/pd status #42 acknowledged`",
		"/pd update status=sleeping":   "`/pd update status=acknowledged`",
		"/pd responders user=@carol":   "`/pd responders user=@bob Need a DBA for the failover`",
		"/pd update #42 resolution=":   "",
		"/pd update " + inc42 + " zzz": "`/pd update " + inc42 + " status=resolved resolution=Rolled back the deploy`",
	} {
		got = h.slash(bob, incCh, line)
		contains(t, got.Text, want)
		notContains(t, got.Text, "[INC]", "[status=")
	}
	h.noWrites("bad lines")

	// Confirmations name the incident by number and title, not by ID.
	got = h.slash(bob, incCh, "/pd ack")
	contains(t, got.Text, "Bob Jones acknowledged #42 Orders DB latency &gt; 2s via Slack.")
	notContains(t, got.Text, inc42)
	got = h.slash(alice, incCh, "/pd escalate \"Web On-Call\"")
	contains(t, got.Text, "Alice Smith moved #42 Orders DB latency &gt; 2s to the escalation policy")
	notContains(t, got.Text, inc42)
	got = h.slash(alice, incCh, "/pd responders user=@carol Please join")
	contains(t, got.Text, "Alice Smith asked Carol White to join #42 Orders DB latency &gt; 2s via Slack")
	notContains(t, got.Text, inc42)
}

// TestWriteAnsweredWithoutTheIncident: PagerDuty accepts a write (2xx) but
// its answer does not hold the incident. The change landed; the requester is
// told it was sent and probably applied, how to check, and is not invited
// to send it again.
func TestWriteAnsweredWithoutTheIncident(t *testing.T) {
	for _, tt := range []struct {
		line, want, status string
	}{
		{"/pd ack", "Your acknowledgement for #42 Orders DB latency &gt; 2s was sent", "acknowledged"},
		{"/pd update status=resolved resolution=Rolled back", "Your update for #42 Orders DB latency &gt; 2s was sent", "resolved"},
		{"/pd escalate \"Web On-Call\"", "Your change of escalation policy for #42", "triggered"},
	} {
		t.Run(tt.line, func(t *testing.T) {
			h := newHarness(t)
			h.pd.FailNext(1, pdfake.Fault{Method: http.MethodPut, PathPrefix: "/incidents/" + inc42, Kind: pdfake.Fault2xxWithoutIncident})
			got := h.slash(bob, incCh, tt.line)
			contains(t, got.Text, tt.want, "PagerDuty accepted it", "probably applied", "`/pd get #42`", "rather than sending it again")
			notContains(t, got.Text, "Something went wrong", "try again", "Try again")
			h.writesOnly(demoworld.BobEmail, "PUT /incidents/"+inc42)
			if inc, _ := h.pd.Incident(inc42); inc.Status != tt.status {
				t.Errorf("status %s, want %s (the write landed)", inc.Status, tt.status)
			}
			if h.logs.FilterMessage("request failed").Len() != 0 {
				t.Error("an accepted write was logged as a failure")
			}
		})
	}
}

// TestExamplesHaveNoBrackets: advice that shows a command shows one that
// could be typed, never the grammar's "[INC]".
func TestExamplesHaveNoBrackets(t *testing.T) {
	h := newHarness(t)
	for _, line := range []string{"/pd note", "/pd note hello", "/pd get #42 extra words", "/pd ack"} {
		got := h.slash(bob, opsCh, line).Text
		if strings.Contains(got, "[INC]") || strings.Contains(got, "link INC") {
			t.Errorf("%s: %q shows the grammar, not an example", line, got)
		}
	}
}
