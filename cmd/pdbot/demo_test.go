package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pdbot/pdbot/internal/demoworld"
)

// TestDemo runs the demo loop as a user would, with scripted input: help,
// the incident card, a switch of user and an acknowledgement, as Bob.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole bot")
	}
	spec := os.Getenv("PDBOT_PD_OPENAPI")
	if spec == "" {
		t.Log("NOTICE: PDBOT_PD_OPENAPI unset: the demo's fake PagerDuty does not validate requests against the OpenAPI document")
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
	err := runDemo(ctx, strings.NewReader(script), &out, demoOptions{SpecPath: spec, Echo: true, Log: &logs})
	transcript := out.String()
	t.Logf("transcript:\n%s", transcript)
	if err != nil {
		t.Fatalf("runDemo: %v", err)
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
	for _, s := range []string{transcript, logs.String()} {
		if strings.Contains(s, demoworld.DemoPDKey) {
			t.Error("the demo PagerDuty key leaked into the transcript or the log")
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
	err := runDemo(context.Background(), strings.NewReader("users\nchannels\nin #ops\nbogus\n"), &out, demoOptions{Echo: true, Log: &bytes.Buffer{}})
	if err != nil {
		t.Fatalf("runDemo: %v", err)
	}
	for _, want := range []string{"alice", "erin", "#inc-43", "now in #ops", "alice@#ops> ", `unknown input "bogus"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("transcript lacks %q:\n%s", want, out.String())
		}
	}
}
