// Package pdfake is an in-process fake of PagerDuty's REST API v2, served by
// httptest, that every pdbot test, benchmark and `pdbot demo` talks to through
// the real go-pagerduty client.
//
// It owns: the endpoints pdbot calls (incidents by ID or number, incident
// updates one at a time and in bulk (with priority and escalation_level),
// merges, snoozes, notes, status updates, responder requests, incident
// workflows and their instances, users and /users/me, escalation policies
// and their levels, priorities, abilities, services, and log entries
// across the account, per incident and by ID); PagerDuty's semantics for them
// (API key kinds, the From header, the incident state machine, pagination,
// error bodies, rate limits) as written down in
// shared/reference/pagerduty-api-notes.md; validation of every request through
// Options.Validator; a seed API; a recorder of every request; and faults on
// demand (latency, 429s, 5xx bodies, odd error shapes).
//
// Log entries are what pdbot's live cards follow. Every change the fake
// makes writes the entry PagerDuty would: REST writes as the From user with
// channel "api", and changes made "outside Slack" through the test API
// (TriggerIncident, Acknowledge from the mobile app, Resolve from the web,
// Escalate by timeout, AddNoteAs, Reassign, ChangePriority, MergeIncidents,
// Reopen, …) with the Actor and channel given. Entries carry whole-second
// times from Options.Now (a Clock moves it in tests), are listed newest
// first, and since is inclusive and until exclusive. Seeding (AddIncident)
// writes no entries. Where PagerDuty's names are not documented (the entry
// of a reopen, the mobile app's channel) the doc comments say so.
//
// Tests validate against PagerDuty's own OpenAPI document: they start servers
// with pdfaketest.New, which reads the document named by $PDBOT_PD_OPENAPI.
// pdfake itself links neither the OpenAPI parser nor package testing, because
// `pdbot demo` runs it inside the product binary.
//
// pdfake must not import any pdbot package (it is a leaf that the bot, the
// handlers and cmd/pdbot depend on), must not import package testing or an
// OpenAPI parser, must not log API keys, and holds no global state.
package pdfake
