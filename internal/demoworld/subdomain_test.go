package demoworld_test

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/pdbot/pdbot/internal/demoworld"
	"github.com/pdbot/pdbot/internal/pdfake/pdfaketest"
	"github.com/pdbot/pdbot/internal/slackfake"
)

var urlRE = regexp.MustCompile(`https?://[^\s"'<>|)]+`)

// TestOneSubdomain: every PagerDuty web link of the Acme world — the
// channels' topics and purposes, and each html_url the fake PagerDuty
// answers with — is on the one subdomain of the demo account.
func TestOneSubdomain(t *testing.T) {
	sf, err := slackfake.New(demoworld.SlackOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sf.Close)
	pd := pdfaketest.New(t)
	w := demoworld.Seed(sf, pd)

	var texts []string
	for _, c := range w.Channels {
		texts = append(texts, c.Topic, c.Purpose)
	}
	for _, path := range []string{"/incidents/" + demoworld.Incident42ID, "/incidents/" + demoworld.Incident43ID, "/users", "/escalation_policies", "/incidents/" + demoworld.Incident42ID + "/notes"} {
		req, _ := http.NewRequest(http.MethodGet, pd.URL()+path, nil)
		req.Header.Set("Authorization", "Token token="+demoworld.DemoPDKey)
		req.Header.Set("Accept", "application/vnd.pagerduty+json;version=2")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		texts = append(texts, string(body))
	}
	links := 0
	for _, text := range texts {
		for _, u := range urlRE.FindAllString(text, -1) {
			if strings.HasPrefix(u, pd.URL()) || !strings.Contains(u, "pagerduty.com") { // "self" (the API), avatars
				continue
			}
			links++
			if !strings.HasPrefix(u, demoworld.PagerDutyWebURL+"/") {
				t.Errorf("%s is not on %s", u, demoworld.PagerDutyWebURL)
			}
		}
	}
	if links == 0 {
		t.Fatal("found no PagerDuty web links to check")
	}
}
