package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/store"
)

// checkTimeout bounds `pdbot check` as a whole.
const checkTimeout = 30 * time.Second

// check validates what serve would use: it opens the store with the master
// key ring, asks Slack who the bot token belongs to (auth.test) and whether
// the app token may open Socket Mode connections (apps.connections.open; the
// returned URL is not dialled). It returns a one-line summary.
func check(ctx context.Context, cfg Config) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()

	ring, err := cfg.keyRing()
	if err != nil {
		return "", err
	}
	st, err := cfg.openStore(ctx)
	if err != nil {
		return "", err
	}
	if err := st.Close(); err != nil {
		return "", fmt.Errorf("PDBOT_STORE: close: %w", err)
	}

	apiURL := cfg.SlackAPIURL
	if !strings.HasSuffix(apiURL, "/") {
		apiURL += "/"
	}
	api := slack.New(cfg.BotToken.Reveal(),
		slack.OptionAPIURL(apiURL),
		slack.OptionAppLevelToken(cfg.AppToken.Reveal()),
		slack.OptionHTTPClient(&http.Client{Timeout: 10 * time.Second}),
	)
	secrets := []store.Secret{cfg.BotToken, cfg.AppToken}
	auth, err := api.AuthTestContext(ctx)
	if err != nil {
		return "", fmt.Errorf("SLACK_BOT_TOKEN: auth.test failed: %s", slackProblem(err, secrets))
	}
	if _, _, err := api.StartSocketModeContext(ctx); err != nil {
		return "", fmt.Errorf("SLACK_APP_TOKEN: apps.connections.open failed: %s", slackProblem(err, secrets))
	}
	return fmt.Sprintf("bot @%s (%s) in workspace %s (%s); Socket Mode connections allowed; store opened with %d master key(s)",
		auth.User, auth.UserID, auth.Team, auth.TeamID, ring.Len()), nil
}

// slackProblem describes a Slack error in one line: the error code for an
// API error, else the transport error. Token values are scrubbed, although
// slack-go sends them in headers and bodies, never in URLs.
func slackProblem(err error, secrets []store.Secret) string {
	var se slack.SlackErrorResponse
	var s string
	switch {
	case errors.As(err, &se):
		s = se.Err
		switch se.Err {
		case "invalid_auth", "not_authed", "token_revoked", "account_inactive":
			s += " (the token is wrong, revoked or for another app)"
		case "not_allowed_token_type":
			s += " (wrong kind of token)"
		}
	default:
		s = err.Error()
	}
	for _, sec := range secrets {
		if v := sec.Reveal(); v != "" {
			s = strings.ReplaceAll(s, v, "<secret>")
		}
	}
	return oneLine(errors.New(s))
}
