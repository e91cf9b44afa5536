package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/pdbot/pdbot/handlers"
	"github.com/pdbot/pdbot/internal/pdapi"
	"github.com/pdbot/pdbot/store"
)

// channelFallback settles which incident a request acts on when it named
// none: the channel's link, else an incident URL or ID in the channel's
// topic or purpose. It asks Slack and the store, never PagerDuty.
func (b *Bot) channelFallback(ctx context.Context, c *call, req *handlers.Request) error {
	if req.Incident != "" {
		return nil
	}
	optional := c.route.Incident == handlers.ChannelIncident
	if optional && strings.TrimSpace(req.Text) != "" {
		return nil // the text names something else (a service, a policy)
	}
	if c.route.Incident == handlers.FromValue {
		return handlers.Userf("This button or form did not say which incident it is for. Run `/pd get` for a fresh card.")
	}
	id, source, err := b.channelIncident(ctx, c.team, c.channel)
	if err != nil {
		return err
	}
	if id == "" && optional {
		return nil // the handler offers the open incidents, or asks
	}
	if id == "" {
		example := c.route.Example()
		if example == "" {
			example = "get #42"
		}
		return handlers.Userf("Which incident? Give one (an incident ID like Q3X2KJH7PQ9LMN, an incident URL or #NUMBER), e.g. `/pd %s`, or link this channel first with `/pd link #42`.", example)
	}
	req.Incident, req.IncidentSource = id, source
	return nil
}

// resolveIncident turns a #NUMBER into its ID with one GET before any
// write, and checks the ID's shape.
func (b *Bot) resolveIncident(ctx context.Context, c *call, req *handlers.Request) error {
	if req.Incident == "" && c.route.Incident == handlers.ChannelIncident {
		return nil
	}
	if strings.HasPrefix(req.Incident, "#") {
		ref, err := handlers.ParseRef(req.Incident)
		if err != nil {
			return err
		}
		inc, err := handlers.FetchIncident(ctx, req.PD, ref)
		if err != nil {
			return err
		}
		if !pdapi.ValidIncidentID(inc.ID) {
			return fmt.Errorf("PagerDuty answered %s with a malformed id", ref)
		}
		req.Incident, req.Fetched = inc.ID, inc
	}
	if !pdapi.ValidIncidentID(req.Incident) {
		return handlers.Userf("That is not an incident ID. Run `/pd get` for a fresh card.")
	}
	return nil
}

// channelIncident finds the incident a channel is about, without asking
// PagerDuty.
func (b *Bot) channelIncident(ctx context.Context, team, channel string) (id, source string, err error) {
	id, err = b.store.Link(ctx, team, channel)
	if err == nil && pdapi.ValidIncidentID(id) {
		return id, "link", nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", "", fmt.Errorf("read link: %w", err)
	}
	// A DM or a channel the bot cannot read has no topic to offer.
	topic, purpose := b.channels.texts(ctx, channel)
	if ref, ok := handlers.FindRefInText(topic); ok {
		return ref.ID, "topic", nil
	}
	if ref, ok := handlers.FindRefInText(purpose); ok {
		return ref.ID, "purpose", nil
	}
	return "", "", nil
}
