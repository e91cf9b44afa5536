package demo

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pdbot/pdbot/internal/demoworld"
	"github.com/pdbot/pdbot/internal/slackfake"
)

// session is the state of the prompt: who is typing where, and what they
// have been shown.
type session struct {
	sf    *slackfake.Fake
	world demoworld.World
	// out is where the session writes, hiding key-shaped values; raw is the
	// console itself, for the one line that shows a key on purpose (help's
	// demo key).
	out, raw io.Writer
	finished *finished
	maxWait  time.Duration
	cmds     map[string]command // by name and alias
	quit     bool               // set by quit: leave after this line

	user    string // Slack user ID
	channel string // channel ID

	// shown are the messages shown so far with buttons, newest last; click
	// looks for its label there.
	shown []shownMessage
	// pending is a click whose confirm dialog is on screen; the next input
	// answers it.
	pending *pendingClick
	// drafts hold what the user last submitted into each open modal, so a
	// submit after field errors keeps the other entries, as Slack's form does.
	drafts map[string]draft
	// choices are the type-ahead options the bot offered, by action_id then
	// value, so submit takes an ID that search showed.
	choices map[string]map[string]string
}

func newSession(sf *slackfake.Fake, world demoworld.World, out io.Writer, fin *finished, maxWait time.Duration) *session {
	return &session{
		sf: sf, world: world, out: hidingWriter{out}, raw: out, finished: fin, maxWait: maxWait,
		cmds: commandIndex(commands()),
		user: world.DefaultUser, channel: world.DefaultChan,
	}
}

func (s *session) prompt() string {
	u, _ := s.world.SlackUser(s.user)
	c, _ := s.world.Channel(s.channel)
	return u.Name + "@#" + c.Name + "> "
}

// exec runs one input line: the answer to an open confirm dialog, a slash
// command (with or without its "/"), a comment (#…), or a demo command.
func (s *session) exec(ctx context.Context, line string) {
	line = strings.TrimSpace(line)
	if s.pending != nil && s.answerConfirm(ctx, line) {
		return
	}
	word, rest, _ := strings.Cut(line, " ")
	rest = strings.TrimSpace(rest)
	switch {
	case line == "" || strings.HasPrefix(line, "#"):
		return
	case strings.HasPrefix(line, "/"):
		if f := strings.Fields(line); len(f) == 0 || f[0] != "/pd" {
			// Not quoted back: it could be anything, a pasted key included.
			fmt.Fprintln(s.out, "the demo only knows /pd (pdbot's command); try: /pd help")
			return
		}
		s.slash(ctx, line)
		return
	case word == "pd":
		s.slash(ctx, "/"+line)
		return
	}
	c, ok := s.cmds[word]
	if !ok {
		fmt.Fprintf(s.out, "unknown input %q; type a /pd command, or help\n", word)
		return
	}
	c.run(s, ctx, rest)
}

// slash sends a slash command as the current user in the current channel.
func (s *session) slash(ctx context.Context, line string) {
	s.interact(ctx, func() (*slackfake.Delivery, error) { return s.sf.Slash(s.user, s.channel, line) })
}
