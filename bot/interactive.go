package bot

import (
	"context"
	"errors"

	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/pdbot/pdbot/handlers"
	"github.com/pdbot/pdbot/internal/pdapi"
)

func (b *Bot) onInteraction(ctx context.Context, e *envelope, ic slack.InteractionCallback) {
	team := ic.Team.ID
	if team == "" {
		team = b.homeTeam()
	}
	switch ic.Type {
	case slack.InteractionTypeBlockActions:
		b.onBlockAction(ctx, e, team, ic)
	case slack.InteractionTypeViewSubmission:
		b.onSubmission(ctx, e, team, ic)
	case slack.InteractionTypeBlockSuggestion:
		b.onSuggestion(ctx, e, team, ic)
	case slack.InteractionTypeShortcut:
		b.onShortcut(ctx, e, team, ic, handlers.Shortcut)
	case slack.InteractionTypeMessageAction:
		b.onShortcut(ctx, e, team, ic, handlers.MessageShortcut)
	default:
		e.ack(nil)
	}
}

func (b *Bot) onBlockAction(ctx context.Context, e *envelope, team string, ic slack.InteractionCallback) {
	e.ack(nil)
	if len(ic.ActionCallback.BlockActions) == 0 {
		return
	}
	route, action, ok := b.table.LookupBlockAction(ic.ActionCallback.BlockActions[0])
	if !ok {
		b.log.Warn("no route for action", zap.String("action_id", action.ActionID))
		return
	}
	// The key is always the one of the channel the click came from.
	channel := ic.Channel.ID
	if channel == "" {
		channel = ic.Container.ChannelID
	}
	var meta viewMeta
	if ic.View.ID != "" && ic.View.PrivateMetadata != "" {
		m, err := b.openMeta(team, ic.User.ID, ic.View.CallbackID, ic.View.PrivateMetadata)
		if err != nil {
			b.log.Warn("block action with unverifiable modal metadata", zap.String("request_id", e.id))
			return
		}
		meta, channel = m, m.Channel
	}
	c, req := b.begin(e, route, origin{team: team, channel: channel, user: ic.User.ID, responseURL: ic.ResponseURL, triggerID: ic.TriggerID,
		direct: meta.Direct || ic.View.ID == "" && isDirect(channel, ic.Channel.Name)})
	if !b.claim(ctx, c, req) {
		return
	}
	req.Action = action
	if ic.BlockActionState != nil {
		req.Values = ic.BlockActionState.Values
	}
	if ic.View.ID != "" {
		req.Values = viewValues(ic.View)
		req.PrivateMetadata = meta.Data
	}
	msg := ic.Message
	req.Message = &msg
	b.serve(ctx, c, req, func(context.Context) error {
		if route.Incident == handlers.FromValue {
			id := action.Value
			if id == "" {
				id = meta.Incident
			}
			if !pdapi.ValidIncidentID(id) {
				return handlers.Userf("This button does not name a valid incident. Run `/pd get` for a fresh card.")
			}
			req.Incident, req.IncidentSource = id, "button"
		}
		return nil
	}, nil)
}

func (b *Bot) onSubmission(ctx context.Context, e *envelope, team string, ic slack.InteractionCallback) {
	route, ok := b.table.Lookup(handlers.Submission, ic.View.CallbackID)
	if !ok {
		e.ack(nil)
		b.log.Warn("no route for view", zap.String("callback_id", ic.View.CallbackID))
		return
	}
	meta, err := b.openMeta(team, ic.User.ID, ic.View.CallbackID, ic.View.PrivateMetadata)
	if err != nil {
		b.log.Warn("view submission with unverifiable metadata", zap.String("request_id", e.id), zapErr(err))
		// Keep the form open (and what was typed in it) with a way out.
		msg := "pdbot cannot verify this form (it was opened before pdbot's keys changed). Copy what you typed, close the form and open it again."
		if errors.Is(err, errMetaExpired) {
			msg = "This form was opened more than a day ago and has expired. Copy what you typed, close the form and open it again."
		}
		if block := firstInputBlock(ic.View.Blocks); block != "" {
			e.ack(slack.NewErrorsViewSubmissionResponse(map[string]string{block: msg}))
		}
		return
	}
	c, req := b.begin(e, route, origin{team: team, channel: meta.Channel, user: ic.User.ID, direct: meta.Direct})
	req.Values = viewValues(ic.View)
	req.PrivateMetadata = meta.Data
	if route.Incident == handlers.FromValue {
		req.Incident, req.IncidentSource = meta.Incident, "form"
	}

	// Field errors must ride on the ack, so validation happens first, under
	// a budget that leaves room for the ack inside Slack's 3 seconds.
	vctx, cancel := context.WithDeadline(ctx, e.received.Add(validateBudget))
	defer cancel()
	if route.AdminOnly {
		ok, err := b.isAdmin(vctx, team, c.user)
		if err != nil || !ok {
			e.ack(nil)
			b.finish(ctx, c, req, handlers.Reply{}, handlers.Userf("Only workspace admins and owners can manage pdbot's keys, so nothing was saved. Ask a workspace admin."))
			return
		}
	}
	if route.Validate != nil {
		if route.NeedsKey || route.NeedsActor {
			// Validation may ask PagerDuty (is there such an incident?);
			// without a key it checks only the form, and the answer explains.
			if pd, err := b.pdFor(vctx, team, meta.Channel); err == nil {
				c.pd, req.PD = pd, pd
			}
		}
		if errs := route.Validate(vctx, req); len(errs) > 0 {
			e.ack(slack.NewErrorsViewSubmissionResponse(errs))
			return
		}
	}
	e.ack(nil)
	if !b.claim(ctx, c, req) {
		return
	}
	b.serve(ctx, c, req, nil, nil)
}

func (b *Bot) onSuggestion(ctx context.Context, e *envelope, team string, ic slack.InteractionCallback) {
	route, ok := b.table.Lookup(handlers.Suggestion, ic.ActionID)
	if !ok {
		e.ack(map[string]any{"options": []any{}})
		return
	}
	meta, err := b.openMeta(team, ic.User.ID, ic.View.CallbackID, ic.View.PrivateMetadata)
	if err != nil {
		e.ack(map[string]any{"options": []any{}})
		return
	}
	c, req := b.begin(e, route, origin{team: team, channel: meta.Channel, user: ic.User.ID, direct: meta.Direct})
	req.Query = ic.Value
	req.PrivateMetadata = meta.Data
	vctx, cancel := context.WithDeadline(ctx, e.received.Add(validateBudget))
	defer cancel()
	var reply handlers.Reply
	err = b.prepare(vctx, c, req)
	if err == nil {
		reply, err = b.handle(vctx, c, req)
	}
	if err != nil {
		c.log.Info("suggestion failed", zapErr(err))
		e.ack(map[string]any{"options": []any{}})
		return
	}
	opts := reply.Options
	if opts == nil {
		opts = []*slack.OptionBlockObject{}
	}
	e.ack(map[string]any{"options": opts})
}

func (b *Bot) onShortcut(ctx context.Context, e *envelope, team string, ic slack.InteractionCallback, kind handlers.Kind) {
	e.ack(nil)
	route, ok := b.table.Lookup(kind, ic.CallbackID)
	if !ok {
		b.log.Warn("no route for shortcut", zap.String("callback_id", ic.CallbackID))
		return
	}
	c, req := b.begin(e, route, origin{team: team, channel: ic.Channel.ID, user: ic.User.ID, responseURL: ic.ResponseURL, triggerID: ic.TriggerID,
		direct: isDirect(ic.Channel.ID, ic.Channel.Name)})
	if !b.claim(ctx, c, req) {
		return
	}
	if kind == handlers.MessageShortcut {
		msg := ic.Message
		req.Message = &msg
	}
	parse := func(context.Context) error {
		if kind == handlers.MessageShortcut && route.Incident == handlers.FromValue {
			ref, ok := handlers.FindRefInText(ic.Message.Text)
			if !ok {
				return handlers.Userf("That message holds no PagerDuty incident URL or ID.")
			}
			req.Incident, req.IncidentSource = ref.ID, "message"
		}
		return nil
	}
	b.serve(ctx, c, req, parse, func(ctx context.Context) error {
		if kind != handlers.MessageShortcut {
			return nil
		}
		if link, err := b.api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: c.channel, Ts: ic.Message.Timestamp}); err == nil {
			req.Permalink = link
		}
		if ic.Message.User != "" {
			if u, err := b.users.get(ctx, ic.Message.User); err == nil {
				req.AuthorName = displayName(u)
			}
		}
		return nil
	})
}

// viewValues is what a view's inputs hold; a payload without a state (a
// message's block action carries none) holds nothing, rather than a nil
// dereference.
func viewValues(v slack.View) map[string]map[string]slack.BlockAction {
	if v.State == nil {
		return nil
	}
	return v.State.Values
}

// firstInputBlock returns the block_id of a view's first input block, where
// a form-level error can be shown.
func firstInputBlock(blocks slack.Blocks) string {
	for _, bl := range blocks.BlockSet {
		if in, ok := bl.(*slack.InputBlock); ok && in.BlockID != "" {
			return in.BlockID
		}
	}
	return ""
}
