package handlers_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/pdbot/pdbot/handlers"
	"github.com/pdbot/pdbot/internal/pdapi"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the current output")

// goldenTitle needs escaping in mrkdwn and quoting in JSON.
const goldenTitle = `DB <down> & "slow"`

// goldenIncident is the incident every golden payload is built from.
func goldenIncident() *pagerduty.Incident {
	inc := &pagerduty.Incident{
		APIObject: pagerduty.APIObject{
			ID:      "Q1ABCDEFGHIJKL",
			Type:    "incident",
			HTMLURL: "https://acme.pagerduty.com/incidents/Q1ABCDEFGHIJKL",
		},
		IncidentNumber:   42,
		Title:            goldenTitle,
		Status:           "triggered",
		Urgency:          "high",
		CreatedAt:        "2025-03-04T05:06:07Z",
		Service:          pagerduty.APIObject{ID: "PSVC001", Type: "service_reference", Summary: "Checkout <API>"},
		EscalationPolicy: pagerduty.APIObject{ID: "PPOL001", Type: "escalation_policy_reference", Summary: "Database On-Call & Friends"},
		Assignments: []pagerduty.Assignment{
			{Assignee: pagerduty.APIObject{ID: "PBOB001", Type: "user_reference", Summary: "Bob <@U123>"}},
			{Assignee: pagerduty.APIObject{ID: "PCAROL1", Type: "user_reference", Summary: "Carol"}},
		},
		UpdatedAt:   "2025-03-04T06:01:07Z",
		AlertCounts: pagerduty.AlertCounts{All: 3, Triggered: 3},
		Priority:    &pagerduty.Priority{APIObject: pagerduty.APIObject{ID: "PPRIO01", Summary: "P1 <sev>"}, Name: "P1 <sev>"},
		IncidentResponders: []pagerduty.IncidentResponders{
			{State: "pending", User: pagerduty.APIObject{ID: "PDAVE01", Summary: "Dave & <Co>"}},
			{State: "joined", User: pagerduty.APIObject{ID: "PERIN01", Summary: "Erin"}},
		},
	}
	return inc
}

// acknowledgedIncident is goldenIncident acknowledged by Bob.
func acknowledgedIncident() *pagerduty.Incident {
	inc := goldenIncident()
	inc.Status = "acknowledged"
	inc.Acknowledgements = []pagerduty.Acknowledgement{
		{At: "2025-03-04T05:20:00Z", Acknowledger: pagerduty.APIObject{ID: "PBOB001", Type: "user_reference", Summary: "Bob <@U123>"}},
	}
	return inc
}

// resolvedIncident is goldenIncident resolved by a merge into #41.
func resolvedIncident() *pagerduty.Incident {
	inc := goldenIncident()
	inc.Status = "resolved"
	inc.Assignments = nil
	inc.ResolvedAt = "2025-03-04T06:10:00Z"
	inc.AlertCounts = pagerduty.AlertCounts{All: 3, Resolved: 3}
	inc.ResolveReason = pagerduty.ResolveReason{Type: "merge_resolve_reason", Incident: pagerduty.APIObject{
		ID: "Q1TARGETINCIDE", Summary: "[#41] DB <primary> & replicas", HTMLURL: "https://acme.pagerduty.com/incidents/Q1TARGETINCIDE"}}
	return inc
}

// goldenNotes are four notes, so a card quotes the last three.
func goldenNotes() []pagerduty.IncidentNote {
	note := func(id, who, at, text string) pagerduty.IncidentNote {
		return pagerduty.IncidentNote{ID: id, User: pagerduty.APIObject{ID: "PBOB001", Summary: who}, CreatedAt: at, Content: text}
	}
	return []pagerduty.IncidentNote{
		note("PNOTE01", "Bob <@U123>", "2025-03-04T05:10:00Z", "Paged the DBA"),
		note("PNOTE02", "Carol", "2025-03-04T05:30:00Z", "Replica lag is 40 s\n<!channel> & friends"),
		note("PNOTE03", "Bob <@U123>", "2025-03-04T05:50:00Z", "Failing over to the standby"),
		note("PNOTE04", "Carol", "2025-03-04T06:00:00Z", "Failover done"),
	}
}

// goldenPolicies and goldenOncalls are the on-calls of the golden answers:
// two levels of one policy (one of them a permanent on-call), and another
// policy with nobody on call.
func goldenPolicies() []pdapi.Ref {
	return []pdapi.Ref{{ID: "PPOL001", Summary: "Database On-Call & Friends"}, {ID: "PPOL002", Summary: "Web <On-Call>"}}
}

func goldenOncalls() []pdapi.OnCall {
	pol := pdapi.Ref{ID: "PPOL001", Summary: "Database On-Call & Friends"}
	return []pdapi.OnCall{
		{EscalationPolicy: pol, User: pdapi.Ref{ID: "PCAROL1", Summary: "Carol"}, Level: 2},
		{EscalationPolicy: pol, User: pdapi.Ref{ID: "PBOB001", Summary: "Bob <@U123>"}, Level: 1,
			Schedule: &pdapi.Ref{ID: "PSCHED1", Summary: "Primary & Co"}, Start: "2025-03-03T00:00:00Z", End: "2025-03-10T00:00:00Z"},
	}
}

// goldenList is an incident list's incidents, out of order: an
// acknowledged one, a low-urgency triggered one and the golden incident.
func goldenList() []pagerduty.Incident {
	ack := *goldenIncident()
	ack.ID, ack.IncidentNumber, ack.Status, ack.HTMLURL = "Q2MNOPQRSTUVWX", 43, "acknowledged", "https://acme.pagerduty.com/incidents/Q2MNOPQRSTUVWX"
	low := *goldenIncident()
	low.ID, low.IncidentNumber, low.Urgency, low.CreatedAt, low.HTMLURL = "Q3ABCDEFGHIJKL", 44, "low", "2025-03-04T04:00:00Z", "https://acme.pagerduty.com/incidents/Q3ABCDEFGHIJKL"
	return []pagerduty.Incident{ack, low, *goldenIncident()}
}

var goldenNow = time.Date(2025, 3, 4, 6, 21, 7, 0, time.UTC) // 75 minutes after creation

// payload is one golden Block Kit payload: a modal, or a message's blocks.
type payload struct {
	name  string
	modal *slack.ModalViewRequest
	card  []slack.Block
}

func goldenPayloads() []payload {
	inc := goldenIncident()
	notes := handlers.CardExtras{Notes: goldenNotes()}
	return []payload{
		{name: "card", card: handlers.Card(inc, goldenNow)},
		{name: "card_acknowledged", card: handlers.CardWith(acknowledgedIncident(), notes, goldenNow)},
		{name: "card_resolved", card: handlers.CardWith(resolvedIncident(), notes, goldenNow)},
		{name: "card_private", card: handlers.PrivateCard(inc, notes, goldenNow)},
		{name: "card_buttons_triggered", card: []slack.Block{handlers.CardButtons(inc.ID, "triggered")}},
		{name: "card_buttons_acknowledged", card: []slack.Block{handlers.CardButtons(inc.ID, "acknowledged")}},
		{name: "update_modal", modal: handlers.UpdateModal(inc, false)},
		{name: "update_modal_reassign", modal: handlers.UpdateModal(inc, true)},
		{name: "escalate_modal", modal: handlers.EscalateModal(inc)},
		{name: "responders_modal", modal: handlers.RespondersModal(inc)},
		{name: "note_modal", modal: handlers.NoteModal(inc.ID, "")},
		{name: "note_modal_prefill", modal: handlers.NoteModal(inc.ID, "Bob wrote in Slack (https://acme.slack.com/archives/C1/p1):\nDB <down> & \"slow\" again")},
		{name: "picker_modal", modal: handlers.PickerModal(true)},
		{name: "picker_modal_message", modal: handlers.PickerModal(false)},
		{name: "note_modal_pick", modal: handlers.NoteModal("", "Bob wrote in Slack (https://acme.slack.com/archives/C1/p1):\nDB <down> & \"slow\" again")},
		{name: "oncall", card: handlers.OncallMessage("for *Checkout &lt;API&gt;* (escalation policy *Database On-Call &amp; Friends*)", goldenPolicies(), "", goldenOncalls(), false, "")},
		{name: "oncall_shared", card: handlers.OncallMessage("for *Checkout &lt;API&gt;*", goldenPolicies(), "", goldenOncalls(), true, `Bob <@U123> & "Co"`)},
		{name: "oncall_nobody", card: handlers.OncallMessage("on the schedule *Nights*", nil, "PSCHED1", nil, false, "")},
		{name: "incident_list", card: handlers.IncidentList("*Open incidents* on *Checkout &lt;API&gt;*", goldenList(), 14, goldenNow)},
		{name: "key_modal_channel", modal: handlers.KeyModal("")},
		{name: "key_modal_default", modal: handlers.KeyModal("default")},
		{name: "key_delete_confirm", card: handlers.KeyDeleteConfirm("0001")},
		{name: "subscribe_modal", modal: handlers.SubscribeModal()},
		{name: "merge_modal", modal: handlers.MergeModal(inc)},
		{name: "merge_confirm", card: handlers.MergeConfirm(inc, mergeSources())},
		{name: "status_update_modal", modal: handlers.StatusUpdateModal(inc)},
		{name: "workflow_modal", modal: handlers.WorkflowModal(inc, goldenWorkflows(3))},
		{name: "workflow_modal_typeahead", modal: handlers.WorkflowModal(inc, goldenWorkflows(101))},
		{name: "trigger_modal", modal: handlers.TriggerModal()},
		{name: "trigger_modal_prefill", modal: handlers.TriggerModalFor("PSVCDB1", "Orders DB", `replicas <lagging> & "slow"`, "Give the incident a title.")},
		{name: "escalate_modal_levels", modal: handlers.EscalateLevelsModal(inc, 3)},
		{name: "snooze_modal", modal: handlers.SnoozeModal(acknowledgedGolden())},
		{name: "priority_modal", modal: handlers.PriorityModal(prioritized(), goldenPriorities())},
	}
}

// acknowledgedGolden is the golden incident, acknowledged (what a snooze
// form is opened for).
func acknowledgedGolden() *pagerduty.Incident {
	inc := goldenIncident()
	inc.Status = "acknowledged"
	return inc
}

// prioritized is the golden incident with priority P2.
func prioritized() *pagerduty.Incident {
	inc := goldenIncident()
	inc.Priority = &pagerduty.Priority{APIObject: pagerduty.APIObject{ID: "PPRIO02", Type: "priority", Summary: "P2"}, Name: "P2"}
	return inc
}

// goldenPriorities are an account's priorities, with markup-like text.
func goldenPriorities() []pdapi.Priority {
	return []pdapi.Priority{
		{ID: "PPRIO01", Name: "P1", Description: "Critical <customers> & partners"},
		{ID: "PPRIO02", Name: "P2", Description: "Major"},
		{ID: "PPRIO03", Name: "P3"},
	}
}

// mergeSources are two incidents to merge into goldenIncident.
func mergeSources() []*pagerduty.Incident {
	a, b := acknowledgedIncident(), goldenIncident()
	a.ID, a.IncidentNumber, a.Title = "Q1SOURCEONE001", 43, "Checkout <502s>"
	b.ID, b.IncidentNumber, b.Title = "PSRC002", 44, "Orders & payments slow"
	return []*pagerduty.Incident{a, b}
}

// goldenWorkflows are n workflows, named and described with text that
// needs escaping nowhere (they go into plain_text options) but is long.
func goldenWorkflows(n int) []pdapi.Workflow {
	var out []pdapi.Workflow
	for i := range n {
		out = append(out, pdapi.Workflow{ID: fmt.Sprintf("PWF%04d", i), Name: fmt.Sprintf("Major incident <kickoff> & comms %d", i),
			Description: strings.Repeat("Opens a bridge & pages the IC. ", 5)})
	}
	return out
}

// marshalGolden encodes v the way the golden files hold it: json.MarshalIndent,
// then \u003c \u003e \u0026 written back as < > &. Go's encoder writes them
// escaped (slack-go's own MarshalJSON methods too), which would hide from a
// reviewer exactly what the files are for: whether Escape ran. Slack decodes
// both forms alike.
func marshalGolden(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return append(unescapeHTML(b), '\n')
}

// unescapeHTML undoes encoding/json's HTML escaping in JSON text, leaving
// every other escape (including an escaped backslash before "u0026") alone.
func unescapeHTML(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 == len(b) {
			out = append(out, b[i])
			continue
		}
		if i+6 <= len(b) {
			switch string(b[i : i+6]) {
			case `\u003c`:
				out, i = append(out, '<'), i+5
				continue
			case `\u003e`:
				out, i = append(out, '>'), i+5
				continue
			case `\u0026`:
				out, i = append(out, '&'), i+5
				continue
			}
		}
		out, i = append(out, b[i], b[i+1]), i+1
	}
	return out
}

func TestGolden(t *testing.T) {
	for _, p := range goldenPayloads() {
		t.Run(p.name, func(t *testing.T) {
			var v any = slack.Blocks{BlockSet: p.card}
			if p.modal != nil {
				v = p.modal
			}
			got := marshalGolden(t, v)
			// The readable form must mean exactly what slack-go sends.
			var back any
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatalf("golden form is not JSON: %v", err)
			}
			if diff := cmp.Diff(decode(t, v), back); diff != "" {
				t.Fatalf("golden form differs from the wire form (-wire +golden):\n%s", diff)
			}
			checkGolden(t, filepath.Join("testdata", p.name+".golden.json"), got)
			if strings.Contains(string(got), canaryKey) {
				t.Error("payload holds the API key")
			}
		})
	}
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (create it with: go test ./handlers -run Golden -update)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s is out of date (-want +got):\n%s\nIf the change is intended, run: go test ./handlers -run Golden -update, and review the diff.",
			path, cmp.Diff(string(want), string(got)))
	}
}

// Block Kit limits (https://docs.slack.dev/reference/block-kit/blocks,
// .../composition-objects, .../block-elements, .../surfaces/modals).
const (
	kitModalTitle      = 24
	kitModalBlocks     = 100
	kitMessageBlocks   = 50
	kitSectionText     = 3000
	kitSectionField    = 2000
	kitSectionFields   = 10
	kitHeaderText      = 150
	kitButtonText      = 75
	kitButtonValue     = 2000
	kitTextInputMax    = 3000
	kitPlaceholder     = 150
	kitLabel           = 2000
	kitOptionText      = 75
	kitOptionValue     = 150
	kitOptions         = 100
	kitContextElements = 10
	kitActionElements  = 25
	kitID              = 255 // block_id, action_id, callback_id
	kitPrivateMetadata = 3000
)

// TestGoldenLimits checks every golden payload against Block Kit's limits,
// on the JSON Slack would get rather than on slack-go's structs.
func TestGoldenLimits(t *testing.T) {
	for _, p := range goldenPayloads() {
		t.Run(p.name, func(t *testing.T) { checkLimits(t, p) })
	}
}

// hugeIncident has every field PagerDuty lets grow at its largest, and more,
// full of characters that escaping lengthens.
func hugeWorkflows(n int) []pdapi.Workflow {
	var out []pdapi.Workflow
	for i := range n {
		out = append(out, pdapi.Workflow{ID: fmt.Sprintf("PW%05d", i), Name: strings.Repeat("<&>", 500), Description: strings.Repeat("x", 5000)})
	}
	return out
}

func hugeIncident() *pagerduty.Incident {
	inc := goldenIncident()
	inc.IncidentNumber = 4294967295
	inc.Title = strings.Repeat("<&>", 2000)
	inc.Service.Summary = strings.Repeat("&", 3000)
	inc.EscalationPolicy.Summary = strings.Repeat("<&>", 1000)
	inc.Assignments = nil
	for i := range 300 {
		inc.Assignments = append(inc.Assignments, pagerduty.Assignment{Assignee: pagerduty.APIObject{ID: fmt.Sprintf("P%06d", i), Summary: "A & <B>"}})
		inc.IncidentResponders = append(inc.IncidentResponders, pagerduty.IncidentResponders{State: strings.Repeat("<", 100),
			User: pagerduty.APIObject{ID: fmt.Sprintf("P%06d", i), Summary: strings.Repeat("<&>", 100)}})
	}
	inc.Priority = &pagerduty.Priority{Name: strings.Repeat("<&>", 1000)}
	inc.AlertCounts = pagerduty.AlertCounts{All: 4294967295, Triggered: 1}
	return inc
}

// hugePriorities are more priorities than a select holds, with long text.
func hugePriorities() []pdapi.Priority {
	var ps []pdapi.Priority
	for i := range 150 {
		ps = append(ps, pdapi.Priority{ID: fmt.Sprintf("PPR%04d", i), Name: strings.Repeat("<&>", 100), Description: strings.Repeat("&", 500)})
	}
	return ps
}

func hugePayloads() []payload {
	inc := hugeIncident()
	acked := hugeIncident()
	acked.Status = "acknowledged"
	for i := range 300 {
		acked.Acknowledgements = append(acked.Acknowledgements, pagerduty.Acknowledgement{
			At: "2025-03-04T05:20:00Z", Acknowledger: pagerduty.APIObject{ID: fmt.Sprintf("P%06d", i), Summary: strings.Repeat("<&>", 100)}})
	}
	resolved := hugeIncident()
	resolved.Status = "resolved"
	resolved.ResolvedAt = "2025-03-04T06:10:00Z"
	resolved.ResolveReason = pagerduty.ResolveReason{Type: "merge_resolve_reason", Incident: pagerduty.APIObject{
		ID: "Q1TARGETINCIDE", Summary: strings.Repeat("<&>", 1000), HTMLURL: "https://acme.pagerduty.com/incidents/Q1TARGETINCIDE"}}
	var notes []pagerduty.IncidentNote
	for i := range 2000 {
		notes = append(notes, pagerduty.IncidentNote{ID: fmt.Sprintf("PN%05d", i), Content: strings.Repeat("<&>\n", 5000),
			User: pagerduty.APIObject{Summary: strings.Repeat("&", 300)}, CreatedAt: "2025-03-04T05:10:00Z"})
	}
	extras := handlers.CardExtras{Notes: notes}
	var sources []*pagerduty.Incident
	for range 10 {
		sources = append(sources, hugeIncident())
	}
	return []payload{
		{name: "card", card: handlers.Card(inc, goldenNow)},
		{name: "card_acknowledged", card: handlers.CardWith(acked, extras, goldenNow)},
		{name: "card_resolved", card: handlers.CardWith(resolved, extras, goldenNow)},
		{name: "card_private", card: handlers.PrivateCard(inc, extras, goldenNow)},
		{name: "merge_modal", modal: handlers.MergeModal(inc)},
		{name: "merge_confirm", card: handlers.MergeConfirm(inc, sources)},
		{name: "status_update_modal", modal: handlers.StatusUpdateModal(inc)},
		{name: "workflow_modal", modal: handlers.WorkflowModal(inc, hugeWorkflows(100))},
		{name: "workflow_modal_typeahead", modal: handlers.WorkflowModal(inc, hugeWorkflows(5000))},
		{name: "update_modal", modal: handlers.UpdateModal(inc, false)},
		{name: "escalate_modal", modal: handlers.EscalateModal(inc)},
		{name: "escalate_modal_levels", modal: handlers.EscalateLevelsModal(inc, 500)},
		{name: "responders_modal", modal: handlers.RespondersModal(inc)},
		{name: "note_modal_prefill", modal: handlers.NoteModal(inc.ID, strings.Repeat("x", 3000))},
		{name: "snooze_modal", modal: handlers.SnoozeModal(inc)},
		{name: "priority_modal", modal: handlers.PriorityModal(inc, hugePriorities())},
	}
}

// TestLimitsWithHugeIncident: an incident at (and past) PagerDuty's sizes
// still renders within Block Kit's limits.
func TestLimitsWithHugeIncident(t *testing.T) {
	for _, p := range hugePayloads() {
		t.Run(p.name, func(t *testing.T) { checkLimits(t, p) })
	}
}

// TestMrkdwnWithHugeIncident: clipping long text must not cut an entity in
// half ("&am…" is a raw & in mrkdwn).
func TestMrkdwnWithHugeIncident(t *testing.T) {
	for _, p := range hugePayloads() {
		t.Run(p.name, func(t *testing.T) { checkMrkdwn(t, p, nil) })
	}
}

// checkLimits checks a payload against Block Kit's limits, on the JSON Slack
// would get rather than on slack-go's structs.
func checkLimits(t *testing.T, p payload) {
	t.Helper()
	var v any
	var blocks []any
	if p.modal != nil {
		m := decode(t, p.modal).(map[string]any)
		for _, k := range []string{"title", "submit", "close"} {
			if n := utf8.RuneCountInString(textOf(m[k])); n < 1 || n > kitModalTitle {
				t.Errorf("modal %s %q is %d characters, want 1..%d", k, textOf(m[k]), n, kitModalTitle)
			}
		}
		if n := len(str(m["callback_id"])); n == 0 || n > kitID {
			t.Errorf("callback_id %q: want 1..%d characters", str(m["callback_id"]), kitID)
		}
		if n := len(str(m["private_metadata"])); n > kitPrivateMetadata {
			t.Errorf("private_metadata is %d characters, want at most %d", n, kitPrivateMetadata)
		}
		blocks, _ = m["blocks"].([]any)
		if len(blocks) > kitModalBlocks {
			t.Errorf("%d blocks, want at most %d", len(blocks), kitModalBlocks)
		}
		v = m
	} else {
		blocks = decode(t, slack.Blocks{BlockSet: p.card}).([]any)
		if len(blocks) > kitMessageBlocks {
			t.Errorf("%d blocks, want at most %d", len(blocks), kitMessageBlocks)
		}
		v = blocks
	}
	if len(blocks) == 0 {
		t.Error("no blocks")
	}
	ids := map[string]bool{}
	for i, b := range blocks {
		id := str(b.(map[string]any)["block_id"])
		if id == "" || len(id) > kitID {
			t.Errorf("block %d: block_id %q, want 1..%d characters", i, id, kitID)
		}
		if ids[id] {
			t.Errorf("block %d: duplicate block_id %q", i, id)
		}
		ids[id] = true
	}
	walk(v, func(o map[string]any) { checkObject(t, o) })
}

// TestGoldenMrkdwnIsEscaped: PagerDuty text (the title, service, policy and
// assignee names) reaches mrkdwn only escaped; the only markup in mrkdwn is
// pdbot's own https link.
func TestGoldenMrkdwnIsEscaped(t *testing.T) {
	raw := []string{"<down>", `& "slow"`, "<API>", "<@U123>", "On-Call & Friends"}
	for _, p := range goldenPayloads() {
		t.Run(p.name, func(t *testing.T) { checkMrkdwn(t, p, raw) })
	}
	// The card does show the title, escaped.
	card := string(marshalGolden(t, slack.Blocks{BlockSet: handlers.Card(goldenIncident(), goldenNow)}))
	for _, want := range []string{"Checkout &lt;API&gt;", "Bob &lt;@U123&gt;", "Database On-Call &amp; Friends"} {
		if !strings.Contains(card, want) {
			t.Errorf("card does not show %q", want)
		}
	}
	// The summary of a modal names the incident with its escaped title.
	for _, m := range []*slack.ModalViewRequest{handlers.EscalateModal(goldenIncident()), handlers.EscalateLevelsModal(goldenIncident(), 2), handlers.RespondersModal(goldenIncident()), handlers.UpdateModal(goldenIncident(), false),
		handlers.SnoozeModal(acknowledgedGolden()), handlers.PriorityModal(goldenIncident(), goldenPriorities())} {
		found := false
		walk(decode(t, m), func(o map[string]any) {
			found = found || (o["type"] == "mrkdwn" && strings.Contains(str(o["text"]), `*#42 DB &lt;down&gt; &amp; "slow"*`))
		})
		if !found {
			t.Errorf("%s modal does not name the incident by its escaped title", m.CallbackID)
		}
	}
}

// checkMrkdwn checks that every mrkdwn text of p is escaped and holds none
// of raw.
func checkMrkdwn(t *testing.T, p payload, raw []string) {
	t.Helper()
	var v any
	if p.modal != nil {
		v = decode(t, p.modal)
	} else {
		v = decode(t, slack.Blocks{BlockSet: p.card})
	}
	walk(v, func(o map[string]any) {
		if o["type"] != "mrkdwn" {
			return
		}
		s := str(o["text"])
		for _, r := range raw {
			if strings.Contains(s, r) {
				t.Errorf("mrkdwn holds the raw %q: %.80q", r, s)
			}
		}
		if err := mrkdwnSafe(s); err != nil {
			t.Errorf("mrkdwn %.80q…: %v", s, err)
		}
	})
}

// safeLink, dateToken and quoteMark are the kinds of markup pdbot itself
// writes in mrkdwn: its own https links, Slack's date tokens (whose
// fallback is a UTC time pdbot formats) and block quotes (a > that starts a
// line; escaped text cannot start one, its > is &gt;).
var (
	safeLink  = regexp.MustCompile(`<https://[^<>|\s]+\|[^<>|]*>`)
	dateToken = regexp.MustCompile(`<!date\^[0-9]+\^[{}a-z_ ]+\|[0-9: UTC-]+>`)
	quoteMark = regexp.MustCompile(`(?m)^>`)
)

// mrkdwnSafe reports raw markup in mrkdwn: a < or > outside pdbot's own
// links, or an & that starts no entity.
func mrkdwnSafe(s string) error {
	s = safeLink.ReplaceAllString(s, "LINK")
	s = dateToken.ReplaceAllString(s, "DATE")
	s = quoteMark.ReplaceAllString(s, "QUOTE ")
	if i := strings.IndexAny(s, "<>"); i >= 0 {
		return fmt.Errorf("raw %q at byte %d", s[i], i)
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '&' && !strings.HasPrefix(s[i:], "&amp;") && !strings.HasPrefix(s[i:], "&lt;") && !strings.HasPrefix(s[i:], "&gt;") {
			return fmt.Errorf("raw & at byte %d", i)
		}
	}
	return nil
}

func checkObject(t *testing.T, o map[string]any) {
	t.Helper()
	max := func(what string, s string, n int) {
		t.Helper()
		if c := utf8.RuneCountInString(s); c > n {
			t.Errorf("%s %s is %d characters, want at most %d: %.60q", o["type"], what, c, n, s)
		}
	}
	if p, ok := o["placeholder"]; ok {
		max("placeholder", textOf(p), kitPlaceholder)
	}
	if id, ok := o["action_id"]; ok {
		max("action_id", str(id), kitID)
	}
	if opts, ok := o["options"].([]any); ok {
		if len(opts) > kitOptions {
			t.Errorf("%d options, want at most %d", len(opts), kitOptions)
		}
		for _, op := range opts {
			op := op.(map[string]any)
			max("option text", textOf(op["text"]), kitOptionText)
			max("option value", str(op["value"]), kitOptionValue)
		}
	}
	switch o["type"] {
	case "section":
		max("text", textOf(o["text"]), kitSectionText)
		fields, _ := o["fields"].([]any)
		if len(fields) > kitSectionFields {
			t.Errorf("section has %d fields, want at most %d", len(fields), kitSectionFields)
		}
		for _, f := range fields {
			max("field", textOf(f), kitSectionField)
		}
	case "header":
		max("text", textOf(o["text"]), kitHeaderText)
	case "button":
		if n := utf8.RuneCountInString(textOf(o["text"])); n == 0 {
			t.Error("button without text")
		}
		max("text", textOf(o["text"]), kitButtonText)
		max("value", str(o["value"]), kitButtonValue)
	case "plain_text_input":
		ml, _ := o["max_length"].(float64)
		if ml > kitTextInputMax {
			t.Errorf("plain_text_input max_length %v, want at most %d", ml, kitTextInputMax)
		}
		if ml > 0 {
			max("initial_value", str(o["initial_value"]), int(ml))
		}
	case "input":
		max("label", textOf(o["label"]), kitLabel)
		max("hint", textOf(o["hint"]), kitLabel)
	case "context":
		if els, _ := o["elements"].([]any); len(els) > kitContextElements {
			t.Errorf("context has %d elements, want at most %d", len(els), kitContextElements)
		}
	case "actions":
		if els, _ := o["elements"].([]any); len(els) > kitActionElements {
			t.Errorf("actions has %d elements, want at most %d", len(els), kitActionElements)
		}
	}
}

// decode round-trips v through JSON, so checks see what Slack would get.
func decode(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// walk calls f on every JSON object in v.
func walk(v any, f func(map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		f(v)
		for _, c := range v {
			walk(c, f)
		}
	case []any:
		for _, c := range v {
			walk(c, f)
		}
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// textOf is the text of a text object.
func textOf(v any) string {
	m, _ := v.(map[string]any)
	return str(m["text"])
}

// TestEveryFormHasAGoldenFile derives the forms that need a golden file from
// the route table: every form pdbot takes (a Submission route) has at least
// one golden payload of that callback_id, and every golden file belongs to
// a payload, so a new form cannot skip its golden file unnoticed and a
// renamed one leaves no stale file behind.
func TestEveryFormHasAGoldenFile(t *testing.T) {
	golden := map[string]bool{}
	names := map[string]bool{}
	for _, p := range goldenPayloads() {
		names[p.name+".golden.json"] = true
		if p.modal != nil {
			golden[p.modal.CallbackID] = true
		}
	}
	for _, r := range handlers.All() {
		if r.Kind == handlers.Submission && !golden[r.ID] {
			t.Errorf("the form %q (%s) has no golden payload: add one to goldenPayloads and run go test ./handlers -run Golden -update", r.ID, r.Help)
		}
	}
	files, err := filepath.Glob(filepath.Join("testdata", "*.golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !names[filepath.Base(f)] {
			t.Errorf("%s belongs to no golden payload: delete it, or add its payload to goldenPayloads", f)
		}
	}
}
