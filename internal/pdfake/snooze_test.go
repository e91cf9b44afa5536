package pdfake_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pdbot/pdbot/internal/pdfake"
)

// lastEntry is the newest log entry of an incident.
func lastEntry(t *testing.T, s *pdfake.Server, id string) pdfake.LogEntry {
	t.Helper()
	es := s.LogEntries(id)
	if len(es) == 0 {
		t.Fatalf("incident %s has no log entries", id)
	}
	return es[len(es)-1]
}

func TestSnooze(t *testing.T) {
	clock := newFakeClock()
	s := newSeededWith(t, pdfake.Options{Now: clock.Now})
	from := map[string]string{"From": aliceMail}

	resp, body := raw(t, s, acctKey, http.MethodPost, "/incidents/PINC002/snooze", from, `{"duration":3600}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("snooze: %d %s", resp.StatusCode, body)
	}
	var out struct {
		Incident struct {
			ID             string `json:"id"`
			Status         string `json:"status"`
			PendingActions []struct {
				Type string `json:"type"`
				At   string `json:"at"`
			} `json:"pending_actions"`
		} `json:"incident"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	want := clock.Now().Add(time.Hour).UTC().Truncate(time.Second)
	if out.Incident.Status != "acknowledged" || len(out.Incident.PendingActions) != 1 ||
		out.Incident.PendingActions[0].Type != "unacknowledge" || out.Incident.PendingActions[0].At != want.Format(time.RFC3339) {
		t.Errorf("snoozed incident: %+v, want acknowledged with an unacknowledge at %s", out.Incident, want)
	}
	if inc, _ := s.Incident("PINC002"); !inc.SnoozedUntil.Equal(want) {
		t.Errorf("SnoozedUntil = %s, want %s", inc.SnoozedUntil, want)
	}
	if e := lastEntry(t, s, "PINC002"); e.Type != pdfake.TypeSnooze || e.AgentID != "PU1" || e.Channel != pdfake.ChannelAPI {
		t.Errorf("entry %+v, want a snooze_log_entry by PU1 through the API", e)
	}

	// The snooze ends with the acknowledgement.
	if err := s.Unacknowledge("PINC002", pdfake.Actor{}); err != nil {
		t.Fatal(err)
	}
	if inc, _ := s.Incident("PINC002"); !inc.SnoozedUntil.IsZero() {
		t.Errorf("SnoozedUntil = %s after the incident was unacknowledged, want zero", inc.SnoozedUntil)
	}
}

func TestSnoozeRefusals(t *testing.T) {
	from := map[string]string{"From": aliceMail}
	tests := []struct {
		name, path, body string
		header           map[string]string
		status, code     int
		detail           string
		invalid          string // what the document refuses, if it does
	}{
		{"triggered", "/incidents/PINC001/snooze", `{"duration":60}`, from, 400, 2001, "must be acknowledged", ""},
		{"resolved", "/incidents/Q1R2DLCB21K7NP/snooze", `{"duration":60}`, from, 400, 2001, "Already Resolved", ""},
		{"unknown incident", "/incidents/PNOPE00/snooze", `{"duration":60}`, from, 404, 2100, "", ""},
		{"no From", "/incidents/PINC002/snooze", `{"duration":60}`, nil, 400, 2016, "", "From"},
		{"too long", "/incidents/PINC002/snooze", `{"duration":604801}`, from, 400, 2001, "", "604800"},
		{"zero", "/incidents/PINC002/snooze", `{"duration":0}`, from, 400, 2001, "", "duration"},
		{"no duration", "/incidents/PINC002/snooze", `{}`, from, 400, 2001, "", "duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSeeded(t)
			resp, body := raw(t, s, acctKey, http.MethodPost, tt.path, tt.header, tt.body)
			eb := wantErrorResponse(t, resp, body, tt.status, tt.code)
			if tt.detail != "" && !strings.Contains(strings.Join(eb.Error.Errors, " ")+eb.Error.Message, tt.detail) {
				t.Errorf("error %+v, want it to say %q", eb.Error, tt.detail)
			}
			if tt.invalid != "" && s.Validating() {
				wantInvalid(t, s, tt.invalid)
			}
			if len(s.LogEntries("PINC002")) != 0 && tt.path == "/incidents/PINC002/snooze" {
				t.Errorf("a refused snooze left log entries: %+v", s.LogEntries("PINC002"))
			}
		})
	}
}

func TestPriorities(t *testing.T) {
	s := newSeeded(t)
	list := func() []string {
		t.Helper()
		resp, body := raw(t, s, acctKey, http.MethodGet, "/priorities", nil, "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /priorities: %d %s", resp.StatusCode, body)
		}
		var out struct {
			Priorities []struct{ ID, Name string } `json:"priorities"`
		}
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, p := range out.Priorities {
			names = append(names, p.Name)
		}
		return names
	}
	if got := list(); len(got) != 0 {
		t.Errorf("a new account lists priorities %v, want none", got)
	}
	s.SetPriorities(pdfake.Priority{ID: "PP1", Name: "P1"}, pdfake.Priority{ID: "PP2", Name: "P2"})
	s.AddPriority(pdfake.Priority{ID: "PP3", Name: "P3"})
	if got := strings.Join(list(), ","); got != "P1,P2,P3" {
		t.Errorf("priorities %s, want P1,P2,P3 (most severe first)", got)
	}

	from := map[string]string{"From": aliceMail}
	put := func(body string) (*http.Response, []byte) {
		return raw(t, s, acctKey, http.MethodPut, "/incidents/PINC001", from, body)
	}
	if resp, body := put(`{"incident":{"type":"incident_reference","priority":{"id":"PP2","type":"priority_reference"}}}`); resp.StatusCode != 200 || !strings.Contains(string(body), `"priority":{`) {
		t.Fatalf("set priority: %d %s", resp.StatusCode, body)
	}
	if inc, _ := s.Incident("PINC001"); inc.PriorityID != "PP2" {
		t.Errorf("priority %q, want PP2", inc.PriorityID)
	}
	if e := lastEntry(t, s, "PINC001"); e.Type != pdfake.TypePriorityChange || e.AgentID != "PU1" || !strings.Contains(e.Summary, "P2") {
		t.Errorf("entry %+v, want a priority_change_log_entry to P2 by PU1", e)
	}
	// By name, as the document allows.
	if resp, body := put(`{"incident":{"type":"incident_reference","priority":"p1"}}`); resp.StatusCode != 200 {
		t.Fatalf("set priority by name: %d %s", resp.StatusCode, body)
	}
	if inc, _ := s.Incident("PINC001"); inc.PriorityID != "PP1" {
		t.Errorf("priority %q, want PP1", inc.PriorityID)
	}
	n := len(s.LogEntries("PINC001"))
	resp, body := put(`{"incident":{"type":"incident_reference","priority":{"id":"PNOPE00","type":"priority_reference"}}}`)
	wantErrorResponse(t, resp, body, 400, 2001)
	if len(s.LogEntries("PINC001")) != n {
		t.Error("a refused priority change left a log entry")
	}
}

func TestEscalationLevel(t *testing.T) {
	s := newSeeded(t)
	s.AddEscalationPolicy(pdfake.EscalationPolicy{ID: "PEP1", Name: "Primary On-call", UserIDs: []string{"PU1"}, Levels: [][]string{{"PU2"}, {"PU3"}}})
	from := map[string]string{"From": aliceMail}

	// The policy shows its three rules.
	resp, body := raw(t, s, acctKey, http.MethodGet, "/escalation_policies/PEP1", nil, "")
	var ep struct {
		EscalationPolicy struct {
			Rules []struct {
				Targets []struct{ ID string } `json:"targets"`
			} `json:"escalation_rules"`
		} `json:"escalation_policy"`
	}
	if err := json.Unmarshal(body, &ep); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET policy: %d %s", resp.StatusCode, body)
	}
	if n := len(ep.EscalationPolicy.Rules); n != 3 || ep.EscalationPolicy.Rules[1].Targets[0].ID != "PU2" {
		t.Fatalf("rules %+v, want 3 with PU2 at level 2", ep.EscalationPolicy.Rules)
	}

	resp, body = raw(t, s, acctKey, http.MethodPut, "/incidents/PINC002", from, `{"incident":{"type":"incident_reference","escalation_level":2}}`)
	if resp.StatusCode != 200 {
		t.Fatalf("escalate: %d %s", resp.StatusCode, body)
	}
	inc, _ := s.Incident("PINC002")
	if inc.EscalationLevel != 2 || inc.Status != "triggered" || strings.Join(inc.Assignees, ",") != "PU2" || len(inc.Acknowledgers) != 0 {
		t.Errorf("after escalation_level 2: level %d, %s, assignees %v, acks %v; want level 2, triggered, PU2, none",
			inc.EscalationLevel, inc.Status, inc.Assignees, inc.Acknowledgers)
	}
	var esc *pdfake.LogEntry
	for _, e := range s.LogEntries("PINC002") {
		if e.Type == pdfake.TypeEscalate {
			esc = &e
		}
	}
	if esc == nil || esc.AgentID != "PU1" || strings.Join(esc.Assignees, ",") != "PU2" {
		t.Errorf("escalate entry %+v, want one by PU1 assigning PU2", esc)
	}

	// Past the policy's levels, and on a resolved incident: refused.
	n := len(s.LogEntries(""))
	resp, body = raw(t, s, acctKey, http.MethodPut, "/incidents/PINC001", from, `{"incident":{"type":"incident_reference","escalation_level":4}}`)
	eb := wantErrorResponse(t, resp, body, 400, 2001)
	if !strings.Contains(strings.Join(eb.Error.Errors, " "), "3 levels") {
		t.Errorf("error %+v, want it to say the policy has 3 levels", eb.Error)
	}
	resp, body = raw(t, s, acctKey, http.MethodPut, "/incidents/Q1R2DLCB21K7NP", from, `{"incident":{"type":"incident_reference","escalation_level":1}}`)
	wantErrorResponse(t, resp, body, 400, 2001)
	if len(s.LogEntries("")) != n {
		t.Error("a refused escalation left log entries")
	}
}
