package demo

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pdbot/pdbot/internal/demoworld"
	"github.com/pdbot/pdbot/internal/pdfake/pdfaketest"
	"github.com/pdbot/pdbot/internal/slackfake"
)

// TestDemo runs the demo loop as a user would, with scripted input: help,
// the incident card, a switch of user and an acknowledgement, as Bob.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole bot")
	}
	opts := Options{}
	if spec := pdfaketest.EnvSpec(t); spec != nil {
		opts.Validator = spec
	}
	script := strings.Join([]string{
		"/pd help",
		"/pd get",
		"as bob",
		"/pd ack",
		"quit",
		"/pd note never reached",
	}, "\n") + "\n"

	var out, logs bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	opts.Log = &logs
	err := Run(ctx, strings.NewReader(script), &out, opts)
	transcript := out.String()
	t.Logf("transcript:\n%s", transcript)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}

	// Split the transcript at the prompts so each answer is checked where it belongs.
	answers := map[string]string{}
	for _, part := range promptRE.Split(transcript, -1)[1:] {
		cmd, answer, _ := strings.Cut(part, "\n")
		answers[cmd] = answer
	}
	mustContain := func(cmd string, wants ...string) {
		t.Helper()
		a, ok := answers[cmd]
		if !ok {
			t.Errorf("%q was not run (no prompt echo for it)", cmd)
			return
		}
		for _, w := range wants {
			if !strings.Contains(a, w) {
				t.Errorf("the answer to %q does not contain %q:\n%s", cmd, w, a)
			}
		}
	}
	mustContain("/pd help", "/pd ack", "/pd note", "/pd get")
	mustContain("/pd get", demoworld.Incident42Title, "#42", "Triggered", "[Acknowledge]")
	mustContain("as bob", "now acting as bob")
	mustContain("/pd ack", "acknowledged", demoworld.BobReal)

	if !strings.Contains(transcript, "no accounts needed") {
		t.Error("the banner must say that no accounts are needed")
	}
	if !strings.Contains(transcript, "alice@#inc-42-orders-db> ") || !strings.Contains(transcript, "bob@#inc-42-orders-db> ") {
		t.Error("the prompt must show user@#channel")
	}
	if strings.Contains(transcript, "never reached") {
		t.Error("input after quit was run")
	}
	assertNoCanary(t, "demo transcript", transcript)
	assertNoCanary(t, "demo log", logs.String())
}

// canaries are the demo's secrets: the PagerDuty key it stores and the fake
// Slack's tokens. "CANARY" is in all of them, so a part of one is caught too.
var canaries = []string{demoworld.DemoPDKey, slackfake.DefaultAppToken, slackfake.DefaultBotToken, "CANARY"}

func assertNoCanary(t *testing.T, what, s string) {
	t.Helper()
	for _, c := range canaries {
		if strings.Contains(s, c) {
			t.Errorf("%s contains the secret canary %q", what, c)
		}
	}
}

// promptRE matches the demo's prompt at the start of a line.
var promptRE = regexp.MustCompile(`(?m)^[a-z]+@#[a-z0-9-]+> `)

// TestDemoEOF: end of input ends the demo cleanly, as quit does.
func TestDemoEOF(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole bot")
	}
	var out bytes.Buffer
	err := Run(context.Background(), strings.NewReader("users\nchannels\nin #ops\nbogus\n"), &out, Options{Log: &bytes.Buffer{}})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	for _, want := range []string{"alice", "erin", "#inc-43", "now in #ops", "alice@#ops> ", `unknown input "bogus"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("transcript lacks %q:\n%s", want, out.String())
		}
	}
}

// exchange is one input of a demo transcript and what the demo answered.
type exchange struct{ input, answer string }

// runDemoScript runs the demo on lines (quit is appended) and returns the
// transcript split at the prompts.
func runDemoScript(t *testing.T, lines ...string) []exchange {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the whole bot")
	}
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	script := strings.Join(append(lines, "quit"), "\n") + "\n"
	err := Run(ctx, strings.NewReader(script), &out, Options{Log: &bytes.Buffer{}})
	t.Logf("transcript:\n%s", out.String())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	var ex []exchange
	for _, part := range promptRE.Split(out.String(), -1)[1:] {
		in, answer, _ := strings.Cut(part, "\n")
		ex = append(ex, exchange{in, answer})
	}
	if len(ex) != len(lines)+1 {
		t.Fatalf("%d prompts answered, want %d", len(ex), len(lines)+1)
	}
	// Every interaction completed: acked and handled, not cut off by the
	// safety net.
	for _, e := range ex {
		for _, bad := range []string{"(no ack from the bot", "(pdbot had not finished"} {
			if strings.Contains(e.answer, bad) {
				t.Errorf("the answer to %q has %q:\n%s", e.input, bad, e.answer)
			}
		}
	}
	// The one exception to the canaries: help prints the demo account's
	// own key (demoKeyLine), so that /pd key can be tried. Every other
	// output, help's other lines included, is held to them.
	assertNoCanary(t, "demo banner", promptRE.Split(out.String(), 2)[0])
	for _, e := range ex {
		answer := e.answer
		if e.input == "help" || e.input == "?" {
			answer = strings.Replace(answer, demoKeyLine(demoworld.DemoPDKey), "", 1)
		}
		assertNoCanary(t, "demo transcript", e.input+"\n"+answer)
	}
	return ex
}

// checkAnswer checks the answer to the i-th input of a script.
func checkAnswer(t *testing.T, ex []exchange, i int, want, notWant []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(ex[i].answer, w) {
			t.Errorf("the answer to %q lacks %q:\n%s", ex[i].input, w, ex[i].answer)
		}
	}
	for _, w := range notWant {
		if strings.Contains(ex[i].answer, w) {
			t.Errorf("the answer to %q has %q:\n%s", ex[i].input, w, ex[i].answer)
		}
	}
}

// TestDemoFieldErrors: a submission pdbot refuses with field errors shows the
// modal again with the errors, and the next submit keeps the other entries.
func TestDemoFieldErrors(t *testing.T) {
	t.Parallel()
	ex := runDemoScript(t,
		"/pd get",
		"click Reassign",
		"submit assignees=Carol resolution=disk full",
		"submit status=resolved",
	)
	checkAnswer(t, ex, 2, []string{
		"--- modal ---",
		"! A resolution goes with the resolved status.",
		"resolution.resolution_input=disk full",
	}, []string{"(no answer)"})
	checkAnswer(t, ex, 3, []string{"kept from your last submit", "resolved", "disk full", "--- modal closed ---"}, nil)
}

// TestDemoTypeAhead: search lists a type-ahead field's choices with their IDs,
// and submit takes a name, an ID search showed, or lists the choices when a
// name matches several.
func TestDemoTypeAhead(t *testing.T) {
	t.Parallel()
	ex := runDemoScript(t,
		"/pd get",
		"click Escalate",
		"search policy on-call",
		"submit policy=On-Call",
		"submit policy=Nothing Like It",
		"submit policy=Web",
		"click Escalate",
		"submit policy="+demoworld.PolicyDBID, // an ID search showed
		"click Reassign",
		"submit assignees=Carol",
	)
	checkAnswer(t, ex, 2, []string{demoworld.PolicyDBID + " ", demoworld.PolicyDBName, demoworld.PolicyWebID + " ", demoworld.PolicyWebName}, nil)
	checkAnswer(t, ex, 3, []string{"2 choices match", demoworld.PolicyDBID, demoworld.PolicyWebID}, []string{"--- pdbot"})
	checkAnswer(t, ex, 4, []string{`nothing matches "Nothing Like It"`}, []string{"--- pdbot"})
	checkAnswer(t, ex, 5, []string{"--- pdbot in #" + demoworld.IncChannelName, demoworld.PolicyWebName, "--- modal closed ---"}, nil)
	checkAnswer(t, ex, 7, []string{"--- pdbot in #" + demoworld.IncChannelName, demoworld.PolicyDBName, "--- modal closed ---"}, nil)
	checkAnswer(t, ex, 9, []string{demoworld.PDCarolID, "--- pdbot in #" + demoworld.IncChannelName, "assigned to", "--- modal closed ---"}, nil)
}

// TestDemoSayEscapes: say posts the text escaped as Slack stores it, so
// pdbot reads back exactly what was typed.
func TestDemoSayEscapes(t *testing.T) {
	t.Parallel()
	ex := runDemoScript(t,
		"say a <b>yay</b> & done",
		"shortcut Add as incident note",
	)
	checkAnswer(t, ex, 1, []string{"a <b>yay</b> & done"}, []string{"byay/b"})
}

// TestDemoClickCancel: click Cancel and click Close close the open modal.
func TestDemoClickCancel(t *testing.T) {
	t.Parallel()
	ex := runDemoScript(t,
		"/pd get",
		"click Add note",
		"click Cancel",
		"click Reassign",
		"click Close",
	)
	checkAnswer(t, ex, 2, []string{"--- modal closed ---"}, []string{"no button"})
	checkAnswer(t, ex, 4, []string{"--- modal closed ---"}, []string{"no button"})
}

// TestDemoSubmitUnknownField: a field the modal lacks gets a line naming the
// modal's fields, not the fake's error.
func TestDemoSubmitUnknownField(t *testing.T) {
	t.Parallel()
	ex := runDemoScript(t,
		"/pd get",
		"click Reassign",
		"submit policy.policy_search=PEPWEB1",
		"submit assignees=Carol policy.policy_search=PEPWEB1",
	)
	for _, i := range []int{2, 3} {
		checkAnswer(t, ex, i, []string{`no field "policy.policy_search"`, "assignees.user_search", "status.status_select"}, []string{"slackfake", "error:", "--- pdbot"})
	}
}

// TestDemoConfirm: a button with a confirm dialog shows the dialog and acts
// only once confirmed.
func TestDemoConfirm(t *testing.T) {
	t.Parallel()
	ex := runDemoScript(t,
		"/pd get",
		"click Resolve",
		"no",
		"click Resolve",
		"users",
		"click Resolve",
		"click Resolve",
	)
	dialog := []string{"--- confirm dialog ---", "Resolve this incident?", "in PagerDuty for everyone", "[Cancel] [Resolve]"}
	for _, i := range []int{1, 3, 5} {
		checkAnswer(t, ex, i, dialog, []string{"resolved"})
	}
	checkAnswer(t, ex, 2, []string{"nothing was sent"}, []string{"resolved"})
	checkAnswer(t, ex, 4, []string{"dismissed", "alice"}, []string{"resolved"})
	checkAnswer(t, ex, 6, []string{"--- pdbot in #" + demoworld.IncChannelName, "resolved"}, nil)
}

// TestDemoMentionNames: mentions the bot writes as user IDs read as names.
func TestDemoMentionNames(t *testing.T) {
	t.Parallel()
	ex := runDemoScript(t, "/pd map @erin "+demoworld.AliceEmail)
	checkAnswer(t, ex, 0, []string{"@erin now acts"}, []string{"@" + demoworld.ErinID})
}

// TestCommandTable walks the demo's command table: every command has a name,
// a function and one line of help, names are unique, and help (as the demo
// prints it) lists every command with its arguments, as does README.
func TestCommandTable(t *testing.T) {
	cmds := commands()
	idx := commandIndex(cmds) // panics on an empty or duplicate name
	for _, c := range cmds {
		if c.name == "" || c.run == nil || c.help == "" || strings.Contains(c.help, "\n") {
			t.Errorf("command %q: want a name, a function and one line of help", c.name)
		}
		if idx[c.name].name != c.name {
			t.Errorf("command %q is not in the index under its name", c.name)
		}
	}

	ex := runDemoScript(t, "help")
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, demoSection, _ := strings.Cut(string(readme), "## Trying the demo")
	demoSection, _, _ = strings.Cut(demoSection, "\n## ")
	for _, c := range cmds {
		line := fmt.Sprintf("  %-24s %s\n", c.usage(), c.help)
		if !strings.Contains(ex[0].answer, line) {
			t.Errorf("help lacks the line for %q: %q", c.name, line)
		}
		if !strings.Contains(demoSection, "`"+c.name+"`") && !strings.Contains(demoSection, "`"+c.name+" "+c.args+"`") {
			t.Errorf("README's \"Trying the demo\" does not mention `%s`", c.name)
		}
	}
	checkAnswer(t, ex, 0, []string{"/pd get", "Demo commands:"}, nil)
}

// TestDemoDemoCommands runs each demo command that needs no modal, and the
// ones that do without one, through the prompt.
func TestDemoDemoCommands(t *testing.T) {
	t.Parallel()
	ex := runDemoScript(t,
		"yes",
		"no",
		"close",
		"cancel",
		"submit x=1",
		"search policy web",
		"click Nothing",
		"as nobody",
		"in #nowhere",
		"say",
		"shortcut",
		"?",
		"# a comment",
		"pd whoami",
	)
	checkAnswer(t, ex, 0, []string{"no confirm dialog is open"}, nil)
	checkAnswer(t, ex, 1, []string{"no confirm dialog is open"}, nil)
	checkAnswer(t, ex, 2, []string{"no modal is open"}, nil)
	checkAnswer(t, ex, 3, []string{"no modal is open"}, nil)
	checkAnswer(t, ex, 4, []string{"no modal is open"}, nil)
	checkAnswer(t, ex, 5, []string{"no modal is open"}, nil)
	checkAnswer(t, ex, 6, []string{`no button "Nothing"`}, nil)
	checkAnswer(t, ex, 7, []string{`no user "nobody"`}, nil)
	checkAnswer(t, ex, 8, []string{`no channel "#nowhere"`}, nil)
	checkAnswer(t, ex, 9, []string{"usage: say TEXT"}, nil)
	checkAnswer(t, ex, 10, []string{`"Add as incident note"`, `"PagerDuty action"`}, nil)
	checkAnswer(t, ex, 11, []string{"Demo commands:", "quit, exit"}, nil)
	if ex[12].answer != "" {
		t.Errorf("a comment got an answer: %q", ex[12].answer)
	}
	checkAnswer(t, ex, 13, []string{"You act in PagerDuty as " + demoworld.AliceReal}, []string{"(no answer)"})
}
