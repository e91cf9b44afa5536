// Package demoworld is the small, fixed Acme workspace that `pdbot demo` runs
// in and that the bot's end-to-end tests share: Slack users and channels in a
// slackfake.Fake, and the matching PagerDuty users, escalation policies,
// services and incidents in a pdfake.Server.
//
// Every name, ID and email is an exported constant so tests can refer to them
// instead of repeating literals. DemoPDKey is a canary: it is the PagerDuty
// API key the demo stores as the workspace default, and tests grep replies,
// errors and logs for it to prove that no key leaks.
//
// What it owns: the seed data and Seed. What it must not touch: pdbot's own
// packages (bot, handlers, store) — it depends only on the two fakes — and
// any network or file.
package demoworld
