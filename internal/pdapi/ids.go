package pdapi

// The checks below are plain loops, not regular expressions: each is a
// length and an ASCII class, and compiling the patterns at start-up cost
// every process about 90 KB of heap (segments' {0,63} alone 73 KB), most of
// it resident for good. ids_test.go checks them against the patterns they
// replace.

// ValidIncidentID reports whether s is a well-formed incident ID: 7
// characters starting with P (classic) or 14 starting with Q (current),
// upper-case letters and digits only.
func ValidIncidentID(s string) bool {
	return (len(s) == 7 && s[0] == 'P' || len(s) == 14 && s[0] == 'Q') && all(s[1:], upperOrDigit)
}

// ValidObjectID reports whether s is a well-formed PagerDuty user, policy or
// service ID: P and 6 upper-case letters or digits.
func ValidObjectID(s string) bool {
	return len(s) == 7 && s[0] == 'P' && all(s[1:], upperOrDigit)
}

// validSegment reports whether s is what Do accepts as one path segment: a
// resource name ("incidents", "responder_requests": a lower-case letter,
// then up to 63 lower-case letters and underscores), or an ID or number (1
// to 20 upper-case letters and digits). Nothing that could end, climb out of
// or re-route a path (/ . % ? # space) passes.
func validSegment(s string) bool {
	switch {
	case s == "":
		return false
	case 'a' <= s[0] && s[0] <= 'z':
		return len(s) <= 64 && all(s, func(c byte) bool { return 'a' <= c && c <= 'z' || c == '_' })
	default:
		return len(s) <= 20 && all(s, upperOrDigit)
	}
}

func upperOrDigit(c byte) bool { return 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' }

// all reports whether every byte of s is ok. Multi-byte UTF-8 never is: every
// class here is ASCII.
func all(s string, ok func(byte) bool) bool {
	for i := range len(s) {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}
