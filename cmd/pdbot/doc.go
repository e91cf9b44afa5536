// Command pdbot is the Slack ChatOps bot for PagerDuty.
//
// Usage:
//
//	pdbot serve        run the bot (Socket Mode) with /healthz, /readyz and /metrics
//	pdbot demo         run the whole bot against in-process fake Slack and PagerDuty
//	pdbot keygen       print a new master key for PDBOT_MASTER_KEY
//	pdbot keys rotate  re-seal every stored API key under the newest master key
//	pdbot keys status  count the stored API keys under the newest, an older and no master key
//	pdbot check        validate the configuration and the Slack tokens
//	pdbot version      print the version
//
// Configuration comes from the environment (see README.md); every secret
// also has a _FILE variant. Bad configuration stops the command with one
// line naming the variable, and that line never contains a secret.
//
// This package is the composition root: it parses the subcommand and the
// configuration, builds the logger, the store and the bot, and wires them
// together in run and the per-command functions, in order, with no init()
// side effects. It holds no bot logic: Slack handling lives in package bot,
// the actions in package handlers, persistence in package store, and
// `pdbot demo` in package internal/demo.
package main
