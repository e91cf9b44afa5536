package pdfake

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// Log entry types, as PagerDuty names them. The document's LogEntry schema
// lists most of them; PagerDuty also sends types it does not list
// (priority_change_log_entry, responder_request_log_entry), which clients
// such as PagerDuty's own integrations branch on.
const (
	TypeTrigger          = "trigger_log_entry"
	TypeAcknowledge      = "acknowledge_log_entry"
	TypeUnacknowledge    = "unacknowledge_log_entry"
	TypeResolve          = "resolve_log_entry"
	TypeAssign           = "assign_log_entry"
	TypeDelegate         = "delegate_log_entry" // reassigned to another escalation policy
	TypeEscalate         = "escalate_log_entry"
	TypeNotify           = "notify_log_entry"
	TypeAnnotate         = "annotate_log_entry" // a note
	TypeUrgencyChange    = "urgency_change_log_entry"
	TypeSnooze           = "snooze_log_entry"
	TypePriorityChange   = "priority_change_log_entry"   // not in the document's enum
	TypeResponderRequest = "responder_request_log_entry" // not in the document's enum
)

// Channel types: the means by which a change was made (a log entry's
// channel.type). The document says a service agent's channel is one of auto,
// email, api, nagios or timeout, and a user's one of email, sms, website,
// web_trigger or note; "mobile" for PagerDuty's mobile app is not in that
// list and is unverified.
const (
	ChannelAPI        = "api"         // the REST or Events API
	ChannelWebsite    = "website"     // the web app
	ChannelWebTrigger = "web_trigger" // an incident triggered in the web app
	ChannelMobile     = "mobile"      // the mobile app (unverified)
	ChannelEmail      = "email"
	ChannelSMS        = "sms"
	ChannelAuto       = "auto"    // PagerDuty itself (assignment by policy)
	ChannelTimeout    = "timeout" // escalation or acknowledgement timeouts
)

// LogEntry is one incident log entry as recorded (Server.LogEntries).
type LogEntry struct {
	ID, Type   string
	IncidentID string
	ServiceID  string
	// AgentID is the acting user's ID, or the service's ID when PagerDuty
	// itself acted (AgentType service_reference).
	AgentID, AgentType string
	Channel            string
	Summary            string
	// Note is the note of an annotate entry, or the resolution of a
	// resolve entry.
	Note string
	// Assignees are the users an assign, delegate, escalate or trigger entry
	// assigned the incident to; for a notify entry, the user notified.
	Assignees []string
	// CreatedAt is whole seconds, as PagerDuty reports it.
	CreatedAt time.Time
}

// logEntry is the server's copy of an entry.
type logEntry struct {
	LogEntry
	agentUser string // "" when the agent is the service
	overview  bool   // listed with is_overview=true
	seq       int    // creation order, to order entries within one second
}

// LogEntries returns the log entries of an incident ("" = all incidents) in
// the order they were made, oldest first.
func (s *Server) LogEntries(incidentID string) []LogEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []LogEntry
	for _, e := range s.logEntries {
		if incidentID == "" || e.IncidentID == incidentID {
			le := e.LogEntry
			le.Assignees = slices.Clone(le.Assignees)
			out = append(out, le)
		}
	}
	return out
}

// entryTime is now in whole seconds: PagerDuty's log entry times have no
// fraction. The caller holds s.mu.
func (s *Server) entryTime() time.Time {
	return s.now().UTC().Truncate(time.Second)
}

// logEntryDraft is an entry applyUpdate and the test API queue on an
// incident; commitLog records it once the change is committed.
type logEntryDraft struct {
	typ       string
	agentUser string // "" = the incident's service
	channel   string
	summary   string
	note      string
	assignees []string
	overview  bool
}

// queue adds an entry to st's pending ones. The caller holds s.mu.
func (st *incidentState) queue(d logEntryDraft) {
	d.assignees = slices.Clone(d.assignees)
	st.pending = append(st.pending, d)
}

// commitLog records st's pending entries. The caller holds s.mu.
func (s *Server) commitLog(st *incidentState) {
	at := s.entryTime()
	for _, d := range st.pending {
		s.logSeq++
		e := &logEntry{
			LogEntry: LogEntry{
				ID: s.newID("Q", 14), Type: d.typ, IncidentID: st.ID, ServiceID: st.ServiceID,
				AgentID: d.agentUser, AgentType: "user_reference", Channel: d.channel,
				Summary: d.summary, Note: d.note, Assignees: d.assignees, CreatedAt: at,
			},
			agentUser: d.agentUser,
			overview:  d.overview,
			seq:       s.logSeq,
		}
		if d.agentUser == "" {
			e.AgentID, e.AgentType = st.ServiceID, "service_reference"
		}
		s.logEntries = append(s.logEntries, e)
	}
	st.pending = nil
}

// userName is a user's name for summaries. The caller holds s.mu.
func (s *Server) userName(id string) string {
	if u, ok := s.users[id]; ok && u.Name != "" {
		return u.Name
	}
	return id
}

func (s *Server) userNames(ids []string) string {
	names := make([]string, 0, len(ids))
	for _, id := range ids {
		names = append(names, s.userName(id))
	}
	return strings.Join(names, ", ")
}

// byWhom is " by NAME" for a user, "" for PagerDuty itself.
func (s *Server) byWhom(user string) string {
	if user == "" {
		return ""
	}
	return " by " + s.userName(user)
}

// logQuery is the parsed query of a log entry listing.
type logQuery struct {
	page         page
	since, until time.Time
	overview     bool
	include      []string
	loc          *time.Location
	teams        bool // team_ids[] given: no entry here has a team
}

func parseLogQuery(c *call) (logQuery, *apiError) {
	q := c.r.URL.Query()
	lq := logQuery{loc: time.UTC, include: q["include[]"], teams: len(q["team_ids[]"]) > 0}
	p, apiErr := parsePage(q)
	if apiErr != nil {
		return lq, apiErr
	}
	lq.page = p
	parse := func(name string) (time.Time, *apiError) {
		v := q.Get(name)
		if v == "" {
			return time.Time{}, nil
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return time.Time{}, &apiError{status: http.StatusBadRequest, code: 2004,
				message: "Invalid 'since' or 'until' Parameter Values", errors: []string{name + " must be an ISO 8601 date-time"}}
		}
		return t, nil
	}
	if lq.since, apiErr = parse("since"); apiErr != nil {
		return lq, apiErr
	}
	if lq.until, apiErr = parse("until"); apiErr != nil {
		return lq, apiErr
	}
	if !lq.since.IsZero() && !lq.until.IsZero() && lq.until.Before(lq.since) {
		return lq, &apiError{status: http.StatusBadRequest, code: 2005, message: "Invalid Query Date Range",
			errors: []string{"until must not be before since"}}
	}
	lq.overview = q.Get("is_overview") == "true"
	if tz := q.Get("time_zone"); tz != "" {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			return lq, errInvalid("time_zone is not a known time zone")
		}
		lq.loc = loc
	}
	return lq, nil
}

// keep reports whether e is in the query's range: since is inclusive, until
// exclusive (PagerDuty documents neither; the bot must overlap and
// de-duplicate anyway).
func (lq logQuery) keep(e *logEntry) bool {
	switch {
	case lq.teams:
		return false
	case !lq.since.IsZero() && e.CreatedAt.Before(lq.since):
		return false
	case !lq.until.IsZero() && !e.CreatedAt.Before(lq.until):
		return false
	case lq.overview && !e.overview:
		return false
	}
	return true
}

// listed returns the entries a query selects, newest first. The caller holds s.mu.
func (s *Server) listed(lq logQuery, incidentID string) []obj {
	var picked []*logEntry
	for _, e := range s.logEntries {
		if (incidentID == "" || e.IncidentID == incidentID) && lq.keep(e) {
			picked = append(picked, e)
		}
	}
	slices.SortFunc(picked, func(a, b *logEntry) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return b.seq - a.seq
	})
	out := make([]obj, 0, len(picked))
	for _, e := range picked {
		out = append(out, s.renderLogEntry(e, lq))
	}
	return out
}

func (s *Server) listLogEntries(c *call) (response, *apiError) {
	lq, apiErr := parseLogQuery(c)
	if apiErr != nil {
		return response{}, apiErr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return response{http.StatusOK, paginate(lq.page, "log_entries", s.listed(lq, ""))}, nil
}

func (s *Server) listIncidentLogEntries(c *call) (response, *apiError) {
	lq, apiErr := parseLogQuery(c)
	if apiErr != nil {
		return response{}, apiErr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, apiErr := s.lookupIncident(c.params["id"], false)
	if apiErr != nil {
		return response{}, apiErr
	}
	return response{http.StatusOK, paginate(lq.page, "log_entries", s.listed(lq, st.ID))}, nil
}

func (s *Server) getLogEntry(c *call) (response, *apiError) {
	lq, apiErr := parseLogQuery(c)
	if apiErr != nil {
		return response{}, apiErr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.logEntries {
		if e.ID == c.params["id"] {
			return response{http.StatusOK, obj{"log_entry": s.renderLogEntry(e, lq)}}, nil
		}
	}
	return response{}, errNotFound()
}

// renderLogEntry renders e as the document's examples do; include[] swaps
// the incident and service references for the full objects. The caller
// holds s.mu.
func (s *Server) renderLogEntry(e *logEntry, lq logQuery) obj {
	st := s.incidents[e.IncidentID]
	agent := s.serviceRef(e.ServiceID)
	if e.agentUser != "" {
		agent = s.userRef(e.agentUser)
	}
	incident := obj{
		"id": e.IncidentID, "type": "incident_reference",
		"self": s.URL() + "/incidents/" + e.IncidentID, "html_url": s.webURL + "/incidents/" + e.IncidentID,
	}
	if st != nil {
		incident = s.incidentRef(st)
		if slices.Contains(lq.include, "incidents") {
			incident = s.renderIncident(st)
		}
	}
	service := s.serviceRef(e.ServiceID)
	if sv, ok := s.services[e.ServiceID]; ok && slices.Contains(lq.include, "services") {
		service = s.renderService(sv, nil)
	}
	out := obj{
		"id": e.ID, "type": e.Type, "summary": e.Summary,
		"self":       s.URL() + "/log_entries/" + e.ID,
		"html_url":   s.webURL + "/incidents/" + e.IncidentID + "/log_entries/" + e.ID,
		"created_at": e.CreatedAt.In(lq.loc).Format(time.RFC3339),
		"agent":      agent,
		"channel":    obj{"type": e.Channel},
		"service":    service,
		"incident":   incident,
		"teams":      []any{},
		"contexts":   []any{},
	}
	if e.Note != "" {
		out["note"] = e.Note
	}
	switch e.Type {
	case TypeAssign, TypeDelegate, TypeEscalate:
		assignees := []any{}
		for _, u := range e.Assignees {
			assignees = append(assignees, s.userRef(u))
		}
		out["assignees"] = assignees
	case TypeNotify:
		if len(e.Assignees) > 0 {
			out["user"] = s.userRef(e.Assignees[0])
		}
	case TypeTrigger:
		if st != nil {
			out["event_details"] = obj{"description": st.Title}
		}
	}
	return out
}
