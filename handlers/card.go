package handlers

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/slack-go/slack"
)

// Block Kit limits (https://docs.slack.dev/reference/block-kit/blocks).
const (
	headerTextLimit  = 150  // header block plain_text
	sectionTextLimit = 3000 // section text
	fieldTextLimit   = 2000 // each section field
	buttonValueLimit = 2000
	optionTextLimit  = 75 // option text (static/external selects)
	optionValueLimit = 75 // option value: docs say 150, older docs 75
	maxOptions       = 100
	modalTitleLimit  = 24
	// noteQuoteLimit keeps channel confirmations concise.
	noteQuoteLimit = 300
)

// Card action IDs: the buttons of an incident card. Their value is the
// incident ID; the key used is always the one of the clicked channel.
const (
	ActionAck        = "card_ack"
	ActionResolve    = "card_resolve"
	ActionNote       = "card_note"
	ActionReassign   = "card_reassign"
	ActionEscalate   = "card_escalate"
	ActionResponders = "card_responders"
)

var statusEmoji = map[string]string{
	"triggered":    ":red_circle:",
	"acknowledged": ":large_yellow_circle:",
	"resolved":     ":large_green_circle:",
}

// IncidentLabel is "#42 Title" (escaped for mrkdwn).
func IncidentLabel(inc *pagerduty.Incident) string {
	if inc.IncidentNumber > 0 {
		return fmt.Sprintf("#%d %s", inc.IncidentNumber, Escape(clip(inc.Title, 120)))
	}
	return Escape(clip(inc.Title, 120))
}

// Card renders an incident as Block Kit with buttons for the other actions
// (CardWith, without the extras that cost another request): the card of
// live cards, which the poller re-renders from one GET of the incident.
func Card(inc *pagerduty.Incident, now time.Time) []slack.Block {
	return CardWith(inc, CardExtras{}, now)
}

// CardButtons is the actions block of a card.
func CardButtons(id, status string) *slack.ActionBlock {
	id = Escape(id)
	btn := func(actionID, label string, style slack.Style) *slack.ButtonBlockElement {
		b := slack.NewButtonBlockElement(actionID, id, slack.NewTextBlockObject(slack.PlainTextType, label, false, false))
		if style != "" {
			b.Style = style
		}
		return b
	}
	if status == "resolved" {
		// Notes can still be added (a post-mortem pointer); nothing else.
		return slack.NewActionBlock("card_actions", btn(ActionNote, "Add note", ""))
	}
	var els []slack.BlockElement
	if status == "triggered" {
		els = append(els, btn(ActionAck, "Acknowledge", slack.StylePrimary))
	}
	resolve := btn(ActionResolve, "Resolve", slack.StyleDanger)
	resolve.Confirm = slack.NewConfirmationBlockObject(
		slack.NewTextBlockObject(slack.PlainTextType, "Resolve this incident?", false, false),
		slack.NewTextBlockObject(slack.MarkdownType, "This resolves `"+id+"` in PagerDuty for everyone.", false, false),
		slack.NewTextBlockObject(slack.PlainTextType, "Resolve", false, false),
		slack.NewTextBlockObject(slack.PlainTextType, "Cancel", false, false),
	)
	els = append(els, resolve, btn(ActionNote, "Add note", ""))
	for _, extra := range cardExtraButtons {
		els = append(els, btn(extra.id, extra.label, ""))
	}
	// The less frequent actions, last (DESIGN.md, "Live cards").
	els = append(els, CardMenu(id, status))
	return slack.NewActionBlock("card_actions", els...)
}

// cardExtraButtons are the buttons that open a form.
var cardExtraButtons = []struct{ id, label string }{
	{ActionReassign, "Reassign"},
	{ActionEscalate, "Escalate"},
	{ActionResponders, "Add responders"},
}

func titleCase(s string) string {
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// safeURL returns u if it is an https URL that cannot break out of a mrkdwn
// link, else "".
func safeURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Scheme != "https" || strings.ContainsAny(u, "<>| \n") {
		return ""
	}
	return u
}

// TextSection is a mrkdwn section (text must already be escaped).
func TextSection(blockID, text string) *slack.SectionBlock {
	s := slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, clipEscaped(text, sectionTextLimit), false, false), nil, nil)
	s.BlockID = blockID
	return s
}

// FromSlack turns Slack-formatted text (mentions, links, entities) into plain
// text for PagerDuty.
func FromSlack(s string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			b.WriteString(s)
			break
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		inner := s[i+1 : i+j]
		target, label, _ := strings.Cut(inner, "|")
		switch {
		case strings.HasPrefix(target, "@"):
			if label == "" {
				label = target[1:]
			}
			b.WriteString("@" + label)
		case strings.HasPrefix(target, "#"):
			if label == "" {
				label = target[1:]
			}
			b.WriteString("#" + label)
		case strings.HasPrefix(target, "!"):
			if label != "" {
				b.WriteString(label)
			} else {
				b.WriteString("@" + strings.TrimPrefix(strings.SplitN(target, "^", 2)[0], "!"))
			}
		case strings.HasPrefix(target, "mailto:"):
			b.WriteString(strings.TrimPrefix(target, "mailto:"))
		case label != "" && label != target:
			b.WriteString(label + " (" + target + ")")
		default:
			b.WriteString(target)
		}
		s = s[i+j+1:]
	}
	return Unescape(b.String())
}
