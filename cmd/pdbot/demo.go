package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pdbot/pdbot/bot"
	"github.com/pdbot/pdbot/handlers"
	"github.com/pdbot/pdbot/internal/demoworld"
	"github.com/pdbot/pdbot/internal/pdfake"
	"github.com/pdbot/pdbot/internal/slackfake"
	"github.com/pdbot/pdbot/store"
)

// How long the demo waits for the bot's answer to one input: until nothing
// changed for demoQuiet, at most demoMaxWait, and at least until the envelope
// was acked.
const (
	demoQuiet   = 300 * time.Millisecond
	demoMaxWait = 10 * time.Second
	demoConnect = 10 * time.Second
	demoPoll    = 25 * time.Millisecond
)

// demoOptions tune runDemo; the zero value is what `pdbot demo` uses bar
// SpecPath and Echo.
type demoOptions struct {
	// SpecPath is PagerDuty's OpenAPI document ($PDBOT_PD_OPENAPI); pdfake
	// validates every request against it when set.
	SpecPath string
	// Echo repeats each input line after the prompt, for piped stdin, so the
	// transcript reads like a session.
	Echo bool
	// Log, if set, receives the bot's and the fakes' logs instead of a file in
	// the demo's temporary directory.
	Log io.Writer
	// Quiet and MaxWait override demoQuiet and demoMaxWait.
	Quiet, MaxWait time.Duration
}

const demoBanner = `pdbot demo: the real bot, connected over Socket Mode to an in-process fake
Slack workspace (Acme) and a fake PagerDuty account — no accounts needed,
nothing leaves this machine. Type /pd commands as a Slack user and read what
that user would see. Type "help" for the demo's own commands.
`

const demoHelp = `Type a slash command as the current user, e.g.
  /pd help                 what pdbot can do
  /pd get                  the incident of this channel (from its topic)
  /pd ack                  acknowledge it (as the current user)
  /pd note TEXT            add a note
Demo commands:
  as NAME                  act as another user (see "users")
  in #CHANNEL              switch channel (see "channels")
  users, channels          list the workspace
  click LABEL              press the button with that label in the last message (or open modal)
  submit BLOCK.ACTION=VALUE …   submit the open modal (fields are listed under it)
  close                    close the open modal
  say TEXT                 post a message as the current user
  shortcut NAME            run a shortcut: "PagerDuty action" (global), or
                           "Add as incident note" / "Show PagerDuty incident"
                           on the channel's last message
  quit                     leave (so does end of input)
`

// runDemo runs the demo session: fakes, seed, store, bot, then the prompt
// loop reading in until "quit", end of input or ctx ends.
func runDemo(ctx context.Context, in io.Reader, out io.Writer, opts demoOptions) (err error) {
	if opts.Quiet <= 0 {
		opts.Quiet = demoQuiet
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = demoMaxWait
	}
	dir, err := os.MkdirTemp("", "pdbot-demo-")
	if err != nil {
		return fmt.Errorf("temporary directory: %w", err)
	}
	defer os.RemoveAll(dir)

	logOut := opts.Log
	logPath := "(given writer)"
	if logOut == nil {
		logPath = filepath.Join(dir, "pdbot.log")
		f, err := os.Create(logPath)
		if err != nil {
			return fmt.Errorf("log file: %w", err)
		}
		defer f.Close()
		logOut = f
	}
	log, err := newLogger("debug", "console", logOut)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	fakeLog := func(name string) func(string, ...any) {
		l := log.Named(name).Sugar()
		return func(format string, args ...any) { l.Debugf(format, args...) }
	}

	sfOpts := demoworld.SlackOptions()
	sfOpts.Logf = fakeLog("slackfake")
	sf, err := slackfake.New(sfOpts)
	if err != nil {
		return fmt.Errorf("fake Slack: %w", err)
	}
	defer sf.Close()
	pd, err := pdfake.New(pdfake.Options{SpecPath: opts.SpecPath, Logf: fakeLog("pdfake")})
	if err != nil {
		return fmt.Errorf("fake PagerDuty: %w", err)
	}
	defer pd.Close()
	// Incident #42 started a few minutes ago, so the cards read naturally.
	world := demoworld.SeedWorld(sf, pd, demoworld.NewAt(time.Now().Add(-12*time.Minute)))

	masterKey, err := store.GenerateMasterKey()
	if err != nil {
		return err
	}
	ring, err := store.ParseKeyRing(masterKey)
	if err != nil {
		return err
	}
	st, err := store.OpenBolt(filepath.Join(dir, "pdbot.db"), ring)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer st.Close()
	if err := st.SetAPIKey(ctx, world.TeamID, store.DefaultChannel, store.Secret(world.PDKey), world.DefaultUser); err != nil {
		return fmt.Errorf("store the PagerDuty key: %w", err)
	}

	b, err := bot.New(bot.Config{
		AppToken:        store.Secret(sf.AppToken()),
		BotToken:        store.Secret(sf.BotToken()),
		SlackAPIURL:     sf.URL(),
		PagerDutyAPIURL: pd.URL(),
		Store:           st,
		Logger:          log.Named("bot"),
		Registerer:      prometheus.NewRegistry(),
	})
	if err != nil {
		return fmt.Errorf("bot: %w", err)
	}
	botCtx, stopBot := context.WithCancel(ctx)
	botDone := make(chan error, 1)
	go func() { botDone <- b.Run(botCtx) }()
	defer func() {
		stopBot()
		if berr := <-botDone; berr != nil && err == nil {
			err = fmt.Errorf("bot: %w", berr)
		}
	}()
	if err := waitUntil(ctx, demoConnect, b.Ready); err != nil {
		select {
		case berr := <-botDone:
			botDone <- nil
			return fmt.Errorf("the bot did not connect to the fake Slack: %w", berr)
		default:
		}
		return errors.New("the bot did not connect to the fake Slack within 10s (see the log)")
	}

	fmt.Fprint(out, demoBanner)
	if opts.Log == nil {
		fmt.Fprintf(out, "Bot log (deleted on exit): %s\n", logPath)
	}
	if pd.Validating() {
		fmt.Fprintln(out, "Fake PagerDuty validates every request against PagerDuty's OpenAPI document.")
	}
	fmt.Fprintln(out)

	s := &demoSession{
		sf: sf, world: world, out: out,
		user: world.DefaultUser, channel: world.DefaultChan,
		quiet: opts.Quiet, maxWait: opts.MaxWait,
	}
	lines := readLines(ctx, in)
	for {
		fmt.Fprint(out, s.prompt())
		var line string
		var ok bool
		select {
		case <-ctx.Done():
			fmt.Fprintln(out)
			return nil
		case line, ok = <-lines:
		}
		if !ok {
			fmt.Fprintln(out)
			return nil
		}
		if opts.Echo {
			fmt.Fprintln(out, line)
		}
		if s.exec(ctx, line) {
			return nil
		}
	}
}

// readLines delivers in's lines until end of input or ctx ends.
func readLines(ctx context.Context, in io.Reader) <-chan string {
	ch := make(chan string)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			select {
			case ch <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}

func waitUntil(ctx context.Context, d time.Duration, cond func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	t := time.NewTicker(demoPoll)
	defer t.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

// demoSession is the state of the prompt: who is typing where, and what they
// have been shown.
type demoSession struct {
	sf      *slackfake.Fake
	world   demoworld.World
	out     io.Writer
	user    string // Slack user ID
	channel string // channel ID
	quiet   time.Duration
	maxWait time.Duration

	// shown are the messages shown so far with buttons, newest last; click
	// looks for its label there.
	shown []shownMessage
}

type shownMessage struct {
	channel, ts string
	visibleTo   string // "" for channel messages
	buttons     []button
}

type button struct{ label, actionID string }

func (s *demoSession) prompt() string {
	u, _ := s.world.SlackUser(s.user)
	c, _ := s.world.Channel(s.channel)
	return u.Name + "@#" + c.Name + "> "
}

// exec runs one input line. It returns true to leave.
func (s *demoSession) exec(ctx context.Context, line string) (quit bool) {
	line = strings.TrimSpace(line)
	word, rest, _ := strings.Cut(line, " ")
	rest = strings.TrimSpace(rest)
	switch {
	case line == "" || strings.HasPrefix(line, "#"):
	case strings.HasPrefix(line, "/"):
		s.interact(ctx, func() (*slackfake.Delivery, error) { return s.sf.Slash(s.user, s.channel, line) })
	case word == "pd":
		s.interact(ctx, func() (*slackfake.Delivery, error) { return s.sf.Slash(s.user, s.channel, "/"+line) })
	case word == "quit" || word == "exit":
		return true
	case word == "help" || word == "?":
		fmt.Fprint(s.out, demoHelp)
	case word == "as":
		u, ok := s.world.SlackUser(strings.TrimPrefix(rest, "@"))
		if !ok {
			fmt.Fprintf(s.out, "no user %q; try: users\n", rest)
			return false
		}
		s.user = u.ID
		fmt.Fprintf(s.out, "now acting as %s (%s)\n", u.Name, describeUser(u))
	case word == "in":
		c, ok := s.world.Channel(rest)
		if !ok {
			fmt.Fprintf(s.out, "no channel %q; try: channels\n", rest)
			return false
		}
		s.channel = c.ID
		fmt.Fprintf(s.out, "now in #%s\n", c.Name)
	case word == "users":
		for _, u := range s.world.SlackUsers {
			fmt.Fprintf(s.out, "  %-10s %s\n", u.Name, describeUser(u))
		}
	case word == "channels":
		for _, c := range s.world.Channels {
			about := c.Topic
			if about == "" {
				about = c.Purpose
			}
			fmt.Fprintf(s.out, "  #%-18s %s\n", c.Name, about)
		}
	case word == "click":
		s.click(ctx, rest)
	case word == "submit":
		s.submit(ctx, rest)
	case word == "say":
		if rest == "" {
			fmt.Fprintln(s.out, "usage: say TEXT")
			return false
		}
		s.sf.PostAsUser(s.user, s.channel, rest)
		fmt.Fprintln(s.out, "(posted; try: shortcut Add as incident note)")
	case word == "shortcut":
		s.shortcut(ctx, rest)
	case word == "close" || word == "cancel":
		v, ok := s.topView()
		if !ok {
			fmt.Fprintln(s.out, "no modal is open")
			return false
		}
		s.interact(ctx, func() (*slackfake.Delivery, error) { return s.sf.CloseView(s.user, v.ID) })
	default:
		fmt.Fprintf(s.out, "unknown input %q; type a /pd command, or help\n", word)
	}
	return false
}

func describeUser(u slackfake.User) string {
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
	if u.RealName != "" {
		tags = append([]string{u.RealName}, tags...)
	}
	return strings.Join(tags, ", ")
}

// interact sends one interaction, waits for the bot's answer to settle and
// shows everything new the current user can see.
func (s *demoSession) interact(ctx context.Context, send func() (*slackfake.Delivery, error)) {
	before := s.snapshot()
	d, err := send()
	if err != nil {
		fmt.Fprintf(s.out, "error: %v\n", err)
		return
	}
	s.settle(ctx, before, d)
	s.show(before, s.snapshot())
}

// settle waits until the envelope was acked and what the user sees stopped
// changing for s.quiet (and no modal says "Loading…"), or s.maxWait passed.
func (s *demoSession) settle(ctx context.Context, before snapshot, d *slackfake.Delivery) {
	ctx, cancel := context.WithTimeout(ctx, s.maxWait)
	defer cancel()
	if d != nil {
		if ack, err := d.WaitAck(ctx); err != nil && !errors.Is(err, slackfake.ErrNoEnvelope) {
			fmt.Fprintf(s.out, "(no ack from the bot: %v)\n", err)
		} else if err == nil && ack.Problem != "" {
			fmt.Fprintf(s.out, "(Slack would complain: %s)\n", ack.Problem)
		}
	}
	last, lastChange := s.snapshot(), time.Now()
	changed := !last.equal(before)
	t := time.NewTicker(demoPoll)
	defer t.Stop()
	for {
		if changed && !last.loading && time.Since(lastChange) >= s.quiet {
			return
		}
		select {
		case <-ctx.Done():
			if !changed {
				fmt.Fprintln(s.out, "(no answer)")
			}
			return
		case <-t.C:
		}
		if now := s.snapshot(); !now.equal(last) {
			last, lastChange, changed = now, time.Now(), true
		}
	}
}

// snapshot is what the current user sees: their ephemerals, the messages of
// every channel and of their DM with the bot, and their modal stack.
type snapshot struct {
	items   []item // in display order
	views   []slackfake.View
	loading bool
}

type item struct {
	key, sig string
	msg      slackfake.Message
}

func (s *demoSession) snapshot() snapshot {
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
	if n := len(sn.views); n > 0 && strings.Contains(sn.views[n-1].PlainText(), "Loading…") {
		sn.loading = true
	}
	return sn
}

func msgSig(m slackfake.Message) string {
	return fmt.Sprintf("%t|%s|%s", m.Deleted, m.Text, m.Blocks)
}

func (a snapshot) equal(b snapshot) bool {
	return slices.EqualFunc(a.items, b.items, func(x, y item) bool { return x.key == y.key && x.sig == y.sig }) &&
		slices.EqualFunc(a.views, b.views, func(x, y slackfake.View) bool { return x.ID == y.ID && x.Hash == y.Hash })
}

// show prints what changed between before and after.
func (s *demoSession) show(before, after snapshot) {
	old := map[string]string{}
	for _, it := range before.items {
		old[it.key] = it.sig
	}
	for _, it := range after.items {
		prev, seen := old[it.key]
		if seen && prev == it.sig {
			continue
		}
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
		fmt.Fprintf(s.out, "--- %s %s ---\n%s\n", poster, where, indentText(m.PlainText()))
		if bs := messageButtons(m.Blocks); len(bs) > 0 {
			s.shown = append(s.shown, shownMessage{channel: m.Channel, ts: m.TS, visibleTo: m.VisibleTo, buttons: bs})
		}
	}
	oldViews := map[string]string{}
	for _, v := range before.views {
		oldViews[v.ID] = v.Hash
	}
	if n := len(after.views); n > 0 {
		top := after.views[n-1]
		if h, ok := oldViews[top.ID]; !ok || h != top.Hash || len(before.views) != n {
			fmt.Fprintf(s.out, "--- modal ---\n%s\n", indentText(top.PlainText()))
			if hint := fieldHint(top.Blocks); hint != "" {
				fmt.Fprintln(s.out, hint)
			}
		}
	} else if len(before.views) > 0 {
		fmt.Fprintln(s.out, "--- modal closed ---")
	}
}

func indentText(s string) string {
	if s == "" {
		return "  (empty)"
	}
	return "  " + strings.ReplaceAll(emoji.Replace(s), "\n", "\n  ")
}

// emoji renders the few Slack emoji codes pdbot uses the way Slack shows them.
var emoji = strings.NewReplacer(
	":red_circle:", "🔴",
	":large_yellow_circle:", "🟡",
	":large_green_circle:", "🟢",
	":white_check_mark:", "✅",
	":hourglass_flowing_sand:", "⏳",
	":warning:", "⚠️",
	":x:", "❌",
	":memo:", "📝",
	":rotating_light:", "🚨",
	":pager:", "📟",
	":busts_in_silhouette:", "👥",
	":arrow_up:", "⬆️",
	":link:", "🔗",
	":key:", "🔑",
	":arrows_counterclockwise:", "🔄",
	":pencil2:", "✏️",
)

// block is the part of a Block Kit block the demo reads.
type block struct {
	Type      string    `json:"type"`
	BlockID   string    `json:"block_id"`
	Label     textObj   `json:"label"`
	Optional  bool      `json:"optional"`
	Element   *element  `json:"element"`
	Accessory *element  `json:"accessory"`
	Elements  []element `json:"elements"`
}

type textObj struct {
	Text string `json:"text"`
}

type element struct {
	Type     string   `json:"type"`
	ActionID string   `json:"action_id"`
	Text     *textObj `json:"text"`
	Options  []struct {
		Text  textObj `json:"text"`
		Value string  `json:"value"`
	} `json:"options"`
}

func parseBlocks(raw json.RawMessage) []block {
	var bs []block
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &bs)
	}
	return bs
}

// messageButtons lists the buttons of a message or modal, in order.
func messageButtons(raw json.RawMessage) []button {
	var out []button
	add := func(e *element) {
		if e != nil && e.Type == "button" && e.Text != nil {
			out = append(out, button{label: e.Text.Text, actionID: e.ActionID})
		}
	}
	for _, b := range parseBlocks(raw) {
		add(b.Accessory)
		for i := range b.Elements {
			add(&b.Elements[i])
		}
	}
	return out
}

// fieldHint tells the user how to fill a modal with submit.
func fieldHint(raw json.RawMessage) string {
	var parts []string
	for _, b := range parseBlocks(raw) {
		if b.Type != "input" || b.Element == nil {
			continue
		}
		p := "  " + b.BlockID + "." + b.Element.ActionID
		if len(b.Element.Options) > 0 {
			var vals []string
			for _, o := range b.Element.Options {
				vals = append(vals, o.Value)
			}
			p += " (one of: " + strings.Join(vals, ", ") + ")"
		} else if b.Element.Type != "plain_text_input" {
			p += " (" + b.Element.Type + ")"
		}
		if b.Optional {
			p += " optional"
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		return ""
	}
	return "submit with: submit BLOCK.ACTION=VALUE …  fields:\n" + strings.Join(parts, "\n")
}

// click presses the button labelled label: in the newest shown message that
// has one, else in the open modal.
func (s *demoSession) click(ctx context.Context, label string) {
	label = strings.Trim(strings.TrimSpace(label), "[]")
	if label == "" {
		fmt.Fprintln(s.out, "usage: click LABEL")
		return
	}
	for i := len(s.shown) - 1; i >= 0; i-- {
		m := s.shown[i]
		if m.visibleTo != "" && m.visibleTo != s.user {
			continue
		}
		if b, ok := findButton(m.buttons, label); ok {
			s.interact(ctx, func() (*slackfake.Delivery, error) { return s.sf.ClickButton(s.user, m.channel, m.ts, b.actionID) })
			return
		}
	}
	if v, ok := s.topView(); ok {
		if b, ok := findButton(messageButtons(v.Blocks), label); ok {
			s.interact(ctx, func() (*slackfake.Delivery, error) { return s.sf.ClickViewButton(s.user, v.ID, b.actionID) })
			return
		}
	}
	fmt.Fprintf(s.out, "no button %q in the messages shown or the open modal\n", label)
}

// demoShortcuts are the shortcuts manifest.yaml declares (the manifest test
// keeps manifest and routes in step).
var demoShortcuts = []struct {
	name, callbackID string
	message          bool
}{
	{"Add as incident note", handlers.NoteFromMessage, true},
	{"Show PagerDuty incident", handlers.ShowIncident, true},
	{"PagerDuty action", handlers.PickerShortcut, false},
}

// shortcut runs a global shortcut, or a message shortcut on the newest
// message of the current channel.
func (s *demoSession) shortcut(ctx context.Context, name string) {
	name = strings.Trim(strings.TrimSpace(name), `"`)
	for _, sc := range demoShortcuts {
		if name == "" || !(strings.EqualFold(sc.name, name) || sc.callbackID == name ||
			strings.HasPrefix(strings.ToLower(sc.name), strings.ToLower(name))) {
			continue
		}
		if !sc.message {
			s.interact(ctx, func() (*slackfake.Delivery, error) { return s.sf.Shortcut(s.user, sc.callbackID) })
			return
		}
		msgs := s.sf.Messages(s.channel)
		for i := len(msgs) - 1; i >= 0; i-- {
			if m := msgs[i]; !m.Deleted {
				s.interact(ctx, func() (*slackfake.Delivery, error) {
					return s.sf.MessageShortcut(s.user, s.channel, m.TS, sc.callbackID)
				})
				return
			}
		}
		fmt.Fprintln(s.out, "this channel has no message yet; post one with: say TEXT")
		return
	}
	var names []string
	for _, sc := range demoShortcuts {
		names = append(names, strconv.Quote(sc.name))
	}
	fmt.Fprintf(s.out, "shortcuts: %s\n", strings.Join(names, ", "))
}

// findButton matches a label exactly (ignoring case), else by a unique prefix.
func findButton(bs []button, label string) (button, bool) {
	var prefix []button
	for _, b := range bs {
		if strings.EqualFold(b.label, label) {
			return b, true
		}
		if strings.HasPrefix(strings.ToLower(b.label), strings.ToLower(label)) {
			prefix = append(prefix, b)
		}
	}
	if len(prefix) == 1 {
		return prefix[0], true
	}
	return button{}, false
}

func (s *demoSession) topView() (slackfake.View, bool) {
	vs := s.sf.Views(s.user)
	if len(vs) == 0 {
		return slackfake.View{}, false
	}
	return vs[len(vs)-1], true
}

// submit submits the open modal. Arguments are BLOCK.ACTION=VALUE (or
// BLOCK=VALUE when the block has one element); words without "=" continue
// the previous value, so values may contain spaces. Multi-selects take
// comma-separated values.
func (s *demoSession) submit(ctx context.Context, args string) {
	v, ok := s.topView()
	if !ok {
		fmt.Fprintln(s.out, "no modal is open")
		return
	}
	inputs := map[string]*element{}
	for _, b := range parseBlocks(v.Blocks) {
		if b.Type == "input" && b.Element != nil {
			inputs[b.BlockID] = b.Element
		}
	}
	type field struct{ block, action, value string }
	var fields []field
	for _, w := range strings.Fields(args) {
		k, val, hasEq := strings.Cut(w, "=")
		blk, act, dotted := strings.Cut(k, ".")
		el, known := inputs[blk]
		if !hasEq || !(dotted || known) {
			if len(fields) == 0 {
				var names []string
				for id, el := range inputs {
					names = append(names, id+"."+el.ActionID)
				}
				slices.Sort(names)
				if len(names) == 0 {
					fmt.Fprintln(s.out, "submit: the open modal has no input fields; close it with: close")
				} else {
					fmt.Fprintf(s.out, "submit: %q is not one of the modal's fields (%s); use BLOCK.ACTION=VALUE\n", k, strings.Join(names, ", "))
				}
				return
			}
			fields[len(fields)-1].value += " " + w
			continue
		}
		if !dotted {
			act = el.ActionID
		}
		fields = append(fields, field{blk, act, val})
	}
	values := map[string]map[string]slackfake.Value{}
	for _, f := range fields {
		var val slackfake.Value
		el := inputs[f.block]
		typ := ""
		if el != nil {
			typ = el.Type
		}
		switch typ {
		case "static_select", "external_select", "radio_buttons":
			val.SelectedOption = f.value
		case "multi_static_select", "multi_external_select", "checkboxes":
			val.SelectedOptions = splitList(f.value)
		case "users_select":
			val.SelectedUser = f.value
		case "multi_users_select":
			val.SelectedUsers = splitList(f.value)
		default:
			val.Value = f.value
		}
		if values[f.block] == nil {
			values[f.block] = map[string]slackfake.Value{}
		}
		values[f.block][f.action] = val
	}
	s.interact(ctx, func() (*slackfake.Delivery, error) { return s.sf.SubmitView(s.user, v.ID, values) })
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
