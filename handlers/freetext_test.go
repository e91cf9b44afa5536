package handlers_test

import (
	"strings"
	"testing"

	"github.com/pdbot/pdbot/handlers"
)

func TestCheckFreeTextRefusesKeyShapedWords(t *testing.T) {
	const key = "u+pastedKeyCANARY990"
	for _, text := range []string{
		key,
		"restarted the db, key is " + key,
		"token: `" + key + "`.",
		"(" + key + ")",
		"xoxb-1234-abcd",
		"line one\n" + key,
		"&lt;" + key + "&gt;", // Slack-escaped slash text
		"status=resolved resolution=" + key,
		"a," + key + ";b",
	} {
		err := handlers.CheckFreeText("fine", text)
		if err == nil {
			t.Errorf("CheckFreeText(%q) = nil, want a refusal", text)
			continue
		}
		msg, known := handlers.Explain(err, nil, "")
		if !known || strings.Contains(msg, "CANARY") || !strings.Contains(msg, "/pd key") {
			t.Errorf("CheckFreeText(%q): advice %q (known %v)", text, msg, known)
		}
	}
	for _, text := range []string{
		"", "failover done, replica PENDING restart", "see https://acme.pagerduty.com/incidents/Q1ABCDEFGHIJKL",
		"<@U0BOB0001|bob> please look", "bob@example.com", "Q1ABCDEFGHIJKL PBOB001",
	} {
		if err := handlers.CheckFreeText(text); err != nil {
			t.Errorf("CheckFreeText(%q) = %v, want nil", text, err)
		}
	}
}
