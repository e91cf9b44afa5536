package live

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/handlers"
)

// Post's errors when it has a claim to make.
var (
	// errClaimed: the effect's claim was already taken; another replica,
	// or an earlier run, has carried it out.
	errClaimed = errors.New("live: claimed before")
	// errNotClaimed wraps an error that came before the claim was taken
	// (the claim's own, or the context's during the pace): nothing was
	// posted, and the effect may be tried again.
	errNotClaimed = errors.New("live: not claimed")
)

// post sends a message (a thread reply when threadTS is set), paced to
// Slack's per-channel limit, and returns its timestamp.
//
// claim, when set, claims the effect once the pace allows the post and
// just before it is sent: a crash between a claim and its post loses the
// effect (at most once, never twice), so that window is one store write
// and one request, never a wait for Slack's pace. A claim already taken
// returns errClaimed and posts nothing.
func (e *Engine) post(ctx context.Context, channel, threadTS, text string, blocks []slack.Block, claim func() (bool, error)) (string, error) {
	var ts string
	claimed := claim == nil
	err := e.retry(ctx, func() error {
		if err := e.postLimiter(channel).Wait(ctx); err != nil {
			return err
		}
		if !claimed {
			ok, err := claim()
			if err != nil {
				return fmt.Errorf("claim: %w", err)
			}
			if !ok {
				return errClaimed
			}
			claimed = true // a retry after a 429 keeps its claim
		}
		opts := []slack.MsgOption{slack.MsgOptionText(text, false)}
		if len(blocks) > 0 {
			opts = append(opts, slack.MsgOptionBlocks(blocks...))
		}
		if threadTS != "" {
			opts = append(opts, slack.MsgOptionTS(threadTS))
		}
		var err error
		_, ts, err = e.cfg.Slack.PostMessageContext(ctx, channel, opts...)
		return err
	})
	switch {
	case errors.Is(err, errClaimed):
		return "", err
	case err != nil && !claimed:
		return "", fmt.Errorf("%w: %w", errNotClaimed, err)
	case err != nil:
		return "", fmt.Errorf("chat.postMessage: %w", err)
	}
	return ts, nil
}

// update replaces a card's text and blocks (chat.update).
func (e *Engine) update(ctx context.Context, channel, ts, text string, blocks []slack.Block) error {
	err := e.retry(ctx, func() error {
		if err := e.updates.Wait(ctx); err != nil {
			return err
		}
		_, _, _, err := e.cfg.Slack.UpdateMessageContext(ctx, channel, ts,
			slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
		return err
	})
	if err != nil {
		return fmt.Errorf("chat.update: %w", err)
	}
	return nil
}

// retry runs call again after Slack's 429 (waiting its Retry-After, capped)
// up to maxSlackRetries times. Nothing else is retried: a post that failed
// otherwise may have landed.
func (e *Engine) retry(ctx context.Context, call func() error) error {
	for attempt := 0; ; attempt++ {
		err := call()
		var rl *slack.RateLimitedError
		if !errors.As(err, &rl) || attempt >= maxSlackRetries {
			return err
		}
		wait := min(max(rl.RetryAfter, time.Second), maxRetryAfter)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
	}
}

// gone reports whether Slack said the card's message or channel cannot be
// reached any more: the card is no longer followed.
func gone(err error) bool {
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) {
		return false
	}
	switch se.Err {
	case "message_not_found", "channel_not_found", "not_in_channel", "is_archived", "cant_update_message":
		return true
	}
	return false
}

// permanent reports whether trying again cannot help: Slack refused the
// call itself (as opposed to a timeout, a 5xx or a rate limit).
func permanent(err error) bool {
	var se slack.SlackErrorResponse
	return errors.As(err, &se)
}

// cardBlocks is the card of an incident, as /pd get shows it.
func cardBlocks(inc *pagerduty.Incident, now time.Time) []slack.Block {
	return handlers.Card(inc, now)
}

// cardText is the notification text of a card (blocks carry the rest).
func cardText(inc *pagerduty.Incident) string {
	return strings.TrimSpace(handlers.IncidentLabel(inc) + " — " + handlers.Escape(inc.Status))
}

// noteLimit keeps a note's thread line concise.
const noteLimit = 300

// line is the thread line of a log entry: what happened, who did it and
// through what ("Acknowledged by Bob Jones (mobile)").
func line(le *logEntry) string {
	who := handlers.Escape(le.Agent.Summary)
	if le.Agent.Type == "service_reference" || le.Agent.Type == "service" || who == "" {
		who = "PagerDuty"
	}
	by := " by " + who + via(le)
	switch le.Type {
	case "acknowledge_log_entry":
		return "Acknowledged" + by
	case "unacknowledge_log_entry":
		return "Unacknowledged" + by
	case typeResolve:
		s := "Resolved" + by
		if le.Note != "" {
			s += ": " + clip(le.Note)
		}
		return s
	case typeTrigger:
		if strings.HasPrefix(le.Summary, "Reopened") {
			return "Reopened" + by
		}
		return "Triggered" + by
	case "annotate_log_entry":
		note := le.Note
		if note == "" {
			note = le.Channel.Summary
		}
		return "Note from " + who + via(le) + ": " + clip(note)
	case "assign_log_entry", "escalate_log_entry", "delegate_log_entry":
		var names []string
		for _, a := range le.Assignees {
			names = append(names, handlers.Escape(a.Summary))
		}
		verb := map[string]string{"assign_log_entry": "Assigned", "escalate_log_entry": "Escalated", "delegate_log_entry": "Reassigned"}[le.Type]
		if len(names) > 0 {
			return verb + " to " + strings.Join(names, ", ") + by
		}
		return verb + by
	case "urgency_change_log_entry", "priority_change_log_entry", "responder_request_log_entry":
		return clip(le.Summary) + via(le)
	}
	return clip(le.Summary) + via(le)
}

// via names the means of a change from the entry's channel.
func via(le *logEntry) string {
	switch le.Channel.Type {
	case "mobile":
		return " (mobile)"
	case "website", "web_trigger":
		return " (web)"
	case "api":
		return " (API)"
	case "email":
		return " (email)"
	case "sms":
		return " (SMS)"
	case "timeout":
		return " (timeout)"
	case "auto", "":
		return ""
	}
	return " (" + handlers.Escape(le.Channel.Type) + ")"
}

// clip shortens PagerDuty text for a thread line and escapes it.
func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > noteLimit {
		s = string(r[:noteLimit-1]) + "…"
	}
	return handlers.Escape(s)
}
