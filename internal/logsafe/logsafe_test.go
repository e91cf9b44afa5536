package logsafe

import (
	"errors"
	"testing"
)

func TestErrKeepsOnlySchemeAndHost(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`error calling the API endpoint: Get "https://api.pagerduty.com/users?limit=100&query=bob%40example.com": context deadline exceeded`,
			`error calling the API endpoint: Get "https://api.pagerduty.com/…": context deadline exceeded`},
		{`failed to post webhook: Post "https://hooks.slack.com/actions/T0DEMO0001/1234/CANARYresponseTOKEN": EOF`,
			`failed to post webhook: Post "https://hooks.slack.com/…": EOF`},
		{`Post "https://u:CANARYpass@hooks.slack.com/x": EOF`, `Post "https://hooks.slack.com/…": EOF`},
		{`Get "http://127.0.0.1:8080/log_entries?since=2026-12-01T00%3A00%3A00Z": dial tcp: connection refused`,
			`Get "http://127.0.0.1:8080/…": dial tcp: connection refused`},
		{`no url here`, `no url here`},
	} {
		if got := Err(errors.New(tc.in)).String; got != tc.want {
			t.Errorf("Err(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if f := Err(nil); f.Key != "" {
		t.Errorf("Err(nil) = %+v, want no field", f)
	}
}
