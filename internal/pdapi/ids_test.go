package pdapi_test

import (
	"testing"

	"github.com/pdbot/pdbot/internal/pdapi"
)

func TestValidIDs(t *testing.T) {
	tests := []struct {
		in               string
		incident, object bool
	}{
		{"PT4KHLK", true, true},
		{"Q1ABCDEFGHIJKL", true, false},
		{"PXPGF42", true, true},
		{"pxpgf42", false, false},
		{"PXPGF4", false, false},
		{"", false, false},
		{"../users", false, false},
		{"PXPGF4\n", false, false},
	}
	for _, tt := range tests {
		got := [2]bool{pdapi.ValidIncidentID(tt.in), pdapi.ValidObjectID(tt.in)}
		if want := [2]bool{tt.incident, tt.object}; got != want {
			t.Errorf("%q: ValidIncidentID, ValidObjectID = %v, want %v", tt.in, got, want)
		}
	}
}
