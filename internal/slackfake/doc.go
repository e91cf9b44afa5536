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
// socket. The fake then records what the bot does — acks with their latency
// (Delivery.WaitAck), the first post to each response_url
// (Delivery.WaitResponse), every Web API call, and the resulting messages,
// ephemerals and modal stacks
// — so tests can assert on what a user would now see (Messages, Ephemerals,
// Views, PlainText).
//
// Live cards are followed through the state of each message: Message shows
// it as it is now (after every chat.update, with ReplyCount and Edits),
// Thread its replies (chat.postMessage with thread_ts; a reply to a reply
// joins the parent's thread), History every version. DeleteMessage removes
// a message as a person would, and RemoveBot takes the bot out of a channel,
// so later calls meet message_not_found and not_in_channel. chat.update's
// edit_window_closed applies to users only, never to a bot's own messages,
// so the fake never answers it.
//
// It enforces the platform rules that bite in production: the 3 s ack and
// trigger_id windows, single-use trigger_ids and connection tickets, Block Kit
// limits (invalid_arguments for views, invalid_blocks for messages), the
// 20 KiB client frame cap (close 1009), at most 10 sockets per app,
// response_url use limits, token types per method, and Slack's error shapes
// (`{"ok":false,"error":…}`, HTTP 429 with Retry-After). Slack's posting
// rate limits (about one chat.postMessage a second per channel with short
// bursts; chat.update Tier 3) are off unless a test turns them on with
// EnableRateLimits, on a clock it moves.
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
