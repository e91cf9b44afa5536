package bot

import (
	"errors"
	"testing"
)

func TestZapErrDropsURLQueries(t *testing.T) {
	err := errors.New(`error calling the API endpoint: Get "https://api.pagerduty.com/users?limit=100&query=bob%40example.com": context deadline exceeded`)
	got := zapErr(err).String
	want := `error calling the API endpoint: Get "https://api.pagerduty.com/users?…": context deadline exceeded`
	if got != want {
		t.Errorf("zapErr = %q, want %q", got, want)
	}
}
