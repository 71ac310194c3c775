// Package insights computes the "Microsoft 365 insights" written back to a
// ServiceNow incident: which Microsoft 365 services the incident is about,
// which Microsoft service health issues match it, and which Microsoft
// troubleshooting articles to recommend.
//
// The matching core is pure and deterministic (no I/O, no clock): the
// handler fetches the incident and the health issues, adapts them to the
// types declared here and calls, in order,
//
//	services := MatchServices(text)
//	issues := RankIssues(text, services, graphIssues, 3)
//	articles := catalog.Recommend(text, services, 5)
//	note := Note{Incident: number, Services: services, Issues: issues, Articles: articles}
//
// then posts FormatNote(note) as a work note when Digest(note) differs from
// the digest stored for the incident.
//
// Handler does this for the worker (subject escalator.incident.insights):
// it reads the shared service health snapshot (refreshing it when older
// than MaxAge; a snapshot it cannot read fails the message, to be retried,
// rather than posting a note without issues), posts the note with
// AddWorkNoteOnce under the marker key insights-<first 16 hex of the
// digest>-<revision of the digest it replaces>, then records the digest in
// the KV bucket escalator_insights (key: the incident's sys_id). A crash
// between the two finds the note by its marker on redelivery. Plan computes
// the same without side effects, for replay --dry-run.
//
// The service synonym table (incident words → Microsoft 365 service, with
// the kind of evidence each is: name, product, topic, hint, context) and
// the competing products are in insights/services.go; the article catalog
// is insights/articles.json, embedded and validated by LoadCatalog. How
// well they do is measured on the labelled incidents of
// testdata/eval/incidents.json by TestEvaluation (go test -run
// TestEvaluation -v ./insights), which fails when the figures fall below
// the targets.
package insights
