// Package handlers holds pdbot's actions, one file each: how a slash line is
// parsed, which modal it opens, how a submission is validated, which
// PagerDuty call it makes and how the answer is rendered.
//
// Handlers never see Socket Mode envelopes and never choose an API key: they
// get a Request (who, which channel, which incident, the arguments or form
// values, and a PagerDuty client already keyed for the payload's channel) and
// return a Reply. The package must not import bot or store.
package handlers
