package bot

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"go.uber.org/zap"

	"github.com/pdbot/pdbot/handlers"
)

// Interaction is one request from Slack, decoded, as any transport delivers
// it: Socket Mode today (runSocket), Slack's HTTP endpoints or a test
// tomorrow. Exactly one of Command, Callback and Event is set.
type Interaction struct {
	// ID names the delivery (Socket Mode's envelope_id). Slack redelivers
	// with the same ID, and the bot acts on each ID once across replicas.
	ID string
	// Received is when the transport read it: Slack's 3-second budgets
	// count from here. Zero means now.
	Received time.Time

	Command  *slack.SlashCommand
	Callback *slack.InteractionCallback // block actions, view submissions, suggestions, shortcuts
	Event    *slackevents.EventsAPIEvent
}

// kind names the interaction as Socket Mode's envelope types do (metrics).
func (in Interaction) kind() string {
	switch {
	case in.Command != nil:
		return "slash_commands"
	case in.Callback != nil:
		return "interactive"
	case in.Event != nil:
		return "events_api"
	}
	return "unknown"
}

// Ack answers an interaction. The bot calls it exactly once per
// interaction, within Slack's 3 s; a nil payload is a bare ack. The
// transport writes it (a Socket Mode ack, an HTTP response body).
type Ack func(ctx context.Context, payload any) error

// Dispatch serves one interaction and returns when its work is finished:
// the ack (always exactly one), the PagerDuty work, the answer and the audit
// row. It is the bot's one entry point; transports call it concurrently, one
// call per delivery, and must not block their read loop on it. Past
// MaxInFlight calls at once, it waits for room while the ack can still go
// out in time, then acks with a "busy" answer and does nothing.
func (b *Bot) Dispatch(ctx context.Context, in Interaction, ack Ack) {
	b.dispatch(ctx, b.newEnvelope(&in, ack), in)
}

// newEnvelope counts in and wraps its Ack so it is sent exactly once.
func (b *Bot) newEnvelope(in *Interaction, ack Ack) *envelope {
	if in.Received.IsZero() {
		in.Received = b.now()
	}
	e := &envelope{b: b, id: in.ID, metrics: b.metrics.kind(in.kind()), received: in.Received, send: ack}
	e.metrics.envelopes.Inc()
	return e
}

// earlyAck is the ack of an interaction that needs no work before it, so
// a transport can send it the moment it has read the interaction, ahead of
// every request already in flight: a slash command's (the route table
// decides it), a click's, a shortcut's. ok is false for forms and
// type-ahead, whose acks carry the work's result.
func (b *Bot) earlyAck(in Interaction) (payload any, ok bool) {
	switch {
	case in.Command != nil:
		_, _, payload := b.slashAck(*in.Command)
		return payload, true
	case in.Callback != nil:
		switch in.Callback.Type {
		case slack.InteractionTypeBlockActions, slack.InteractionTypeShortcut, slack.InteractionTypeMessageAction:
			return nil, true
		}
	}
	return nil, false
}

func (b *Bot) dispatch(ctx context.Context, e *envelope, in Interaction) {
	if b.cfg.Handled != nil {
		defer b.cfg.Handled(e.id)
	}
	defer e.ackIfNot()
	if !b.room(ctx, in) {
		b.log.Warn("too many requests in flight; answering busy", zap.String("request_id", e.id))
		b.metrics.busy.Inc()
		if !e.ack(busyPayload(in)) {
			// Acked already (early): the busy answer goes where the
			// slash command's answer would.
			b.tellBusy(ctx, e, in)
		} else if in.Callback != nil {
			b.tellBusy(ctx, e, in)
		}
		return
	}
	defer func() { <-b.sem }()
	defer b.recoverPanic(e)
	switch {
	case in.Command != nil:
		b.onSlash(ctx, e, *in.Command)
	case in.Callback != nil:
		b.onInteraction(ctx, e, *in.Callback)
	default:
		// Events and anything unknown: ack so Slack does not redeliver.
		e.ack(nil)
	}
}

// room takes a slot for in: at once, or as soon as one frees while Slack's
// ack window still has room to spare (QueueWait from the arrival).
func (b *Bot) room(ctx context.Context, in Interaction) bool {
	select {
	case b.sem <- struct{}{}:
		return true
	default:
	}
	wait := in.Received.Add(b.cfg.QueueWait).Sub(b.now())
	if wait <= 0 {
		return false
	}
	b.metrics.queued.Inc()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case b.sem <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

const busyText = ":warning: pdbot is handling too many requests right now and did nothing. Try again in a few seconds."

// busyPayload is the ack of an interaction pdbot has no room for: the
// answer itself where the ack can carry one (a slash command's message, a
// form's field error that keeps the form and what was typed in it open).
func busyPayload(in Interaction) any {
	switch {
	case in.Command != nil:
		return map[string]any{"response_type": "ephemeral", "text": busyText}
	case in.Callback != nil && in.Callback.Type == slack.InteractionTypeBlockSuggestion:
		return map[string]any{"options": []any{}}
	case in.Callback != nil && in.Callback.Type == slack.InteractionTypeViewSubmission:
		if block := firstInputBlock(in.Callback.View.Blocks); block != "" {
			return slack.NewErrorsViewSubmissionResponse(map[string]string{block: "pdbot is handling too many requests right now and did nothing. Submit the form again in a few seconds."})
		}
	}
	return nil
}

// tellBusy answers a click or a shortcut that pdbot had no room for, whose
// bare ack says nothing: an ephemeral message where it came from (or the
// app DM), so nobody waits for what will not happen.
func (b *Bot) tellBusy(ctx context.Context, e *envelope, in Interaction) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), replyTimeout)
	defer cancel()
	if cmd := in.Command; cmd != nil {
		c := &call{e: e, team: cmd.TeamID, channel: cmd.ChannelID, user: cmd.UserID, responseURL: cmd.ResponseURL, log: b.log}
		if err := b.deliver(ctx, c, nil, handlers.Reply{Text: busyText}); err != nil {
			b.log.Warn("busy answer not delivered", zap.String("request_id", e.id), zapErr(err))
		}
		return
	}
	ic := in.Callback
	if ic == nil {
		return
	}
	switch ic.Type {
	case slack.InteractionTypeBlockActions, slack.InteractionTypeMessageAction, slack.InteractionTypeShortcut:
	default:
		return
	}
	channel := ic.Channel.ID
	if channel == "" {
		channel = ic.Container.ChannelID
	}
	c := &call{e: e, team: ic.Team.ID, channel: channel, user: ic.User.ID, responseURL: ic.ResponseURL, log: b.log}
	if err := b.deliver(ctx, c, nil, handlers.Reply{Text: busyText}); err != nil {
		b.log.Warn("busy answer not delivered", zap.String("request_id", e.id), zapErr(err))
	}
}

func (b *Bot) recoverPanic(e *envelope) {
	if p := recover(); p != nil {
		b.log.Error("handler panic", zap.String("request_id", e.id), zap.String("panic", fmt.Sprintf("%T", p)), zap.Stack("stack"))
	}
}

// envelope is one interaction in flight; it acks exactly once, through its
// transport's Ack.
type envelope struct {
	b        *Bot
	id       string
	metrics  kindMetrics
	received time.Time
	send     Ack
	mu       sync.Mutex
	acked    bool
}

// earlyAckWait is how long the read loop may wait to queue an early ack:
// past it, the request's own goroutine acks instead, so the loop never
// stalls on a slow socket.
const earlyAckWait = 20 * time.Millisecond

// ack sends the ack with payload unless one was sent already; it reports
// whether this call sent it.
func (e *envelope) ack(payload any) (sent bool) {
	return e.acknowledge(payload, nil)
}

// tryAck is ack within the read loop's guard, leaving the ack unsent (for
// a later ack) when the transport cannot take it that soon.
func (e *envelope) tryAck(payload any, g *ackGuard) (sent bool) {
	g.arm()
	defer g.disarm()
	return e.acknowledge(payload, g)
}

// acknowledge sends the ack under guard, or within ackBudget when guard is
// nil.
func (e *envelope) acknowledge(payload any, guard *ackGuard) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.acked {
		return false
	}
	var ctx context.Context = guard
	if guard == nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.Background(), ackBudget)
		defer cancel()
	}
	err := e.send(ctx, payload)
	if guard != nil && errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if err != nil && payload != nil {
		// Too large or not encodable: a bare ack still stops Slack's
		// timeout, and the requester hears about it from the handler.
		e.b.log.Warn("ack with payload failed; acking bare", zap.String("request_id", e.id), zapErr(err))
		err = e.send(ctx, nil)
	}
	if err != nil {
		e.b.log.Warn("ack failed", zap.String("request_id", e.id), zapErr(err))
	}
	e.acked = true
	e.metrics.ackSeconds.Observe(e.b.now().Sub(e.received).Seconds())
	return true
}

func (e *envelope) ackIfNot() { e.ack(nil) }
