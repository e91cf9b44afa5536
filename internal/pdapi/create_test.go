package pdapi_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/PagerDuty/go-pagerduty"

	"github.com/pdbot/pdbot/internal/pdapi"
	"github.com/pdbot/pdbot/internal/pdfake"
)

// seedCreate adds objects with well-formed IDs (P + 6) to s.
func seedCreate(s *pdfake.Server) *pdfake.Server {
	s.AddUser(pdfake.User{ID: "PUSER01", Name: "Alice Adams", Email: aliceMail})
	s.AddUser(pdfake.User{ID: "PUSER02", Name: "Bob Brown", Email: bobMail})
	s.AddEscalationPolicy(pdfake.EscalationPolicy{ID: "PEPOL01", Name: "Primary", UserIDs: []string{"PUSER01"}})
	s.AddEscalationPolicy(pdfake.EscalationPolicy{ID: "PEPOL02", Name: "Database", UserIDs: []string{"PUSER02"}})
	s.AddService(pdfake.Service{ID: "PSVC001", Name: "Checkout", EscalationPolicyID: "PEPOL01"})
	return s
}

// TestCreateIncident: one valid POST /incidents as the requester, with the
// body PagerDuty's document describes.
func TestCreateIncident(t *testing.T) {
	s := seedCreate(newSeeded(t))
	c := fakeClient(s, aliceMail)
	inc, err := c.CreateIncident(context.Background(), pdapi.NewIncident{
		Title: "Disk full", ServiceID: "PSVC001", Urgency: "low", Details: "sda1", Assignees: []string{"PUSER02"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if inc.Title != "Disk full" || inc.Urgency != "low" || inc.IncidentNumber == 0 || len(inc.Assignments) != 1 || inc.Assignments[0].Assignee.ID != "PUSER02" {
		t.Errorf("incident %+v", inc)
	}
	ws := s.Writes()
	if len(ws) != 1 || ws[0].Method != http.MethodPost || ws[0].Path != "/incidents" || ws[0].Header.Get("From") != aliceMail {
		t.Fatalf("writes %+v", ws)
	}
	want := `{"incident":{"type":"incident","title":"Disk full","service":{"id":"PSVC001","type":"service_reference"},"urgency":"low","body":{"type":"incident_body","details":"sda1"},"assignments":[{"assignee":{"id":"PUSER02","type":"user_reference"}}]}}`
	if got := string(ws[0].Body); got != want {
		t.Errorf("body\n%s\nwant\n%s", got, want)
	}
	got, _ := s.Incident(inc.ID)
	if got.Details != "sda1" {
		t.Errorf("details %q", got.Details)
	}

	// Through a policy, and with no details: no body is sent.
	inc, err = c.CreateIncident(context.Background(), pdapi.NewIncident{Title: "Slow", ServiceID: "PSVC001", EscalationPolicy: "PEPOL02"})
	if err != nil || inc.EscalationPolicy.ID != "PEPOL02" {
		t.Fatalf("through a policy: %+v, %v", inc, err)
	}
	if b := string(s.Writes()[1].Body); b != `{"incident":{"type":"incident","title":"Slow","service":{"id":"PSVC001","type":"service_reference"},"escalation_policy":{"id":"PEPOL02","type":"escalation_policy_reference"}}}` {
		t.Errorf("body %s", b)
	}
}

// TestCreateIncidentRefusedBeforeSending: no requester, malformed IDs, and
// assignees with a policy never reach PagerDuty; PagerDuty's own refusal
// comes back as an APIError.
func TestCreateIncidentRefusedBeforeSending(t *testing.T) {
	s := seedCreate(newSeeded(t))
	ctx := context.Background()
	if _, err := fakeClient(s, "").CreateIncident(ctx, pdapi.NewIncident{Title: "x", ServiceID: "PSVC001"}); !errors.Is(err, pdapi.ErrNoRequester) {
		t.Errorf("no requester: %v", err)
	}
	c := fakeClient(s, aliceMail)
	for _, n := range []pdapi.NewIncident{
		{Title: "x", ServiceID: "../users"},
		{Title: "x", ServiceID: "PSVC001", EscalationPolicy: "PEPOL01?x=1"},
		{Title: "x", ServiceID: "PSVC001", Assignees: []string{"bob"}},
	} {
		if _, err := c.CreateIncident(ctx, n); err == nil {
			t.Errorf("%+v was accepted", n)
		}
	}
	if _, err := c.CreateIncident(ctx, pdapi.NewIncident{Title: "x", ServiceID: "PSVC001", Assignees: []string{"PUSER01"}, EscalationPolicy: "PEPOL01"}); !errors.Is(err, pdapi.ErrAssigneesWithPolicy) {
		t.Errorf("both: %v", err)
	}
	if n := len(s.Requests()); n != 0 {
		t.Fatalf("%d requests reached PagerDuty", n)
	}
	_, err := c.CreateIncident(ctx, pdapi.NewIncident{Title: "x", ServiceID: "PNOPE99"})
	var ae pagerduty.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 400 || ae.APIError.ErrorObject.Code != 2002 {
		t.Errorf("unknown service: %v", err)
	}
}
