package bot

import "github.com/pdbot/pdbot/store"

// SealFormForTest signs a modal's private metadata the way the bot does when
// it opens a form, so a test can submit a form without having opened it
// through Slack.
func (b *Bot) SealFormForTest(team, form, channel, user, incident string) (string, error) {
	return b.sealMeta(team, form, viewMeta{Channel: channel, User: user, Incident: incident})
}

// KeyIDForTest is the fingerprint the bot gives key (the live poller's
// cursor and lease are named by it).
func (b *Bot) KeyIDForTest(key string) string {
	return b.newPD(store.Secret(key), false).KeyID()
}

// SocketDialer is the Socket Mode dialer the bot uses (its receive buffer
// sized for a burst), for benchmarks that give the floor the same.
var SocketDialer = socketDialer
