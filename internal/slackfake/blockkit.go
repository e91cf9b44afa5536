package slackfake

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Block Kit limits (slack-platform-notes §4, from Slack's modal-view,
// blocks, block elements and composition object references).
const (
	MaxModalTitle       = 24   // modal title, submit and close texts
	MaxViewBlocks       = 100  // blocks per modal or Home tab
	MaxMessageBlocks    = 50   // blocks per message
	MaxPrivateMetadata  = 3000 // view private_metadata
	MaxCallbackID       = 255  // view callback_id, external_id
	MaxBlockID          = 255  // block_id
	MaxActionID         = 255  // action_id
	MaxSectionText      = 3000 // section text
	MaxSectionFields    = 10   // section fields
	MaxSectionFieldText = 2000 // each section field
	MaxHeaderText       = 150  // header text
	MaxContextElements  = 10   // context block elements
	MaxActionsElements  = 25   // actions block elements
	MaxLabel            = 2000 // input label and hint
	MaxPlaceholder      = 150  // any element's placeholder
	MaxInputLength      = 3000 // plain_text_input min_length/max_length ceiling
	MaxButtonText       = 75   // button text
	MaxButtonValue      = 2000 // button value
	MaxURL              = 3000 // button/option url, image_url
	MaxOptions          = 100  // static select options/option_groups; suggestion answers
	MaxOptionText       = 75   // option text, description, option group label
	MaxOptionValue      = 150  // option value
	MaxSmallOptions     = 10   // checkboxes, radio_buttons
	MaxOverflowOptions  = 5    // overflow menu
	MaxConfirmTitle     = 100  // confirm dialog title
	MaxConfirmText      = 300  // confirm dialog text
	MaxConfirmButton    = 30   // confirm dialog confirm/deny
	MaxAltText          = 2000 // image alt_text
)

// checker collects Slack-style validation messages:
// "[ERROR] must be less than 25 characters [json-pointer:/view/title/text]".
type checker struct {
	msgs []string
}

func (c *checker) errf(ptr, format string, args ...any) {
	c.msgs = append(c.msgs, fmt.Sprintf("[ERROR] %s [json-pointer:%s]", fmt.Sprintf(format, args...), ptr))
}

func (c *checker) maxLen(ptr, s string, n int) {
	if utf8.RuneCountInString(s) > n {
		c.errf(ptr, "must be less than %d characters", n+1)
	}
}

// text checks a text object; plainOnly requires plain_text.
func (c *checker) text(ptr string, v any, required, plainOnly bool, maxLen int) {
	if v == nil {
		if required {
			c.errf(ptr, "missing required field: %s", ptr[strings.LastIndex(ptr, "/")+1:])
		}
		return
	}
	o, ok := v.(map[string]any)
	if !ok {
		c.errf(ptr, "must be a text object")
		return
	}
	typ := str(o["type"])
	switch {
	case typ != "plain_text" && typ != "mrkdwn":
		c.errf(ptr+"/type", "must be one of plain_text, mrkdwn")
	case plainOnly && typ != "plain_text":
		c.errf(ptr+"/type", "must be plain_text")
	}
	t := str(o["text"])
	if t == "" {
		c.errf(ptr+"/text", "must be more than 0 characters")
	}
	if maxLen > 0 {
		c.maxLen(ptr+"/text", t, maxLen)
	}
}

// validateView checks a modal view object against Slack's limits.
func validateView(v map[string]any) []string {
	c := &checker{}
	if t := str(v["type"]); t != "modal" {
		c.errf("/view/type", "must be modal")
	}
	c.text("/view/title", v["title"], true, true, MaxModalTitle)
	c.text("/view/submit", v["submit"], false, true, MaxModalTitle)
	c.text("/view/close", v["close"], false, true, MaxModalTitle)
	c.maxLen("/view/private_metadata", str(v["private_metadata"]), MaxPrivateMetadata)
	c.maxLen("/view/callback_id", str(v["callback_id"]), MaxCallbackID)
	c.maxLen("/view/external_id", str(v["external_id"]), MaxCallbackID)
	blocks, _ := v["blocks"].([]any)
	if v["blocks"] == nil {
		c.errf("/view/blocks", "missing required field: blocks")
	}
	if len(blocks) > MaxViewBlocks {
		c.errf("/view/blocks", "must provide no more than %d items", MaxViewBlocks)
	}
	hasInput := false
	for _, b := range blocks {
		if bo, ok := b.(map[string]any); ok && str(bo["type"]) == "input" {
			hasInput = true
		}
	}
	if hasInput && v["submit"] == nil {
		c.errf("/view/submit", "must provide a submit button when an input block is present")
	}
	c.blocks("/view/blocks", blocks)
	return c.msgs
}

// validateMessageBlocks checks a message's blocks (raw JSON array or nil).
func validateMessageBlocks(raw json.RawMessage) []string {
	if raw == nil {
		return nil
	}
	var blocks []any
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return []string{"[ERROR] blocks must be a JSON array [json-pointer:/blocks]"}
	}
	c := &checker{}
	if len(blocks) > MaxMessageBlocks {
		c.errf("/blocks", "must provide no more than %d items", MaxMessageBlocks)
	}
	c.blocks("/blocks", blocks)
	return c.msgs
}

func (c *checker) blocks(ptr string, blocks []any) {
	seen := map[string]bool{}
	for i, b := range blocks {
		p := fmt.Sprintf("%s/%d", ptr, i)
		bo, ok := b.(map[string]any)
		if !ok {
			c.errf(p, "must be an object")
			continue
		}
		if id := str(bo["block_id"]); id != "" {
			c.maxLen(p+"/block_id", id, MaxBlockID)
			if seen[id] {
				c.errf(p+"/block_id", "duplicate block_id: %s", id)
			}
			seen[id] = true
		}
		c.block(p, bo)
	}
}

func (c *checker) block(p string, b map[string]any) {
	switch typ := str(b["type"]); typ {
	case "":
		c.errf(p+"/type", "missing required field: type")
	case "section":
		if b["text"] == nil && b["fields"] == nil {
			c.errf(p, "must provide text or fields")
		}
		c.text(p+"/text", b["text"], false, false, MaxSectionText)
		if b["fields"] != nil {
			fields, _ := b["fields"].([]any)
			if len(fields) > MaxSectionFields {
				c.errf(p+"/fields", "must provide no more than %d items", MaxSectionFields)
			}
			for i, fl := range fields {
				c.text(fmt.Sprintf("%s/fields/%d", p, i), fl, true, false, MaxSectionFieldText)
			}
		}
		if a, ok := b["accessory"].(map[string]any); ok {
			c.element(p+"/accessory", a)
		}
	case "header":
		c.text(p+"/text", b["text"], true, true, MaxHeaderText)
	case "context":
		els, _ := b["elements"].([]any)
		if len(els) == 0 {
			c.errf(p+"/elements", "must provide at least 1 item")
		}
		if len(els) > MaxContextElements {
			c.errf(p+"/elements", "must provide no more than %d items", MaxContextElements)
		}
		for i, e := range els {
			eo, _ := e.(map[string]any)
			ep := fmt.Sprintf("%s/elements/%d", p, i)
			if str(eo["type"]) == "image" {
				c.maxLen(ep+"/image_url", str(eo["image_url"]), MaxURL)
				c.maxLen(ep+"/alt_text", str(eo["alt_text"]), MaxAltText)
				continue
			}
			c.text(ep, e, true, false, 0)
		}
	case "actions":
		els, _ := b["elements"].([]any)
		if len(els) == 0 {
			c.errf(p+"/elements", "must provide at least 1 item")
		}
		if len(els) > MaxActionsElements {
			c.errf(p+"/elements", "must provide no more than %d items", MaxActionsElements)
		}
		ids := map[string]bool{}
		for i, e := range els {
			ep := fmt.Sprintf("%s/elements/%d", p, i)
			eo, ok := e.(map[string]any)
			if !ok {
				c.errf(ep, "must be an object")
				continue
			}
			if id := str(eo["action_id"]); id != "" {
				if ids[id] {
					c.errf(ep+"/action_id", "duplicate action_id: %s", id)
				}
				ids[id] = true
			}
			c.element(ep, eo)
		}
	case "input":
		c.text(p+"/label", b["label"], true, true, MaxLabel)
		c.text(p+"/hint", b["hint"], false, true, MaxLabel)
		el, ok := b["element"].(map[string]any)
		if !ok {
			c.errf(p+"/element", "missing required field: element")
			return
		}
		c.element(p+"/element", el)
	case "image":
		c.maxLen(p+"/image_url", str(b["image_url"]), MaxURL)
		if str(b["alt_text"]) == "" {
			c.errf(p+"/alt_text", "missing required field: alt_text")
		}
		c.maxLen(p+"/alt_text", str(b["alt_text"]), MaxAltText)
	}
}

func (c *checker) element(p string, e map[string]any) {
	c.maxLen(p+"/action_id", str(e["action_id"]), MaxActionID)
	if ph := e["placeholder"]; ph != nil {
		c.text(p+"/placeholder", ph, false, true, MaxPlaceholder)
	}
	if cf, ok := e["confirm"].(map[string]any); ok {
		c.text(p+"/confirm/title", cf["title"], true, true, MaxConfirmTitle)
		c.text(p+"/confirm/text", cf["text"], true, false, MaxConfirmText)
		c.text(p+"/confirm/confirm", cf["confirm"], true, true, MaxConfirmButton)
		c.text(p+"/confirm/deny", cf["deny"], true, true, MaxConfirmButton)
	}
	switch typ := str(e["type"]); typ {
	case "button":
		c.text(p+"/text", e["text"], true, true, MaxButtonText)
		c.maxLen(p+"/value", str(e["value"]), MaxButtonValue)
		c.maxLen(p+"/url", str(e["url"]), MaxURL)
		if s := str(e["style"]); s != "" && s != "primary" && s != "danger" {
			c.errf(p+"/style", "must be one of primary, danger")
		}
	case "static_select", "multi_static_select":
		opts, hasOpts := e["options"].([]any)
		groups, hasGroups := e["option_groups"].([]any)
		switch {
		case hasOpts && hasGroups:
			c.errf(p, "must provide either options or option_groups, not both")
		case !hasOpts && !hasGroups:
			c.errf(p+"/options", "missing required field: options")
		}
		c.options(p+"/options", opts, MaxOptions)
		if len(groups) > MaxOptions {
			c.errf(p+"/option_groups", "must provide no more than %d items", MaxOptions)
		}
		for i, g := range groups {
			gp := fmt.Sprintf("%s/option_groups/%d", p, i)
			gm, _ := g.(map[string]any)
			c.text(gp+"/label", gm["label"], true, true, MaxOptionText)
			gopts, _ := gm["options"].([]any)
			c.options(gp+"/options", gopts, MaxOptions)
		}
		c.initialOptions(p, e)
	case "external_select", "multi_external_select":
		c.initialOptions(p, e)
	case "overflow":
		opts, _ := e["options"].([]any)
		if len(opts) == 0 {
			c.errf(p+"/options", "must provide at least 1 item")
		}
		c.options(p+"/options", opts, MaxOverflowOptions)
	case "checkboxes", "radio_buttons":
		opts, _ := e["options"].([]any)
		c.options(p+"/options", opts, MaxSmallOptions)
		c.initialOptions(p, e)
	case "plain_text_input":
		maxL, hasMax := num(e["max_length"])
		minL, hasMin := num(e["min_length"])
		if hasMax && (maxL > MaxInputLength || maxL < 1) {
			c.errf(p+"/max_length", "must be between 1 and %d", MaxInputLength)
		}
		if hasMin && (minL > MaxInputLength || minL < 0) {
			c.errf(p+"/min_length", "must be between 0 and %d", MaxInputLength)
		}
		if hasMin && hasMax && minL > maxL {
			c.errf(p+"/min_length", "must be no more than max_length")
		}
		limit := MaxInputLength
		if hasMax && maxL <= MaxInputLength {
			limit = maxL
		}
		c.maxLen(p+"/initial_value", str(e["initial_value"]), limit)
	}
}

func (c *checker) options(p string, opts []any, max int) {
	if len(opts) > max {
		c.errf(p, "must provide no more than %d items", max)
	}
	for i, o := range opts {
		c.option(fmt.Sprintf("%s/%d", p, i), o)
	}
}

func (c *checker) option(p string, o any) {
	oo, ok := o.(map[string]any)
	if !ok {
		c.errf(p, "must be an option object")
		return
	}
	c.text(p+"/text", oo["text"], true, false, MaxOptionText)
	c.text(p+"/description", oo["description"], false, false, MaxOptionText)
	c.maxLen(p+"/value", str(oo["value"]), MaxOptionValue)
	c.maxLen(p+"/url", str(oo["url"]), MaxURL)
}

func (c *checker) initialOptions(p string, e map[string]any) {
	if o := e["initial_option"]; o != nil {
		c.option(p+"/initial_option", o)
	}
	if os, ok := e["initial_options"].([]any); ok {
		c.options(p+"/initial_options", os, MaxOptions)
	}
}

func num(v any) (int, bool) {
	f, ok := v.(float64)
	return int(f), ok
}

// textOf returns the text of a text object (or "" if v is not one).
func textOf(v any) string {
	o, _ := v.(map[string]any)
	return str(o["text"])
}

// normalizeBlockIDs gives every block without a block_id a generated one,
// as Slack does, so payloads always carry block_ids.
func normalizeBlockIDs(v any) {
	blocks, _ := v.([]any)
	for _, b := range blocks {
		if bo, ok := b.(map[string]any); ok && str(bo["block_id"]) == "" {
			bo["block_id"] = randHex(3)
		}
	}
}

// normalizeMessageBlocks returns blocks with generated block_ids filled in.
func normalizeMessageBlocks(raw json.RawMessage) json.RawMessage {
	if raw == nil {
		return nil
	}
	var blocks []any
	if json.Unmarshal(raw, &blocks) != nil {
		return raw
	}
	normalizeBlockIDs(blocks)
	return mustJSON(blocks)
}

// checkSuggestionAck checks a block_suggestion ack payload; "" when fine.
func checkSuggestionAck(payload json.RawMessage) string {
	var p struct {
		Options      []any `json:"options"`
		OptionGroups []any `json:"option_groups"`
	}
	if len(payload) == 0 || string(payload) == "null" {
		return "block_suggestion ack has no payload: the menu shows no options"
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return "block_suggestion ack payload is not an object: options failed to load"
	}
	c := &checker{}
	c.options("/options", p.Options, MaxOptions)
	if len(p.OptionGroups) > MaxOptions {
		c.errf("/option_groups", "must provide no more than %d items", MaxOptions)
	}
	for i, g := range p.OptionGroups {
		gp := fmt.Sprintf("/option_groups/%d", i)
		gm, _ := g.(map[string]any)
		c.text(gp+"/label", gm["label"], true, true, MaxOptionText)
		gopts, _ := gm["options"].([]any)
		c.options(gp+"/options", gopts, MaxOptions)
	}
	if len(c.msgs) > 0 {
		return "options failed to load: " + strings.Join(c.msgs, "; ")
	}
	return ""
}
