// Package sim simulates the remote services Escalator talks to — Entra ID
// tokens, Microsoft Graph (service health and users), the Azure Support API
// and a ServiceNow instance — on one HTTP listener, for `escalator dev`,
// `escalator sim` and every test. It follows the public documentation's
// shapes (string numbers in v1 tokens, ARM async operations, ServiceNow's
// all-string records) and is a test double of services we cannot reach, never
// of NATS or Redis.
//
// Use it in tests with httptest:
//
//	s := sim.New(sim.Config{})
//	ts := httptest.NewServer(s.Handler())
//	defer ts.Close()
//	// point ESCALATOR_LOGIN_URL, _GRAPH_URL, _ARM_URL, _SERVICENOW_URL at ts.URL
//
// or run it with (*Server).Run(ctx, "127.0.0.1:8081").
//
// # Routes
//
// Entra: POST /{tenant}/oauth2/token (v1), POST /{tenant}/oauth2/v2.0/token (v2).
// Graph (audience https://graph.microsoft.com): GET /v1.0/admin/serviceAnnouncement/
// healthOverviews[/{service}], …/issues ($filter, $top, @odata.nextLink paging),
// …/issues/{id}; GET /v1.0/users/{id|upn}, /v1.0/users/{id|upn}/memberOf.
// Azure Support (audience https://management.azure.com/, api-version required):
// /subscriptions/{sub}/providers/Microsoft.Support/supportTickets[/{name}]
// (PUT 202 + Azure-AsyncOperation/Location, repeated PUT 409, GET, PATCH,
// list), …/supportTickets/{name}/communications[/{comm}], …/checkNameAvailability,
// …/operationsStatus/{op}, …/operationResults/{op};
// /providers/Microsoft.Support/services[/{id}[/problemClassifications[/{id}]]];
// classification (api-version 2026-06-01 only): POST …/classifyServices and
// POST …/services/{id}/classifyProblems, answered from the catalog's
// keywords (support_classify.go).
// ServiceNow (OAuth bearer from POST /oauth_token.do, or basic auth admin/admin):
// the Table API for any table, /api/now/table/{table}[/{sys_id}] (GET list and
// record, POST, PATCH, PUT): sysparm_query (= != IN NOT IN LIKE … ^ ^OR ^NQ
// ORDERBY ORDERBYDESC, "^^" for a "^" in a value, dot-walked fields such as
// user.user_name), sysparm_fields (dot-walked ones answer under their dotted
// name, "role.name":"itil"), sysparm_limit (default 10000), sysparm_offset
// with X-Total-Count and the Link header (rel first, prev, next, last),
// sysparm_exclude_reference_link (else references answer {"link","value"}).
// Records hold strings; sys_id (32 hex), sys_created_on/sys_updated_on
// ("2006-01-02 15:04:05" UTC), sys_created_by/sys_updated_by and
// sys_mod_count are the instance's. Errors are {"error":{"message","detail"},
// "status":"failure"}, 404 for an unknown sys_id. Seeded: sys_user,
// sys_user_role and sys_user_has_role (beth.anglin, david.miller,
// abel.tuter, escalator.integration, admin), the incident INC0010023 and its
// work note DefaultJournalSysID; u_escalator_outbox has the update set's
// fields and defaults. Writing an incident's work_notes or comments adds a
// sys_journal_field entry. A write acts as the OAuth user
// (escalator.integration), the basic-auth user, or the sys_user named by the
// X-Sim-User header (a click in the instance). Calls count, and faults
// match, per table: "GET /api/now/table/sys_user_has_role".
//
// Graph lists honour Prefer: odata.maxpagesize=N (1–1000, answered with
// Preference-Applied); without it issues come 5 to a page (Config.PageSize)
// and healthOverviews in one page.
//
// Every API answer carries the header Escalator-Simulator: 1 (Header), so
// that a client can tell the simulator from the real services.
//
// # Control endpoints
//
//	GET    /_sim/state                     calls, tickets, incidents, tables (type State)
//	DELETE /_sim/calls                     reset call counts
//	GET    /_sim/faults                    faults in force
//	POST   /_sim/faults                    merge a fault document (below)
//	DELETE /_sim/faults                    clear every fault
//	POST   /_sim/tokens/expire             expire every token issued so far
//	POST   /_sim/issues                    add or replace a health issue (Graph JSON shape)
//	POST   /_sim/issues/{id}/posts         {"content":"<p>…</p>","postType":"regular","status":"serviceRestored"}
//	POST   /_sim/issues/{id}/resolve       {"status":"serviceRestored","content":"…"} (body optional)
//	POST   /_sim/tickets/{name}/status     {"status":"Closed"}
//	POST   /_sim/tickets/{name}/communications {"body":"…","subject":"…","sender":"…","name":"…"}
//
// # Fault document
//
// POST /_sim/faults takes a JSON object; fields present replace the current
// ones, absent fields stay, and route entries are replaced one by one (an
// entry of null or {} removes it). Durations are Go duration strings ("1.5s")
// or numbers of seconds.
//
//	{
//	  "latency": "200ms",              // added before every API answer
//	  "seed": 42,                      // reseed the random source of error_rate
//	  "routes": {                      // key: "<METHOD> <pattern>" as in /_sim/state calls, or "*"
//	    "GET /v1.0/admin/serviceAnnouncement/issues": {
//	      "status": 429,                // injected status; default 503, or 429 with retry_after
//	      "retry_after": "1.5",         // Retry-After header, verbatim
//	      "error_rate": 0.5,            // probability 0..1; 0 with status/retry_after = every call
//	      "latency": "1s",              // added to this route's answers
//	      "count": 2                    // only the next 2 calls, then the rule is removed; 0 = until cleared
//	    }
//	  },
//	  "token_lifetime": "2s",          // lifetime of tokens issued from now on (Entra and ServiceNow)
//	  "entra_secret": "expired",       // "" | "rejected" (AADSTS7000215) | "expired" (AADSTS7000222)
//	  "graph_forbidden": true,         // service health answers 403 (no ServiceHealth.Read.All)
//	  "graph_users_forbidden": true,   // users answer 403 Authorization_RequestDenied
//	  "support_forbidden": true,       // the subscription answers 403 AuthorizationFailed
//	  "support_azure_only": true,      // the service list has no Microsoft 365 entry
//	  "servicenow_cross_scope": true,  // Table API answers 403 cross-scope access policy
//	  "servicenow_oauth_denied": true  // /oauth_token.do answers 401 access_denied
//	}
//
// Injected errors carry the family's error body (Entra AADSTS, Graph and ARM
// {"error":{"code","message"}}, ServiceNow {"error":{…},"status":"failure"})
// and are counted in calls like any other answer. Rules are decided under
// one lock with a seeded random source, so a given seed and call order give
// the same faults.
package sim
