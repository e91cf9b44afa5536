package slackfake

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Web API limits (slack-platform-notes §2, §4; chat.postMessage docs).
const (
	// MaxMessageText is the longest message text Slack accepts (msg_too_long beyond).
	MaxMessageText = 40000
	// MaxResponseURLUses and ResponseURLTTL bound a response_url.
	MaxResponseURLUses = 5
	ResponseURLTTL     = 30 * time.Minute
)

// apiError is an {"ok":false} answer.
type apiError struct {
	code     string
	messages []string         // response_metadata.messages
	errors   []map[string]any // per-item errors (conversations.invite)
}

func fail(code string, messages ...string) *apiError {
	return &apiError{code: code, messages: messages}
}

// request is a parsed Web API call.
type request struct {
	method string
	token  string
	params url.Values
	json   map[string]json.RawMessage // top-level JSON fields, when the body is JSON
}

func (r *request) str(key string) string {
	if r.json != nil {
		raw, ok := r.json[key]
		if !ok {
			return ""
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		return string(raw)
	}
	return r.params.Get(key)
}

// raw returns a JSON-valued parameter: from a JSON body as is, from a form as the field's text.
func (r *request) raw(key string) json.RawMessage {
	if r.json != nil {
		raw := r.json[key]
		var s string
		if json.Unmarshal(raw, &s) == nil {
			// A JSON body may carry blocks/view as an encoded string too.
			if t := strings.TrimSpace(s); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
				return json.RawMessage(t)
			}
		}
		return raw
	}
	if v := r.params.Get(key); v != "" {
		return json.RawMessage(v)
	}
	return nil
}

type tokenKind int

const (
	botToken tokenKind = iota
	appToken
)

// methodTokens says which token type each method needs.
var methodTokens = map[string]tokenKind{
	"apps.connections.open":  appToken,
	"auth.test":              botToken,
	"users.info":             botToken,
	"conversations.info":     botToken,
	"conversations.create":   botToken,
	"conversations.setTopic": botToken,
	"conversations.invite":   botToken,
	"chat.postMessage":       botToken,
	"chat.postEphemeral":     botToken,
	"chat.update":            botToken,
	"chat.delete":            botToken,
	"chat.getPermalink":      botToken,
	"views.open":             botToken,
	"views.push":             botToken,
	"views.update":           botToken,
}

func (f *Fake) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	body, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	req := &request{method: method, params: url.Values{}}
	for k, vs := range r.URL.Query() {
		req.params[k] = vs
	}
	ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ctype {
	case "application/json":
		if len(strings.TrimSpace(string(body))) > 0 {
			if err := json.Unmarshal(body, &req.json); err != nil {
				f.answer(w, req, body, nil, fail("invalid_json"))
				return
			}
		}
		if req.json == nil {
			req.json = map[string]json.RawMessage{}
		}
		for k, v := range req.json {
			var s string
			if json.Unmarshal(v, &s) == nil {
				req.params.Set(k, s)
			} else {
				req.params.Set(k, string(v))
			}
		}
	default:
		form, err := url.ParseQuery(string(body))
		if err != nil {
			f.answer(w, req, body, nil, fail("invalid_form_data"))
			return
		}
		for k, vs := range form {
			req.params[k] = vs
		}
	}
	if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "Bearer ") {
		req.token = strings.TrimSpace(strings.TrimPrefix(auth, "Bearer "))
	}
	if t := req.params.Get("token"); t != "" && req.token == "" {
		req.token = t
	}
	req.params.Del("token")

	// Scripted failures come first, as a real outage would.
	f.mu.Lock()
	if s := f.failures[method]; s != nil {
		if s.limitN > 0 {
			s.limitN--
			f.recordLocked(req, body, "ratelimited")
			f.mu.Unlock()
			w.Header().Set("Retry-After", strconv.Itoa(s.retryAfter))
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"ok":false,"error":"ratelimited"}`))
			return
		}
		if s.failN > 0 {
			s.failN--
			code := s.errCode
			f.mu.Unlock()
			f.answer(w, req, body, nil, fail(code))
			return
		}
	}
	f.mu.Unlock()

	if e := f.checkToken(req); e != nil {
		f.answer(w, req, body, nil, e)
		return
	}
	f.mu.Lock()
	if retryAfter := f.takeRateLocked(req); retryAfter > 0 {
		f.recordLocked(req, body, "ratelimited")
		f.mu.Unlock()
		writeRateLimited(w, retryAfter)
		return
	}
	f.mu.Unlock()
	var (
		out map[string]any
		e   *apiError
	)
	switch method {
	case "apps.connections.open":
		out = f.connectionsOpen()
	case "auth.test":
		out = f.authTest()
	case "users.info":
		out, e = f.usersInfo(req)
	case "conversations.info":
		out, e = f.conversationsInfo(req)
	case "conversations.create":
		out, e = f.conversationsCreate(req)
	case "conversations.setTopic":
		out, e = f.conversationsSetTopic(req)
	case "conversations.invite":
		out, e = f.conversationsInvite(req)
	case "chat.postMessage":
		out, e = f.chatPostMessage(req)
	case "chat.postEphemeral":
		out, e = f.chatPostEphemeral(req)
	case "chat.update":
		out, e = f.chatUpdate(req)
	case "chat.delete":
		out, e = f.chatDelete(req)
	case "chat.getPermalink":
		out, e = f.chatGetPermalink(req)
	case "views.open":
		out, e = f.viewsOpen(req, false)
	case "views.push":
		out, e = f.viewsOpen(req, true)
	case "views.update":
		out, e = f.viewsUpdate(req)
	default:
		e = fail("unknown_method")
	}
	f.answer(w, req, body, out, e)
}

func (f *Fake) checkToken(req *request) *apiError {
	need, known := methodTokens[req.method]
	if !known {
		return nil // unknown_method follows
	}
	tok := req.token
	switch {
	case tok == "":
		return fail("not_authed")
	case need == appToken && strings.HasPrefix(tok, "xox"):
		return fail("not_allowed_token_type")
	case need == botToken && strings.HasPrefix(tok, "xapp-"):
		return fail("not_allowed_token_type")
	case need == appToken && tok != f.opts.AppToken,
		need == botToken && tok != f.opts.BotToken:
		return fail("invalid_auth")
	}
	return nil
}

func (f *Fake) recordLocked(req *request, body []byte, errCode string) {
	f.calls = append(f.calls, Call{
		Method: req.method,
		Params: cloneValues(req.params),
		Body:   append([]byte(nil), body...),
		Token:  req.token,
		Time:   time.Now(),
		Error:  errCode,
	})
}

func (f *Fake) answer(w http.ResponseWriter, req *request, body []byte, out map[string]any, e *apiError) {
	code := ""
	if e != nil {
		code = e.code
		out = map[string]any{"ok": false, "error": e.code}
		if len(e.messages) > 0 {
			out["response_metadata"] = map[string]any{"messages": e.messages}
		}
		if len(e.errors) > 0 {
			out["errors"] = e.errors
		}
		f.logf("slackfake: %s → %s", req.method, e.code)
	}
	f.mu.Lock()
	f.recordLocked(req, body, code)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(mustJSON(out))
}

func (f *Fake) authTest() map[string]any {
	return map[string]any{
		"ok":                    true,
		"url":                   "https://" + f.opts.TeamDomain + ".slack.com/",
		"team":                  f.opts.TeamName,
		"user":                  f.opts.BotName,
		"team_id":               f.opts.TeamID,
		"user_id":               f.opts.BotUserID,
		"bot_id":                f.opts.BotID,
		"is_enterprise_install": false,
	}
}

func (f *Fake) usersInfo(req *request) (map[string]any, *apiError) {
	id := req.str("user")
	f.mu.Lock()
	u, ok := f.users[id]
	f.mu.Unlock()
	if !ok {
		return nil, fail("user_not_found")
	}
	return map[string]any{"ok": true, "user": userObject(u)}, nil
}

func userObject(u User) map[string]any {
	display := u.Name
	return map[string]any{
		"id":                  u.ID,
		"team_id":             u.TeamID,
		"name":                u.Name,
		"deleted":             u.Deleted,
		"real_name":           u.RealName,
		"tz":                  "Europe/London",
		"tz_label":            "Greenwich Mean Time",
		"tz_offset":           0,
		"is_admin":            u.IsAdmin,
		"is_owner":            u.IsOwner,
		"is_primary_owner":    false,
		"is_restricted":       u.IsRestricted,
		"is_ultra_restricted": u.IsUltraRestricted,
		"is_bot":              u.IsBot,
		"is_app_user":         false,
		"updated":             1700000000,
		"profile": map[string]any{
			"real_name":               u.RealName,
			"real_name_normalized":    u.RealName,
			"display_name":            display,
			"display_name_normalized": display,
			"email":                   u.Email,
			"team":                    u.TeamID,
		},
	}
}

func (f *Fake) conversationsInfo(req *request) (map[string]any, *apiError) {
	id := req.str("channel")
	f.mu.Lock()
	c, ok := f.channels[id]
	var cc Channel
	if ok {
		cc = *c
	}
	member := !f.notMember[id]
	f.mu.Unlock()
	if !ok {
		return nil, fail("channel_not_found")
	}
	obj := channelObject(cc)
	obj["is_member"] = member
	return map[string]any{"ok": true, "channel": obj}, nil
}

func channelObject(c Channel) map[string]any {
	return map[string]any{
		"id":          c.ID,
		"name":        c.Name,
		"is_channel":  !c.IsPrivate,
		"is_group":    false,
		"is_im":       false,
		"is_private":  c.IsPrivate,
		"is_archived": false,
		"is_member":   true,
		"created":     1700000000,
		"topic":       map[string]any{"value": c.Topic, "creator": "", "last_set": 0},
		"purpose":     map[string]any{"value": c.Purpose, "creator": "", "last_set": 0},
	}
}

// messageInput validates text/blocks of a message-posting call.
func messageInput(text string, blocks json.RawMessage) (json.RawMessage, *apiError) {
	if len(text) > MaxMessageText {
		return nil, fail("msg_too_long")
	}
	blocks = normalizeBlocksJSON(blocks)
	if text == "" && blocks == nil {
		return nil, fail("no_text")
	}
	if msgs := validateMessageBlocks(blocks); len(msgs) > 0 {
		return nil, fail("invalid_blocks", msgs...)
	}
	return normalizeMessageBlocks(blocks), nil
}

// normalizeBlocksJSON returns nil for absent/empty block lists.
func normalizeBlocksJSON(b json.RawMessage) json.RawMessage {
	s := strings.TrimSpace(string(b))
	if s == "" || s == "null" || s == "[]" {
		return nil
	}
	return json.RawMessage(s)
}

// resolveChannelLocked maps a channel argument to a conversation ID: a user
// ID means the bot's DM with that user.
func (f *Fake) resolveChannelLocked(id string) (string, bool) {
	if _, ok := f.channels[id]; ok {
		return id, true
	}
	if _, ok := f.users[id]; ok && (strings.HasPrefix(id, "U") || strings.HasPrefix(id, "W")) {
		return dmChannel(id), true
	}
	if strings.HasPrefix(id, "D") {
		return id, true
	}
	return "", false
}

// dmChannel is the ID of the bot's DM with a user.
func dmChannel(user string) string { return "D" + user[1:] }

func (f *Fake) chatPostMessage(req *request) (map[string]any, *apiError) {
	text := req.str("text")
	blocks, e := messageInput(text, req.raw("blocks"))
	if e != nil {
		return nil, e
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	ch, ok := f.resolveChannelLocked(req.str("channel"))
	if !ok {
		return nil, fail("channel_not_found")
	}
	if f.notMember[ch] {
		return nil, fail("not_in_channel")
	}
	m := &Message{TS: f.nextTSLocked(), Channel: ch, User: f.opts.BotUserID, Text: text, Blocks: blocks, ThreadTS: req.str("thread_ts")}
	f.addMessageLocked(m, "chat.postMessage")
	return map[string]any{"ok": true, "channel": ch, "ts": m.TS, "message": f.messageObject(m)}, nil
}

func (f *Fake) chatPostEphemeral(req *request) (map[string]any, *apiError) {
	text := req.str("text")
	blocks, e := messageInput(text, req.raw("blocks"))
	if e != nil {
		return nil, e
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	ch, ok := f.resolveChannelLocked(req.str("channel"))
	if !ok {
		return nil, fail("channel_not_found")
	}
	user := req.str("user")
	if _, ok := f.users[user]; !ok {
		return nil, fail("user_not_found")
	}
	m := &Message{TS: f.nextTSLocked(), Channel: ch, User: f.opts.BotUserID, Text: text, Blocks: blocks, Ephemeral: true, VisibleTo: user, ThreadTS: req.str("thread_ts")}
	f.ephem = append(f.ephem, m)
	return map[string]any{"ok": true, "message_ts": m.TS}, nil
}

func (f *Fake) chatUpdate(req *request) (map[string]any, *apiError) {
	text := req.str("text")
	blocks, e := messageInput(text, req.raw("blocks"))
	if e != nil {
		return nil, e
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	ch, m, e := f.ownMessageLocked(req, "cant_update_message")
	if e != nil {
		return nil, e
	}
	f.editLocked(m, text, blocks, "chat.update")
	return map[string]any{"ok": true, "channel": ch, "ts": m.TS, "text": text, "message": f.messageObject(m)}, nil
}

func (f *Fake) chatDelete(req *request) (map[string]any, *apiError) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch, m, e := f.ownMessageLocked(req, "cant_delete_message")
	if e != nil {
		return nil, e
	}
	f.deleteLocked(m)
	return map[string]any{"ok": true, "channel": ch, "ts": m.TS}, nil
}

// ownMessageLocked finds the bot's own message named by the request's
// channel and ts, the only kind chat.update and chat.delete may change.
func (f *Fake) ownMessageLocked(req *request, notOwn string) (string, *Message, *apiError) {
	ch, ok := f.resolveChannelLocked(req.str("channel"))
	if !ok {
		return "", nil, fail("channel_not_found")
	}
	if f.notMember[ch] {
		return "", nil, fail("not_in_channel")
	}
	m := f.findMessageLocked(ch, req.str("ts"))
	if m == nil || m.Deleted {
		return "", nil, fail("message_not_found")
	}
	if m.User != f.opts.BotUserID {
		return "", nil, fail(notOwn)
	}
	return ch, m, nil
}

func (f *Fake) chatGetPermalink(req *request) (map[string]any, *apiError) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch, ok := f.resolveChannelLocked(req.str("channel"))
	if !ok {
		return nil, fail("channel_not_found")
	}
	ts := req.str("message_ts")
	if m := f.findMessageLocked(ch, ts); m == nil || m.Deleted {
		return nil, fail("message_not_found")
	}
	return map[string]any{"ok": true, "channel": ch, "permalink": Permalink(ch, ts)}, nil
}

// Permalink is the link chat.getPermalink gives for a message.
func Permalink(channel, ts string) string {
	return "https://fake.slack.com/archives/" + channel + "/p" + strings.ReplaceAll(ts, ".", "")
}

func (f *Fake) findMessageLocked(channel, ts string) *Message {
	for _, m := range f.messages[channel] {
		if m.TS == ts {
			return m
		}
	}
	return nil
}

// messageObject is a message as Slack serialises it in API answers and payloads.
func (f *Fake) messageObject(m *Message) map[string]any {
	o := map[string]any{"type": "message", "text": m.Text, "ts": m.TS, "team": f.opts.TeamID}
	if m.User == f.opts.BotUserID {
		o["user"] = f.opts.BotUserID
		o["bot_id"] = f.opts.BotID
		o["app_id"] = f.opts.AppID
	} else {
		o["user"] = m.User
	}
	if m.Blocks != nil {
		o["blocks"] = m.Blocks
	}
	if m.ThreadTS != "" {
		o["thread_ts"] = m.ThreadTS
	}
	if m.ReplyCount > 0 {
		o["reply_count"] = m.ReplyCount
		o["latest_reply"] = m.LatestReply
	}
	return o
}

// responseURL is one issued response_url.
type responseURL struct {
	user, channel string
	msgTS         string // message the interaction came from ("" for commands)
	msgEphemeral  bool
	issued        time.Time
	uses          int
	// answered is closed at the first post (first holds it), for
	// Delivery.WaitResponse.
	answered chan struct{}
	first    Response
}

// answerLocked records a post to ru; only the first is kept.
func (ru *responseURL) answerLocked(r Response) {
	select {
	case <-ru.answered:
		return
	default:
	}
	r.Latency = time.Since(ru.issued)
	ru.first = r
	close(ru.answered)
}

// newResponseURLLocked issues a response_url for user in channel; kind is
// "commands" or "actions".
func (f *Fake) newResponseURLLocked(kind, user, channel, msgTS string, ephemeral bool) string {
	// Sweep when the table has doubled since the last sweep, so a long
	// run (benchmarks, the demo) stays small at a constant cost per URL.
	if len(f.respURLs) > f.respURLSweepAt {
		for p, ru := range f.respURLs {
			if time.Since(ru.issued) > ResponseURLTTL || ru.uses >= MaxResponseURLUses {
				delete(f.respURLs, p)
			}
		}
		f.respURLSweepAt = max(1000, 2*len(f.respURLs))
	}
	path := "/" + kind + "/" + f.opts.TeamID + "/" + strconv.FormatInt(time.Now().UnixNano()%1e13, 10) + "/" + randHex(12)
	f.respURLs[path] = &responseURL{user: user, channel: channel, msgTS: msgTS, msgEphemeral: ephemeral, issued: time.Now(), answered: make(chan struct{})}
	return f.baseURL + path
}

func (f *Fake) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	reply := func(status int, out map[string]any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(mustJSON(out))
	}
	req := &request{method: "response_url", params: url.Values{}}
	if r.Method != http.MethodPost {
		reply(http.StatusMethodNotAllowed, map[string]any{"ok": false, "error": "invalid_method"})
		return
	}
	var msg struct {
		Text            string          `json:"text"`
		Blocks          json.RawMessage `json:"blocks"`
		ResponseType    string          `json:"response_type"`
		ReplaceOriginal bool            `json:"replace_original"`
		DeleteOriginal  bool            `json:"delete_original"`
		ThreadTS        string          `json:"thread_ts"`
	}
	_ = json.Unmarshal(body, &req.json)
	for k, v := range req.json {
		var s string
		if json.Unmarshal(v, &s) == nil {
			req.params.Set(k, s)
		} else {
			req.params.Set(k, string(v))
		}
	}
	record := func(code string) {
		f.mu.Lock()
		f.recordLocked(req, body, code)
		f.mu.Unlock()
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		f.mu.Lock()
		if ru, ok := f.respURLs[r.URL.Path]; ok {
			ru.answerLocked(Response{Error: "invalid_payload"})
		}
		f.mu.Unlock()
		record("invalid_payload")
		reply(http.StatusBadRequest, map[string]any{"ok": false, "error": "invalid_payload"})
		return
	}

	f.mu.Lock()
	ru, ok := f.respURLs[r.URL.Path]
	switch {
	case !ok:
		f.mu.Unlock()
		record("no_service")
		reply(http.StatusNotFound, map[string]any{"ok": false, "error": "no_service"})
		return
	case time.Since(ru.issued) > ResponseURLTTL, ru.uses >= MaxResponseURLUses:
		ru.answerLocked(Response{Error: "expired_url"})
		f.mu.Unlock()
		record("expired_url")
		reply(http.StatusNotFound, map[string]any{"ok": false, "error": "expired_url"})
		return
	}
	f.mu.Unlock()
	answer := Response{Text: msg.Text, Blocks: normalizeBlocksJSON(msg.Blocks), ResponseType: msg.ResponseType, ReplaceOriginal: msg.ReplaceOriginal, DeleteOriginal: msg.DeleteOriginal}

	var blocks json.RawMessage
	if !msg.DeleteOriginal {
		var e *apiError
		if blocks, e = messageInput(msg.Text, msg.Blocks); e != nil {
			answer.Error = e.code
			f.mu.Lock()
			ru.answerLocked(answer)
			f.mu.Unlock()
			record(e.code)
			out := map[string]any{"ok": false, "error": e.code}
			if len(e.messages) > 0 {
				out["response_metadata"] = map[string]any{"messages": e.messages}
			}
			reply(http.StatusOK, out)
			return
		}
	}

	f.mu.Lock()
	ru.uses++
	errCode := f.applyResponseLocked(ru.user, ru.channel, ru.msgTS, ru.msgEphemeral, msg.Text, blocks, msg.ResponseType, msg.ReplaceOriginal, msg.DeleteOriginal, msg.ThreadTS)
	f.recordLocked(req, body, errCode)
	answer.Error = errCode
	ru.answerLocked(answer)
	f.mu.Unlock()
	if errCode != "" {
		reply(http.StatusNotFound, map[string]any{"ok": false, "error": errCode})
		return
	}
	reply(http.StatusOK, map[string]any{"ok": true})
}

// applyResponseLocked shows a response (response_url post or slash ack)
// the way Slack does. It returns an error code, or "".
func (f *Fake) applyResponseLocked(user, channel, origTS string, origEphemeral bool, text string, blocks json.RawMessage, responseType string, replace, del bool, threadTS string) string {
	if (replace || del) && origTS != "" {
		orig := f.findVisibleLocked(user, channel, origTS)
		if orig == nil {
			return "message_not_found"
		}
		if del {
			if orig.Ephemeral {
				orig.Deleted = true
			} else {
				f.deleteLocked(orig)
			}
			return ""
		}
		if orig.Ephemeral {
			orig.Text, orig.Blocks, orig.Replaced = text, blocks, true
			orig.Edits++
		} else {
			f.editLocked(orig, text, blocks, "response_url")
		}
		return ""
	}
	if del {
		return "message_not_found"
	}
	m := &Message{TS: f.nextTSLocked(), Channel: channel, User: f.opts.BotUserID, Text: text, Blocks: blocks, ThreadTS: threadTS}
	if responseType == "in_channel" {
		f.addMessageLocked(m, "response_url")
		return ""
	}
	m.Ephemeral, m.VisibleTo = true, user
	f.ephem = append(f.ephem, m)
	return ""
}

// findVisibleLocked finds a message user can see in channel: a channel
// message or one of their ephemerals.
func (f *Fake) findVisibleLocked(user, channel, ts string) *Message {
	if m := f.findMessageLocked(channel, ts); m != nil {
		return m
	}
	for _, m := range f.ephem {
		if m.Channel == channel && m.TS == ts && m.VisibleTo == user {
			return m
		}
	}
	return nil
}
