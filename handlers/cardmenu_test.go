package handlers_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/handlers"
)

// TestCardMenuOptionsHaveActionRoutes: every option of the card's menu is
// an action route that opens a form and takes its incident from the value,
// as a card button is; a resolved card has no menu (it keeps only Add note).
func TestCardMenuOptionsHaveActionRoutes(t *testing.T) {
	actions := routesOf(handlers.Action)
	menu := func(status string) *slack.OverflowBlockElement {
		for _, el := range handlers.CardButtons("Q1ABCDEFGHIJKL", status).Elements.ElementSet {
			if o, ok := el.(*slack.OverflowBlockElement); ok {
				return o
			}
		}
		return nil
	}
	for _, status := range []string{"triggered", "acknowledged"} {
		m := menu(status)
		if m == nil || m.ActionID != handlers.ActionMore {
			t.Fatalf("%s card: no %s menu", status, handlers.ActionMore)
		}
		// The five of DESIGN.md; snooze only once acknowledged.
		if want := map[string]int{"triggered": 4, "acknowledged": 5}[status]; len(m.Options) != want {
			t.Errorf("%s card: %d menu options, want %d", status, len(m.Options), want)
		}
		if snooze := strings.Contains(fmt.Sprint(m.Options[0].Value), handlers.ActionSnooze); snooze != (status == "acknowledged") {
			t.Errorf("%s card: snooze offered %v", status, snooze)
		}
		for _, o := range m.Options {
			action, inc, ok := handlers.ParseMenuValue(o.Value)
			if !ok || inc != "Q1ABCDEFGHIJKL" {
				t.Errorf("menu option %q: value does not parse", o.Value)
				continue
			}
			r, ok := actions[action]
			switch {
			case !ok:
				t.Errorf("menu option %q has no action route", action)
			case r.Incident != handlers.FromValue || !r.Modal || !r.NeedsActor:
				t.Errorf("menu option %q: route takes %v, modal %v, actor %v; want the incident from the value, a form, the requester", action, r.Incident, r.Modal, r.NeedsActor)
			}
		}
	}
	if menu("resolved") != nil {
		t.Error("a resolved card has a menu; it keeps only Add note")
	}
	// The private card's Share button goes before the menu, which stays last.
	blocks := handlers.PrivateCard(goldenIncident(), handlers.CardExtras{}, goldenNow)
	els := blocks[len(blocks)-1].(*slack.ActionBlock).Elements.ElementSet
	if _, ok := els[len(els)-1].(*slack.OverflowBlockElement); !ok {
		t.Error("the private card's menu is not last")
	}
}

func TestParseMenuValueRefusesForgeries(t *testing.T) {
	for _, v := range []string{"", "card_merge", "card_merge ../users", "card_ack Q1ABCDEFGHIJKL", "card_more Q1ABCDEFGHIJKL",
		"key_delete_confirm Q1ABCDEFGHIJKL", "card_merge Q1ABCDEFGHIJKL extra"} {
		if a, inc, ok := handlers.ParseMenuValue(v); ok {
			t.Errorf("ParseMenuValue(%q) = %q, %q; want a refusal", v, a, inc)
		}
	}
	for _, a := range handlers.MenuActions() {
		if got, inc, ok := handlers.ParseMenuValue(handlers.MenuValue(a, "P1ABCDE")); !ok || got != a || inc != "P1ABCDE" {
			t.Errorf("round trip of %s: %q %q %v", a, got, inc, ok)
		}
	}
}

// TestWorkflowModalPicksItsSelect: a static select while the workflows fit
// in one (100 options), a type-ahead past that.
func TestWorkflowModalPicksItsSelect(t *testing.T) {
	for n, want := range map[int]string{3: "static_select", 100: "static_select", 101: "external_select"} {
		m := handlers.WorkflowModal(goldenIncident(), goldenWorkflows(n))
		var got string
		walk(decode(t, m), func(o map[string]any) {
			if str(o["type"]) == "static_select" || str(o["type"]) == "external_select" {
				got = str(o["type"])
			}
		})
		if got != want {
			t.Errorf("%d workflows: %s, want %s", n, got, want)
		}
	}
}
