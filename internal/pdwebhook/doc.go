// Package pdwebhook receives PagerDuty v3 webhooks (POST
// /pagerduty/webhook on pdbot's ops address, when PDBOT_WEBHOOK_SECRET is
// set): it verifies X-PagerDuty-Signature (any of its v1= signatures, with
// go-pagerduty's webhookv3), refuses deliveries older than five minutes or
// seen before, and hands what changed to the live-card pipeline, which
// then reads PagerDuty's log entries as it does when it polls. A webhook
// only makes a change show sooner; it never carries an effect of its own,
// so a forged or replayed delivery can at most cause an early poll, and it
// is refused before even that.
//
// What it owns: the HTTP handler and the delivery's checks. What it must
// not touch: Slack, PagerDuty's API, the store beyond its de-duplication
// claims, the signing secret's value in any log or error.
package pdwebhook
