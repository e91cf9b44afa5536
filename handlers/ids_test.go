package handlers_test

import (
	"errors"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pdbot/pdbot/handlers"
)

func TestParseRefAccepts(t *testing.T) {
	const q = "Q1ABCDEFGHIJKL"
	tests := []struct {
		name string
		in   string
		want handlers.Ref
	}{
		{"classic id", "PT4KHLK", handlers.Ref{ID: "PT4KHLK"}},
		{"current id", q, handlers.Ref{ID: q}},
		{"surrounding space", "  " + q + "\n", handlers.Ref{ID: q}},
		{"number", "#42", handlers.Ref{Number: 42}},
		{"largest number", "#4294967295", handlers.Ref{Number: 4294967295}},
		{"url", "https://acme.pagerduty.com/incidents/" + q, handlers.Ref{ID: q}},
		{"url trailing slash", "https://acme.pagerduty.com/incidents/" + q + "/", handlers.Ref{ID: q}},
		{"url classic id", "https://acme.pagerduty.com/incidents/PT4KHLK", handlers.Ref{ID: "PT4KHLK"}},
		{"url bare domain", "https://pagerduty.com/incidents/" + q, handlers.Ref{ID: q}},
		{"url eu", "https://acme.eu.pagerduty.com/incidents/" + q, handlers.Ref{ID: q}},
		{"slack wrapped url", "<https://acme.pagerduty.com/incidents/" + q + ">", handlers.Ref{ID: q}},
		{"slack wrapped url with label", "<https://acme.pagerduty.com/incidents/" + q + "|#42 DB down>", handlers.Ref{ID: q}},
		{"slack wrapped eu url with label", "<https://acme.eu.pagerduty.com/incidents/" + q + "|" + q + ">", handlers.Ref{ID: q}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := handlers.ParseRef(tt.in)
			if err != nil {
				t.Fatalf("ParseRef(%q) error: %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseRef(%q) (-want +got):\n%s", tt.in, diff)
			}
			if !handlers.LooksLikeRef(tt.in) {
				t.Errorf("LooksLikeRef(%q) = false, want true", tt.in)
			}
		})
	}
}

// refusalEchoes reports whether a refusal quotes the refused input back.
// It must not: the input could be anything, a pasted API key included, and
// refusals are logged and audited.
func refusalEchoes(msg, in string) bool {
	return len(in) >= 4 && strings.Contains(handlers.Unescape(msg), in)
}

func TestParseRefRefuses(t *testing.T) {
	const q = "Q1ABCDEFGHIJKL"
	long := strings.Repeat("<!channel> spam ", 640) // 10 KB
	tests := []struct {
		name string
		in   string
	}{
		{"lower case current", strings.ToLower(q)},
		{"lower case classic", "pt4khlk"},
		{"classic too short", "PT4KHL"},
		{"classic too long", "PT4KHLKX"},
		{"current too short", "Q1ABCDEFGHIJK"},
		{"current too long", "Q1ABCDEFGHIJKLM"},
		{"other letter", "X1ABCDEFGHIJKL"},
		{"punctuation in id", "PT4-HLK"},
		{"number zero", "#0"},
		{"number eleven digits", "#12345678901"},
		{"number past uint32", "#4294967296"},
		{"number without hash", "42"},
		{"hash only", "#"},
		{"negative number", "#-1"},
		{"url with query", "https://acme.pagerduty.com/incidents/" + q + "?x=1"},
		{"url other host", "https://evil.example/incidents/" + q},
		{"url lookalike host", "https://evilpagerduty.com/incidents/" + q},
		{"url pagerduty as subdomain", "https://acme.pagerduty.com.evil.example/incidents/" + q},
		{"url with port", "https://acme.pagerduty.com:8443/incidents/" + q},
		{"url http", "http://acme.pagerduty.com/incidents/" + q},
		{"url no scheme", "acme.pagerduty.com/incidents/" + q},
		{"url dot dot", "https://acme.pagerduty.com/incidents/../users"},
		{"url dot dot after id", "https://acme.pagerduty.com/incidents/" + q + "/../../users"},
		{"url sub-resource", "https://acme.pagerduty.com/incidents/" + q + "/notes"},
		{"url other resource", "https://acme.pagerduty.com/users/PABCDEF"},
		{"url escaped slash", "https://acme.pagerduty.com/incidents/..%2Fusers"},
		{"url lower case id", "https://acme.pagerduty.com/incidents/" + strings.ToLower(q)},
		{"slack wrapped other host", "<https://evil.example/incidents/" + q + "|" + q + ">"},
		{"slack link label only looks right", "<https://evil.example|https://acme.pagerduty.com/incidents/" + q + ">"},
		{"relative dot dot", "../users"},
		{"path dot dot", "/incidents/../users"},
		{"path only", "/incidents/" + q},
		{"query injection", "Q1?x=1"},
		{"fragment injection", "P1#frag"},
		{"sub-resource injection", "P1ABCDE/notes"},
		{"escaped slash", "..%2Fusers"},
		{"escaped slash in id", "PT4%2FLK"},
		{"space inside", "PT4 HLK"},
		{"mention", "<@U123>"},
		{"channel ping", "<!channel>"},
		{"backtick breakout", "x` <!channel> `y"},
		{"10 KB of text", long},
		{"just over the length bound", strings.Repeat("A", handlers.MaxRefLen+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := handlers.ParseRef(tt.in)
			if err == nil {
				t.Fatalf("ParseRef(%.80q) = %+v, want an error", tt.in, got)
			}
			if !got.IsZero() {
				t.Errorf("ParseRef(%.80q) returned %+v with its error, want the zero Ref", tt.in, got)
			}
			var ue *handlers.UserError
			if !errors.As(err, &ue) {
				t.Fatalf("ParseRef(%.80q) error is %T (%v), want *handlers.UserError", tt.in, err, err)
			}
			checkUserSafe(t, ue.Msg)
			if refusalEchoes(ue.Msg, tt.in) {
				t.Errorf("the refusal quotes the input back: %q", ue.Msg)
			}
			if handlers.LooksLikeRef(tt.in) {
				t.Errorf("LooksLikeRef(%.80q) = true, want false", tt.in)
			}
		})
	}
}

func TestParseRefEmpty(t *testing.T) {
	for _, in := range []string{"", "   ", "\n\t"} {
		if ref, err := handlers.ParseRef(in); err == nil {
			t.Errorf("ParseRef(%q) = %+v, want an error", in, ref)
		}
	}
}

// checkUserSafe fails if msg, meant to be shown in Slack as mrkdwn, could
// ping, mention or link: it must hold no raw angle bracket, and every
// ampersand must start an entity.
func checkUserSafe(t *testing.T, msg string) {
	t.Helper()
	if strings.ContainsAny(msg, "<>") {
		t.Errorf("message holds a raw < or >: %q", msg)
	}
	for i := 0; i < len(msg); i++ {
		if msg[i] != '&' {
			continue
		}
		rest := msg[i:]
		if !strings.HasPrefix(rest, "&amp;") && !strings.HasPrefix(rest, "&lt;") && !strings.HasPrefix(rest, "&gt;") {
			t.Errorf("message holds a raw & at byte %d: %q", i, msg)
			return
		}
	}
}

func TestRefStringAndIsZero(t *testing.T) {
	tests := []struct {
		ref  handlers.Ref
		str  string
		zero bool
	}{
		{handlers.Ref{}, "", true},
		{handlers.Ref{ID: "PT4KHLK"}, "PT4KHLK", false},
		{handlers.Ref{Number: 42}, "#42", false},
	}
	for _, tt := range tests {
		got := []any{tt.ref.String(), tt.ref.IsZero()}
		want := []any{tt.str, tt.zero}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%+v: String, IsZero (-want +got):\n%s", tt.ref, diff)
		}
	}
}

func TestFindRefInText(t *testing.T) {
	const q = "Q1ABCDEFGHIJKL"
	tests := []struct {
		name string
		in   string
		want handlers.Ref
		ok   bool
	}{
		{"url in topic", "War room for https://acme.pagerduty.com/incidents/" + q + " — be nice", handlers.Ref{ID: q}, true},
		{"eu url in topic", "see https://acme.eu.pagerduty.com/incidents/" + q, handlers.Ref{ID: q}, true},
		{"slack-wrapped url in topic", "Incident: <https://acme.pagerduty.com/incidents/" + q + "|#42>", handlers.Ref{ID: q}, true},
		{"url with classic id", "https://acme.pagerduty.com/incidents/PT4KHLK is the one", handlers.Ref{ID: "PT4KHLK"}, true},
		{"bare current id", "Working on " + q + " now", handlers.Ref{ID: q}, true},
		{"bare classic id with digit", "PT4KHLK: DB down", handlers.Ref{ID: "PT4KHLK"}, true},
		{"bare word without digit", "PROBLEM: DB down", handlers.Ref{}, false},
		{"bare word then id", "PROBLEM with PT4KHLK", handlers.Ref{ID: "PT4KHLK"}, true},
		{"id inside a longer word", "XPT4KHLKX", handlers.Ref{}, false},
		{"lower case id", strings.ToLower(q), handlers.Ref{}, false},
		{"url on other host", "https://evil.example/incidents/" + strings.Repeat("Z", 14), handlers.Ref{}, false},
		{"url with a bad id", "https://acme.pagerduty.com/incidents/ABC", handlers.Ref{}, false},
		{"nothing", "Deploy freeze until Friday", handlers.Ref{}, false},
		{"empty", "", handlers.Ref{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := handlers.FindRefInText(tt.in)
			if ok != tt.ok {
				t.Errorf("FindRefInText(%q) ok = %v, want %v", tt.in, ok, tt.ok)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("FindRefInText(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestSplitFirst(t *testing.T) {
	tests := []struct {
		in, first, rest string
	}{
		{"", "", ""},
		{"   ", "", ""},
		{"note", "note", ""},
		{"note hello world", "note", "hello world"},
		{"  note   hello  world  ", "note", "hello  world"},
		{"note\thello", "note", "hello"},
		{"note\nline one\nline two", "note", "line one\nline two"},
		{"Q1ABCDEFGHIJKL   text", "Q1ABCDEFGHIJKL", "text"},
	}
	for _, tt := range tests {
		first, rest := handlers.SplitFirst(tt.in)
		if diff := cmp.Diff([2]string{tt.first, tt.rest}, [2]string{first, rest}); diff != "" {
			t.Errorf("SplitFirst(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

// TestLooksLikeSecretMatchesPattern checks LooksLikeSecret, whose shape test
// is a loop, against the regular expression it replaced, around the length
// limits and with every kind of character.
func TestLooksLikeSecretMatchesPattern(t *testing.T) {
	shape := regexp.MustCompile(`^[A-Za-z0-9_+\-]{20,128}$`)
	want := func(s string) bool {
		return shape.MatchString(s) && strings.ContainsAny(s, "0123456789") &&
			strings.IndexFunc(s, func(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }) >= 0 ||
			strings.HasPrefix(s, "xox") || strings.HasPrefix(s, "xapp-")
	}
	valid := []string{"a", "Z", "0", "9", "_", "+", "-"}
	other := []string{" ", "/", ".", "=", "\n", "é", "`", "@", "[", "{"}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		n := []int{0, 1, 19, 20, 21, 64, 127, 128, 129}[rng.IntN(9)]
		var b strings.Builder
		for range n {
			if rng.IntN(40) == 0 {
				b.WriteString(other[rng.IntN(len(other))])
			} else {
				b.WriteString(valid[rng.IntN(len(valid))])
			}
		}
		s := b.String()
		if got := handlers.LooksLikeSecret(s); got != want(s) {
			t.Errorf("LooksLikeSecret(%q) = %v, the pattern says %v", s, got, want(s))
		}
	}
}
