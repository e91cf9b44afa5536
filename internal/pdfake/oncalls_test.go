package pdfake_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pdbot/pdbot/internal/pdfake"
	"github.com/pdbot/pdbot/internal/pdfake/pdfaketest"
)

// withOncalls is newSeeded on a fixed clock with schedules and on-calls:
// Primary On-call (PEP1) level 1 rotates PU1, PU2 daily from midnight,
// level 2 is PU3 for a week; Database Escalation (PEP2) level 1 is PU3
// permanently (a direct target).
func withOncalls(t *testing.T) (*pdfake.Server, *fakeClock) {
	t.Helper()
	clock := newFakeClock() // 2024-05-01 12:00 UTC
	s := newSeededWith(t, pdfake.Options{Now: clock.Now})
	day := 24 * time.Hour
	midnight := clock.Now().Truncate(day)
	s.AddSchedule(pdfake.Schedule{ID: "PSC1", Name: "Primary Rotation", TimeZone: "Europe/Paris"})
	s.AddSchedule(pdfake.Schedule{ID: "PSC2", Name: "Secondary"})
	s.AddOnCall(pdfake.OnCall{PolicyID: "PEP1", Level: 1, ScheduleID: "PSC1", UserIDs: []string{"PU1", "PU2"}, Start: midnight, Shift: day})
	s.AddOnCall(pdfake.OnCall{PolicyID: "PEP1", Level: 2, ScheduleID: "PSC2", UserIDs: []string{"PU3"}, Start: midnight.Add(-day), End: midnight.Add(6 * day)})
	s.AddOnCall(pdfake.OnCall{PolicyID: "PEP2", Level: 1, UserIDs: []string{"PU3"}})
	return s, clock
}

type oncallRow struct {
	Policy   string
	Level    int
	User     string
	Schedule string
	Start    string
	End      string
}

func oncalls(t *testing.T, s *pdfake.Server, query string) ([]oncallRow, map[string]any) {
	t.Helper()
	resp, body := raw(t, s, acctKey, http.MethodGet, "/oncalls"+query, nil, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /oncalls%s: %d %s", query, resp.StatusCode, body)
	}
	var page struct {
		Oncalls []struct {
			EscalationPolicy struct{ ID string } `json:"escalation_policy"`
			User             struct{ Summary string }
			Schedule         *struct{ Summary string }
			EscalationLevel  int `json:"escalation_level"`
			Start, End       string
		}
	}
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatal(err)
	}
	var rows []oncallRow
	for _, o := range page.Oncalls {
		r := oncallRow{Policy: o.EscalationPolicy.ID, Level: o.EscalationLevel, User: o.User.Summary, Start: o.Start, End: o.End}
		if o.Schedule != nil {
			r.Schedule = o.Schedule.Summary
		}
		rows = append(rows, r)
	}
	var all map[string]any
	_ = json.Unmarshal(body, &all)
	return rows, all
}

func TestListOncalls(t *testing.T) {
	s, _ := withOncalls(t)
	now := []oncallRow{
		{"PEP2", 1, "Bobby Tables", "", "", ""},
		{"PEP1", 1, "Alice Adams", "Primary Rotation", "2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z"},
		{"PEP1", 2, "Bobby Tables", "Secondary", "2024-04-30T00:00:00Z", "2024-05-07T00:00:00Z"},
	}
	tests := []struct {
		name, query string
		want        []oncallRow
	}{
		// Policies by name: "Database Escalation" before "Primary On-call".
		{"now, every policy", "", now},
		{"one policy", "?escalation_policy_ids[]=PEP1&earliest=true", now[1:]},
		{"by schedule", "?schedule_ids[]=PSC1", now[1:2]},
		{"direct targets are schedule null", "?schedule_ids[]=null", now[:1]},
		{"by user", "?user_ids[]=PU3", []oncallRow{now[0], now[2]}},
		{"a range lists each shift", "?escalation_policy_ids[]=PEP1&since=2024-05-01T12:00:00Z&until=2024-05-03T01:00:00Z", []oncallRow{
			now[1],
			{"PEP1", 1, "Bob Brown", "Primary Rotation", "2024-05-02T00:00:00Z", "2024-05-03T00:00:00Z"},
			{"PEP1", 1, "Alice Adams", "Primary Rotation", "2024-05-03T00:00:00Z", "2024-05-04T00:00:00Z"},
			now[2],
		}},
		{"earliest keeps each user's first shift per level", "?escalation_policy_ids[]=PEP1&earliest=true&since=2024-05-01T12:00:00Z&until=2024-05-03T01:00:00Z", []oncallRow{
			now[1],
			{"PEP1", 1, "Bob Brown", "Primary Rotation", "2024-05-02T00:00:00Z", "2024-05-03T00:00:00Z"},
			now[2],
		}},
		{"nobody", "?escalation_policy_ids[]=PNOPE01", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := oncalls(t, s, tt.query)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("on-calls (-want +got):\n%s", diff)
			}
		})
	}

	_, page := oncalls(t, s, "?limit=1&total=true")
	if page["more"] != true || page["total"] != float64(3) {
		t.Errorf("limit=1&total=true: more %v, total %v", page["more"], page["total"])
	}
	for _, bad := range []string{"?since=2024-05-02T00:00:00Z&until=2024-05-01T00:00:00Z", "?until=2024-09-01T00:00:00Z", "?since=yesterday"} {
		resp, body := raw(t, s, acctKey, http.MethodGet, "/oncalls"+bad, nil, "")
		if bad == "?since=yesterday" {
			s.AllowInvalid() // the document refuses it before pdfake does
		}
		wantErrorResponse(t, resp, body, http.StatusBadRequest, 2001)
	}
}

func TestListSchedules(t *testing.T) {
	s, _ := withOncalls(t)
	resp, body := raw(t, s, acctKey, http.MethodGet, "/schedules?query=prim", nil, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	var page struct {
		Schedules []struct {
			ID, Name           string
			TimeZone           string                `json:"time_zone"`
			EscalationPolicies []struct{ ID string } `json:"escalation_policies"`
		}
	}
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Schedules) != 1 || page.Schedules[0].ID != "PSC1" || len(page.Schedules[0].EscalationPolicies) != 1 || page.Schedules[0].EscalationPolicies[0].ID != "PEP1" {
		t.Errorf("schedules = %s", body)
	}
	resp, body = raw(t, s, acctKey, http.MethodGet, "/schedules/PSC2", nil, "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"name":"Secondary"`) {
		t.Errorf("GET /schedules/PSC2: %d %s", resp.StatusCode, body)
	}
	resp, body = raw(t, s, acctKey, http.MethodGet, "/schedules/PNOPE01", nil, "")
	wantErrorResponse(t, resp, body, http.StatusNotFound, 2100)
}

// TestOncallResponsesMatchDocument validates the new answers against the
// document's response schemas.
func TestOncallResponsesMatchDocument(t *testing.T) {
	sp := pdfaketest.EnvSpec(t)
	if sp == nil {
		t.Skip("PDBOT_PD_OPENAPI unset: this test asserts OpenAPI validation, skipped")
	}
	for _, tt := range []struct{ path, template string }{
		{"/oncalls?earliest=true&escalation_policy_ids[]=PEP1&escalation_policy_ids[]=PEP2", "/oncalls"},
		{"/schedules?query=a&total=true", "/schedules"},
		{"/schedules/PSC1", "/schedules/{id}"},
		{"/incidents?statuses[]=triggered&statuses[]=acknowledged&user_ids[]=PU1&sort_by=urgency:desc,created_at:asc&total=true&date_range=all", "/incidents"},
	} {
		t.Run(tt.path, func(t *testing.T) {
			s, _ := withOncalls(t)
			requireValidation(t, s)
			resp, body := raw(t, s, acctKey, http.MethodGet, tt.path, nil, "")
			req, _ := http.NewRequest(http.MethodGet, s.URL()+tt.path, nil)
			if err := sp.ValidateResponse(req, tt.template, resp.StatusCode, resp.Header, body); err != nil {
				t.Errorf("%d response does not match the document: %v\nbody: %s", resp.StatusCode, err, body)
			}
		})
	}
}
