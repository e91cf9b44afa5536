// Package logsafe logs errors without what must not reach a log: every URL
// in an error's text is cut to its scheme and host. A response_url's path
// is a token that can post to the channel, Slack file and webhook URLs are
// alike, and PagerDuty URLs' queries carry what people typed (emails,
// names). The error's own words say which operation failed.
package logsafe

import (
	"regexp"
	"sync"

	"go.uber.org/zap"
)

// Err is zap.Error with every URL in err's text cut to its scheme and host
// (and any user info dropped), under the key "error". A nil err is no
// field.
func Err(err error) zap.Field {
	if err == nil {
		return zap.Skip()
	}
	return zap.String("error", Scrub(err.Error()))
}

// Scrub cuts every URL in s to its scheme and host, followed by "/…".
func Scrub(s string) string { return urlRest().ReplaceAllString(s, "$1$2/…") }

// urlRest matches a URL: its scheme ($1), any user info, its host ($2), and
// the rest. It is compiled on first use: an idle pdbot never logs an error.
var urlRest = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(https?://)(?:[^\s"/?#@]*@)?([^\s"/?#@]+)[^\s"]*`)
})
