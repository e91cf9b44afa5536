// Package live keeps pdbot's live cards true and posts the cards of new
// incidents (DESIGN.md, "Beyond the six: PagerDuty → Slack").
//
// It owns the poller: every interval it reads the work list from the store
// (subscriptions and followed live cards), resolves each channel's API key
// (the channel's own, else the workspace default), groups the channels by
// key fingerprint, and for each key that one replica holds the lease of
// ("poll:"+key ID) reads PagerDuty's log entries since the key's cursor.
// Each entry has its Slack effect once per channel: a new card for a
// trigger on a subscribed service, and for an incident with cards one
// re-render per poll (chat.update) plus one thread line per entry, each
// de-duplicated across replicas and restarts by a store claim. The cursor
// moves only over entries whose effects are done, so a stop or a crash
// resumes with no gap.
//
// Engine.Run is the one goroutine that owns the job; its context stops it,
// after the effect in progress, with the cursor stored and the leases
// released. The poller spends at most a tenth of each key's PagerDuty
// budget (pollerShare) and paces its Slack posts per channel.
//
// It must not import bot, cmd/pdbot, socketmode or the fakes: bot wires it
// (bot.Run starts it) and tests drive it through the bot. It uses handlers
// only for the card's Block Kit (handlers.Card) and mrkdwn escaping, so a
// live card looks exactly like a /pd get answer. API keys reach it as
// store.Secret and leave it only inside pdapi clients; they are never
// logged.
package live
