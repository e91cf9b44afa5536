package pdfake

import (
	"net/http"
	"slices"
)

// Request is one recorded request and the status it was answered with.
type Request struct {
	Method string
	// Path is the path exactly as sent (not cleaned, not decoded).
	Path     string
	RawQuery string
	// Header is as received, Authorization included.
	Header http.Header
	Body   []byte
	// Key is the API key used, "" if none.
	Key    string
	Status int
	// Invalid says why the request is invalid against PagerDuty's document
	// (or why its path was refused); "" when it is valid.
	Invalid string
	// RequestID is the x-request-id the response carried.
	RequestID string
}

func (r Request) clone() Request {
	r.Header = r.Header.Clone()
	r.Body = slices.Clone(r.Body)
	return r
}

// Requests returns every request received so far, in order.
func (s *Server) Requests() []Request {
	return s.filter(func(Request) bool { return true })
}

// Writes returns the requests whose method is not GET.
func (s *Server) Writes() []Request {
	return s.filter(func(r Request) bool { return r.Method != http.MethodGet })
}

// InvalidRequests returns the requests that were invalid against the document
// or refused for an unsafe path.
func (s *Server) InvalidRequests() []Request {
	return s.filter(func(r Request) bool { return r.Invalid != "" })
}

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

func (s *Server) filter(keep func(Request) bool) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.requests {
		if keep(r) {
			out = append(out, r.clone())
		}
	}
	return out
}
