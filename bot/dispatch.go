package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/pdbot/pdbot/handlers"
	"github.com/pdbot/pdbot/internal/pdapi"
	"github.com/pdbot/pdbot/store"
)

// commandWord is what an unknown subcommand must look like to be quoted back.
var commandWord = regexp.MustCompile(`^[a-z][a-z-]{0,19}$`)

// call is one routed request in flight.
type call struct {
	e                   *envelope
	route               *handlers.Route
	team, channel, user string
	responseURL         string
	triggerID           string
	loadingView         string // view opened before slow work, filled later
	log                 *zap.Logger
	pd                  *pdapi.Client

	// direct: the request came from a DM, a group DM or the app's own DM
	// (see isDirect), where the workspace default key serves full members
	// only.
	direct bool
}

// origin is where a request came from and how it can be answered.
type origin struct {
	team, channel, user    string
	responseURL, triggerID string
	direct                 bool
}

// begin sets up one routed request: the call (its logger and the ways to
// answer) and the handler's request. The channel is the one the payload
// came from (or the one a verified form names): its key is the one used.
func (b *Bot) begin(e *envelope, route *handlers.Route, o origin) (*call, *handlers.Request) {
	c := &call{
		e: e, route: route, team: o.team, channel: o.channel, user: o.user,
		responseURL: o.responseURL, triggerID: o.triggerID, direct: o.direct || isDirect(o.channel, ""),
		log: b.log.WithLazy(zap.String("team", o.team), zap.String("channel", o.channel), zap.String("user", o.user),
			zap.String("route", route.Kind.String()+":"+route.ID), zap.String("request_id", e.id)),
	}
	req := &handlers.Request{
		Team: o.team, Channel: o.channel, User: o.user,
		Now:      b.now,
		Slack:    slackLookup{b: b, team: o.team},
		Store:    &storeOps{b: b, team: o.team},
		Channels: channelOps{b: b},
	}
	return c, req
}

// claim de-duplicates redelivered envelopes across replicas. When the
// store cannot record the claim, reads go on but writes do not: a
// redelivery to another replica could carry a write out twice.
func (b *Bot) claim(ctx context.Context, c *call, req *handlers.Request) bool {
	ok, err := b.store.Claim(ctx, "envelope:"+c.e.id, dedupTTL)
	if err != nil && !c.route.Writes() {
		c.log.Warn("de-duplication unavailable; answering the read anyway", zapErr(err))
		return true
	}
	if err != nil {
		c.log.Warn("de-duplication unavailable; refusing the write", zapErr(err))
		b.finish(ctx, c, req, handlers.Reply{}, handlers.Userf("pdbot could not record this request in its store, so it did nothing (it could not be sure to do it only once). Try again in a moment; if this goes on, tell whoever runs pdbot."))
		return false
	}
	if !ok {
		c.log.Info("duplicate envelope ignored")
	}
	return ok
}

// slashAck reads a slash command's subcommand: its route and the rest of
// the text, and what the ack carries (nothing for a command pdbot knows:
// the answer follows; advice for one it does not).
func (b *Bot) slashAck(cmd slack.SlashCommand) (route *handlers.Route, rest string, payload any) {
	sub, rest := handlers.SplitFirst(cmd.Text)
	route, ok := b.table.Lookup(handlers.Slash, strings.ToLower(sub))
	if ok {
		return route, rest, nil
	}
	name := "that command"
	if commandWord.MatchString(sub) {
		name = "`" + sub + "`" // quoted back only when it looks like a command, never a pasted secret
	}
	text := "pdbot has no command " + name + ". Try `/pd help`."
	if near, ok := b.table.nearestCommand(sub); ok {
		// A word of the table, never the requester's own text.
		text = "pdbot has no command " + name + ". Did you mean `/pd " + near + "`? (`/pd help` lists every command.)"
	}
	return nil, "", map[string]any{"response_type": "ephemeral", "text": text}
}

func (b *Bot) onSlash(ctx context.Context, e *envelope, cmd slack.SlashCommand) {
	route, rest, payload := b.slashAck(cmd)
	e.ack(payload)
	if route == nil {
		return
	}
	c, req := b.begin(e, route, origin{team: cmd.TeamID, channel: cmd.ChannelID, user: cmd.UserID, responseURL: cmd.ResponseURL, triggerID: cmd.TriggerID,
		direct: isDirect(cmd.ChannelID, cmd.ChannelName)})
	if !b.claim(ctx, c, req) {
		return
	}
	req.Text = rest
	b.serve(ctx, c, req, func(ctx context.Context) error { return b.explicitRef(c, req) }, nil)
}

// explicitRef reads the incident reference out of slash text, refusing a
// malformed one before anything is looked up.
func (b *Bot) explicitRef(c *call, req *handlers.Request) error {
	switch c.route.Incident {
	case handlers.LeadingRef:
		first, rest := handlers.SplitFirst(req.Text)
		loneArg := rest == "" && (c.route.LoneRefIsArg || c.route.LoneObjectIDIsArg && pdapi.ValidObjectID(first))
		if handlers.LooksLikeRef(first) && !loneArg {
			ref, _ := handlers.ParseRef(first)
			req.Text = rest
			setExplicit(req, ref)
		}
	case handlers.OnlyRef, handlers.RequiredRef:
		text := strings.TrimSpace(req.Text)
		if text == "" {
			if c.route.Incident == handlers.RequiredRef {
				return handlers.Userf("Give the incident: `/pd %s`.", c.route.Example())
			}
			return nil
		}
		slackLink := strings.HasPrefix(text, "<") && strings.HasSuffix(text, ">") && strings.Count(text, "<") == 1
		if strings.ContainsAny(text, " \t\n") && !slackLink {
			return handlers.Userf("`/pd %s` takes nothing but the incident: `/pd %s`.", c.route.ID, c.route.Example())
		}
		if c.route.BareNumber && isNumber(text) {
			text = "#" + text // `/pd get 43`
		}
		ref, err := handlers.ParseRef(text)
		if err != nil {
			return err
		}
		req.Text = ""
		setExplicit(req, ref)
	}
	return nil
}

// isNumber reports whether s is a bare incident number (digits only).
func isNumber(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// setExplicit stores a parsed reference until the incident is resolved: an
// ID as is, a number as "#42" (turned into its ID by resolveIncident).
func setExplicit(req *handlers.Request, ref handlers.Ref) {
	req.Incident, req.IncidentSource = ref.String(), "argument"
}

// serve runs one request: the pure checks (the reference's shape), the
// loading modal when the answer is a form, the slow prerequisites, the
// handler, the reply and the audit row.
func (b *Bot) serve(ctx context.Context, c *call, req *handlers.Request, parse, enrich func(context.Context) error) {
	// Work that was acked is finished even when the bot is shutting down:
	// the requester was told it is under way.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.cfg.WorkTimeout)
	defer cancel()
	var reply handlers.Reply
	err := runIf(ctx, parse)
	if err == nil && c.route.FreeText {
		err = checkFreeText(req)
	}
	// Admin rights are settled before a form opens: someone who may not
	// use it never sees it.
	if err == nil && c.route.AdminOnly {
		err = b.requireAdmin(ctx, c)
	}
	if err == nil && c.route.Modal && c.triggerID != "" && (c.route.Kind != handlers.Slash || strings.TrimSpace(req.Text) == "") {
		b.openLoading(ctx, c)
	}
	if err == nil {
		err = runIf(ctx, enrich)
	}
	if err == nil {
		err = b.prepare(ctx, c, req)
	}
	if err == nil {
		reply, err = b.handle(ctx, c, req)
	}
	b.finish(ctx, c, req, reply, err)
}

// handle runs the route's handler, turning a panic into an error the
// requester hears about (as "Something went wrong", with a ref).
func (b *Bot) handle(ctx context.Context, c *call, req *handlers.Request) (reply handlers.Reply, err error) {
	defer func() {
		if p := recover(); p != nil {
			c.log.Error("handler panic", zap.String("panic", fmt.Sprintf("%T", p)), zap.Stack("stack"))
			err = errors.New("handler panic")
		}
	}()
	return c.route.Handle(ctx, req)
}

func runIf(ctx context.Context, f func(context.Context) error) error {
	if f == nil {
		return nil
	}
	return f(ctx)
}

// prepare checks and fills in what the route needs, cheapest first, so bad
// input is refused before any PagerDuty request (admin rights were checked
// by serve): who may steer the channel, who may use its key, the channel's
// key, the channel's incident, the requester's identity, and last the
// incident number's ID.
func (b *Bot) prepare(ctx context.Context, c *call, req *handlers.Request) error {
	if c.route.NoGuests {
		u, err := b.users.get(ctx, c.user)
		if err != nil {
			return err
		}
		what := c.route.Steers
		if what == "" {
			what = "change which incident this channel is about"
		}
		switch {
		case u.IsBot:
			return handlers.Userf("Bots cannot %s; ask a member of the workspace.", what)
		case u.IsStranger || b.foreign(c.team, u.TeamID):
			return handlers.Userf("People from other organisations cannot %s; ask a member of the workspace.", what)
		case u.IsRestricted || u.IsUltraRestricted || u.Deleted:
			return handlers.Userf("Guests cannot %s; ask a member of the workspace.", what)
		}
	}
	if c.route.Kind != handlers.Suggestion {
		if u, err := b.users.get(ctx, c.user); err == nil {
			req.UserName = displayName(u) // for confirmations: a name, never a mention
		}
	}
	needsIncident := c.route.Incident != handlers.NoIncident
	needsKey := c.route.NeedsKey && (c.route.NoKeyFor == nil || !c.route.NoKeyFor(req.Text))
	if needsKey || c.route.NeedsActor || needsIncident {
		if err := b.mayUseKey(ctx, c); err != nil {
			return err
		}
		pd, err := b.pdFor(ctx, c.team, c.channel)
		if err != nil {
			return err
		}
		c.pd, req.PD = pd, pd
	}
	// The channel's incident is settled before the requester is looked up
	// (which may ask PagerDuty), so "which incident?" costs no request.
	if needsIncident {
		if err := b.channelFallback(ctx, c, req); err != nil {
			return err
		}
	}
	if c.route.NeedsActor {
		a, err := b.actor(ctx, c.team, c.user, req.PD)
		if err != nil {
			return err
		}
		req.Actor = a
		req.PD = req.PD.As(a.Email)
		c.pd = req.PD
	}
	if needsIncident {
		if err := b.resolveIncident(ctx, c, req); err != nil {
			return err
		}
	}
	return nil
}

// pdFor returns a PagerDuty client keyed for the channel the payload came
// from: its own key, else the workspace default.
func (b *Bot) pdFor(ctx context.Context, team, channel string) (*pdapi.Client, error) {
	key, err := b.store.APIKey(ctx, team, channel)
	used := channel
	if errors.Is(err, store.ErrNotFound) {
		key, err = b.store.APIKey(ctx, team, store.DefaultChannel)
		used = store.DefaultChannel
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, handlers.Userf("This channel has no PagerDuty API key and the workspace has no default, so nothing was sent. Ask a workspace admin to run `/pd key` here (or `/pd key default`).")
	}
	if errors.Is(err, store.ErrCannotUnseal) {
		return nil, unsealAdvice(used)
	}
	if err != nil {
		return nil, fmt.Errorf("open api key: %w", err)
	}
	// The channel is the client's lane: channels that share a key take
	// turns when its budget is scarce.
	return b.pdClient(key, true, channel, nil), nil
}

// newPD builds a client for a key; limited clients share the key's
// client-side pacer (keys being checked in the key form do not get one, so
// trying keys cannot grow the pacer table).
func (b *Bot) newPD(key store.Secret, limited bool) *pdapi.Client {
	return b.pdClient(key, limited, "", nil)
}

// pdClient builds a client for a key in a pacer lane ("" for the shared
// one), with sent, if set, called for every request sent (the live poller
// counts its own).
func (b *Bot) pdClient(key store.Secret, limited bool, lane string, sent func()) *pdapi.Client {
	o := pdapi.Options{Transport: b.cfg.PDTransport, KeyIDSecret: b.keyIDSecret, Sent: sent, Lane: lane}
	if limited {
		o.Pacers = b.pacers
	}
	return pdapi.New(b.cfg.PagerDutyAPIURL, key.Reveal(), o)
}

// finish sends the reply (or the advice for an error) and writes the audit row.
func (b *Bot) finish(ctx context.Context, c *call, req *handlers.Request, reply handlers.Reply, err error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), replyTimeout)
	defer cancel()
	result := "ok"
	onlyCard := false
	if err == nil && reply.Live != nil {
		reply, onlyCard, err = b.postLive(ctx, c, reply)
	}
	if err != nil {
		msg, known := handlers.ExplainIn(c.channel, err, c.pd, req.Incident)
		if !known {
			ref := newRef()
			c.log.Error("request failed", zap.String("ref", ref), zapErr(err))
			msg = fmt.Sprintf("Something went wrong (ref `%s`). Nothing more is known here; an operator can find the details in pdbot's log under that ref.", ref)
			result = "error ref " + ref
		} else {
			msg += sourceHint(err, req.IncidentSource)
			// The advice is not logged or audited: it may quote what the
			// requester typed, and that could be anything.
			c.log.Info("request refused")
			result = "refused"
		}
		reply = handlers.Reply{Text: ":warning: " + msg}
	}
	class, _, _ := strings.Cut(result, " ")
	b.metrics.actions.WithLabelValues(c.route.Kind.String()+":"+c.route.ID, class).Inc()
	// A card posted in the channel is the whole answer when it is all there is.
	if !onlyCard {
		if derr := b.deliver(ctx, c, req, reply); derr != nil {
			c.log.Warn("reply not delivered", zapErr(derr))
		}
	}
	if err == nil && reply.NoAudit {
		return
	}
	incident := req.Incident
	if reply.AuditIncident != "" {
		incident = reply.AuditIncident
	}
	if !pdapi.ValidIncidentID(incident) {
		incident = ""
	}
	entry := store.AuditEntry{Time: b.now(), Team: c.team, Channel: c.channel, User: c.user, Incident: incident,
		Action: c.route.Kind.String() + ":" + c.route.ID, Result: result}
	if aerr := b.store.AppendAudit(ctx, entry); aerr != nil {
		c.log.Warn("audit not written", zapErr(aerr))
	}
}

func newRef() string {
	var p [4]byte
	_, _ = rand.Read(p[:])
	return hex.EncodeToString(p[:])
}

// sourceHint says where an incident PagerDuty does not know came from when
// the requester did not name it: a stale link or topic is the usual cause.
func sourceHint(err error, source string) string {
	var ae pagerduty.APIError
	if !errors.As(err, &ae) || !ae.NotFound() {
		return ""
	}
	switch source {
	case "link":
		return " pdbot took it from this channel's link: `/pd unlink`, or `/pd link` the right one."
	case "topic", "purpose":
		return " pdbot took it from this channel's " + source + "; name the incident, or `/pd link` the right one."
	}
	return ""
}
