package bot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// Modal private_metadata limit (https://docs.slack.dev/reference/views/modal-views).
const privateMetadataLimit = 3000

// formLifetime is how long a form stays good after pdbot opened it: long
// enough for anyone still typing, short enough that a copied form's
// metadata is worthless by the next day.
const formLifetime = 24 * time.Hour

// viewMeta binds a modal to the channel and user it was opened for. It is
// signed, so a submission can be trusted to name the channel whose key it
// may use.
type viewMeta struct {
	Channel  string `json:"c"`
	User     string `json:"u"`
	Incident string `json:"i,omitempty"`
	Data     string `json:"d,omitempty"`
	// Direct: the form was opened in a DM, a group DM or the app's own DM.
	Direct bool `json:"dm,omitempty"`
	// Form is the callback_id of the modal it was sealed for: metadata
	// lifted from one form does not open another.
	Form string `json:"f,omitempty"`
	// Expires is when the form stops being good (Unix seconds).
	Expires int64 `json:"x"`
}

var (
	errBadMeta     = errors.New("modal metadata failed verification")
	errMetaExpired = errors.New("modal metadata expired")
)

// sealMeta signs m for the modal with callback_id form, good for
// formLifetime.
func (b *Bot) sealMeta(team, form string, m viewMeta) (string, error) {
	m.Form = form
	m.Expires = b.now().Add(formLifetime).Unix()
	raw, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	body := base64.RawURLEncoding.EncodeToString(raw)
	s := body + "." + metaMAC(b.metaKey, team, body)
	if len(s) > privateMetadataLimit {
		return "", errors.New("modal metadata too large")
	}
	return s, nil
}

// openMeta verifies the metadata of a modal with callback_id form that user
// is acting in: signed by this bot's key for this team, sealed for that form
// and that user, and not expired.
func (b *Bot) openMeta(team, user, form, s string) (viewMeta, error) {
	body, mac, ok := strings.Cut(s, ".")
	if !ok {
		return viewMeta{}, errBadMeta
	}
	valid := false
	for _, k := range append([][]byte{b.metaKey}, b.cfg.OldMetadataKeys...) {
		valid = valid || hmac.Equal([]byte(mac), []byte(metaMAC(k, team, body)))
	}
	if !valid {
		return viewMeta{}, errBadMeta
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return viewMeta{}, errBadMeta
	}
	var m viewMeta
	if err := json.Unmarshal(raw, &m); err != nil || m.User != user || m.Form != form {
		return viewMeta{}, errBadMeta
	}
	if !b.now().Before(time.Unix(m.Expires, 0)) {
		return viewMeta{}, errMetaExpired
	}
	return m, nil
}

func metaMAC(key []byte, team, body string) string {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(team))
	h.Write([]byte{0})
	h.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:18])
}
