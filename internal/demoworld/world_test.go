package demoworld_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/pdbot/pdbot/internal/demoworld"
	"github.com/pdbot/pdbot/internal/pdfake/pdfaketest"
	"github.com/pdbot/pdbot/internal/slackfake"
)

func TestSeed(t *testing.T) {
	opts := demoworld.SlackOptions()
	opts.Logf = t.Logf
	sf, err := slackfake.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sf.Close)
	pd := pdfaketest.New(t)
	w := demoworld.Seed(sf, pd)

	if sf.TeamID() != demoworld.TeamID {
		t.Errorf("team = %q, want %q", sf.TeamID(), demoworld.TeamID)
	}
	for id, want := range map[string]string{
		demoworld.Incident42ID: "triggered",
		demoworld.Incident43ID: "acknowledged",
		demoworld.Incident44ID: "resolved",
	} {
		in, ok := pd.Incident(id)
		if !ok {
			t.Errorf("incident %s not seeded", id)
			continue
		}
		if in.Status != want {
			t.Errorf("incident %s status = %q, want %q", id, in.Status, want)
		}
	}
	in, _ := pd.Incident(demoworld.Incident42ID)
	if in.Number != 42 || len(in.Assignees) != 1 || in.Assignees[0] != demoworld.PDBobID {
		t.Errorf("incident 42 = #%d assigned to %v, want #42 assigned to %s", in.Number, in.Assignees, demoworld.PDBobID)
	}

	// The key works against the fake, through PagerDuty's API.
	req, _ := http.NewRequest(http.MethodGet, pd.URL()+"/incidents/"+demoworld.Incident42ID, nil)
	req.Header.Set("Authorization", "Token token="+demoworld.DemoPDKey)
	req.Header.Set("Accept", "application/vnd.pagerduty+json;version=2")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Incident struct{ Title string } `json:"incident"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET incident: status %d, err %v", resp.StatusCode, err)
	}
	if body.Incident.Title != demoworld.Incident42Title {
		t.Errorf("title = %q, want %q", body.Incident.Title, demoworld.Incident42Title)
	}

	if !strings.Contains(demoworld.IncChannelTopic, demoworld.Incident42ID) {
		t.Error("the incident channel's topic must name incident 42")
	}
	if !strings.Contains(demoworld.DemoPDKey, "CANARY") {
		t.Error("DemoPDKey must stay a greppable canary")
	}

	for _, name := range []string{"alice", "bob", "carol", "dave", "erin", "deploybot"} {
		if _, ok := w.SlackUser(name); !ok {
			t.Errorf("no Slack user %q", name)
		}
	}
	for _, name := range []string{"#inc-42-orders-db", "ops", demoworld.Inc43ChannelID} {
		if _, ok := w.Channel(name); !ok {
			t.Errorf("no channel %q", name)
		}
	}
	if len(pd.InvalidRequests()) != 0 {
		t.Errorf("invalid requests: %+v", pd.InvalidRequests())
	}
}

// TestEmailsMatchPagerDuty keeps the mapping story straight: every Slack
// person but erin (and the bots and the guest) has a PagerDuty user with the
// same email; erin has none.
func TestEmailsMatchPagerDuty(t *testing.T) {
	w := demoworld.New()
	pdByEmail := map[string]string{}
	for _, u := range w.PDUsers {
		pdByEmail[strings.ToLower(u.Email)] = u.ID
	}
	want := map[string]string{
		demoworld.AliceID: demoworld.PDAliceID,
		demoworld.BobID:   demoworld.PDBobID,
		demoworld.CarolID: demoworld.PDCarolID,
		demoworld.ErinID:  "",
	}
	for slackID, pdID := range want {
		u, _ := w.SlackUser(slackID)
		if got := pdByEmail[strings.ToLower(u.Email)]; got != pdID {
			t.Errorf("%s (%s) maps to %q, want %q", slackID, u.Email, got, pdID)
		}
	}
}
