package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/internal/pdapi"
)

// Trigger modal IDs.
const (
	TriggerCallback    = "trigger_submit"
	trigServiceBlock   = "service"
	trigTitleBlock     = "title"
	trigTitleAction    = "title_input"
	trigUrgencyBlock   = "urgency"
	trigDetailsBlock   = "details"
	trigDetailsAction  = "details_input"
	trigAssigneeBlock  = "assignee"
	trigPolicyBlock    = "policy"
	trigChannelBlock   = "channel"
	trigChannelAction  = "open_channel"
	trigChannelChecked = "open"
)

// Limits of a triggered incident.
const (
	// maxTriggerTitle bounds a title: PagerDuty documents no limit, and a
	// title longer than this is not a title (cards clip far shorter).
	maxTriggerTitle = 1024
	// maxTriggerDetails is the most a plain_text_input takes (Slack's
	// 3000-character ceiling, slack-platform-notes §4).
	maxTriggerDetails = 3000
	// maxChannelName is Slack's limit on a channel name
	// (conversations.create: invalid_name_maxlength beyond).
	maxChannelName = 80
	// maxChannelNameTries bounds the -2, -3… suffixes tried for a name
	// Slack says is taken.
	maxChannelNameTries = 10
	// maxServiceWords bounds how many leading words can name a service.
	maxServiceWords = 12
)

// triggerSteers is what guests, bots and strangers are told they cannot do.
const triggerSteers = "trigger PagerDuty incidents"

// ErrNameTaken is what ChannelOps.CreateChannel returns when Slack has a
// channel of that name already (name_taken).
var ErrNameTaken = errors.New("channel name taken")

// ChannelOps is the slice of Slack that opens an incident channel.
type ChannelOps interface {
	// CreateChannel makes a public channel with pdbot in it and returns its
	// ID; ErrNameTaken when the name is in use.
	CreateChannel(ctx context.Context, name string) (string, error)
	// SetTopic sets a channel's topic.
	SetTopic(ctx context.Context, channel, topic string) error
	// Invite adds a user to a channel; one already in it is no error.
	Invite(ctx context.Context, channel, user string) error
}

func triggerRoutes() []Route {
	return []Route{
		{
			Kind: Slash, ID: "trigger", Usage: "trigger [SERVICE] TITLE",
			Help:       "Open a PagerDuty incident as you. SERVICE is its name (quoted, or the leading words that are exactly a service's name) or ID. Bare, or without a service, it opens a form that can also open an incident channel.",
			NeedsActor: true, NoGuests: true, Steers: triggerSteers, Modal: true, Title: "Trigger incident", FreeText: true,
			Handle: triggerSlash,
		},
		{
			Kind: Submission, ID: TriggerCallback, Help: "The trigger form.",
			NeedsActor: true, NoGuests: true, Steers: triggerSteers, FreeText: true,
			Validate: validateTrigger,
			Handle:   triggerSubmission,
		},
	}
}

// triggerForm is what the trigger form opens with.
type triggerForm struct {
	service pdapi.Service // zero: none picked
	title   string
	note    string // mrkdwn (escaped) said above the fields
}

// TriggerModal is the `/pd trigger` form: service, title, urgency,
// details, who is paged first, and whether to open an incident channel.
func TriggerModal() *slack.ModalViewRequest { return triggerModal(triggerForm{}) }

func triggerModal(f triggerForm) *slack.ModalViewRequest {
	opt := func(v, label string) *slack.OptionBlockObject {
		return slack.NewOptionBlockObject(v, plain(label), nil)
	}
	summary := "Opens a PagerDuty incident as you. It pages the service's escalation policy unless you pick one person or another policy."
	if f.note != "" {
		summary = f.note + "\n" + summary
	}
	svc := externalSelect(trigServiceBlock, ServiceSearch, "Service", "Type a service name", false, false)
	if f.service.ID != "" {
		svc.Element.(*slack.SelectBlockElement).InitialOption = option(f.service.ID, f.service.Name)
	}
	high := opt(urgencyHigh, "High (pages now)")
	urgency := slack.NewRadioButtonsBlockElement(subUrgencyAction, high, opt(urgencyLow, "Low"))
	urgency.InitialOption = high
	box := slack.NewCheckboxGroupsBlockElement(trigChannelAction,
		slack.NewOptionBlockObject(trigChannelChecked, plain("Open an incident channel"),
			plain("inc-NUMBER-title: topic the incident's link, you invited, its card there")))
	channel := slack.NewInputBlock(trigChannelBlock, plain("Channel"), nil, box)
	channel.Optional = true
	return modal(TriggerCallback, "Trigger incident", "Trigger",
		TextSection("summary", summary),
		svc,
		textInput(trigTitleBlock, trigTitleAction, "Title", "What is wrong?", clip(f.title, maxTriggerTitle), false, false, maxTriggerTitle),
		slack.NewInputBlock(trigUrgencyBlock, plain("Urgency"), nil, urgency),
		textInput(trigDetailsBlock, trigDetailsAction, "Details", "What responders should know", "", true, true, maxTriggerDetails),
		externalSelect(trigAssigneeBlock, UserSearch, "Assign to one person", "Type a name or email", false, true),
		externalSelect(trigPolicyBlock, PolicySearch, "Or page another escalation policy", "Type a policy name", false, true),
		channel,
	)
}

// trigger is one incident to open.
type trigger struct {
	service        pdapi.Service
	title, details string
	urgency        string // "" leaves it to the service
	assignee       string // a user ID, or ""
	policy         string // a policy ID, or ""
	openChannel    bool
}

func triggerSlash(ctx context.Context, r *Request) (Reply, error) {
	text := strings.TrimSpace(FromSlack(r.Text))
	if text == "" {
		return Reply{Modal: TriggerModal(), NoAudit: true}, nil
	}
	sv, title, found, err := leadingService(ctx, r, text)
	if err != nil {
		return Reply{}, err
	}
	if !found {
		return Reply{NoAudit: true, Modal: triggerModal(triggerForm{title: text,
			note: "No service is called by the first words of your title, so pick one here."})}, nil
	}
	if title == "" {
		return Reply{NoAudit: true, Modal: triggerModal(triggerForm{service: sv, note: "Give the incident a title."})}, nil
	}
	if n := len([]rune(title)); n > maxTriggerTitle {
		return Reply{}, Userf("That title is %d characters; keep it under %d, and put the rest in the form's details (`/pd trigger` alone).", n, maxTriggerTitle)
	}
	return triggerIncident(ctx, r, trigger{service: sv, title: title})
}

// leadingService reads the service at the start of slash text: a quoted
// name, a service ID, or the longest run of leading words that is exactly
// (case aside) a service's name. found is false when no leading words name
// a service; a quoted name that names none is an error to tell.
func leadingService(ctx context.Context, r *Request, text string) (sv pdapi.Service, title string, found bool, err error) {
	if first, _ := utf8First(text); isQuote(first) {
		inner := text[len(string(first)):]
		end := strings.IndexFunc(inner, isQuote)
		if end < 0 {
			return sv, "", false, Userf("A quote is not closed. Quote the whole service name: `/pd trigger \"Orders DB\" replicas lagging`.")
		}
		name := strings.TrimSpace(inner[:end])
		_, size := utf8First(inner[end:])
		title = strings.TrimSpace(inner[end+size:])
		var problem string
		sv, problem, err = findService(ctx, r, name)
		if err != nil {
			return sv, "", false, err
		}
		if problem != "" {
			return sv, "", false, Userf("Nothing was triggered: %s. Give the service's exact name or its ID, or run `/pd trigger` alone to pick from a list.", problem)
		}
		return sv, title, true, nil
	}
	first, rest := SplitFirst(text)
	if pdapi.ValidObjectID(first) {
		byID, err := r.PD.GetService(ctx, first)
		var ae pagerduty.APIError
		if err == nil {
			return byID, rest, true, nil
		}
		if !errors.As(err, &ae) || !ae.NotFound() {
			return sv, "", false, err
		}
		// Not a service this key knows: a word of the title, perhaps.
	}
	words := strings.Fields(text)
	if len(words[0]) > maxNameLen {
		return sv, "", false, nil
	}
	best := 0
	err = r.PD.SearchServices(ctx, words[0], func(s pdapi.Service) bool {
		name := strings.Fields(s.Name)
		if n := len(name); n > best && n <= len(words) && n <= maxServiceWords &&
			strings.EqualFold(strings.Join(name, " "), strings.Join(words[:n], " ")) {
			best, sv = n, s
		}
		return true
	})
	if err != nil || best == 0 {
		return pdapi.Service{}, "", false, err
	}
	return sv, afterWords(text, best), true, nil
}

// utf8First returns the first rune of s and its size.
func utf8First(s string) (rune, int) {
	for _, c := range s {
		return c, len(string(c))
	}
	return 0, 0
}

// afterWords is s after its first n white-space-separated words, trimmed.
func afterWords(s string, n int) string {
	for range n {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
		i := strings.IndexFunc(s, unicode.IsSpace)
		if i < 0 {
			return ""
		}
		s = s[i:]
	}
	return strings.TrimSpace(s)
}

func validateTrigger(ctx context.Context, r *Request) map[string]string {
	errs := map[string]string{}
	if !pdapi.ValidObjectID(selected(r, trigServiceBlock, ServiceSearch)) {
		errs[trigServiceBlock] = "Pick a service from the list."
	}
	switch title := value(r, trigTitleBlock, trigTitleAction); {
	case title == "":
		errs[trigTitleBlock] = "Give the incident a title."
	case len([]rune(title)) > maxTriggerTitle:
		errs[trigTitleBlock] = fmt.Sprintf("Keep the title under %d characters; the rest can go in the details.", maxTriggerTitle)
	}
	if u := selected(r, trigUrgencyBlock, subUrgencyAction); u != urgencyHigh && u != urgencyLow {
		errs[trigUrgencyBlock] = "Pick an urgency."
	}
	if len([]rune(value(r, trigDetailsBlock, trigDetailsAction))) > maxTriggerDetails {
		errs[trigDetailsBlock] = fmt.Sprintf("Keep the details under %d characters.", maxTriggerDetails)
	}
	user, policy := selected(r, trigAssigneeBlock, UserSearch), selected(r, trigPolicyBlock, PolicySearch)
	switch {
	case user != "" && !pdapi.ValidObjectID(user):
		errs[trigAssigneeBlock] = "Pick the person from the list."
	case policy != "" && !pdapi.ValidObjectID(policy):
		errs[trigPolicyBlock] = "Pick the escalation policy from the list."
	case user != "" && policy != "":
		errs[trigPolicyBlock] = "Pick one person or an escalation policy, not both: PagerDuty pages one of them."
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

func triggerSubmission(ctx context.Context, r *Request) (Reply, error) {
	id := selected(r, trigServiceBlock, ServiceSearch)
	sv, err := r.PD.GetService(ctx, id)
	var ae pagerduty.APIError
	if errors.As(err, &ae) && ae.NotFound() {
		return Reply{}, Userf("PagerDuty has no service %s with this channel's key, so nothing was triggered. Open the form again (`/pd trigger`) and pick the service from the list.", Escape(id))
	}
	if err != nil {
		return Reply{}, err
	}
	return triggerIncident(ctx, r, trigger{
		service:     sv,
		title:       value(r, trigTitleBlock, trigTitleAction),
		details:     value(r, trigDetailsBlock, trigDetailsAction),
		urgency:     selected(r, trigUrgencyBlock, subUrgencyAction),
		assignee:    selected(r, trigAssigneeBlock, UserSearch),
		policy:      selected(r, trigPolicyBlock, PolicySearch),
		openChannel: len(selectedMany(r, trigChannelBlock, trigChannelAction)) > 0,
	})
}

// triggerIncident opens the incident (one POST /incidents, as the
// requester) and answers with its live card: here, or in a new incident
// channel when asked.
func triggerIncident(ctx context.Context, r *Request, t trigger) (Reply, error) {
	n := pdapi.NewIncident{Title: t.title, ServiceID: t.service.ID, Urgency: t.urgency, Details: t.details, EscalationPolicy: t.policy}
	if t.assignee != "" {
		n.Assignees = []string{t.assignee}
	}
	inc, err := r.PD.CreateIncident(ctx, n)
	if err != nil {
		return Reply{}, uncertainTrigger(err, t.service)
	}
	label := incidentLink(inc)
	service := "*" + Escape(t.service.Name) + "*"
	if inc.Service.Summary != "" {
		service = "*" + Escape(inc.Service.Summary) + "*"
	}
	card := &LivePost{
		Incident: inc.ID,
		Text:     fmt.Sprintf(":rotating_light: %s triggered %s on %s via Slack.", Escape(r.Actor.Name), IncidentLabel(inc), service),
		Blocks:   Card(inc, r.Now()),
	}
	done := fmt.Sprintf(":rotating_light: You triggered %s on %s in PagerDuty.", label, service)
	if !t.openChannel {
		return Reply{Text: done + " Its live card is in this channel.", Live: card, AuditIncident: inc.ID}, nil
	}
	return openIncidentChannel(ctx, r, inc, card, done)
}

// uncertainTrigger turns an answer that leaves open whether the incident
// exists (a 5xx, a timeout, a 2xx without the incident) into advice not to
// trigger it twice; other errors are PagerDuty's refusals, for Explain.
func uncertainTrigger(err error, sv pdapi.Service) error {
	var ae pagerduty.APIError
	if errors.Is(err, pdapi.ErrUnconfirmed) || errors.Is(err, context.DeadlineExceeded) || isTimeout(err) ||
		errors.As(err, &ae) && ae.StatusCode >= 500 {
		return Userf("PagerDuty did not confirm the new incident, so it may or may not exist. Look at %s's open incidents in PagerDuty (or `/pd open`) before triggering it again.", "*"+Escape(sv.Name)+"*")
	}
	return err
}

// incidentLink is "#42 Title" linked to the incident in PagerDuty when its
// URL is a plain https one.
func incidentLink(inc *pagerduty.Incident) string {
	label := IncidentLabel(inc)
	u := inc.HTMLURL
	if strings.HasPrefix(u, "https://") && !strings.ContainsAny(u, "|<> \t\n") {
		return "<" + u + "|" + label + ">"
	}
	return label
}

// openIncidentChannel makes the incident's channel: created, its topic the
// incident's URL, linked to the incident, the requester invited, and the
// live card posted there. The incident exists whatever fails; the answer
// says what did not happen and how to finish by hand.
func openIncidentChannel(ctx context.Context, r *Request, inc *pagerduty.Incident, card *LivePost, done string) (Reply, error) {
	ref := RefOf(inc)
	ch, name, err := createIncidentChannel(ctx, r.Channels, inc)
	if err != nil {
		return Reply{
			Text: done + "\n:warning: But pdbot could not open its channel (" + slackReason(err) + "), so its live card is here instead. " +
				"To give it a channel by hand, create one, invite pdbot, and run `/pd link " + ref + "` in it.",
			Live: card, AuditIncident: inc.ID,
		}, nil
	}
	var problems []string
	if inc.HTMLURL != "" {
		if err := r.Channels.SetTopic(ctx, ch, inc.HTMLURL); err != nil {
			problems = append(problems, "its topic is not set ("+slackReason(err)+"): set it to "+Escape(inc.HTMLURL)+" by hand")
		}
	}
	if err := r.Store.SetLink(ctx, ch, inc.ID); err != nil {
		problems = append(problems, "it is not linked to the incident (pdbot's store failed): run `/pd link "+ref+"` in it")
	}
	if err := r.Channels.Invite(ctx, ch, r.User); err != nil {
		problems = append(problems, "you were not invited ("+slackReason(err)+"): join #"+name+" yourself")
	}
	text := done + " Its channel is <#" + ch + ">"
	if len(problems) == 0 {
		text += ": you are in it, its topic links to the incident, and its live card is there."
	} else {
		text += ", and its live card is there, but " + strings.Join(problems, "; ") + "."
	}
	card.Channel = ch
	return Reply{Text: text, Live: card, AuditIncident: inc.ID}, nil
}

// createIncidentChannel creates inc-NUMBER-slug, or with -2, -3… when
// Slack says the name is taken.
func createIncidentChannel(ctx context.Context, c ChannelOps, inc *pagerduty.Incident) (id, name string, err error) {
	if c == nil {
		return "", "", errors.New("no way to create channels")
	}
	for try := 1; try <= maxChannelNameTries; try++ {
		name = IncidentChannelName(inc.IncidentNumber, inc.Title, try)
		id, err = c.CreateChannel(ctx, name)
		if !errors.Is(err, ErrNameTaken) {
			return id, name, err
		}
	}
	return "", "", Userf("every name up to %s is taken", name)
}

// IncidentChannelName is the name of an incident's channel: inc-NUMBER-slug,
// the slug the title in lower-case letters, digits and hyphens, all within
// Slack's 80 characters; try > 1 adds "-try" for a name already taken.
func IncidentChannelName(number uint, title string, try int) string {
	base := fmt.Sprintf("inc-%d", number)
	suffix := ""
	if try > 1 {
		suffix = fmt.Sprintf("-%d", try)
	}
	var b strings.Builder
	hyphen := false
	for _, c := range strings.ToLower(title) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(c)
			hyphen = false
			continue
		}
		hyphen = true
	}
	slug := b.String()
	if room := maxChannelName - len(base) - len(suffix) - 1; len(slug) > room {
		slug = strings.TrimRight(slug[:max(room, 0)], "-")
	}
	if slug != "" {
		base += "-" + slug
	}
	return base + suffix
}

// slackReason names what Slack said, for people: its error code, or for a
// missing permission which one.
func slackReason(err error) string {
	var se slack.SlackErrorResponse
	var ue *UserError
	switch {
	case errors.As(err, &ue):
		return ue.Msg
	case errors.As(err, &se) && se.Err == "missing_scope":
		return "pdbot's Slack app lacks the " + Escape(se.Needed) + " permission; a Slack admin should update it from manifest.yaml"
	case errors.As(err, &se):
		return "Slack said " + Escape(se.Err)
	}
	return "Slack did not answer"
}
