package pdfake_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/google/go-cmp/cmp"

	"github.com/pdbot/pdbot/internal/pdfake"
	"github.com/pdbot/pdbot/internal/pdfake/pdfaketest"
)

func userIDs(us []pagerduty.User) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.ID)
	}
	return out
}

func TestListUsersQuery(t *testing.T) {
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{"PU1", "PU2", "PU3"}},
		{"bob", []string{"PU2", "PU3"}},      // name, case-insensitive
		{"BOB@EXAMPLE.COM", []string{"PU2"}}, // email, case-insensitive
		{"bobby@", []string{"PU3"}},          // substring of an email
		{"adams", []string{"PU1"}},           // substring of a name
		{"nobody", nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			s := newSeeded(t)
			resp, err := client(s, acctKey).ListUsersWithContext(ctx(t), pagerduty.ListUsersOptions{Query: tt.query})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, userIDs(resp.Users)); diff != "" {
				t.Errorf("users (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListUsersPagination(t *testing.T) {
	s := pdfaketest.New(t)
	s.AddKey(acctKey, pdfake.AccountKey)
	var all []string
	for i := range 230 {
		id := fmt.Sprintf("PU%03d", i)
		s.AddUser(pdfake.User{ID: id, Name: fmt.Sprintf("User %03d", i), Email: fmt.Sprintf("u%03d@example.com", i)})
		all = append(all, id)
	}
	c := client(s, acctKey)

	// The bot's loop: next offset = offset + items returned, until !more.
	var got []string
	for offset := uint(0); ; {
		resp, err := c.ListUsersWithContext(ctx(t), pagerduty.ListUsersOptions{Limit: 100, Offset: offset})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, userIDs(resp.Users)...)
		offset += uint(len(resp.Users))
		if !resp.More || len(resp.Users) == 0 {
			break
		}
	}
	if diff := cmp.Diff(all, got); diff != "" {
		t.Errorf("all pages (-want +got):\n%s", diff)
	}

	tests := []struct {
		name             string
		opts             pagerduty.ListUsersOptions
		wantN            int
		wantLimit        uint
		wantMore         bool
		wantTotal        uint
		wantStatus, code int
	}{
		{name: "default limit 25", opts: pagerduty.ListUsersOptions{}, wantN: 25, wantLimit: 25, wantMore: true},
		{name: "limit clamped to 100", opts: pagerduty.ListUsersOptions{Limit: 500}, wantN: 100, wantLimit: 100, wantMore: true},
		{name: "last page", opts: pagerduty.ListUsersOptions{Limit: 100, Offset: 200}, wantN: 30, wantLimit: 100},
		{name: "past the end", opts: pagerduty.ListUsersOptions{Limit: 10, Offset: 300}, wantN: 0, wantLimit: 10},
		{name: "total", opts: pagerduty.ListUsersOptions{Limit: 5, Total: true}, wantN: 5, wantLimit: 5, wantMore: true, wantTotal: 230},
		{name: "offset+limit over 10000", opts: pagerduty.ListUsersOptions{Limit: 100, Offset: 9950}, wantStatus: 400, code: 2001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := c.ListUsersWithContext(ctx(t), tt.opts)
			if tt.wantStatus != 0 {
				wantAPIError(t, err, tt.wantStatus, tt.code)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Users) != tt.wantN || resp.Limit != tt.wantLimit || resp.More != tt.wantMore || resp.Total != tt.wantTotal {
				t.Errorf("got %d users, limit %d, more %v, total %d; want %d, %d, %v, %d",
					len(resp.Users), resp.Limit, resp.More, resp.Total, tt.wantN, tt.wantLimit, tt.wantMore, tt.wantTotal)
			}
		})
	}
}

func TestGetUser(t *testing.T) {
	s := newSeeded(t)
	c := client(s, acctKey)
	u, err := c.GetUserWithContext(ctx(t), "PU1", pagerduty.GetUserOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := pagerduty.User{
		APIObject: pagerduty.APIObject{ID: "PU1", Type: "user", Summary: "Alice Adams",
			Self: s.URL() + "/users/PU1", HTMLURL: "https://example.pagerduty.com/users/PU1"},
		Name: "Alice Adams", Email: aliceMail, Timezone: "Europe/Paris", Role: "admin",
	}
	if diff := cmp.Diff(want, *u, cmp.FilterPath(func(p cmp.Path) bool {
		switch p.Last().String() {
		case ".Color", ".AvatarURL", ".Teams", ".ContactMethods", ".NotificationRules":
			return true
		}
		return false
	}, cmp.Ignore())); diff != "" {
		t.Errorf("user (-want +got):\n%s", diff)
	}
	_, err = c.GetUserWithContext(ctx(t), "PNOUSER", pagerduty.GetUserOptions{})
	wantAPIError(t, err, http.StatusNotFound, 2100)
}

func TestCurrentUser(t *testing.T) {
	s := newSeeded(t)
	u, err := client(s, bobKey).GetCurrentUserWithContext(ctx(t), pagerduty.GetCurrentUserOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != "PU2" || u.Email != bobMail {
		t.Errorf("user key's current user = %s %s, want PU2 %s", u.ID, u.Email, bobMail)
	}

	// An account key gets a 400 whose "error" is a string: go-pagerduty
	// cannot decode it (Valid false), so the bot branches on the status.
	for _, key := range []string{acctKey, roKey} {
		_, err = client(s, key).GetCurrentUserWithContext(ctx(t), pagerduty.GetCurrentUserOptions{})
		if e := wantAPIError(t, err, http.StatusBadRequest, 0); e.APIError.Valid {
			t.Errorf("error object decoded (%+v), want the string-error body", e.APIError)
		}
	}
	resp, body := raw(t, s, acctKey, http.MethodGet, "/users/me", nil, "")
	want := `{"error":"Because this request was made using an account-level access token, we were unable to determine the user's identity. Please use a user-level token."}`
	if resp.StatusCode != 400 || string(body) != want {
		t.Errorf("GET /users/me with an account key = %d %s, want 400 %s", resp.StatusCode, body, want)
	}
}

func TestEscalationPolicies(t *testing.T) {
	s := newSeeded(t)
	c := client(s, acctKey)
	tests := []struct {
		opts pagerduty.ListEscalationPoliciesOptions
		want []string
	}{
		{pagerduty.ListEscalationPoliciesOptions{}, []string{"PEP2", "PEP1"}}, // sorted by name
		{pagerduty.ListEscalationPoliciesOptions{Query: "primary"}, []string{"PEP1"}},
		{pagerduty.ListEscalationPoliciesOptions{Query: "escalation"}, []string{"PEP2"}},
		{pagerduty.ListEscalationPoliciesOptions{SortBy: "name:desc"}, []string{"PEP1", "PEP2"}},
		{pagerduty.ListEscalationPoliciesOptions{UserIDs: []string{"PU3"}}, []string{"PEP2"}},
		{pagerduty.ListEscalationPoliciesOptions{Query: "nothing"}, nil},
	}
	for _, tt := range tests {
		resp, err := c.ListEscalationPoliciesWithContext(ctx(t), tt.opts)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range resp.EscalationPolicies {
			got = append(got, p.ID)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%+v (-want +got):\n%s", tt.opts, diff)
		}
	}
	p, err := c.GetEscalationPolicyWithContext(ctx(t), "PEP1", &pagerduty.GetEscalationPolicyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "Primary On-call" || p.Summary != "Primary On-call" || len(p.Services) != 1 || p.Services[0].ID != "PSV1" ||
		len(p.EscalationRules) != 1 || p.EscalationRules[0].Targets[0].ID != "PU1" {
		t.Errorf("policy = %+v", p)
	}
	_, err = c.GetEscalationPolicyWithContext(ctx(t), "PNOPE", &pagerduty.GetEscalationPolicyOptions{})
	wantAPIError(t, err, http.StatusNotFound, 2100)
}

func TestAbilities(t *testing.T) {
	s := newSeeded(t)
	c := client(s, acctKey)
	resp, err := c.ListAbilitiesWithContext(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(pdfake.DefaultAbilities, resp.Abilities); diff != "" {
		t.Errorf("default abilities (-want +got):\n%s", diff)
	}
	if err := c.TestAbilityWithContext(ctx(t), "coordinated_responding"); err != nil {
		t.Errorf("TestAbility(coordinated_responding) = %v, want 204", err)
	}

	s.SetAbilities("teams")
	err = c.TestAbilityWithContext(ctx(t), "coordinated_responding")
	wantAPIError(t, err, http.StatusPaymentRequired, 0)
	err = c.TestAbilityWithContext(ctx(t), "no_such_ability")
	wantAPIError(t, err, http.StatusNotFound, 2100)
	if resp, err = c.ListAbilitiesWithContext(ctx(t)); err != nil || len(resp.Abilities) != 1 {
		t.Errorf("abilities after SetAbilities(teams) = %v, %v", resp, err)
	}
}
