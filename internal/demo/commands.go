package demo

import (
	"context"
	"fmt"
	"strings"

	"github.com/pdbot/pdbot/internal/slackfake"
)

// A command is one of the demo's own inputs, beside slash commands. The
// table (commands) is the only list of them: the prompt dispatches on it and
// help is generated from it.
type command struct {
	name    string
	aliases []string
	args    string // synopsis of the arguments ("" for none)
	help    string // one line
	run     func(s *session, ctx context.Context, args string)
}

// commands is the demo's command table, in the order help lists it.
func commands() []command {
	return []command{
		{name: "as", args: "NAME", help: `act as another user (see "users")`, run: (*session).as},
		{name: "in", args: "#CHANNEL", help: `switch channel (see "channels")`, run: (*session).in},
		{name: "users", help: "list the workspace's users", run: (*session).users},
		{name: "channels", help: "list the workspace's channels", run: (*session).channels},
		{name: "click", args: "LABEL", help: "press a button of the open modal or of the last message (Cancel closes a modal)", run: (*session).click},
		{name: "yes", help: "confirm the open confirm dialog (so does clicking its button)", run: (*session).noDialog},
		{name: "no", help: "cancel the open confirm dialog", run: (*session).noDialog},
		{name: "submit", args: "FIELD=VALUE …", help: "submit the open modal; a type-ahead field takes a name (submit policy=Web)", run: (*session).submit},
		{name: "search", args: "FIELD TEXT", help: "list a type-ahead field's choices, with their IDs", run: (*session).search},
		{name: "close", aliases: []string{"cancel"}, help: "close the open modal", run: (*session).closeCmd},
		{name: "say", args: "TEXT", help: "post a message as the current user", run: (*session).say},
		{name: "shortcut", args: "NAME", help: `run "PagerDuty action", or "Add as incident note" / "Show PagerDuty incident" on the last message`, run: (*session).shortcut},
		{name: "help", aliases: []string{"?"}, help: "show this help", run: (*session).help},
		{name: "quit", aliases: []string{"exit"}, help: "leave (so does end of input)", run: (*session).quitCmd},
	}
}

// commandIndex maps every name and alias to its command. An empty or
// duplicate name is a programming error and panics at start-up.
func commandIndex(cmds []command) map[string]command {
	idx := make(map[string]command, len(cmds))
	for _, c := range cmds {
		if c.run == nil || c.help == "" {
			panic(fmt.Sprintf("demo: command %q has no function or no help", c.name))
		}
		for _, n := range append([]string{c.name}, c.aliases...) {
			if n == "" || strings.ContainsAny(n, " \t") {
				panic(fmt.Sprintf("demo: command %q has an empty or spaced name", c.name))
			}
			if _, dup := idx[n]; dup {
				panic(fmt.Sprintf("demo: command name %q registered twice", n))
			}
			idx[n] = c
		}
	}
	return idx
}

// usage is how help shows a command: its names and argument synopsis.
func (c command) usage() string {
	u := strings.Join(append([]string{c.name}, c.aliases...), ", ")
	if c.args != "" {
		u += " " + c.args
	}
	return u
}

// slashHelp introduces slash commands in help; /pd help lists them all.
const slashHelp = `Type a slash command as the current user, e.g.
  /pd help                 what pdbot can do
  /pd get                  the incident of this channel (from its topic)
  /pd ack                  acknowledge it (as the current user)
  /pd note TEXT            add a note
`

// helpText is the demo's help, generated from the command table.
func helpText(cmds []command) string {
	var b strings.Builder
	b.WriteString(slashHelp)
	b.WriteString("Demo commands:\n")
	for _, c := range cmds {
		fmt.Fprintf(&b, "  %-24s %s\n", c.usage(), c.help)
	}
	return b.String()
}

func (s *session) help(context.Context, string) {
	fmt.Fprint(s.out, helpText(commands()))
	// The one key the demo ever shows, and on purpose: the fake account's
	// own, so that /pd key can be tried. It works nowhere else.
	fmt.Fprint(s.raw, demoKeyLine(s.world.PDKey))
}

// demoKeyLine is the line of help that gives the demo account's key.
func demoKeyLine(key string) string {
	return "To try /pd key (as an admin: alice or carol), the demo PagerDuty account's key is " + key + " (it works only in this demo)\n"
}

func (s *session) quitCmd(context.Context, string) { s.quit = true }

func (s *session) as(_ context.Context, name string) {
	u, ok := s.world.SlackUser(strings.TrimPrefix(name, "@"))
	if !ok {
		fmt.Fprintf(s.out, "no user %q; try: users\n", name)
		return
	}
	s.user = u.ID
	fmt.Fprintf(s.out, "now acting as %s (%s)\n", u.Name, s.describeUser(u))
}

func (s *session) in(_ context.Context, name string) {
	c, ok := s.world.Channel(name)
	if !ok {
		fmt.Fprintf(s.out, "no channel %q; try: channels\n", name)
		return
	}
	s.channel = c.ID
	fmt.Fprintf(s.out, "now in #%s\n", c.Name)
}

func (s *session) users(context.Context, string) {
	for _, u := range s.world.SlackUsers {
		fmt.Fprintf(s.out, "  %-10s %s\n", u.Name, s.describeUser(u))
	}
}

func (s *session) channels(context.Context, string) {
	for _, c := range s.world.Channels {
		about := c.Topic
		if about == "" {
			about = c.Purpose
		}
		fmt.Fprintf(s.out, "  #%-18s %s\n", c.Name, about)
	}
}

// noDialog answers yes or no typed with no confirm dialog open (with one
// open, answerConfirm takes them first).
func (s *session) noDialog(context.Context, string) {
	fmt.Fprintln(s.out, "no confirm dialog is open")
}

func (s *session) say(_ context.Context, text string) {
	if text == "" {
		fmt.Fprintln(s.out, "usage: say TEXT")
		return
	}
	// Slack stores what people type with &, < and > escaped; pdbot reads
	// message text that way (slackfake keeps text as given).
	s.sf.PostAsUser(s.user, s.channel, slackEscape.Replace(text))
	fmt.Fprintln(s.out, "(posted; try: shortcut Add as incident note)")
}

// slackEscape escapes message text as Slack does for what a person types.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func (s *session) closeCmd(ctx context.Context, _ string) { s.closeModal(ctx) }

// closeModal closes the open modal as its Cancel button does.
func (s *session) closeModal(ctx context.Context) {
	m, ok := s.topModal()
	if !ok {
		fmt.Fprintln(s.out, "no modal is open")
		return
	}
	s.interact(ctx, func() (*slackfake.Delivery, error) { return s.sf.CloseView(s.user, m.ID) })
}

// describeUser says who u is: name, role, email, and whether the PagerDuty
// account has a user with that email (pdbot acts only for those, unless an
// admin maps them with /pd map).
func (s *session) describeUser(u slackfake.User) string {
	var tags []string
	switch {
	case u.IsOwner:
		tags = append(tags, "workspace owner")
	case u.IsAdmin:
		tags = append(tags, "workspace admin")
	case u.IsRestricted || u.IsUltraRestricted:
		tags = append(tags, "guest")
	case u.IsBot:
		tags = append(tags, "bot")
	}
	if u.Email != "" {
		tags = append(tags, u.Email)
	}
	if !s.inPagerDuty(u.Email) {
		tags = append(tags, "no PagerDuty account")
	}
	if u.RealName != "" {
		tags = append([]string{u.RealName}, tags...)
	}
	return strings.Join(tags, ", ")
}

// inPagerDuty reports whether the demo's PagerDuty account has a user with
// that email (matched as pdbot matches it, ignoring case).
func (s *session) inPagerDuty(email string) bool {
	for _, p := range s.world.PDUsers {
		if email != "" && strings.EqualFold(p.Email, email) {
			return true
		}
	}
	return false
}
