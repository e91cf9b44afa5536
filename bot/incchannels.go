package bot

import (
	"context"
	"errors"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/handlers"
)

// channelOps is the handlers.ChannelOps the bot hands out: incident
// channels for `/pd trigger`, through conversations.create, setTopic and
// invite (scope channels:manage).
type channelOps struct{ b *Bot }

func (c channelOps) CreateChannel(ctx context.Context, name string) (string, error) {
	ch, err := c.b.api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: name})
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && se.Err == "name_taken" {
		return "", handlers.ErrNameTaken
	}
	if err != nil {
		return "", fmt.Errorf("conversations.create: %w", err)
	}
	return ch.ID, nil
}

func (c channelOps) SetTopic(ctx context.Context, channel, topic string) error {
	if _, err := c.b.api.SetTopicOfConversationContext(ctx, channel, topic); err != nil {
		return fmt.Errorf("conversations.setTopic: %w", err)
	}
	return nil
}

func (c channelOps) Invite(ctx context.Context, channel, user string) error {
	_, err := c.b.api.InviteUsersToConversationContext(ctx, channel, user)
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && se.Err == "already_in_channel" {
		return nil
	}
	if err != nil {
		return fmt.Errorf("conversations.invite: %w", err)
	}
	return nil
}
