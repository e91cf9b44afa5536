package handlers_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pdbot/pdbot/handlers"
)

// TestAliasesAreFreeSlashWords: an alias is a lower-case word no other
// route or alias uses, and /pd help names it once, on its route's line.
func TestAliasesAreFreeSlashWords(t *testing.T) {
	help := handlers.HelpText(handlers.All())
	words := map[string]string{}
	for _, r := range handlers.All() {
		if r.Kind == handlers.Slash {
			words[r.ID] = r.ID
		}
	}
	aliases := 0
	for _, r := range handlers.All() {
		for _, a := range r.Aliases {
			aliases++
			if r.Kind != handlers.Slash || a == "" || a != strings.ToLower(a) || strings.ContainsAny(a, " \t") {
				t.Errorf("%s %q: alias %q is not a lower-case slash word", r.Kind, r.ID, a)
			}
			if other, taken := words[a]; taken {
				t.Errorf("alias %q of %q is taken by %q", a, r.ID, other)
			}
			words[a] = r.ID
			if n := strings.Count(help, "`/pd "+a+"`"); n != 1 {
				t.Errorf("/pd help names alias %q %d times, want once", a, n)
			}
			for _, line := range strings.Split(help, "\n") {
				if strings.Contains(line, "`/pd "+a+"`") && !strings.Contains(line, "`/pd "+r.Usage+"`") {
					t.Errorf("alias %q is not on %q's line: %s", a, r.ID, line)
				}
			}
		}
	}
	if aliases == 0 {
		t.Error("no route has an alias; `acknowledge` should be one for `ack`")
	}
}

// TestLeadingMentionsNameResponders: in `/pd responders`, the mentions
// before the message are the targets; mentions inside it are text.
func TestLeadingMentionsNameResponders(t *testing.T) {
	// Slack-escaped text, as `/pd responders` gets it.
	const bob, carol = "<@U0BOB0001|bob>", "<@U0CAROL01|carol>"
	tests := []struct {
		in, rest string
		want     []string
	}{
		{bob + " " + carol + " need a DBA", "need a DBA", []string{bob, carol}},
		{bob + ", " + carol + ", need a DBA, " + bob + " knows", "need a DBA, " + bob + " knows", []string{bob, carol}},
		{"need " + bob, "need " + bob, nil},
		{bob, "", []string{bob}},
		{"<!here> " + bob + " hi", "<!here> " + bob + " hi", nil},
		{"", "", nil},
	}
	for _, tt := range tests {
		got, rest := handlers.LeadingMentions(tt.in)
		if diff := cmp.Diff(tt.want, got); diff != "" || rest != tt.rest {
			t.Errorf("LeadingMentions(%q): rest %q, want %q; mentions (-want +got):\n%s", tt.in, rest, tt.rest, diff)
		}
	}
}
