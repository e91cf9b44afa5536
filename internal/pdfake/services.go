package pdfake

import (
	"net/http"
	"slices"
	"strings"
)

func (s *Server) listServices(c *call) (response, *apiError) {
	q := c.r.URL.Query()
	p, apiErr := parsePage(q)
	if apiErr != nil {
		return response{}, apiErr
	}
	query, name, include := q.Get("query"), q.Get("name"), q["include[]"]
	s.mu.Lock()
	defer s.mu.Unlock()
	services := sortedValues(s.services, func(sv Service) string { return strings.ToLower(sv.Name) + "\x00" + sv.ID })
	if q.Get("sort_by") == "name:desc" {
		slices.Reverse(services)
	}
	out := []obj{}
	for _, sv := range services {
		// query is a partial match on the name, name an exact one
		// (case-insensitive; the document says neither).
		if query != "" && !containsFold(sv.Name, query) {
			continue
		}
		if name != "" && !strings.EqualFold(sv.Name, name) {
			continue
		}
		if len(q["team_ids[]"]) > 0 { // no service here belongs to a team
			continue
		}
		out = append(out, s.renderService(sv, include))
	}
	return response{http.StatusOK, paginate(p, "services", out)}, nil
}

func (s *Server) getService(c *call) (response, *apiError) {
	include := c.r.URL.Query()["include[]"]
	s.mu.Lock()
	defer s.mu.Unlock()
	sv, ok := s.services[c.params["id"]]
	if !ok {
		return response{}, errNotFound()
	}
	return response{http.StatusOK, obj{"service": s.renderService(sv, include)}}, nil
}

// renderService renders a service as the document's example does;
// include[]=escalation_policies puts the full policy in place of its
// reference. The caller holds s.mu.
func (s *Server) renderService(sv Service, include []string) obj {
	status := "active"
	var last string
	for _, st := range s.incidents {
		if st.ServiceID != sv.ID {
			continue
		}
		if created := ts(st.CreatedAt); created > last {
			last = created
		}
		switch {
		case st.Status == statusTriggered:
			status = "critical"
		case st.Status == statusAcknowledged && status == "active":
			status = "warning"
		}
	}
	var policy obj
	if ep, ok := s.policies[sv.EscalationPolicyID]; ok && slices.Contains(include, "escalation_policies") {
		policy = s.renderPolicy(ep)
	} else {
		policy = s.policyRef(sv.EscalationPolicyID)
	}
	out := obj{
		"id": sv.ID, "type": "service", "summary": sv.Name,
		"self": s.URL() + "/services/" + sv.ID, "html_url": s.webURL + "/service-directory/" + sv.ID,
		"name": sv.Name, "description": sv.Description,
		"auto_resolve_timeout": 14400, "acknowledgement_timeout": 1800,
		"created_at":        ts(s.start),
		"status":            status,
		"escalation_policy": policy,
		"teams":             []any{},
		"integrations":      []any{},
		"incident_urgency_rule": obj{
			"type": "constant", "urgency": "high",
		},
		"scheduled_actions": []any{},
		"addons":            []any{},
		"alert_creation":    "create_alerts_and_incidents",
	}
	if last != "" {
		out["last_incident_timestamp"] = last
	}
	return out
}
