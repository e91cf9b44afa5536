package pdfake_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/PagerDuty/go-pagerduty"
)

// TestUnsafePathsNeverRouted sends the IDs of notes §4.1 through go-pagerduty,
// which pastes them into paths unescaped. Each must be a JSON 404/2100, be
// recorded as invalid, and never reach another resource.
func TestUnsafePathsNeverRouted(t *testing.T) {
	tests := []struct {
		name string
		call func(c *pagerduty.Client, t *testing.T) error
	}{
		{"get ../users", func(c *pagerduty.Client, t *testing.T) error {
			_, err := c.GetIncidentWithContext(ctx(t), "../users")
			return err
		}},
		{"get existing ID with ?x=1", func(c *pagerduty.Client, t *testing.T) error {
			_, err := c.GetIncidentWithContext(ctx(t), "PINC001?x=1")
			return err
		}},
		{"get ..%2Fusers", func(c *pagerduty.Client, t *testing.T) error {
			_, err := c.GetIncidentWithContext(ctx(t), "..%2Fusers")
			return err
		}},
		{"get %2E%2E", func(c *pagerduty.Client, t *testing.T) error {
			_, err := c.GetIncidentWithContext(ctx(t), "%2E%2E")
			return err
		}},
		{"get PINC001%2Fnotes", func(c *pagerduty.Client, t *testing.T) error {
			_, err := c.GetIncidentWithContext(ctx(t), "PINC001%2Fnotes")
			return err
		}},
		{"get with space", func(c *pagerduty.Client, t *testing.T) error {
			_, err := c.GetIncidentWithContext(ctx(t), "a b")
			return err
		}},
		{"get lower case", func(c *pagerduty.Client, t *testing.T) error {
			_, err := c.GetIncidentWithContext(ctx(t), "pinc001")
			return err
		}},
		{"get user ../incidents", func(c *pagerduty.Client, t *testing.T) error {
			_, err := c.GetUserWithContext(ctx(t), "../incidents/PINC001", pagerduty.GetUserOptions{})
			return err
		}},
		{"note on ../users", func(c *pagerduty.Client, t *testing.T) error {
			_, err := c.CreateIncidentNoteWithContext(ctx(t), "../users", pagerduty.IncidentNote{Content: "x", User: pagerduty.APIObject{Summary: aliceMail}})
			return err
		}},
		{"bulk update", func(c *pagerduty.Client, t *testing.T) error {
			// go-pagerduty has no single update; this is what a raw PUT with
			// an unescaped ID looks like to the server.
			_, err := c.ListIncidentNotesWithContext(ctx(t), "PINC001/../../users")
			return err
		}},
		{"ability traversal", func(c *pagerduty.Client, t *testing.T) error {
			return c.TestAbilityWithContext(ctx(t), "../users")
		}},
		{"trailing slash", func(c *pagerduty.Client, t *testing.T) error {
			_, err := c.GetIncidentWithContext(ctx(t), "PINC001/")
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSeeded(t)
			err := tt.call(client(s, acctKey), t)
			e := wantAPIError(t, err, http.StatusNotFound, 2100)
			if !e.NotFound() {
				t.Error("NotFound() = false")
			}
			reqs := s.Requests()
			if len(reqs) != 1 {
				t.Fatalf("recorded %d requests, want exactly 1 (no redirect followed): %+v", len(reqs), reqs)
			}
			if r := reqs[0]; r.Invalid == "" || r.Status != http.StatusNotFound {
				t.Errorf("recorded %s %s?%s status %d invalid %q, want a 404 recorded as invalid", r.Method, r.Path, r.RawQuery, r.Status, r.Invalid)
			}
			s.AllowInvalid()
		})
	}
}

func TestUnknownRoutes(t *testing.T) {
	tests := []struct {
		method, path string
		invalid      bool
	}{
		{http.MethodGet, "/nope", true},
		{http.MethodDelete, "/incidents/PINC001", true}, // not in PagerDuty's API
		{http.MethodGet, "/vendors/PVEND01", false},     // PagerDuty's, not served by pdfake
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			s := newSeeded(t)
			s.AllowInvalid()
			resp, body := raw(t, s, acctKey, tt.method, tt.path, nil, "")
			wantErrorResponse(t, resp, body, http.StatusNotFound, 2100)
			if got := s.Requests()[0].Invalid != ""; got != tt.invalid && s.Validating() {
				t.Errorf("invalid = %v, want %v (%q)", got, tt.invalid, s.Requests()[0].Invalid)
			}
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Error("404 is not JSON")
			}
		})
	}
}
