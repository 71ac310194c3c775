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
// The service synonym table lives in services.go; the article catalog is
// articles.json, embedded and validated by LoadCatalog.
package insights
