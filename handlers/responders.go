package handlers

import (
	"context"
	"fmt"
	"strings"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/internal/pdapi"
)

// Add Additional Responders modal IDs.
const (
	RespondersCallback = "responders_submit"
	respPolicyBlock    = "policies"
	respUserBlock      = "users"
	respMsgBlock       = "message"
	respMsgAction      = "message_input"
	maxResponderMsg    = 1000
)

func respondersRoutes() []Route {
	return []Route{
		{
			Kind: Slash, ID: "responders", Usage: "responders [INC] [@USER…] [policy=P]… [user=U]… MESSAGE",
			Help:     "Ask more people or escalation policies to join, as you. Users: @mention, email or ID; policies: \"name\" or ID. Bare, it opens a form.",
			Incident: LeadingRef, NeedsActor: true, Modal: true, Title: "Add responders", FreeText: true,
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				if strings.TrimSpace(r.Text) == "" {
					return respondersModalReply(ctx, r)
				}
				args, msg, err := kvArgs(r.Text, map[string]bool{"policy": true, "user": true}, "")
				if err != nil {
					return Reply{}, err
				}
				var targets []pagerduty.ResponderRequestTarget
				var names []string
				if len(args["policy"])+len(args["user"]) > maxTargets {
					return Reply{}, Userf("Name at most %d responders at once.", maxTargets)
				}
				for _, p := range args["policy"] {
					id, name, err := resolvePolicy(ctx, r, p)
					if err != nil {
						return Reply{}, err
					}
					targets = append(targets, target(id, "escalation_policy_reference"))
					names = append(names, name)
				}
				specs, msg := leadingMentions(msg)
				for _, u := range args["user"] {
					specs = append(specs, splitList(u)...)
				}
				people, err := resolveUsers(ctx, r, specs)
				if err != nil {
					return Reply{}, err
				}
				for _, p := range people {
					targets = append(targets, target(p.ID, "user_reference"))
					names = append(names, p.Name)
				}
				return requestResponders(ctx, r, r.Incident, targets, names, FromSlack(msg))
			},
		},
		{
			Kind: Action, ID: ActionResponders, Help: "Card button: add responders (opens a form).",
			Incident: FromValue, NeedsActor: true, Modal: true, Title: "Add responders",
			Handle: respondersModalReply,
		},
		{
			Kind: Submission, ID: RespondersCallback, Help: "The add-responders form.",
			Incident: FromValue, NeedsActor: true, FreeText: true,
			Validate: func(ctx context.Context, r *Request) map[string]string {
				errs := map[string]string{}
				ps, us := selectedMany(r, respPolicyBlock, PolicySearch), selectedMany(r, respUserBlock, UserSearch)
				if len(ps)+len(us) == 0 {
					errs[respUserBlock] = "Pick at least one person or escalation policy."
				}
				if len(ps)+len(us) > maxTargets {
					errs[respUserBlock] = fmt.Sprintf("Pick at most %d.", maxTargets)
				}
				for _, id := range append(ps, us...) {
					if !pdapi.ValidObjectID(id) {
						errs[respUserBlock] = "Pick responders from the lists."
					}
				}
				if m := value(r, respMsgBlock, respMsgAction); m == "" {
					errs[respMsgBlock] = "Say why you need them: responders get this message."
				} else if len(m) > maxResponderMsg {
					errs[respMsgBlock] = fmt.Sprintf("Keep it under %d characters.", maxResponderMsg)
				}
				if len(errs) == 0 {
					return nil
				}
				return errs
			},
			Handle: func(ctx context.Context, r *Request) (Reply, error) {
				var targets []pagerduty.ResponderRequestTarget
				var names []string
				for _, o := range r.Values[respPolicyBlock][PolicySearch].SelectedOptions {
					targets = append(targets, target(o.Value, "escalation_policy_reference"))
					names = append(names, optionLabel(o))
				}
				for _, o := range r.Values[respUserBlock][UserSearch].SelectedOptions {
					targets = append(targets, target(o.Value, "user_reference"))
					names = append(names, optionLabel(o))
				}
				return requestResponders(ctx, r, r.Incident, targets, names, value(r, respMsgBlock, respMsgAction))
			},
		},
	}
}

func target(id, typ string) pagerduty.ResponderRequestTarget {
	var t pagerduty.ResponderRequestTarget
	t.ID, t.Type = id, typ
	return t
}

func optionLabel(o slack.OptionBlockObject) string {
	if o.Text != nil && o.Text.Text != "" {
		// "Name <email>" → "Name": channel confirmations stay short.
		name, _, _ := strings.Cut(o.Text.Text, " <")
		return name
	}
	return o.Value
}

func requestResponders(ctx context.Context, r *Request, id string, targets []pagerduty.ResponderRequestTarget, names []string, msg string) (Reply, error) {
	msg = strings.TrimSpace(msg)
	if len(targets) == 0 {
		return Reply{}, Userf("Name at least one responder: `policy=\"Database On-Call\"` or `user=@bob` (or a PagerDuty email or ID).")
	}
	if msg == "" {
		return Reply{}, Userf("Add a message saying why you need them: `/pd responders %suser=@bob Need a DBA for the failover`.", exampleRef(r))
	}
	if len(msg) > maxResponderMsg {
		return Reply{}, Userf("Keep the message under %d characters.", maxResponderMsg)
	}
	if !pdapi.ValidObjectID(r.Actor.ID) {
		return Reply{}, Userf("pdbot does not know your PagerDuty user ID. Ask an admin to run `/pd map @you your-pagerduty-email`.")
	}
	// Read right before the request: asking people to join a resolved
	// incident would page them for nothing (a stale form, a late command).
	cur, err := r.Latest(ctx, id)
	if err != nil {
		return Reply{}, err
	}
	if cur.Status == "resolved" {
		return Reply{}, alreadyResolved(cur, respondersWhyNot)
	}
	if _, err := r.PD.RequestResponders(ctx, id, r.Actor.ID, msg, targets); err != nil {
		return Reply{}, err
	}
	for i := range names {
		names[i] = Escape(names[i])
	}
	return Reply{
		InChannel:     true,
		Text:          fmt.Sprintf(":busts_in_silhouette: %s asked %s to join %s via Slack:\n%s", Escape(r.Actor.Name), strings.Join(names, ", "), IncidentLabel(cur), quote(msg)),
		AuditIncident: id,
	}, nil
}

// respondersWhyNot is why pdbot asks nobody to join a resolved incident.
const respondersWhyNot = "asking people to join it would page them for nothing"

func respondersModalReply(ctx context.Context, r *Request) (Reply, error) {
	return formForOpenIncident(ctx, r, respondersWhyNot, RespondersModal)
}

// RespondersModal is the Add Additional Responders form.
func RespondersModal(inc *pagerduty.Incident) *slack.ModalViewRequest {
	return modal(RespondersCallback, "Add responders", "Ask them",
		TextSection("summary", "*"+IncidentLabel(inc)+"*\nEach person or policy you pick is asked to join, with your message."),
		externalSelect(respPolicyBlock, PolicySearch, "Escalation policies", "Type a policy name", true, true),
		externalSelect(respUserBlock, UserSearch, "People", "Type a name or email", true, true),
		textInput(respMsgBlock, respMsgAction, "Message", "Why do you need them?", "", true, false, maxResponderMsg),
		incidentContext(inc.ID),
	)
}
