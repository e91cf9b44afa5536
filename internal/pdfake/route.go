package pdfake

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Path segments that may stand for an ID. Anything else in an ID position is a
// 404, never a redirect or a lookup (notes §1.7, §4.1).
//
// The patterns of this package (as those of slackfake and demo) are compiled on
// first use: the release binary links it for `pdbot demo`, and `pdbot serve`,
// which never runs it, paid for compiling them at start-up in heap and
// resident memory.
var (
	idPattern             = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Z0-9]{1,20}$`) })
	incidentNumberPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9]{1,10}$`) })
	abilityPattern        = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9_]{1,64}$`) })
)

// handlerFunc serves one operation. It returns the response to send, or an
// *apiError; it never writes to the connection itself, so a fault can replace
// its answer after it ran (Fault.Landed).
type handlerFunc func(s *Server, c *call) (response, *apiError)

// route is the outcome of matching a request line.
type route struct {
	template string            // the document's path template; "" if none matches
	params   map[string]string // path parameters by name
	handler  handlerFunc       // nil when pdfake does not serve this method
	unsafe   string            // why the path is refused outright, or ""
}

// rawPath returns the path exactly as the client sent it: r.RequestURI up to
// the query. r.URL.Path is already percent-decoded, which would turn
// "..%2Fusers" into "../users" and "%2E%2E" into "..".
func rawPath(r *http.Request) string {
	p := r.RequestURI
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	return p
}

// match routes method and the raw request path. It never cleans the path: a
// path that is not exactly one of PagerDuty's, segment by segment, is refused.
func match(method, raw string) route {
	if strings.ContainsRune(raw, '%') {
		return route{unsafe: "percent-encoded characters in the path (no PagerDuty ID or route needs them)"}
	}
	if !strings.HasPrefix(raw, "/") {
		return route{unsafe: fmt.Sprintf("request target %q is not an absolute path", raw)}
	}
	segs := strings.Split(raw[1:], "/")
	for _, seg := range segs {
		switch seg {
		case "":
			return route{unsafe: "empty path segment"}
		case ".", "..":
			return route{unsafe: fmt.Sprintf("dot segment %q in the path", seg)}
		}
	}

	id := func(i int, ok func(string) bool, what string) (string, string) {
		if ok(segs[i]) {
			return segs[i], ""
		}
		return "", fmt.Sprintf("path segment %q is not a well-formed %s", segs[i], what)
	}
	isID := idPattern().MatchString
	isAbility := abilityPattern().MatchString

	var (
		template string
		param    string
		bad      string
		handlers map[string]handlerFunc
	)
	switch {
	case len(segs) == 1 && segs[0] == "incidents":
		template, handlers = "/incidents", map[string]handlerFunc{
			http.MethodPut:  (*Server).manageIncidents,
			http.MethodPost: (*Server).createIncident,
			http.MethodGet:  (*Server).listIncidents,
		}
	case len(segs) == 2 && segs[0] == "incidents":
		param, bad = id(1, isID, "incident ID or number")
		template, handlers = "/incidents/{id}", map[string]handlerFunc{
			http.MethodGet: (*Server).getIncident,
			http.MethodPut: (*Server).updateIncident,
		}
	case len(segs) == 3 && segs[0] == "incidents" && segs[2] == "notes":
		param, bad = id(1, isID, "incident ID")
		template, handlers = "/incidents/{id}/notes", map[string]handlerFunc{
			http.MethodGet:  (*Server).listNotes,
			http.MethodPost: (*Server).createNote,
		}
	case len(segs) == 3 && segs[0] == "incidents" && segs[2] == "responder_requests":
		param, bad = id(1, isID, "incident ID")
		template, handlers = "/incidents/{id}/responder_requests", map[string]handlerFunc{
			http.MethodPost: (*Server).createResponderRequest,
		}
	case len(segs) == 3 && segs[0] == "incidents" && segs[2] == "snooze":
		param, bad = id(1, isID, "incident ID")
		template, handlers = "/incidents/{id}/snooze", map[string]handlerFunc{
			http.MethodPost: (*Server).snoozeIncident,
		}
	case len(segs) == 1 && segs[0] == "priorities":
		template, handlers = "/priorities", map[string]handlerFunc{http.MethodGet: (*Server).listPriorities}
	case len(segs) == 3 && segs[0] == "incidents" && segs[2] == "merge":
		param, bad = id(1, isID, "incident ID")
		template, handlers = "/incidents/{id}/merge", map[string]handlerFunc{
			http.MethodPut: (*Server).mergeIncidents,
		}
	case len(segs) == 3 && segs[0] == "incidents" && segs[2] == "status_updates":
		param, bad = id(1, isID, "incident ID")
		template, handlers = "/incidents/{id}/status_updates", map[string]handlerFunc{
			http.MethodPost: (*Server).createStatusUpdate,
		}
	case len(segs) == 1 && segs[0] == "incident_workflows":
		template, handlers = "/incident_workflows", map[string]handlerFunc{http.MethodGet: (*Server).listWorkflows}
	case len(segs) == 3 && segs[0] == "incident_workflows" && segs[2] == "instances":
		param, bad = id(1, isID, "incident workflow ID")
		template, handlers = "/incident_workflows/{id}/instances", map[string]handlerFunc{
			http.MethodPost: (*Server).startWorkflow,
		}
	case len(segs) == 3 && segs[0] == "incidents" && segs[2] == "log_entries":
		param, bad = id(1, isID, "incident ID")
		template, handlers = "/incidents/{id}/log_entries", map[string]handlerFunc{
			http.MethodGet: (*Server).listIncidentLogEntries,
		}
	case len(segs) == 1 && segs[0] == "log_entries":
		template, handlers = "/log_entries", map[string]handlerFunc{http.MethodGet: (*Server).listLogEntries}
	case len(segs) == 2 && segs[0] == "log_entries":
		param, bad = id(1, isID, "log entry ID")
		template, handlers = "/log_entries/{id}", map[string]handlerFunc{http.MethodGet: (*Server).getLogEntry}
	case len(segs) == 1 && segs[0] == "services":
		template, handlers = "/services", map[string]handlerFunc{http.MethodGet: (*Server).listServices}
	case len(segs) == 2 && segs[0] == "services":
		param, bad = id(1, isID, "service ID")
		template, handlers = "/services/{id}", map[string]handlerFunc{http.MethodGet: (*Server).getService}
	case len(segs) == 1 && segs[0] == "users":
		template, handlers = "/users", map[string]handlerFunc{http.MethodGet: (*Server).listUsers}
	case len(segs) == 2 && segs[0] == "users" && segs[1] == "me":
		template, handlers = "/users/me", map[string]handlerFunc{http.MethodGet: (*Server).currentUser}
	case len(segs) == 2 && segs[0] == "users":
		param, bad = id(1, isID, "user ID")
		template, handlers = "/users/{id}", map[string]handlerFunc{http.MethodGet: (*Server).getUser}
	case len(segs) == 1 && segs[0] == "escalation_policies":
		template, handlers = "/escalation_policies", map[string]handlerFunc{http.MethodGet: (*Server).listPolicies}
	case len(segs) == 2 && segs[0] == "escalation_policies":
		param, bad = id(1, isID, "escalation policy ID")
		template, handlers = "/escalation_policies/{id}", map[string]handlerFunc{http.MethodGet: (*Server).getPolicy}
	case len(segs) == 1 && segs[0] == "oncalls":
		template, handlers = "/oncalls", map[string]handlerFunc{http.MethodGet: (*Server).listOncalls}
	case len(segs) == 1 && segs[0] == "schedules":
		template, handlers = "/schedules", map[string]handlerFunc{http.MethodGet: (*Server).listSchedules}
	case len(segs) == 2 && segs[0] == "schedules":
		param, bad = id(1, isID, "schedule ID")
		template, handlers = "/schedules/{id}", map[string]handlerFunc{http.MethodGet: (*Server).getSchedule}
	case len(segs) == 1 && segs[0] == "abilities":
		template, handlers = "/abilities", map[string]handlerFunc{http.MethodGet: (*Server).listAbilities}
	case len(segs) == 2 && segs[0] == "abilities":
		param, bad = id(1, isAbility, "ability name")
		template, handlers = "/abilities/{id}", map[string]handlerFunc{http.MethodGet: (*Server).testAbility}
	default:
		// Other PagerDuty paths (and non-PagerDuty ones) are not served;
		// ServeHTTP tells the two apart with the document when it has one.
		return route{template: guessTemplate(segs)}
	}
	if bad != "" {
		return route{unsafe: bad}
	}
	rt := route{template: template, handler: handlers[method]}
	if param != "" {
		rt.params = map[string]string{"id": param}
	}
	return rt
}

// guessTemplate maps an unserved path to the document's template form by
// replacing ID-looking segments with {id}, so ServeHTTP can tell "PagerDuty
// has this, pdfake does not serve it" from "no such path".
func guessTemplate(segs []string) string {
	out := make([]string, len(segs))
	for i, seg := range segs {
		out[i] = seg
		if i%2 == 1 && idPattern().MatchString(seg) {
			out[i] = "{id}"
		}
	}
	return "/" + strings.Join(out, "/")
}

// queryParams are the query parameters PagerDuty's document declares for each
// operation pdfake serves (TestQueryParamsMatchDocument keeps them in step).
// Any other parameter is refused: a '?' inside an ID that go-pagerduty pasted
// into the path unescaped ("P1?x=1", notes §4.1) shows up as exactly that.
var queryParams = map[string][]string{
	"PUT /incidents":  {"limit", "offset", "total"},
	"POST /incidents": nil,
	"GET /incidents": {"limit", "offset", "total", "date_range", "incident_key", "service_ids[]", "team_ids[]", "user_ids[]",
		"urgencies[]", "time_zone", "statuses[]", "sort_by", "include[]", "since", "until"},
	"GET /oncalls": {"time_zone", "limit", "offset", "total", "include[]", "user_ids[]", "escalation_policy_ids[]",
		"schedule_ids[]", "since", "until", "earliest"},
	"GET /schedules": {"limit", "offset", "total", "query", "include[]", "time_zone", "include_next_oncall_for_user",
		"since", "until", "team_ids[]"},
	"GET /schedules/{id}":                     {"time_zone", "since", "until", "overflow", "include_next_oncall_for_user"},
	"GET /incidents/{id}":                     {"include[]"},
	"PUT /incidents/{id}":                     nil,
	"GET /incidents/{id}/notes":               nil,
	"POST /incidents/{id}/notes":              nil,
	"POST /incidents/{id}/responder_requests": nil,
	"POST /incidents/{id}/snooze":             nil,
	"GET /priorities":                         {"limit", "offset", "total"},
	"PUT /incidents/{id}/merge":               nil,
	"POST /incidents/{id}/status_updates":     nil,
	"GET /incident_workflows":                 {"limit", "offset", "total", "query", "include[]"},
	"POST /incident_workflows/{id}/instances": nil,
	"GET /incidents/{id}/log_entries":         {"limit", "offset", "total", "time_zone", "since", "until", "is_overview", "include[]"},
	"GET /log_entries":                        {"limit", "offset", "total", "time_zone", "since", "until", "is_overview", "include[]", "team_ids[]"},
	"GET /log_entries/{id}":                   {"time_zone", "include[]"},
	"GET /services":                           {"query", "limit", "offset", "total", "team_ids[]", "time_zone", "sort_by", "include[]", "name"},
	"GET /services/{id}":                      {"include[]"},
	"GET /users":                              {"query", "team_ids[]", "limit", "offset", "total", "include[]"},
	"GET /users/me":                           {"include[]"},
	"GET /users/{id}":                         {"include[]"},
	"GET /escalation_policies":                {"limit", "offset", "total", "query", "user_ids[]", "team_ids[]", "include[]", "sort_by"},
	"GET /escalation_policies/{id}":           {"include[]"},
	"GET /abilities":                          nil,
	"GET /abilities/{id}":                     nil,
}

// unknownQueryParam returns the first query parameter the operation does not
// declare, or "".
func unknownQueryParam(method, template string, query map[string][]string) string {
	allowed := queryParams[method+" "+template]
	var bad []string
	for name := range query {
		if !slices.Contains(allowed, name) {
			bad = append(bad, name)
		}
	}
	if len(bad) == 0 {
		return ""
	}
	slices.Sort(bad)
	return bad[0]
}
