package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/slack-go/slack"
	bolt "go.etcd.io/bbolt"

	"github.com/pdbot/pdbot/bot"
	"github.com/pdbot/pdbot/internal/demoworld"
	"github.com/pdbot/pdbot/internal/pdfake"
	"github.com/pdbot/pdbot/internal/slackfake"
	"github.com/pdbot/pdbot/store"
)

const (
	dave      = demoworld.DaveID
	deploybot = demoworld.DeployBotID
	// userToken is a user-level PagerDuty token (Bob's); a canary too.
	userToken = "u+userTokenCANARY-01"
	// pastedKey is key-shaped text typed where free text goes; a canary.
	pastedKey = "u+pastedKeyCANARY990"
)

// TestUserLevelTokensAreRefusedAsKeys: PagerDuty ignores From for a
// user-level token, so saved as a channel's key (or the workspace default)
// it would make everyone act as its owner. The key form refuses it with
// advice, and saves an account key.
func TestUserLevelTokensAreRefusedAsKeys(t *testing.T) {
	h := newHarness(t)
	h.pd.AddUserKey(userToken, demoworld.PDBobID)
	const accountKey = "u+channelKeyCANARY-88"
	h.pd.AddKey(accountKey, pdfake.AccountKey)
	// openKeyForm opens a key form and returns it, not one opened before.
	openKeyForm := func(line, channel string) slackfake.View {
		old := map[string]bool{}
		for _, v := range h.sf.Views(alice) {
			old[v.ID] = true
		}
		h.ack(must(h.sf.Slash(alice, channel, line)))
		return h.topView(alice, func(v slackfake.View) bool { return v.CallbackID == "key_submit" && !old[v.ID] })
	}
	for _, tc := range []struct{ line, channel string }{{"/pd key", incCh}, {"/pd key default", opsCh}} {
		v := openKeyForm(tc.line, tc.channel)
		a := h.submit(alice, v, map[string]map[string]slackfake.Value{"key": {"key_input": {Value: userToken}}})
		contains(t, string(a.Payload), "personal", "general access REST API key")
	}
	if info, err := h.st.APIKeyInfo(context.Background(), demoworld.TeamID, incCh); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a user token was saved as the channel's key: %+v, %v", info, err)
	}
	if info, err := h.st.APIKeyInfo(context.Background(), demoworld.TeamID, store.DefaultChannel); err != nil || info.Last4 != "0001" {
		t.Errorf("the workspace default changed: %+v, %v", info, err)
	}
	if len(h.writes()) != 0 {
		t.Errorf("writes: %v", paths(h.writes()))
	}
	// An account key passes the same check.
	v := openKeyForm("/pd key", incCh)
	before := h.snapshot(alice, incCh)
	h.submit(alice, v, map[string]map[string]slackfake.Value{"key": {"key_input": {Value: accountKey}}})
	contains(t, h.next(alice, incCh, before, "saved").Text, "ending in `Y-88`")
}

// TestGuestsAndOutsidersUseNoKeyUntilVouched: a guest, or someone of
// another organisation in a shared channel, reads nothing through the
// channel's key (not even by #NUMBER) until a workspace admin vouches for
// them with /pd map; nothing reaches PagerDuty before.
func TestGuestsAndOutsidersUseNoKeyUntilVouched(t *testing.T) {
	h := newHarness(t)
	const zed = "U0ZED0001"
	h.sf.AddUser(slackfake.User{ID: zed, Name: "zed", RealName: "Zed Outside", Email: "zed@partner.example", TeamID: "T0OTHER01"})
	h.pd.AddUser(pdfake.User{ID: "PDAVE01", Name: demoworld.DaveReal, Email: demoworld.DaveEmail})
	msgTS := h.sf.PostAsUser(bob, incCh, "looking at https://acme.pagerduty.com/incidents/"+inc42)
	for _, who := range []string{dave, zed} {
		for _, line := range []string{"/pd get #42", "/pd get", "/pd", "/pd get " + demoworld.Incident43ID, "/pd note hello", "/pd whoami"} {
			got := h.slash(who, incCh, line)
			contains(t, got.Text, "Ask a workspace admin to vouch for you with `/pd map")
			if !got.Ephemeral || strings.Contains(got.Text, "Orders DB") {
				t.Errorf("%s %s: %q", who, line, got.Text)
			}
		}
		h.ack(must(h.sf.MessageShortcut(who, incCh, msgTS, "show_incident")))
		h.waitFor("the shortcut's refusal", func() bool {
			for _, m := range h.sf.Ephemerals(who, incCh) {
				if strings.Contains(m.Text, "vouch for you") {
					return true
				}
			}
			return false
		})
	}
	contains(t, h.slash(dave, incCh, "/pd get").Text, "guests need a workspace admin")
	contains(t, h.slash(zed, incCh, "/pd get").Text, "another organisation")
	h.requireNoPD()

	contains(t, h.slash(alice, opsCh, "/pd map @dave "+demoworld.DaveEmail).Text, "now acts in PagerDuty as Dave Guest")
	h.pd.ResetRequests()
	got := h.slash(dave, incCh, "/pd get #42")
	contains(t, got.PlainText(), demoworld.Incident42Title)
	contains(t, h.slash(dave, incCh, "/pd note vouched for").Text, "Dave Guest added a note")
	h.writesOnly(demoworld.DaveEmail, "POST /incidents/"+inc42+"/notes")
}

// TestGuestTypeAheadUsesNoKey: type-ahead in a form sealed for a guest
// (say, opened before they became one) asks PagerDuty nothing.
func TestGuestTypeAheadUsesNoKey(t *testing.T) {
	h := newHarness(t)
	meta, err := h.bot.SealFormForTest(demoworld.TeamID, "responders_submit", incCh, dave, inc42)
	if err != nil {
		t.Fatal(err)
	}
	acked := make(chan any, 1)
	h.bot.Dispatch(context.Background(), bot.Interaction{ID: "guest-suggest-1", Callback: &slack.InteractionCallback{
		Type: slack.InteractionTypeBlockSuggestion, Team: slack.Team{ID: demoworld.TeamID}, User: slack.User{ID: dave},
		ActionID: "user_search", Value: "bob",
		View: slack.View{ID: "V1", CallbackID: "responders_submit", PrivateMetadata: meta},
	}}, func(_ context.Context, payload any) error { acked <- payload; return nil })
	b, _ := json.Marshal(<-acked)
	if string(b) != `{"options":[]}` {
		t.Errorf("a guest's type-ahead answered %s", b)
	}
	h.requireNoPD()
}

// TestDirectMessagesServeFullMembersOnly: in a DM or a group DM the
// workspace default key serves full members, not vouched guests.
func TestDirectMessagesServeFullMembersOnly(t *testing.T) {
	h := newHarness(t)
	const dm, mpdm = "D0DAVE0001", "G0MPDM0001"
	h.sf.AddChannel(slackfake.Channel{ID: mpdm, Name: "mpdm-alice--dave-1", IsPrivate: true})
	h.pd.AddUser(pdfake.User{ID: "PDAVE01", Name: demoworld.DaveReal, Email: demoworld.DaveEmail})
	contains(t, h.slash(alice, opsCh, "/pd map @dave "+demoworld.DaveEmail).Text, "Dave Guest")
	h.pd.ResetRequests()
	for _, ch := range []string{dm, mpdm} {
		got := h.slash(dave, ch, "/pd get #42")
		contains(t, got.Text, "In direct messages", "full members only", "/pd key")
	}
	h.requireNoPD()
	for _, ch := range []string{dm, mpdm} {
		contains(t, h.slash(bob, ch, "/pd get #42").PlainText(), demoworld.Incident42Title)
	}
	// A group DM with a key of its own serves the vouched guest.
	if err := h.st.SetAPIKey(context.Background(), demoworld.TeamID, mpdm, store.Secret(demoworld.DemoPDKey), alice); err != nil {
		t.Fatal(err)
	}
	contains(t, h.slash(dave, mpdm, "/pd get #42").PlainText(), demoworld.Incident42Title)
}

// TestBotsAreCalledBots: a bot account is refused as a bot, never called a
// guest.
func TestBotsAreCalledBots(t *testing.T) {
	h := newHarness(t)
	for _, line := range []string{"/pd get #42", "/pd ack", "/pd link " + demoworld.Incident43ID, "/pd unlink"} {
		got := h.slash(deploybot, incCh, line)
		contains(t, strings.ToLower(got.Text), "bot")
		if strings.Contains(strings.ToLower(got.Text), "guest") {
			t.Errorf("%s: a bot is called a guest: %q", line, got.Text)
		}
	}
	h.requireNoPD()
}

// TestKeyShapedTextIsNeitherSentNorPosted: a note, a resolve or status
// message, a responder request's message or a resolution that holds
// something shaped like a key is refused before any request, and never
// repeated.
func TestKeyShapedTextIsNeitherSentNorPosted(t *testing.T) {
	h := newHarness(t)
	for _, line := range []string{
		"/pd note rotated, the new key is " + pastedKey,
		"/pd note " + inc42 + " `" + pastedKey + "`",
		"/pd resolve fixed with " + pastedKey,
		"/pd status resolved " + pastedKey,
		"/pd responders user=@bob please join " + pastedKey,
		"/pd update status=resolved resolution=" + pastedKey,
	} {
		got := h.slash(alice, incCh, line)
		contains(t, got.Text, "shaped like an API key", "/pd key")
		if !got.Ephemeral {
			t.Errorf("%s: the refusal is not ephemeral", line)
		}
	}
	h.requireNoPD()
	if n := len(h.sf.Messages(incCh)); n != 0 {
		t.Errorf("%d messages posted in the channel", n)
	}
}

// TestKeyShapedTextInFormsAndShortcuts: the note and responders forms and
// the "Add as incident note" shortcut go through the same check.
func TestKeyShapedTextInFormsAndShortcuts(t *testing.T) {
	h := newHarness(t)
	card := h.card(alice, incCh)
	h.click(alice, incCh, card, "card_note")
	note := h.topView(alice, func(v slackfake.View) bool { return v.CallbackID == "note_submit" })
	h.pd.ResetRequests()
	before := h.snapshot(alice, incCh)
	h.submit(alice, note, map[string]map[string]slackfake.Value{"note": {"note_input": {Value: "token " + pastedKey + " leaked"}}})
	contains(t, h.next(alice, incCh, before, "the note form").Text, "shaped like an API key")
	h.requireNoPD()

	resp := h.openModal(alice, incCh, "/pd responders", "responders_submit")
	h.pd.ResetRequests()
	before = h.snapshot(alice, incCh)
	h.submit(alice, resp, map[string]map[string]slackfake.Value{
		"users":   {"user_search": {SelectedOptions: []string{demoworld.PDBobID}}},
		"message": {"message_input": {Value: pastedKey}},
	})
	contains(t, h.next(alice, incCh, before, "the responders form").Text, "shaped like an API key")
	h.requireNoPD()

	// A message holding a key (not a harness canary: it is in the channel
	// on purpose) is not copied into a note form.
	const inMessage = "u+messageKeyXYZ-12345"
	ts := h.sf.PostAsUser(bob, incCh, "here is the key "+inMessage)
	views := len(h.sf.Views(alice))
	before = h.snapshot(alice, incCh)
	h.ack(must(h.sf.MessageShortcut(alice, incCh, ts, "note_from_message")))
	contains(t, h.next(alice, incCh, before, "the shortcut").Text, "shaped like an API key")
	for _, v := range h.sf.Views(alice)[views:] {
		if strings.Contains(v.PlainText(), inMessage) {
			t.Errorf("the key was copied into a form: %s", v.PlainText())
		}
	}
	for _, m := range h.sf.Ephemerals(alice, incCh) {
		if strings.Contains(m.Text+string(m.Blocks), inMessage) {
			t.Errorf("the key was repeated: %q", m.Text)
		}
	}
	h.requireNoPD()
}

// TestEmailMatchIsExactASCII: a Slack email matches a PagerDuty user's
// only up to ASCII case (the Kelvin sign is not a k), every page of
// PagerDuty's answer is read, and two PagerDuty users with the email are
// refused with advice rather than picking one.
func TestEmailMatchIsExactASCII(t *testing.T) {
	h := newHarness(t)
	h.pd.AddUser(pdfake.User{ID: "PKATE01", Name: "Kate Kim", Email: "kate@example.com"})
	h.sf.AddUser(slackfake.User{ID: "U0KELVIN1", Name: "kelvin", RealName: "Not Kate", Email: "\u212Aate@example.com", TeamID: demoworld.TeamID})
	got := h.slash("U0KELVIN1", incCh, "/pd note hi")
	contains(t, got.Text, "No PagerDuty user has your Slack email")
	if len(h.writes()) != 0 {
		t.Fatalf("writes: %v", paths(h.writes()))
	}

	h.pd.AddUser(pdfake.User{ID: "PDUP001", Name: "Dana One", Email: "dana@example.com"})
	h.pd.AddUser(pdfake.User{ID: "PDUP002", Name: "Dana Two", Email: "Dana@Example.com"})
	h.sf.AddUser(slackfake.User{ID: "U0DANA001", Name: "dana", RealName: "Dana", Email: "dana@example.com", TeamID: demoworld.TeamID})
	contains(t, h.slash("U0DANA001", incCh, "/pd note hi").Text, "Several PagerDuty users have that email", "/pd map")
	contains(t, h.slash(alice, opsCh, "/pd map @erin dana@example.com").Text, "Several PagerDuty users have that email")
	if len(h.writes()) != 0 {
		t.Fatalf("writes: %v", paths(h.writes()))
	}

	// 150 users whose emails hold Zoe's sort before her: she is on page 2.
	for i := range 150 {
		h.pd.AddUser(pdfake.User{ID: fmt.Sprintf("PA%05d", i), Name: fmt.Sprintf("Aaron %03d", i), Email: fmt.Sprintf("x%03d.zoe@example.com", i)})
	}
	h.pd.AddUser(pdfake.User{ID: "PZOE001", Name: "Zoe Zed", Email: "zoe@example.com"})
	h.sf.AddUser(slackfake.User{ID: "U0ZOE0001", Name: "zoe", RealName: "Zoe", Email: "Zoe@example.com", TeamID: demoworld.TeamID})
	contains(t, h.slash("U0ZOE0001", incCh, "/pd note found me").Text, "Zoe Zed added a note")
	h.writesOnly("zoe@example.com", "POST /incidents/"+inc42+"/notes")
}

// corruptKeys overwrites every stored API key record of the bbolt file
// with garbage.
func corruptKeys(t *testing.T, path string, channel string) {
	t.Helper()
	mk, _ := store.GenerateMasterKey()
	ring, _ := store.ParseKeyRing(mk)
	st, err := store.OpenBolt(path, ring)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetAPIKey(context.Background(), demoworld.TeamID, channel, store.Secret(demoworld.DemoPDKey), alice); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("apikeys"))
		if b == nil {
			return errors.New("no apikeys bucket")
		}
		var keys [][]byte
		_ = b.ForEach(func(k, _ []byte) error { keys = append(keys, append([]byte(nil), k...)); return nil })
		if len(keys) == 0 {
			return errors.New("no key records")
		}
		for _, k := range keys {
			if err := b.Put(k, []byte("{this is not a key record")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCorruptKeyRecordGetsAdvice: a stored key record that is garbage gets
// advice that names the key to re-enter, not "Something went wrong".
func TestCorruptKeyRecordGetsAdvice(t *testing.T) {
	t.Run("Channel", func(t *testing.T) {
		h := newHarness(t, withoutKey(), beforeStore(func(path string) { corruptKeys(t, path, incCh) }))
		got := h.slash(alice, incCh, "/pd get")
		contains(t, got.Text, "re-enter this channel's key with `/pd key`")
		contains(t, h.slash(alice, incCh, "/pd key status").Text, "re-enter this channel's key with `/pd key`")
		h.requireNoPD()
	})
	t.Run("WorkspaceDefault", func(t *testing.T) {
		h := newHarness(t, withoutKey(), beforeStore(func(path string) { corruptKeys(t, path, store.DefaultChannel) }))
		got := h.slash(alice, opsCh, "/pd note hello")
		contains(t, got.Text, "re-enter the workspace default key with `/pd key default`")
		if strings.Contains(got.Text, "Something went wrong") {
			t.Errorf("no advice: %q", got.Text)
		}
		h.requireNoPD()
	})
}

// TestMapNamesUsersNotIncidents: an unknown PagerDuty user ID is called a
// user.
func TestMapNamesUsersNotIncidents(t *testing.T) {
	h := newHarness(t)
	got := h.slash(alice, opsCh, "/pd map @erin PZZZZZZ")
	contains(t, got.Text, "PagerDuty has no user PZZZZZZ")
	if strings.Contains(got.Text, "incident") {
		t.Errorf("an unknown user is called an incident: %q", got.Text)
	}
	if _, err := h.st.Mapping(context.Background(), demoworld.TeamID, demoworld.ErinID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a mapping was saved: %v", err)
	}
}

// TestMapListAndUnmap: admins list and remove overrides; mapping an
// identity someone else's override already uses maps, and names them.
func TestMapListAndUnmap(t *testing.T) {
	h := newHarness(t)
	contains(t, h.slash(alice, opsCh, "/pd map list").Text, "No admin overrides")
	contains(t, h.slash(alice, opsCh, "/pd map @erin "+demoworld.CarolEmail).Text, "now acts in PagerDuty as Carol White")
	h.slash(alice, incCh, "/pd whoami") // a looked-up mapping, which is no override
	got := h.slash(alice, opsCh, "/pd map list")
	contains(t, got.Text, "<@"+demoworld.ErinID+"> → Carol White &lt;carol@example.com&gt; ("+demoworld.PDCarolID+")")
	if strings.Contains(got.Text, alice) {
		t.Errorf("a looked-up mapping is listed as an override: %q", got.Text)
	}
	got = h.slash(alice, opsCh, "/pd map @bob "+demoworld.PDCarolID)
	contains(t, got.Text, "now acts in PagerDuty as Carol White", "<@"+demoworld.ErinID+"> also acts as Carol White", "/pd unmap")
	if m, err := h.st.Mapping(context.Background(), demoworld.TeamID, bob); err != nil || !m.Override || m.PDUserID != demoworld.PDCarolID {
		t.Errorf("bob's override: %+v, %v", m, err)
	}

	for _, line := range []string{"/pd map list", "/pd unmap @erin"} {
		contains(t, h.slash(bob, opsCh, line).Text, "Only workspace admins")
	}
	contains(t, h.slash(alice, opsCh, "/pd unmap @erin").Text, "Removed the override of <@"+demoworld.ErinID+">")
	contains(t, h.slash(alice, opsCh, "/pd unmap @erin").Text, "has no admin override; nothing was removed")
	contains(t, h.slash(alice, opsCh, "/pd unmap @alice").Text, "has no admin override")
	contains(t, h.slash(alice, opsCh, "/pd unmap erin").Text, "Use `/pd unmap @user`")
	contains(t, h.slash(demoworld.ErinID, opsCh, "/pd whoami").Text, "No PagerDuty user has your Slack email")
	got = h.slash(alice, opsCh, "/pd map list")
	contains(t, got.Text, "<@"+bob+">")
	if strings.Contains(got.Text, demoworld.ErinID) {
		t.Errorf("erin is still listed: %q", got.Text)
	}
}

// TestMapListNeedsNoKey: the overrides are pdbot's own records, so an
// admin lists them in a channel without a PagerDuty key (and with no
// default), and PagerDuty is asked nothing; mapping still needs the key.
func TestMapListNeedsNoKey(t *testing.T) {
	h := newHarness(t, withoutKey())
	got := h.slash(alice, opsCh, "/pd map list")
	contains(t, got.Text, "No admin overrides")
	if strings.Contains(got.Text, "API key") {
		t.Errorf("/pd map list asks for a key: %q", got.Text)
	}
	h.requireNoPD()
	contains(t, h.slash(alice, opsCh, "/pd map @erin "+demoworld.CarolEmail).Text, "no PagerDuty API key", "/pd key")
	contains(t, h.slash(bob, opsCh, "/pd map list").Text, "Only workspace admins")
	h.requireNoPD()
}

// TestDeleteDefaultKeyAsksFirst: /pd key delete default deletes nothing
// until the admin confirms, and the button checks admin rights again.
func TestDeleteDefaultKeyAsksFirst(t *testing.T) {
	h := newHarness(t)
	defaultKey := func() bool {
		_, err := h.st.APIKeyInfo(context.Background(), demoworld.TeamID, store.DefaultChannel)
		return err == nil
	}
	ephemeralSays := func(user, channel, text string) func() bool {
		return func() bool {
			for _, m := range h.sf.Ephemerals(user, channel) {
				if strings.Contains(m.Text, text) {
					return true
				}
			}
			return false
		}
	}
	confirm := h.slash(alice, opsCh, "/pd key delete default")
	contains(t, confirm.PlainText(), "Delete the workspace default PagerDuty key?", "[Delete] [Cancel]")
	if !defaultKey() {
		t.Fatal("deleted before the confirmation")
	}
	h.click(alice, opsCh, confirm, "key_delete_cancel")
	h.waitFor("the cancellation", ephemeralSays(alice, opsCh, "Kept"))
	if !defaultKey() {
		t.Fatal("Cancel deleted the key")
	}

	// Demoted after asking: the button refuses.
	confirm = h.slash(alice, opsCh, "/pd key delete default")
	h.sf.AddUser(slackfake.User{ID: alice, Name: demoworld.AliceName, RealName: demoworld.AliceReal, Email: demoworld.AliceEmail, TeamID: demoworld.TeamID})
	before := h.snapshot(alice, opsCh)
	h.click(alice, opsCh, confirm, "key_delete_default")
	contains(t, h.next(alice, opsCh, before, "the refused deletion").Text, "Only workspace admins")
	if !defaultKey() {
		t.Fatal("a demoted admin deleted the key")
	}

	h.sf.AddUser(slackfake.User{ID: alice, Name: demoworld.AliceName, RealName: demoworld.AliceReal, Email: demoworld.AliceEmail, TeamID: demoworld.TeamID, IsAdmin: true})
	confirm = h.slash(alice, opsCh, "/pd key delete default")
	h.click(alice, opsCh, confirm, "key_delete_default")
	h.waitFor("the deletion", ephemeralSays(alice, opsCh, "Deleted. The workspace default has no PagerDuty key"))
	if defaultKey() {
		t.Fatal("the default key is still there")
	}
	contains(t, h.slash(alice, opsCh, "/pd key delete default").Text, "nothing was deleted")
}
