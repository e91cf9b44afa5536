package handlers

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/slack-go/slack"
)

// Card sizes: what one card shows before it points to PagerDuty instead.
const (
	// cardNotes is how many of the latest notes a card quotes.
	cardNotes = 3
	// cardNoteLimit clips each quoted note (escaped), so three of them and
	// their bylines stay within a section's 3000 characters.
	cardNoteLimit = 500
	// cardListBudget is what a list field (assignees, responders,
	// acknowledgers) may use of a field's 2000 characters, leaving room for
	// its label and the "and N more" link.
	cardListBudget = fieldTextLimit - 200
)

// CardExtras is what a card shows beyond the incident object itself: what
// costs another PagerDuty request to read.
type CardExtras struct {
	// Notes are the incident's notes, oldest first
	// (GET /incidents/{id}/notes); the card quotes the last three. nil
	// means they were not read: a live card is re-rendered by the poller
	// with one GET of the incident per change, and its thread carries
	// every note as it is added.
	Notes []pagerduty.IncidentNote
}

// CardWith renders an incident as Block Kit: its header, its state in ten
// fields (status with who acknowledged it and when, urgency, priority,
// alerts, service, escalation policy, assignees, responders, created,
// updated — times in the reader's own time zone), the latest notes when
// extras has them, a link to PagerDuty and the actions. Long fields are
// clipped with a link to PagerDuty, so any incident fits Block Kit's limits.
func CardWith(inc *pagerduty.Incident, extras CardExtras, now time.Time) []slack.Block {
	title := clip(inc.Title, headerTextLimit-12)
	if inc.IncidentNumber > 0 {
		title = fmt.Sprintf("#%d %s", inc.IncidentNumber, title)
	}
	header := slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, title, false, false))
	header.BlockID = "card_header"
	link := safeURL(inc.HTMLURL)

	field := func(label, value string) *slack.TextBlockObject {
		if value == "" {
			value = "—"
		}
		return slack.NewTextBlockObject(slack.MarkdownType, "*"+label+"*\n"+value, false, false)
	}
	priority := ""
	if inc.Priority != nil {
		priority = Escape(clip(firstNonEmpty(inc.Priority.Name, inc.Priority.Summary), 100))
	}
	var assignees []string
	for _, a := range inc.Assignments {
		assignees = append(assignees, Escape(clip(a.Assignee.Summary, 100)))
	}
	var responders []string
	for _, rr := range inc.IncidentResponders {
		who := Escape(clip(rr.User.Summary, 100))
		if rr.State != "" {
			who += " (" + Escape(clip(rr.State, 20)) + ")"
		}
		responders = append(responders, who)
	}
	fields := []*slack.TextBlockObject{
		field("Status", cardStatus(inc, link, now)),
		field("Urgency", Escape(titleCase(inc.Urgency))),
		field("Priority", priority),
		field("Alerts", cardAlerts(inc.AlertCounts)),
		field("Service", Escape(clip(inc.Service.Summary, 300))),
		field("Escalation policy", Escape(clip(inc.EscalationPolicy.Summary, 300))),
		field("Assigned to", cardList(assignees, link)),
		field("Responders", cardList(responders, link)),
		field("Created", cardTime(inc.CreatedAt, now, true)),
		field("Updated", cardTime(firstNonEmpty(inc.UpdatedAt, inc.LastStatusChangeAt), now, true)),
	}
	details := slack.NewSectionBlock(nil, fields, nil)
	details.BlockID = "card_details"
	blocks := []slack.Block{header, details}

	if len(extras.Notes) > 0 {
		blocks = append(blocks, cardNotesSection(extras.Notes, link, now))
	}

	ctxText := "`" + Escape(inc.ID) + "`"
	if link != "" {
		ctxText += " · <" + link + "|Open in PagerDuty>"
	}
	ctxBlock := slack.NewContextBlock("card_context", slack.NewTextBlockObject(slack.MarkdownType, ctxText, false, false))
	return append(blocks, ctxBlock, CardButtons(inc.ID, inc.Status))
}

// cardStatus is the status with its emoji and, when acknowledged, who
// acknowledged it and when; when resolved, when, and where it was merged.
func cardStatus(inc *pagerduty.Incident, link string, now time.Time) string {
	s := strings.TrimSpace(statusEmoji[inc.Status] + " " + Escape(titleCase(inc.Status)))
	switch inc.Status {
	case "acknowledged":
		var by []string
		for _, a := range inc.Acknowledgements {
			who := Escape(clip(firstNonEmpty(a.Acknowledger.Summary, "someone"), 100))
			if at := cardTime(a.At, now, false); at != "" {
				who += " " + at
			}
			by = append(by, who)
		}
		if len(by) > 0 {
			s += " by " + cardList(by, link)
		}
	case "resolved":
		if at := cardTime(inc.ResolvedAt, now, false); at != "" {
			s += " " + at
		}
		if rr := inc.ResolveReason; rr.Type == "merge_resolve_reason" && rr.Incident.ID != "" {
			into := "`" + Escape(rr.Incident.ID) + "`"
			if u := safeURL(rr.Incident.HTMLURL); u != "" {
				into = "<" + u + "|" + Escape(clip(firstNonEmpty(rr.Incident.Summary, rr.Incident.ID), 80)) + ">"
			}
			s += ", merged into " + into
		}
	}
	return s
}

// cardAlerts is "3 (1 triggered)", or "" when PagerDuty sent no counts.
func cardAlerts(c pagerduty.AlertCounts) string {
	if c.All == 0 {
		return ""
	}
	s := strconv.FormatUint(uint64(c.All), 10)
	if c.Triggered > 0 && c.Triggered != c.All {
		s += fmt.Sprintf(" (%d triggered)", c.Triggered)
	}
	return s
}

// cardList joins escaped items within cardListBudget; the rest are counted,
// with a link to PagerDuty where they can be read.
func cardList(items []string, link string) string {
	var b strings.Builder
	for i, it := range items {
		if b.Len()+len(it)+2 > cardListBudget {
			more := fmt.Sprintf(" and %d more", len(items)-i)
			if link != "" {
				more = " and <" + link + "|" + strconv.Itoa(len(items)-i) + " more in PagerDuty>"
			}
			return b.String() + more
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(it)
	}
	return b.String()
}

// cardTime is an RFC 3339 time as Slack shows it in the reader's own time
// zone (a date token, with UTC as the fallback for clients that cannot),
// and, when ago, how long ago. "" for a time PagerDuty did not send.
func cardTime(s string, now time.Time, ago bool) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return ""
	}
	out := DateToken(t, "{date_short_pretty} {time}")
	if ago {
		out += " (" + Since(now, t) + ")"
	}
	return out
}

// DateToken is Slack's date formatting token for t: every reader sees it in
// their own time zone, and clients that cannot render it show the UTC
// fallback. format is Slack's ({date_short_pretty}, {time}, …).
func DateToken(t time.Time, format string) string {
	return "<!date^" + strconv.FormatInt(t.Unix(), 10) + "^" + format + "|" + t.UTC().Format("2006-01-02 15:04 UTC") + ">"
}

// cardNotesSection quotes the latest notes, each clipped, with who wrote it
// and when; older ones are a link away.
func cardNotesSection(notes []pagerduty.IncidentNote, link string, now time.Time) *slack.SectionBlock {
	start := max(0, len(notes)-cardNotes)
	var parts []string
	for _, n := range notes[start:] {
		q := clipEscaped(">"+strings.ReplaceAll(Escape(strings.TrimSpace(n.Content)), "\n", "\n>"), cardNoteLimit)
		by := "— " + Escape(clip(firstNonEmpty(n.User.Summary, "someone"), 50))
		if at := cardTime(n.CreatedAt, now, false); at != "" {
			by += ", " + at
		}
		parts = append(parts, q+"\n"+by)
	}
	head := "*Latest notes*"
	if start > 0 {
		head = fmt.Sprintf("*Latest notes* (%d of %d", len(notes)-start, len(notes))
		if link != "" {
			head += ", <" + link + "|all in PagerDuty>"
		}
		head += ")"
	}
	s := slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, head+"\n"+strings.Join(parts, "\n"), false, false), nil, nil)
	s.BlockID = "card_notes"
	return s
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}
