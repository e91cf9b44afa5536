package pdfake_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/google/go-cmp/cmp"

	"github.com/pdbot/pdbot/internal/pdfake"
	"github.com/pdbot/pdbot/internal/pdfake/pdfaketest"
)

// t0 is the start of every clocked test; its fraction shows that entries
// carry whole seconds.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 400_000_000, time.UTC)

// newClocked is newSeeded on a clock the test moves.
func newClocked(t *testing.T) (*pdfake.Server, *pdfake.Clock) {
	t.Helper()
	clk := pdfake.NewClock(t0)
	s := pdfaketest.NewWith(t, pdfake.Options{Now: clk.Now})
	seed(s)
	return s, clk
}

// entry is what a test compares of a go-pagerduty log entry.
type entry struct {
	Type, Agent, AgentType, Channel, Incident, Summary string
}

func entriesOf(les []pagerduty.LogEntry) []entry {
	var out []entry
	for _, le := range les {
		out = append(out, entry{le.Type, le.Agent.ID, le.Agent.Type, le.Channel.Type, le.Incident.ID, le.Summary})
	}
	return out
}

func listLog(t *testing.T, s *pdfake.Server, o pagerduty.ListLogEntriesOptions) *pagerduty.ListLogEntryResponse {
	t.Helper()
	resp, err := client(s, acctKey).ListLogEntriesWithContext(ctx(t), o)
	if err != nil {
		t.Fatalf("list log entries: %v", err)
	}
	return resp
}

// TestRESTWritesMakeLogEntries checks each write pdbot makes through the
// REST API leaves the entry PagerDuty records: agent the From user, channel
// api, newest first.
func TestRESTWritesMakeLogEntries(t *testing.T) {
	s, clk := newClocked(t)
	c := client(s, acctKey)
	ack := []pagerduty.ManageIncidentsOptions{{ID: "PINC001", Status: "acknowledged"}}
	if _, err := c.ManageIncidentsWithContext(ctx(t), aliceMail, ack); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	if _, err := c.CreateIncidentNoteWithContext(ctx(t), "PINC001", pagerduty.IncidentNote{Content: "looking", User: pagerduty.APIObject{Summary: aliceMail}}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	if _, err := c.ResponderRequestWithContext(ctx(t), "PINC001", pagerduty.ResponderRequestOptions{
		From: aliceMail, RequesterID: "PU1", Message: "help",
		Targets: []pagerduty.ResponderRequestTargetWrapper{{Target: pagerduty.ResponderRequestTarget{APIObject: pagerduty.APIObject{ID: "PEP2", Type: "escalation_policy_reference"}}}},
	}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	reassign := []pagerduty.ManageIncidentsOptions{{ID: "PINC001", Assignments: []pagerduty.Assignee{{Assignee: pagerduty.APIObject{ID: "PU2", Type: "user_reference"}}}}}
	if _, err := c.ManageIncidentsWithContext(ctx(t), aliceMail, reassign); err != nil {
		t.Fatal(err)
	}
	policy := []pagerduty.ManageIncidentsOptions{{ID: "PINC001", EscalationPolicy: &pagerduty.APIReference{ID: "PEP2", Type: "escalation_policy_reference"}}}
	if _, err := c.ManageIncidentsWithContext(ctx(t), bobMail, policy); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	resolve := `{"incident":{"type":"incident_reference","status":"resolved","resolution":"rolled back","urgency":"low"}}`
	if resp, body := raw(t, s, acctKey, http.MethodPut, "/incidents/PINC001", map[string]string{"From": aliceMail}, resolve); resp.StatusCode != 200 {
		t.Fatalf("resolve: %d %s", resp.StatusCode, body)
	}

	got := listLog(t, s, pagerduty.ListLogEntriesOptions{Since: t0.Format(time.RFC3339)})
	want := []entry{
		{"resolve_log_entry", "PU1", "user_reference", "api", "PINC001", "Resolved by Alice Adams"},
		{"urgency_change_log_entry", "PU1", "user_reference", "api", "PINC001", "Urgency changed to low by Alice Adams"},
		{"delegate_log_entry", "PU2", "user_reference", "api", "PINC001", "Reassigned to Database Escalation by Bob Brown"},
		{"assign_log_entry", "PU1", "user_reference", "api", "PINC001", "Assigned to Bob Brown by Alice Adams"},
		{"responder_request_log_entry", "PU1", "user_reference", "api", "PINC001", "Alice Adams requested additional responders: Database Escalation"},
		{"annotate_log_entry", "PU1", "user_reference", "api", "PINC001", "Note added by Alice Adams"},
		{"acknowledge_log_entry", "PU1", "user_reference", "api", "PINC001", "Acknowledged by Alice Adams"},
	}
	if diff := cmp.Diff(want, entriesOf(got.LogEntries)); diff != "" {
		t.Errorf("log entries (-want +got):\n%s", diff)
	}
	for _, le := range got.LogEntries {
		if at, err := time.Parse(time.RFC3339, le.CreatedAt); err != nil || at.Nanosecond() != 0 || strings.Contains(le.CreatedAt, ".") {
			t.Errorf("created_at %q is not whole seconds in RFC 3339", le.CreatedAt)
		}
		if len(le.ID) != 14 || le.ID[0] != 'Q' {
			t.Errorf("id %q is not 14 characters starting with Q", le.ID)
		}
	}
	if got.LogEntries[0].CreatedAt != "2026-03-01T12:00:04Z" {
		t.Errorf("newest entry at %s, want 2026-03-01T12:00:04Z", got.LogEntries[0].CreatedAt)
	}
	recorded := s.LogEntries("PINC001")
	if n := len(recorded); n != len(want) || recorded[0].Type != pdfake.TypeAcknowledge || recorded[n-1].Note != "rolled back" {
		t.Errorf("Server.LogEntries = %+v, want the same entries oldest first, the resolution as the resolve entry's note", recorded)
	}

	// The incident's own listing holds the same, and nothing of PINC002.
	inc, err := c.ListIncidentLogEntriesWithContext(ctx(t), "PINC001", pagerduty.ListIncidentLogEntriesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, entriesOf(inc.LogEntries)); diff != "" {
		t.Errorf("incident log entries (-want +got):\n%s", diff)
	}
}

// TestFailedWritesMakeNoLogEntries: a refused update, and a bulk update with
// one bad item, leave no entry.
func TestFailedWritesMakeNoLogEntries(t *testing.T) {
	s, _ := newClocked(t)
	c := client(s, acctKey)
	bulk := []pagerduty.ManageIncidentsOptions{{ID: "PINC001", Status: "acknowledged"}, {ID: "Q1R2DLCB21K7NP", Status: "resolved"}}
	if _, err := c.ManageIncidentsWithContext(ctx(t), aliceMail, bulk); err == nil {
		t.Fatal("resolving a resolved incident in a bulk update succeeded")
	}
	if got := s.LogEntries(""); len(got) != 0 {
		t.Errorf("entries after failed writes: %+v", got)
	}
}

// TestLogEntriesSinceUntilAndPages checks since is inclusive, until
// exclusive, and classic offset pagination newest first.
func TestLogEntriesSinceUntilAndPages(t *testing.T) {
	s, clk := newClocked(t)
	for i := range 5 { // one note a second: 12:00:00 … 12:00:04
		if _, err := s.AddNoteAs("PINC001", pdfake.FromWeb("PU1"), "n"+strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Second)
	}
	at := func(sec int) string { return time.Date(2026, 3, 1, 12, 0, sec, 0, time.UTC).Format(time.RFC3339) }
	notes := func(les []pagerduty.LogEntry) []string {
		var out []string
		for _, le := range les {
			out = append(out, le.CreatedAt[len(le.CreatedAt)-3:len(le.CreatedAt)-1])
		}
		return out
	}
	tests := []struct {
		name string
		o    pagerduty.ListLogEntriesOptions
		want []string
		more bool
	}{
		{"since is inclusive", pagerduty.ListLogEntriesOptions{Since: at(3)}, []string{"04", "03"}, false},
		{"until is exclusive", pagerduty.ListLogEntriesOptions{Since: at(1), Until: at(3)}, []string{"02", "01"}, false},
		{"first page", pagerduty.ListLogEntriesOptions{Limit: 2, Total: true}, []string{"04", "03"}, true},
		{"second page", pagerduty.ListLogEntriesOptions{Limit: 2, Offset: 2}, []string{"02", "01"}, true},
		{"last page", pagerduty.ListLogEntriesOptions{Limit: 2, Offset: 4}, []string{"00"}, false},
		{"since with an offset", pagerduty.ListLogEntriesOptions{Since: "2026-03-01T13:00:02+01:00"}, []string{"04", "03", "02"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := listLog(t, s, tt.o)
			if diff := cmp.Diff(tt.want, notes(got.LogEntries)); diff != "" {
				t.Errorf("seconds (-want +got):\n%s", diff)
			}
			if got.More != tt.more {
				t.Errorf("more = %v, want %v", got.More, tt.more)
			}
			if tt.o.Total && got.Total != 5 {
				t.Errorf("total = %d, want 5", got.Total)
			}
		})
	}

	t.Run("time_zone renders local times", func(t *testing.T) {
		if _, err := time.LoadLocation("Europe/Paris"); err != nil {
			t.Skip("no time zone data")
		}
		got := listLog(t, s, pagerduty.ListLogEntriesOptions{Limit: 1, TimeZone: "Europe/Paris"})
		if got.LogEntries[0].CreatedAt != "2026-03-01T13:00:04+01:00" {
			t.Errorf("created_at = %q, want 2026-03-01T13:00:04+01:00", got.LogEntries[0].CreatedAt)
		}
	})
	t.Run("until before since", func(t *testing.T) {
		_, err := client(s, acctKey).ListLogEntriesWithContext(ctx(t), pagerduty.ListLogEntriesOptions{Since: at(3), Until: at(1)})
		wantAPIError(t, err, http.StatusBadRequest, 2005)
	})
}

// TestChangesOutsideSlack drives the test API and checks each change's
// entry: who (a user, or the service for PagerDuty itself), through what.
func TestChangesOutsideSlack(t *testing.T) {
	s, clk := newClocked(t)
	s.AddPriority(pdfake.Priority{ID: "PPRIO01", Name: "P1"})
	in, err := s.TriggerIncident("PSV1", "Disk full", "low", pdfake.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	id := in.ID
	steps := []struct {
		name string
		do   func() error
		want []entry // newest first
	}{
		{"trigger", func() error { return nil }, []entry{
			{"notify_log_entry", "PSV1", "service_reference", "auto", id, "Notified Alice Adams"},
			{"assign_log_entry", "PSV1", "service_reference", "auto", id, "Assigned to Alice Adams"},
			{"trigger_log_entry", "PSV1", "service_reference", "api", id, "Triggered through the API"},
		}},
		{"acknowledge from mobile", func() error { return s.Acknowledge(id, pdfake.FromMobile("PU2")) }, []entry{
			{"acknowledge_log_entry", "PU2", "user_reference", "mobile", id, "Acknowledged by Bob Brown"},
		}},
		{"acknowledgement times out", func() error { return s.Unacknowledge(id, pdfake.Actor{}) }, []entry{
			{"unacknowledge_log_entry", "PSV1", "service_reference", "timeout", id, "Unacknowledged"},
		}},
		{"escalate", func() error { return s.Escalate(id, "PU3") }, []entry{
			{"notify_log_entry", "PSV1", "service_reference", "auto", id, "Notified Bobby Tables"},
			{"escalate_log_entry", "PSV1", "service_reference", "timeout", id, "Escalated to Bobby Tables"},
		}},
		{"note from the web", func() error { _, err := s.AddNoteAs(id, pdfake.FromWeb("PU1"), "on it"); return err }, []entry{
			{"annotate_log_entry", "PU1", "user_reference", "website", id, "Note added by Alice Adams"},
		}},
		{"reassign", func() error { return s.Reassign(id, pdfake.FromWeb("PU1"), "PU2") }, []entry{
			{"assign_log_entry", "PU1", "user_reference", "website", id, "Assigned to Bob Brown by Alice Adams"},
		}},
		{"priority", func() error { return s.ChangePriority(id, pdfake.FromWeb("PU1"), "PPRIO01") }, []entry{
			{"priority_change_log_entry", "PU1", "user_reference", "website", id, "Priority changed to P1 by Alice Adams"},
		}},
		{"urgency", func() error { return s.ChangeUrgency(id, pdfake.FromAPI("PU1"), "high") }, []entry{
			{"urgency_change_log_entry", "PU1", "user_reference", "api", id, "Urgency changed to high by Alice Adams"},
		}},
		{"resolve from the web", func() error { return s.Resolve(id, pdfake.FromWeb("PU2"), "freed space") }, []entry{
			{"resolve_log_entry", "PU2", "user_reference", "website", id, "Resolved by Bob Brown"},
		}},
		{"reopen", func() error { return s.Reopen(id, pdfake.FromWeb("PU1")) }, []entry{
			{"trigger_log_entry", "PU1", "user_reference", "website", id, "Reopened by Alice Adams"},
		}},
		{"merge", func() error { return s.MergeIncidents("PINC001", pdfake.FromWeb("PU1"), id) }, []entry{
			{"resolve_log_entry", "PU1", "user_reference", "website", id, "Resolved by Alice Adams (merged into #101)"},
		}},
	}
	for _, st := range steps {
		since := clk.Advance(time.Minute).Truncate(time.Second)
		if st.name == "trigger" {
			since = t0.Truncate(time.Second)
		}
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		got := listLog(t, s, pagerduty.ListLogEntriesOptions{Since: since.Format(time.RFC3339)})
		if diff := cmp.Diff(st.want, entriesOf(got.LogEntries)); diff != "" {
			t.Errorf("%s: entries since %s (-want +got):\n%s", st.name, since.Format(time.RFC3339), diff)
		}
	}

	got, _ := s.Incident(id)
	if got.Status != "resolved" || got.MergedInto != "PINC001" || got.PriorityID != "PPRIO01" || got.Urgency != "high" {
		t.Errorf("incident after the changes: %+v", got)
	}
	inc, err := client(s, acctKey).GetIncidentWithContext(ctx(t), id)
	if err != nil {
		t.Fatal(err)
	}
	if inc.Priority == nil || inc.Priority.Name != "P1" || inc.ResolveReason.Incident.ID != "PINC001" {
		t.Errorf("GET /incidents: priority %+v, resolve_reason %+v", inc.Priority, inc.ResolveReason)
	}

	// The overview leaves out PagerDuty's assignments and notifications.
	over := listLog(t, s, pagerduty.ListLogEntriesOptions{IsOverview: true, Limit: 100})
	for _, le := range over.LogEntries {
		if le.Type == "notify_log_entry" || (le.Type == "assign_log_entry" && le.Agent.Type == "service_reference") {
			t.Errorf("is_overview listed %s %q", le.Type, le.Summary)
		}
	}
	if all := listLog(t, s, pagerduty.ListLogEntriesOptions{Limit: 100}); len(over.LogEntries) >= len(all.LogEntries) {
		t.Errorf("overview has %d entries, all %d", len(over.LogEntries), len(all.LogEntries))
	}
}

func TestChangesOutsideSlackRefused(t *testing.T) {
	s, _ := newClocked(t)
	tests := []struct {
		name string
		do   func() error
	}{
		{"unknown incident", func() error { return s.Acknowledge("PNOPE00", pdfake.FromMobile("PU1")) }},
		{"unknown user", func() error { return s.Acknowledge("PINC001", pdfake.FromMobile("PNOBODY")) }},
		{"unknown service", func() error { _, err := s.TriggerIncident("PNOPE00", "x", "", pdfake.Actor{}); return err }},
		{"reopen an open incident", func() error { return s.Reopen("PINC001", pdfake.FromWeb("PU1")) }},
		{"resolve a resolved incident", func() error { return s.Resolve("Q1R2DLCB21K7NP", pdfake.FromWeb("PU1"), "") }},
		{"merge open into resolved", func() error { return s.MergeIncidents("Q1R2DLCB21K7NP", pdfake.FromWeb("PU1"), "PINC001") }},
		{"unknown priority", func() error { return s.ChangePriority("PINC001", pdfake.FromWeb("PU1"), "PNOPE00") }},
	}
	for _, tt := range tests {
		if err := tt.do(); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
	if got := s.LogEntries(""); len(got) != 0 {
		t.Errorf("refused changes made entries: %+v", got)
	}
}

func TestGetLogEntry(t *testing.T) {
	s, _ := newClocked(t)
	if err := s.Acknowledge("PINC001", pdfake.FromMobile("PU2")); err != nil {
		t.Fatal(err)
	}
	id := s.LogEntries("PINC001")[0].ID
	le, err := client(s, acctKey).GetLogEntryWithContext(ctx(t), id, pagerduty.GetLogEntryOptions{Includes: []string{"incidents"}})
	if err != nil {
		t.Fatal(err)
	}
	if le.ID != id || le.Type != "acknowledge_log_entry" || le.Incident.Status != "acknowledged" || le.Incident.Title != "Checkout is down" {
		t.Errorf("log entry %+v", le)
	}
	_, err = client(s, acctKey).GetLogEntryWithContext(ctx(t), "Q0000000000000", pagerduty.GetLogEntryOptions{})
	wantAPIError(t, err, http.StatusNotFound, 2100)
	_, err = client(s, acctKey).ListIncidentLogEntriesWithContext(ctx(t), "PNOPE00", pagerduty.ListIncidentLogEntriesOptions{})
	wantAPIError(t, err, http.StatusNotFound, 2100)
}
