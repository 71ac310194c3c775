'use strict';
// The records of the Escalator update set, described once: build.js turns
// them into escalator-update-set.xml, the tests read the same descriptions
// (conditions, tables, when) to run the scripts as the instance would.
// Scripts come from src/; everything here is data.

const OUTBOX = 'u_escalator_outbox';
const INSIGHTS_ROLES = "gs.hasRole('escalator_insights_user') || gs.hasRole('x_mioms_m365_assis.insights_user')";
const ADMIN_ROLES = "gs.hasRole('escalator_administrator') || gs.hasRole('x_mioms_m365_assis.administrator')";

const roles = [
  { name: 'escalator_insights_user', description: 'May ask Escalator for Microsoft 365 insights on an incident (service health issues and recommended articles).' },
  { name: 'escalator_administrator', description: 'May escalate an incident to Microsoft support through Escalator, send failed requests again and test the connection.' },
];

const fields = [
  { element: 'u_type', label: 'Type', type: 'string', max: 40, choice: '3', mandatory: true,
    choices: [['insights', 'Insights'], ['escalation', 'Escalation'], ['update', 'Update']] },
  { element: 'u_incident', label: 'Incident', type: 'reference', reference: 'incident', max: 32 },
  { element: 'u_payload', label: 'Payload', type: 'string', max: 65536 },
  { element: 'u_state', label: 'State', type: 'string', max: 40, choice: '3', default: 'pending',
    choices: [['pending', 'Pending'], ['sent', 'Sent'], ['done', 'Done'], ['refused', 'Refused'], ['failed', 'Failed']] },
  { element: 'u_result', label: 'Result', type: 'string', max: 4000 },
  { element: 'u_attempts', label: 'Attempts', type: 'integer', max: 40, default: '0' },
  { element: 'u_next_attempt', label: 'Next attempt', type: 'glide_date_time', max: 40 },
  { element: 'u_last_error', label: 'Last error', type: 'string', max: 4000 },
  { element: 'u_event_seq', label: 'Event sequence', type: 'string', max: 40 },
];

const properties = [
  { name: 'escalator.ingest_url', type: 'string', value: '',
    description: "Escalator's events URL, e.g. https://escalator.example.com/v1/events (push only)." },
  { name: 'escalator.ingest_token', type: 'password2', value: '',
    description: "One of Escalator's ESCALATOR_INGEST_TOKENS, sent as the bearer token of every push." },
  { name: 'escalator.signing_secret', type: 'password2', value: '',
    description: "One of Escalator's ESCALATOR_INGEST_SIGNING_SECRETS (ASCII, e.g. 64 hex characters): every push carries Escalator-Signature. Empty: pushes are not signed." },
  { name: 'escalator.push_enabled', type: 'boolean', value: 'true',
    description: 'true: each request is pushed to escalator.ingest_url when recorded and retried by the scheduled job. false: requests wait in the outbox for Escalator to pull them (ESCALATOR_SERVICENOW_OUTBOX=true).' },
  { name: 'escalator.mid_server', type: 'string', value: '',
    description: 'Name of a MID Server that pushes go through when the instance cannot reach Escalator directly. Empty: direct HTTPS.' },
  { name: 'escalator.integration_user', type: 'string', value: 'escalator.integration',
    description: "User name of Escalator's ServiceNow integration user: its updates and notes are never sent back to Escalator, and it may read and write the Escalator requests table." },
];

const acls = ['read', 'write', 'create', 'delete'].map((op) => ({
  operation: op,
  description: op === 'delete' ? 'Escalator requests are deleted only by admin.' : 'Escalator requests: ' + op + ' (see EscalatorClient.mayAccessOutbox).',
  script: op === 'delete' ? 'answer = false;' : "answer = new EscalatorClient().mayAccessOutbox('" + op + "');",
}));

const scriptIncludes = [
  { name: 'EscalatorClient', file: 'EscalatorClient.js', description: 'Records Escalator requests (insights, escalation, incident updates) in u_escalator_outbox with their CloudEvent data.' },
  { name: 'EscalatorPush', file: 'EscalatorPush.js', description: "Pushes outbox rows to Escalator's ingest, signs them, and retries with backoff." },
  { name: 'EscalatorSetup', file: 'EscalatorSetup.js', description: 'Checks the connection to Escalator (Test connection).' },
];

const businessRules = [
  { name: 'Escalator: incident updated', table: 'incident', when: 'after', insert: false, update: true, order: 1000, file: 'br_incident_update.js',
    description: 'Records the journal entry and the fields an update of an escalated incident changed, for the Microsoft support case.' },
  { name: 'Escalator: push request', table: OUTBOX, when: 'async', insert: true, update: false, order: 100, file: 'br_outbox_push.js',
    description: 'Pushes a new Escalator request to ingest after its transaction committed.' },
];

const uiActions = [
  { name: 'Get Microsoft 365 insights', action_name: 'escalator_get_insights', table: 'incident', form_button: true,
    condition: '!current.isNewRecord() && (' + INSIGHTS_ROLES + ')', file: 'ui_action_insights.js',
    hint: 'Ask Escalator for matching Microsoft service health issues and recommended articles' },
  { name: 'Escalate to Microsoft support', action_name: 'escalator_escalate', table: 'incident', form_button: true, client: true,
    onclick: 'escalatorOpenEscalationDialog()', condition: '!current.isNewRecord() && (' + ADMIN_ROLES + ')', file: 'ui_action_escalate.js',
    hint: 'Open a Microsoft support case for this incident' },
  { name: 'Test connection', action_name: 'escalator_test_connection', table: OUTBOX, list_banner_button: true,
    condition: "gs.hasRole('escalator_administrator')", file: 'ui_action_test_connection.js',
    hint: 'Check that Escalator is reachable and accepts this instance' },
  { name: 'Send again', action_name: 'escalator_send_again', table: OUTBOX, form_button: true,
    condition: "gs.hasRole('escalator_administrator') && (current.u_state == 'failed' || current.u_state == 'pending')",
    file: 'ui_action_send_again.js', hint: 'Send this request to Escalator again, with the same id' },
];

const uiPages = [
  { name: 'escalator_escalation_dialog', description: 'The "Escalate to Microsoft support" dialog.',
    html: 'escalator_escalation_dialog.html', client: 'escalator_escalation_dialog.client.js', processing: 'escalator_escalation_dialog.processing.js' },
];

const jobs = [
  { name: 'Escalator: retry pushes', file: 'job_retry_pushes.js', periodSeconds: 60 },
];

const menu = {
  title: 'Escalator', roles: 'escalator_administrator,escalator_insights_user',
  modules: [
    { title: 'Requests', link_type: 'LIST', name: OUTBOX, order: 100, roles: 'escalator_administrator,escalator_insights_user' },
    { title: 'Properties', link_type: 'DIRECT', query: 'system_properties_ui.do?sysparm_category=Escalator&sysparm_title=Escalator%20properties', order: 200, roles: 'admin' },
  ],
};

module.exports = {
  OUTBOX, roles, fields, properties, acls, scriptIncludes, businessRules, uiActions, uiPages, jobs, menu,
  table: { name: OUTBOX, label: 'Escalator request', plural: 'Escalator requests' },
  updateSet: {
    name: 'Escalator for Microsoft 365 support',
    description: 'Escalator: Microsoft 365 insights and Microsoft support escalation from incidents, through the outbox table u_escalator_outbox. See the Escalator README, "Installing the ServiceNow side".',
    // The date every record carries. Bump it with any change to src/ or
    // records.js, so an instance that committed an older version sees the
    // new records as newer than its own.
    release: '2026-11-25 12:00:00',
  },
};
