package bot

import (
	"context"
	"errors"
	"time"

	"github.com/PagerDuty/go-pagerduty"

	"github.com/pdbot/pdbot/handlers"
	"github.com/pdbot/pdbot/store"
)

// keyCheckTimeout bounds the PagerDuty check of a new key, which happens
// before the view_submission ack.
const keyCheckTimeout = 2 * time.Second

// storeOps binds the store to one team for handlers.
type storeOps struct {
	b    *Bot
	team string
}

func (s *storeOps) SetLink(ctx context.Context, channel, id string) error {
	return s.b.store.SetLink(ctx, s.team, channel, id)
}

func (s *storeOps) DeleteLink(ctx context.Context, channel string) (bool, error) {
	err := s.b.store.DeleteLink(ctx, s.team, channel)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (s *storeOps) SetMapping(ctx context.Context, user string, a handlers.Actor, override bool) error {
	return s.b.store.SetMapping(ctx, s.team, user, store.Mapping{PDUserID: a.ID, Email: a.Email, Name: a.Name, Override: override, UpdatedAt: s.b.now()})
}

func (s *storeOps) KeyStatus(ctx context.Context, channel string) (string, string, time.Time, error) {
	info, err := s.b.store.APIKeyInfo(ctx, s.team, channel)
	if errors.Is(err, store.ErrNotFound) {
		return "", "", time.Time{}, nil
	}
	if err != nil {
		return "", "", time.Time{}, err
	}
	return info.Last4, info.SetBy, info.UpdatedAt, nil
}

func (s *storeOps) SetKey(ctx context.Context, channel, key, setBy string) error {
	return s.b.store.SetAPIKey(ctx, s.team, channel, store.Secret(key), setBy)
}

func (s *storeOps) DeleteKey(ctx context.Context, channel string) (bool, error) {
	err := s.b.store.DeleteAPIKey(ctx, s.team, channel)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (s *storeOps) CheckKey(ctx context.Context, key string) error {
	ctx, cancel := context.WithTimeout(ctx, keyCheckTimeout)
	defer cancel()
	err := s.b.newPD(store.Secret(key), false).Ping(ctx)
	var ae pagerduty.APIError
	if errors.As(err, &ae) && (ae.StatusCode == 401 || ae.StatusCode == 403) {
		return handlers.ErrKeyRejected
	}
	return err
}
