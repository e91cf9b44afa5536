// Package demo is `pdbot demo`: the real bot, connected over Socket Mode to
// an in-process fake Slack workspace and a fake PagerDuty account seeded with
// the Acme world, and a prompt where a person types `/pd …` as a Slack user
// and reads what that user would see.
//
// What it owns: the demo session — its temporary directory (store and log,
// deleted on exit), the wiring of fakes, store and bot, the prompt and its
// command table, and the rendering of messages and modals as text.
//
// What it must not touch: the bot's internals (it drives the bot only as
// Slack would, through slackfake, and learns that an envelope is finished
// through bot.Config.Handled), real Slack or PagerDuty, and secrets — the
// demo's PagerDuty key (demoworld.DemoPDKey) is stored, never printed. It
// uses the fakes' non-test constructors (slackfake.New, pdfake.New) and
// imports no testing package itself (TestImports).
package demo
