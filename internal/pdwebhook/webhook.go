package pdwebhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/PagerDuty/go-pagerduty/webhookv3"
)

// Limits of a delivery.
const (
	// MaxAge is how old a delivery may be (its event's occurred_at): older
	// ones are refused as replays (DESIGN.md).
	MaxAge = 5 * time.Minute
	// seenTTL keeps the record of a delivery's event past MaxAge, so a
	// replay within the window is recognised.
	seenTTL = 2 * MaxAge
	// maxBody bounds what is read of a delivery; PagerDuty's are a few KiB.
	maxBody = 1 << 20
)

// Event is what a delivery says changed.
type Event struct {
	ID         string    // the webhook event's own ID
	Type       string    // e.g. incident.acknowledged
	IncidentID string    // "" for events not about an incident
	ServiceID  string    // the incident's service, when given
	OccurredAt time.Time //
}

// Claimer records an ID once across replicas (store.Store's Claim).
type Claimer interface {
	Claim(ctx context.Context, id string, ttl time.Duration) (bool, error)
}

// Handler verifies and accepts PagerDuty v3 webhook deliveries signed with
// secret, and calls changed for each one accepted, once per event across
// replicas. It answers 204 when accepted, 401 when unsigned or badly
// signed, 400 when malformed or older than MaxAge, 409 when seen before.
func Handler(secret string, claims Claimer, now func() time.Time, changed func(Event)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil || len(body) > maxBody {
			http.Error(w, "unreadable or too large", http.StatusBadRequest)
			return
		}
		// PagerDuty lists several signatures (during a secret's rotation)
		// separated by commas; webhookv3 expects no spaces between them.
		r.Header.Set("X-PagerDuty-Signature", strings.ReplaceAll(r.Header.Get("X-PagerDuty-Signature"), " ", ""))
		r.Body = io.NopCloser(bytes.NewReader(body))
		if err := webhookv3.VerifySignature(r, secret); err != nil {
			status := http.StatusUnauthorized
			if errors.Is(err, webhookv3.ErrMalformedBody) {
				status = http.StatusBadRequest
			}
			http.Error(w, "signature not verified", status)
			return
		}
		ev, err := parse(body)
		if err != nil {
			http.Error(w, "not a PagerDuty v3 webhook event", http.StatusBadRequest)
			return
		}
		if age := now().Sub(ev.OccurredAt); age > MaxAge || age < -MaxAge {
			http.Error(w, "stale delivery", http.StatusBadRequest)
			return
		}
		first, err := claims.Claim(r.Context(), "webhook:"+ev.ID, seenTTL)
		if err != nil {
			http.Error(w, "cannot record the delivery; retry", http.StatusServiceUnavailable)
			return
		}
		if !first {
			http.Error(w, "delivery seen before", http.StatusConflict)
			return
		}
		changed(ev)
		w.WriteHeader(http.StatusNoContent)
	})
}

// parse reads the parts of a v3 webhook payload the pipeline uses.
func parse(body []byte) (Event, error) {
	var p struct {
		Event struct {
			ID           string    `json:"id"`
			EventType    string    `json:"event_type"`
			ResourceType string    `json:"resource_type"`
			OccurredAt   time.Time `json:"occurred_at"`
			Data         struct {
				ID       string `json:"id"`
				Type     string `json:"type"`
				Incident struct {
					ID string `json:"id"`
				} `json:"incident"`
				Service struct {
					ID string `json:"id"`
				} `json:"service"`
			} `json:"data"`
		} `json:"event"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return Event{}, err
	}
	e := p.Event
	if e.ID == "" || e.EventType == "" || e.OccurredAt.IsZero() {
		return Event{}, errors.New("missing id, event_type or occurred_at")
	}
	ev := Event{ID: e.ID, Type: e.EventType, OccurredAt: e.OccurredAt, ServiceID: e.Data.Service.ID}
	switch {
	case e.ResourceType == "incident" || e.Data.Type == "incident":
		ev.IncidentID = e.Data.ID
	case e.Data.Incident.ID != "":
		ev.IncidentID = e.Data.Incident.ID // incident.annotated and the like carry the incident inside
	}
	return ev, nil
}
