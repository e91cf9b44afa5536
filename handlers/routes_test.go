package handlers_test

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/handlers"
	"github.com/pdbot/pdbot/internal/pdapi"
)

// builtModals is every modal the package builds, by callback ID.
func builtModals() map[string][]*slack.ModalViewRequest {
	inc := goldenIncident()
	out := map[string][]*slack.ModalViewRequest{}
	for _, m := range []*slack.ModalViewRequest{
		handlers.NoteModal(inc.ID, ""),
		handlers.NoteModal(inc.ID, "prefilled"),
		handlers.UpdateModal(inc, false),
		handlers.UpdateModal(inc, true),
		handlers.EscalateModal(inc),
		handlers.RespondersModal(inc),
		handlers.PickerModal(true),
		handlers.PickerModal(false),
		handlers.NoteModal("", "prefilled"),
		handlers.KeyModal(""),
		handlers.KeyModal("default"),
		handlers.SubscribeModal(),
		handlers.MergeModal(inc),
		handlers.StatusUpdateModal(inc),
		handlers.WorkflowModal(inc, goldenWorkflows(3)),
		handlers.WorkflowModal(inc, goldenWorkflows(101)),
		handlers.TriggerModal(),
		handlers.TriggerModalFor("PSVCDB1", "Orders DB", "replicas lagging", ""),
		handlers.EscalateLevelsModal(inc, 3),
		handlers.SnoozeModal(inc),
		handlers.PriorityModal(inc, []pdapi.Priority{{ID: "PPRIO01", Name: "P1"}}),
	} {
		out[m.CallbackID] = append(out[m.CallbackID], m)
	}
	return out
}

func routesOf(kind handlers.Kind) map[string]handlers.Route {
	out := map[string]handlers.Route{}
	for _, r := range handlers.All() {
		if r.Kind == kind {
			out[r.ID] = r
		}
	}
	return out
}

func TestRoutesUniquePerKind(t *testing.T) {
	seen := map[handlers.Kind]map[string]bool{}
	for _, r := range handlers.All() {
		if seen[r.Kind] == nil {
			seen[r.Kind] = map[string]bool{}
		}
		if seen[r.Kind][r.ID] {
			t.Errorf("duplicate %s route %q", r.Kind, r.ID)
		}
		seen[r.Kind][r.ID] = true
		if r.ID == "" && r.Kind != handlers.Slash {
			t.Errorf("%s route with an empty ID", r.Kind)
		}
		if r.Kind.String() == "" {
			t.Errorf("route %q has a kind without a name", r.ID)
		}
	}
}

func TestRoutesComplete(t *testing.T) {
	help := handlers.HelpText(handlers.All())
	for _, r := range handlers.All() {
		name := r.Kind.String() + " " + r.ID
		if r.Handle == nil {
			t.Errorf("%s: no Handle", name)
		}
		if r.Help == "" {
			t.Errorf("%s: no Help", name)
		}
		if r.Modal {
			if n := utf8.RuneCountInString(r.Title); n < 1 || n > 24 {
				t.Errorf("%s: modal Title %q is %d characters, want 1..24", name, r.Title, n)
			}
		}
		if r.Kind == handlers.Submission && r.Validate == nil {
			t.Errorf("%s: a submission without Validate cannot put field errors on the ack", name)
		}
		if r.Kind != handlers.Slash || r.ID == "" {
			continue
		}
		if r.Usage == "" {
			t.Errorf("%s: no Usage", name)
		}
		if first, _ := handlers.SplitFirst(r.Usage); first != r.ID {
			t.Errorf("%s: Usage %q does not start with the subcommand", name, r.Usage)
		}
		if line := "`/pd " + r.Usage + "` — " + r.Help; !strings.Contains(help, line) {
			t.Errorf("%s: /pd help does not list %q", name, line)
		}
	}
}

func TestHelpTextListsEachCommandOnce(t *testing.T) {
	help := handlers.HelpText(handlers.All())
	for id, r := range routesOf(handlers.Slash) {
		if id == "" {
			continue
		}
		if n := strings.Count(help, "`/pd "+r.Usage+"`"); n != 1 {
			t.Errorf("/pd help lists %q %d times, want once", r.Usage, n)
		}
	}
	if strings.Contains(help, "`/pd ` —") {
		t.Error("/pd help lists the bare picker route")
	}
}

func TestSubmissionRoutesHaveModals(t *testing.T) {
	modals := builtModals()
	subs := routesOf(handlers.Submission)
	for id := range subs {
		if len(modals[id]) == 0 {
			t.Errorf("submission route %q: no modal the package builds has that callback_id", id)
		}
	}
	for id := range modals {
		if _, ok := subs[id]; !ok {
			t.Errorf("modal %q: no submission route answers it", id)
		}
	}
	for _, id := range []string{handlers.NoteCallback, handlers.UpdateCallback, handlers.EscalateCallback,
		handlers.RespondersCallback, handlers.PickerCallback, handlers.KeyCallback} {
		if _, ok := subs[id]; !ok {
			t.Errorf("callback %q has no submission route", id)
		}
		if len(modals[id]) == 0 {
			t.Errorf("callback %q: no modal built with it", id)
		}
	}
}

func TestCardButtonsHaveActionRoutes(t *testing.T) {
	actions := routesOf(handlers.Action)
	ids := []string{handlers.ActionAck, handlers.ActionResolve, handlers.ActionNote,
		handlers.ActionReassign, handlers.ActionEscalate, handlers.ActionResponders, handlers.ActionShare}
	for _, b := range handlers.PrivateCard(goldenIncident(), handlers.CardExtras{}, goldenNow) {
		if a, ok := b.(*slack.ActionBlock); ok {
			for _, el := range a.Elements.ElementSet {
				if b, ok := el.(*slack.ButtonBlockElement); ok {
					ids = append(ids, b.ActionID)
				}
			}
		}
	}
	for _, status := range []string{"triggered", "acknowledged"} {
		for _, el := range handlers.CardButtons("Q1ABCDEFGHIJKL", status).Elements.ElementSet {
			if b, ok := el.(*slack.ButtonBlockElement); ok {
				ids = append(ids, b.ActionID)
			}
		}
	}
	for _, id := range ids {
		r, ok := actions[id]
		if !ok {
			t.Errorf("card button %q has no action route", id)
			continue
		}
		if r.Incident != handlers.FromValue {
			t.Errorf("card button %q: route takes its incident from %v, want FromValue (the button's value)", id, r.Incident)
		}
	}
}

// TestExternalSelectsHaveSuggestionRoutes: an external select whose
// action_id has no suggestion route shows an empty list forever.
func TestExternalSelectsHaveSuggestionRoutes(t *testing.T) {
	sugg := routesOf(handlers.Suggestion)
	for id, ms := range builtModals() {
		for _, m := range ms {
			walk(decode(t, m), func(o map[string]any) {
				if o["type"] != "external_select" && o["type"] != "multi_external_select" {
					return
				}
				if _, ok := sugg[str(o["action_id"])]; !ok {
					t.Errorf("modal %s: external select %q has no suggestion route", id, str(o["action_id"]))
				}
			})
		}
	}
}

// TestValidateNamesInputBlocks: Slack rejects a response_action "errors"
// keyed by anything but an input block_id of the submitted view, so every
// key Validate returns must be one.
func TestValidateNamesInputBlocks(t *testing.T) {
	text := func(block, action, v string) map[string]map[string]slack.BlockAction {
		return map[string]map[string]slack.BlockAction{block: {action: {Value: v}}}
	}
	opts := func(ids ...string) []slack.OptionBlockObject {
		var out []slack.OptionBlockObject
		for _, id := range ids {
			out = append(out, slack.OptionBlockObject{Value: id})
		}
		return out
	}
	long := strings.Repeat("x", 5000)
	cases := map[string][]map[string]map[string]slack.BlockAction{
		handlers.NoteCallback:   {nil, text("note", "note_input", "  ")},
		handlers.PickerCallback: {nil, text("incident", "incident_input", "../users")},
		handlers.KeyCallback:    {nil, text("key", "key_input", "has space")},
		handlers.EscalateCallback: {nil, {"policy": {handlers.PolicySearch: {SelectedOption: slack.OptionBlockObject{Value: "../x"}}}},
			{"level": {"level_select": {SelectedOption: slack.OptionBlockObject{Value: "2"}}}, "policy": {handlers.PolicySearch: {SelectedOption: slack.OptionBlockObject{Value: "PEPWEB1"}}}},
			{"level": {"level_select": {SelectedOption: slack.OptionBlockObject{Value: "0"}}}}},
		handlers.SnoozeCallback:   {nil, {"duration": {"duration_select": {SelectedOption: slack.OptionBlockObject{Value: "8d"}}}}},
		handlers.PriorityCallback: {nil, {"priority": {"priority_select": {SelectedOption: slack.OptionBlockObject{Value: "../x"}}}}},
		handlers.UpdateCallback: {nil, {
			"status":     {"status_select": {SelectedOption: slack.OptionBlockObject{Value: "triggered"}}},
			"resolution": {"resolution_input": {Value: long}},
			"assignees":  {handlers.UserSearch: {SelectedOptions: opts("bad")}},
		}},
		handlers.RespondersCallback: {nil, {
			"policies": {handlers.PolicySearch: {SelectedOptions: opts("../x")}},
			"message":  {"message_input": {Value: long}},
		}},
		handlers.MergeCallback:        {nil, text("sources", "sources_input", "#43 ../users"), text("sources", "sources_input", strings.Repeat("#1 ", 11))},
		handlers.StatusUpdateCallback: {nil, text("message", "message_input", " "), text("message", "message_input", long)},
		handlers.WorkflowCallback:     {nil, {"workflow": {"workflow_select": {SelectedOption: slack.OptionBlockObject{Value: "../x"}}}}},
		handlers.TriggerCallback: {nil,
			{"service": {handlers.ServiceSearch: {SelectedOption: slack.OptionBlockObject{Value: "../x"}}}, "title": {"title_input": {Value: long}}},
			{"service": {handlers.ServiceSearch: {SelectedOption: slack.OptionBlockObject{Value: "PSVCDB1"}}}, "title": {"title_input": {Value: "t"}},
				"urgency":  {"urgency_choice": {SelectedOption: slack.OptionBlockObject{Value: "high"}}},
				"assignee": {handlers.UserSearch: {SelectedOption: slack.OptionBlockObject{Value: "PBOB001"}}},
				"policy":   {handlers.PolicySearch: {SelectedOption: slack.OptionBlockObject{Value: "PEPDB01"}}}},
			{"service": {handlers.ServiceSearch: {SelectedOption: slack.OptionBlockObject{Value: "PSVCDB1"}}}, "title": {"title_input": {Value: "t"}},
				"urgency": {"urgency_choice": {SelectedOption: slack.OptionBlockObject{Value: "high"}}},
				"details": {"details_input": {Value: long}}},
		},
		handlers.SubscribeCallback: {nil,
			{"services": {handlers.ServiceSearch: {SelectedOptions: opts("../x")}}},
			{"services": {handlers.ServiceSearch: {SelectedOptions: opts("PSVCDB1")}}, "urgency": {"urgency_choice": {SelectedOption: slack.OptionBlockObject{Value: "urgent"}}}},
		},
	}
	subs := routesOf(handlers.Submission)
	modals := builtModals()
	for id, values := range cases {
		r, ok := subs[id]
		if !ok || r.Validate == nil {
			t.Errorf("%s: no submission route with Validate", id)
			continue
		}
		inputs := map[string]bool{}
		for _, m := range modals[id] {
			for _, b := range m.Blocks.BlockSet {
				if in, ok := b.(*slack.InputBlock); ok {
					inputs[in.BlockID] = true
				}
			}
		}
		for i, v := range values {
			errs := r.Validate(context.Background(), &handlers.Request{Values: v})
			if len(errs) == 0 {
				t.Errorf("%s case %d: Validate accepted an invalid form", id, i)
			}
			for block, msg := range errs {
				if !inputs[block] {
					t.Errorf("%s case %d: error keyed by %q, not an input block of the modal", id, i, block)
				}
				if msg == "" {
					t.Errorf("%s case %d: empty error for %q", id, i, block)
				}
			}
		}
	}
	for id := range subs {
		if _, ok := cases[id]; !ok {
			t.Errorf("submission %q: add a TestValidateNamesInputBlocks case", id)
		}
	}
}
