package handlers

import (
	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/internal/pdapi"
)

// This file exposes a few unexported pieces to the external tests in
// package handlers_test. It holds no logic of its own.

// KeyModal builds the API key form for a scope ("" or "default").
func KeyModal(scope string) *slack.ModalViewRequest { return keyModal(scope) }

// KVArgs is kvArgs.
func KVArgs(s string, keys map[string]bool, textKey string) (map[string][]string, string, error) {
	return kvArgs(s, keys, textKey)
}

// Word is one word of SplitQuoted's answer.
type Word struct {
	Text   string
	Quoted bool
}

// SplitQuoted is splitQuoted.
func SplitQuoted(s string) []Word {
	var out []Word
	words, err := splitQuoted(s)
	if err != nil {
		return []Word{{Text: "ERROR: " + err.Error()}}
	}
	for _, w := range words {
		out = append(out, Word{Text: w.text, Quoted: w.quoted})
	}
	return out
}

// SplitList is splitList.
var SplitList = splitList

// Limits the tests check against.
const MaxRefLen = maxRefLen

// KeyDeleteConfirm is the confirmation of /pd key delete default.
func KeyDeleteConfirm(last4 string) []slack.Block { return keyDeleteConfirm(last4) }

// TriggerModalFor builds the trigger form opened with a service and a title.
func TriggerModalFor(serviceID, serviceName, title, note string) *slack.ModalViewRequest {
	return triggerModal(triggerForm{service: pdapi.Service{ID: serviceID, Name: serviceName}, title: title, note: note})
}

// OncallMessage is oncallMessage for a target of policies (or, with
// schedule set, of a schedule).
func OncallMessage(title string, policies []pdapi.Ref, schedule string, entries []pdapi.OnCall, shared bool, by string) []slack.Block {
	b, _ := oncallMessage(oncallTarget{title: title, policies: policies, schedule: schedule}, entries, shared, by)
	return b
}
