package pdapi_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/pdbot/pdbot/internal/pdapi"
	"github.com/pdbot/pdbot/internal/pdfake"
)

func TestSameEmailIsASCIIOnly(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"kate@example.com", "kate@example.com", true},
		{"Kate@Example.COM", "kate@example.com", true},
		{"\u212Aate@example.com", "kate@example.com", false}, // the Kelvin sign folds to k in Unicode
		{"\u212Aate@example.com", "Kate@example.com", false},
		{"ſam@example.com", "sam@example.com", false}, // long s folds to s
		{"kate@example.com", "kate@example.co", false},
		{"bob@example.com", "bobby@example.com", false},
	} {
		if got := pdapi.SameEmail(tc.a, tc.b); got != tc.want {
			t.Errorf("SameEmail(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestFindUserByEmailReadsEveryPage: the exact match is past PagerDuty's
// first page of substring matches.
func TestFindUserByEmailReadsEveryPage(t *testing.T) {
	s := newSeeded(t)
	for i := range 150 {
		// Named so they sort before the match, and all contain its email.
		s.AddUser(pdfake.User{ID: fmt.Sprintf("PA%05d", i), Name: fmt.Sprintf("Aaron %03d", i), Email: fmt.Sprintf("x%03d.zoe@example.com", i)})
	}
	s.AddUser(pdfake.User{ID: "PZOE001", Name: "Zoe Zed", Email: "zoe@example.com"})
	u, err := fakeClient(s, "").FindUserByEmail(testCtx(t), "ZOE@example.com")
	if err != nil || u == nil || u.ID != "PZOE001" {
		t.Fatalf("FindUserByEmail = %+v, %v; want PZOE001", u, err)
	}
	var pages int
	for _, r := range s.Requests() {
		if r.Path == "/users" {
			pages++
		}
	}
	if pages != 2 {
		t.Errorf("%d pages read, want 2", pages)
	}
}

func TestFindUserByEmailRefusesUnicodeFolding(t *testing.T) {
	s := newSeeded(t)
	s.AddUser(pdfake.User{ID: "PKATE01", Name: "Kate", Email: "kate@example.com"})
	// PagerDuty (here the fake) may well find kate for a query with the
	// Kelvin sign; it is not the same address.
	u, err := fakeClient(s, "").FindUserByEmail(testCtx(t), "\u212Aate@example.com")
	if err != nil || u != nil {
		t.Fatalf("FindUserByEmail(Kelvin sign) = %+v, %v; want no user", u, err)
	}
}

func TestFindUserByEmailRefusesTwoUsersWithOneEmail(t *testing.T) {
	s := newSeeded(t)
	s.AddUser(pdfake.User{ID: "PDUP001", Name: "Dup One", Email: "dup@example.com"})
	s.AddUser(pdfake.User{ID: "PDUP002", Name: "Dup Two", Email: "DUP@example.com"})
	u, err := fakeClient(s, "").FindUserByEmail(testCtx(t), "dup@example.com")
	if !errors.Is(err, pdapi.ErrAmbiguousEmail) || u != nil {
		t.Fatalf("FindUserByEmail = %+v, %v; want ErrAmbiguousEmail", u, err)
	}
}

func TestCheckAccountKey(t *testing.T) {
	s := newSeeded(t)
	const userToken = "u+userTokenCanary-01"
	s.AddUserKey(userToken, "PU2")
	if err := fakeClient(s, "").CheckAccountKey(testCtx(t)); err != nil {
		t.Errorf("account key: %v, want nil", err)
	}
	err := pdapi.New(s.URL(), userToken, pdapi.Options{}).CheckAccountKey(testCtx(t))
	if !errors.Is(err, pdapi.ErrUserToken) {
		t.Errorf("user token: %v, want ErrUserToken", err)
	}
	err = pdapi.New(s.URL(), "u+unknownKey-0000000", pdapi.Options{}).CheckAccountKey(testCtx(t))
	if err == nil || errors.Is(err, pdapi.ErrUserToken) || strings.Contains(err.Error(), "unknownKey") {
		t.Errorf("unknown key: %v, want PagerDuty's refusal without the key", err)
	}
}
