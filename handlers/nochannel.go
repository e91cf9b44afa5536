package handlers

import (
	"strings"

	"github.com/pdbot/pdbot/internal/pdapi"
)

// ExplainIn is Explain for a request that came from channel. A request from
// no channel (a global shortcut and its form, answered in the app DM) used
// the workspace's default key, so its advice names that key and how to set
// it, and never speaks of "this channel".
func ExplainIn(channel string, err error, p *pdapi.Client, incident string) (msg string, known bool) {
	msg, known = Explain(err, p, incident)
	if channel == "" {
		msg = noChannel.Replace(msg)
	}
	return msg, known
}

// noChannel rewords the advice of Explain and the dispatcher for requests
// from no channel. TestAdviceWithoutAChannel holds every known piece of
// advice to it, so new wording cannot slip past.
var noChannel = strings.NewReplacer(
	"This channel has no PagerDuty API key and the workspace has no default", "The workspace has no default PagerDuty API key (shortcuts outside a channel use it)",
	"run `/pd key` here (or `/pd key default`)", "run `/pd key default`",
	"the PagerDuty key stored for this channel", "the workspace's default PagerDuty key",
	"this channel's API key", "the workspace's default API key",
	"this channel's PagerDuty key", "the workspace's default PagerDuty key",
	"This channel's PagerDuty key", "The workspace's default PagerDuty key",
	"this channel's key", "the workspace's default key",
	"`/pd key` to set", "`/pd key default` to set",
	"with `/pd key`", "with `/pd key default`",
	" (or `/pd link` the right incident)", "",
)
