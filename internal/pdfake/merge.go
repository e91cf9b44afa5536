package pdfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
)

// maxMergeSources bounds one merge request. PagerDuty documents no limit
// [unverified]; the bulk update's 250 (notes §1.8) is the nearest one.
const maxMergeSources = maxManagedIncidents

// mergeIncidents serves PUT /incidents/{id}/merge: the sources are resolved
// into the target (resolve_reason merge) and the target gets their alerts.
// It answers with a reference to the target.
func (s *Server) mergeIncidents(c *call) (response, *apiError) {
	var body struct {
		Sources []reference `json:"source_incidents"`
	}
	if err := json.Unmarshal(c.body, &body); err != nil {
		return response{}, errInvalid(`The request body must be {"source_incidents":[…]}`)
	}
	ids := make([]string, 0, len(body.Sources))
	for i, src := range body.Sources {
		if src.Type != "incident_reference" && src.Type != "incident" {
			return response{}, errInvalid(fmt.Sprintf("source_incidents[%d]: type must be incident_reference", i))
		}
		ids = append(ids, src.ID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	target, apiErr := s.mergeLocked(c.params["id"], c.actor, ChannelAPI, ids)
	if apiErr != nil {
		return response{}, apiErr
	}
	return response{http.StatusOK, obj{"incident": s.incidentRef(target)}}, nil
}

// mergeLocked merges sources into target as actor through channel, all or
// nothing: a source that does not exist is a 404 (incidents of another
// account look the same), the target must not be resolved, and no incident
// merges into itself. Each open source is resolved with a resolve entry that
// names the target; a source already resolved only gets its merge reason.
// The caller holds s.mu.
func (s *Server) mergeLocked(targetID, actor, channel string, sources []string) (*incidentState, *apiError) {
	orig, apiErr := s.lookupIncident(targetID, false)
	if apiErr != nil {
		return nil, apiErr
	}
	switch {
	case len(sources) == 0:
		return nil, errInvalid("source_incidents must name at least one incident")
	case len(sources) > maxMergeSources:
		return nil, errInvalid(fmt.Sprintf("At most %d incidents can be merged at once", maxMergeSources))
	case orig.Status == statusResolved:
		return nil, errInvalid("Incidents cannot be merged into a resolved incident")
	}
	target := orig.clone()
	now := s.now()
	var merged []*incidentState
	for i, id := range sources {
		if id == targetID {
			return nil, errInvalid(fmt.Sprintf("source_incidents[%d]: an incident cannot be merged into itself", i))
		}
		if slices.ContainsFunc(merged, func(m *incidentState) bool { return m.ID == id }) {
			continue
		}
		src, apiErr := s.lookupIncident(id, false)
		if apiErr != nil {
			apiErr.errors = []string{fmt.Sprintf("source_incidents[%d]: incident %q not found", i, id)}
			return nil, apiErr
		}
		next := src.clone()
		if next.Status != statusResolved {
			if apiErr := s.applyUpdate(next, incidentUpdate{Status: statusResolved}, actor, channel); apiErr != nil {
				return nil, apiErr
			}
			last := &next.pending[len(next.pending)-1]
			last.summary = fmt.Sprintf("Resolved%s (merged into #%d)", s.byWhom(actor), target.Number)
		}
		next.MergedInto = targetID
		target.Alerts = max(target.Alerts, 1) + max(next.Alerts, 1)
		merged = append(merged, next)
	}
	target.updatedAt = now
	s.incidents[target.ID] = target
	for _, m := range merged {
		s.incidents[m.ID] = m
		s.commitLog(m)
	}
	return target, nil
}
