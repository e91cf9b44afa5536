package handlers

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/internal/pdapi"
)

// Subscribe modal IDs.
const (
	SubscribeCallback = "subscribe_submit"
	subServicesBlock  = "services"
	subUrgencyBlock   = "urgency"
	subUrgencyAction  = "urgency_choice"
)

// Urgency choices of a subscription; "" (any) is stored for urgencyAny.
const (
	urgencyAny  = "any"
	urgencyHigh = "high"
	urgencyLow  = "low"
)

// maxNameLen bounds a service name pdbot looks up; PagerDuty's names are
// far shorter, and anything longer is not a name.
const maxNameLen = 200

// maxListedSubscriptions keeps /pd subscriptions a readable message, far
// inside Slack's 40,000 characters of message text.
const maxListedSubscriptions = 50

// slackUserRe is a Slack user ID, safe to put in a mention.
var slackUserRe = regexp.MustCompile(`^[UW][A-Z0-9]+$`)

// subscribeSteers is what guests, bots and strangers are told they cannot do.
const subscribeSteers = "change which PagerDuty services this channel follows"

func subscribeRoutes() []Route {
	return []Route{
		{
			Kind: Slash, ID: "subscribe", Usage: "subscribe SERVICE… [urgency=high|low]",
			Help:       "Post a live card here for every new incident on those services (names or IDs, comma-separated). Bare, it opens a form.",
			NeedsActor: true, NoGuests: true, Steers: subscribeSteers, Modal: true, Title: "Subscribe",
			Handle: subscribeSlash,
		},
		{
			Kind: Submission, ID: SubscribeCallback, Help: "The subscribe form.",
			NeedsActor: true, NoGuests: true, Steers: subscribeSteers,
			Validate: func(ctx context.Context, r *Request) map[string]string {
				ids := selectedMany(r, subServicesBlock, ServiceSearch)
				switch {
				case len(ids) == 0:
					return map[string]string{subServicesBlock: "Pick at least one service from the list."}
				case len(ids) > maxTargets:
					return map[string]string{subServicesBlock: fmt.Sprintf("Pick at most %d services at once.", maxTargets)}
				case slices.ContainsFunc(ids, func(id string) bool { return !pdapi.ValidObjectID(id) }):
					return map[string]string{subServicesBlock: "Pick the services from the list."}
				}
				if _, ok := parseUrgency(selected(r, subUrgencyBlock, subUrgencyAction)); !ok {
					return map[string]string{subUrgencyBlock: "Pick an urgency."}
				}
				return nil
			},
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				urgency, _ := parseUrgency(selected(r, subUrgencyBlock, subUrgencyAction))
				if err := requireChannelForLive(ctx, r); err != nil {
					return Reply{}, err
				}
				var services []pdapi.Service
				for _, id := range selectedMany(r, subServicesBlock, ServiceSearch) {
					sv, err := r.PD.GetService(ctx, id)
					var ae pagerduty.APIError
					if errors.As(err, &ae) && ae.NotFound() {
						return Reply{}, Userf("PagerDuty has no service %s with this channel's key, so nothing was subscribed. Open the form again and pick from the list.", id)
					}
					if err != nil {
						return Reply{}, err
					}
					services = append(services, sv)
				}
				return subscribe(ctx, r, services, urgency)
			},
		},
		{
			Kind: Slash, ID: "subscriptions", Usage: "subscriptions",
			Help:   "List the services this channel gets live cards for.",
			Handle: listSubscriptions,
		},
		{
			Kind: Slash, ID: "unsubscribe", Usage: "unsubscribe [SERVICE…|all]",
			Help:     "Stop this channel's live cards for those services (as subscribed), or for all of them.",
			NoGuests: true, Steers: subscribeSteers,
			Handle: unsubscribe,
		},
	}
}

// parseUrgency reads an urgency choice: "" (any), high or low.
func parseUrgency(s string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", urgencyAny:
		return "", true
	case urgencyHigh:
		return urgencyHigh, true
	case urgencyLow:
		return urgencyLow, true
	}
	return "", false
}

// urgencyText describes a subscription's urgency for people.
func urgencyText(u string) string {
	if u == "" {
		return "any urgency"
	}
	return u + " urgency only"
}

func subscribeSlash(ctx context.Context, r *Request) (Reply, error) {
	text := strings.TrimSpace(FromSlack(r.Text))
	args, rest, err := kvArgs(text, map[string]bool{"urgency": true}, "")
	if err != nil {
		return Reply{}, err
	}
	urgency := ""
	if us := args["urgency"]; len(us) > 1 {
		return Reply{}, Userf("Give `urgency=` once: `urgency=high` or `urgency=low` (leave it out for both).")
	} else if len(us) == 1 {
		u, ok := parseUrgency(us[0])
		if !ok || us[0] == "" {
			return Reply{}, Userf("Urgency is `high` or `low` (leave `urgency=` out for both), so nothing was subscribed.")
		}
		urgency = u
	}
	var names []string
	for _, n := range splitList(rest) {
		if n = strings.TrimSpace(strings.Trim(n, `"“”`)); n != "" {
			names = append(names, n)
		}
	}
	if len(names) == 0 && len(args) == 0 {
		if err := requireChannelForLive(ctx, r); err != nil {
			return Reply{}, err
		}
		return Reply{Modal: SubscribeModal(), NoAudit: true}, nil
	}
	if len(names) == 0 {
		return Reply{}, Userf("Name the services to follow, comma-separated: `/pd subscribe Orders DB, Checkout Web urgency=high`.")
	}
	if len(names) > maxTargets {
		return Reply{}, Userf("That is %d services; name at most %d at once.", len(names), maxTargets)
	}
	if err := requireChannelForLive(ctx, r); err != nil {
		return Reply{}, err
	}
	var services []pdapi.Service
	var problems []string
	seen := map[string]bool{}
	for _, n := range names {
		sv, problem, err := findService(ctx, r, n)
		if err != nil {
			return Reply{}, err
		}
		if problem != "" {
			problems = append(problems, problem)
			continue
		}
		if !seen[sv.ID] {
			seen[sv.ID] = true
			services = append(services, sv)
		}
	}
	if len(problems) > 0 {
		return Reply{}, Userf("Nothing was subscribed: %s. Give each service's exact name or its ID, comma-separated, or run `/pd subscribe` alone to pick from a list.", strings.Join(problems, "; "))
	}
	return subscribe(ctx, r, services, urgency)
}

// findService finds a service by ID or by name with the channel's key: an
// exact (case-insensitive) name wins over partial matches, the only
// partial match is taken, and several partial matches are a problem to
// tell the requester about, as is no match.
func findService(ctx context.Context, r *Request, spec string) (sv pdapi.Service, problem string, err error) {
	if LooksLikeSecret(spec) {
		return pdapi.Service{}, "", Userf("That looks like an API key, not a service name, so pdbot did not look it up and subscribed nothing. If it is a real key, regenerate it in PagerDuty, then set the new one with `/pd key`.")
	}
	if len(spec) > maxNameLen {
		return pdapi.Service{}, "a service name is at most " + fmt.Sprint(maxNameLen) + " characters", nil
	}
	if pdapi.ValidObjectID(spec) {
		sv, err := r.PD.GetService(ctx, spec)
		var ae pagerduty.APIError
		if !errors.As(err, &ae) || !ae.NotFound() {
			return sv, "", err
		}
		// Not an ID PagerDuty knows: perhaps a name shaped like one.
	}
	const shown = 5
	var exact *pdapi.Service
	var partial []pdapi.Service
	more := 0
	err = r.PD.SearchServices(ctx, spec, func(s pdapi.Service) bool {
		if strings.EqualFold(s.Name, spec) {
			exact = &s
			return false
		}
		if len(partial) < shown+1 {
			partial = append(partial, s)
		} else {
			more++
		}
		return true
	})
	if err != nil {
		return pdapi.Service{}, "", err
	}
	switch {
	case exact != nil:
		return *exact, "", nil
	case len(partial) == 1:
		return partial[0], "", nil
	case len(partial) == 0:
		return pdapi.Service{}, "no service is called “" + Escape(spec) + "”", nil
	}
	var names []string
	for i, s := range partial {
		if i == shown {
			names = append(names, fmt.Sprintf("%d more", len(partial)-shown+more))
			break
		}
		names = append(names, "“"+Escape(s.Name)+"” ("+s.ID+")")
	}
	return pdapi.Service{}, "“" + Escape(spec) + "” matches several services: " + strings.Join(names, ", "), nil
}

// requireChannelForLive refuses, before anything is saved, a request for
// live cards where pdbot could not post them.
func requireChannelForLive(ctx context.Context, r *Request) error {
	if r.Channel == "" || strings.HasPrefix(r.Channel, "D") {
		return Userf("Subscriptions are for channels: run `/pd subscribe` in the channel that should get the live cards.")
	}
	in, err := r.Slack.BotInChannel(ctx, r.Channel)
	if err != nil {
		return err
	}
	if !in {
		return Userf("pdbot is not in this channel, so it could not post live cards here and subscribed nothing. Invite it with `/invite @pdbot`, then run `/pd subscribe` again.")
	}
	return nil
}

// subscribe saves the channel's subscriptions to services and announces
// the change in the channel.
func subscribe(ctx context.Context, r *Request, services []pdapi.Service, urgency string) (Reply, error) {
	existing, err := r.Store.Subscriptions(ctx, r.Channel)
	if err != nil {
		return Reply{}, fmt.Errorf("read subscriptions: %w", err)
	}
	had := map[string]Subscription{}
	for _, s := range existing {
		had[s.ServiceID] = s
	}
	var added, changed, same []string
	for _, sv := range services {
		label := "*" + Escape(sv.Name) + "*"
		old, ok := had[sv.ID]
		if ok && old.Urgency == urgency {
			same = append(same, label)
			continue
		}
		s := Subscription{ServiceID: sv.ID, ServiceName: sv.Name, Urgency: urgency, CreatedBy: r.User, CreatedAt: r.Now()}
		if err := r.Store.AddSubscription(ctx, r.Channel, s); err != nil {
			return Reply{}, fmt.Errorf("save subscription: %w", err)
		}
		if ok {
			changed = append(changed, label)
		} else {
			added = append(added, label)
		}
	}
	if len(added) == 0 && len(changed) == 0 {
		return Reply{NoAudit: true, Text: fmt.Sprintf("This channel already follows %s (%s); nothing changed. `/pd subscriptions` lists what it follows.", joinAnd(same), urgencyText(urgency))}, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, ":bell: %s", Escape(r.UserName))
	if len(added) > 0 {
		fmt.Fprintf(&b, " subscribed this channel to new incidents on %s (%s)", joinAnd(added), urgencyText(urgency))
	}
	if len(changed) > 0 {
		if len(added) > 0 {
			b.WriteString(", and")
		}
		fmt.Fprintf(&b, " changed this channel's subscription to %s to %s", joinAnd(changed), urgencyText(urgency))
	}
	b.WriteString(". Each new incident gets a live card here, kept up to date. `/pd subscriptions` lists them, `/pd unsubscribe` stops them.")
	if len(same) > 0 {
		fmt.Fprintf(&b, " (Already followed: %s.)", joinAnd(same))
	}
	return Reply{InChannel: true, Text: b.String()}, nil
}

// joinAnd joins labels as "A, B and C".
func joinAnd(ls []string) string {
	if len(ls) <= 1 {
		return strings.Join(ls, "")
	}
	return strings.Join(ls[:len(ls)-1], ", ") + " and " + ls[len(ls)-1]
}

func listSubscriptions(ctx context.Context, r *Request) (Reply, error) {
	subs, err := r.Store.Subscriptions(ctx, r.Channel)
	if err != nil {
		return Reply{}, fmt.Errorf("read subscriptions: %w", err)
	}
	if len(subs) == 0 {
		return Reply{NoAudit: true, Text: "This channel follows no PagerDuty services. `/pd subscribe SERVICE…` posts a live card here for every new incident on them."}, nil
	}
	var b strings.Builder
	b.WriteString("*This channel gets a live card for every new incident on:*")
	for i, s := range subs {
		if i == maxListedSubscriptions {
			fmt.Fprintf(&b, "\n…and %d more.", len(subs)-i)
			break
		}
		by := ""
		if slackUserRe.MatchString(s.CreatedBy) {
			by = " by <@" + s.CreatedBy + ">"
		}
		when := ""
		if !s.CreatedAt.IsZero() {
			when = " on " + s.CreatedAt.UTC().Format("2006-01-02 15:04 UTC")
		}
		fmt.Fprintf(&b, "\n• *%s* (`%s`) — %s — subscribed%s%s", Escape(subName(s)), Escape(s.ServiceID), urgencyText(s.Urgency), by, when)
	}
	b.WriteString("\n`/pd unsubscribe SERVICE…` (or `all`) stops them.")
	return Reply{NoAudit: true, Text: b.String()}, nil
}

func subName(s Subscription) string {
	if s.ServiceName != "" {
		return s.ServiceName
	}
	return s.ServiceID
}

func unsubscribe(ctx context.Context, r *Request) (Reply, error) {
	subs, err := r.Store.Subscriptions(ctx, r.Channel)
	if err != nil {
		return Reply{}, fmt.Errorf("read subscriptions: %w", err)
	}
	text := strings.TrimSpace(FromSlack(r.Text))
	if len(subs) == 0 {
		return Reply{NoAudit: true, Text: "This channel follows no PagerDuty services, so there is nothing to unsubscribe from."}, nil
	}
	var labels []string
	for _, s := range subs {
		labels = append(labels, "*"+Escape(subName(s))+"*")
	}
	if text == "" {
		return Reply{NoAudit: true, Text: fmt.Sprintf("Say which to stop: this channel follows %s. For example `/pd unsubscribe %s`, or `/pd unsubscribe all`.", joinAnd(labels), Escape(subName(subs[0])))}, nil
	}
	var drop []Subscription
	if strings.EqualFold(text, "all") {
		drop = subs
	} else {
		var problems []string
		seen := map[string]bool{}
		for _, n := range splitList(text) {
			n = strings.TrimSpace(strings.Trim(n, `"“”`))
			s, problem := findSubscription(subs, n)
			if problem != "" {
				problems = append(problems, problem)
				continue
			}
			if !seen[s.ServiceID] {
				seen[s.ServiceID] = true
				drop = append(drop, s)
			}
		}
		if len(problems) > 0 {
			return Reply{}, Userf("Nothing was unsubscribed: %s. This channel follows %s; name them as `/pd subscriptions` lists them, or say `all`.", strings.Join(problems, "; "), joinAnd(labels))
		}
	}
	var gone []string
	for _, s := range drop {
		existed, err := r.Store.DeleteSubscription(ctx, r.Channel, s.ServiceID)
		if err != nil {
			return Reply{}, fmt.Errorf("delete subscription: %w", err)
		}
		if existed {
			gone = append(gone, "*"+Escape(subName(s))+"*")
		}
	}
	if len(gone) == 0 {
		return Reply{NoAudit: true, Text: "Someone removed those subscriptions a moment ago; nothing changed."}, nil
	}
	return Reply{InChannel: true, Text: fmt.Sprintf(":no_bell: %s unsubscribed this channel from new incidents on %s. Live cards already posted are still kept up to date.", Escape(r.UserName), joinAnd(gone))}, nil
}

// findSubscription finds one of a channel's subscriptions by the service's
// ID or by its name as subscribed: an exact (case-insensitive) name, else
// the only partial match.
func findSubscription(subs []Subscription, spec string) (Subscription, string) {
	var partial []Subscription
	for _, s := range subs {
		if s.ServiceID == spec || strings.EqualFold(s.ServiceName, spec) {
			return s, ""
		}
		if spec != "" && strings.Contains(strings.ToLower(s.ServiceName), strings.ToLower(spec)) {
			partial = append(partial, s)
		}
	}
	switch len(partial) {
	case 0:
		return Subscription{}, "this channel does not follow “" + Escape(clip(spec, maxNameLen)) + "”"
	case 1:
		return partial[0], ""
	}
	var names []string
	for _, s := range partial {
		names = append(names, "“"+Escape(s.ServiceName)+"”")
	}
	return Subscription{}, "“" + Escape(clip(spec, maxNameLen)) + "” could be " + strings.Join(names, " or ")
}

// SubscribeModal is the bare `/pd subscribe` form: services by type-ahead
// and an urgency.
func SubscribeModal() *slack.ModalViewRequest {
	opt := func(v, label string) *slack.OptionBlockObject {
		return slack.NewOptionBlockObject(v, plain(label), nil)
	}
	anyOpt := opt(urgencyAny, "Any urgency")
	radio := slack.NewRadioButtonsBlockElement(subUrgencyAction, anyOpt, opt(urgencyHigh, "High urgency only"), opt(urgencyLow, "Low urgency only"))
	radio.InitialOption = anyOpt
	return modal(SubscribeCallback, "Subscribe", "Subscribe",
		TextSection("summary", "This channel gets a live card for every new incident on the services you pick, kept up to date as the incident changes."),
		externalSelect(subServicesBlock, ServiceSearch, "Services", "Type a service name", true, false),
		slack.NewInputBlock(subUrgencyBlock, plain("Incidents of"), nil, radio),
	)
}
