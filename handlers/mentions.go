package handlers

import "strings"

// leadingMentions splits the Slack mentions that open s (`<@U1|bob>
// <@U2|carol>, need a DBA`) from the text after them. In
// `/pd responders INC @bob @carol MESSAGE` the leading mentions are the
// people asked to join; mentions inside the message stay part of it.
func leadingMentions(s string) (mentions []string, rest string) {
	rest = strings.TrimSpace(s)
	for rest != "" {
		first, after := SplitFirst(rest)
		m := strings.TrimRight(first, ",")
		if !mentionRe.MatchString(m) {
			break
		}
		mentions = append(mentions, m)
		rest = strings.TrimLeft(after, ", ")
	}
	return mentions, rest
}
