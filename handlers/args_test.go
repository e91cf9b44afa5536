package handlers_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pdbot/pdbot/handlers"
)

func TestKVArgs(t *testing.T) {
	update := map[string]bool{"status": true, "resolution": true, "assignees": true}
	responders := map[string]bool{"policy": true, "user": true}
	tests := []struct {
		name     string
		in       string
		keys     map[string]bool
		textKey  string
		want     map[string][]string
		wantRest string
	}{
		{
			name: "update with free-text resolution", keys: update, textKey: "resolution",
			in: "status=resolved resolution=Rolled back the deploy assignees=@bob,carol@x.com",
			want: map[string][]string{
				"status":     {"resolved"},
				"resolution": {"Rolled back the deploy"},
				"assignees":  {"@bob,carol@x.com"},
			},
		},
		{
			name: "resolution last takes the rest", keys: update, textKey: "resolution",
			in:   "status=resolved resolution=Rolled back, then waited 10 min",
			want: map[string][]string{"status": {"resolved"}, "resolution": {"Rolled back, then waited 10 min"}},
		},
		{
			name: "slack mentions as assignees", keys: update, textKey: "resolution",
			in:   "assignees=<@U1|bob>,<@U2|carol>",
			want: map[string][]string{"assignees": {"<@U1|bob>,<@U2|carol>"}},
		},
		{
			name: "keys are case-insensitive", keys: update, textKey: "resolution",
			in:   "Status=ack",
			want: map[string][]string{"status": {"ack"}},
		},
		{
			name: "quoted policy", keys: responders,
			in:       `policy="Database On-Call" user=@bob Need a DBA for the failover`,
			want:     map[string][]string{"policy": {"Database On-Call"}, "user": {"@bob"}},
			wantRest: "Need a DBA for the failover",
		},
		{
			name: "smart-quoted policy", keys: responders,
			in:       "policy=“Database On-Call” please join",
			want:     map[string][]string{"policy": {"Database On-Call"}},
			wantRest: "please join",
		},
		{
			name: "repeated keys", keys: responders,
			in:       "policy=DBA policy=\"Network Team\" user=a@x.com user=b@x.com help",
			want:     map[string][]string{"policy": {"DBA", "Network Team"}, "user": {"a@x.com", "b@x.com"}},
			wantRest: "help",
		},
		{
			name: "unknown words go to rest", keys: update, textKey: "resolution",
			in:       "status=resolved frobnicate priority=P1",
			want:     map[string][]string{"status": {"resolved"}},
			wantRest: "frobnicate priority=P1",
		},
		{
			name: "without a text key, words after a key go to rest", keys: responders,
			in:       "user=@bob the db is on fire",
			want:     map[string][]string{"user": {"@bob"}},
			wantRest: "the db is on fire",
		},
		{
			name: "no keys at all", keys: responders,
			in:       "just a message",
			want:     map[string][]string{},
			wantRest: "just a message",
		},
		{
			name: "empty", keys: update, textKey: "resolution",
			in:   "   ",
			want: map[string][]string{},
		},
		{
			name: "empty value", keys: update, textKey: "resolution",
			in:   "status=",
			want: map[string][]string{"status": {""}},
		},
		{
			name: "value holding =", keys: update, textKey: "resolution",
			in:   "resolution=see https://x.example/?a=b",
			want: map[string][]string{"resolution": {"see https://x.example/?a=b"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, rest, err := handlers.KVArgs(tt.in, tt.keys, tt.textKey)
			if err != nil {
				t.Fatalf("kvArgs(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("kvArgs(%q) args (-want +got):\n%s", tt.in, diff)
			}
			if rest != tt.wantRest {
				t.Errorf("kvArgs(%q) rest = %q, want %q", tt.in, rest, tt.wantRest)
			}
		})
	}
}

// TestKVArgsQuotedKeyIsText: a quoted "key=value" is text, not an argument
// (splitQuoted marks quoted words so kvArgs can tell).
func TestKVArgsQuotedKeyIsText(t *testing.T) {
	got, rest, _ := handlers.KVArgs(`user=@bob check the "policy=strict" flag`, map[string]bool{"policy": true, "user": true}, "")
	if diff := cmp.Diff(map[string][]string{"user": {"@bob"}}, got); diff != "" {
		t.Errorf("args (-want +got):\n%s", diff)
	}
	if want := `check the "policy=strict" flag`; rest != want {
		t.Errorf("rest = %q, want %q", rest, want)
	}
}

// TestKVArgsFreeTextQuotes: quotes inside free text (a resolution, a
// responders message) are the user's words, and an unclosed one must not
// swallow the arguments after it.
func TestKVArgsFreeTextQuotes(t *testing.T) {
	update := map[string]bool{"status": true, "resolution": true, "assignees": true}
	t.Run("unclosed quote", func(t *testing.T) {
		got, _, err := handlers.KVArgs(`status=resolved resolution=Bob"s fix assignees=@bob`, update, "resolution")
		if err == nil && cmp.Diff([]string{"@bob"}, got["assignees"]) != "" {
			t.Errorf("args = %q: assignees=@bob was swallowed into the resolution without an error", got)
		}
	})
	t.Run("quotes kept in text", func(t *testing.T) {
		got, _, _ := handlers.KVArgs(`status=resolved resolution=Fixed the "cache" bug`, update, "resolution")
		if diff := cmp.Diff([]string{`Fixed the "cache" bug`}, got["resolution"]); diff != "" {
			t.Errorf("resolution (-want +got):\n%s", diff)
		}
	})
}

func TestSplitQuoted(t *testing.T) {
	tests := []struct {
		in   string
		want []handlers.Word
	}{
		{"", nil},
		{"a b  c", []handlers.Word{{Text: "a"}, {Text: "b"}, {Text: "c"}}},
		{"a\tb\nc", []handlers.Word{{Text: "a"}, {Text: "b"}, {Text: "c"}}},
		{`"a b" c`, []handlers.Word{{Text: "a b", Quoted: true}, {Text: "c"}}},
		{"“a b” c", []handlers.Word{{Text: "a b", Quoted: true}, {Text: "c"}}},
		{`policy="Database On-Call"`, []handlers.Word{{Text: "policy=Database On-Call"}}},
		{"policy=“Database On-Call” x", []handlers.Word{{Text: "policy=Database On-Call"}, {Text: "x"}}},
		{`"" x`, []handlers.Word{{Text: "x"}}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, handlers.SplitQuoted(tt.in)); diff != "" {
			t.Errorf("splitQuoted(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestSplitList(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{",,", nil},
		{"a", []string{"a"}},
		{"a,b, c", []string{"a", "b", "c"}},
		{" @bob , carol@x.com ,", []string{"@bob", "carol@x.com"}},
		{"<@U1|bob>,PABCDEF", []string{"<@U1|bob>", "PABCDEF"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, handlers.SplitList(tt.in)); diff != "" {
			t.Errorf("splitList(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}
