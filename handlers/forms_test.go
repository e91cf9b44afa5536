package handlers_test

import (
	"testing"

	"github.com/pdbot/pdbot/handlers"
)

// TestWriteFormsNeedTheActor: a route that opens a form for a write resolves
// the requester's PagerDuty identity first (or is for admins, checked
// first), so someone pdbot cannot act as is refused in place of the form
// rather than after typing into it. Only the incident picker's form reads.
func TestWriteFormsNeedTheActor(t *testing.T) {
	readOnlyForms := map[string]bool{handlers.Shortcut.String() + " " + handlers.PickerShortcut: true}
	for _, r := range handlers.All() {
		name := r.Kind.String() + " " + r.ID
		if !r.Modal || readOnlyForms[name] {
			continue
		}
		if !r.NeedsActor && !r.AdminOnly {
			t.Errorf("%s opens a form for a write but does not need the actor", name)
		}
	}
}
