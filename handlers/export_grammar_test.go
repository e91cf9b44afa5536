package handlers

// LeadingMentions is leadingMentions, for the external tests.
func LeadingMentions(s string) ([]string, string) { return leadingMentions(s) }
