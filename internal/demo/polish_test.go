package demo

import (
	"strings"
	"testing"

	"github.com/pdbot/pdbot/internal/demoworld"
)

// TestDemoUnchangedInvalidResubmitAnswers: submitting a refused form again,
// unchanged, shows its field errors again rather than "(no answer)".
func TestDemoUnchangedInvalidResubmitAnswers(t *testing.T) {
	t.Parallel()
	ex := runDemoScript(t,
		"/pd get",
		"click Reassign",
		"submit assignees=Carol resolution=disk full",
		"submit assignees=Carol resolution=disk full",
		"submit",
	)
	for _, i := range []int{2, 3, 4} {
		checkAnswer(t, ex, i, []string{"--- modal ---", "! A resolution goes with the resolved status.", "pdbot refused the form"}, []string{"(no answer)"})
	}
}

// TestDemoOnlyKnowsPd: only /pd reaches pdbot; any other slash command is
// answered by the demo, without repeating it.
func TestDemoOnlyKnowsPd(t *testing.T) {
	t.Parallel()
	ex := runDemoScript(t, "/giphy hi there", "/pdx whoami", "/", "/pd whoami", "pd whoami")
	for _, i := range []int{0, 1, 2} {
		checkAnswer(t, ex, i, []string{"the demo only knows /pd"}, []string{"pdbot has no command", "(no answer)", "--- pdbot"})
	}
	for _, i := range []int{3, 4} {
		checkAnswer(t, ex, i, []string{"You act in PagerDuty as " + demoworld.AliceReal}, []string{"only knows"})
	}
}

// TestDemoNeverRepeatsAPastedKey: a key-shaped value typed at the prompt, on
// its own, in a demo command or into a form, is not printed back by the
// demo (runDemoScript fails on "CANARY" anywhere in the transcript).
func TestDemoNeverRepeatsAPastedKey(t *testing.T) {
	t.Parallel()
	const pasted = "u+pastedKeyCANARY000001"
	ex := runDemoScript(t,
		pasted,
		"as "+pasted,
		"in #"+pasted,
		"submit key="+pasted,
		"/pd key",
		"submit key="+pasted,
		"submit",
		"/pd note "+pasted,
	)
	checkAnswer(t, ex, 0, []string{"unknown input"}, nil)
	checkAnswer(t, ex, 1, []string{"no user"}, nil)
	checkAnswer(t, ex, 5, []string{"PagerDuty rejected this key", "your entries stay", "key.key_input="}, nil)
	checkAnswer(t, ex, 6, []string{"kept from your last submit", "PagerDuty rejected this key"}, []string{"(no answer)"})
	for _, e := range ex {
		if strings.Contains(e.input, "pastedKey") {
			t.Errorf("the demo echoed a pasted key: %q", e.input)
		}
	}
}

// TestDemoCardReadsCleanly: the incident card shows its title once, with
// mrkdwn bold rendered (no stray asterisks), and links to the one PagerDuty
// subdomain of the demo account.
func TestDemoCardReadsCleanly(t *testing.T) {
	t.Parallel()
	ex := runDemoScript(t, "/pd get", "/pd help")
	card := ex[0].answer
	if n := strings.Count(card, demoworld.Incident42Title); n != 1 {
		t.Errorf("the card shows its title %d times, want once:\n%s", n, card)
	}
	checkAnswer(t, ex, 0, []string{"Status", "Triggered", demoworld.PagerDutyWebURL + "/incidents/" + demoworld.Incident42ID}, []string{"*", "example.pagerduty.com"})
	checkAnswer(t, ex, 1, []string{"Incident actions", "For admins"}, []string{"*Incident actions*"})
}

func TestMrkdwnBold(t *testing.T) {
	for in, want := range map[string]string{
		"*Status*\n:red_circle: Triggered": "Status\n:red_circle: Triggered",
		"*a* and *b c*, *d*.":              "a and b c, d.",
		"a * b * c":                        "a * b * c",
		"2*3*4":                            "2*3*4",
		"`*code*` *bold*":                  "`*code*` bold",
		"*pdbot* runs":                     "pdbot runs",
		"**":                               "**",
	} {
		if got := mrkdwnToPlain(in); got != want {
			t.Errorf("mrkdwnToPlain(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDemoUsersShowsWhoIsNotInPagerDuty: users marks the people whose email
// no PagerDuty user has (pdbot cannot act for them).
func TestDemoUsersShowsWhoIsNotInPagerDuty(t *testing.T) {
	t.Parallel()
	ex := runDemoScript(t, "users")
	for _, line := range strings.Split(ex[0].answer, "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		none := strings.Contains(line, "no PagerDuty account")
		switch want := fields[0] == demoworld.ErinName || fields[0] == demoworld.DaveName || fields[0] == demoworld.DeployBotName; {
		case want && !none:
			t.Errorf("users does not say %s has no PagerDuty account: %q", fields[0], line)
		case !want && none:
			t.Errorf("users says %s has no PagerDuty account: %q", fields[0], line)
		}
	}
}

// TestDemoHelpGivesTheDemoKey: help prints the demo account's own key, so
// /pd key can be tried with it. It is the one place the key may appear
// (runDemoScript allows exactly help's key line and nothing else).
func TestDemoHelpGivesTheDemoKey(t *testing.T) {
	t.Parallel()
	ex := runDemoScript(t,
		"help",
		"/pd key",
		"submit key="+demoworld.DemoPDKey,
		"/pd key status",
	)
	checkAnswer(t, ex, 0, []string{demoKeyLine(demoworld.DemoPDKey)}, nil)
	checkAnswer(t, ex, 2, []string{"ending in `0001`"}, []string{"rejected"})
	checkAnswer(t, ex, 3, []string{"This channel: key ending in `0001`"}, nil)
}
