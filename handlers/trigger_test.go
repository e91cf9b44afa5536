package handlers_test

import (
	"strings"
	"testing"

	"github.com/pdbot/pdbot/handlers"
)

// TestIncidentChannelName: inc-NUMBER-slug in Slack's alphabet (lower-case
// letters, digits, hyphens), never past its 80 characters, with a suffix
// for a taken name.
func TestIncidentChannelName(t *testing.T) {
	long := strings.Repeat("word ", 30)
	for _, tc := range []struct {
		number uint
		title  string
		try    int
		want   string
	}{
		{45, "Orders DB replicas lagging", 1, "inc-45-orders-db-replicas-lagging"},
		{45, "Orders DB replicas lagging", 2, "inc-45-orders-db-replicas-lagging-2"},
		{7, "  API 5xx > 2% (EU) — café!  ", 1, "inc-7-api-5xx-2-eu-caf"},
		{7, "!!!", 1, "inc-7"},
		{7, "!!!", 3, "inc-7-3"},
		{123456, long, 1, "inc-123456-" + strings.TrimRight(strings.Repeat("word-", 14)[:69], "-")},
		{123456, long, 10, "inc-123456-" + strings.TrimRight(strings.Repeat("word-", 14)[:66], "-") + "-10"},
	} {
		got := handlers.IncidentChannelName(tc.number, tc.title, tc.try)
		if got != tc.want {
			t.Errorf("IncidentChannelName(%d, %q, %d) = %q, want %q", tc.number, tc.title, tc.try, got, tc.want)
		}
		if len(got) > 80 || strings.Trim(got, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" || strings.Contains(got, "--") {
			t.Errorf("%q is not a channel name Slack takes", got)
		}
	}
}
