package pdfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// maxSnoozeSeconds is the longest snooze the document allows (7 days).
const maxSnoozeSeconds = 604800

// snoozeIncident serves POST /incidents/{id}/snooze: an acknowledged
// incident goes back to triggered after duration seconds unless it is
// resolved first (pending_actions shows when). PagerDuty snoozes only
// acknowledged incidents; its answer to another status is a 400 whose text
// is unverified (notes §3).
func (s *Server) snoozeIncident(c *call) (response, *apiError) {
	var body struct {
		Duration *int `json:"duration"`
	}
	if err := json.Unmarshal(c.body, &body); err != nil || body.Duration == nil {
		return response{}, errInvalid("The request body must be {\"duration\": seconds}")
	}
	if d := *body.Duration; d < 1 || d > maxSnoozeSeconds {
		return response{}, errInvalid(fmt.Sprintf("Duration must be between 1 and %d seconds", maxSnoozeSeconds))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, apiErr := s.lookupIncident(c.params["id"], false)
	if apiErr != nil {
		return response{}, apiErr
	}
	switch st.Status {
	case statusResolved:
		return response{}, errInvalid("Incident Already Resolved")
	case statusTriggered:
		return response{}, errInvalid("Incident must be acknowledged to be snoozed")
	}
	next := st.clone()
	now := s.now()
	d := time.Duration(*body.Duration) * time.Second
	next.SnoozedUntil = now.Add(d).UTC().Truncate(time.Second)
	next.updatedAt = now
	next.queue(logEntryDraft{typ: TypeSnooze, agentUser: c.actor, channel: ChannelAPI,
		summary: "Snoozed for " + d.String() + s.byWhom(c.actor), overview: true})
	s.incidents[next.ID] = next
	s.commitLog(next)
	// The document answers 201 for this operation.
	return response{http.StatusCreated, obj{"incident": s.renderIncident(next)}}, nil
}

// listPriorities serves GET /priorities: the account's priorities, most
// severe first (AddPriority, SetPriorities); an account without priorities
// answers an empty list.
func (s *Server) listPriorities(c *call) (response, *apiError) {
	p, apiErr := parsePage(c.r.URL.Query())
	if apiErr != nil {
		return response{}, apiErr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []obj{}
	for _, id := range s.priorityOrder {
		out = append(out, s.renderPriority(s.priorities[id]))
	}
	return response{http.StatusOK, paginate(p, "priorities", out)}, nil
}

func (s *Server) renderPriority(p Priority) obj {
	return obj{
		"id": p.ID, "type": "priority", "summary": p.Name, "name": p.Name, "description": p.Description,
		"self": s.URL() + "/priorities/" + p.ID,
	}
}

// parsePriority reads the priority of an incident update: a reference
// {id, type} or a name ("the highest priority with a matching name", the
// document says). set is false when the update names none. The caller
// holds s.mu.
func (s *Server) parsePriority(raw json.RawMessage) (id string, set bool, apiErr *apiError) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", false, nil
	}
	var name string
	if json.Unmarshal(raw, &name) == nil {
		for _, pid := range s.priorityOrder {
			if strings.EqualFold(s.priorities[pid].Name, name) {
				return pid, true, nil
			}
		}
		return "", false, errInvalid(fmt.Sprintf("Priority %q not found", name))
	}
	var ref reference
	if err := json.Unmarshal(raw, &ref); err != nil {
		return "", false, errInvalid("Priority must be a priority reference or a priority name")
	}
	if ref.Type != "priority" && ref.Type != "priority_reference" {
		return "", false, errInvalid(fmt.Sprintf("Priority type must be priority_reference, not %q", ref.Type))
	}
	if _, ok := s.priorities[ref.ID]; !ok {
		return "", false, errInvalid(fmt.Sprintf("Priority %q not found", ref.ID))
	}
	return ref.ID, true, nil
}
