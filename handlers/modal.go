package handlers

import (
	"strings"

	"github.com/slack-go/slack"
)

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

// modal builds a modal view; titles are clipped to Slack's 24 characters.
func modal(callbackID, title, submit string, blocks ...slack.Block) *slack.ModalViewRequest {
	return &slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: callbackID,
		Title:      plain(clip(title, modalTitleLimit)),
		Submit:     plain(submit),
		Close:      plain("Cancel"),
		Blocks:     slack.Blocks{BlockSet: blocks},
	}
}

func textInput(blockID, actionID, label, placeholder, initial string, multiline, optional bool, maxLen int) *slack.InputBlock {
	el := slack.NewPlainTextInputBlockElement(plain(placeholder), actionID)
	el.Multiline = multiline
	el.InitialValue = initial
	if maxLen > 0 {
		el.MaxLength = maxLen
	}
	b := slack.NewInputBlock(blockID, plain(label), nil, el)
	b.Optional = optional
	return b
}

func externalSelect(blockID, actionID, label, placeholder string, multi, optional bool) *slack.InputBlock {
	zero := 0
	var el slack.BlockElement
	if multi {
		m := slack.NewOptionsMultiSelectBlockElement(slack.MultiOptTypeExternal, plain(placeholder), actionID)
		m.MinQueryLength = &zero
		el = m
	} else {
		s := slack.NewOptionsSelectBlockElement(slack.OptTypeExternal, plain(placeholder), actionID)
		s.MinQueryLength = &zero
		el = s
	}
	b := slack.NewInputBlock(blockID, plain(label), nil, el)
	b.Optional = optional
	return b
}

func incidentContext(id string) *slack.ContextBlock {
	return slack.NewContextBlock("incident", slack.NewTextBlockObject(slack.MarkdownType, "Incident `"+Escape(id)+"`", false, false))
}

// value reads a text input from view state.
func value(r *Request, block, action string) string {
	return strings.TrimSpace(r.Values[block][action].Value)
}

// selected reads a single select from view state.
func selected(r *Request, block, action string) string {
	return r.Values[block][action].SelectedOption.Value
}

// selectedMany reads a multi-select from view state.
func selectedMany(r *Request, block, action string) []string {
	var out []string
	for _, o := range r.Values[block][action].SelectedOptions {
		out = append(out, o.Value)
	}
	return out
}
