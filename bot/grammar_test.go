package bot_test

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pdbot/pdbot/internal/demoworld"
)

func TestAcknowledgeIsAck(t *testing.T) {
	h := newHarness(t)
	got := h.slash(bob, incCh, "/pd acknowledge")
	contains(t, got.Text, "Bob Jones acknowledged #42")
	h.writesOnly(demoworld.BobEmail, "PUT /incidents/"+inc42)
	h.pd.ResetRequests()
	// #43 is Alice's already: the alias reaches ack's own check.
	got = h.slash(bob, opsCh, "/pd Acknowledge #43")
	contains(t, got.Text, "#43", "already acknowledged by Alice Smith")
	if len(h.writes()) != 0 {
		t.Errorf("writes: %v", paths(h.writes()))
	}
}

func TestHelpGroupsActionsBeforeAdminCommands(t *testing.T) {
	h := newHarness(t)
	help := h.slash(bob, opsCh, "/pd help").PlainText()
	if n := strings.Count(help, "acknowledge`"); n != 1 {
		t.Errorf("/pd help names `acknowledge` %d times, want once:\n%s", n, help)
	}
	if n := strings.Count(help, "`/pd ack [INC]`"); n != 1 {
		t.Errorf("/pd help lists ack %d times, want once:\n%s", n, help)
	}
	at := func(s string) int {
		i := strings.Index(help, s)
		if i < 0 {
			t.Fatalf("/pd help lacks %q:\n%s", s, help)
		}
		return i
	}
	admin := at("For admins")
	for _, action := range []string{"`/pd get [INC]`", "`/pd note [INC] TEXT`", "`/pd ack [INC]`", "`/pd responders"} {
		if at(action) > at("`/pd link INC`") {
			t.Errorf("%s comes after the channel commands:\n%s", action, help)
		}
	}
	for _, cmd := range []string{"`/pd key", "`/pd map"} {
		if at(cmd) < admin {
			t.Errorf("%s is not in the admin section:\n%s", cmd, help)
		}
	}
	for _, cmd := range []string{"`/pd get [INC]`", "`/pd link INC`", "`/pd whoami`", "`/pd help`"} {
		if at(cmd) > admin {
			t.Errorf("%s is in the admin section:\n%s", cmd, help)
		}
	}
}

func TestGetWithABareNumber(t *testing.T) {
	h := newHarness(t)
	contains(t, h.slash(alice, opsCh, "/pd get 43").PlainText(), "#43 Checkout 502s")
	contains(t, h.slash(alice, opsCh, "/pd get #43").PlainText(), "#43 Checkout 502s")
	h.pd.ResetRequests()
	contains(t, h.slash(alice, opsCh, "/pd get 0").Text, "#NUMBER")
	contains(t, h.slash(alice, opsCh, "/pd get 99999999999999999999999").Text, "#NUMBER")
	h.requireNoPD()
}

func TestRespondersByLeadingMentions(t *testing.T) {
	h := newHarness(t)
	got := h.slash(bob, opsCh, "/pd responders #42 @alice @carol need a DBA, @bob is on it too")
	contains(t, got.Text, "Bob Jones asked Alice Smith, Carol White to join")
	ws := h.writesOnly(demoworld.BobEmail, "POST /incidents/"+inc42+"/responder_requests")
	var body struct {
		RequesterID string `json:"requester_id"`
		Message     string `json:"message"`
		Targets     []struct {
			Target struct{ ID, Type string } `json:"responder_request_target"`
		} `json:"responder_request_targets"`
	}
	if err := json.Unmarshal(ws[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, tg := range body.Targets {
		ids = append(ids, tg.Target.ID)
	}
	sort.Strings(ids)
	if diff := cmp.Diff([]string{demoworld.PDAliceID, demoworld.PDCarolID}, ids); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
	if body.RequesterID != demoworld.PDBobID || !strings.HasPrefix(body.Message, "need a DBA, @bob is on it too") {
		t.Errorf("requester %q, message %q", body.RequesterID, body.Message)
	}

	// Mentions and user= together; without a message, advice and no write.
	h.pd.ResetRequests()
	got = h.slash(bob, incCh, "/pd responders @alice user=carol@example.com failover help")
	contains(t, got.Text, "asked Alice Smith, Carol White to join")
	h.pd.ResetRequests()
	got = h.slash(bob, incCh, "/pd responders @alice")
	contains(t, got.Text, "Add a message")
	if len(h.writes()) != 0 {
		t.Errorf("writes without a message: %v", paths(h.writes()))
	}
}

func TestNearMissSubcommandIsSuggested(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		line string
		want []string
		not  []string
	}{
		{"/pd ntoe looking at it", []string{"no command `ntoe`", "Did you mean `/pd note`?", "/pd help"}, nil},
		{"/pd acknowlege", []string{"Did you mean `/pd acknowledge`?"}, nil},
		{"/pd reslove", []string{"Did you mean `/pd resolve`?"}, nil},
		{"/pd Gett", []string{"Did you mean `/pd get`?"}, []string{"Gett"}},
		// Not a command word: never quoted back, whatever it is.
		{"/pd n0te x", []string{"Did you mean `/pd note`?"}, []string{"n0te"}},
		{"/pd u+pastedKeyCANARY99 x", []string{"/pd help"}, []string{"pastedKey", "Did you mean"}},
		{"/pd frobnicate", []string{"no command `frobnicate`"}, []string{"Did you mean"}},
	}
	for _, c := range cases {
		got := h.slash(alice, opsCh, c.line).Text
		contains(t, got, c.want...)
		for _, n := range c.not {
			if strings.Contains(got, n) {
				t.Errorf("%s: answer holds %q: %s", c.line, n, got)
			}
		}
	}
	h.requireNoPD()
}
