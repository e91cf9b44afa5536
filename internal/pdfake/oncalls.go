package pdfake

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
	"time"
)

// maxOncallRange is how far GET /oncalls looks ahead: "On-call shifts are
// limited to 90 days in the future" (the document's since and until).
const maxOncallRange = 90 * 24 * time.Hour

// Schedule is a PagerDuty on-call schedule.
type Schedule struct {
	ID, Name, Description string
	TimeZone              string // defaults to Etc/UTC
}

// OnCall is a seeded on-call: who is on call for an escalation policy at a
// level. With Shift zero it is one shift, from Start to End (zero: it never
// ends), of UserIDs[0]; with ScheduleID "" it is a permanent on-call (the
// policy's rule targets the user directly), rendered without start or end.
// With Shift set, UserIDs take turns in shifts of Shift from Start, forever
// (a rotation), and ScheduleID must be set.
type OnCall struct {
	PolicyID   string
	Level      int // 1 is the first escalation level
	ScheduleID string
	UserIDs    []string
	Start, End time.Time
	Shift      time.Duration
}

// shift is one on-call period as GET /oncalls lists it.
type shift struct {
	oc         OnCall
	user       string
	start, end time.Time // zero: open (permanent, or never ends)
}

// AddSchedule adds or replaces a schedule.
func (s *Server) AddSchedule(sc Schedule) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.schedules[sc.ID] = sc
}

// AddOnCall adds an on-call (see OnCall).
func (s *Server) AddOnCall(oc OnCall) {
	oc.UserIDs = slices.Clone(oc.UserIDs)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.oncalls = append(s.oncalls, oc)
}

// shiftsIn returns oc's shifts that overlap [since, until].
func (oc OnCall) shiftsIn(since, until time.Time) []shift {
	if len(oc.UserIDs) == 0 {
		return nil
	}
	if oc.Shift <= 0 {
		sh := shift{oc: oc, user: oc.UserIDs[0], start: oc.Start, end: oc.End}
		if oc.ScheduleID == "" {
			sh.start, sh.end = time.Time{}, time.Time{}
		}
		if (!sh.start.IsZero() && sh.start.After(until)) || (!sh.end.IsZero() && !sh.end.After(since)) {
			return nil
		}
		return []shift{sh}
	}
	if until.Before(oc.Start) {
		return nil
	}
	k := int64(0)
	if since.After(oc.Start) {
		k = int64(since.Sub(oc.Start) / oc.Shift)
	}
	var out []shift
	for ; ; k++ {
		start := oc.Start.Add(time.Duration(k) * oc.Shift)
		if start.After(until) {
			return out
		}
		out = append(out, shift{oc: oc, user: oc.UserIDs[int(k)%len(oc.UserIDs)], start: start, end: start.Add(oc.Shift)})
	}
}

func (s *Server) listOncalls(c *call) (response, *apiError) {
	q := c.r.URL.Query()
	p, apiErr := parsePage(q)
	if apiErr != nil {
		return response{}, apiErr
	}
	now := s.now()
	since, until := now, now
	var err *apiError
	if v := q.Get("since"); v != "" {
		if since, err = parseTime("since", v); err != nil {
			return response{}, err
		}
		if q.Get("until") == "" {
			until = since
		}
	}
	if v := q.Get("until"); v != "" {
		if until, err = parseTime("until", v); err != nil {
			return response{}, err
		}
	}
	if until.Before(since) {
		return response{}, errInvalid("until cannot be before since")
	}
	if until.After(now.Add(maxOncallRange)) {
		return response{}, errInvalid("On-call shifts are limited to 90 days in the future")
	}
	policies, schedules, users := q["escalation_policy_ids[]"], q["schedule_ids[]"], q["user_ids[]"]
	earliest := q.Get("earliest") == "true"
	s.mu.Lock()
	defer s.mu.Unlock()
	var shifts []shift
	for _, oc := range s.oncalls {
		if len(policies) > 0 && !slices.Contains(policies, oc.PolicyID) {
			continue
		}
		// "If null is provided in the array, it includes permanent
		// on-calls due to direct user escalation targets."
		if len(schedules) > 0 && !slices.Contains(schedules, oc.ScheduleID) && !(oc.ScheduleID == "" && slices.Contains(schedules, "null")) {
			continue
		}
		for _, sh := range oc.shiftsIn(since, until) {
			if len(users) == 0 || slices.Contains(users, sh.user) {
				shifts = append(shifts, sh)
			}
		}
	}
	slices.SortStableFunc(shifts, func(a, b shift) int {
		return cmp.Or(
			cmp.Compare(strings.ToLower(s.policies[a.oc.PolicyID].Name), strings.ToLower(s.policies[b.oc.PolicyID].Name)),
			cmp.Compare(a.oc.PolicyID, b.oc.PolicyID),
			cmp.Compare(a.oc.Level, b.oc.Level),
			a.start.Compare(b.start),
			cmp.Compare(a.user, b.user),
		)
	})
	if earliest {
		type key struct {
			policy, user string
			level        int
		}
		seen := map[key]bool{}
		shifts = slices.DeleteFunc(shifts, func(sh shift) bool {
			k := key{sh.oc.PolicyID, sh.user, sh.oc.Level}
			if seen[k] {
				return true
			}
			seen[k] = true
			return false
		})
	}
	out := []obj{}
	for _, sh := range shifts {
		out = append(out, s.renderOncall(sh))
	}
	return response{http.StatusOK, paginate(p, "oncalls", out)}, nil
}

// parseTime reads a date-time query parameter.
func parseTime(name, v string) (time.Time, *apiError) {
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, errInvalid(name + " must be an ISO 8601 date-time")
	}
	return t, nil
}

// renderOncall renders one on-call as the document's example does. A
// permanent on-call has no start or end: the real API sends null, which the
// document's schema does not allow, so they are left out (as render.go
// does for resolved_at). include[] is accepted and ignored: references
// carry the names pdbot shows. The caller holds s.mu.
func (s *Server) renderOncall(sh shift) obj {
	o := obj{
		"escalation_policy": s.policyRef(sh.oc.PolicyID),
		"user":              s.userRef(sh.user),
		"escalation_level":  sh.oc.Level,
	}
	if sh.oc.ScheduleID != "" {
		o["schedule"] = s.scheduleRef(sh.oc.ScheduleID)
	}
	if !sh.start.IsZero() {
		o["start"] = ts(sh.start)
	}
	if !sh.end.IsZero() {
		o["end"] = ts(sh.end)
	}
	return o
}

func (s *Server) scheduleRef(id string) obj {
	return obj{
		"id": id, "type": "schedule_reference", "summary": s.schedules[id].Name,
		"self": s.URL() + "/schedules/" + id, "html_url": s.webURL + "/schedules/" + id,
	}
}

func (s *Server) listSchedules(c *call) (response, *apiError) {
	q := c.r.URL.Query()
	p, apiErr := parsePage(q)
	if apiErr != nil {
		return response{}, apiErr
	}
	query := q.Get("query")
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []obj{}
	for _, sc := range sortedValues(s.schedules, func(sc Schedule) string { return strings.ToLower(sc.Name) + "\x00" + sc.ID }) {
		if query != "" && !containsFold(sc.Name, query) {
			continue
		}
		if len(q["team_ids[]"]) > 0 { // no schedule here belongs to a team
			continue
		}
		out = append(out, s.renderSchedule(sc))
	}
	return response{http.StatusOK, paginate(p, "schedules", out)}, nil
}

func (s *Server) getSchedule(c *call) (response, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc, ok := s.schedules[c.params["id"]]
	if !ok {
		return response{}, errNotFound()
	}
	return response{http.StatusOK, obj{"schedule": s.renderSchedule(sc)}}, nil
}

// renderSchedule renders a schedule as the document's basic example does:
// the policies that use it and its users come from the seeded on-calls.
// The caller holds s.mu.
func (s *Server) renderSchedule(sc Schedule) obj {
	tz := sc.TimeZone
	if tz == "" {
		tz = "Etc/UTC"
	}
	policies, users := []any{}, []any{}
	var seenP, seenU []string
	for _, oc := range s.oncalls {
		if oc.ScheduleID != sc.ID {
			continue
		}
		if !slices.Contains(seenP, oc.PolicyID) {
			seenP = append(seenP, oc.PolicyID)
			policies = append(policies, s.policyRef(oc.PolicyID))
		}
		for _, u := range oc.UserIDs {
			if !slices.Contains(seenU, u) {
				seenU = append(seenU, u)
				users = append(users, s.userRef(u))
			}
		}
	}
	return obj{
		"id": sc.ID, "type": "schedule", "summary": sc.Name,
		"self": s.URL() + "/schedules/" + sc.ID, "html_url": s.webURL + "/schedules/" + sc.ID,
		"name": sc.Name, "time_zone": tz, "description": sc.Description,
		"escalation_policies": policies, "users": users, "teams": []any{},
	}
}
