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
	if errors.Is(err, store.ErrCannotUnseal) {
		return "", "", time.Time{}, unsealAdvice(channel)
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
	pd := s.b.newPD(store.Secret(key), false)
	err := pd.Ping(ctx)
	var ae pagerduty.APIError
	if errors.As(err, &ae) && (ae.StatusCode == 401 || ae.StatusCode == 403) {
		return handlers.ErrKeyRejected
	}
	if err != nil {
		return err
	}
	// A user-level token works, but PagerDuty ignores From with it:
	// everyone would act as its owner.
	return pd.CheckAccountKey(ctx)
}

func (s *storeOps) Overrides(ctx context.Context) ([]handlers.Override, error) {
	ms, err := s.b.store.Overrides(ctx, s.team)
	if err != nil {
		return nil, err
	}
	out := make([]handlers.Override, 0, len(ms))
	for _, um := range ms {
		m := um.Mapping
		out = append(out, handlers.Override{SlackUser: um.SlackUser, Actor: handlers.Actor{ID: m.PDUserID, Email: m.Email, Name: m.Name}, UpdatedAt: m.UpdatedAt})
	}
	return out, nil
}

func (s *storeOps) DeleteOverride(ctx context.Context, user string) (bool, error) {
	m, err := s.b.store.Mapping(ctx, s.team, user)
	if errors.Is(err, store.ErrNotFound) || err == nil && !m.Override {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	err = s.b.store.DeleteMapping(ctx, s.team, user)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// unsealAdvice is what a requester hears when the key stored for channel
// ("" the workspace default) cannot be opened: its record is damaged, or
// was sealed under a master key pdbot no longer has.
func unsealAdvice(channel string) error {
	if channel == store.DefaultChannel {
		return handlers.Userf("pdbot cannot open the PagerDuty key stored as the workspace default (its record is damaged, or pdbot's master key changed without `pdbot keys rotate`). Nothing was sent. Ask a workspace admin to re-enter the workspace default key with `/pd key default`.")
	}
	return handlers.Userf("pdbot cannot open the PagerDuty key stored for this channel (its record is damaged, or pdbot's master key changed without `pdbot keys rotate`). Nothing was sent. Ask a workspace admin to re-enter this channel's key with `/pd key`.")
}

func (s *storeOps) AddSubscription(ctx context.Context, channel string, sub handlers.Subscription) error {
	return s.b.store.AddSubscription(ctx, store.Subscription{Team: s.team, Channel: channel, ServiceID: sub.ServiceID, ServiceName: sub.ServiceName,
		Urgency: sub.Urgency, CreatedBy: sub.CreatedBy, CreatedAt: sub.CreatedAt})
}

func (s *storeOps) Subscriptions(ctx context.Context, channel string) ([]handlers.Subscription, error) {
	subs, err := s.b.store.Subscriptions(ctx, s.team, channel)
	if err != nil {
		return nil, err
	}
	out := make([]handlers.Subscription, 0, len(subs))
	for _, sub := range subs {
		out = append(out, handlers.Subscription{ServiceID: sub.ServiceID, ServiceName: sub.ServiceName, Urgency: sub.Urgency, CreatedBy: sub.CreatedBy, CreatedAt: sub.CreatedAt})
	}
	return out, nil
}

func (s *storeOps) DeleteSubscription(ctx context.Context, channel, serviceID string) (bool, error) {
	err := s.b.store.DeleteSubscription(ctx, s.team, channel, serviceID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}
