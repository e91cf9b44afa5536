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
	return getObject[Service](ctx, c, "service", "services", id)
}

// SearchServices hands each service whose name matches query (PagerDuty's
// partial, case-insensitive match; "" matches all) to each, in PagerDuty's
// order, reading page after page until each returns false or there are no
// more (GET /services?query=). Services with a malformed ID are skipped.
func (c *Client) SearchServices(ctx context.Context, query string, each func(Service) bool) error {
	return searchObjects(ctx, c, "services", "services", query, func(s Service) string { return s.ID }, each)
}

// getObject fetches /RESOURCE/{id} and decodes the answer's KEY object,
// what naming it in errors (GET /services/{id} answers {"service": …}).
func getObject[T any](ctx context.Context, c *Client, key, resource, id string) (T, error) {
	var zero T
	if !ValidObjectID(id) {
		return zero, fmt.Errorf("get %s: malformed id", key)
	}
	out := map[string]*T{key: new(T)}
	if err := c.Do(ctx, Call{Method: http.MethodGet, Path: []string{resource, id}}, &out); err != nil {
		return zero, fmt.Errorf("get %s %s: %w", key, id, err)
	}
	if v := out[key]; v != nil {
		return *v, nil
	}
	return zero, nil
}

// searchObjects hands each object of /RESOURCE?query= (PagerDuty's partial,
// case-insensitive name match; "" lists all) to each, in PagerDuty's order,
// page after page until each returns false or there are no more. Objects
// whose id is malformed are skipped.
func searchObjects[T any](ctx context.Context, c *Client, resource, what, query string, id func(T) string, each func(T) bool) error {
	q := url.Values{}
	if query != "" {
		q.Set("query", query)
	}
	err := List(ctx, c, []string{resource}, q, resource, func(v T) bool {
		if !ValidObjectID(id(v)) {
			return true
		}
		return each(v)
	})
	if err != nil {
		return fmt.Errorf("search %s: %w", what, err)
	}
	return nil
}
