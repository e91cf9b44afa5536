package live

import (
	"slices"
	"testing"
	"time"

	"github.com/pdbot/pdbot/store"
)

func entry(id string, at time.Time) *logEntry { return &logEntry{ID: id, at: at} }

// TestAdvance: the cursor moves over done entries only, keeps the overlap
// window's IDs, and never moves back.
func TestAdvance(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	listed := []*logEntry{entry("A", t0), entry("B", t0.Add(time.Second)), entry("C", t0.Add(10*time.Second)), entry("D", t0.Add(10*time.Second))}
	tests := []struct {
		name      string
		cur       store.PollCursor
		seen      []string
		done      []string
		wantSince time.Time
		wantSeen  []string
	}{
		{"all done", store.PollCursor{Since: t0}, nil, []string{"A", "B", "C", "D"}, t0.Add(5 * time.Second), []string{"C", "D"}},
		{"one failed", store.PollCursor{Since: t0}, nil, []string{"A", "C", "D"}, t0.Add(time.Second), []string{"C", "D"}},
		{"nothing done", store.PollCursor{Since: t0}, nil, nil, t0, []string{}},
		{"seen before", store.PollCursor{Since: t0, Seen: []string{"A"}}, []string{"A"}, []string{"C", "D"}, t0.Add(time.Second), []string{"C", "D"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen, done := map[string]bool{}, map[string]bool{}
			for _, id := range tt.seen {
				seen[id] = true
			}
			for _, id := range tt.done {
				done[id] = true
			}
			got := advance(tt.cur, listed, seen, done)
			if !got.Since.Equal(tt.wantSince) || !slices.Equal(got.Seen, tt.wantSeen) {
				t.Errorf("advance = %v %q, want %v %q", got.Since, got.Seen, tt.wantSince, tt.wantSeen)
			}
		})
	}
	if got := advance(store.PollCursor{Since: t0, Seen: []string{"X"}}, nil, map[string]bool{"X": true}, nil); !got.Since.Equal(t0) {
		t.Errorf("an empty poll moved the cursor to %v", got.Since)
	}
}

// TestLine: who, what and through what, escaped.
func TestLine(t *testing.T) {
	user := ref{ID: "PBOB001", Type: "user_reference", Summary: "Bob <Jones>"}
	service := ref{ID: "PSVC", Type: "service_reference", Summary: "DB"}
	le := func(typ string, agent ref, channel, note string) *logEntry {
		e := &logEntry{Type: typ, Agent: agent, Note: note}
		e.Channel.Type = channel
		return e
	}
	long := string(make([]rune, 400))
	tests := []struct {
		e    *logEntry
		want string
	}{
		{le("acknowledge_log_entry", user, "mobile", ""), "Acknowledged by Bob &lt;Jones&gt; (mobile)"},
		{le("annotate_log_entry", user, "website", "a <!here> & b"), "Note from Bob &lt;Jones&gt; (web): a &lt;!here&gt; &amp; b"},
		{le("resolve_log_entry", user, "api", ""), "Resolved by Bob &lt;Jones&gt; (API)"},
		{&logEntry{Type: "escalate_log_entry", Agent: service, Channel: struct {
			Type    string `json:"type"`
			Summary string `json:"summary"`
		}{Type: "timeout"}, Assignees: []ref{{Summary: "Carol"}}}, "Escalated to Carol by PagerDuty (timeout)"},
	}
	for _, tt := range tests {
		if got := line(tt.e); got != tt.want {
			t.Errorf("line(%s) = %q, want %q", tt.e.Type, got, tt.want)
		}
	}
	if got := []rune(line(le("annotate_log_entry", user, "website", long))); len(got) > noteLimit+60 {
		t.Errorf("a long note's line has %d runes", len(got))
	}
}
