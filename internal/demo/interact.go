package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pdbot/pdbot/internal/slackfake"
)

// interact sends one interaction, waits until the bot finished it and shows
// everything new the current user can see.
func (s *session) interact(ctx context.Context, send func() (*slackfake.Delivery, error)) {
	before := s.snapshot()
	d, err := send()
	if err != nil {
		fmt.Fprintf(s.out, "error: %v\n", err)
		return
	}
	ack, complete := s.await(ctx, d)
	shown := s.show(before, s.snapshot())
	if !shown && refusedForm(ack) {
		// The same field errors as last time leave the modal unchanged;
		// Slack still shows them again, and so does the demo.
		if m, ok := s.topModal(); ok {
			s.showModal(m)
			shown = true
		}
	}
	switch {
	case !shown:
		fmt.Fprintln(s.out, "(no answer)")
	case !complete:
		fmt.Fprintf(s.out, "(pdbot had not finished after %s; see the log)\n", s.maxWait)
	}
}

// await waits until the interaction d is complete: its envelope was acked
// (slackfake applies what the ack does before WaitAck returns) and the bot
// reported it handled, so every answer is delivered. An interaction that
// sent no envelope (d is nil, e.g. closing a modal that asked for no
// view_closed) is complete at once. complete is false when s.maxWait passed
// first — the safety net, not how the demo normally learns the bot is done.
func (s *session) await(ctx context.Context, d *slackfake.Delivery) (ack slackfake.Ack, complete bool) {
	if d == nil {
		return slackfake.Ack{}, true
	}
	ctx, cancel := context.WithTimeout(ctx, s.maxWait)
	defer cancel()
	ack, err := d.WaitAck(ctx)
	if err != nil {
		fmt.Fprintf(s.out, "(no ack from the bot: %v)\n", err)
		return ack, false
	}
	if ack.Problem != "" {
		fmt.Fprintf(s.out, "(Slack would complain: %s)\n", ack.Problem)
	}
	if err := s.finished.wait(ctx, d.EnvelopeID); err != nil {
		return ack, false
	}
	return ack, true
}

// snapshot is what the current user sees: their ephemerals, the messages of
// every channel and of their DM with the bot, and their modal stack.
type snapshot struct {
	items []item // in display order
	views []slackfake.View
}

type item struct {
	key, sig string
	msg      slackfake.Message
}

func (s *session) snapshot() snapshot {
	var sn snapshot
	for i, m := range s.sf.Ephemerals(s.user, "") {
		sn.items = append(sn.items, item{key: fmt.Sprintf("e%d", i), sig: msgSig(m), msg: m})
	}
	channels := []string{s.user}
	for _, c := range s.world.Channels {
		channels = append(channels, c.ID)
	}
	for _, ch := range channels {
		for _, m := range s.sf.Messages(ch) {
			sn.items = append(sn.items, item{key: "m" + ch + "/" + m.TS, sig: msgSig(m), msg: m})
		}
	}
	sn.views = s.sf.Views(s.user)
	return sn
}

func msgSig(m slackfake.Message) string {
	return fmt.Sprintf("%t|%s|%s", m.Deleted, m.Text, m.Blocks)
}

// viewSig changes when a modal changes for its user: a new hash, or field
// errors from a response_action errors ack (which keep the hash).
func viewSig(v slackfake.View) string {
	return v.Hash + "|" + fmt.Sprint(v.Errors) // fmt sorts map keys
}

// show prints what changed between before and after, and reports whether
// anything did.
func (s *session) show(before, after snapshot) (shown bool) {
	old := map[string]string{}
	for _, it := range before.items {
		old[it.key] = it.sig
	}
	for _, it := range after.items {
		prev, seen := old[it.key]
		if seen && prev == it.sig {
			continue
		}
		shown = true
		m := it.msg
		var where string
		switch {
		case m.Ephemeral:
			where = "only visible to you"
		case m.Channel == s.user || strings.HasPrefix(m.Channel, "D"):
			where = "in your DM with pdbot"
		default:
			c, ok := s.world.Channel(m.Channel)
			name := m.Channel
			if ok {
				name = c.Name
			}
			where = "in #" + name
		}
		if m.Ephemeral && m.Channel != s.channel {
			if c, ok := s.world.Channel(m.Channel); ok {
				where += " in #" + c.Name
			}
		}
		switch {
		case m.Deleted:
			fmt.Fprintf(s.out, "--- pdbot %s: message deleted ---\n", where)
			continue
		case seen:
			where += ", updated"
		}
		poster := "pdbot"
		if u, ok := s.world.SlackUser(m.User); ok && !u.IsBot {
			poster = u.Name
		}
		fmt.Fprintf(s.out, "--- %s %s ---\n%s\n", poster, where, s.indent(renderMessage(m)))
		blocks, _ := readBlocks(m.Blocks) // renderMessage said if they do not read
		if bs := buttons(blocks); len(bs) > 0 {
			s.shown = append(s.shown, shownMessage{channel: m.Channel, ts: m.TS, visibleTo: m.VisibleTo, buttons: bs})
		}
	}
	oldViews := map[string]string{}
	for _, v := range before.views {
		oldViews[v.ID] = viewSig(v)
	}
	if n := len(after.views); n > 0 {
		top := after.views[n-1]
		if sig, ok := oldViews[top.ID]; !ok || sig != viewSig(top) || len(before.views) != n {
			shown = true
			s.showModal(readModal(top))
		}
	} else if len(before.views) > 0 {
		shown = true
		fmt.Fprintln(s.out, "--- modal closed ---")
	}
	return shown
}

// showModal prints the open modal, the field errors pdbot gave with the
// entries the user's next submit keeps, and how to fill it in.
func (s *session) showModal(m modal) {
	fmt.Fprintf(s.out, "--- modal ---\n%s\n", s.indent(renderModal(m)))
	ins := inputs(m.blocks())
	if len(m.Errors) > 0 {
		var entries []string
		if d, ok := s.drafts[m.ID]; ok && d.hash == m.Hash {
			for _, in := range ins {
				if t, ok := d.text[in.key()]; ok {
					entries = append(entries, "\n  "+in.key()+"="+t)
				}
			}
		}
		fmt.Fprintln(s.out, "pdbot refused the form: fix the fields marked ! and submit again")
		if len(entries) > 0 {
			fmt.Fprintf(s.out, "your entries stay:%s\n", strings.Join(entries, ""))
		}
	}
	if hint := fieldHint(ins); hint != "" {
		fmt.Fprintln(s.out, hint)
	}
}

// shownMessage is a message shown with buttons, so click can press them.
type shownMessage struct {
	channel, ts string
	visibleTo   string // "" for channel messages
	buttons     []button
}

// refusedForm reports whether an ack refused a form with field errors
// (response_action errors).
func refusedForm(ack slackfake.Ack) bool {
	var p struct {
		ResponseAction string `json:"response_action"`
	}
	return json.Unmarshal(ack.Payload, &p) == nil && p.ResponseAction == "errors"
}
