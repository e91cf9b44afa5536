package handlers

import (
	"strings"
	"unicode"
)

var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Escape makes user or PagerDuty text safe inside Slack mrkdwn: nobody can
// inject <!channel>, a mention or a disguised link through an incident title
// or a note.
func Escape(s string) string { return mrkdwnEscaper.Replace(s) }

// Unescape reverses Slack's own escaping of slash-command text, so a note
// reads "a < b" in PagerDuty rather than "a &lt; b".
func Unescape(s string) string { return unescaper.Replace(s) }

// unescaper is built once: a Replacer is costly to build and safe to share.
var unescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

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

// CheckFreeText refuses text that holds a word shaped like an API key or
// token (LooksLikeSecret): a note, a resolve or status message, a
// responder request's message, a resolution — anything pdbot would send to
// PagerDuty or post in a channel. It is the one check every such field
// goes through (the dispatcher runs it, before any request, for routes
// marked FreeText). The refusal never quotes the text.
func CheckFreeText(texts ...string) error {
	for _, t := range texts {
		// Words are split where a key cannot go on: white space, and the
		// separators of key=value and lists.
		for _, w := range strings.FieldsFunc(Unescape(t), func(r rune) bool { return unicode.IsSpace(r) || strings.ContainsRune("=,;", r) }) {
			if LooksLikeSecret(strings.Trim(w, "\"'`“”‘’()[]{}<>.,;:!?*_~|")) || LooksLikeSecret(w) {
				return &UserError{Msg: "That text holds something shaped like an API key or token, so pdbot neither sent it to PagerDuty nor posted it. Take it out and try again; if it is a real key, regenerate it (in PagerDuty: Integrations › API Access Keys) and set the new one with `/pd key`."}
			}
		}
	}
	return nil
}
