// Package store keeps everything pdbot remembers: per-channel and
// workspace-default PagerDuty API keys (sealed), channel→incident links,
// Slack→PagerDuty user mappings, the audit trail, and the short-lived
// de-duplication claims that all replicas share.
//
// For PagerDuty → Slack it also keeps (LiveStore, part of Store): the
// channels' subscriptions to services, the live cards pdbot follows, each
// API key's poll cursor in PagerDuty's log entries, and the leases by
// which one replica at a time polls a key. On PostgreSQL a lease is taken
// or renewed by one atomic statement on the database clock; on bbolt, one
// process holds the file, but leases keep the same holder-and-expiry
// semantics so the poller runs the same on both.
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
// # The write path
//
// Every command writes a de-duplication claim and an audit row; neither
// costs a transaction of its own on the request's path:
//
//   - Audit rows go through a bounded queue (auditQueue) to one writer
//     goroutine per store, which writes whatever has queued in one
//     transaction. AppendAudit returns once the row is queued and waits,
//     bounded by its ctx, only while the queue is full; it never drops a
//     row. Audit flushes the queue before it reads, Close writes it out,
//     so a clean stop loses nothing and a crash loses the last batch.
//   - bolt claims are decided in memory (memClaims): the file lock means
//     no other process shares the store. They are written to the file
//     with the next batch and loaded again on open.
//   - PostgreSQL claims stay in the database, shared by the replicas: one
//     statement, committed asynchronously (synchronous_commit off for that
//     transaction only).
//
// What a crash can lose of the claims is the last moment's, and that can
// matter only for an envelope whose ack was lost in transit at that
// moment (boltStore.Claim says why).
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
// database, and never logs: an audit row its writer could not write is
// reported in the error of the next AppendAudit, which bot logs. No error it returns contains an API key, a
// master key or a database password.
package store
