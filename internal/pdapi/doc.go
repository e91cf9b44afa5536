// Package pdapi is pdbot's client for PagerDuty's REST API v2: one type,
// Client, keyed for one API key and acting as one requester.
//
// It owns everything between an action and the wire: the HTTP transport
// tuned for one API host (NewTransport), the retries that are safe to make
// (429 within a cap, GETs on 5xx; never a write after a 5xx or a timeout),
// the client-side pacing that keeps each key under PagerDuty's 960 requests
// a minute by following the ratelimit-* headers of its answers, with lanes
// that take turns when a key's budget is scarce (Pacers, Client.InLane),
// the key fingerprint that caches use instead of the key
// (Client.KeyID), the allow-list that guards every ID put into a URL path
// (ValidIncidentID, ValidObjectID), the requester's From header on writes,
// and a raw request (Client.Do) plus classic offset pagination (List) for
// calls go-pagerduty lacks or gets wrong. Its errors are go-pagerduty's
// pagerduty.APIError values or its own sentinels, never text to match.
//
// It knows nothing of Slack, of pdbot's actions or of where keys are kept:
// it must not import handlers, bot, store or slack-go (a test in bot checks).
// Turning its errors into advice is handlers.Explain's job. The API key is
// never part of an error, a log line or a printed Client.
package pdapi
