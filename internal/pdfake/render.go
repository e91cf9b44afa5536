package pdfake

import (
	"time"
)

// defaultWebURL is the web UI base of the fake account unless SetWebURL
// changes it; html_url fields use it.
const defaultWebURL = "https://example.pagerduty.com"

type obj = map[string]any

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// The render functions build bodies shaped like the document's examples.
// The caller holds s.mu.

func (s *Server) userRef(id string) obj {
	return obj{
		"id": id, "type": "user_reference", "summary": s.users[id].Name,
		"self": s.URL() + "/users/" + id, "html_url": s.webURL + "/users/" + id,
	}
}

func (s *Server) policyRef(id string) obj {
	return obj{
		"id": id, "type": "escalation_policy_reference", "summary": s.policies[id].Name,
		"self": s.URL() + "/escalation_policies/" + id, "html_url": s.webURL + "/escalation_policies/" + id,
	}
}

func (s *Server) serviceRef(id string) obj {
	return obj{
		"id": id, "type": "service_reference", "summary": s.services[id].Name,
		"self": s.URL() + "/services/" + id, "html_url": s.webURL + "/service-directory/" + id,
	}
}

func (s *Server) incidentRef(st *incidentState) obj {
	return obj{
		"id": st.ID, "type": "incident_reference", "summary": st.summary(),
		"self": s.URL() + "/incidents/" + st.ID, "html_url": s.webURL + "/incidents/" + st.ID,
	}
}

func (st *incidentState) summary() string {
	return "[#" + itoa(st.Number) + "] " + st.Title
}

func (s *Server) renderUser(u User) obj {
	tz := u.TimeZone
	if tz == "" {
		tz = "Etc/UTC"
	}
	role := u.Role
	if role == "" {
		role = "user"
	}
	return obj{
		"id": u.ID, "type": "user", "summary": u.Name,
		"self": s.URL() + "/users/" + u.ID, "html_url": s.webURL + "/users/" + u.ID,
		"name": u.Name, "email": u.Email, "time_zone": tz, "color": "purple", "role": role,
		"avatar_url":  "https://secure.gravatar.com/avatar/00000000000000000000000000000000.png?d=mm&r=PG",
		"description": "", "invitation_sent": false, "job_title": "",
		"teams": []any{}, "contact_methods": []any{}, "notification_rules": []any{},
	}
}

func (s *Server) renderPolicy(p EscalationPolicy) obj {
	rules := []any{}
	for i, users := range p.rules() {
		targets := []any{}
		for _, id := range users {
			targets = append(targets, s.userRef(id))
		}
		ruleID := "R" + p.ID
		if i > 0 {
			ruleID += itoa(i + 1)
		}
		rules = append(rules, obj{"id": ruleID, "escalation_delay_in_minutes": 30, "targets": targets})
	}
	services := []any{}
	for _, sv := range sortedValues(s.services, func(sv Service) string { return sv.ID }) {
		if sv.EscalationPolicyID == p.ID {
			services = append(services, s.serviceRef(sv.ID))
		}
	}
	return obj{
		"id": p.ID, "type": "escalation_policy", "summary": p.Name,
		"self": s.URL() + "/escalation_policies/" + p.ID, "html_url": s.webURL + "/escalation_policies/" + p.ID,
		"name": p.Name, "description": "", "escalation_rules": rules, "services": services,
		"num_loops": 0, "teams": []any{}, "on_call_handoff_notifications": "if_has_services",
	}
}

func (s *Server) renderNote(n Note) obj {
	return obj{
		"id": n.ID, "user": s.userRef(n.UserID),
		"channel": obj{"summary": "The PagerDuty website or APIs"},
		"content": n.Content, "created_at": ts(n.CreatedAt), "updated_at": ts(n.CreatedAt),
	}
}

// responderTarget renders one target of a responder request as the document's
// response example does: type "user" or "escalation_policy", with the
// pending responders it created.
func (s *Server) responderTarget(st *incidentState, rr ResponderRequest, t Target) obj {
	users := []string{t.ID}
	typ, summary := "user", s.users[t.ID].Name
	if t.Type == "escalation_policy_reference" {
		typ, summary = "escalation_policy", s.policies[t.ID].Name
		users = s.policies[t.ID].UserIDs
	}
	responders := []any{}
	for _, u := range users {
		responders = append(responders, obj{
			"state": "pending", "user": s.userRef(u), "incident": s.incidentRef(st),
			"updated_at": ts(rr.RequestedAt), "message": rr.Message,
			"requester": s.userRef(rr.RequesterID), "requested_at": ts(rr.RequestedAt),
		})
	}
	return obj{"responder_request_target": obj{
		"type": typ, "id": t.ID, "summary": summary, "incidents_responders": responders,
	}}
}

func (s *Server) renderResponderRequest(st *incidentState, rr ResponderRequest) obj {
	targets := []any{}
	for _, t := range rr.Targets {
		targets = append(targets, s.responderTarget(st, rr, t))
	}
	return obj{
		"incident": s.incidentRef(st), "requester": s.userRef(rr.RequesterID),
		"requested_at": ts(rr.RequestedAt), "message": rr.Message,
		"responder_request_targets": targets,
	}
}

func (s *Server) renderIncident(st *incidentState) obj {
	assignments := []any{}
	for _, u := range st.Assignees {
		assignments = append(assignments, obj{"at": ts(st.assignedAt[u]), "assignee": s.userRef(u)})
	}
	acks := []any{}
	for _, u := range st.Acknowledgers {
		acks = append(acks, obj{"at": ts(st.acknowledgedAt[u]), "acknowledger": s.userRef(u)})
	}
	requests := []any{}
	responders := []any{}
	for _, rr := range st.ResponderRequests {
		requests = append(requests, s.renderResponderRequest(st, rr))
		for _, t := range rr.Targets {
			target := s.responderTarget(st, rr, t)["responder_request_target"].(obj)
			responders = append(responders, target["incidents_responders"].([]any)...)
		}
	}
	lastBy := s.serviceRef(st.ServiceID)
	if st.lastChangeByUsr != "" {
		lastBy = s.userRef(st.lastChangeByUsr)
	}
	pending := []any{}
	if !st.SnoozedUntil.IsZero() && st.Status == statusAcknowledged {
		pending = append(pending, obj{"type": "unacknowledge", "at": ts(st.SnoozedUntil)})
	}
	alerts := max(st.Alerts, 1)
	triggered, resolved := alerts, 0
	if st.Status == statusResolved {
		triggered, resolved = 0, alerts
	}
	in := obj{
		"id": st.ID, "type": "incident", "summary": st.summary(),
		"self": s.URL() + "/incidents/" + st.ID, "html_url": s.webURL + "/incidents/" + st.ID,
		"incident_number": st.Number, "title": st.Title, "description": st.Title,
		"incident_key":          "pdfake-" + st.ID,
		"created_at":            ts(st.CreatedAt),
		"updated_at":            ts(st.updatedAt),
		"last_status_change_at": ts(st.lastChangeAt),
		"last_status_change_by": lastBy,
		"status":                st.Status, "urgency": st.Urgency,
		"service":              s.serviceRef(st.ServiceID),
		"escalation_policy":    s.policyRef(st.EscalationPolicyID),
		"teams":                []any{},
		"assignments":          assignments,
		"assigned_via":         st.assignedVia,
		"acknowledgements":     acks,
		"pending_actions":      pending,
		"alert_counts":         obj{"all": alerts, "triggered": triggered, "resolved": resolved},
		"is_mergeable":         true,
		"incident_type":        obj{"name": "incident_default"},
		"incidents_responders": responders,
		"responder_requests":   requests,
	}
	// The real API sends "resolved_at", "priority" and "resolve_reason" as
	// null when unset (the document's own example does), but the document's
	// schemas do not allow null. Leaving them out satisfies the schema and
	// decodes the same way in go-pagerduty (zero value / nil pointer).
	if !st.ResolvedAt.IsZero() {
		in["resolved_at"] = ts(st.ResolvedAt)
	}
	if p, ok := s.priorities[st.PriorityID]; ok {
		in["priority"] = obj{
			"id": p.ID, "type": "priority", "summary": p.Name, "name": p.Name, "description": p.Description,
			"self": s.URL() + "/priorities/" + p.ID, "html_url": nil,
		}
	}
	if target, ok := s.incidents[st.MergedInto]; ok {
		in["resolve_reason"] = obj{"type": "merge_resolve_reason", "incident": s.incidentRef(target)}
	}
	return in
}
