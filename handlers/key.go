package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/internal/pdapi"
)

// Key modal IDs.
const (
	KeyCallback = "key_submit"
	keyBlock    = "key"
	keyInput    = "key_input"
	// maxKeyLen: PagerDuty REST keys are 20 characters and OAuth tokens
	// longer; anything past this is not a key.
	maxKeyLen = 256

	// The confirmation of /pd key delete default.
	KeyDeleteDefault = "key_delete_default"
	KeyDeleteCancel  = "key_delete_cancel"
)

// ErrKeyRejected is what StoreOps.CheckKey returns when PagerDuty refuses a key.
var ErrKeyRejected = errors.New("pagerduty rejected the key")

func keyRoutes() []Route {
	return []Route{
		{
			Kind: Slash, ID: "key", Usage: "key [default|status|delete [default]]",
			Help:      "(admins) Set this channel's PagerDuty API key in a private form, or the workspace default; show its status; delete it.",
			AdminOnly: true, Modal: true, Title: "PagerDuty API key",
			Handle: keySlash,
		},
		{
			Kind: Submission, ID: KeyCallback, Help: "The API key form.",
			AdminOnly: true,
			Validate:  keyValidate,
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				key := keyValue(r)
				channel, scope := keyScope(r)
				if err := r.Store.SetKey(ctx, channel, key, r.User); err != nil {
					return Reply{}, fmt.Errorf("save key: %w", err)
				}
				return Reply{Text: fmt.Sprintf(":key: Saved. %s now uses the PagerDuty key ending in `%s`.", scope, last4(key))}, nil
			},
		},
		{
			Kind: Action, ID: KeyDeleteDefault, Help: "Confirmation button: delete the workspace default key.",
			AdminOnly: true,
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				reply, err := deleteKey(ctx, r, "", "The workspace default")
				reply.ReplaceOriginal = true
				return reply, err
			},
		},
		{
			Kind: Action, ID: KeyDeleteCancel, Help: "Confirmation button: keep the workspace default key.",
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				return Reply{Text: "Kept: the workspace default key was not deleted.", NoAudit: true, ReplaceOriginal: true}, nil
			},
		},
	}
}

func keySlash(ctx context.Context, r *Request) (Reply, error) {
	arg, rest := SplitFirst(r.Text)
	switch strings.ToLower(arg) {
	case "":
		return Reply{Modal: keyModal(""), NoAudit: true}, nil
	case "default":
		return Reply{Modal: keyModal("default"), NoAudit: true}, nil
	case "status":
		return keyStatus(ctx, r)
	case "delete":
		switch {
		case strings.EqualFold(rest, "default"):
			// Every channel without a key of its own depends on it: ask first.
			last4, _, _, err := r.Store.KeyStatus(ctx, "")
			if err != nil {
				return Reply{}, fmt.Errorf("key status: %w", err)
			}
			if last4 == "" {
				return Reply{Text: "The workspace default has no PagerDuty key of its own; nothing was deleted.", NoAudit: true}, nil
			}
			return Reply{Text: "Delete the workspace default PagerDuty key?", Blocks: keyDeleteConfirm(last4), NoAudit: true}, nil
		case rest != "":
			return Reply{}, Userf("Use `/pd key delete` for this channel or `/pd key delete default` for the workspace default.")
		}
		return deleteKey(ctx, r, r.Channel, "This channel")
	}
	return Reply{NoAudit: true}, Userf("Never paste an API key into a message: pdbot ignored it. If that was a real key, regenerate it in PagerDuty, then run `/pd key` (no arguments) to paste the new one into a private form.")
}

// deleteKey deletes the key of channel ("" is the workspace default).
func deleteKey(ctx context.Context, r *Request, channel, scope string) (Reply, error) {
	existed, err := r.Store.DeleteKey(ctx, channel)
	if err != nil {
		return Reply{}, fmt.Errorf("delete key: %w", err)
	}
	if !existed {
		return Reply{Text: fmt.Sprintf("%s has no PagerDuty key of its own; nothing was deleted.", scope), NoAudit: true}, nil
	}
	return Reply{Text: fmt.Sprintf(":key: Deleted. %s has no PagerDuty key of its own now.", scope)}, nil
}

// keyDeleteConfirm asks an admin to confirm deleting the workspace default
// key (ending in last4): a Delete button, behind Slack's own confirm
// dialog, and a Cancel button.
func keyDeleteConfirm(last4 string) []slack.Block {
	const warning = "Channels without a key of their own will stop reaching PagerDuty through pdbot until an admin sets a new default with `/pd key default`."
	del := slack.NewButtonBlockElement(KeyDeleteDefault, "default", slack.NewTextBlockObject(slack.PlainTextType, "Delete", false, false))
	del.Style = slack.StyleDanger
	del.Confirm = slack.NewConfirmationBlockObject(
		slack.NewTextBlockObject(slack.PlainTextType, "Delete the default key?", false, false),
		slack.NewTextBlockObject(slack.PlainTextType, "Channels without a key of their own will stop working with pdbot.", false, false),
		slack.NewTextBlockObject(slack.PlainTextType, "Delete", false, false),
		slack.NewTextBlockObject(slack.PlainTextType, "Keep it", false, false),
	)
	del.Confirm.Style = slack.StyleDanger
	cancel := slack.NewButtonBlockElement(KeyDeleteCancel, "cancel", slack.NewTextBlockObject(slack.PlainTextType, "Cancel", false, false))
	return []slack.Block{
		TextSection("key_delete_question", fmt.Sprintf("Delete the workspace's *default* PagerDuty key (ending in `%s`)? %s", Escape(last4), warning)),
		slack.NewActionBlock("key_delete_actions", del, cancel),
	}
}

func keyStatus(ctx context.Context, r *Request) (Reply, error) {
	line := func(channel, name string) (string, error) {
		last4, setBy, updated, err := r.Store.KeyStatus(ctx, channel)
		if err != nil {
			return "", err
		}
		if last4 == "" {
			return fmt.Sprintf("• %s: no key", name), nil
		}
		by := ""
		if setBy != "" {
			by = " by <@" + setBy + ">"
		}
		return fmt.Sprintf("• %s: key ending in `%s`, set%s on %s", name, last4, by, updated.UTC().Format(time.DateOnly)), nil
	}
	a, err := line(r.Channel, "This channel")
	if err != nil {
		return Reply{}, fmt.Errorf("key status: %w", err)
	}
	b, err := line("", "Workspace default")
	if err != nil {
		return Reply{}, fmt.Errorf("key status: %w", err)
	}
	return Reply{Text: a + "\n" + b + "\nThe channel's own key is used first, then the workspace default.", NoAudit: true}, nil
}

// keyModal is the private form for a key: scope "" is the channel's key,
// "default" the workspace default.
func keyModal(scope string) *slack.ModalViewRequest {
	intro := "Set the PagerDuty API key for *this channel*. Every action taken here uses it, acting as the person who asked."
	if scope == "default" {
		intro = "Set the workspace's *default* PagerDuty API key. Channels without a key of their own use it, acting as the person who asked."
	}
	input := slack.NewPlainTextInputBlockElement(slack.NewTextBlockObject(slack.PlainTextType, "u+XXXXXXXXXXXXXXXXXX", false, false), keyInput)
	block := slack.NewInputBlock(keyBlock, slack.NewTextBlockObject(slack.PlainTextType, "PagerDuty REST API key", false, false),
		slack.NewTextBlockObject(slack.PlainTextType, "Checked against PagerDuty, then stored encrypted. Only its last four characters are ever shown.", false, false), input)
	introBlock := TextSection("key_intro", intro)
	return &slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      KeyCallback,
		Title:           slack.NewTextBlockObject(slack.PlainTextType, "PagerDuty API key", false, false),
		Submit:          slack.NewTextBlockObject(slack.PlainTextType, "Save", false, false),
		Close:           slack.NewTextBlockObject(slack.PlainTextType, "Cancel", false, false),
		PrivateMetadata: scope,
		Blocks:          slack.Blocks{BlockSet: []slack.Block{introBlock, block}},
	}
}

func keyValue(r *Request) string {
	return strings.TrimSpace(r.Values[keyBlock][keyInput].Value)
}

func keyScope(r *Request) (channel, scope string) {
	if r.PrivateMetadata == "default" {
		return "", "The workspace default"
	}
	return r.Channel, "This channel"
}

func keyValidate(ctx context.Context, r *Request) map[string]string {
	key := keyValue(r)
	switch {
	case key == "":
		return map[string]string{keyBlock: "Paste the API key."}
	case len(key) > maxKeyLen || strings.ContainsAny(key, " \t\n<>"):
		return map[string]string{keyBlock: "That does not look like a PagerDuty API key."}
	}
	if err := r.Store.CheckKey(ctx, key); err != nil {
		if errors.Is(err, ErrKeyRejected) {
			return map[string]string{keyBlock: "PagerDuty rejected this key. Copy it again from PagerDuty (Integrations › API Access Keys)."}
		}
		if errors.Is(err, pdapi.ErrUserToken) {
			// PagerDuty ignores From for a user token: everyone would act
			// as its owner.
			return map[string]string{keyBlock: "This is a personal (user-level) token: with it PagerDuty acts as its owner, whoever asks. Use a general access REST API key (Integrations › API Access Keys); nothing was saved."}
		}
		return map[string]string{keyBlock: "Could not check the key with PagerDuty just now; nothing was saved. Try again."}
	}
	return nil
}

func last4(s string) string {
	if len(s) <= 4 {
		return "****"
	}
	return s[len(s)-4:]
}
