package pdfake

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Actor is who changes an incident outside pdbot (the test API below), and
// through what: a user of the web or mobile app, or PagerDuty itself.
type Actor struct {
	// UserID is the acting user; "" means PagerDuty itself, whose log
	// entries name the incident's service as their agent.
	UserID string
	// Channel is the means (ChannelMobile, ChannelWebsite, …); "" means
	// ChannelWebsite for a user and ChannelAuto for PagerDuty.
	Channel string
}

// FromMobile is user acting in PagerDuty's mobile app.
func FromMobile(user string) Actor { return Actor{UserID: user, Channel: ChannelMobile} }

// FromWeb is user acting in PagerDuty's web app.
func FromWeb(user string) Actor { return Actor{UserID: user, Channel: ChannelWebsite} }

// FromAPI is user acting through the REST API, as another integration would.
func FromAPI(user string) Actor { return Actor{UserID: user, Channel: ChannelAPI} }

func (a Actor) channel() string {
	switch {
	case a.Channel != "":
		return a.Channel
	case a.UserID == "":
		return ChannelAuto
	}
	return ChannelWebsite
}

// ErrNotFound is returned by the test API for an unknown incident, user,
// service, policy or priority.
var ErrNotFound = errors.New("pdfake: not found")

// change applies fn to a copy of incident id and commits it with its log
// entries, as a REST write does; fn's *apiError becomes an error.
func (s *Server) change(id string, by Actor, fn func(st *incidentState) *apiError) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if by.UserID != "" {
		if _, ok := s.users[by.UserID]; !ok {
			return fmt.Errorf("user %q: %w", by.UserID, ErrNotFound)
		}
	}
	orig, ok := s.incidents[id]
	if !ok {
		return fmt.Errorf("incident %q: %w", id, ErrNotFound)
	}
	next := orig.clone()
	if apiErr := fn(next); apiErr != nil {
		return fmt.Errorf("pdfake: %s: %v", apiErr.message, apiErr.errors)
	}
	s.incidents[id] = next
	s.commitLog(next)
	return nil
}

func (s *Server) update(id string, by Actor, u incidentUpdate) error {
	return s.change(id, by, func(st *incidentState) *apiError {
		return s.applyUpdate(st, u, by.UserID, by.channel())
	})
}

// TriggerIncident opens an incident on a service as PagerDuty's Events API
// would (by.UserID ""; agent the service, channel api, "Triggered through the
// API") or as a user in the web app (channel web_trigger). urgency "" means
// high. The incident is assigned through the service's escalation policy,
// which adds an assign entry and a notify entry per assignee (both left out
// of is_overview listings). It returns the new incident.
func (s *Server) TriggerIncident(serviceID, title, urgency string, by Actor) (Incident, error) {
	if urgency == "" {
		urgency = "high"
	}
	if urgency != "high" && urgency != "low" {
		return Incident{}, fmt.Errorf("pdfake: urgency %q is not high or low", urgency)
	}
	s.mu.Lock()
	sv, ok := s.services[serviceID]
	_, userOK := s.users[by.UserID]
	s.mu.Unlock()
	switch {
	case !ok:
		return Incident{}, fmt.Errorf("service %q: %w", serviceID, ErrNotFound)
	case by.UserID != "" && !userOK:
		return Incident{}, fmt.Errorf("user %q: %w", by.UserID, ErrNotFound)
	}
	s.mu.Lock()
	id := s.newID("Q", 14)
	assignees := slices.Clone(s.policies[sv.EscalationPolicyID].UserIDs)
	s.mu.Unlock()
	s.AddIncident(Incident{ID: id, Title: title, Urgency: urgency, ServiceID: serviceID, Assignees: assignees})

	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.incidents[id]
	st.lastChangeByUsr = by.UserID
	channel, summary := ChannelAPI, "Triggered through the API"
	if by.UserID != "" {
		channel = by.Channel
		if channel == "" {
			channel = ChannelWebTrigger
		}
		summary = "Triggered through the website" + s.byWhom(by.UserID)
	}
	st.queue(logEntryDraft{typ: TypeTrigger, agentUser: by.UserID, channel: channel, summary: summary, overview: true})
	s.queueAssignment(st, "Assigned to "+s.userNames(assignees), assignees)
	s.commitLog(st)
	return st.Incident.clone(), nil
}

// queueAssignment queues PagerDuty's own assign entry and one notify entry
// per assignee. The caller holds s.mu.
func (s *Server) queueAssignment(st *incidentState, summary string, assignees []string) {
	if len(assignees) == 0 {
		return
	}
	st.queue(logEntryDraft{typ: TypeAssign, channel: ChannelAuto, summary: summary, assignees: assignees})
	for _, u := range assignees {
		st.queue(logEntryDraft{typ: TypeNotify, channel: ChannelAuto,
			summary: "Notified " + s.userName(u), assignees: []string{u}})
	}
}

// Acknowledge acknowledges incident id as by (FromMobile(user), say), as
// PUT /incidents/{id} does: the acknowledger is assigned, and an acknowledge
// entry names by.UserID and by.Channel. A resolved incident is reopened.
func (s *Server) Acknowledge(id string, by Actor) error {
	if by.UserID == "" {
		return errors.New("pdfake: an acknowledgement needs a user")
	}
	return s.update(id, by, incidentUpdate{Status: statusAcknowledged})
}

// Unacknowledge returns an acknowledged incident to triggered as PagerDuty
// does when the acknowledgement times out (by Actor{}: agent the service,
// channel timeout), or as a user does.
func (s *Server) Unacknowledge(id string, by Actor) error {
	if by.UserID == "" && by.Channel == "" {
		by.Channel = ChannelTimeout
	}
	return s.change(id, by, func(st *incidentState) *apiError {
		if st.Status != statusAcknowledged {
			return errInvalid("Incident is not acknowledged")
		}
		return s.applyUpdate(st, incidentUpdate{Status: statusTriggered}, by.UserID, by.channel())
	})
}

// Resolve resolves incident id as by, with an optional resolution (the
// resolve entry's note).
func (s *Server) Resolve(id string, by Actor, resolution string) error {
	return s.update(id, by, incidentUpdate{Status: statusResolved, Resolution: resolution})
}

// Reopen sets a resolved incident back to triggered as by; it is assigned
// through its escalation policy again.
func (s *Server) Reopen(id string, by Actor) error {
	return s.change(id, by, func(st *incidentState) *apiError {
		if st.Status != statusResolved {
			return errInvalid("Incident is not resolved")
		}
		return s.applyUpdate(st, incidentUpdate{Status: statusTriggered}, by.UserID, by.channel())
	})
}

// Reassign assigns incident id to users as by: an assign entry, and the
// incident triggered again.
func (s *Server) Reassign(id string, by Actor, users ...string) error {
	if len(users) == 0 {
		return errors.New("pdfake: reassign to whom?")
	}
	u := incidentUpdate{}
	for _, id := range users {
		u.Assignments = append(u.Assignments, struct {
			Assignee reference `json:"assignee"`
		}{reference{ID: id, Type: "user_reference"}})
	}
	return s.update(id, by, u)
}

// ChangeEscalationPolicy reassigns incident id to another escalation policy
// as by: a delegate entry.
func (s *Server) ChangeEscalationPolicy(id string, by Actor, policyID string) error {
	return s.update(id, by, incidentUpdate{EscalationPolicy: &reference{ID: policyID, Type: "escalation_policy_reference"}})
}

// ChangeUrgency sets incident id's urgency as by: an urgency_change entry.
func (s *Server) ChangeUrgency(id string, by Actor, urgency string) error {
	return s.update(id, by, incidentUpdate{Urgency: urgency})
}

// Escalate escalates incident id as PagerDuty does when nobody
// acknowledged in time: it is assigned to users (the next level's targets)
// and triggered again, with an escalate entry whose agent is the service and
// channel timeout, and a notify entry per user.
func (s *Server) Escalate(id string, users ...string) error {
	if len(users) == 0 {
		return errors.New("pdfake: escalate to whom?")
	}
	return s.change(id, Actor{}, func(st *incidentState) *apiError {
		if st.Status == statusResolved {
			return errInvalid("Incident Already Resolved")
		}
		for _, u := range users {
			if _, ok := s.users[u]; !ok {
				return errInvalid(fmt.Sprintf("Assignee %q not found", u))
			}
		}
		now := s.now()
		st.Assignees = slices.Clone(users)
		clear(st.assignedAt)
		for _, u := range users {
			st.assignedAt[u] = now
		}
		st.assignedVia = "escalation_policy"
		st.Acknowledgers = nil
		clear(st.acknowledgedAt)
		st.SnoozedUntil = time.Time{}
		if st.Status != statusTriggered {
			st.Status, st.lastChangeAt, st.lastChangeByUsr = statusTriggered, now, ""
		}
		if st.EscalationLevel < len(s.policies[st.EscalationPolicyID].rules()) {
			st.EscalationLevel++
		}
		st.updatedAt = now
		st.queue(logEntryDraft{typ: TypeEscalate, channel: ChannelTimeout,
			summary: "Escalated to " + s.userNames(users), assignees: users, overview: true})
		for _, u := range users {
			st.queue(logEntryDraft{typ: TypeNotify, channel: ChannelAuto,
				summary: "Notified " + s.userName(u), assignees: []string{u}})
		}
		return nil
	})
}

// AddNoteAs adds a note to incident id as by (FromWeb(user), say): an
// annotate entry whose note is the content.
func (s *Server) AddNoteAs(id string, by Actor, content string) (Note, error) {
	if by.UserID == "" {
		return Note{}, errors.New("pdfake: a note needs a user")
	}
	var n Note
	err := s.change(id, by, func(st *incidentState) *apiError {
		if content == "" {
			return errInvalid("Note content cannot be empty")
		}
		n = Note{ID: s.newID("P", 7), UserID: by.UserID, Content: content, CreatedAt: s.now()}
		st.Notes = append(st.Notes, n)
		st.updatedAt = n.CreatedAt
		st.queue(logEntryDraft{typ: TypeAnnotate, agentUser: by.UserID, channel: by.channel(),
			summary: "Note added" + s.byWhom(by.UserID), note: content, overview: true})
		return nil
	})
	return n, err
}

// ChangePriority sets incident id's priority (AddPriority; "" clears it) as
// by: a priority_change entry.
func (s *Server) ChangePriority(id string, by Actor, priorityID string) error {
	return s.change(id, by, func(st *incidentState) *apiError {
		name := "none"
		if priorityID != "" {
			p, ok := s.priorities[priorityID]
			if !ok {
				return errInvalid(fmt.Sprintf("Priority %q not found", priorityID))
			}
			name = p.Name
		}
		st.PriorityID = priorityID
		st.updatedAt = s.now()
		st.queue(logEntryDraft{typ: TypePriorityChange, agentUser: by.UserID, channel: by.channel(),
			summary: "Priority changed to " + name + s.byWhom(by.UserID), overview: true})
		return nil
	})
}

// MergeIncidents merges sources into target as by, as the web app does and
// as PUT /incidents/{id}/merge does: each open source is resolved with
// resolve_reason merge (a resolve entry on it that names the target), and
// the target gets the sources' alerts. Nothing merges into a resolved
// target or into itself.
func (s *Server) MergeIncidents(target string, by Actor, sources ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if by.UserID != "" {
		if _, ok := s.users[by.UserID]; !ok {
			return fmt.Errorf("user %q: %w", by.UserID, ErrNotFound)
		}
	}
	if _, ok := s.incidents[target]; !ok {
		return fmt.Errorf("incident %q: %w", target, ErrNotFound)
	}
	if _, apiErr := s.mergeLocked(target, by.UserID, by.channel(), sources); apiErr != nil {
		return fmt.Errorf("pdfake: %s: %v", apiErr.message, apiErr.errors)
	}
	return nil
}

// Clock is a settable clock for Options.Now: tests move it with Advance
// instead of waiting. It is safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock that reads t until moved.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d and returns the new time.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}
