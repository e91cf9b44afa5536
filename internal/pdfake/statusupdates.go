package pdfake

import (
	"encoding/json"
	"net/http"
	"time"
)

// TypeStatusUpdate is the log entry pdfake writes for a status update. The
// document's LogEntry enum has no such type and the name is unverified;
// the entry's summary carries the message, so a reader that does not know
// the type still shows something true.
const TypeStatusUpdate = "status_update_log_entry"

// StatusUpdate is a stakeholder status update on an incident
// (POST /incidents/{id}/status_updates).
type StatusUpdate struct {
	ID, SenderID, Message string
	// Subject and HTMLMessage override the notification email; the document
	// requires both or neither.
	Subject, HTMLMessage string
	CreatedAt            time.Time
}

// maxStatusUpdateLen bounds a status update's message. PagerDuty documents
// no limit [unverified]; the fake's is generous and configurable through
// SetMaxNoteLen's cap when that is smaller.
const maxStatusUpdateLen = 65536

func (s *Server) createStatusUpdate(c *call) (response, *apiError) {
	var body struct {
		Message     *string `json:"message"`
		Subject     string  `json:"subject"`
		HTMLMessage string  `json:"html_message"`
	}
	if err := json.Unmarshal(c.body, &body); err != nil || body.Message == nil {
		return response{}, errInvalid(`The request body must be {"message":…}`)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, apiErr := s.lookupIncident(c.params["id"], false)
	if apiErr != nil {
		return response{}, apiErr
	}
	limit := maxStatusUpdateLen
	if s.maxNoteLen > 0 {
		limit = min(limit, s.maxNoteLen)
	}
	switch {
	case *body.Message == "":
		return response{}, errInvalid("Message cannot be empty")
	case len(*body.Message) > limit:
		return response{}, errInvalid("Message is too long")
	case (body.Subject == "") != (body.HTMLMessage == ""):
		return response{}, errInvalid("A custom html email status update needs both subject and html_message")
	}
	next := st.clone()
	u := StatusUpdate{ID: s.newID("P", 7), SenderID: c.actor, Message: *body.Message,
		Subject: body.Subject, HTMLMessage: body.HTMLMessage, CreatedAt: s.now()}
	next.StatusUpdates = append(next.StatusUpdates, u)
	next.updatedAt = u.CreatedAt
	next.queue(logEntryDraft{typ: TypeStatusUpdate, agentUser: c.actor, channel: ChannelAPI,
		summary: "Status update" + s.byWhom(c.actor) + ": " + u.Message, note: u.Message, overview: true})
	s.incidents[next.ID] = next
	s.commitLog(next)
	out := obj{
		"id": u.ID, "message": u.Message, "sender": s.userRef(u.SenderID), "created_at": ts(u.CreatedAt),
	}
	if u.Subject != "" {
		out["subject"], out["html_message"] = u.Subject, u.HTMLMessage
	}
	return response{http.StatusOK, obj{"status_update": out}}, nil
}
