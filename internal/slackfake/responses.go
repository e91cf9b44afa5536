package slackfake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ErrNoResponseURL is returned by WaitResponse for a delivery whose
// payload carries no response_url (a global shortcut, an event).
var ErrNoResponseURL = errors.New("slackfake: the envelope carries no response_url")

// Response is a post the bot made to a delivery's response_url.
type Response struct {
	Text         string
	Blocks       json.RawMessage // nil when the post had none
	ResponseType string          // "ephemeral" (or "") or "in_channel"
	// ReplaceOriginal and DeleteOriginal are the post's flags.
	ReplaceOriginal, DeleteOriginal bool
	// Error is the error code Slack answered the post with ("" when it
	// was shown).
	Error string
	// Latency is the time from the interaction to the post.
	Latency time.Duration
}

// WaitResponse waits for the bot's first post to the delivery's
// response_url, shown or refused, and returns it once its effect (a
// message, an edit) has been applied. Later posts to the same URL do not
// change what it returns. An answer carried in a slash command's ack is not
// a response_url post: WaitAck has it.
func (d *Delivery) WaitResponse(ctx context.Context) (Response, error) {
	if d == nil || d.env == nil {
		return Response{}, ErrNoEnvelope
	}
	if d.resp == nil {
		return Response{}, ErrNoResponseURL
	}
	select {
	case <-d.resp.answered:
	case <-ctx.Done():
		return Response{}, fmt.Errorf("slackfake: envelope %s (%s) got no response_url post: %w", d.EnvelopeID, d.Kind, ctx.Err())
	}
	f := d.env.owner
	f.mu.Lock()
	defer f.mu.Unlock()
	return d.resp.first, nil
}
