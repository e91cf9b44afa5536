package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/handlers"
	"github.com/pdbot/pdbot/internal/pdapi"
	"github.com/pdbot/pdbot/store"
)

// openLoading opens a modal at once, inside the trigger's 3 seconds, so the
// slow part can fill it later with views.update.
func (b *Bot) openLoading(ctx context.Context, c *call) {
	v := messageView(c.route.Title, ":hourglass_flowing_sand: Loading…")
	if err := b.sealView(c, &v, ""); err != nil {
		c.log.Warn("loading view", zapErr(err))
		return
	}
	resp, err := b.api.OpenViewContext(ctx, c.triggerID, v)
	if err != nil {
		c.log.Warn("loading view not opened", zapErr(err))
		return
	}
	c.loadingView = resp.ID
	c.triggerID = "" // used up
}

func messageView(title, text string) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:   slack.VTModal,
		Title:  slack.NewTextBlockObject(slack.PlainTextType, title, false, false),
		Close:  slack.NewTextBlockObject(slack.PlainTextType, "Close", false, false),
		Blocks: slack.Blocks{BlockSet: []slack.Block{handlers.TextSection("message", text)}},
	}
}

// sealView binds the modal to the request's channel, user and incident.
func (b *Bot) sealView(c *call, v *slack.ModalViewRequest, incident string) error {
	s, err := b.sealMeta(c.team, v.CallbackID, viewMeta{Channel: c.channel, User: c.user, Incident: incident, Data: v.PrivateMetadata, Direct: c.direct})
	if err != nil {
		return err
	}
	v.PrivateMetadata = s
	return nil
}

// deliver shows a reply where it belongs: a modal (opened, or filling the
// loading one), or a message through response_url, chat.postMessage or
// chat.postEphemeral.
func (b *Bot) deliver(ctx context.Context, c *call, req *handlers.Request, r handlers.Reply) error {
	if r.Modal != nil {
		v := *r.Modal
		if err := b.sealView(c, &v, req.Incident); err != nil {
			return err
		}
		var err error
		switch {
		case c.loadingView != "":
			_, err = b.api.UpdateViewContext(ctx, v, "", "", c.loadingView)
		case c.triggerID != "":
			_, err = b.api.OpenViewContext(ctx, c.triggerID, v)
		default:
			err = errors.New("no trigger to open a modal with")
		}
		if err == nil {
			return nil
		}
		// Never leave the requester with nothing: say so where they are.
		c.loadingView, c.triggerID = "", ""
		msg := handlers.Reply{Text: ":warning: Slack did not let pdbot open the form (" + handlers.Escape(err.Error()) + "). Try again; if Slack is slow, the slash form of the command works too: `/pd help`."}
		if ferr := b.deliver(ctx, c, req, msg); ferr != nil {
			return fmt.Errorf("open modal: %w; and tell the requester: %v", err, ferr)
		}
		return fmt.Errorf("open modal: %w", err)
	}
	if c.loadingView != "" {
		// The loading modal never stays "Loading…": it shows the answer
		// (which, when it is for the channel, is posted there too).
		v := messageView(c.route.Title, r.Text)
		_, err := b.api.UpdateViewContext(ctx, v, "", "", c.loadingView)
		if err != nil || !r.InChannel {
			return err
		}
	}
	if r.DeleteOriginal && c.responseURL != "" {
		if err := b.respond(ctx, c.responseURL, responseMessage{DeleteOriginal: true}); err != nil {
			c.log.Warn("original message not deleted", zapErr(err))
		}
	}
	if c.responseURL != "" {
		m := responseMessage{Text: r.Text, Blocks: r.Blocks, ResponseType: slack.ResponseTypeEphemeral, ReplaceOriginal: r.ReplaceOriginal}
		if r.InChannel {
			m.ResponseType = slack.ResponseTypeInChannel
		}
		return b.respond(ctx, c.responseURL, m)
	}
	opts := msgOptions(r.Text, r.Blocks)
	if c.channel == "" {
		// Global shortcuts and modals opened from them: answer in the app DM.
		_, _, err := b.api.PostMessageContext(ctx, c.user, opts...)
		return err
	}
	if r.InChannel {
		_, _, err := b.api.PostMessageContext(ctx, c.channel, opts...)
		if err == nil {
			return nil
		}
		var se slack.SlackErrorResponse
		if !errors.As(err, &se) {
			return err
		}
		// not_in_channel and friends: tell the requester instead of failing silently.
		opts = msgOptions(r.Text+"\n_(pdbot could not post this in the channel: "+handlers.Escape(se.Err)+". Invite it with `/invite @pdbot`.)_", r.Blocks)
	}
	_, err := b.api.PostEphemeralContext(ctx, c.channel, c.user, opts...)
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		// The bot cannot write in that channel (not invited): answer in the
		// app DM rather than not at all.
		opts = msgOptions(r.Text+"\n_(from <#"+c.channel+">: pdbot could not answer there, "+handlers.Escape(se.Err)+". Invite it with `/invite @pdbot`.)_", r.Blocks)
		_, _, err = b.api.PostMessageContext(ctx, c.user, opts...)
	}
	if err != nil {
		return fmt.Errorf("post ephemeral: %w", err)
	}
	return nil
}

// responseMessage is a reply posted to a response_url: the fields of
// slack-go's Msg that a response_url reads, encoded as slack-go encodes them.
type responseMessage struct {
	Text            string        `json:"text,omitempty"`
	Blocks          []slack.Block `json:"blocks,omitempty"`
	ResponseType    string        `json:"response_type,omitempty"`
	ReplaceOriginal bool          `json:"replace_original"`
	DeleteOriginal  bool          `json:"delete_original"`
}

// responseAnswerLimit bounds what is read of a response_url's answer:
// "ok", or a JSON error.
const responseAnswerLimit = 64 << 10

// respond posts m to a response_url, as slack-go's PostMessage does with
// MsgOptionResponseURL, and answers with the errors it would: Slack's
// error code as a slack.SlackErrorResponse, a 429 as a
// slack.RateLimitedError, any other status as a slack.StatusCodeError.
// slack-go builds the whole of a chat.postMessage request (its Msg has
// some fifty fields to reflect over) and decodes the answer into a whole
// chat.postMessage response: 40 allocations and 3.7 KB of a note's 683
// and 57 KB (BENCHMARKS.md).
func (b *Bot) respond(ctx context.Context, responseURL string, m responseMessage) error {
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, responseURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := b.slackHTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, responseAnswerLimit))
	if err != nil {
		return fmt.Errorf("response_url answer: %w", err)
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		retry, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return &slack.RateLimitedError{RetryAfter: time.Duration(retry) * time.Second}
	}
	var refused struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	if json.Unmarshal(answer, &refused) == nil && !refused.OK && refused.Error != "" {
		return slack.SlackErrorResponse{Err: refused.Error}
	}
	if resp.StatusCode != http.StatusOK {
		return slack.StatusCodeError{Code: resp.StatusCode, Status: resp.Status}
	}
	return nil
}

// msgOptions is a message's text and blocks (slack-go adds, never replaces,
// so each message gets a fresh set).
func msgOptions(text string, blocks []slack.Block) []slack.MsgOption {
	opts := []slack.MsgOption{slack.MsgOptionText(text, false)}
	if len(blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(blocks...))
	}
	return opts
}

// postLive posts a reply's live card in the request's channel with
// chat.postMessage, so the poller can keep it true with chat.update, and
// records it with its ts. When the card is the whole reply, onlyCard says
// so once it is posted, and a card that could not be posted is the error;
// otherwise the reply carries the advice.
func (b *Bot) postLive(ctx context.Context, c *call, r handlers.Reply) (out handlers.Reply, onlyCard bool, err error) {
	alone := r.Text == "" && len(r.Blocks) == 0
	live := r.Live
	r.Live = nil
	if !pdapi.ValidIncidentID(live.Incident) {
		return r, false, errors.New("live card for a malformed incident id")
	}
	channel := c.channel
	if live.Channel != "" {
		channel = live.Channel // an incident channel pdbot just opened
	}
	_, ts, err := b.api.PostMessageContext(ctx, channel, msgOptions(live.Text, live.Blocks)...)
	if err == nil && live.Thread != "" {
		if _, _, terr := b.api.PostMessageContext(ctx, channel, slack.MsgOptionText(live.Thread, false), slack.MsgOptionTS(ts)); terr != nil {
			c.log.Warn("live card's first thread line not posted", zapErr(terr))
		}
	}
	if err == nil {
		err = b.store.SaveLiveCard(ctx, store.LiveCard{Team: c.team, Channel: channel, TS: ts, IncidentID: live.Incident, PostedAt: b.now()})
		if err != nil {
			// Posted but not followed: it will not be updated. Say so
			// rather than pretend.
			c.log.Error("live card posted but not recorded", zapErr(err))
			err = handlers.Userf("pdbot posted the incident's card here but could not record it, so it will not be kept up to date. Press Share on `/pd get` to post a fresh one.")
			if alone {
				return r, false, err
			}
			r.Text += "\n_(" + err.Error() + ")_"
			return r, false, nil
		}
		return r, alone, nil
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "not_in_channel", "channel_not_found", "is_archived", "restricted_action":
			err = handlers.Userf("pdbot is not in this channel, so it could not post the incident's card here. Invite it with `/invite @pdbot`, then try again.")
			if channel != c.channel {
				err = handlers.Userf("pdbot could not post the incident's card in <#%s>: invite it there, then press Share on `/pd get`.", channel)
			}
		}
	}
	if alone {
		return r, false, err
	}
	msg, known := handlers.ExplainIn(c.channel, err, c.pd, live.Incident)
	if !known {
		c.log.Error("live card not posted", zapErr(err))
		msg = "pdbot could not post the incident's card here; `/pd get` and Share try again."
	}
	r.Text += "\n_(" + msg + ")_"
	return r, false, nil
}
