package pdfake

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Pagination limits (notes §1.6): 25 by default, at most 100 per page, and
// offset+limit at most 10000.
const (
	defaultPageLimit = 25
	maxPageLimit     = 100
	maxPageEnd       = 10000
)

func itoa(n int) string { return strconv.Itoa(n) }

// sortedValues returns m's values ordered by key(v).
func sortedValues[K comparable, V any](m map[K]V, key func(V) string) []V {
	out := make([]V, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b V) int { return cmp.Compare(key(a), key(b)) })
	return out
}

// page is classic offset/limit pagination.
type page struct {
	offset, limit int
	total         bool
}

func parsePage(q url.Values) (page, *apiError) {
	p := page{limit: defaultPageLimit}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return p, errInvalid("limit must be an integer")
		}
		if n > 0 {
			p.limit = min(n, maxPageLimit) // clamped, not refused (notes §1.6)
		}
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return p, errInvalid("offset must be a non-negative integer")
		}
		p.offset = n
	}
	if p.offset+p.limit > maxPageEnd {
		return p, errInvalid("Offset+limit exceeds maximum allowed value of 10000. Please try to refine your search to reduce the number of results.")
	}
	p.total = q.Get("total") == "true"
	return p, nil
}

// slice returns the page of items under key, with the pagination fields.
func paginate[T any](p page, key string, items []T) obj {
	end := min(p.offset+p.limit, len(items))
	out := []T{}
	if p.offset < len(items) {
		out = items[p.offset:end]
	}
	var total any
	if p.total {
		total = len(items)
	}
	return obj{key: out, "limit": p.limit, "offset": p.offset, "more": p.offset+len(out) < len(items) && len(out) > 0, "total": total}
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

func (s *Server) listUsers(c *call) (response, *apiError) {
	q := c.r.URL.Query()
	p, err := parsePage(q)
	if err != nil {
		return response{}, err
	}
	query := q.Get("query")
	s.mu.Lock()
	defer s.mu.Unlock()
	users := sortedValues(s.users, func(u User) string { return strings.ToLower(u.Name) + "\x00" + u.ID })
	var out []obj
	for _, u := range users {
		if query == "" || containsFold(u.Name, query) || containsFold(u.Email, query) {
			out = append(out, s.renderUser(u))
		}
	}
	return response{http.StatusOK, paginate(p, "users", out)}, nil
}

func (s *Server) getUser(c *call) (response, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[c.params["id"]]
	if !ok {
		return response{}, errNotFound()
	}
	return response{http.StatusOK, obj{"user": s.renderUser(u)}}, nil
}

// accountKeyMeError is GET /users/me's answer to an account-level key: a
// string "error", not PagerDuty's usual object (notes §2.8).
const accountKeyMeError = "Because this request was made using an account-level access token, we were unable to determine the user's identity. Please use a user-level token."

func (s *Server) currentUser(c *call) (response, *apiError) {
	if c.key.kind != UserKey {
		return response{http.StatusBadRequest, obj{"error": accountKeyMeError}}, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[c.key.userID]
	if !ok {
		return response{}, errNotFound("the user this key belongs to does not exist")
	}
	return response{http.StatusOK, obj{"user": s.renderUser(u)}}, nil
}

func (s *Server) listPolicies(c *call) (response, *apiError) {
	q := c.r.URL.Query()
	p, err := parsePage(q)
	if err != nil {
		return response{}, err
	}
	query := q.Get("query")
	userIDs := q["user_ids[]"]
	s.mu.Lock()
	defer s.mu.Unlock()
	policies := sortedValues(s.policies, func(p EscalationPolicy) string { return strings.ToLower(p.Name) + "\x00" + p.ID })
	if q.Get("sort_by") == "name:desc" {
		slices.Reverse(policies)
	}
	var out []obj
	for _, ep := range policies {
		if query != "" && !containsFold(ep.Name, query) {
			continue
		}
		if len(userIDs) > 0 && !slices.ContainsFunc(userIDs, func(id string) bool { return slices.Contains(ep.UserIDs, id) }) {
			continue
		}
		out = append(out, s.renderPolicy(ep))
	}
	return response{http.StatusOK, paginate(p, "escalation_policies", out)}, nil
}

func (s *Server) getPolicy(c *call) (response, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ep, ok := s.policies[c.params["id"]]
	if !ok {
		return response{}, errNotFound()
	}
	return response{http.StatusOK, obj{"escalation_policy": s.renderPolicy(ep)}}, nil
}

func (s *Server) listAbilities(*call) (response, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return response{http.StatusOK, obj{"abilities": append([]string{}, s.abilities...)}}, nil
}

// errPaymentRequired is the 402 for a missing ability. The code PagerDuty
// uses is not documented; the status is what clients branch on.
func errPaymentRequired(ability string) *apiError {
	return &apiError{status: http.StatusPaymentRequired, code: 2012,
		message: "Account does not have the abilities to perform the action",
		errors:  []string{"The account lacks the " + ability + " ability"}}
}

func (s *Server) testAbility(c *call) (response, *apiError) {
	name := c.params["id"]
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case slices.Contains(s.abilities, name):
		return response{status: http.StatusNoContent}, nil
	case slices.Contains(knownAbilities, name):
		return response{}, errPaymentRequired(name)
	}
	return response{}, errNotFound()
}
