package pdfake_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/google/go-cmp/cmp"

	"github.com/pdbot/pdbot/internal/pdfake"
)

func TestNotes(t *testing.T) {
	s := newSeeded(t)
	c := client(s, acctKey)
	// go-pagerduty takes From from note.User.Summary; note.user itself
	// (here naming Bob) must be ignored: the author is the From user.
	n, err := c.CreateIncidentNoteWithContext(ctx(t), "PINC001", pagerduty.IncidentNote{
		Content: "first", User: pagerduty.APIObject{ID: "PU2", Summary: aliceMail},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n.ID == "" || n.User.ID != "PU1" || n.User.Summary != "Alice Adams" || n.Content != "first" || n.CreatedAt == "" {
		t.Errorf("created note = %+v, want one by PU1 Alice Adams", n)
	}
	// A user key acts as its user.
	if _, err := client(s, bobKey).CreateIncidentNoteWithContext(ctx(t), "PINC001", pagerduty.IncidentNote{
		Content: "second", User: pagerduty.APIObject{Summary: bobMail},
	}); err != nil {
		t.Fatal(err)
	}

	notes, err := c.ListIncidentNotesWithContext(ctx(t), "PINC001")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range notes {
		got = append(got, n.User.ID+": "+n.Content)
	}
	if diff := cmp.Diff([]string{"PU1: first", "PU2: second"}, got); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
	in, _ := s.Incident("PINC001")
	if len(in.Notes) != 2 || in.Notes[0].UserID != "PU1" || in.Notes[1].Content != "second" {
		t.Errorf("stored notes = %+v", in.Notes)
	}

	// Not paginated: no limit/offset/more in the body.
	_, body := raw(t, s, acctKey, http.MethodGet, "/incidents/PINC001/notes", nil, "")
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(body, &keys); err != nil || len(keys) != 1 || keys["notes"] == nil {
		t.Errorf("list body = %s, want only a notes key", body)
	}

	_, err = c.ListIncidentNotesWithContext(ctx(t), "PNOPE00")
	wantAPIError(t, err, http.StatusNotFound, 2100)
	_, err = c.CreateIncidentNoteWithContext(ctx(t), "PNOPE00", pagerduty.IncidentNote{Content: "x", User: pagerduty.APIObject{Summary: aliceMail}})
	wantAPIError(t, err, http.StatusNotFound, 2100)
	// Notes on resolved incidents are allowed (notes §2.4).
	if _, err := c.CreateIncidentNoteWithContext(ctx(t), "Q1R2DLCB21K7NP", pagerduty.IncidentNote{Content: "post-mortem", User: pagerduty.APIObject{Summary: aliceMail}}); err != nil {
		t.Errorf("note on a resolved incident: %v", err)
	}
}

func TestNoteLimits(t *testing.T) {
	s := newSeeded(t)
	full := make([]pdfake.Note, 2000)
	for i := range full {
		full[i] = pdfake.Note{ID: "PN", UserID: "PU1", Content: "n"}
	}
	s.AddIncident(pdfake.Incident{ID: "PFULL01", Title: "chatty", ServiceID: "PSV1", Notes: full})
	c := client(s, acctKey)
	note := pagerduty.IncidentNote{Content: "one too many", User: pagerduty.APIObject{Summary: aliceMail}}
	_, err := c.CreateIncidentNoteWithContext(ctx(t), "PFULL01", note)
	wantAPIError(t, err, http.StatusBadRequest, 2001)

	s.SetMaxNoteLength(10)
	note.Content = strings.Repeat("x", 11)
	_, err = c.CreateIncidentNoteWithContext(ctx(t), "PINC001", note)
	wantAPIError(t, err, http.StatusBadRequest, 2001)
	note.Content = strings.Repeat("x", 10)
	if _, err := c.CreateIncidentNoteWithContext(ctx(t), "PINC001", note); err != nil {
		t.Errorf("note at the limit: %v", err)
	}
}

func wrapped(targets ...pagerduty.APIObject) []pagerduty.ResponderRequestTargetWrapper {
	var out []pagerduty.ResponderRequestTargetWrapper
	for _, t := range targets {
		out = append(out, pagerduty.ResponderRequestTargetWrapper{Target: pagerduty.ResponderRequestTarget{APIObject: t}})
	}
	return out
}

func TestResponderRequest(t *testing.T) {
	s := newSeeded(t)
	c := client(s, acctKey)
	resp, err := c.ResponderRequestWithContext(ctx(t), "PINC001", pagerduty.ResponderRequestOptions{
		From: aliceMail, RequesterID: "PU1", Message: "join the bridge",
		Targets: wrapped(pagerduty.APIObject{ID: "PU2", Type: "user_reference"}, pagerduty.APIObject{ID: "PEP2", Type: "escalation_policy_reference"}),
	})
	if err != nil {
		t.Fatal(err)
	}
	rr := resp.ResponderRequest
	if rr.Incident.ID != "PINC001" || rr.Requester.ID != "PU1" || rr.Message != "join the bridge" || len(rr.Targets) != 2 {
		t.Errorf("response = %+v", rr)
	}
	if tg := rr.Targets[0].Target; tg.ID != "PU2" || tg.Type != "user" || len(tg.Responders) != 1 || tg.Responders[0].State != "pending" {
		t.Errorf("first target = %+v, want user PU2 with a pending responder", tg)
	}
	in, _ := s.Incident("PINC001")
	want := []pdfake.ResponderRequest{{RequesterID: "PU1", Message: "join the bridge",
		Targets: []pdfake.Target{{ID: "PU2", Type: "user_reference"}, {ID: "PEP2", Type: "escalation_policy_reference"}}}}
	if diff := cmp.Diff(want, in.ResponderRequests, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".RequestedAt" }, cmp.Ignore())); diff != "" {
		t.Errorf("stored responder requests (-want +got):\n%s", diff)
	}
	got, err := c.GetIncidentWithContext(ctx(t), "PINC001")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.ResponderRequests) != 1 || len(got.IncidentResponders) != 2 {
		t.Errorf("incident shows %d responder requests and %d responders, want 1 and 2 (PU2, PU3 via PEP2)",
			len(got.ResponderRequests), len(got.IncidentResponders))
	}
}

func TestResponderRequestErrors(t *testing.T) {
	user := func(id string) []pagerduty.ResponderRequestTargetWrapper {
		return wrapped(pagerduty.APIObject{ID: id, Type: "user_reference"})
	}
	tests := []struct {
		name         string
		noAbility    bool
		incident     string
		opts         pagerduty.ResponderRequestOptions
		status, code int
	}{
		{"no coordinated_responding", true, "PINC001", pagerduty.ResponderRequestOptions{RequesterID: "PU1", Message: "m", Targets: user("PU2")}, 402, 0},
		{"unknown incident", false, "PNOPE00", pagerduty.ResponderRequestOptions{RequesterID: "PU1", Message: "m", Targets: user("PU2")}, 404, 2100},
		{"unknown requester", false, "PINC001", pagerduty.ResponderRequestOptions{RequesterID: "PNOUSER", Message: "m", Targets: user("PU2")}, 400, 2001},
		{"unknown user target", false, "PINC001", pagerduty.ResponderRequestOptions{RequesterID: "PU1", Message: "m", Targets: user("PNOUSER")}, 400, 2001},
		{"unknown target type", false, "PINC001", pagerduty.ResponderRequestOptions{RequesterID: "PU1", Message: "m",
			Targets: wrapped(pagerduty.APIObject{ID: "PU2", Type: "team_reference"})}, 400, 2001},
		{"no targets", false, "PINC001", pagerduty.ResponderRequestOptions{RequesterID: "PU1", Message: "m",
			Targets: []pagerduty.ResponderRequestTargetWrapper{}}, 400, 2001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSeeded(t)
			if tt.noAbility {
				s.SetAbilities("teams")
			}
			tt.opts.From = aliceMail
			_, err := client(s, acctKey).ResponderRequestWithContext(ctx(t), tt.incident, tt.opts)
			wantAPIError(t, err, tt.status, tt.code)
			if in, _ := s.Incident("PINC001"); len(in.ResponderRequests) != 0 {
				t.Errorf("a refused request was stored: %+v", in.ResponderRequests)
			}
		})
	}
}

// TestResponderRequestUnwrappedRefused sends targets the way the document's
// schema (wrongly) shows them; the real API refuses that form.
func TestResponderRequestUnwrappedRefused(t *testing.T) {
	s := newSeeded(t)
	resp, body := raw(t, s, acctKey, http.MethodPost, "/incidents/PINC001/responder_requests", map[string]string{"From": aliceMail},
		`{"requester_id":"PU1","message":"m","responder_request_targets":[{"id":"PU2","type":"user_reference"}]}`)
	eb := wantErrorResponse(t, resp, body, http.StatusBadRequest, 2001)
	if !strings.Contains(strings.Join(eb.Error.Errors, " "), "responder_request_target") {
		t.Errorf("errors = %q, want them to name responder_request_target", eb.Error.Errors)
	}
	wantInvalid(t, s, "responder_request_target")
	if in, _ := s.Incident("PINC001"); len(in.ResponderRequests) != 0 {
		t.Errorf("an unwrapped request was stored: %+v", in.ResponderRequests)
	}
}
