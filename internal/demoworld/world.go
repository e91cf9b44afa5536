package demoworld

import (
	"time"

	"github.com/pdbot/pdbot/internal/pdfake"
	"github.com/pdbot/pdbot/internal/slackfake"
)

// The Slack workspace.
const (
	TeamID     = "T0DEMO0001"
	TeamName   = "Acme"
	TeamDomain = "acme"
)

// Slack users.
const (
	// AliceID is a workspace admin who is also in PagerDuty (PDAliceID).
	AliceID    = "U0ALICE01"
	AliceName  = "alice"
	AliceReal  = "Alice Smith"
	AliceEmail = "alice@example.com"

	// BobID is a regular member, assigned to incident #42 (PDBobID).
	BobID    = "U0BOB0001"
	BobName  = "bob"
	BobReal  = "Bob Jones"
	BobEmail = "bob@example.com"

	// CarolID is the workspace owner (PDCarolID).
	CarolID    = "U0CAROL01"
	CarolName  = "carol"
	CarolReal  = "Carol White"
	CarolEmail = "carol@example.com"

	// DaveID is a guest (restricted account); he may not manage keys.
	DaveID    = "U0DAVE001"
	DaveName  = "dave"
	DaveReal  = "Dave Guest"
	DaveEmail = "dave@example.com"

	// ErinID is a member whose email is not in PagerDuty, so she maps to nobody.
	ErinID    = "U0ERIN001"
	ErinName  = "erin"
	ErinReal  = "Erin Black"
	ErinEmail = "erin@elsewhere.example"

	// DeployBotID is another app's bot user; bots may not manage keys.
	DeployBotID   = "U0DEPLOY01"
	DeployBotName = "deploybot"
	DeployBotReal = "Deploy Bot"
)

// Slack channels.
const (
	// IncChannelID's topic holds the URL of incident #42 (Incident42ID).
	IncChannelID    = "C0INC4201"
	IncChannelName  = "inc-42-orders-db"
	IncChannelTopic = "Orders DB latency " + PagerDutyWebURL + "/incidents/" + Incident42ID

	// OpsChannelID names no incident.
	OpsChannelID   = "C0OPS0001"
	OpsChannelName = "ops"

	// Inc43ChannelID's purpose names incident #43 (Incident43ID) by ID.
	Inc43ChannelID      = "C0INC4301"
	Inc43ChannelName    = "inc-43"
	Inc43ChannelPurpose = "Checkout 502s, PagerDuty incident " + Incident43ID
)

// PagerDutyWebURL is the demo account's PagerDuty subdomain: the channel
// topics link to it and every html_url the fake PagerDuty answers with
// starts with it (SeedWorld sets it).
const PagerDutyWebURL = "https://acme.pagerduty.com"

// PagerDuty users, policies and services.
const (
	PDAliceID = "PALICE1"
	PDBobID   = "PBOB001"
	PDCarolID = "PCAROL1"

	PolicyDBID    = "PEPDB01"
	PolicyDBName  = "Database On-Call"
	PolicyWebID   = "PEPWEB1"
	PolicyWebName = "Web On-Call"

	ServiceDBID    = "PSVCDB1"
	ServiceDBName  = "Orders DB"
	ServiceWebID   = "PSVCWB1"
	ServiceWebName = "Checkout Web"

	ScheduleDBPrimaryID   = "PSCDB01"
	ScheduleDBPrimaryName = "Database Primary"
	ScheduleDBBackupID    = "PSCDB02"
	ScheduleDBBackupName  = "Database Backup"
	ScheduleWebID         = "PSCWEB1"
	ScheduleWebName       = "Web Rotation"
)

// OnCallShift is how long a demo on-call shift lasts: the rotations hand
// over weekly, counted from the Monday before Epoch.
const OnCallShift = 7 * 24 * time.Hour

// PagerDuty priorities, P1 (most severe) to P5. PriorityP1ID names P1; the
// others follow the pattern (PPRIO02 … PPRIO05).
const (
	PriorityP1ID = "PPRIO01"
	PriorityP2ID = "PPRIO02"
)

// PagerDuty incidents.
const (
	// Incident42ID is triggered, high urgency, on ServiceDBID, assigned to PDBobID.
	Incident42ID     = "Q1ABCDEFGHIJKL"
	Incident42Number = 42
	Incident42Title  = "Orders DB latency > 2s"

	// Incident43ID is acknowledged by PDAliceID, on ServiceWebID.
	Incident43ID     = "Q2MNOPQRSTUVWX"
	Incident43Number = 43
	Incident43Title  = "Checkout 502s"

	// Incident44ID is resolved, on ServiceDBID.
	Incident44ID     = "P1RESOL"
	Incident44Number = 44
	Incident44Title  = "Old disk alert"
)

// PagerDuty incident workflows.
const (
	WorkflowKickoffID   = "PWFKICK"
	WorkflowKickoffName = "Major incident kickoff"
	WorkflowCommsID     = "PWFCOMM"
	WorkflowCommsName   = "Stakeholder comms"
)

// DemoPDKey is the account-level PagerDuty API key of the demo account. It
// is a canary: tests fail if it shows up in any reply, error or log.
const DemoPDKey = "u+demoPDkeyCANARY-0001"

// Epoch is when incident #42 was created in the world New returns (fixed, so
// rendered cards and golden files do not change from run to run). The other
// incidents are older. NewAt moves the world to another time.
var Epoch = time.Date(2026, time.January, 15, 9, 30, 0, 0, time.UTC)

// World describes what Seed created, in display order.
type World struct {
	TeamID     string
	SlackUsers []slackfake.User
	Channels   []slackfake.Channel
	PDUsers    []pdfake.User
	Policies   []pdfake.EscalationPolicy
	Services   []pdfake.Service
	Schedules  []pdfake.Schedule
	// OnCalls: Database On-Call has Bob at level 1 and Carol at level 2,
	// Web On-Call Alice at level 1 and Carol at level 2, in weekly
	// rotations that never end (so someone is on call whatever the clock).
	OnCalls     []pdfake.OnCall
	Priorities  []pdfake.Priority
	Incidents   []pdfake.Incident
	Workflows   []pdfake.Workflow
	Abilities   []string
	PDKey       string
	DefaultUser string // AliceID
	DefaultChan string // IncChannelID
}

// SlackOptions are the slackfake options of the Acme workspace; pass them
// (with any test settings added) to slackfake.New before calling Seed.
func SlackOptions() slackfake.Options {
	return slackfake.Options{TeamID: TeamID, TeamName: TeamName, TeamDomain: TeamDomain}
}

// New returns the world as of Epoch, without seeding anything.
func New() World { return NewAt(Epoch) }

// NewAt returns the world with incident #42 created at epoch (the demo uses a
// few minutes ago, so cards read naturally).
func NewAt(epoch time.Time) World {
	epoch = epoch.UTC().Truncate(time.Second)
	day := 24 * time.Hour
	monday := epoch.Truncate(day).Add(-time.Duration((int(epoch.Weekday())+6)%7) * day)
	rotation := func(policy string, level int, schedule, user string) pdfake.OnCall {
		return pdfake.OnCall{PolicyID: policy, Level: level, ScheduleID: schedule, UserIDs: []string{user}, Start: monday, Shift: OnCallShift}
	}
	return World{
		TeamID: TeamID,
		SlackUsers: []slackfake.User{
			{ID: AliceID, Name: AliceName, RealName: AliceReal, Email: AliceEmail, TeamID: TeamID, IsAdmin: true},
			{ID: BobID, Name: BobName, RealName: BobReal, Email: BobEmail, TeamID: TeamID},
			{ID: CarolID, Name: CarolName, RealName: CarolReal, Email: CarolEmail, TeamID: TeamID, IsAdmin: true, IsOwner: true},
			{ID: DaveID, Name: DaveName, RealName: DaveReal, Email: DaveEmail, TeamID: TeamID, IsRestricted: true},
			{ID: ErinID, Name: ErinName, RealName: ErinReal, Email: ErinEmail, TeamID: TeamID},
			{ID: DeployBotID, Name: DeployBotName, RealName: DeployBotReal, TeamID: TeamID, IsBot: true},
		},
		Channels: []slackfake.Channel{
			{ID: IncChannelID, Name: IncChannelName, Topic: IncChannelTopic},
			{ID: OpsChannelID, Name: OpsChannelName, Topic: "Operations chatter"},
			{ID: Inc43ChannelID, Name: Inc43ChannelName, Purpose: Inc43ChannelPurpose},
		},
		PDUsers: []pdfake.User{
			{ID: PDAliceID, Name: AliceReal, Email: AliceEmail},
			{ID: PDBobID, Name: BobReal, Email: BobEmail},
			{ID: PDCarolID, Name: CarolReal, Email: CarolEmail},
		},
		Policies: []pdfake.EscalationPolicy{
			// Database On-Call has two levels, Web On-Call three.
			{ID: PolicyDBID, Name: PolicyDBName, UserIDs: []string{PDBobID}, Levels: [][]string{{PDCarolID}}},
			{ID: PolicyWebID, Name: PolicyWebName, UserIDs: []string{PDAliceID}, Levels: [][]string{{PDBobID}, {PDCarolID}}},
		},
		Priorities: []pdfake.Priority{
			{ID: PriorityP1ID, Name: "P1", Description: "Critical: customers cannot order"},
			{ID: PriorityP2ID, Name: "P2", Description: "Major: many customers affected"},
			{ID: "PPRIO03", Name: "P3", Description: "Minor: some customers affected"},
			{ID: "PPRIO04", Name: "P4", Description: "Low: no customer impact yet"},
			{ID: "PPRIO05", Name: "P5", Description: "Cosmetic"},
		},
		Services: []pdfake.Service{
			{ID: ServiceDBID, Name: ServiceDBName, EscalationPolicyID: PolicyDBID},
			{ID: ServiceWebID, Name: ServiceWebName, EscalationPolicyID: PolicyWebID},
		},
		Schedules: []pdfake.Schedule{
			{ID: ScheduleDBPrimaryID, Name: ScheduleDBPrimaryName, TimeZone: "Europe/London"},
			{ID: ScheduleDBBackupID, Name: ScheduleDBBackupName, TimeZone: "Europe/London"},
			{ID: ScheduleWebID, Name: ScheduleWebName, TimeZone: "America/New_York"},
		},
		OnCalls: []pdfake.OnCall{
			rotation(PolicyDBID, 1, ScheduleDBPrimaryID, PDBobID),
			rotation(PolicyDBID, 2, ScheduleDBBackupID, PDCarolID),
			rotation(PolicyWebID, 1, ScheduleWebID, PDAliceID),
			rotation(PolicyWebID, 2, ScheduleDBBackupID, PDCarolID),
		},
		Incidents: []pdfake.Incident{
			{
				ID: Incident42ID, Number: Incident42Number, Title: Incident42Title,
				Status: "triggered", Urgency: "high", ServiceID: ServiceDBID, EscalationPolicyID: PolicyDBID,
				Assignees: []string{PDBobID}, CreatedAt: epoch,
			},
			{
				ID: Incident43ID, Number: Incident43Number, Title: Incident43Title,
				Status: "acknowledged", Urgency: "high", ServiceID: ServiceWebID, EscalationPolicyID: PolicyWebID,
				Assignees: []string{PDAliceID}, Acknowledgers: []string{PDAliceID}, CreatedAt: epoch.Add(-2 * time.Hour),
			},
			{
				ID: Incident44ID, Number: Incident44Number, Title: Incident44Title,
				Status: "resolved", Urgency: "low", ServiceID: ServiceDBID, EscalationPolicyID: PolicyDBID,
				CreatedAt: epoch.Add(-72 * time.Hour), ResolvedAt: epoch.Add(-70 * time.Hour),
			},
		},
		Workflows: []pdfake.Workflow{
			{ID: WorkflowKickoffID, Name: WorkflowKickoffName, Description: "Opens a conference bridge and pages the incident commander"},
			{ID: WorkflowCommsID, Name: WorkflowCommsName, Description: "Posts a status update to the stakeholders"},
		},
		Abilities:   []string{"coordinated_responding", "teams", "urgencies", "read_only_users", "service_support_hours"},
		PDKey:       DemoPDKey,
		DefaultUser: AliceID,
		DefaultChan: IncChannelID,
	}
}

// Seed adds the Acme world to sf and pd and returns it. sf should have been
// created with SlackOptions (Seed sets each user's team explicitly, so a
// fake with another team ID still works, but permalinks and team names will
// differ). pd gets DemoPDKey as an account-level key.
func Seed(sf *slackfake.Fake, pd *pdfake.Server) World {
	return SeedWorld(sf, pd, New())
}

// SeedWorld adds w (from New or NewAt) to sf and pd and returns it.
func SeedWorld(sf *slackfake.Fake, pd *pdfake.Server, w World) World {
	for _, u := range w.SlackUsers {
		sf.AddUser(u)
	}
	for _, c := range w.Channels {
		sf.AddChannel(c)
	}
	pd.AddKey(w.PDKey, pdfake.AccountKey)
	pd.SetWebURL(PagerDutyWebURL)
	for _, u := range w.PDUsers {
		pd.AddUser(u)
	}
	for _, p := range w.Policies {
		pd.AddEscalationPolicy(p)
	}
	for _, s := range w.Services {
		pd.AddService(s)
	}
	for _, s := range w.Schedules {
		pd.AddSchedule(s)
	}
	for _, oc := range w.OnCalls {
		pd.AddOnCall(oc)
	}
	pd.SetPriorities(w.Priorities...)
	for _, in := range w.Incidents {
		pd.AddIncident(in)
	}
	for _, wf := range w.Workflows {
		pd.AddWorkflow(wf)
	}
	pd.SetAbilities(w.Abilities...)
	return w
}

// SlackUser returns the seeded Slack user whose ID or name is s.
func (w World) SlackUser(s string) (slackfake.User, bool) {
	for _, u := range w.SlackUsers {
		if u.ID == s || u.Name == s {
			return u, true
		}
	}
	return slackfake.User{}, false
}

// Channel returns the seeded channel whose ID or name (with or without "#")
// is s.
func (w World) Channel(s string) (slackfake.Channel, bool) {
	name := s
	if len(name) > 0 && name[0] == '#' {
		name = name[1:]
	}
	for _, c := range w.Channels {
		if c.ID == s || c.Name == name {
			return c, true
		}
	}
	return slackfake.Channel{}, false
}
