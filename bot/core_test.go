package bot_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pdbot/pdbot/internal/demoworld"
	"github.com/pdbot/pdbot/internal/pdfake"
	"github.com/pdbot/pdbot/store"
)

const (
	alice = demoworld.AliceID
	bob   = demoworld.BobID
	inc42 = demoworld.Incident42ID
	incCh = demoworld.IncChannelID
	opsCh = demoworld.OpsChannelID
)

func TestHelpListsEverySubcommand(t *testing.T) {
	h := newHarness(t)
	got := h.slash(bob, opsCh, "/pd help").PlainText()
	for _, r := range h.bot.Routes() {
		if r.ID != "" && r.Kind.String() == "slash" {
			contains(t, got, "/pd "+r.Usage)
		}
	}
	h.requireNoPD()
}

func TestNoteAsRequesterFromTopic(t *testing.T) {
	h := newHarness(t)
	got := h.slash(alice, incCh, "/pd note Deploy rolled back <b>now</b>")
	contains(t, got.Text, "Alice Smith added a note to `"+inc42+"`", "Deploy rolled back &lt;b&gt;now&lt;/b&gt;")
	if got.Ephemeral {
		t.Errorf("confirmation is ephemeral, want in channel")
	}
	ws := h.writes()
	if len(ws) != 1 || ws[0].Method != "POST" || ws[0].Path != "/incidents/"+inc42+"/notes" {
		t.Fatalf("writes = %+v", ws)
	}
	if from := ws[0].Header.Get("From"); from != demoworld.AliceEmail {
		t.Errorf("From = %q", from)
	}
	inc, _ := h.pd.Incident(inc42)
	if n := inc.Notes[len(inc.Notes)-1]; n.Content != "Deploy rolled back <b>now</b>" || n.UserID != demoworld.PDAliceID {
		t.Errorf("note = %+v", n)
	}
}

func TestAckThenResolveWithMessage(t *testing.T) {
	h := newHarness(t)
	got := h.slash(bob, incCh, "/pd ack")
	contains(t, got.Text, "Bob Jones acknowledged #42 Orders DB latency &gt; 2s via Slack")
	ws := h.writesOnly(demoworld.BobEmail, "PUT /incidents/"+inc42)
	contains(t, string(ws[0].Body), `"status":"acknowledged"`)
	inc, _ := h.pd.Incident(inc42)
	if inc.Status != "acknowledged" || !cmp.Equal(inc.Assignees, []string{demoworld.PDBobID}) {
		t.Errorf("after ack: %s assigned %v", inc.Status, inc.Assignees)
	}
	h.pd.ResetRequests()
	got = h.slash(alice, incCh, "/pd resolve Root cause fixed")
	contains(t, got.Text, "Alice Smith resolved #42 Orders DB latency &gt; 2s via Slack", "Root cause fixed")
	ws = h.writesOnly(demoworld.AliceEmail, "PUT /incidents/"+inc42, "POST /incidents/"+inc42+"/notes")
	contains(t, string(ws[0].Body), `"status":"resolved"`)
	contains(t, string(ws[1].Body), `"content":"Root cause fixed"`)
	inc, _ = h.pd.Incident(inc42)
	if inc.Status != "resolved" || inc.Notes[len(inc.Notes)-1].Content != "Root cause fixed" {
		t.Errorf("after resolve: %+v", inc)
	}
	// A resolved incident is never reopened by a late ack.
	h.pd.ResetRequests()
	got = h.slash(bob, incCh, "/pd ack")
	contains(t, got.Text, "already resolved")
	if !got.Ephemeral || len(h.writes()) != 0 {
		t.Errorf("late ack: ephemeral=%v writes=%v", got.Ephemeral, paths(h.writes()))
	}
}

func TestStatusFromPurposeAndByNumber(t *testing.T) {
	h := newHarness(t)
	// #43's channel names it in its purpose; it is already acknowledged.
	got := h.slash(alice, demoworld.Inc43ChannelID, "/pd status resolved Fixed upstream")
	contains(t, got.Text, "resolved #43 Checkout 502s", "Fixed upstream")
	h.writesOnly(demoworld.AliceEmail, "PUT /incidents/"+demoworld.Incident43ID, "POST /incidents/"+demoworld.Incident43ID+"/notes")
	// #42 by number from a channel with no incident: looked up first, read
	// again right before the write (the status check never relies on a read
	// made before slower look-ups), then the write names its ID.
	h.slash(bob, opsCh, "/pd whoami") // learn Bob first
	h.pd.ResetRequests()
	got = h.slash(bob, opsCh, "/pd status #42 acknowledged")
	contains(t, got.Text, "acknowledged #42 Orders DB latency")
	rs := h.pd.Requests()
	if got := paths(rs); len(got) != 3 || got[0] != "GET /incidents/42" || got[1] != "GET /incidents/"+inc42 || got[2] != "PUT /incidents/"+inc42 {
		t.Fatalf("requests = %v, want the number looked up once, the incident read by ID, then the write", got)
	}
	contains(t, string(rs[2].Body), `"status":"acknowledged"`)
	h.pd.ResetRequests()
	got = h.slash(bob, opsCh, "/pd status #42 sleeping")
	contains(t, got.Text, "Say which status")
}

func TestGetCard(t *testing.T) {
	h := newHarness(t)
	got := h.slash(bob, opsCh, "/pd get https://acme.pagerduty.com/incidents/"+inc42)
	if !got.Ephemeral {
		t.Error("card should be ephemeral")
	}
	contains(t, got.PlainText(), "#42 Orders DB latency > 2s", "Triggered", "High", "Orders DB", "Bob Jones", "Database On-Call", "2026-01-15 09:30 UTC", "Open in PagerDuty", "Acknowledge", "Resolve", "Add note")
	if len(h.writes()) != 0 {
		t.Errorf("get wrote: %v", paths(h.writes()))
	}
}

func TestLinkThenActWithoutReference(t *testing.T) {
	h := newHarness(t)
	got := h.slash(alice, opsCh, "/pd note nothing linked yet")
	contains(t, got.Text, "Which incident?")
	h.requireNoPD()
	got = h.slash(alice, opsCh, "/pd link "+demoworld.Incident43ID)
	contains(t, got.Text, "linked this channel to `"+demoworld.Incident43ID+"`", "Alice Smith")
	got = h.slash(alice, opsCh, "/pd note from ops")
	contains(t, got.Text, "added a note to `"+demoworld.Incident43ID+"`")
	got = h.slash(alice, opsCh, "/pd unlink")
	contains(t, got.Text, "unlinked")
	got = h.slash(alice, opsCh, "/pd ack")
	contains(t, got.Text, "Which incident?")
}

func TestWhoamiAndMap(t *testing.T) {
	h := newHarness(t)
	got := h.slash(alice, opsCh, "/pd whoami")
	if want := "You act in PagerDuty as Alice Smith &lt;alice@example.com&gt;"; got.Text != want {
		t.Errorf("whoami = %q, want %q", got.Text, want)
	}
	// Erin's Slack email is unknown to PagerDuty: advice, and no write.
	got = h.slash(demoworld.ErinID, incCh, "/pd note hi")
	contains(t, got.Text, "No PagerDuty user has your Slack email", "/pd map")
	if len(h.writes()) != 0 {
		t.Fatalf("unmapped user wrote: %v", paths(h.writes()))
	}
	// Bob is no admin.
	got = h.slash(bob, opsCh, "/pd map @erin carol@example.com")
	contains(t, got.Text, "Only workspace admins")
	got = h.slash(alice, opsCh, "/pd map @erin carol@example.com")
	contains(t, got.Text, "now acts in PagerDuty as Carol White")
	got = h.slash(demoworld.ErinID, opsCh, "/pd whoami")
	contains(t, got.Text, "Carol White")
	got = h.slash(alice, opsCh, "/pd map @erin nobody@example.com")
	contains(t, got.Text, "No PagerDuty user has the email nobody@example.com")
}

func TestUnmappedWithoutEmailSendsNothing(t *testing.T) {
	h := newHarness(t)
	// A bot user has no email: refused before PagerDuty is asked anything.
	got := h.slash(demoworld.DeployBotID, incCh, "/pd ack")
	contains(t, got.Text, "Only people")
	h.requireNoPD()
}

func TestNoKeyAnywhere(t *testing.T) {
	h := newHarness(t, withoutKey())
	for _, line := range []string{"/pd note hello", "/pd ack", "/pd get", "/pd whoami"} {
		got := h.slash(alice, incCh, line)
		contains(t, got.Text, "no PagerDuty API key", "/pd key")
		if !got.Ephemeral {
			t.Errorf("%s: error not ephemeral", line)
		}
	}
	h.requireNoPD()
}

func TestBadReferencesNeverReachPagerDuty(t *testing.T) {
	h := newHarness(t)
	for _, line := range []string{
		"/pd get ../users",
		"/pd get Q1?x=1",
		"/pd link Q1?x=1",
		"/pd ack ..%2Fusers",
		"/pd get " + strings.Repeat("A", 10*1024),
		"/pd link https://evil.example/incidents/" + inc42,
		"/pd get https://acme.pagerduty.com/incidents/" + inc42 + "?x=1",
	} {
		got := h.slash(alice, incCh, line)
		contains(t, got.Text, "not an incident reference")
		if !got.Ephemeral {
			t.Errorf("%.40s: error not ephemeral", line)
		}
	}
	h.requireNoPD()
}

func TestUnknownIncident(t *testing.T) {
	h := newHarness(t)
	got := h.slash(alice, incCh, "/pd ack Q9ZZZZZZZZZZZZ")
	contains(t, got.Text, "PagerDuty has no incident Q9ZZZZZZZZZZZZ")
	if len(h.writes()) != 0 {
		t.Errorf("writes: %v", paths(h.writes()))
	}
	got = h.slash(alice, incCh, "/pd frobnicate")
	contains(t, got.Text, "no command `frobnicate`")
}

func TestPagerDutyErrorsBecomeAdvice(t *testing.T) {
	h := newHarness(t)
	h.pd.AllowInvalid()
	cases := []struct {
		n     int // requests the fault takes: GETs are retried on 5xx
		fault pdfake.Fault
		want  string
	}{
		{3, pdfake.Fault{Method: "GET", Kind: pdfake.Fault5xxText}, "internal error"},
		{3, pdfake.Fault{Method: "GET", Kind: pdfake.Fault5xxEmpty}, "internal error"},
		// Last: its headers tell the key's pacer that nothing more goes for
		// 30 s, so later requests with this key are held back, not sent.
		{1, pdfake.Fault{Method: "GET", Kind: pdfake.Fault429, Reset: 30 * time.Second}, "rate-limiting this channel's key"},
		{0, pdfake.Fault{}, "pacing requests with this channel's PagerDuty key"},
	}
	for _, c := range cases {
		h.pd.FailNext(c.n, c.fault)
		got := h.slash(alice, incCh, "/pd get")
		contains(t, got.Text, c.want)
	}
	// A revoked key: 401.
	if err := h.st.SetAPIKey(context.Background(), demoworld.TeamID, incCh, store.Secret("u+revokedCANARY0000"), alice); err != nil {
		t.Fatal(err)
	}
	got := h.slash(alice, incCh, "/pd get")
	contains(t, got.Text, "rejected this channel's API key", "/pd key")
}

func TestAckWithinThreeSecondsWhenPagerDutyIsSlow(t *testing.T) {
	h := newHarness(t)
	h.pd.SetLatency(5 * time.Second)
	d, err := h.sf.Slash(alice, incCh, "/pd ack")
	if err != nil {
		t.Fatal(err)
	}
	a := h.ack(d)
	if a.Latency >= 3*time.Second {
		t.Fatalf("ack after %v", a.Latency)
	}
	h.waitWithin(40*time.Second, "the slow ack to finish", func() bool {
		inc, _ := h.pd.Incident(inc42)
		return inc.Status == "acknowledged" && len(h.sf.Messages(incCh)) > 0
	})
}

func TestAuditTrail(t *testing.T) {
	h := newHarness(t)
	h.slash(alice, incCh, "/pd ack")
	h.slash(demoworld.ErinID, incCh, "/pd note nope")
	var entries []store.AuditEntry
	h.waitFor("audit rows", func() bool {
		entries, _ = h.st.Audit(context.Background(), demoworld.TeamID, 10)
		return len(entries) >= 2
	})
	ack, refused := entries[1], entries[0]
	if ack.User != alice || ack.Channel != incCh || ack.Incident != inc42 || ack.Action != "slash:ack" || ack.Result != "ok" {
		t.Errorf("ack audit = %+v", ack)
	}
	if refused.User != demoworld.ErinID || !strings.HasPrefix(refused.Result, "refused") {
		t.Errorf("refused audit = %+v", refused)
	}
}

func TestBoltFileHoldsNoPlaintextKey(t *testing.T) {
	h := newHarness(t)
	h.slash(alice, incCh, "/pd get")
	raw, err := os.ReadFile(h.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), demoworld.DemoPDKey) {
		t.Fatal("the bbolt file holds the plaintext key")
	}
}

func paths(rs []pdfake.Request) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}
