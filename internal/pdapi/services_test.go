package pdapi_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/PagerDuty/go-pagerduty"

	"github.com/pdbot/pdbot/internal/pdapi"
	"github.com/pdbot/pdbot/internal/pdfake"
)

// TestSearchServicesReadsEveryPage: the matches go on past PagerDuty's
// first page, and each can stop the reading.
func TestSearchServicesReadsEveryPage(t *testing.T) {
	s := newSeeded(t)
	for i := range 130 {
		s.AddService(pdfake.Service{ID: fmt.Sprintf("PS%05d", i), Name: fmt.Sprintf("Orders %03d", i), EscalationPolicyID: "PEP1"})
	}
	c := fakeClient(s, "")
	var names []string
	if err := c.SearchServices(context.Background(), "orders", func(sv pdapi.Service) bool {
		names = append(names, sv.Name)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if len(names) != 130 || names[129] != "Orders 129" {
		t.Fatalf("got %d services, last %q; want 130 ending with Orders 129", len(names), names[len(names)-1])
	}
	n := 0
	if err := c.SearchServices(context.Background(), "orders", func(pdapi.Service) bool { n++; return n < 3 }); err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("each was called %d times after asking to stop at 3", n)
	}
}

func TestGetService(t *testing.T) {
	s := newSeeded(t)
	s.AddService(pdfake.Service{ID: "PSVC001", Name: "Search", EscalationPolicyID: "PEP1"})
	c := fakeClient(s, "")
	sv, err := c.GetService(context.Background(), "PSVC001")
	if err != nil || sv.Name != "Search" || sv.ID != "PSVC001" {
		t.Fatalf("GetService = %+v, %v", sv, err)
	}
	_, err = c.GetService(context.Background(), "PNOSUCH")
	var ae pagerduty.APIError
	if !errors.As(err, &ae) || !ae.NotFound() {
		t.Errorf("unknown service: %v, want a 404 APIError", err)
	}
	before := len(s.Requests())
	if _, err := c.GetService(context.Background(), "../users"); err == nil {
		t.Error("a malformed ID was accepted")
	}
	if len(s.Requests()) != before {
		t.Error("a malformed ID reached PagerDuty")
	}
}
