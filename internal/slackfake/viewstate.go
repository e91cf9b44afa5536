package slackfake

import (
	"fmt"
)

// Value is what a user entered in one input element. Type defaults to the
// element's type; set the field that fits it.
type Value struct {
	Type            string
	Value           string   // plain_text_input, datepicker (selected_date) …
	SelectedOption  string   // value of the option of a static/external select or radio
	SelectedOptions []string // values for multi selects and checkboxes
	SelectedUser    string
	SelectedUsers   []string
}

// buildState fills state.values for every input block of a view (and any
// other block values names).
func buildState(blocks []any, values map[string]map[string]Value, suggested func(actionID, value string) any) (map[string]any, error) {
	state := map[string]any{}
	used := map[string]bool{}
	for _, b := range blocks {
		bo, _ := b.(map[string]any)
		bid := str(bo["block_id"])
		var els []map[string]any
		switch str(bo["type"]) {
		case "input":
			if el, ok := bo["element"].(map[string]any); ok {
				els = append(els, el)
			}
		case "actions", "section":
			if values[bid] == nil {
				continue
			}
			if a, ok := bo["accessory"].(map[string]any); ok {
				els = append(els, a)
			}
			for _, e := range anySlice(bo["elements"]) {
				if eo, ok := e.(map[string]any); ok {
					els = append(els, eo)
				}
			}
		default:
			continue
		}
		for _, el := range els {
			aid := str(el["action_id"])
			given, has := values[bid][aid]
			if has {
				used[bid+"\x00"+aid] = true
			} else if str(bo["type"]) != "input" {
				continue
			}
			sv := stateValue(el, given, has, suggested)
			if str(bo["type"]) == "input" && !has && isEmptyState(sv) {
				if opt, _ := bo["optional"].(bool); !opt {
					return nil, fmt.Errorf("slackfake: required input %s/%s is empty; Slack would not submit", bid, aid)
				}
			}
			if state[bid] == nil {
				state[bid] = map[string]any{}
			}
			state[bid].(map[string]any)[aid] = sv
		}
	}
	for bid, m := range values {
		for aid := range m {
			if !used[bid+"\x00"+aid] {
				return nil, fmt.Errorf("slackfake: the view has no element %s/%s", bid, aid)
			}
		}
	}
	return state, nil
}

func anySlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func isEmptyState(sv map[string]any) bool {
	for k, v := range sv {
		if k == "type" {
			continue
		}
		switch x := v.(type) {
		case nil:
		case string:
			if x != "" {
				return false
			}
		case []any:
			if len(x) > 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// stateValue is one element's entry in state.values.
// suggested returns the option the bot offered with that value for an
// external select (nil if it offered none).
func stateValue(el map[string]any, given Value, has bool, suggested func(actionID, value string) any) map[string]any {
	typ := str(el["type"])
	if given.Type != "" {
		typ = given.Type
	}
	sv := map[string]any{"type": typ}
	option := func(val string) any {
		if val == "" {
			return nil
		}
		if o := findOption(el, val); o != nil {
			return o
		}
		if suggested != nil {
			if o := suggested(str(el["action_id"]), val); o != nil {
				return o
			}
		}
		return map[string]any{"text": map[string]any{"type": "plain_text", "text": val, "emoji": true}, "value": val}
	}
	options := func(vals []string) []any {
		out := []any{}
		for _, v := range vals {
			out = append(out, option(v))
		}
		return out
	}
	switch typ {
	case "plain_text_input", "email_text_input", "url_text_input", "number_input":
		if has {
			sv["value"] = nilIfEmpty(given.Value)
		} else {
			sv["value"] = nilIfEmpty(str(el["initial_value"]))
		}
	case "datepicker":
		sv["selected_date"] = nilIfEmpty(pick(has, given.Value, str(el["initial_date"])))
	case "timepicker":
		sv["selected_time"] = nilIfEmpty(pick(has, given.Value, str(el["initial_time"])))
	case "static_select", "external_select", "radio_buttons":
		if has {
			sv["selected_option"] = option(given.SelectedOption)
		} else {
			sv["selected_option"] = el["initial_option"]
		}
	case "multi_static_select", "multi_external_select", "checkboxes":
		if has {
			sv["selected_options"] = options(given.SelectedOptions)
		} else if io, ok := el["initial_options"].([]any); ok {
			sv["selected_options"] = io
		} else {
			sv["selected_options"] = []any{}
		}
	case "users_select":
		sv["selected_user"] = nilIfEmpty(pick(has, given.SelectedUser, str(el["initial_user"])))
	case "multi_users_select":
		if has {
			sv["selected_users"] = strSlice(given.SelectedUsers)
		} else if iu, ok := el["initial_users"].([]any); ok {
			sv["selected_users"] = iu
		} else {
			sv["selected_users"] = []any{}
		}
	case "conversations_select":
		sv["selected_conversation"] = nilIfEmpty(pick(has, given.Value, str(el["initial_conversation"])))
	case "channels_select":
		sv["selected_channel"] = nilIfEmpty(pick(has, given.Value, str(el["initial_channel"])))
	default:
		if has {
			sv["value"] = given.Value
		}
	}
	return sv
}

func pick(has bool, given, initial string) string {
	if has {
		return given
	}
	return initial
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func strSlice(s []string) []any {
	out := make([]any, 0, len(s))
	for _, v := range s {
		out = append(out, v)
	}
	return out
}

// findOption finds the option with value in a select's options or groups.
func findOption(el map[string]any, value string) map[string]any {
	all := anySlice(el["options"])
	for _, g := range anySlice(el["option_groups"]) {
		gm, _ := g.(map[string]any)
		all = append(all, anySlice(gm["options"])...)
	}
	for _, o := range all {
		if om, ok := o.(map[string]any); ok && str(om["value"]) == value {
			return om
		}
	}
	return nil
}
