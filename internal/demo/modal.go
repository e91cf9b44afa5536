package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/handlers"
	"github.com/pdbot/pdbot/internal/slackfake"
)

// topModal is the user's open (topmost) modal.
func (s *session) topModal() (modal, bool) {
	vs := s.sf.Views(s.user)
	if len(vs) == 0 {
		return modal{}, false
	}
	return readModal(vs[len(vs)-1]), true
}

// click presses the button labelled label: in the open modal (where Cancel
// or Close closes it and its submit label submits it), else in the newest
// shown message that has one. A button with a confirm dialog shows the dialog
// first; the next input answers it.
func (s *session) click(ctx context.Context, label string) {
	label = strings.Trim(strings.TrimSpace(label), "[]")
	if label == "" {
		fmt.Fprintln(s.out, "usage: click LABEL")
		return
	}
	if m, ok := s.topModal(); ok {
		if b, ok := findButton(buttons(m.blocks()), label); ok {
			s.press(ctx, b, func() (*slackfake.Delivery, error) { return s.sf.ClickViewButton(s.user, m.ID, b.actionID) })
			return
		}
		if strings.EqualFold(label, m.closeLabel()) || strings.EqualFold(label, "Cancel") || strings.EqualFold(label, "Close") {
			s.closeModal(ctx)
			return
		}
		if l := m.submitLabel(); l != "" && strings.EqualFold(label, l) {
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

// pendingClick is a click waiting for its confirm dialog's answer.
type pendingClick struct {
	button button
	send   func() (*slackfake.Delivery, error)
}

// press sends a click, or shows the button's confirm dialog and keeps the
// click until the user answers.
func (s *session) press(ctx context.Context, b button, send func() (*slackfake.Delivery, error)) {
	if b.confirm == nil {
		s.interact(ctx, send)
		return
	}
	s.pending = &pendingClick{button: b, send: send}
	c := b.confirm
	yes, no := confirmLabels(c)
	fmt.Fprintf(s.out, "--- confirm dialog ---\n%s\n", s.indent("=== "+textOf(c.Title)+" ===\n"+
		strings.TrimSpace(mrkdwnToPlain(textOf(c.Text)))+"\n["+no+"] ["+yes+"]"))
	fmt.Fprintf(s.out, "confirm with: yes (or click %s); no (or click %s) cancels\n", yes, no)
}

// confirmLabels are the dialog's buttons, with Slack's defaults.
func confirmLabels(c *slack.ConfirmationBlockObject) (yes, no string) {
	yes, no = textOf(c.Confirm), textOf(c.Deny)
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
func (s *session) answerConfirm(ctx context.Context, line string) bool {
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

// shortcuts are the shortcuts manifest.yaml declares (the manifest test
// keeps manifest and routes in step).
var shortcuts = []struct {
	name, callbackID string
	message          bool
}{
	{"Add as incident note", handlers.NoteFromMessage, true},
	{"Show PagerDuty incident", handlers.ShowIncident, true},
	{"PagerDuty action", handlers.PickerShortcut, false},
}

// shortcut runs a global shortcut, or a message shortcut on the newest
// message of the current channel.
func (s *session) shortcut(ctx context.Context, name string) {
	name = strings.Trim(strings.TrimSpace(name), `"`)
	for _, sc := range shortcuts {
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
	for _, sc := range shortcuts {
		names = append(names, strconv.Quote(sc.name))
	}
	fmt.Fprintf(s.out, "shortcuts: %s\n", strings.Join(names, ", "))
}

// draft is what the user last submitted into one modal.
type draft struct {
	hash   string                                // the view's hash when submitted
	values map[string]map[string]slackfake.Value // block_id, action_id
	text   map[string]string                     // "block.action" → as typed
}

// submit submits the open modal. Arguments are FIELD=VALUE, FIELD being
// BLOCK.ACTION, BLOCK or ACTION; words without "=" continue the previous
// value, so values may contain spaces. Multi-selects take comma-separated
// values; selects take an option's value or label, and type-ahead fields a
// name the bot's type-ahead matches. Fields given in an earlier submit of the
// same modal stay, as in Slack after field errors.
func (s *session) submit(ctx context.Context, args string) {
	m, ok := s.topModal()
	if !ok {
		fmt.Fprintln(s.out, "no modal is open")
		return
	}
	ins := inputs(m.blocks())
	if len(ins) == 0 && strings.TrimSpace(args) != "" {
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
		in, known := findInput(ins, k)
		switch {
		case hasEq && known:
			entries = append(entries, entry{in, val})
		case len(entries) == 0 || (hasEq && strings.Contains(k, ".")):
			fmt.Fprintf(s.out, "submit: the modal %q has no field %q; its fields: %s (use FIELD=VALUE)\n", m.title(), k, fieldNames(ins))
			return
		default:
			entries[len(entries)-1].text += " " + w
		}
	}

	d := s.drafts[m.ID]
	if d.hash != m.Hash {
		d = draft{hash: m.Hash, values: map[string]map[string]slackfake.Value{}, text: map[string]string{}}
	}
	given := map[string]bool{}
	for _, e := range entries {
		val, ok := s.fieldValue(ctx, m, e.in, e.text)
		if !ok {
			return
		}
		if d.values[e.in.block] == nil {
			d.values[e.in.block] = map[string]slackfake.Value{}
		}
		d.values[e.in.block][e.in.action] = val
		d.text[e.in.key()] = e.text
		given[e.in.key()] = true
	}
	var kept []string
	for _, in := range ins {
		val, has := d.values[in.block][in.action]
		if has && !given[in.key()] {
			kept = append(kept, in.key()+"="+d.text[in.key()])
		}
		if in.optional || (!has && in.initial) || (has && !emptyValue(val)) {
			continue
		}
		hint := in.key() + "=VALUE"
		if in.typeAhead() {
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
	s.drafts[m.ID] = d
	s.interact(ctx, func() (*slackfake.Delivery, error) { return s.sf.SubmitView(s.user, m.ID, d.values) })
}

// fieldValue turns what the user typed for one input into its value, asking
// the bot's type-ahead for names.
func (s *session) fieldValue(ctx context.Context, m modal, in input, text string) (slackfake.Value, bool) {
	var val slackfake.Value
	switch in.typ {
	case "static_select", "radio_buttons":
		val.SelectedOption = staticOption(in, text)
	case "multi_static_select", "checkboxes":
		for _, t := range splitList(text) {
			val.SelectedOptions = append(val.SelectedOptions, staticOption(in, t))
		}
	case "external_select":
		if text == "" {
			return val, true
		}
		id, ok := s.pickOption(ctx, m, in, text)
		val.SelectedOption = id
		return val, ok
	case "multi_external_select":
		for _, t := range splitList(text) {
			id, ok := s.pickOption(ctx, m, in, t)
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

// slackUserID takes a user's ID or name (with or without "@").
func (s *session) slackUserID(text string) string {
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
func (s *session) pickOption(ctx context.Context, m modal, in input, text string) (string, bool) {
	if _, ok := s.choices[in.action][text]; ok {
		return text, true
	}
	if len([]rune(text)) < in.minQuery {
		fmt.Fprintf(s.out, "submit: type at least %d characters of a name for %q\n", in.minQuery, in.label)
		return "", false
	}
	opts, ok := s.suggest(ctx, m, in, text)
	if !ok {
		return "", false
	}
	var exact []*slack.OptionBlockObject
	for _, o := range opts {
		if o.Value == text {
			return o.Value, true
		}
		if strings.EqualFold(textOf(o.Text), text) {
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
	fmt.Fprintf(s.out, "(%s: %q is %s, %s)\n", in.block, text, textOf(opts[0].Text), opts[0].Value)
	return opts[0].Value, true
}

// search lists the choices the bot's type-ahead offers for a field of the
// open modal. The field may be left out when the modal has one type-ahead.
func (s *session) search(ctx context.Context, args string) {
	m, ok := s.topModal()
	if !ok {
		fmt.Fprintln(s.out, "no modal is open; search lists the choices of a modal's type-ahead field")
		return
	}
	var ahead []input
	for _, in := range inputs(m.blocks()) {
		if in.typeAhead() {
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
	if len([]rune(query)) < in.minQuery {
		fmt.Fprintf(s.out, "search: type at least %d characters; Slack asks pdbot only then\n", in.minQuery)
		return
	}
	opts, ok := s.suggest(ctx, m, in, query)
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

func (s *session) listOptions(opts []*slack.OptionBlockObject) {
	for _, o := range opts {
		fmt.Fprintf(s.out, "  %-10s %s\n", o.Value, textOf(o.Text))
	}
}

// suggest types query into a type-ahead field, as Slack does, and returns
// the options the bot answers with (in the ack of block_suggestion).
func (s *session) suggest(ctx context.Context, m modal, in input, query string) ([]*slack.OptionBlockObject, bool) {
	d, err := s.sf.Suggest(s.user, m.ID, in.action, query)
	if err != nil {
		fmt.Fprintf(s.out, "error: %v\n", err)
		return nil, false
	}
	// The options ride on the ack; await said what went wrong, if anything.
	ack, complete := s.await(ctx, d)
	if ack.Problem != "" || (!complete && len(ack.Payload) == 0) {
		return nil, false
	}
	var p struct {
		slack.OptionsResponse
		slack.OptionGroupsResponse
	}
	if err := json.Unmarshal(ack.Payload, &p); err != nil {
		fmt.Fprintf(s.out, "(the bot's options do not parse: %v)\n", err)
		return nil, false
	}
	opts := allOptions(p.Options, p.OptionGroups)
	if s.choices == nil {
		s.choices = map[string]map[string]string{}
	}
	if s.choices[in.action] == nil {
		s.choices[in.action] = map[string]string{}
	}
	for _, o := range opts {
		s.choices[in.action][o.Value] = textOf(o.Text)
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
