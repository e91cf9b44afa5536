package bot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
)

// Modal private_metadata limit (https://docs.slack.dev/reference/views/modal-views).
const privateMetadataLimit = 3000

// viewMeta binds a modal to the channel and user it was opened for. It is
// signed, so a submission can be trusted to name the channel whose key it
// may use.
type viewMeta struct {
	Channel  string `json:"c"`
	User     string `json:"u"`
	Incident string `json:"i,omitempty"`
	Data     string `json:"d,omitempty"`
}

var errBadMeta = errors.New("modal metadata failed verification")

func (b *Bot) sealMeta(team string, m viewMeta) (string, error) {
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

func (b *Bot) openMeta(team, s string) (viewMeta, error) {
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
	if err := json.Unmarshal(raw, &m); err != nil {
		return viewMeta{}, errBadMeta
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
