package pdapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// Service is the part of a PagerDuty service pdbot uses.
type Service struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// GetService fetches a service by ID (GET /services/{id}).
func (c *Client) GetService(ctx context.Context, id string) (Service, error) {
	if !ValidObjectID(id) {
		return Service{}, fmt.Errorf("get service: malformed id")
	}
	var out struct {
		Service Service `json:"service"`
	}
	if err := c.Do(ctx, Call{Method: http.MethodGet, Path: []string{"services", id}}, &out); err != nil {
		return Service{}, fmt.Errorf("get service %s: %w", id, err)
	}
	return out.Service, nil
}

// SearchServices hands each service whose name matches query (PagerDuty's
// partial, case-insensitive match; "" matches all) to each, in PagerDuty's
// order, reading page after page until each returns false or there are no
// more (GET /services?query=). Services with a malformed ID are skipped.
func (c *Client) SearchServices(ctx context.Context, query string, each func(Service) bool) error {
	q := url.Values{}
	if query != "" {
		q.Set("query", query)
	}
	err := List(ctx, c, []string{"services"}, q, "services", func(s Service) bool {
		if !ValidObjectID(s.ID) {
			return true
		}
		return each(s)
	})
	if err != nil {
		return fmt.Errorf("search services: %w", err)
	}
	return nil
}
