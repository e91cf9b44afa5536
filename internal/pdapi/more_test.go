package pdapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/PagerDuty/go-pagerduty"

	"github.com/pdbot/pdbot/internal/pdapi"
	"github.com/pdbot/pdbot/internal/pdfake"
)

// TestSnoozeSendsFromAndSeconds: one POST, with From, the duration in
// seconds, and nothing sent for a bad ID, a bad duration or no requester.
func TestSnoozeSendsFromAndSeconds(t *testing.T) {
	s := newSeeded(t)
	if err := s.Acknowledge(incA, pdfake.FromWeb("PU1")); err != nil {
		t.Fatal(err)
	}
	s.ResetRequests()
	c := fakeClient(s, bobMail)
	inc, err := c.Snooze(context.Background(), incA, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if inc.ID != incA || len(inc.PendingActions) != 1 {
		t.Errorf("snoozed incident %s with pending actions %+v, want one", inc.ID, inc.PendingActions)
	}
	ws := s.Writes()
	if len(ws) != 1 || ws[0].Method != "POST" || ws[0].Path != "/incidents/"+incA+"/snooze" || ws[0].Header.Get("From") != bobMail {
		t.Fatalf("writes %+v, want one POST /incidents/%s/snooze From %s", ws, incA, bobMail)
	}
	var body map[string]any
	if err := json.Unmarshal(ws[0].Body, &body); err != nil || body["duration"] != float64(7200) || len(body) != 1 {
		t.Errorf("body %s, want {\"duration\":7200}", ws[0].Body)
	}

	s.ResetRequests()
	for name, call := range map[string]func() error{
		"malformed id": func() error { _, err := c.Snooze(context.Background(), "../users", time.Hour); return err },
		"too long":     func() error { _, err := c.Snooze(context.Background(), incA, 8*24*time.Hour); return err },
		"too short":    func() error { _, err := c.Snooze(context.Background(), incA, 0); return err },
		"no requester": func() error { _, err := fakeClient(s, "").Snooze(context.Background(), incA, time.Hour); return err },
	} {
		if call() == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if len(s.Requests()) != 0 {
		t.Errorf("refused snoozes reached PagerDuty: %+v", s.Requests())
	}

	// PagerDuty's refusal comes back as an APIError.
	_, err = c.Snooze(context.Background(), incB, time.Hour)
	var ae pagerduty.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 400 {
		t.Errorf("snooze of a resolved incident: %v, want a 400 APIError", err)
	}
}

func TestPrioritiesAndPolicyLevels(t *testing.T) {
	s := newSeeded(t)
	c := fakeClient(s, "")
	ps, err := c.Priorities(context.Background())
	if err != nil || len(ps) != 0 {
		t.Fatalf("Priorities on an account without = %v, %v; want none", ps, err)
	}
	s.SetPriorities(pdfake.Priority{ID: "PPRI001", Name: "P1"}, pdfake.Priority{ID: "PPRI002", Name: "P2"})
	ps, err = c.Priorities(context.Background())
	if err != nil || len(ps) != 2 || ps[0].Name != "P1" || ps[1].ID != "PPRI002" {
		t.Fatalf("Priorities = %+v, %v; want P1, P2", ps, err)
	}

	s.AddEscalationPolicy(pdfake.EscalationPolicy{ID: "PEPTIER", Name: "Tiered", UserIDs: []string{"PU1"}, Levels: [][]string{{"PU2"}}})
	p, err := c.GetPolicy(context.Background(), "PEPTIER")
	if err != nil || p.Levels != 2 || p.Name != "Tiered" {
		t.Fatalf("GetPolicy = %+v, %v; want Tiered with 2 levels", p, err)
	}
	before := len(s.Requests())
	if _, err := c.GetPolicy(context.Background(), "../x"); err == nil || len(s.Requests()) != before {
		t.Error("a malformed policy ID was sent")
	}
}

// TestUpdateIncidentPriorityAndLevel: the update carries a priority
// reference and an escalation level as PagerDuty's document spells them.
func TestUpdateIncidentPriorityAndLevel(t *testing.T) {
	s := newSeeded(t)
	s.SetPriorities(pdfake.Priority{ID: "PPRI001", Name: "P1"})
	c := fakeClient(s, aliceMail)
	if _, err := c.UpdateIncident(context.Background(), incA, pdapi.IncidentUpdate{Priority: &pagerduty.APIReference{ID: "PPRI001", Type: "priority_reference"}}); err != nil {
		t.Fatal(err)
	}
	if inc, _ := s.Incident(incA); inc.PriorityID != "PPRI001" {
		t.Errorf("priority %q, want PP1", inc.PriorityID)
	}
	if _, err := c.UpdateIncident(context.Background(), incA, pdapi.IncidentUpdate{EscalationLevel: 1}); err != nil {
		t.Fatal(err)
	}
	ws := s.Writes()
	if got := string(ws[0].Body); got != `{"incident":{"type":"incident_reference","priority":{"id":"PPRI001","type":"priority_reference"}}}` {
		t.Errorf("priority body %s", got)
	}
	if got := string(ws[1].Body); got != `{"incident":{"type":"incident_reference","escalation_level":1}}` {
		t.Errorf("level body %s", got)
	}
}
