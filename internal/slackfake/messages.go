package slackfake

import (
	"encoding/json"
	"regexp"
	"strings"
	"sync"
)

// Message is a message as a user now sees it.
type Message struct {
	TS, Channel string
	// User is the poster: the bot's user ID for bot messages, else the human's.
	User   string
	Text   string
	Blocks json.RawMessage
	// Ephemeral messages are shown only to VisibleTo.
	Ephemeral bool
	VisibleTo string
	// Replaced is set once the message was edited (chat.update,
	// replace_original); Deleted once it was removed (chat.delete,
	// delete_original). Deleted messages stay in the lists.
	Replaced, Deleted bool
	// ThreadTS is the parent's ts for a thread reply, and the message's own
	// ts for a parent that has replies.
	ThreadTS string
	// ReplyCount is how many (undeleted) replies the message's thread has,
	// and LatestReply the ts of the newest.
	ReplyCount  int
	LatestReply string
	// Edits is how many times the message was updated (History has each
	// version).
	Edits int
}

// Messages returns the in-channel messages of channel in order (a user ID
// names the bot's DM with that user). Deleted messages are included with
// Deleted set.
func (f *Fake) Messages(channel string) []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ch, ok := f.resolveChannelLocked(channel); ok {
		channel = ch
	}
	out := make([]Message, 0, len(f.messages[channel]))
	for _, m := range f.messages[channel] {
		out = append(out, *m)
	}
	return out
}

// Ephemerals returns what only user sees in channel ("" = every channel),
// in order: chat.postEphemeral posts, ephemeral response_url posts and
// ephemeral slash-command acks.
func (f *Fake) Ephemerals(user, channel string) []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ch, ok := f.resolveChannelLocked(channel); ok {
		channel = ch
	}
	var out []Message
	for _, m := range f.ephem {
		if m.VisibleTo == user && (channel == "" || m.Channel == channel) {
			out = append(out, *m)
		}
	}
	return out
}

// --- slash text escaping ------------------------------------------------------

// mentionRE and linkRE are compiled on first use: `pdbot serve` links this
// package (for `pdbot demo`) but never runs it (see internal/pdfake/route.go).
var mentionRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(^|[\s(,;:=])([@#])([A-Za-z0-9][A-Za-z0-9._-]*)`) })

// escapeLocked escapes slash-command text as Slack does with should_escape:
// &, < and > become entities, then @name of a known user becomes
// <@UID|name>, #name of a known channel <#CID|name>, and @here, @channel,
// @everyone <!here> and friends.
func (f *Fake) escapeLocked(text string) string {
	s := escaper.Replace(text)
	var b strings.Builder
	last := 0
	for _, m := range mentionRE().FindAllStringSubmatchIndex(s, -1) {
		sigil, name := s[m[4]:m[5]], s[m[6]:m[7]]
		// Trailing punctuation is not part of a name ("@bob." → "@bob" + ".").
		trimmed := strings.TrimRight(name, ".-_")
		repl, ok := f.mentionLocked(sigil, trimmed)
		if !ok {
			continue
		}
		b.WriteString(s[last:m[4]])
		b.WriteString(repl)
		last = m[6] + len(trimmed)
	}
	b.WriteString(s[last:])
	return b.String()
}

func (f *Fake) mentionLocked(sigil, name string) (string, bool) {
	lower := strings.ToLower(name)
	if sigil == "@" {
		switch lower {
		case "here", "channel", "everyone":
			return "<!" + lower + ">", true
		}
		for _, u := range f.users {
			if strings.EqualFold(u.Name, name) && !u.Deleted {
				return "<@" + u.ID + "|" + u.Name + ">", true
			}
		}
		return "", false
	}
	for _, c := range f.channels {
		if strings.EqualFold(c.Name, name) {
			return "<#" + c.ID + "|" + c.Name + ">", true
		}
	}
	return "", false
}

// --- plain-text rendering -----------------------------------------------------

var (
	linkRE    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`<([^<>]+)>`) })
	unescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")
	// escaper is built once, on first use, and shared: made per message it
	// was most of what the fake allocated in a burst.
	escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
)

// MrkdwnToPlain turns Slack's escaped mrkdwn into what a reader sees:
// <@U1|bob> → @bob, <#C1|ops> → #ops, <!here> → @here, <url|label> → label (url).
func MrkdwnToPlain(s string) string {
	s = linkRE().ReplaceAllStringFunc(s, func(m string) string {
		inner := m[1 : len(m)-1]
		target, label, hasLabel := strings.Cut(inner, "|")
		switch {
		case strings.HasPrefix(target, "@"):
			if hasLabel {
				return "@" + strings.TrimPrefix(label, "@")
			}
			return target
		case strings.HasPrefix(target, "#"):
			if hasLabel {
				return "#" + label
			}
			return target
		case strings.HasPrefix(target, "!"):
			if hasLabel {
				return label
			}
			name, _, _ := strings.Cut(target[1:], "^")
			return "@" + name
		}
		if hasLabel {
			return label + " (" + target + ")"
		}
		return target
	})
	return unescaper.Replace(s)
}

// PlainText renders the message as readable text: the text (unless the
// blocks already say it) followed by the blocks — headers, sections and
// their fields, context, buttons as [Label], selects as [Placeholder ▾],
// inputs. A deleted message renders as "".
func (m Message) PlainText() string {
	if m.Deleted {
		return ""
	}
	var blocks []any
	_ = json.Unmarshal(m.Blocks, &blocks)
	body := renderBlocks(blocks, nil)
	text := strings.TrimSpace(MrkdwnToPlain(m.Text))
	switch {
	case body == "":
		return text
	case text == "" || strings.Contains(body, text):
		return body
	}
	return text + "\n" + body
}

// PlainText renders the modal as readable text: the title, the blocks
// (inputs as "Label: value", field errors as "! error") and the buttons.
func (v View) PlainText() string {
	var blocks []any
	_ = json.Unmarshal(v.Blocks, &blocks)
	var b strings.Builder
	b.WriteString("=== " + v.Title + " ===\n")
	if body := renderBlocks(blocks, v.Errors); body != "" {
		b.WriteString(body + "\n")
	}
	var buttons []string
	closeLabel := v.Close
	if closeLabel == "" {
		closeLabel = "Cancel"
	}
	buttons = append(buttons, "["+closeLabel+"]")
	if v.Submit != "" {
		buttons = append(buttons, "["+v.Submit+"]")
	}
	b.WriteString(strings.Join(buttons, " "))
	return b.String()
}

func renderBlocks(blocks []any, errs map[string]string) string {
	var lines []string
	add := func(s string) {
		if s = strings.TrimRight(s, " "); s != "" {
			lines = append(lines, s)
		}
	}
	for _, b := range blocks {
		bo, _ := b.(map[string]any)
		switch str(bo["type"]) {
		case "header":
			add("== " + textOf(bo["text"]) + " ==")
		case "section":
			line := MrkdwnToPlain(textOf(bo["text"]))
			if a, ok := bo["accessory"].(map[string]any); ok {
				if el := renderElement(a); el != "" {
					line = strings.TrimSpace(line + " " + el)
				}
			}
			add(line)
			for _, fl := range anySlice(bo["fields"]) {
				add("  " + MrkdwnToPlain(textOf(fl)))
			}
		case "context":
			var parts []string
			for _, e := range anySlice(bo["elements"]) {
				eo, _ := e.(map[string]any)
				if str(eo["type"]) == "image" {
					continue
				}
				parts = append(parts, MrkdwnToPlain(str(eo["text"])))
			}
			add(strings.Join(parts, " · "))
		case "actions":
			var parts []string
			for _, e := range anySlice(bo["elements"]) {
				if eo, ok := e.(map[string]any); ok {
					parts = append(parts, renderElement(eo))
				}
			}
			add(strings.Join(parts, " "))
		case "divider":
			add("---")
		case "input":
			label := textOf(bo["label"])
			if opt, _ := bo["optional"].(bool); opt {
				label += " (optional)"
			}
			el, _ := bo["element"].(map[string]any)
			add(label + ": " + renderInput(el))
			if h := textOf(bo["hint"]); h != "" {
				add("  (" + h + ")")
			}
			if e := errs[str(bo["block_id"])]; e != "" {
				add("  ! " + e)
			}
		case "image":
			add("[image: " + str(bo["alt_text"]) + "]")
		case "markdown":
			add(str(bo["text"]))
		case "rich_text":
			add(MrkdwnToPlain(richText(bo)))
		}
	}
	return strings.Join(lines, "\n")
}

// renderElement renders an interactive element: buttons as [Label],
// selects as [Placeholder ▾].
func renderElement(e map[string]any) string {
	switch t := str(e["type"]); {
	case t == "button":
		return "[" + textOf(e["text"]) + "]"
	case t == "overflow":
		return "[…]"
	case strings.Contains(t, "select"):
		label := textOf(e["placeholder"])
		if o, ok := e["initial_option"].(map[string]any); ok {
			label = textOf(o["text"])
		}
		if label == "" {
			label = "Select"
		}
		return "[" + label + " ▾]"
	case t == "image":
		return ""
	case t == "datepicker":
		return "[" + pick(str(e["initial_date"]) != "", str(e["initial_date"]), "date") + "]"
	default:
		return "[" + t + "]"
	}
}

// renderInput renders an input element's current (initial) value.
func renderInput(e map[string]any) string {
	switch t := str(e["type"]); {
	case t == "plain_text_input" || strings.HasSuffix(t, "_input"):
		if v := str(e["initial_value"]); v != "" {
			return v
		}
		if p := textOf(e["placeholder"]); p != "" {
			return "[" + p + "]"
		}
		return "[ ]"
	case t == "checkboxes" || t == "radio_buttons":
		var opts []string
		for _, o := range anySlice(e["options"]) {
			om, _ := o.(map[string]any)
			opts = append(opts, "( ) "+textOf(om["text"]))
		}
		return strings.Join(opts, " ")
	}
	return renderElement(e)
}

func richText(v any) string {
	var b strings.Builder
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if t, ok := x["text"].(string); ok {
				b.WriteString(t)
			}
			if u := str(x["user_id"]); u != "" && str(x["type"]) == "user" {
				b.WriteString("<@" + u + ">")
			}
			walk(x["elements"])
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return b.String()
}
