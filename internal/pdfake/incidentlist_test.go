package pdfake_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pdbot/pdbot/internal/pdfake"
)

// withOpenIncidents is newSeeded on a fixed clock with more incidents:
// #104 low, 2 h old, triggered, on PSV2, assigned to PU2; #105 high, 40 days
// old, acknowledged, on PSV1, assigned to PU2.
func withOpenIncidents(t *testing.T) *pdfake.Server {
	t.Helper()
	clock := newFakeClock()
	s := newSeededWith(t, pdfake.Options{Now: clock.Now})
	s.AddService(pdfake.Service{ID: "PSV2", Name: "Database", EscalationPolicyID: "PEP2"})
	s.AddIncident(pdfake.Incident{ID: "PINC004", Number: 104, Title: "Disk", Urgency: "low", ServiceID: "PSV2",
		Assignees: []string{"PU2"}, CreatedAt: clock.Now().Add(-2 * time.Hour)})
	s.AddIncident(pdfake.Incident{ID: "PINC005", Number: 105, Title: "Old and open", Status: "acknowledged", ServiceID: "PSV1",
		Assignees: []string{"PU2"}, CreatedAt: clock.Now().Add(-40 * 24 * time.Hour)})
	return s
}

func listNumbers(t *testing.T, s *pdfake.Server, query string) ([]int, map[string]any) {
	t.Helper()
	resp, body := raw(t, s, acctKey, http.MethodGet, "/incidents"+query, nil, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /incidents%s: %d %s", query, resp.StatusCode, body)
	}
	var page struct {
		Incidents []struct {
			Number int `json:"incident_number"`
		}
	}
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, in := range page.Incidents {
		out = append(out, in.Number)
	}
	var all map[string]any
	_ = json.Unmarshal(body, &all)
	return out, all
}

func TestListIncidents(t *testing.T) {
	s := withOpenIncidents(t)
	open := "?statuses[]=triggered&statuses[]=acknowledged"
	tests := []struct {
		name, query string
		want        []int
	}{
		{"the last month by default, oldest first", "", []int{104, 101, 102, 103}},
		{"date_range=all reaches older ones", "?date_range=all", []int{105, 104, 101, 102, 103}},
		{"open only", open + "&date_range=all", []int{105, 104, 101, 102}},
		{"assigned to a user", open + "&date_range=all&user_ids[]=PU2", []int{105, 104}},
		{"assigned is open only", "?date_range=all&statuses[]=resolved&user_ids[]=PU1", nil},
		{"on a service", "?date_range=all&service_ids[]=PSV2", []int{104}},
		{"by urgency", "?date_range=all&urgencies[]=low", []int{104}},
		{"sort_by two fields", "?date_range=all&sort_by=urgency:desc,incident_number:desc", []int{105, 103, 102, 101, 104}},
		{"sort_by number", "?date_range=all&sort_by=incident_number", []int{101, 102, 103, 104, 105}},
		{"since and until", "?since=2024-05-01T09:00:00Z&until=2024-05-01T11:00:00Z", []int{104}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := listNumbers(t, s, tt.query)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("incidents (-want +got):\n%s", diff)
			}
		})
	}

	got, page := listNumbers(t, s, open+"&date_range=all&limit=2&offset=1&total=true")
	if diff := cmp.Diff([]int{104, 101}, got); diff != "" || page["more"] != true || page["total"] != float64(4) {
		t.Errorf("second page: %v, more %v, total %v", got, page["more"], page["total"])
	}
	got, page = listNumbers(t, s, open+"&date_range=all&limit=2&offset=2")
	if diff := cmp.Diff([]int{101, 102}, got); diff != "" || page["more"] != false || page["total"] != nil {
		t.Errorf("last page: %v, more %v, total %v", got, page["more"], page["total"])
	}
	for _, bad := range []string{"?sort_by=title", "?sort_by=created_at:up", "?since=2024-01-01T00:00:00Z&until=2024-09-01T00:00:00Z", "?since=2024-05-02T00:00:00Z&until=2024-05-01T00:00:00Z"} {
		resp, body := raw(t, s, acctKey, http.MethodGet, "/incidents"+bad, nil, "")
		wantErrorResponse(t, resp, body, http.StatusBadRequest, 2001)
	}
}
