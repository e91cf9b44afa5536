package handlers

import "strings"

var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Escape makes user or PagerDuty text safe inside Slack mrkdwn: nobody can
// inject <!channel>, a mention or a disguised link through an incident title
// or a note.
func Escape(s string) string { return mrkdwnEscaper.Replace(s) }

// Unescape reverses Slack's own escaping of slash-command text, so a note
// reads "a < b" in PagerDuty rather than "a &lt; b".
func Unescape(s string) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

// clipEscaped clips already-escaped mrkdwn to n runes without cutting an
// entity (&amp; &lt; &gt;) in half.
func clipEscaped(s string, n int) string {
	c := clip(s, n)
	if c == s {
		return s
	}
	body := strings.TrimSuffix(c, "…")
	if i := strings.LastIndexByte(body, '&'); i >= 0 && !strings.Contains(body[i:], ";") {
		body = body[:i]
	}
	return body + "…"
}
