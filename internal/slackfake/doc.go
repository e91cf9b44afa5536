// Package slackfake is an in-process fake of the parts of Slack that pdbot
// talks to: the Web API methods it calls and the Socket Mode websocket that
// delivers slash commands, interactions and events. It speaks the wire
// formats of the real service closely enough that slack-go's real clients
// (slack.Client and socketmode.Client) run against it unchanged, so tests,
// benchmarks and `pdbot demo` exercise the same code paths as production.
//
// A Fake plays the Slack side of a conversation: tests (or the demo prompt)
// act as users through Slash, ClickButton, SubmitView and friends, which build
// each payload the way Slack would (fresh trigger_id, response_url where Slack
// sends one, escaped mentions) and deliver it as one envelope to one connected
// socket. The fake then records what the bot does — acks with their latency,
// every Web API call, and the resulting messages, ephemerals and modal stacks
// — so tests can assert on what a user would now see (Messages, Ephemerals,
// Views, PlainText).
//
// It enforces the platform rules that bite in production: the 3 s ack and
// trigger_id windows, single-use trigger_ids and connection tickets, Block Kit
// limits (invalid_arguments for views, invalid_blocks for messages), the
// 20 KiB client frame cap (close 1009), at most 10 sockets per app,
// response_url use limits, token types per method, and Slack's error shapes
// (`{"ok":false,"error":…}`, HTTP 429 with Retry-After).
//
// The limits it checks are listed in ../../../shared/reference/slack-platform-notes.md
// (§1.6, §2, §4); that document is Slack's, not ours, and is not copied here.
//
// What it owns: the fake's state and its HTTP and websocket server. What it
// must not touch: pdbot's own packages (it imports none of them), real Slack,
// and tokens in logs — Options.Logf never receives a token, a ticket or a
// response_url. It must not import package testing either: `pdbot demo` runs
// it inside the product binary. Tests start one with slackfaketest.New.
package slackfake
