package pdfake

import (
	"fmt"
	"strings"
)

// pendingAfter is a change queued by AfterNext.
type pendingAfter struct {
	method, pathPrefix string
	f                  func()
}

// AfterNext runs f once, right after the next request matching method and
// pathPrefix ("" matches any) was carried out and before it is answered: it
// stands for another PagerDuty user whose change lands between a client's
// read and its next request. f runs without the server's lock, so it may
// call the Server's methods (AddIncident, Incident, …).
func (s *Server) AfterNext(method, pathPrefix string, f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.afters = append(s.afters, &pendingAfter{method: method, pathPrefix: pathPrefix, f: f})
}

// runAfter runs and forgets the first AfterNext change that matches a
// request just carried out.
func (s *Server) runAfter(method, path string) {
	s.mu.Lock()
	var f func()
	for i, a := range s.afters {
		if (a.method == "" || strings.EqualFold(a.method, method)) && strings.HasPrefix(path, a.pathPrefix) {
			f = a.f
			s.afters = append(s.afters[:i], s.afters[i+1:]...)
			break
		}
	}
	s.mu.Unlock()
	if f != nil {
		f()
	}
}

// SetStatusAs changes an incident's status the way PUT /incidents/{id} by
// userID would (notes §3), without a request being recorded: a change made
// elsewhere, in the web app or on a phone.
func (s *Server) SetStatusAs(userID, id, status string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, apiErr := s.lookupIncident(id, false)
	if apiErr != nil {
		return fmt.Errorf("pdfake: no incident %s", id)
	}
	if _, ok := s.users[userID]; !ok {
		return fmt.Errorf("pdfake: no user %s", userID)
	}
	next := st.clone()
	if apiErr := s.applyUpdate(next, incidentUpdate{ID: id, Type: "incident_reference", Status: status}, userID, ChannelWebsite); apiErr != nil {
		return fmt.Errorf("pdfake: set %s %s: %s %v", id, status, apiErr.message, apiErr.errors)
	}
	s.incidents[id] = next
	return nil
}
