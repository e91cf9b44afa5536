// Package bot is pdbot's Slack side: the Socket Mode loop, acknowledging
// every envelope exactly once, the one route table, dispatch to handlers,
// replies, the requester's PagerDuty identity, incident resolution, key
// selection and the audit trail.
//
// It owns every decision about *which* key and *which* identity a request
// uses: the key always comes from the channel the payload came from, never
// from text, button values or modal fields. It must not contain action
// logic; that lives in package handlers.
package bot
