package demo

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/internal/slackfake"
)

// The demo reads Block Kit with slack-go's own types (slack.Blocks decodes
// each block into *slack.SectionBlock, *slack.ActionBlock, *slack.InputBlock,
// …), the same types the bot builds its messages and modals with.

// defaultMinQueryLength is external_select's min_query_length when the
// element does not set one (Slack's default: the menu asks the app from 3
// characters).
const defaultMinQueryLength = 3

// readBlocks decodes a message's or modal's blocks.
func readBlocks(raw json.RawMessage) ([]slack.Block, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var bs slack.Blocks
	if err := json.Unmarshal(raw, &bs); err != nil {
		return nil, fmt.Errorf("read blocks: %w", err)
	}
	return bs.BlockSet, nil
}

// modal is an open modal as the demo reads it: slackfake's view (IDs, hash,
// field errors) and its view object decoded as a slack.View.
type modal struct {
	slackfake.View
	view slack.View
	err  error // the view object could not be read
}

func readModal(v slackfake.View) modal {
	m := modal{View: v}
	if err := json.Unmarshal(v.Raw, &m.view); err != nil {
		m.err = fmt.Errorf("read view %s: %w", v.ID, err)
	}
	return m
}

func (m modal) blocks() []slack.Block { return m.view.Blocks.BlockSet }

func (m modal) title() string { return textOf(m.view.Title) }

func (m modal) submitLabel() string { return textOf(m.view.Submit) }

// closeLabel is the text of the modal's close button (Slack's default:
// Cancel).
func (m modal) closeLabel() string {
	if l := textOf(m.view.Close); l != "" {
		return l
	}
	return "Cancel"
}

// textOf is a text object's text ("" for none).
func textOf(t *slack.TextBlockObject) string {
	if t == nil {
		return ""
	}
	return t.Text
}

// button is a button the user can click.
type button struct {
	label, actionID string
	confirm         *slack.ConfirmationBlockObject
}

// buttons lists the buttons of blocks (section accessories and actions
// blocks), in order.
func buttons(blocks []slack.Block) []button {
	var out []button
	add := func(e *slack.ButtonBlockElement) {
		if e != nil && e.Text != nil {
			out = append(out, button{label: e.Text.Text, actionID: e.ActionID, confirm: e.Confirm})
		}
	}
	for _, b := range blocks {
		switch b := b.(type) {
		case *slack.SectionBlock:
			if b.Accessory != nil {
				add(b.Accessory.ButtonElement)
			}
		case *slack.ActionBlock:
			if b.Elements == nil {
				continue
			}
			for _, e := range b.Elements.ElementSet {
				if e, ok := e.(*slack.ButtonBlockElement); ok {
					add(e)
				}
			}
		}
	}
	return out
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

// input is one input block of a modal, with what submit needs of its element.
type input struct {
	block, action, label string
	optional             bool
	typ                  string                     // the element's type
	options              []*slack.OptionBlockObject // a static select's, checkboxes' or radio buttons' options
	initial              bool                       // the element carries an initial value
	minQuery             int                        // characters before a type-ahead asks
}

func (in input) key() string { return in.block + "." + in.action }

func (in input) typeAhead() bool { return strings.HasSuffix(in.typ, "external_select") }

// inputs lists a modal's input blocks in order.
func inputs(blocks []slack.Block) []input {
	var out []input
	for _, b := range blocks {
		ib, ok := b.(*slack.InputBlock)
		if !ok || ib.Element == nil {
			continue
		}
		in := input{block: ib.BlockID, label: textOf(ib.Label), optional: ib.Optional, minQuery: defaultMinQueryLength}
		in.typ = string(ib.Element.ElementType())
		switch e := ib.Element.(type) {
		case *slack.PlainTextInputBlockElement:
			in.action, in.initial = e.ActionID, e.InitialValue != ""
		case *slack.EmailTextInputBlockElement:
			in.action, in.initial = e.ActionID, e.InitialValue != ""
		case *slack.URLTextInputBlockElement:
			in.action, in.initial = e.ActionID, e.InitialValue != ""
		case *slack.NumberInputBlockElement:
			in.action, in.initial = e.ActionID, e.InitialValue != ""
		case *slack.SelectBlockElement:
			in.action, in.options = e.ActionID, allOptions(e.Options, e.OptionGroups)
			in.initial = e.InitialOption != nil || e.InitialUser != "" || e.InitialConversation != "" || e.InitialChannel != ""
			if e.MinQueryLength != nil {
				in.minQuery = *e.MinQueryLength
			}
		case *slack.MultiSelectBlockElement:
			in.action, in.options = e.ActionID, allOptions(e.Options, e.OptionGroups)
			in.initial = len(e.InitialOptions) > 0 || len(e.InitialUsers) > 0 || len(e.InitialConversations) > 0 || len(e.InitialChannels) > 0
			if e.MinQueryLength != nil {
				in.minQuery = *e.MinQueryLength
			}
		case *slack.CheckboxGroupsBlockElement:
			in.action, in.options, in.initial = e.ActionID, e.Options, len(e.InitialOptions) > 0
		case *slack.RadioButtonsBlockElement:
			in.action, in.options, in.initial = e.ActionID, e.Options, e.InitialOption != nil
		case *slack.DatePickerBlockElement:
			in.action, in.initial = e.ActionID, e.InitialDate != ""
		case *slack.TimePickerBlockElement:
			in.action, in.initial = e.ActionID, e.InitialTime != ""
		default:
			// Elements pdbot does not use: read the action_id off the JSON.
			var probe struct {
				ActionID string `json:"action_id"`
			}
			if raw, err := json.Marshal(e); err == nil {
				_ = json.Unmarshal(raw, &probe)
			}
			in.action = probe.ActionID
		}
		out = append(out, in)
	}
	return out
}

// allOptions flattens options and option groups.
func allOptions(opts []*slack.OptionBlockObject, groups []*slack.OptionGroupBlockObject) []*slack.OptionBlockObject {
	out := append([]*slack.OptionBlockObject(nil), opts...)
	for _, g := range groups {
		if g != nil {
			out = append(out, g.Options...)
		}
	}
	return out
}

// findInput finds the input named BLOCK.ACTION, BLOCK or ACTION.
func findInput(ins []input, name string) (input, bool) {
	var byAction []input
	for _, in := range ins {
		if name == in.key() || name == in.block {
			return in, true
		}
		if name == in.action {
			byAction = append(byAction, in)
		}
	}
	if len(byAction) == 1 {
		return byAction[0], true
	}
	return input{}, false
}

func fieldNames(ins []input) string {
	var names []string
	for _, in := range ins {
		names = append(names, in.key())
	}
	return strings.Join(names, ", ")
}

// fieldHint tells the user how to fill a modal with submit.
func fieldHint(ins []input) string {
	var parts []string
	for _, in := range ins {
		p := "  " + in.key()
		switch {
		case len(in.options) > 0:
			var vals []string
			for _, o := range in.options {
				vals = append(vals, o.Value)
			}
			p += " (one of: " + strings.Join(vals, ", ") + ")"
		case in.typeAhead():
			p += " (type-ahead: " + in.block + "=NAME, or list choices with: search " + in.block + " TEXT)"
		case in.typ != "plain_text_input":
			p += " (" + in.typ + ")"
		}
		if in.optional {
			p += " optional"
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		return ""
	}
	return "submit with: submit BLOCK.ACTION=VALUE … (or BLOCK=VALUE)  fields:\n" + strings.Join(parts, "\n")
}

// staticOption is the value of the option whose value or label is text
// (text itself when none is).
func staticOption(in input, text string) string {
	for _, o := range in.options {
		if o.Value == text {
			return text
		}
	}
	for _, o := range in.options {
		if strings.EqualFold(textOf(o.Text), text) {
			return o.Value
		}
	}
	return text
}
