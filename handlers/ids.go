package handlers

import (
	"context"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/PagerDuty/go-pagerduty"

	"github.com/pdbot/pdbot/internal/pdapi"
)

// maxRefLen bounds what we even look at as an incident reference; a URL to an
// incident is well under it.
const maxRefLen = 200

var (
	numberRe = regexp.MustCompile(`^#?([0-9]{1,10})$`)
	// An incident URL inside free text (topic, purpose, a message).
	incidentURLInText = regexp.MustCompile(`https://[a-z0-9-]+\.(?:eu\.)?pagerduty\.com/incidents/([A-Z0-9]+)\b`)
	// A bare ID inside free text; it must hold a digit so words such as
	// "PROBLEM" in a topic are not taken for incidents.
	incidentIDInText = regexp.MustCompile(`\b(P[A-Z0-9]{6}|Q[A-Z0-9]{13})\b`)
)

// Ref is a well-formed reference to an incident: an ID, or a number that must
// be looked up before anything is written.
type Ref struct {
	ID     string
	Number uint
}

// IsZero reports whether r names nothing.
func (r Ref) IsZero() bool { return r.ID == "" && r.Number == 0 }

func (r Ref) String() string {
	if r.ID != "" {
		return r.ID
	}
	if r.Number != 0 {
		return "#" + strconv.FormatUint(uint64(r.Number), 10)
	}
	return ""
}

// FetchIncident fetches the incident ref names: by ID, or by number (the
// one PagerDuty call that takes a number).
func FetchIncident(ctx context.Context, pd *pdapi.Client, ref Ref) (*pagerduty.Incident, error) {
	if ref.ID != "" {
		return pd.GetIncident(ctx, ref.ID)
	}
	return pd.GetIncidentByNumber(ctx, ref.Number)
}

// ParseRef parses an incident ID, an incident URL (plain or wrapped by Slack
// as <url> or <url|label>) or #NUMBER. It refuses anything else, so nothing
// that is not a well-formed reference reaches a PagerDuty URL path.
func ParseRef(s string) (Ref, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Ref{}, &UserError{Msg: "Give an incident: an ID (like Q3X2KJH7PQ9LMN), an incident URL or #NUMBER."}
	}
	if len(s) > maxRefLen {
		return Ref{}, &UserError{Msg: "That is not an incident reference: give an incident ID (like Q3X2KJH7PQ9LMN), an incident URL or #NUMBER."}
	}
	if strings.HasPrefix(s, "<") && strings.HasSuffix(s, ">") {
		s = strings.TrimSuffix(strings.TrimPrefix(s, "<"), ">")
		if i := strings.IndexByte(s, '|'); i >= 0 {
			s = s[:i]
		}
	}
	if pdapi.ValidIncidentID(s) {
		return Ref{ID: s}, nil
	}
	if m := numberRe.FindStringSubmatch(s); m != nil && strings.HasPrefix(s, "#") {
		n, err := strconv.ParseUint(m[1], 10, 32)
		if err == nil && n > 0 {
			return Ref{Number: uint(n)}, nil
		}
	}
	if u, err := url.Parse(s); err == nil && u.Scheme == "https" && isPagerDutyHost(u.Host) && u.RawQuery == "" {
		parts := strings.Split(strings.Trim(u.EscapedPath(), "/"), "/")
		if len(parts) == 2 && parts[0] == "incidents" && pdapi.ValidIncidentID(parts[1]) {
			return Ref{ID: parts[1]}, nil
		}
	}
	// The input is not quoted back: it could be anything, even a pasted key.
	return Ref{}, &UserError{Msg: "That is not an incident reference: give an incident ID (like Q3X2KJH7PQ9LMN), an incident URL or #NUMBER."}
}

// LooksLikeRef reports whether a word is meant as an incident reference (so
// "/pd note Q1ABC… text" takes it as the incident rather than as text). A
// bare classic ID must hold a digit, so a note starting "PENDING restart"
// stays text.
func LooksLikeRef(s string) bool {
	ref, err := ParseRef(s)
	if err != nil {
		return false
	}
	bareClassic := len(s) == 7 && s == ref.ID
	return !bareClassic || strings.ContainsAny(s, "0123456789")
}

// FindRefInText finds an incident URL or ID in free text such as a channel
// topic or a message.
func FindRefInText(s string) (Ref, bool) {
	if m := incidentURLInText.FindStringSubmatch(s); m != nil && pdapi.ValidIncidentID(m[1]) {
		return Ref{ID: m[1]}, true
	}
	for _, m := range incidentIDInText.FindAllString(s, -1) {
		if strings.ContainsAny(m, "0123456789") {
			return Ref{ID: m}, true
		}
	}
	return Ref{}, false
}

func isPagerDutyHost(h string) bool {
	return h == "pagerduty.com" || strings.HasSuffix(h, ".pagerduty.com")
}

// SplitFirst splits off the first whitespace-separated word.
func SplitFirst(s string) (first, rest string) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' })
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i+1:])
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// secretShape reports whether s is what API keys and tokens look like: one
// long word (20 to 128 bytes) of ASCII letters, digits and _ + -. It is a
// loop, not a regular expression: compiling `^[A-Za-z0-9_+\-]{20,128}$`
// took 109 KB of heap at start-up, most of it resident for good.
func secretShape(s string) bool {
	if len(s) < 20 || len(s) > 128 {
		return false
	}
	for i := range len(s) {
		switch c := s[i]; {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '_', c == '+', c == '-':
		default:
			return false
		}
	}
	return true
}

// LooksLikeSecret reports whether s is shaped like an API key or token (and
// not like a name): pdbot then neither looks it up nor repeats it.
func LooksLikeSecret(s string) bool {
	return secretShape(s) && strings.ContainsAny(s, "0123456789") &&
		strings.IndexFunc(s, func(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }) >= 0 ||
		strings.HasPrefix(s, "xox") || strings.HasPrefix(s, "xapp-")
}
