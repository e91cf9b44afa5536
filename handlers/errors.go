package handlers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/internal/pdapi"
)

func sprintf(format string, a ...any) string { return fmt.Sprintf(format, a...) }

// Explain turns an error from a handler into advice for the requester. It is
// the one place where PagerDuty's error codes become words. known is false
// for errors it cannot explain: the caller logs those in full and shows a
// reference instead.
func Explain(err error, p *pdapi.Client, incident string) (msg string, known bool) {
	var ue *UserError
	if errors.As(err, &ue) {
		return ue.Msg, true
	}
	if errors.Is(err, pdapi.ErrNoRequester) {
		return "pdbot does not know who you are in PagerDuty, so nothing was sent. Run `/pd whoami` to see why.", true
	}
	if errors.Is(err, pdapi.ErrUnconfirmed) {
		return "PagerDuty accepted the change but did not send the incident back, so pdbot cannot show the result: it was sent and was probably applied. Check with `/pd get` before doing anything again; sending it again blindly could repeat it.", true
	}
	if errors.Is(err, pdapi.ErrAmbiguousEmail) {
		return "Several PagerDuty users have that email, so pdbot cannot tell which one is meant and sent nothing. Ask a workspace admin to map the person by PagerDuty user ID (`/pd map @user PXXXXXX`), or to give each PagerDuty user an email of their own.", true
	}
	if errors.Is(err, pdapi.ErrAssigneesWithPolicy) {
		return "PagerDuty cannot take assignees and an escalation policy in one update: do one, then the other.", true
	}
	inc := "such incident"
	if incident != "" {
		inc = "incident " + incident
	}
	var ae pagerduty.APIError
	if errors.As(err, &ae) {
		return explainAPI(ae, p, inc)
	}
	if msg, ok := explainSlack(err); ok {
		return msg, true
	}
	if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
		return "PagerDuty did not answer in time. The change may still land: check with `/pd get` before retrying.", true
	}
	if p != nil {
		if t, ok := p.RetryAt(); ok {
			// The client-side limiter held the request back: nothing was sent.
			return "pdbot is pacing requests with this channel's PagerDuty key to stay under PagerDuty's limit, and this one could not wait. Nothing was sent; try again at " + t.UTC().Format("15:04:05") + " UTC.", true
		}
	}
	return "", false
}

// explainAPI turns PagerDuty's error answers into advice. The HTTP status
// decides first and PagerDuty's code only refines it: a 429 or a 400 whose
// body happens to carry 2100 is not "no such incident".
func explainAPI(ae pagerduty.APIError, p *pdapi.Client, inc string) (string, bool) {
	code := 0
	var details []string
	if ae.APIError.Valid {
		code = ae.APIError.ErrorObject.Code
		details = ae.APIError.ErrorObject.Errors
	}
	switch {
	case ae.StatusCode == 429:
		at := "in a minute"
		if p != nil {
			if t, ok := p.RetryAt(); ok {
				at = "at " + t.UTC().Format("15:04:05") + " UTC"
			}
		}
		return "PagerDuty is rate-limiting this channel's key (960 requests a minute). Nothing was changed; try again " + at + ".", true
	case ae.StatusCode == 401:
		return keyRejected, true
	case ae.StatusCode == 403:
		return keyNotAllowed, true
	case ae.StatusCode == 402:
		return "Your PagerDuty account does not include this feature (adding responders needs the coordinated_responding ability). Ask your PagerDuty admin, or page people through an escalation policy instead.", true
	case ae.StatusCode == 404:
		return fmt.Sprintf("PagerDuty has no %s with this channel's key. Check the ID (or `/pd link` the right incident) — or the incident belongs to another PagerDuty account.", Escape(inc)), true
	case ae.StatusCode == 413:
		return "That was too large for PagerDuty. Shorten it and try again.", true
	case ae.StatusCode >= 500:
		return fmt.Sprintf("PagerDuty had an internal error (HTTP %d). A note or responder request may still have been recorded: check with `/pd get` before retrying.", ae.StatusCode), true
	case ae.StatusCode != 400:
		return "", false
	}
	// A 400: the code says what was wrong with the request.
	switch {
	case code == 2016 || code == 1028:
		return "PagerDuty needs to know who is acting and did not get your email. Run `/pd whoami`; if it shows no user, ask an admin to run `/pd map @you your-pagerduty-email`.", true
	case code == 1008 || (code == 2001 && mentions(details, "requester", "from header", "\"from\" header")):
		return "PagerDuty does not recognise your email as one of its users. Ask an admin to map you with `/pd map @you your-pagerduty-email`.", true
	case code == 2006:
		return keyRejected, true
	case code == 2010:
		return keyNotAllowed, true
	case len(details) > 0 && inc == "such incident":
		// No incident yet (a trigger): nothing to look at with /pd get.
		return "PagerDuty refused: " + Escape(strings.Join(details, "; ")) + ". Nothing was changed; check the values and try again.", true
	case len(details) > 0:
		return "PagerDuty refused: " + Escape(strings.Join(details, "; ")) + ". Nothing was changed; check the values (`/pd get` shows the incident now) and try again.", true
	case ae.APIError.Valid && ae.APIError.ErrorObject.Message != "":
		return "PagerDuty refused: " + Escape(ae.APIError.ErrorObject.Message) + ". Nothing was changed; check the values and try again.", true
	}
	return "", false
}

// Advice shared by an HTTP status and the code PagerDuty pairs with it.
const (
	keyRejected   = "PagerDuty rejected this channel's API key (it may have been revoked). Ask an admin to run `/pd key` to set a new one."
	keyNotAllowed = "This channel's PagerDuty key is not allowed to do that (is it a read-only key?). Ask an admin to set a full-access key with `/pd key`."
)

// explainSlack turns Slack's own refusals (looking up a user or a channel
// on the way to PagerDuty) into advice.
func explainSlack(err error) (string, bool) {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return fmt.Sprintf("Slack is rate-limiting pdbot; nothing was sent to PagerDuty. Try again in %s.", rl.RetryAfter.Round(time.Second)), true
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "missing_scope":
			return "pdbot's Slack app is missing a permission it needs (" + Escape(se.Needed) + "); nothing was sent to PagerDuty. A Slack admin should update the app from pdbot's manifest.yaml and reinstall it.", true
		case "not_in_channel", "channel_not_found":
			return "pdbot cannot see this channel. Invite it with `/invite @pdbot`, then try again.", true
		case "invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive":
			return "Slack no longer accepts pdbot's token; nothing was sent to PagerDuty. An operator must install a new bot token (SLACK_BOT_TOKEN).", true
		}
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) && sc.Code >= 500 {
		return "Slack had a problem answering pdbot; nothing was sent to PagerDuty. Try again in a moment.", true
	}
	return "", false
}

func mentions(details []string, words ...string) bool {
	for _, d := range details {
		l := strings.ToLower(d)
		for _, w := range words {
			if strings.Contains(l, w) {
				return true
			}
		}
	}
	return false
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Since formats how long ago t was, for cards.
func Since(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}
