package pdfake

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// KeyKind is the kind of a REST API key, which decides who acts and what the
// key may do (notes §1.2, §5.3).
type KeyKind int

const (
	// AccountKey is an account-level ("general access") key: writes need a
	// From header naming the acting user.
	AccountKey KeyKind = iota
	// ReadOnlyKey is an account-level key that may only GET (403/2010 otherwise).
	ReadOnlyKey
	// UserKey is a user-level key bound to one user (AddUserKey): that user
	// acts, From is optional, and GET /users/me works.
	UserKey
)

// String returns the Go name of k.
func (k KeyKind) String() string {
	switch k {
	case AccountKey:
		return "AccountKey"
	case ReadOnlyKey:
		return "ReadOnlyKey"
	case UserKey:
		return "UserKey"
	}
	return fmt.Sprintf("KeyKind(%d)", int(k))
}

// User is a PagerDuty user.
type User struct {
	ID, Name, Email, Role, TimeZone string
}

// EscalationPolicy is a PagerDuty escalation policy.
type EscalationPolicy struct {
	ID, Name string
	// UserIDs are the targets of the policy's first rule (optional): an
	// incident (re)assigned through the policy is assigned to them.
	UserIDs []string
	// Levels are the user targets of the policy's later rules (levels 2,
	// 3, …), in order (optional): escalation_level N assigns an incident
	// to level N's users.
	Levels [][]string
}

// rules are the targets of each of the policy's escalation rules, level 1
// first; a level without users is not a rule.
func (p EscalationPolicy) rules() [][]string {
	var out [][]string
	for _, users := range append([][]string{p.UserIDs}, p.Levels...) {
		if len(users) > 0 {
			out = append(out, users)
		}
	}
	return out
}

// Service is a PagerDuty service.
type Service struct {
	ID, Name, EscalationPolicyID string
	Description                  string // optional
}

// Priority is one of the account's incident priorities (AddPriority).
type Priority struct {
	ID, Name, Description string
}

// Incident is a PagerDuty incident as seeded (AddIncident) and as inspected
// (Server.Incident).
type Incident struct {
	ID                 string
	Number             int    // incident_number; 0 on AddIncident picks the next one
	Title              string //
	Status             string // triggered (default), acknowledged or resolved
	Urgency            string // high (default) or low
	ServiceID          string
	EscalationPolicyID string // defaults to the service's policy
	Assignees          []string
	// Acknowledgers are the users whose acknowledgement is current, in order.
	Acknowledgers     []string
	Resolution        string
	CreatedAt         time.Time // zero on AddIncident means now
	ResolvedAt        time.Time
	Notes             []Note
	ResponderRequests []ResponderRequest
	// PriorityID is the incident's priority (AddPriority), "" for none.
	PriorityID string
	// MergedInto is the ID of the incident this one was merged into
	// (MergeIncidents); a merged incident is resolved.
	MergedInto string
	// Details is the body's details of an incident made by POST /incidents.
	Details string
	// EscalationLevel is the level of the policy the incident is at (1 on
	// AddIncident when 0); escalation_level on PUT /incidents/{id} moves it.
	EscalationLevel int
	// SnoozedUntil is when a snoozed incident goes back to triggered
	// (POST /incidents/{id}/snooze); zero when it is not snoozed.
	SnoozedUntil time.Time
	// Alerts is how many alerts the incident groups (alert_counts); 0 on
	// AddIncident means one. Merging adds the sources' alerts to the target.
	Alerts int
	// StatusUpdates are the stakeholder status updates sent for it.
	StatusUpdates []StatusUpdate
	// WorkflowRuns are the incident workflows started on it.
	WorkflowRuns []WorkflowRun
}

// Note is an incident note.
type Note struct {
	ID, UserID, Content string
	CreatedAt           time.Time
}

// ResponderRequest is a request for additional responders on an incident.
type ResponderRequest struct {
	RequesterID, Message string
	Targets              []Target
	RequestedAt          time.Time
}

// Target is a responder request target: Type is user_reference or
// escalation_policy_reference.
type Target struct {
	ID, Type string
}

// incidentState is the server's copy of an incident plus what only the
// rendered JSON needs.
type incidentState struct {
	Incident
	assignedAt      map[string]time.Time
	acknowledgedAt  map[string]time.Time
	assignedVia     string
	updatedAt       time.Time
	lastChangeAt    time.Time
	lastChangeByUsr string // user ID; "" means the service
	// pending are log entries of a change not yet committed (commitLog).
	pending []logEntryDraft
}

func (in Incident) clone() Incident {
	in.Assignees = slices.Clone(in.Assignees)
	in.Acknowledgers = slices.Clone(in.Acknowledgers)
	in.Notes = slices.Clone(in.Notes)
	in.ResponderRequests = slices.Clone(in.ResponderRequests)
	in.StatusUpdates = slices.Clone(in.StatusUpdates)
	in.WorkflowRuns = slices.Clone(in.WorkflowRuns)
	for i := range in.ResponderRequests {
		in.ResponderRequests[i].Targets = slices.Clone(in.ResponderRequests[i].Targets)
	}
	return in
}

func (st *incidentState) clone() *incidentState {
	c := *st
	c.Incident = st.Incident.clone()
	c.pending = slices.Clone(st.pending)
	c.assignedAt = make(map[string]time.Time, len(st.assignedAt))
	for k, v := range st.assignedAt {
		c.assignedAt[k] = v
	}
	c.acknowledgedAt = make(map[string]time.Time, len(st.acknowledgedAt))
	for k, v := range st.acknowledgedAt {
		c.acknowledgedAt[k] = v
	}
	return &c
}

// AddKey registers an API key of the given kind. For UserKey use AddUserKey.
func (s *Server) AddKey(token string, kind KeyKind) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[token] = apiKey{kind: kind}
}

// AddUserKey registers a user-level API key acting as userID.
func (s *Server) AddUserKey(token, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[token] = apiKey{kind: UserKey, userID: userID}
}

// AddUser adds or replaces a user.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = u
}

// AddEscalationPolicy adds or replaces an escalation policy.
func (s *Server) AddEscalationPolicy(p EscalationPolicy) {
	p.UserIDs = slices.Clone(p.UserIDs)
	p.Levels = slices.Clone(p.Levels)
	for i := range p.Levels {
		p.Levels[i] = slices.Clone(p.Levels[i])
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.policies[p.ID] = p
}

// AddService adds or replaces a service.
func (s *Server) AddService(sv Service) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.services[sv.ID] = sv
}

// AddPriority adds or replaces an incident priority. GET /priorities lists
// them in the order they were first added (PagerDuty lists them most
// severe first).
func (s *Server) AddPriority(p Priority) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.priorities[p.ID]; !ok {
		s.priorityOrder = append(s.priorityOrder, p.ID)
	}
	s.priorities[p.ID] = p
}

// SetPriorities replaces the account's priorities with ps, most severe
// first. A new Server has none; SetPriorities() with no arguments removes
// them all, as on an account where priorities are turned off.
func (s *Server) SetPriorities(ps ...Priority) {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.priorities)
	s.priorityOrder = nil
	for _, p := range ps {
		if _, ok := s.priorities[p.ID]; !ok {
			s.priorityOrder = append(s.priorityOrder, p.ID)
		}
		s.priorities[p.ID] = p
	}
}

// AddIncident adds or replaces an incident. Empty fields get defaults: Status
// triggered, Urgency high, CreatedAt now, Number the next free number,
// EscalationPolicyID the service's policy.
func (s *Server) AddIncident(in Incident) {
	in = in.clone()
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if in.ID == "" {
		in.ID = s.newID("Q", 14)
	}
	if in.Status == "" {
		in.Status = statusTriggered
	}
	if in.Urgency == "" {
		in.Urgency = "high"
	}
	if in.Alerts == 0 {
		in.Alerts = 1
	}
	if in.CreatedAt.IsZero() {
		in.CreatedAt = now
	}
	if in.Number == 0 {
		for _, other := range s.incidents {
			in.Number = max(in.Number, other.Number)
		}
		in.Number++
	}
	if in.EscalationPolicyID == "" {
		in.EscalationPolicyID = s.services[in.ServiceID].EscalationPolicyID
	}
	if in.EscalationLevel == 0 {
		in.EscalationLevel = 1
	}
	if in.Status == statusResolved && in.ResolvedAt.IsZero() {
		in.ResolvedAt = in.CreatedAt
	}
	st := &incidentState{
		Incident:       in,
		assignedAt:     map[string]time.Time{},
		acknowledgedAt: map[string]time.Time{},
		assignedVia:    "escalation_policy",
		updatedAt:      in.CreatedAt,
		lastChangeAt:   in.CreatedAt,
	}
	for _, u := range in.Assignees {
		st.assignedAt[u] = in.CreatedAt
	}
	for _, u := range in.Acknowledgers {
		st.acknowledgedAt[u] = in.CreatedAt
	}
	s.incidents[in.ID] = st
}

// SetAbilities replaces the account's abilities (GET /abilities). The default
// is DefaultAbilities; SetAbilities() with no arguments leaves none, so
// responder requests answer 402.
func (s *Server) SetAbilities(abilities ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.abilities = slices.Clone(abilities)
}

// SetWebURL sets the web UI base of the account (https://SUBDOMAIN.pagerduty.com,
// no trailing slash), which every html_url starts with.
func (s *Server) SetWebURL(base string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webURL = base
}

// DefaultAbilities are the abilities a new Server's account has. They include
// coordinated_responding, which responder requests need.
var DefaultAbilities = []string{"teams", "read_only_users", "service_support_hours", "urgencies", "coordinated_responding"}

// knownAbilities are the ability names GET /abilities/{id} answers 402 (not
// 404) for when the account lacks them.
var knownAbilities = []string{
	"coordinated_responding", "event_rules", "manage_schedules", "preview_incident_alert_grouping",
	"read_only_users", "response_plays", "service_support_hours", "services", "status_pages",
	"teams", "team_responders", "urgencies",
}

// Incident returns a deep copy of the incident with the given ID.
func (s *Server) Incident(id string) (Incident, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.incidents[id]
	if !ok {
		return Incident{}, false
	}
	return st.Incident.clone(), true
}

// newID returns a fresh upper-case alphanumeric ID of n characters starting
// with prefix. The caller holds s.mu.
func (s *Server) newID(prefix string, n int) string {
	s.seq++
	return fmt.Sprintf("%s%0*X", prefix, n-len(prefix), s.seq)
}

// userByEmail finds a user by email, case-insensitively. The caller holds s.mu.
func (s *Server) userByEmail(email string) (User, bool) {
	for _, u := range s.users {
		if strings.EqualFold(u.Email, email) {
			return u, true
		}
	}
	return User{}, false
}
