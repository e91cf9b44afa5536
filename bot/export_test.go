package bot

// SealFormForTest signs a modal's private metadata the way the bot does when
// it opens a form, so a test can submit a form without having opened it
// through Slack.
func (b *Bot) SealFormForTest(team, form, channel, user, incident string) (string, error) {
	return b.sealMeta(team, form, viewMeta{Channel: channel, User: user, Incident: incident})
}
