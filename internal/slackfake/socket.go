package slackfake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Socket Mode limits (slack-platform-notes §1).
const (
	// MaxConnections is how many sockets Slack allows per app at once; the
	// next one gets a too_many_websockets disconnect.
	MaxConnections = 10
	// MaxClientFrame is the size from which Slack refuses a client frame,
	// closing the socket with 1009 "Max frame length of 20480 has been exceeded".
	MaxClientFrame = 20480
	// AckTimeout is how long Slack waits for an envelope's ack.
	AckTimeout = 3 * time.Second
	// ticketTTL is how long an apps.connections.open URL stays usable.
	ticketTTL = 30 * time.Second
	// approximateConnectionTime is hello's debug_info value (seconds, ≈ 5 h).
	approximateConnectionTime = 18060
	// disconnectGrace is how long the fake keeps a socket open after telling
	// the client to go away (Slack: ≈ 10 s after a warning).
	disconnectGrace = 10 * time.Second
)

// Disconnect reasons Slack sends.
const (
	ReasonWarning           = "warning"
	ReasonRefreshRequested  = "refresh_requested"
	ReasonLinkDisabled      = "link_disabled"
	ReasonTooManyWebsockets = "too_many_websockets"
)

// ErrNoConnection is returned by an interaction when no socket connected
// within Options.ConnectWait.
var ErrNoConnection = errors.New("slackfake: no Socket Mode connection")

type conn struct {
	id       int
	ws       *websocket.Conn
	wmu      sync.Mutex // one writer at a time (gorilla)
	once     sync.Once
	done     chan struct{}
	draining bool // guarded by Fake.mu: told to disconnect, gets no new envelopes
}

func (c *conn) writeJSON(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.writeJSONLocked(v)
}

func (c *conn) writeJSONLocked(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

func (c *conn) close(code int, reason string) {
	c.once.Do(func() {
		_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
		_ = c.ws.Close()
		close(c.done)
	})
}

var upgrader = websocket.Upgrader{
	// slack-go dials with Origin: https://api.slack.com; the default check
	// would refuse it (403) and the client would loop reconnecting.
	CheckOrigin: func(*http.Request) bool { return true },
}

// handleConnectionsOpen answers apps.connections.open (token already checked).
func (f *Fake) connectionsOpen() map[string]any {
	ticket := newUUID()
	f.mu.Lock()
	f.tickets[ticket] = time.Now()
	f.mu.Unlock()
	u := "ws://" + f.ln.Addr().String() + "/link/?ticket=" + ticket + "&app_id=" + randHex(16)
	return map[string]any{"ok": true, "url": u}
}

func (f *Fake) serveSocket(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket") // debug_reconnects and app_id are ignored
	f.mu.Lock()
	issued, ok := f.tickets[ticket]
	delete(f.tickets, ticket) // one-shot
	f.mu.Unlock()
	if !ok || time.Since(issued) > ticketTTL {
		f.logf("slackfake: socket refused: unknown, used or expired ticket")
		http.Error(w, "invalid ticket", http.StatusUnauthorized)
		return
	}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		f.logf("slackfake: websocket upgrade: %v", err)
		return
	}
	c := &conn{ws: ws, done: make(chan struct{})}

	// Register before hello so Connections() counts the socket by the time
	// the client sees hello; holding the write lock keeps any envelope
	// behind hello.
	c.wmu.Lock()
	f.mu.Lock()
	if f.ctx.Err() != nil {
		f.mu.Unlock()
		c.wmu.Unlock()
		c.close(websocket.CloseGoingAway, "server shutting down")
		return
	}
	if open := len(f.conns); open >= MaxConnections {
		f.mu.Unlock()
		f.logf("slackfake: socket refused: %d already open", open)
		_ = c.writeJSONLocked(disconnectFrame(ReasonTooManyWebsockets))
		c.wmu.Unlock()
		c.close(websocket.ClosePolicyViolation, "too many websockets")
		return
	}
	f.connSeq++
	c.id = f.connSeq
	f.conns[c.id] = c
	n := len(f.conns)
	f.mu.Unlock()
	hello := map[string]any{
		"type":            "hello",
		"num_connections": n,
		"debug_info": map[string]any{
			"host":                        fmt.Sprintf("applink-fake-%d", c.id),
			"build_number":                1,
			"approximate_connection_time": approximateConnectionTime,
		},
		"connection_info": map[string]any{"app_id": f.opts.AppID},
	}
	err = c.writeJSONLocked(hello)
	c.wmu.Unlock()
	if err != nil {
		f.mu.Lock()
		delete(f.conns, c.id)
		f.mu.Unlock()
		c.close(websocket.CloseInternalServerErr, "")
		return
	}
	f.ping(c)
	f.logf("slackfake: socket %d connected (%d open)", c.id, n)

	f.goTracked(func() { f.pingLoop(c) })
	if !f.goTracked(func() { f.readLoop(c) }) {
		c.close(websocket.CloseGoingAway, "server shutting down")
	}
}

// goTracked runs fn in a goroutine Close waits for, unless the fake is
// closing (then it reports false and does nothing).
func (f *Fake) goTracked(fn func()) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ctx.Err() != nil {
		return false
	}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		fn()
	}()
	return true
}

func disconnectFrame(reason string) map[string]any {
	return map[string]any{"type": "disconnect", "reason": reason, "debug_info": map[string]any{"host": "applink-fake"}}
}

func (f *Fake) ping(c *conn) {
	// WriteControl may run concurrently with the other write methods.
	_ = c.ws.WriteControl(websocket.PingMessage, []byte(time.Now().Format(time.RFC3339Nano)), time.Now().Add(5*time.Second))
}

func (f *Fake) pingLoop(c *conn) {
	t := time.NewTicker(f.opts.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-f.ctx.Done():
			return
		case <-c.done:
			return
		case <-t.C:
			f.ping(c)
		}
	}
}

func (f *Fake) readLoop(c *conn) {
	defer func() {
		c.close(websocket.CloseNormalClosure, "")
		f.mu.Lock()
		delete(f.conns, c.id)
		n := len(f.conns)
		f.mu.Unlock()
		f.logf("slackfake: socket %d closed (%d open)", c.id, n)
	}()
	// Read whole messages up to 1 MiB, then refuse anything ≥ 20 KiB the way
	// Slack does, with its close reason.
	c.ws.SetReadLimit(1 << 20)
	for {
		mt, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		if len(data) >= MaxClientFrame {
			f.mu.Lock()
			f.rejected++
			f.mu.Unlock()
			f.logf("slackfake: socket %d sent a %d-byte frame; closing with 1009", c.id, len(data))
			c.close(websocket.CloseMessageTooBig, fmt.Sprintf("Max frame length of %d has been exceeded", MaxClientFrame))
			return
		}
		if mt != websocket.TextMessage {
			continue
		}
		var a struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if err := json.Unmarshal(data, &a); err != nil || a.EnvelopeID == "" {
			f.logf("slackfake: socket %d sent a frame that is not an ack", c.id)
			continue
		}
		f.recordAck(a.EnvelopeID, a.Payload, time.Now())
	}
}

// Connections is the number of open sockets.
func (f *Fake) Connections() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.conns)
}

// RejectedFrames is how many client frames were refused for size.
func (f *Fake) RejectedFrames() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rejected
}

// Disconnect sends a disconnect frame with reason (warning,
// refresh_requested, link_disabled, too_many_websockets) to every open
// socket. Those sockets get no further envelopes and are closed by the
// server if the client has not closed them within 10 s.
func (f *Fake) Disconnect(reason string) {
	for _, c := range f.openConns() {
		f.mu.Lock()
		c.draining = true
		f.mu.Unlock()
		if err := c.writeJSON(disconnectFrame(reason)); err != nil {
			c.close(websocket.CloseGoingAway, "")
			continue
		}
		f.logf("slackfake: socket %d told to disconnect (%s)", c.id, reason)
		f.goTracked(func() {
			t := time.NewTimer(disconnectGrace)
			defer t.Stop()
			select {
			case <-t.C:
				c.close(websocket.CloseGoingAway, "")
			case <-c.done:
			case <-f.ctx.Done():
			}
		})
	}
}

// CloseConnections closes every open socket from the server side (close 1001).
func (f *Fake) CloseConnections() {
	for _, c := range f.openConns() {
		c.close(websocket.CloseGoingAway, "server closed the connection")
	}
}

func (f *Fake) openConns() []*conn {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]*conn, 0, len(f.conns))
	for _, c := range f.conns {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// pickConnLocked chooses the next socket round-robin among those not draining.
func (f *Fake) pickConnLocked() *conn {
	var live []*conn
	for _, c := range f.conns {
		if !c.draining {
			live = append(live, c)
		}
	}
	if len(live) == 0 {
		return nil
	}
	sort.Slice(live, func(i, j int) bool { return live[i].id < live[j].id })
	c := live[f.rr%len(live)]
	f.rr++
	return c
}

// deliver sends env to exactly one socket, waiting up to ConnectWait for one.
func (f *Fake) deliver(env *envelope) error {
	frame := map[string]any{
		"envelope_id":              env.id,
		"type":                     env.typ,
		"payload":                  env.payload,
		"accepts_response_payload": env.accepts,
	}
	if env.typ == "events_api" {
		frame["retry_attempt"] = env.attempt
		frame["retry_reason"] = ""
		if env.attempt > 0 {
			frame["retry_reason"] = "timeout"
		}
	}
	ctx, cancel := context.WithTimeout(f.ctx, f.opts.ConnectWait)
	defer cancel()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		f.mu.Lock()
		c := f.pickConnLocked()
		if c != nil {
			env.sentAt = time.Now()
			env.connID = c.id
		}
		f.mu.Unlock()
		if c != nil {
			if err := c.writeJSON(frame); err == nil {
				f.logf("slackfake: envelope %s (%s) sent on socket %d", env.id, env.kind, c.id)
				return nil
			}
			c.close(websocket.CloseGoingAway, "")
			continue
		}
		select {
		case <-ctx.Done():
			f.mu.Lock()
			delete(f.envelopes, env.id)
			f.mu.Unlock()
			return fmt.Errorf("%w within %s", ErrNoConnection, f.opts.ConnectWait)
		case <-tick.C:
		}
	}
}
