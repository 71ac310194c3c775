// Package health reads Microsoft 365 service health from Microsoft Graph
// (admin/serviceAnnouncement: healthOverviews and issues) and keeps a shared,
// periodically refreshed snapshot of it for the insights and health-sync
// handlers.
//
// Graph limits service communications calls to 240 requests a minute and 800
// an hour per app per tenant, so every request of a Client first passes a
// Limiter, and handlers read the Snapshot instead of calling Graph per event.
// Retries of 429/5xx answers (honouring Retry-After) are left to the outbound
// HTTP policy the Client is built with; what is left after them surfaces as a
// classified error (see internal/fault).
//
// Graph sends enum values in camelCase ("serviceRestored") or PascalCase
// ("ServiceRestored"): Status and Classification are parsed case-insensitively
// and values this package does not know yet are kept as they came, never an
// error.
package health
