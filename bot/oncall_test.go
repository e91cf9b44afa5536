package bot_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/pdbot/pdbot/internal/demoworld"
	"github.com/pdbot/pdbot/internal/pdfake"
	"github.com/pdbot/pdbot/internal/slackfake"
)

// blocksText is a message's blocks as JSON, with < > & as they are.
func blocksText(m slackfake.Message) string {
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(m.Blocks))
}

// gets returns PagerDuty's GET requests to path (exactly, without query).
func (h *harness) gets(path string) []pdfake.Request {
	var out []pdfake.Request
	for _, r := range h.pd.Requests() {
		if r.Method == "GET" && r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// oneOncalls asserts exactly one GET /oncalls went out, for exactly these
// policies (or schedule), with earliest=true, and returns its query.
func (h *harness) oneOncalls(param string, ids ...string) url.Values {
	h.t.Helper()
	rs := h.gets("/oncalls")
	if len(rs) != 1 {
		h.t.Fatalf("%d GET /oncalls, want exactly one", len(rs))
	}
	q, _ := url.ParseQuery(rs[0].RawQuery)
	if q.Get("earliest") != "true" || strings.Join(q[param], ",") != strings.Join(ids, ",") {
		h.t.Errorf("GET /oncalls?%s, want earliest=true and %s %v", rs[0].RawQuery, param, ids)
	}
	return q
}

// TestOncallByName: `/pd oncall` names a service, an escalation policy or
// a schedule by name or ID, and answers with who is on call by level, in
// one GET /oncalls; "until" is Slack's date token, so every reader sees
// their own time zone.
func TestOncallByName(t *testing.T) {
	h := newHarness(t)
	dbLines := []string{"Database On-Call", "Level 1: *Bob Jones* until <!date^", "{date_short_pretty} {time}|", "Level 2: *Carol White* until"}
	for _, line := range []string{"/pd oncall Orders DB", "/pd oncall orders db", `/pd oncall "Database On-Call"`, "/pd oncall " + demoworld.PolicyDBID, "/pd oncall " + demoworld.ServiceDBID} {
		h.pd.ResetRequests()
		got := h.slash(alice, opsCh, line)
		if !got.Ephemeral {
			t.Errorf("%s: the answer is not ephemeral", line)
		}
		contains(t, blocksText(got), dbLines...)
		contains(t, got.PlainText(), "[Share]")
		if strings.Contains(blocksText(got), "Alice Smith") {
			t.Errorf("%s: the Web policy's people are listed too", line)
		}
		h.oneOncalls("escalation_policy_ids[]", demoworld.PolicyDBID)
		if len(h.writes()) != 0 {
			t.Errorf("%s wrote to PagerDuty", line)
		}
	}

	// A name once looked up is cached: the second ask costs only the on-calls.
	h.pd.ResetRequests()
	h.slash(alice, opsCh, "/pd oncall Orders DB")
	if rs := h.pd.Requests(); len(rs) != 1 || rs[0].Path != "/oncalls" {
		t.Errorf("a repeated name cost %v, want only GET /oncalls", paths(rs))
	}

	// A schedule, by name: its people, with the policy they serve.
	h.pd.ResetRequests()
	got := h.slash(alice, opsCh, "/pd oncall Database Backup")
	contains(t, blocksText(got), "on the schedule *Database Backup*", "Database On-Call", "Web On-Call", "Carol White")
	if strings.Contains(blocksText(got), "Bob Jones") {
		t.Error("a schedule's answer lists someone of another schedule")
	}
	h.oneOncalls("schedule_ids[]", demoworld.ScheduleDBBackupID)

	// Ambiguous and unknown names ask instead of guessing, and read no on-calls.
	for line, want := range map[string][]string{
		"/pd oncall database": {"could be", "the escalation policy “Database On-Call”", "the schedule “Database Primary”", "the schedule “Database Backup”"},
		"/pd oncall Payments": {"No service, escalation policy or schedule is called “Payments”", "`/pd oncall Orders DB`"},
	} {
		h.pd.ResetRequests()
		got := h.slash(alice, opsCh, line)
		contains(t, got.Text, want...)
		if n := len(h.gets("/oncalls")); n != 0 {
			t.Errorf("%s: %d GET /oncalls, want none", line, n)
		}
	}
}

// TestOncallBare: bare `/pd oncall` answers for the channel incident's
// escalation policy (one GET of the incident), else for the channel's
// subscribed services, else it asks which.
func TestOncallBare(t *testing.T) {
	h := newHarness(t)
	got := h.slash(bob, incCh, "/pd oncall")
	contains(t, blocksText(got), "#42 Orders DB latency", "Database On-Call", "Bob Jones", "Carol White")
	if n := len(h.gets("/incidents/" + inc42)); n != 1 {
		t.Errorf("%d GETs of the incident, want one", n)
	}
	h.oneOncalls("escalation_policy_ids[]", demoworld.PolicyDBID)

	h.pd.ResetRequests()
	got = h.slash(bob, opsCh, "/pd oncall")
	contains(t, got.Text, "Which service, escalation policy or schedule?", "`/pd oncall Orders DB`")
	h.requireNoPD()

	h.slash(alice, opsCh, "/pd subscribe Checkout Web, Orders DB")
	h.pd.ResetRequests()
	got = h.slash(bob, opsCh, "/pd oncall")
	contains(t, blocksText(got), "this channel's services", "Web On-Call", "Alice Smith", "Database On-Call", "Bob Jones")
	h.oneOncalls("escalation_policy_ids[]", demoworld.PolicyDBID, demoworld.PolicyWebID) // by service ID
}

// TestOncallShare: Share posts the same answer in the channel, as a plain
// message naming who shared it; guests may not.
func TestOncallShare(t *testing.T) {
	h := newHarness(t)
	got := h.slash(bob, opsCh, "/pd oncall Checkout Web")
	before := h.snapshot(bob, opsCh)
	h.click(bob, opsCh, got, "oncall_share")
	shared := h.next(bob, opsCh, before, "the shared answer")
	if shared.Ephemeral {
		t.Fatal("Share answered only the clicker")
	}
	contains(t, blocksText(shared), "Web On-Call", "Level 1: *Alice Smith* until <!date^", "Shared by Bob Jones")
	if strings.Contains(shared.PlainText(), "[Share]") {
		t.Error("the shared answer has a Share button")
	}
	if len(h.writes()) != 0 {
		t.Errorf("Share wrote to PagerDuty: %v", paths(h.writes()))
	}
	// A forged value names nothing pdbot reads.
	h.pd.ResetRequests()
	before = h.snapshot(bob, opsCh)
	h.ack(must(h.sf.ClickButtonValue(bob, opsCh, got.TS, "oncall_share", "p:../users")))
	contains(t, h.next(bob, opsCh, before, "the refusal").Text, "Run `/pd oncall` again")
	h.requireNoPD()
}
