package pdfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	statusTriggered    = "triggered"
	statusAcknowledged = "acknowledged"
	statusResolved     = "resolved"
)

// Limits from the document (notes §1.8).
const (
	maxNotesPerIncident = 2000
	maxManagedIncidents = 250
)

type reference struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// incidentUpdate is one item of PUT /incidents or the body of
// PUT /incidents/{id}. Fields pdfake does not model (conference_bridge,
// incident_type) are accepted and ignored.
type incidentUpdate struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	Status      string `json:"status"`
	Resolution  string `json:"resolution"`
	Title       string `json:"title"`
	Urgency     string `json:"urgency"`
	Assignments []struct {
		Assignee reference `json:"assignee"`
	} `json:"assignments"`
	EscalationPolicy *reference `json:"escalation_policy"`
	Service          *reference `json:"service"`
	// Priority is a reference {id, type} or a priority's name (the
	// document allows both).
	Priority json.RawMessage `json:"priority"`
	// EscalationLevel is 1-based; 0 means the first level too (notes §2.2).
	EscalationLevel *int `json:"escalation_level"`
}

// lookupIncident finds an incident by ID, or by incident number when
// byNumber. The caller holds s.mu.
func (s *Server) lookupIncident(id string, byNumber bool) (*incidentState, *apiError) {
	if st, ok := s.incidents[id]; ok {
		return st, nil
	}
	if byNumber && incidentNumberPattern().MatchString(id) {
		n, _ := strconv.Atoi(id)
		for _, st := range s.incidents {
			if st.Number == n {
				return st, nil
			}
		}
	}
	return nil, errNotFound()
}

func (s *Server) getIncident(c *call) (response, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Only GET /incidents/{id} accepts an incident number (notes §1.7).
	st, err := s.lookupIncident(c.params["id"], true)
	if err != nil {
		return response{}, err
	}
	return response{http.StatusOK, obj{"incident": s.renderIncident(st)}}, nil
}

func (s *Server) updateIncident(c *call) (response, *apiError) {
	var body struct {
		Incident *incidentUpdate `json:"incident"`
	}
	if err := json.Unmarshal(c.body, &body); err != nil || body.Incident == nil {
		return response{}, errInvalid("The request body must be {\"incident\":{…}}")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, apiErr := s.lookupIncident(c.params["id"], false)
	if apiErr != nil {
		return response{}, apiErr
	}
	next := st.clone()
	if apiErr := s.applyUpdate(next, *body.Incident, c.actor, ChannelAPI); apiErr != nil {
		return response{}, apiErr
	}
	s.incidents[next.ID] = next
	s.commitLog(next)
	return response{http.StatusOK, obj{"incident": s.renderIncident(next)}}, nil
}

func (s *Server) manageIncidents(c *call) (response, *apiError) {
	var body struct {
		Incidents []incidentUpdate `json:"incidents"`
	}
	if err := json.Unmarshal(c.body, &body); err != nil {
		return response{}, errInvalid("The request body must be {\"incidents\":[…]}")
	}
	if len(body.Incidents) > maxManagedIncidents {
		return response{}, &apiError{status: http.StatusRequestEntityTooLarge, code: 2001, message: "Request Entity Too Large",
			errors: []string{fmt.Sprintf("At most %d incidents can be updated at once", maxManagedIncidents)}}
	}
	p, apiErr := parsePage(c.r.URL.Query())
	if apiErr != nil {
		return response{}, apiErr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Every item is applied to a copy; one failure fails the request and
	// nothing changes (the real per-item format is unverified, notes §2.3).
	changed := map[string]*incidentState{}
	var order []*incidentState
	for i, u := range body.Incidents {
		st, ok := changed[u.ID]
		if !ok {
			orig, apiErr := s.lookupIncident(u.ID, false)
			if apiErr != nil {
				apiErr.errors = []string{fmt.Sprintf("incidents[%d]: incident %q not found", i, u.ID)}
				return response{}, apiErr
			}
			st = orig.clone()
			changed[u.ID] = st
		}
		if apiErr := s.applyUpdate(st, u, c.actor, ChannelAPI); apiErr != nil {
			for j, e := range apiErr.errors {
				apiErr.errors[j] = fmt.Sprintf("incidents[%d]: %s", i, e)
			}
			return response{}, apiErr
		}
		order = append(order, st)
	}
	rendered := []obj{}
	for id, st := range changed {
		s.incidents[id] = st
	}
	// Entries are recorded in the order of the request's items.
	for _, st := range order {
		s.commitLog(st)
	}
	for _, st := range order {
		rendered = append(rendered, s.renderIncident(st))
	}
	p.offset, p.limit = 0, max(p.limit, len(rendered))
	return response{http.StatusOK, paginate(p, "incidents", rendered)}, nil
}

// applyUpdate applies u to st (a copy) as the user actor ("" = PagerDuty
// itself) through channel, following notes §3, and queues the log entries
// the change makes (commitLog records them). The caller holds s.mu.
func (s *Server) applyUpdate(st *incidentState, u incidentUpdate, actor, channel string) *apiError {
	now := s.now()
	switch u.Status {
	case "", statusTriggered, statusAcknowledged, statusResolved:
	default:
		return errInvalid("Status must be a list of triggered, acknowledged, or resolved.")
	}
	switch u.Urgency {
	case "", "high", "low":
	default:
		return errInvalid("Urgency must be high or low.")
	}
	var assignees []string
	for _, a := range u.Assignments {
		if a.Assignee.Type != "user_reference" {
			return errInvalid(fmt.Sprintf("Assignee type must be user_reference, not %q", a.Assignee.Type))
		}
		if _, ok := s.users[a.Assignee.ID]; !ok {
			return errInvalid(fmt.Sprintf("Assignee %q not found", a.Assignee.ID))
		}
		if !slices.Contains(assignees, a.Assignee.ID) {
			assignees = append(assignees, a.Assignee.ID)
		}
	}
	if u.EscalationPolicy != nil {
		if _, ok := s.policies[u.EscalationPolicy.ID]; !ok {
			return errInvalid(fmt.Sprintf("Escalation policy %q not found", u.EscalationPolicy.ID))
		}
	}
	if u.Service != nil {
		if _, ok := s.services[u.Service.ID]; !ok {
			return errInvalid(fmt.Sprintf("Service %q not found", u.Service.ID))
		}
	}
	if len(assignees) > 0 && u.EscalationPolicy != nil {
		return errInvalid("Incident cannot be assigned to both users and an escalation policy")
	}
	priorityID, setPriority, apiErr := s.parsePriority(u.Priority)
	if apiErr != nil {
		return apiErr
	}
	if u.EscalationLevel != nil && len(assignees) > 0 {
		return errInvalid("Incident cannot be assigned to users and escalated to a level at once")
	}
	reassign := len(assignees) > 0 || u.EscalationPolicy != nil
	wasResolved := st.Status == statusResolved
	if wasResolved && reassign && u.Status != statusTriggered {
		return errInvalid("Incident Already Resolved")
	}
	if wasResolved && u.Status == statusResolved && !s.resolveResolvedOK {
		return errInvalid("Incident Already Resolved")
	}
	if wasResolved && u.EscalationLevel != nil && u.Status != statusTriggered {
		return errInvalid("Incident Already Resolved")
	}

	entry := func(typ, summary string, assignees []string, overview bool) {
		st.queue(logEntryDraft{typ: typ, agentUser: actor, channel: channel, summary: summary, assignees: assignees, overview: overview})
	}
	if u.Title != "" {
		st.Title = u.Title
	}
	if u.Urgency != "" && u.Urgency != st.Urgency {
		st.Urgency = u.Urgency
		entry(TypeUrgencyChange, "Urgency changed to "+u.Urgency+s.byWhom(actor), nil, true)
	}
	if u.Service != nil {
		st.ServiceID = u.Service.ID
	}
	if setPriority && priorityID != st.PriorityID {
		st.PriorityID = priorityID
		entry(TypePriorityChange, "Priority changed to "+s.priorities[priorityID].Name+s.byWhom(actor), nil, true)
	}
	st.updatedAt = now

	setStatus := func(status string) {
		if st.Status != status {
			st.SnoozedUntil = time.Time{} // a snooze ends with its acknowledgement
			st.Status = status
			st.lastChangeAt = now
			st.lastChangeByUsr = actor
		}
	}
	clearAcks := func() {
		st.Acknowledgers = nil
		clear(st.acknowledgedAt)
	}
	assign := func(users []string, via string) {
		st.Assignees = nil
		clear(st.assignedAt)
		for _, id := range users {
			st.Assignees = append(st.Assignees, id)
			st.assignedAt[id] = now
		}
		st.assignedVia = via
	}
	// Reassigning restarts escalation: the incident is triggered again.
	// Users make an assign entry; a policy a delegate entry.
	doReassign := func() {
		if len(assignees) > 0 {
			assign(assignees, "direct_assignment")
			entry(TypeAssign, "Assigned to "+s.userNames(assignees)+s.byWhom(actor), assignees, true)
		} else {
			st.EscalationPolicyID = u.EscalationPolicy.ID
			st.EscalationLevel = 1
			assign(s.policies[st.EscalationPolicyID].UserIDs, "escalation_policy")
			entry(TypeDelegate, "Reassigned to "+s.policies[st.EscalationPolicyID].Name+s.byWhom(actor), st.Assignees, true)
		}
		clearAcks()
		setStatus(statusTriggered)
	}
	// Reopening is recent (notes §3) and its log entry is undocumented:
	// pdfake writes a trigger entry that says "Reopened".
	reopen := func() {
		st.ResolvedAt = time.Time{}
		st.Resolution = ""
		st.MergedInto = ""
		entry(TypeTrigger, "Reopened"+s.byWhom(actor), nil, true)
	}

	if u.EscalationLevel != nil {
		// The level is one of the policy the incident ends up on.
		policy := st.EscalationPolicyID
		if u.EscalationPolicy != nil {
			policy = u.EscalationPolicy.ID
		}
		rules := s.policies[policy].rules()
		level := max(*u.EscalationLevel, 1)
		if level > len(rules) {
			return errInvalid(fmt.Sprintf("Escalation level %d is not valid: the escalation policy has %d levels", *u.EscalationLevel, len(rules)))
		}
		if u.Status != "" && u.Status != statusTriggered {
			return errInvalid("An incident escalated to a level is triggered; it cannot be " + u.Status + " in the same update")
		}
		if u.EscalationPolicy != nil {
			st.EscalationPolicyID = policy
		}
		st.EscalationLevel = level
		assign(rules[level-1], "escalation_policy")
		clearAcks()
		setStatus(statusTriggered)
		entry(TypeEscalate, fmt.Sprintf("Escalated to level %d%s", level, s.byWhom(actor)), st.Assignees, true)
		for _, id := range st.Assignees {
			st.queue(logEntryDraft{typ: TypeNotify, channel: ChannelAuto, summary: "Notified " + s.userName(id), assignees: []string{id}})
		}
		if wasResolved {
			st.ResolvedAt, st.Resolution, st.MergedInto = time.Time{}, "", ""
		}
		return nil
	}

	switch u.Status {
	case statusResolved:
		if wasResolved { // allowed by SetResolveResolvedOK: nothing changes
			return nil
		}
		assign(nil, st.assignedVia)
		clearAcks()
		st.Resolution = u.Resolution
		st.ResolvedAt = now
		setStatus(statusResolved)
		// The resolution goes into the resolve entry as its note.
		st.queue(logEntryDraft{typ: TypeResolve, agentUser: actor, channel: channel,
			summary: "Resolved" + s.byWhom(actor), note: u.Resolution, overview: true})
	case statusAcknowledged:
		if wasResolved {
			// Reopening to acknowledged assigns to the current user.
			reopen()
			assign([]string{actor}, "direct_assignment")
			clearAcks()
		} else if reassign {
			doReassign()
		}
		// Acknowledging assigns the incident to the acknowledger.
		if !slices.Contains(st.Assignees, actor) {
			st.Assignees = append(st.Assignees, actor)
			st.assignedAt[actor] = now
		}
		if !slices.Contains(st.Acknowledgers, actor) {
			st.Acknowledgers = append(st.Acknowledgers, actor)
		}
		st.acknowledgedAt[actor] = now // re-acknowledging restarts the timeout
		setStatus(statusAcknowledged)
		entry(TypeAcknowledge, "Acknowledged"+s.byWhom(actor), nil, true)
	case statusTriggered:
		if wasResolved {
			// Reopening to triggered assigns from the request, else from
			// the current escalation policy.
			reopen()
			if reassign {
				doReassign()
			} else {
				assign(s.policies[st.EscalationPolicyID].UserIDs, "escalation_policy")
			}
		} else if reassign {
			doReassign()
		} else if st.Status == statusAcknowledged {
			entry(TypeUnacknowledge, "Unacknowledged"+s.byWhom(actor), nil, true)
		}
		clearAcks()
		setStatus(statusTriggered)
	default:
		if reassign {
			doReassign()
		}
	}
	return nil
}

func (s *Server) listNotes(c *call) (response, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.lookupIncident(c.params["id"], false)
	if err != nil {
		return response{}, err
	}
	notes := []obj{}
	for _, n := range st.Notes {
		notes = append(notes, s.renderNote(n))
	}
	return response{http.StatusOK, obj{"notes": notes}}, nil
}

func (s *Server) createNote(c *call) (response, *apiError) {
	// note.user is ignored: the author is the From user (notes §2.4).
	var body struct {
		Note *struct {
			Content string `json:"content"`
		} `json:"note"`
	}
	if err := json.Unmarshal(c.body, &body); err != nil || body.Note == nil {
		return response{}, errInvalid("The request body must be {\"note\":{\"content\":…}}")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, apiErr := s.lookupIncident(c.params["id"], false)
	if apiErr != nil {
		return response{}, apiErr
	}
	switch {
	case body.Note.Content == "":
		return response{}, errInvalid("Note content cannot be empty")
	case s.maxNoteLen > 0 && len(body.Note.Content) > s.maxNoteLen:
		return response{}, errInvalid(fmt.Sprintf("Note content must be at most %d characters", s.maxNoteLen))
	case len(st.Notes) >= maxNotesPerIncident:
		return response{}, errInvalid(fmt.Sprintf("An incident can have at most %d notes", maxNotesPerIncident))
	}
	n := s.addNote(st, c.actor, ChannelAPI, body.Note.Content)
	// The document answers 200 (not 201) for this operation.
	return response{http.StatusOK, obj{"note": s.renderNote(n)}}, nil
}

// addNote adds a note to st as user through channel, with its annotate
// entry. The caller holds s.mu.
func (s *Server) addNote(st *incidentState, user, channel, content string) Note {
	n := Note{ID: s.newID("P", 7), UserID: user, Content: content, CreatedAt: s.now()}
	st.Notes = append(st.Notes, n)
	st.updatedAt = n.CreatedAt
	st.queue(logEntryDraft{typ: TypeAnnotate, agentUser: user, channel: channel,
		summary: "Note added" + s.byWhom(user), note: content, overview: true})
	s.commitLog(st)
	return n
}

// coordinatedResponding is the ability responder requests need (notes §2.6).
const coordinatedResponding = "coordinated_responding"

func (s *Server) createResponderRequest(c *call) (response, *apiError) {
	var body struct {
		RequesterID string `json:"requester_id"`
		Message     string `json:"message"`
		Targets     []struct {
			Target *reference `json:"responder_request_target"`
		} `json:"responder_request_targets"`
	}
	if err := json.Unmarshal(c.body, &body); err != nil {
		return response{}, errInvalid("The request body is not valid JSON for a responder request")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.Contains(s.abilities, coordinatedResponding) {
		return response{}, errPaymentRequired(coordinatedResponding)
	}
	st, apiErr := s.lookupIncident(c.params["id"], false)
	if apiErr != nil {
		return response{}, apiErr
	}
	if _, ok := s.users[body.RequesterID]; !ok {
		return response{}, errInvalid(fmt.Sprintf("Requester %q not found", body.RequesterID))
	}
	if len(body.Targets) == 0 {
		return response{}, errInvalid("At least one responder request target is required")
	}
	rr := ResponderRequest{RequesterID: body.RequesterID, Message: body.Message, RequestedAt: s.now()}
	for i, t := range body.Targets {
		if t.Target == nil {
			return response{}, errInvalid(fmt.Sprintf("responder_request_targets[%d] must be wrapped in responder_request_target", i))
		}
		var known bool
		switch t.Target.Type {
		case "user_reference":
			_, known = s.users[t.Target.ID]
		case "escalation_policy_reference":
			_, known = s.policies[t.Target.ID]
		default:
			return response{}, errInvalid(fmt.Sprintf("responder_request_targets[%d]: type must be user_reference or escalation_policy_reference", i))
		}
		if !known {
			return response{}, errInvalid(fmt.Sprintf("responder_request_targets[%d]: %s %q not found", i, t.Target.Type, t.Target.ID))
		}
		rr.Targets = append(rr.Targets, Target{ID: t.Target.ID, Type: t.Target.Type})
	}
	st.ResponderRequests = append(st.ResponderRequests, rr)
	st.updatedAt = rr.RequestedAt
	var names []string
	for _, t := range rr.Targets {
		if t.Type == "escalation_policy_reference" {
			names = append(names, s.policies[t.ID].Name)
		} else {
			names = append(names, s.userName(t.ID))
		}
	}
	st.queue(logEntryDraft{typ: TypeResponderRequest, agentUser: rr.RequesterID, channel: ChannelAPI,
		summary: s.userName(rr.RequesterID) + " requested additional responders: " + strings.Join(names, ", "),
		note:    rr.Message, overview: true})
	s.commitLog(st)
	return response{http.StatusOK, obj{"responder_request": s.renderResponderRequest(st, rr)}}, nil
}

// unwrappedTargets returns a reason per responder request target that is not
// wrapped in responder_request_target. ServeHTTP uses it when there is no
// Validator (pdfaketest patches the OpenAPI document to say the same).
func unwrappedTargets(body []byte) []string {
	var b struct {
		Targets []map[string]json.RawMessage `json:"responder_request_targets"`
	}
	if json.Unmarshal(body, &b) != nil {
		return nil
	}
	var out []string
	for i, t := range b.Targets {
		if _, ok := t["responder_request_target"]; !ok {
			out = append(out, fmt.Sprintf("request body: at /responder_request_targets/%d: property \"responder_request_target\" is missing", i))
		}
	}
	return out
}
