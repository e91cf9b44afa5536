package demo

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

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

// Options tune Run; the zero value is what `pdbot demo` uses bar Echo.
type Options struct {
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
  click LABEL              press the button with that label in the open modal or the
                           last message; click Cancel closes the modal
  yes, no                  answer a confirm dialog (so does clicking its buttons)
  submit FIELD=VALUE …     submit the open modal (fields are listed under it); a
                           type-ahead field takes a name: submit policy=Web
  search FIELD TEXT        list a type-ahead field's choices, with their IDs
  close                    close the open modal
  say TEXT                 post a message as the current user
  shortcut NAME            run a shortcut: "PagerDuty action" (global), or
                           "Add as incident note" / "Show PagerDuty incident"
                           on the channel's last message
  quit                     leave (so does end of input)
`

// Run runs the demo session: fakes, seed, store, bot, then the prompt
// loop reading in until "quit", end of input or ctx ends.
func Run(ctx context.Context, in io.Reader, out io.Writer, opts Options) (err error) {
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
	log := newLogger(logOut)
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
	pd, err := pdfake.New(pdfake.Options{Logf: fakeLog("pdfake")})
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

// demoMinQueryLength is external_select's min_query_length when the element
// does not set one (Slack's default: the menu asks the app from 3 characters).
const demoMinQueryLength = 3

type pendingClick struct {
	button button
	send   func() (*slackfake.Delivery, error)
}

type draft struct {
	hash   string                                // the view's hash when submitted
	values map[string]map[string]slackfake.Value // block_id, action_id
	text   map[string]string                     // "block.action" → as typed
}

type shownMessage struct {
	channel, ts string
	visibleTo   string // "" for channel messages
	buttons     []button
}

type button struct {
	label, actionID string
	confirm         *confirmObj
}

func (s *demoSession) prompt() string {
	u, _ := s.world.SlackUser(s.user)
	c, _ := s.world.Channel(s.channel)
	return u.Name + "@#" + c.Name + "> "
}

// exec runs one input line. It returns true to leave.
func (s *demoSession) exec(ctx context.Context, line string) (quit bool) {
	line = strings.TrimSpace(line)
	if s.pending != nil && s.answerConfirm(ctx, line) {
		return false
	}
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
	case word == "search":
		s.search(ctx, rest)
	case word == "yes" || word == "no":
		fmt.Fprintln(s.out, "no confirm dialog is open")
	case word == "say":
		if rest == "" {
			fmt.Fprintln(s.out, "usage: say TEXT")
			return false
		}
		// Slack stores what people type with &, < and > escaped; pdbot reads
		// message text that way (slackfake keeps text as given).
		s.sf.PostAsUser(s.user, s.channel, slackEscape.Replace(rest))
		fmt.Fprintln(s.out, "(posted; try: shortcut Add as incident note)")
	case word == "shortcut":
		s.shortcut(ctx, rest)
	case word == "close" || word == "cancel":
		s.closeModal(ctx)
	default:
		fmt.Fprintf(s.out, "unknown input %q; type a /pd command, or help\n", word)
	}
	return false
}

// slackEscape escapes message text as Slack does for what a person types.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// closeModal closes the open modal as its Cancel button does.
func (s *demoSession) closeModal(ctx context.Context) {
	v, ok := s.topView()
	if !ok {
		fmt.Fprintln(s.out, "no modal is open")
		return
	}
	s.interact(ctx, func() (*slackfake.Delivery, error) { return s.sf.CloseView(s.user, v.ID) })
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
		slices.EqualFunc(a.views, b.views, func(x, y slackfake.View) bool { return x.ID == y.ID && viewSig(x) == viewSig(y) })
}

// viewSig changes when a modal changes for its user: a new hash, or field
// errors from a response_action errors ack (which keep the hash).
func viewSig(v slackfake.View) string {
	return v.Hash + "|" + fmt.Sprint(v.Errors) // fmt sorts map keys
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
		fmt.Fprintf(s.out, "--- %s %s ---\n%s\n", poster, where, s.indent(m.PlainText()))
		if bs := messageButtons(m.Blocks); len(bs) > 0 {
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
			fmt.Fprintf(s.out, "--- modal ---\n%s\n", s.indent(top.PlainText()))
			if len(top.Errors) > 0 {
				var entries []string
				if d, ok := s.drafts[top.ID]; ok && d.hash == top.Hash {
					for _, in := range modalInputs(top) {
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
			if hint := fieldHint(top.Blocks); hint != "" {
				fmt.Fprintln(s.out, hint)
			}
		}
	} else if len(before.views) > 0 {
		fmt.Fprintln(s.out, "--- modal closed ---")
	}
}

// indent renders text for the terminal, indented: emoji as Slack shows them
// and user IDs as names.
func (s *demoSession) indent(text string) string {
	if text == "" {
		return "  (empty)"
	}
	return "  " + strings.ReplaceAll(s.names(emoji.Replace(text)), "\n", "\n  ")
}

// userIDRE matches a mention left as a bare user ID (<@U0ALICE01> renders as
// @U0ALICE01), not inside an email address or a word.
var userIDRE = regexp.MustCompile(`(^|[^\w.+-])@([UW][A-Z0-9]{4,})\b`)

// names shows @U0ALICE01 as @alice, as Slack shows a mention, for the
// workspace's users.
func (s *demoSession) names(text string) string {
	return userIDRE.ReplaceAllStringFunc(text, func(m string) string {
		sub := userIDRE.FindStringSubmatch(m)
		if u, ok := s.world.SlackUser(sub[2]); ok {
			return sub[1] + "@" + u.Name
		}
		return m
	})
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
	Type           string      `json:"type"`
	ActionID       string      `json:"action_id"`
	Text           *textObj    `json:"text"`
	Options        []option    `json:"options"`
	Confirm        *confirmObj `json:"confirm"`
	MinQueryLength *int        `json:"min_query_length"`
	// hasInitial is set when the element carries an initial_… value, so a
	// required input is filled even if the user gives nothing.
	hasInitial bool
}

type option struct {
	Text  textObj `json:"text"`
	Value string  `json:"value"`
}

// confirmObj is a Block Kit confirmation dialog.
type confirmObj struct {
	Title   textObj `json:"title"`
	Text    textObj `json:"text"`
	Confirm textObj `json:"confirm"`
	Deny    textObj `json:"deny"`
}

func (e *element) UnmarshalJSON(b []byte) error {
	type plain element
	// Context elements carry "text" as a string, not an object: read what
	// fits, as the decoder does without a custom unmarshaller.
	var typeErr *json.UnmarshalTypeError
	if err := json.Unmarshal(b, (*plain)(e)); err != nil && !errors.As(err, &typeErr) {
		return err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	for k, v := range all {
		if strings.HasPrefix(k, "initial_") {
			switch string(v) {
			case "null", `""`, "[]":
			default:
				e.hasInitial = true
			}
		}
	}
	return nil
}

func (e *element) typeAhead() bool { return strings.HasSuffix(e.Type, "external_select") }

func (e *element) minQuery() int {
	if e.MinQueryLength != nil {
		return *e.MinQueryLength
	}
	return demoMinQueryLength
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
			out = append(out, button{label: e.Text.Text, actionID: e.ActionID, confirm: e.Confirm})
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
		} else if b.Element.typeAhead() {
			p += " (type-ahead: " + b.BlockID + "=NAME, or list choices with: search " + b.BlockID + " TEXT)"
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
	return "submit with: submit BLOCK.ACTION=VALUE … (or BLOCK=VALUE)  fields:\n" + strings.Join(parts, "\n")
}

// click presses the button labelled label: in the open modal (where Cancel
// or Close closes it and its submit label submits it), else in the newest
// shown message that has one. A button with a confirm dialog shows the dialog
// first; the next input answers it.
func (s *demoSession) click(ctx context.Context, label string) {
	label = strings.Trim(strings.TrimSpace(label), "[]")
	if label == "" {
		fmt.Fprintln(s.out, "usage: click LABEL")
		return
	}
	if v, ok := s.topView(); ok {
		if b, ok := findButton(messageButtons(v.Blocks), label); ok {
			s.press(ctx, b, func() (*slackfake.Delivery, error) { return s.sf.ClickViewButton(s.user, v.ID, b.actionID) })
			return
		}
		if strings.EqualFold(label, v.Close) || strings.EqualFold(label, "Cancel") || strings.EqualFold(label, "Close") {
			s.closeModal(ctx)
			return
		}
		if v.Submit != "" && strings.EqualFold(label, v.Submit) {
			s.submit(ctx, "")
			return
		}
	}
	for i := len(s.shown) - 1; i >= 0; i-- {
		m := s.shown[i]
		if m.visibleTo != "" && m.visibleTo != s.user {
			continue
		}
		if b, ok := findButton(m.buttons, label); ok {
			s.press(ctx, b, func() (*slackfake.Delivery, error) { return s.sf.ClickButton(s.user, m.channel, m.ts, b.actionID) })
			return
		}
	}
	fmt.Fprintf(s.out, "no button %q in the messages shown or the open modal\n", label)
}

// press sends a click, or shows the button's confirm dialog and keeps the
// click until the user answers.
func (s *demoSession) press(ctx context.Context, b button, send func() (*slackfake.Delivery, error)) {
	if b.confirm == nil {
		s.interact(ctx, send)
		return
	}
	s.pending = &pendingClick{button: b, send: send}
	c := b.confirm
	yes, no := confirmLabels(c)
	fmt.Fprintf(s.out, "--- confirm dialog ---\n%s\n", s.indent("=== "+c.Title.Text+" ===\n"+
		slackfake.Message{Text: c.Text.Text}.PlainText()+"\n["+no+"] ["+yes+"]"))
	fmt.Fprintf(s.out, "confirm with: yes (or click %s); no (or click %s) cancels\n", yes, no)
}

// confirmLabels are the dialog's buttons, with Slack's defaults.
func confirmLabels(c *confirmObj) (yes, no string) {
	yes, no = c.Confirm.Text, c.Deny.Text
	if yes == "" {
		yes = "Yes"
	}
	if no == "" {
		no = "Cancel"
	}
	return yes, no
}

// answerConfirm takes line as the answer to the open confirm dialog and
// reports whether it was one; any other input dismisses the dialog and runs.
func (s *demoSession) answerConfirm(ctx context.Context, line string) bool {
	p := s.pending
	if line == "" {
		return true // still waiting
	}
	s.pending = nil
	yes, no := confirmLabels(p.button.confirm)
	word, rest, _ := strings.Cut(line, " ")
	label := strings.Trim(strings.TrimSpace(rest), "[]")
	switch w := strings.ToLower(word); {
	case w == "yes" || w == "y" || (w == "click" && (strings.EqualFold(label, yes) || strings.EqualFold(label, p.button.label))):
		s.interact(ctx, p.send)
		return true
	case w == "no" || w == "n" || (w == "click" && (strings.EqualFold(label, no) || strings.EqualFold(label, "Cancel"))):
		fmt.Fprintln(s.out, "(not confirmed; nothing was sent)")
		return true
	}
	fmt.Fprintln(s.out, "(confirm dialog dismissed; nothing was sent)")
	return false
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

// input is one input block of a modal.
type input struct {
	block, label string
	optional     bool
	el           *element
}

func (in input) key() string { return in.block + "." + in.el.ActionID }

// modalInputs lists a modal's input blocks in order.
func modalInputs(v slackfake.View) []input {
	var out []input
	for _, b := range parseBlocks(v.Blocks) {
		if b.Type == "input" && b.Element != nil {
			out = append(out, input{block: b.BlockID, label: b.Label.Text, optional: b.Optional, el: b.Element})
		}
	}
	return out
}

// findInput finds the input named BLOCK.ACTION, BLOCK or ACTION.
func findInput(inputs []input, name string) (input, bool) {
	var byAction []input
	for _, in := range inputs {
		if name == in.key() || name == in.block {
			return in, true
		}
		if name == in.el.ActionID {
			byAction = append(byAction, in)
		}
	}
	if len(byAction) == 1 {
		return byAction[0], true
	}
	return input{}, false
}

func fieldNames(inputs []input) string {
	var names []string
	for _, in := range inputs {
		names = append(names, in.key())
	}
	return strings.Join(names, ", ")
}

// submit submits the open modal. Arguments are FIELD=VALUE, FIELD being
// BLOCK.ACTION, BLOCK or ACTION; words without "=" continue the previous
// value, so values may contain spaces. Multi-selects take comma-separated
// values; selects take an option's value or label, and type-ahead fields a
// name the bot's type-ahead matches. Fields given in an earlier submit of the
// same modal stay, as in Slack after field errors.
func (s *demoSession) submit(ctx context.Context, args string) {
	v, ok := s.topView()
	if !ok {
		fmt.Fprintln(s.out, "no modal is open")
		return
	}
	inputs := modalInputs(v)
	if len(inputs) == 0 && strings.TrimSpace(args) != "" {
		fmt.Fprintln(s.out, "submit: the open modal has no input fields; submit it with: submit, or close it with: close")
		return
	}
	type entry struct {
		in   input
		text string
	}
	var entries []entry
	for _, w := range strings.Fields(args) {
		k, val, hasEq := strings.Cut(w, "=")
		in, known := findInput(inputs, k)
		switch {
		case hasEq && known:
			entries = append(entries, entry{in, val})
		case len(entries) == 0 || (hasEq && strings.Contains(k, ".")):
			fmt.Fprintf(s.out, "submit: the modal %q has no field %q; its fields: %s (use FIELD=VALUE)\n", v.Title, k, fieldNames(inputs))
			return
		default:
			entries[len(entries)-1].text += " " + w
		}
	}

	d := s.drafts[v.ID]
	if d.hash != v.Hash {
		d = draft{hash: v.Hash, values: map[string]map[string]slackfake.Value{}, text: map[string]string{}}
	}
	given := map[string]bool{}
	for _, e := range entries {
		val, ok := s.fieldValue(ctx, v, e.in, e.text)
		if !ok {
			return
		}
		if d.values[e.in.block] == nil {
			d.values[e.in.block] = map[string]slackfake.Value{}
		}
		d.values[e.in.block][e.in.el.ActionID] = val
		d.text[e.in.key()] = e.text
		given[e.in.key()] = true
	}
	var kept []string
	for _, in := range inputs {
		val, has := d.values[in.block][in.el.ActionID]
		if has && !given[in.key()] {
			kept = append(kept, in.key()+"="+d.text[in.key()])
		}
		if in.optional || (!has && in.el.hasInitial) || (has && !emptyValue(val)) {
			continue
		}
		hint := in.key() + "=VALUE"
		if in.el.typeAhead() {
			hint = in.block + "=NAME (choices: search " + in.block + " TEXT)"
		}
		fmt.Fprintf(s.out, "submit: %q is required; Slack would not send the form. Give %s\n", in.label, hint)
		return
	}
	if len(kept) > 0 {
		fmt.Fprintf(s.out, "(kept from your last submit: %s)\n", strings.Join(kept, "  "))
	}
	if s.drafts == nil {
		s.drafts = map[string]draft{}
	}
	s.drafts[v.ID] = d
	s.interact(ctx, func() (*slackfake.Delivery, error) { return s.sf.SubmitView(s.user, v.ID, d.values) })
}

// fieldValue turns what the user typed for one input into its value, asking
// the bot's type-ahead for names.
func (s *demoSession) fieldValue(ctx context.Context, v slackfake.View, in input, text string) (slackfake.Value, bool) {
	var val slackfake.Value
	switch in.el.Type {
	case "static_select", "radio_buttons":
		val.SelectedOption = staticOption(in.el, text)
	case "multi_static_select", "checkboxes":
		for _, t := range splitList(text) {
			val.SelectedOptions = append(val.SelectedOptions, staticOption(in.el, t))
		}
	case "external_select":
		if text == "" {
			return val, true
		}
		id, ok := s.pickOption(ctx, v, in, text)
		val.SelectedOption = id
		return val, ok
	case "multi_external_select":
		for _, t := range splitList(text) {
			id, ok := s.pickOption(ctx, v, in, t)
			if !ok {
				return val, false
			}
			val.SelectedOptions = append(val.SelectedOptions, id)
		}
	case "users_select":
		val.SelectedUser = s.slackUserID(text)
	case "multi_users_select":
		for _, t := range splitList(text) {
			val.SelectedUsers = append(val.SelectedUsers, s.slackUserID(t))
		}
	default:
		val.Value = text
	}
	return val, true
}

// staticOption is the value of the option whose value or label is text
// (text itself when none is).
func staticOption(el *element, text string) string {
	for _, o := range el.Options {
		if o.Value == text {
			return text
		}
	}
	for _, o := range el.Options {
		if strings.EqualFold(o.Text.Text, text) {
			return o.Value
		}
	}
	return text
}

// slackUserID takes a user's ID or name (with or without "@").
func (s *demoSession) slackUserID(text string) string {
	if u, ok := s.world.SlackUser(strings.TrimPrefix(text, "@")); ok {
		return u.ID
	}
	return text
}

func emptyValue(v slackfake.Value) bool {
	return v.Value == "" && v.SelectedOption == "" && len(v.SelectedOptions) == 0 &&
		v.SelectedUser == "" && len(v.SelectedUsers) == 0
}

// pickOption finds the type-ahead option text names: an ID the bot offered
// before, else the one option the bot offers for text (or the one whose label
// is text). It lists the choices when text names none or several.
func (s *demoSession) pickOption(ctx context.Context, v slackfake.View, in input, text string) (string, bool) {
	if _, ok := s.choices[in.el.ActionID][text]; ok {
		return text, true
	}
	if n := in.el.minQuery(); len([]rune(text)) < n {
		fmt.Fprintf(s.out, "submit: type at least %d characters of a name for %q\n", n, in.label)
		return "", false
	}
	opts, ok := s.suggest(ctx, v, in, text)
	if !ok {
		return "", false
	}
	var exact []option
	for _, o := range opts {
		if o.Value == text {
			return o.Value, true
		}
		if strings.EqualFold(o.Text.Text, text) {
			exact = append(exact, o)
		}
	}
	switch {
	case len(exact) == 1:
		opts = exact
	case len(opts) == 0:
		fmt.Fprintf(s.out, "submit: nothing matches %q for %q; list the choices with: search %s TEXT\n", text, in.label, in.block)
		return "", false
	case len(opts) > 1:
		fmt.Fprintf(s.out, "submit: %d choices match %q for %q; name one by ID or a longer name:\n", len(opts), text, in.label)
		s.listOptions(opts)
		return "", false
	}
	fmt.Fprintf(s.out, "(%s: %q is %s, %s)\n", in.block, text, opts[0].Text.Text, opts[0].Value)
	return opts[0].Value, true
}

// search lists the choices the bot's type-ahead offers for a field of the
// open modal. The field may be left out when the modal has one type-ahead.
func (s *demoSession) search(ctx context.Context, args string) {
	v, ok := s.topView()
	if !ok {
		fmt.Fprintln(s.out, "no modal is open; search lists the choices of a modal's type-ahead field")
		return
	}
	var ahead []input
	for _, in := range modalInputs(v) {
		if in.el.typeAhead() {
			ahead = append(ahead, in)
		}
	}
	if len(ahead) == 0 {
		fmt.Fprintln(s.out, "the open modal has no type-ahead field")
		return
	}
	name, query, _ := strings.Cut(strings.TrimSpace(args), " ")
	in, ok := findInput(ahead, name)
	switch {
	case ok:
		query = strings.TrimSpace(query)
	case len(ahead) == 1:
		in, query = ahead[0], strings.TrimSpace(args)
	default:
		fmt.Fprintf(s.out, "usage: search FIELD TEXT; type-ahead fields: %s\n", fieldNames(ahead))
		return
	}
	if n := in.el.minQuery(); len([]rune(query)) < n {
		fmt.Fprintf(s.out, "search: type at least %d characters; Slack asks pdbot only then\n", n)
		return
	}
	opts, ok := s.suggest(ctx, v, in, query)
	if !ok {
		return
	}
	fmt.Fprintf(s.out, "--- choices for %s %q ---\n", in.label, query)
	if len(opts) == 0 {
		fmt.Fprintln(s.out, "  (none)")
		return
	}
	s.listOptions(opts)
	fmt.Fprintf(s.out, "pick one with: submit %s=ID (or =NAME)\n", in.block)
}

func (s *demoSession) listOptions(opts []option) {
	for _, o := range opts {
		fmt.Fprintf(s.out, "  %-10s %s\n", o.Value, o.Text.Text)
	}
}

// suggest types query into a type-ahead field, as Slack does, and returns
// the options the bot answers with.
func (s *demoSession) suggest(ctx context.Context, v slackfake.View, in input, query string) ([]option, bool) {
	d, err := s.sf.Suggest(s.user, v.ID, in.el.ActionID, query)
	if err != nil {
		fmt.Fprintf(s.out, "error: %v\n", err)
		return nil, false
	}
	ctx, cancel := context.WithTimeout(ctx, s.maxWait)
	defer cancel()
	ack, err := d.WaitAck(ctx)
	if err != nil {
		fmt.Fprintf(s.out, "(no answer from the bot: %v)\n", err)
		return nil, false
	}
	if ack.Problem != "" {
		fmt.Fprintf(s.out, "(Slack would complain: %s)\n", ack.Problem)
		return nil, false
	}
	var p struct {
		Options      []option `json:"options"`
		OptionGroups []struct {
			Options []option `json:"options"`
		} `json:"option_groups"`
	}
	if err := json.Unmarshal(ack.Payload, &p); err != nil {
		fmt.Fprintf(s.out, "(the bot's options do not parse: %v)\n", err)
		return nil, false
	}
	opts := p.Options
	for _, g := range p.OptionGroups {
		opts = append(opts, g.Options...)
	}
	if s.choices == nil {
		s.choices = map[string]map[string]string{}
	}
	if s.choices[in.el.ActionID] == nil {
		s.choices[in.el.ActionID] = map[string]string{}
	}
	for _, o := range opts {
		s.choices[in.el.ActionID][o.Value] = o.Text.Text
	}
	return opts, true
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

// newLogger builds the demo's logger: everything, for people, to w.
func newLogger(w io.Writer) *zap.Logger {
	ec := zap.NewProductionEncoderConfig()
	ec.EncodeTime = zapcore.ISO8601TimeEncoder
	ec.EncodeLevel = zapcore.CapitalLevelEncoder
	return zap.New(zapcore.NewCore(zapcore.NewConsoleEncoder(ec), zapcore.Lock(zapcore.AddSync(w)), zapcore.DebugLevel))
}
