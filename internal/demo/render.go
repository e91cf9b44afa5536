package demo

import (
	"regexp"
	"strings"
	"sync"

	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/internal/slackfake"
)

// renderMessage renders a message as a reader sees it in Slack: its blocks —
// headers, sections and their fields, context, buttons as [Label], selects
// as [Placeholder ▾] — or, when it has none, its text (with blocks, the text
// is only the notification's fallback, which Slack does not show).
func renderMessage(m slackfake.Message) string {
	if m.Deleted {
		return ""
	}
	text := strings.TrimSpace(mrkdwnToPlain(m.Text))
	blocks, err := readBlocks(m.Blocks)
	if err != nil {
		return strings.TrimSpace(text + "\n(the demo cannot show this message's blocks: " + err.Error() + ")")
	}
	if body := renderBlocks(blocks, nil); body != "" {
		return body
	}
	return text
}

// renderModal renders a modal: the title, the blocks (inputs as
// "Label: value", field errors as "! error") and its buttons.
func renderModal(m modal) string {
	var b strings.Builder
	b.WriteString("=== " + m.title() + " ===\n")
	if m.err != nil {
		b.WriteString("(the demo cannot show this modal: " + m.err.Error() + ")\n")
	}
	if body := renderBlocks(m.blocks(), m.Errors); body != "" {
		b.WriteString(body + "\n")
	}
	b.WriteString("[" + m.closeLabel() + "]")
	if l := m.submitLabel(); l != "" {
		b.WriteString(" [" + l + "]")
	}
	return b.String()
}

func renderBlocks(blocks []slack.Block, errs map[string]string) string {
	var lines []string
	add := func(s string) {
		if s = strings.TrimRight(s, " "); s != "" {
			lines = append(lines, s)
		}
	}
	for _, b := range blocks {
		switch b := b.(type) {
		case *slack.HeaderBlock:
			add("== " + textOf(b.Text) + " ==")
		case *slack.SectionBlock:
			line := mrkdwnToPlain(textOf(b.Text))
			if el := renderAccessory(b.Accessory); el != "" {
				line = strings.TrimSpace(line + " " + el)
			}
			add(line)
			for _, f := range b.Fields {
				add("  " + fieldText(textOf(f)))
			}
		case *slack.ContextBlock:
			var parts []string
			for _, e := range b.ContextElements.Elements {
				if t, ok := e.(*slack.TextBlockObject); ok {
					parts = append(parts, mrkdwnToPlain(t.Text))
				}
			}
			add(strings.Join(parts, " · "))
		case *slack.ActionBlock:
			var parts []string
			if b.Elements != nil {
				for _, e := range b.Elements.ElementSet {
					parts = append(parts, renderElement(e))
				}
			}
			add(strings.Join(parts, " "))
		case *slack.DividerBlock:
			add("---")
		case *slack.InputBlock:
			label := textOf(b.Label)
			if b.Optional {
				label += " (optional)"
			}
			add(label + ": " + renderInput(b.Element))
			if h := textOf(b.Hint); h != "" {
				add("  (" + h + ")")
			}
			if e := errs[b.BlockID]; e != "" {
				add("  ! " + e)
			}
		case *slack.ImageBlock:
			add("[image: " + b.AltText + "]")
		case *slack.MarkdownBlock:
			add(b.Text)
		case *slack.RichTextBlock:
			add(mrkdwnToPlain(richText(b.Elements)))
		}
	}
	return strings.Join(lines, "\n")
}

// boldLabelRE matches a field's first line when it is a bold label.
var boldLabelRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\*[^*\n]+\*$`) })

// fieldText renders a section field: a bold label over its value
// ("*Status*\n🔴 Triggered") reads "Status: 🔴 Triggered".
func fieldText(s string) string {
	if label, value, ok := strings.Cut(s, "\n"); ok && boldLabelRE().MatchString(label) {
		s = label + ": " + value
	}
	return strings.ReplaceAll(mrkdwnToPlain(s), "\n", "\n  ")
}

// renderAccessory renders a section's accessory ("" for none or an image).
func renderAccessory(a *slack.Accessory) string {
	var e slack.BlockElement
	switch {
	case a == nil || a.ImageElement != nil:
		return ""
	case a.ButtonElement != nil:
		e = a.ButtonElement
	case a.OverflowElement != nil:
		e = a.OverflowElement
	case a.DatePickerElement != nil:
		e = a.DatePickerElement
	case a.TimePickerElement != nil:
		e = a.TimePickerElement
	case a.PlainTextInputElement != nil:
		e = a.PlainTextInputElement
	case a.RadioButtonsElement != nil:
		e = a.RadioButtonsElement
	case a.SelectElement != nil:
		e = a.SelectElement
	case a.MultiSelectElement != nil:
		e = a.MultiSelectElement
	case a.CheckboxGroupsBlockElement != nil:
		e = a.CheckboxGroupsBlockElement
	case a.WorkflowButtonElement != nil:
		e = a.WorkflowButtonElement
	default:
		return ""
	}
	return renderElement(e)
}

// renderElement renders an interactive element: buttons as [Label],
// selects as [Placeholder ▾].
func renderElement(e slack.BlockElement) string {
	switch e := e.(type) {
	case *slack.ButtonBlockElement:
		return "[" + textOf(e.Text) + "]"
	case *slack.OverflowBlockElement:
		return "[…]"
	case *slack.SelectBlockElement:
		label := textOf(e.Placeholder)
		if e.InitialOption != nil {
			label = textOf(e.InitialOption.Text)
		}
		return selectLabel(label)
	case *slack.MultiSelectBlockElement:
		return selectLabel(textOf(e.Placeholder))
	case *slack.ImageBlockElement:
		return ""
	case *slack.DatePickerBlockElement:
		if e.InitialDate != "" {
			return "[" + e.InitialDate + "]"
		}
		return "[date]"
	}
	return "[" + string(e.ElementType()) + "]"
}

func selectLabel(label string) string {
	if label == "" {
		label = "Select"
	}
	return "[" + label + " ▾]"
}

// renderInput renders an input element's current (initial) value.
func renderInput(e slack.BlockElement) string {
	field := func(initial string, placeholder *slack.TextBlockObject) string {
		if initial != "" {
			return initial
		}
		if p := textOf(placeholder); p != "" {
			return "[" + p + "]"
		}
		return "[ ]"
	}
	choices := func(opts []*slack.OptionBlockObject) string {
		var out []string
		for _, o := range opts {
			out = append(out, "( ) "+textOf(o.Text))
		}
		return strings.Join(out, " ")
	}
	switch e := e.(type) {
	case *slack.PlainTextInputBlockElement:
		return field(e.InitialValue, e.Placeholder)
	case *slack.EmailTextInputBlockElement:
		return field(e.InitialValue, e.Placeholder)
	case *slack.URLTextInputBlockElement:
		return field(e.InitialValue, e.Placeholder)
	case *slack.NumberInputBlockElement:
		return field(e.InitialValue, e.Placeholder)
	case *slack.RichTextInputBlockElement:
		return field("", e.Placeholder)
	case *slack.CheckboxGroupsBlockElement:
		return choices(e.Options)
	case *slack.RadioButtonsBlockElement:
		return choices(e.Options)
	case nil:
		return "[ ]"
	}
	return renderElement(e)
}

// richText is the text of rich text elements, mentions as <@U…>.
func richText(elems []slack.RichTextElement) string {
	var b strings.Builder
	section := func(es []slack.RichTextSectionElement) {
		for _, e := range es {
			switch e := e.(type) {
			case *slack.RichTextSectionTextElement:
				b.WriteString(e.Text)
			case *slack.RichTextSectionLinkElement:
				b.WriteString(e.Text)
			case *slack.RichTextSectionUserElement:
				b.WriteString("<@" + e.UserID + ">")
			}
		}
	}
	var walk func([]slack.RichTextElement)
	walk = func(es []slack.RichTextElement) {
		for _, e := range es {
			switch e := e.(type) {
			case *slack.RichTextSection:
				section(e.Elements)
			case *slack.RichTextList:
				walk(e.Elements)
			case *slack.RichTextQuote:
				section(e.Elements)
			case *slack.RichTextPreformatted:
				section(e.Elements)
			}
		}
	}
	walk(elems)
	return b.String()
}

// mrkdwnToPlain is what a reader sees of Slack's escaped mrkdwn, as the
// fake Slack shows it, with *bold* rendered plain.
func mrkdwnToPlain(s string) string { return unbold(slackfake.MrkdwnToPlain(s)) }

// boldRE matches mrkdwn bold as Slack reads it: *text* with the asterisks
// against the text, and neither inside a word ("2*3*4" stays).
var boldRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(^|[^\w*])\*([^\s*](?:[^*\n]*[^\s*])?)\*($|[^\w*])`) })

// unbold renders *bold* as plain text, outside `code`, for a terminal that
// may not show bold (and for transcripts).
func unbold(s string) string {
	parts := strings.Split(s, "`")
	for i := 0; i < len(parts); i += 2 { // the odd parts are inside code
		for {
			// Neighbouring matches share the character between them, so
			// repeat until nothing changes ("*a* *b*").
			next := boldRE().ReplaceAllString(parts[i], "$1$2$3")
			if next == parts[i] {
				break
			}
			parts[i] = next
		}
	}
	return strings.Join(parts, "`")
}

// indent renders text for the terminal, indented: emoji as Slack shows them
// and user IDs as names.
func (s *session) indent(text string) string {
	if text == "" {
		return "  (empty)"
	}
	return "  " + strings.ReplaceAll(s.names(emoji.Replace(text)), "\n", "\n  ")
}

// userIDRE matches a mention left as a bare user ID (<@U0ALICE01> renders as
// @U0ALICE01), not inside an email address or a word.
var userIDRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(^|[^\w.+-])@([UW][A-Z0-9]{4,})\b`) })

// names shows @U0ALICE01 as @alice, as Slack shows a mention, for the
// workspace's users.
func (s *session) names(text string) string {
	return userIDRE().ReplaceAllStringFunc(text, func(m string) string {
		sub := userIDRE().FindStringSubmatch(m)
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
