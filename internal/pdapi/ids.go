package pdapi

import "regexp"

var (
	// PagerDuty incident IDs: 7 characters starting with P (classic) or 14
	// starting with Q (current), upper-case letters and digits only.
	incidentIDRe = regexp.MustCompile(`^(P[A-Z0-9]{6}|Q[A-Z0-9]{13})$`)
	// Other PagerDuty object IDs (users, policies, services).
	objectIDRe = regexp.MustCompile(`^P[A-Z0-9]{6}$`)
	// segmentRe is what Do accepts as one path segment: a resource name
	// ("incidents", "responder_requests"), or an ID or number (upper-case
	// letters and digits). Nothing that could end, climb out of or
	// re-route a path (/ . % ? # space) passes.
	segmentRe = regexp.MustCompile(`^([a-z][a-z_]{0,63}|[A-Z0-9]{1,20})$`)
)

// ValidIncidentID reports whether s is a well-formed incident ID.
func ValidIncidentID(s string) bool { return incidentIDRe.MatchString(s) }

// ValidObjectID reports whether s is a well-formed PagerDuty user, policy or
// service ID.
func ValidObjectID(s string) bool { return objectIDRe.MatchString(s) }

func validSegment(s string) bool { return segmentRe.MatchString(s) }
