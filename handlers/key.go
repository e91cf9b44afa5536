package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// Key modal IDs.
const (
	KeyCallback = "key_submit"
	keyBlock    = "key"
	keyInput    = "key_input"
	// maxKeyLen: PagerDuty REST keys are 20 characters and OAuth tokens
	// longer; anything past this is not a key.
	maxKeyLen = 256
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
		channel, scope := r.Channel, "This channel"
		if strings.EqualFold(rest, "default") {
			channel, scope = "", "The workspace default"
		} else if rest != "" {
			return Reply{}, Userf("Use `/pd key delete` for this channel or `/pd key delete default` for the workspace default.")
		}
		existed, err := r.Store.DeleteKey(ctx, channel)
		if err != nil {
			return Reply{}, fmt.Errorf("delete key: %w", err)
		}
		if !existed {
			return Reply{Text: fmt.Sprintf("%s has no PagerDuty key of its own; nothing was deleted.", scope), NoAudit: true}, nil
		}
		return Reply{Text: fmt.Sprintf(":key: Deleted. %s has no PagerDuty key of its own now.", scope)}, nil
	}
	return Reply{NoAudit: true}, Userf("Never paste an API key into a message: pdbot ignored it. If that was a real key, regenerate it in PagerDuty, then run `/pd key` (no arguments) to paste the new one into a private form.")
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
