package handlers_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pdbot/pdbot/handlers"
)

// escapeSeeds are strings that have broken mrkdwn escapers before.
var escapeSeeds = []string{
	"",
	"plain text",
	"a < b && c > d",
	"&lt;",
	"&amp;lt;",
	"&&&;;;<<<>>>",
	"<!channel>",
	"<!here|here>",
	"<@U123>",
	"<@U123|bob>",
	"<#C123|general>",
	"<https://evil.example|click>",
	"<https://evil.example|https://acme.pagerduty.com>",
	"DB <down> & \"slow\"",
	"unicode ✓ “quotes” <é>",
}

func TestEscapeUnescapeRoundTrip(t *testing.T) {
	for _, s := range escapeSeeds {
		if got := handlers.Unescape(handlers.Escape(s)); got != s {
			t.Errorf("Unescape(Escape(%q)) = %q", s, got)
		}
	}
}

func FuzzEscapeRoundTrip(f *testing.F) {
	for _, s := range escapeSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := handlers.Escape(s)
		if got := handlers.Unescape(e); got != s {
			t.Errorf("Unescape(Escape(%q)) = %q", s, got)
		}
		checkUserSafe(t, e)
	})
}

func TestEscapeInjectionIsInert(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"<!channel>", "&lt;!channel&gt;"},
		{"<!here>", "&lt;!here&gt;"},
		{"<@U123>", "&lt;@U123&gt;"},
		{"<https://evil|click>", "&lt;https://evil|click&gt;"},
		{"<!subteam^S123|@oncall>", "&lt;!subteam^S123|@oncall&gt;"},
		// Already-escaped text stays literal: it shows as "&lt;", it does not
		// turn back into a bracket.
		{"&lt;!channel&gt;", "&amp;lt;!channel&amp;gt;"},
		{"a & b", "a &amp; b"},
	}
	for _, tt := range tests {
		got := handlers.Escape(tt.in)
		if got != tt.want {
			t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
		checkUserSafe(t, got)
	}
}

func TestUnescape(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"a &lt; b", "a < b"},
		{"a &gt; b", "a > b"},
		{"a &amp; b", "a & b"},
		// One pass only: "&amp;lt;" is the escaped form of "&lt;".
		{"&amp;lt;", "&lt;"},
		{"&amp;amp;", "&amp;"},
		{"&quot; stays", "&quot; stays"},
		{"no entities", "no entities"},
	}
	for _, tt := range tests {
		if got := handlers.Unescape(tt.in); got != tt.want {
			t.Errorf("Unescape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFromSlack(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "rolled back the deploy", "rolled back the deploy"},
		{"user mention with label", "ping <@U1|bob> please", "ping @bob please"},
		{"user mention without label", "ping <@U1>", "ping @U1"},
		{"channel with label", "see <#C1|incidents>", "see #incidents"},
		{"channel without label", "see <#C1>", "see #C1"},
		{"here", "<!here> heads up", "@here heads up"},
		{"channel ping", "<!channel>", "@channel"},
		{"everyone", "<!everyone>", "@everyone"},
		{"user group", "<!subteam^S1|@dba> help", "@dba help"},
		{"user group without label", "<!subteam^S1>", "@subteam"},
		{"date with fallback", "<!date^1392734382^{date}|Feb 18, 2014>", "Feb 18, 2014"},
		{"mailto with label", "mail <mailto:a@b.c|a@b.c>", "mail a@b.c"},
		{"mailto without label", "<mailto:a@b.c>", "a@b.c"},
		{"link without label", "see <https://example.com/x?a=1&amp;b=2>", "see https://example.com/x?a=1&b=2"},
		{"link with label", "see <https://example.com|the runbook>", "see the runbook (https://example.com)"},
		{"link labelled with itself", "<https://example.com|https://example.com>", "https://example.com"},
		{"entities", "a &lt; b &amp;&amp; c &gt; d", "a < b && c > d"},
		{"escaped injection stays text", "&lt;!channel&gt;", "<!channel>"},
		{"entity inside label", "<https://example.com|a &amp; b>", "a & b (https://example.com)"},
		{"several", "<@U1|bob> and <@U2|carol> in <#C1|ops>", "@bob and @carol in #ops"},
		{"unclosed bracket", "a <@U1 b", "a <@U1 b"},
		{"multi-line", "line one\n<@U1|bob>\nline three", "line one\n@bob\nline three"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, handlers.FromSlack(tt.in)); diff != "" {
				t.Errorf("FromSlack(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// TestFromSlackThenEscapeIsInert: text that goes Slack → PagerDuty → Slack
// (a note quoted back in a confirmation) cannot ping anyone on the way back.
func TestFromSlackThenEscapeIsInert(t *testing.T) {
	for _, in := range []string{"&lt;!channel&gt;", "<!here>", "<https://evil|click>", "&lt;@U1&gt;"} {
		out := handlers.Escape(handlers.FromSlack(in))
		checkUserSafe(t, out)
		if strings.Contains(out, "<") {
			t.Errorf("Escape(FromSlack(%q)) = %q holds a raw <", in, out)
		}
	}
}
