package pdapi_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pdbot/pdbot/internal/pdapi"
	"github.com/pdbot/pdbot/internal/pdfake"
)

func TestListOnCalls(t *testing.T) {
	s := withLongIDs(t)
	s.AddSchedule(pdfake.Schedule{ID: "PSCHED1", Name: "Primary Rotation"})
	start := time.Now().Add(-time.Hour)
	s.AddOnCall(pdfake.OnCall{PolicyID: "PEPOLI1", Level: 1, ScheduleID: "PSCHED1", UserIDs: []string{"PUSER01"}, Start: start, Shift: 24 * time.Hour})
	s.AddOnCall(pdfake.OnCall{PolicyID: "PEPOLI2", Level: 2, UserIDs: []string{"PUSER02"}})
	c := fakeClient(s, "")
	got, err := c.ListOnCalls(context.Background(), pdapi.OnCallsOf{PolicyIDs: []string{"PEPOLI1", "PEPOLI2"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].User.Summary != "Bob Brown" || got[0].Level != 2 || got[0].End != "" ||
		got[1].User.Summary != "Alice Adams" || got[1].Schedule == nil || got[1].End == "" {
		t.Errorf("on-calls = %+v", got)
	}
	rs := s.Requests()
	if q := rs[len(rs)-1].RawQuery; q != "earliest=true&escalation_policy_ids%5B%5D=PEPOLI1&escalation_policy_ids%5B%5D=PEPOLI2&limit=100&offset=0" {
		t.Errorf("query %s", q)
	}
	if got, err := c.ListOnCalls(context.Background(), pdapi.OnCallsOf{ScheduleIDs: []string{"PSCHED1"}}); err != nil || len(got) != 1 {
		t.Errorf("by schedule: %+v, %v", got, err)
	}
	before := len(s.Requests())
	for _, of := range []pdapi.OnCallsOf{{}, {PolicyIDs: []string{"../x"}}, {ScheduleIDs: []string{"P1?x=1"}}} {
		if _, err := c.ListOnCalls(context.Background(), of); err == nil {
			t.Errorf("%+v was accepted", of)
		}
	}
	if len(s.Requests()) != before {
		t.Error("a refused query reached PagerDuty")
	}
}

func TestListOpenIncidents(t *testing.T) {
	s := withLongIDs(t)
	for i := range 130 {
		s.AddIncident(pdfake.Incident{ID: fmt.Sprintf("Q%013d", i), Title: "noise", ServiceID: "PSERVI1", Assignees: []string{"PUSER02"},
			CreatedAt: time.Now().Add(-time.Duration(200-i) * time.Minute)})
	}
	c := fakeClient(s, "")
	incs, total, err := c.ListOpenIncidents(context.Background(), pdapi.OpenIncidents{UserIDs: []string{"PUSER02"}, Max: 120})
	if err != nil {
		t.Fatal(err)
	}
	if len(incs) != 120 || total != 130 || incs[0].ID != "Q0000000000000" {
		t.Errorf("%d incidents (first %s), total %d; want 120 oldest first, total 130", len(incs), incs[0].ID, total)
	}
	incs, total, err = c.ListOpenIncidents(context.Background(), pdapi.OpenIncidents{ServiceIDs: []string{"PSERVI1"}})
	if err != nil || len(incs) != 1 || total != 130 {
		t.Errorf("one page: %d incidents, total %d, %v", len(incs), total, err)
	}
}

// withLongIDs is newSeeded with objects whose IDs pdbot's allow-list takes
// (P and six more).
func withLongIDs(t *testing.T) *pdfake.Server {
	t.Helper()
	s := newSeeded(t)
	s.AddUser(pdfake.User{ID: "PUSER01", Name: "Alice Adams", Email: "alice2@example.com"})
	s.AddUser(pdfake.User{ID: "PUSER02", Name: "Bob Brown", Email: "bob2@example.com"})
	s.AddEscalationPolicy(pdfake.EscalationPolicy{ID: "PEPOLI1", Name: "Primary"})
	s.AddEscalationPolicy(pdfake.EscalationPolicy{ID: "PEPOLI2", Name: "Database"})
	s.AddService(pdfake.Service{ID: "PSERVI1", Name: "Orders", EscalationPolicyID: "PEPOLI1"})
	return s
}
