// Package store keeps everything pdbot remembers: per-channel and
// workspace-default PagerDuty API keys (sealed), channel→incident links,
// Slack→PagerDuty user mappings, the audit trail, and the short-lived
// de-duplication claims that all replicas share.
//
// # Backends
//
// Store is one interface with two implementations, chosen by PDBOT_STORE
// through Open:
//
//   - bolt:PATH — a bbolt file (OpenBolt), the embedded default for one
//     replica. bbolt locks the file, so a second process fails to open it.
//   - postgres://… — PostgreSQL through pgxpool (OpenPostgres), for several
//     replicas. Tables are created in the connection's current schema,
//     migrated under an advisory lock; Claim is one atomic statement.
//
// Package storetest is the conformance suite both run.
//
// # Sealing
//
// API keys are sealed with AES-256-GCM under a KeyRing parsed from
// PDBOT_MASTER_KEY (ParseKeyRing; GenerateMasterKey backs `pdbot keygen`).
// Only sealed bytes reach a backend; plaintext exists only in memory, as a
// Secret, which prints as "<secret>". The associated data binds every
// ciphertext to its team and channel, so a ciphertext moved to another
// record fails to open (ErrCannotUnseal) instead of yielding another
// channel's key. The sealed format is documented in seal.go and pinned by
// testdata/sealed.golden.
//
// # Rotating the master key
//
//  1. Generate a key and put it first: PDBOT_MASTER_KEY=NEW,OLD. Restart the
//     replicas; from now on they seal with NEW and open with either.
//  2. Run `pdbot keys rotate` (Store.Reseal), or let `pdbot serve` do it
//     at start-up: every record still sealed under OLD is re-sealed under
//     NEW, each in its own atomic write, while the bot keeps serving.
//  3. When Store.KeyCensus (`pdbot keys status`) counts none under an older
//     key, drop OLD: PDBOT_MASTER_KEY=NEW.
//
// # What it must not touch
//
// store knows nothing of Slack or PagerDuty: it never imports slack-go or
// go-pagerduty (a test enforces this), makes no network calls besides its
// database, and never logs. No error it returns contains an API key, a
// master key or a database password.
package store
