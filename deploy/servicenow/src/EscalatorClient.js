/*
 * EscalatorClient: the instance's side of Escalator.
 *
 * Every request (insights, escalation, incident update) is first written to
 * the outbox table u_escalator_outbox, in the transaction of the click or of
 * the incident update, so nothing is lost whatever the network does. Its
 * sys_id is the CloudEvent id, so a retried push, or Escalator pulling the
 * same row, is stored once. Pushing (push, retryDue) sends the row to ingest
 * with a timeout and, when escalator.signing_secret is set, the header
 * Escalator-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>.
 * Ingest's answer decides the row's fate in one place (outcome):
 *   202            -> sent, with u_event_seq
 *   0, 408, 425, 429, 5xx, no answer -> retried by the scheduled job with backoff
 *                     (Retry-After honoured), same id
 *   any other 4xx  -> failed, with the problem's detail, and a work note
 *
 * Global scope, ES5 (ServiceNow's engine): var and function only.
 */
var EscalatorClient = Class.create();

EscalatorClient.TABLE = 'u_escalator_outbox';
EscalatorClient.TYPES = {
    insights: 'com.servicenow.incident.insights.requested',
    escalation: 'com.servicenow.incident.escalation.requested',
    update: 'com.servicenow.incident.updated'
};
EscalatorClient.LABELS = {
    insights: 'Microsoft 365 insights request',
    escalation: 'Microsoft support escalation',
    update: 'incident update for the Microsoft support case'
};
// Any one of a kind's roles suffices; gs.hasRole is true for admin too.
EscalatorClient.ROLES = {
    insights: ['escalator_insights_user', 'x_mioms_m365_assis.insights_user'],
    escalation: ['escalator_administrator', 'x_mioms_m365_assis.administrator']
};
EscalatorClient.SEVERITIES = ['minimal', 'moderate', 'critical', 'highestcriticalimpact'];
EscalatorClient.CONTACT_METHODS = ['email', 'phone'];
EscalatorClient.MAX_PAYLOAD = 60000;       // u_payload holds 65536 characters
EscalatorClient.TIMEOUT_MS = 10000;        // one push; the instance caps it at 30 s
EscalatorClient.FIRST_RETRY_S = 60;
EscalatorClient.MAX_RETRY_S = 3600;
EscalatorClient.MAX_RETRY_AFTER_S = 21600;
EscalatorClient.MAX_ATTEMPTS = 20;         // about 15 hours of retries
EscalatorClient.NOTE_AT_ATTEMPT = 3;       // a work note when still not delivered
EscalatorClient.RETRY_BATCH = 50;
EscalatorClient.NOTE_PREFIX = '[Escalator] ';

EscalatorClient.prototype = {
    initialize: function () {
        this.settings = this._readSettings();
    },

    // ------------------------------------------------------------ requests

    // requestInsights records an insights request for the incident.
    requestInsights: function (incident) {
        if (!this.hasRoleFor('insights')) {
            return this._refused('insights');
        }
        return this._record('insights', incident, {});
    },

    // requestEscalation records an escalation with the dialog's answers:
    // title, description, severity, contact_method, phone,
    // problem_start_time (ISO 8601 UTC) and consent ("true"/"false").
    requestEscalation: function (incident, form) {
        if (!this.hasRoleFor('escalation')) {
            return this._refused('escalation');
        }
        var esc = this.escalationFromForm(incident, form || {});
        if (esc.error) {
            return { ok: false, message: esc.error };
        }
        return this._record('escalation', incident, { escalation: esc.escalation });
    },

    // recordUpdate is the incident's after-update rule: an update of an
    // escalated incident becomes an update row naming the journal entry this
    // update added (change.journal_id) and the fields it changed. Updates by
    // Escalator's own user, and Escalator's own notes, are not sent back.
    recordUpdate: function (incident) {
        if (gs.getUserName() == this.settings.integrationUser) {
            return null;
        }
        if (!this.hasOpenEscalation(incident.getUniqueValue())) {
            return null;
        }
        var change = { fields: this.changedFields(incident) };
        var entry = this.newJournalEntry(incident);
        if (entry && !this.isEscalatorNote(entry.text)) {
            change.journal_id = entry.id;
            change.work_note = entry.text;
        }
        if (!change.fields.length && !change.journal_id) {
            return null;
        }
        return this._record('update', incident, { change: change });
    },

    hasRoleFor: function (kind) {
        var roles = EscalatorClient.ROLES[kind];
        for (var i = 0; i < roles.length; i++) {
            if (gs.hasRole(roles[i])) {
                return true;
            }
        }
        return false;
    },

    // mayAccessOutbox is the outbox table's access control: agents with an
    // Escalator role read it, Escalator's integration user reads and writes
    // it, escalator_administrator may send a row again. (admin overrides.)
    mayAccessOutbox: function (operation) {
        var integration = gs.getUserName() == this.settings.integrationUser;
        if (operation == 'read') {
            return integration || this.hasRoleFor('insights') || this.hasRoleFor('escalation');
        }
        if (operation == 'write') {
            return integration || gs.hasRole('escalator_administrator');
        }
        if (operation == 'create') {
            return integration;
        }
        return false;
    },

    _refused: function (kind) {
        return {
            ok: false,
            message: 'You need the role ' + EscalatorClient.ROLES[kind][0] + ' for a ' +
                EscalatorClient.LABELS[kind] + '. Ask your ServiceNow administrator for it.'
        };
    },

    _record: function (kind, incident, extra) {
        var data = {
            incident: this.incidentSnapshot(incident),
            requested_by: this.requester()
        };
        for (var k in extra) {
            if (extra.hasOwnProperty(k)) {
                data[k] = extra[k];
            }
        }
        var payload = this.fitPayload(data);
        var row = new GlideRecord(EscalatorClient.TABLE);
        row.initialize();
        row.setValue('u_type', kind);
        row.setValue('u_incident', incident.getUniqueValue());
        row.setValue('u_payload', payload);
        row.setValue('u_state', 'pending');
        row.setValue('u_attempts', 0);
        row.setValue('u_next_attempt', this._later(EscalatorClient.FIRST_RETRY_S).getValue());
        row.setValue('u_result', 'Recorded; waiting to be sent to Escalator.');
        var id = row.insert();
        if (!id) {
            gs.error('Escalator: could not insert into ' + EscalatorClient.TABLE + ' for ' + incident.getValue('number'));
            return {
                ok: false,
                message: 'The ' + EscalatorClient.LABELS[kind] + ' could not be recorded (the Escalator requests ' +
                    'table refused the row). Ask your ServiceNow administrator to check the Escalator update set.'
            };
        }
        return { ok: true, sysId: String(id), message: this._recordedMessage(kind) };
    },

    _recordedMessage: function (kind) {
        if (kind == 'insights') {
            return 'Microsoft 365 insights requested. Escalator adds them as a work note; the Escalator requests list shows progress.';
        }
        if (kind == 'escalation') {
            return 'Escalation to Microsoft support requested. Escalator adds the case number as a work note; the Escalator requests list shows progress.';
        }
        return 'Update recorded for Escalator.';
    },

    // ------------------------------------------------------------ event data

    incidentSnapshot: function (incident) {
        var snap = { sys_id: String(incident.getUniqueValue()), number: String(incident.getValue('number') || '') };
        var fields = ['short_description', 'description', 'priority', 'urgency', 'impact', 'state',
            'category', 'opened_at', 'close_code', 'close_notes'];
        for (var i = 0; i < fields.length; i++) {
            var v = incident.getValue(fields[i]);
            if (v !== null && v !== undefined && String(v) !== '') {
                snap[fields[i]] = String(v);
            }
        }
        var group = incident.getElement('assignment_group');
        if (group && !group.nil()) {
            snap.assignment_group = String(group.getDisplayValue());
        }
        var caller = incident.getElement('caller_id');
        if (caller && !caller.nil()) {
            var user = caller.getRefRecord();
            if (user.isValidRecord()) {
                snap.caller_id = String(user.getValue('user_name') || '');
            }
        }
        return snap;
    },

    // requester: who asked, with the roles that gate Escalator's requests as
    // gs.hasRole sees them (so an admin counts) besides the raw role list,
    // which may be a Java list or a JavaScript array.
    requester: function () {
        var user = gs.getUser();
        var roles = this.toArray(user.getRoles(), true);
        var gated = EscalatorClient.ROLES.insights.concat(EscalatorClient.ROLES.escalation);
        for (var i = 0; i < gated.length; i++) {
            if (roles.indexOf(gated[i]) < 0 && gs.hasRole(gated[i])) {
                roles.push(gated[i]);
            }
        }
        var who = { user_name: String(user.getName()), roles: roles };
        var email = String(user.getEmail() || '');
        if (email) {
            who.email = email;
        }
        return who;
    },

    escalationFromForm: function (incident, form) {
        var f = function (name) {
            var v = form[name];
            return v === null || v === undefined ? '' : String(v).replace(/^\s+|\s+$/g, '');
        };
        var title = f('title') || String(incident.getValue('short_description') || '');
        var description = f('description') || String(incident.getValue('description') || '');
        if (!title) {
            return { error: 'Give the case a title.' };
        }
        if (!description) {
            return { error: 'Describe the problem for Microsoft support.' };
        }
        var severity = f('severity').toLowerCase();
        if (severity && EscalatorClient.SEVERITIES.indexOf(severity) < 0) {
            return { error: 'Severity "' + severity + '" is not one of ' + EscalatorClient.SEVERITIES.join(', ') + '.' };
        }
        var method = f('contact_method').toLowerCase() || 'email';
        if (EscalatorClient.CONTACT_METHODS.indexOf(method) < 0) {
            return { error: 'Contact method "' + method + '" is not one of email, phone.' };
        }
        var phone = f('phone');
        if (method == 'phone' && !phone) {
            return { error: 'Give a phone number, or choose email as the contact method.' };
        }
        var user = gs.getUser();
        var esc = {
            title: title.substring(0, 200),
            description: description,
            contact: {
                first_name: String(user.getFirstName() || ''),
                last_name: String(user.getLastName() || ''),
                email: String(user.getEmail() || ''),
                preferred_contact_method: method
            },
            advanced_diagnostic_consent: (f('consent') == 'true' || f('consent') == 'on') ? 'Yes' : 'No'
        };
        if (severity) {
            esc.severity = severity;
        }
        if (phone) {
            esc.contact.phone = phone;
        }
        var start = f('problem_start_time');
        if (start) {
            var m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2})?(\.\d+)?Z$/.exec(start);
            if (!m) {
                return { error: 'Problem start time "' + start + '" is not a UTC time like 2026-11-25T08:40:00Z.' };
            }
            var iso = m[1] + 'T' + m[2] + (m[3] || ':00') + 'Z';
            var at = new GlideDateTime(iso.replace('T', ' ').replace('Z', ''));
            if (at.getNumericValue() > new GlideDateTime().getNumericValue() + 5 * 60 * 1000) {
                return { error: 'The problem start time is in the future.' };
            }
            esc.problem_start_time = iso;
        }
        return { escalation: esc };
    },

    // escalationDefaults prefills the dialog from the incident and the user.
    escalationDefaults: function (incidentId) {
        var d = { incident_sys_id: '', number: '', title: '', description: '', severity: 'minimal', phone: '' };
        var inc = new GlideRecord('incident');
        if (!inc.get(String(incidentId))) {
            return d;
        }
        d.incident_sys_id = String(inc.getUniqueValue());
        d.number = String(inc.getValue('number') || '');
        d.title = String(inc.getValue('short_description') || '').substring(0, 200);
        d.description = String(inc.getValue('description') || '');
        var p = String(inc.getValue('priority') || '');
        d.severity = p == '1' ? 'critical' : (p == '2' ? 'moderate' : 'minimal');
        var u = new GlideRecord('sys_user');
        if (u.get(gs.getUserID())) {
            d.phone = String(u.getValue('phone') || u.getValue('mobile_phone') || '');
        }
        return d;
    },

    // fitPayload serialises data within u_payload's size, shortening the
    // longest free texts (never the identifiers) when it must.
    fitPayload: function (data) {
        var json = JSON.stringify(data);
        var texts = [['escalation', 'description'], ['incident', 'description'], ['change', 'work_note'], ['incident', 'close_notes']];
        for (var i = 0; i < texts.length && json.length > EscalatorClient.MAX_PAYLOAD; i++) {
            var holder = data[texts[i][0]];
            var key = texts[i][1];
            if (!holder || typeof holder[key] != 'string') {
                continue;
            }
            var over = json.length - EscalatorClient.MAX_PAYLOAD;
            var keep = Math.max(0, holder[key].length - over - 200);
            holder[key] = holder[key].substring(0, keep) + ' [shortened by Escalator: ' +
                (holder[key].length - keep) + ' characters left out; the full text is on the incident]';
            json = JSON.stringify(data);
        }
        return json;
    },

    // ------------------------------------------------------------ updates

    hasOpenEscalation: function (incidentId) {
        var gr = new GlideRecord(EscalatorClient.TABLE);
        gr.addQuery('u_incident', incidentId);
        gr.addQuery('u_type', 'escalation');
        gr.addQuery('u_state', 'IN', 'pending,sent,done');
        gr.setLimit(1);
        gr.query();
        return gr.hasNext();
    },

    changedFields: function (incident) {
        var skip = ['work_notes', 'comments', 'work_notes_list', 'comments_and_work_notes'];
        var out = [];
        var elements = this.toArray(incident.getElements());
        for (var i = 0; i < elements.length; i++) {
            var name = String(elements[i].getName());
            if (name.indexOf('sys_') === 0 || skip.indexOf(name) >= 0) {
                continue;
            }
            if (elements[i].changes()) {
                out.push(name);
            }
        }
        return out;
    },

    // newJournalEntry finds the work note this update added: the text is on
    // the element while the update's rules run; the entry is the newest
    // sys_journal_field row of this user on this incident with that text.
    newJournalEntry: function (incident) {
        var el = incident.getElement('work_notes');
        if (!el || !el.changes()) {
            return null;
        }
        var text = String(el);
        var j = new GlideRecord('sys_journal_field');
        j.addQuery('element_id', incident.getUniqueValue());
        j.addQuery('name', 'incident');
        j.addQuery('element', 'work_notes');
        j.addQuery('sys_created_by', gs.getUserName());
        j.orderByDesc('sys_created_on');
        j.setLimit(10);
        j.query();
        var trimmed = text.replace(/^\s+|\s+$/g, '');
        var newest = null;
        var matches = [];
        while (j.next()) {
            var entry = { id: String(j.getUniqueValue()), text: String(j.getValue('value') || '') };
            if (entry.text == text || entry.text.replace(/^\s+|\s+$/g, '') == trimmed) {
                matches.push(entry);
            }
            newest = newest || entry;
        }
        // The same text twice within a second: the entry no earlier update claimed.
        for (var i = 0; i < matches.length; i++) {
            if (matches.length == 1 || !this._claimed(incident.getUniqueValue(), matches[i].id)) {
                return matches[i];
            }
        }
        // In a synchronous rule the newest entry of this user is this update's.
        return matches.length ? matches[0] : newest;
    },

    _claimed: function (incidentId, journalId) {
        var gr = new GlideRecord(EscalatorClient.TABLE);
        gr.addQuery('u_incident', incidentId);
        gr.addQuery('u_type', 'update');
        gr.addQuery('u_payload', 'CONTAINS', '"journal_id":"' + journalId + '"');
        gr.setLimit(1);
        gr.query();
        return gr.hasNext();
    },

    isEscalatorNote: function (text) {
        var t = String(text || '');
        return t.indexOf(EscalatorClient.NOTE_PREFIX.replace(/\s+$/, '')) === 0 || /\[escalator:[^\]]*\]/i.test(t);
    },

    // ------------------------------------------------------------ helpers

    // toArray accepts a Java list (size/get) or a JavaScript array; with
    // asStrings its items become JavaScript strings.
    toArray: function (list, asStrings) {
        var out = [];
        if (!list) {
            return out;
        }
        var java = typeof list.size == 'function' && typeof list.get == 'function';
        var n = java ? list.size() : list.length;
        for (var i = 0; i < n; i++) {
            var item = java ? list.get(i) : list[i];
            out.push(asStrings ? String(item) : item);
        }
        return out;
    },

    _later: function (seconds) {
        var t = new GlideDateTime();
        t.addSeconds(seconds);
        return t;
    },

    _readSettings: function () {
        var prop = function (name, dflt) {
            var v = gs.getProperty(name, dflt);
            return v === null || v === undefined ? '' : String(v).replace(/^\s+|\s+$/g, '');
        };
        return {
            ingestUrl: prop('escalator.ingest_url', ''),
            token: prop('escalator.ingest_token', ''),
            secret: prop('escalator.signing_secret', ''),
            pushEnabled: prop('escalator.push_enabled', 'true') != 'false',
            midServer: prop('escalator.mid_server', ''),
            integrationUser: prop('escalator.integration_user', 'escalator.integration'),
            source: prop('glide.servlet.uri', '').replace(/\/+$/, '')
        };
    },

    type: 'EscalatorClient'
};
