// Package doctor checks an Escalator installation the way the ServiceNow
// app's "Test setup" button did: every part of the configuration and every
// remote it depends on, in order, each ending PASS, WARN, FAIL or SKIP with a
// one-line detail and, when something is wrong, the exact fix.
//
// A Check is a name, the checks it needs and a function returning a Result.
// Run executes checks in order, each under its own timeout, and reports a
// check whose prerequisite did not pass as SKIP ("needs <check>") instead of
// piling a second, less precise failure on the first. Checks builds the
// standard list from a Setup of clients.
//
// Doctor only reads. It never creates streams, buckets or tickets; the one
// write it makes on ServiceNow sets a field of one incident to the value it
// already has (see IncidentWriteCheck), and the Redis round trip deletes its
// own short-lived key.
//
// Errors are classified from their types — *token.Error and its AADSTS
// codes, *outbound.StatusError statuses, *azuresupport.ARMError codes,
// jetstream sentinels — never from their text.
package doctor
