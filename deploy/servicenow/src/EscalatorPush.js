/*
 * EscalatorPush sends outbox rows (u_escalator_outbox) to Escalator's ingest
 * and records what happened on the row; the scheduled job "Escalator: retry
 * pushes" calls retryDue every minute, the outbox's async insert rule calls
 * push, the "Test connection" button calls testConnection.
 *
 * One place decides what an answer means (outcome):
 *   2xx                         sent (u_event_seq from the 202 answer)
 *   no answer, 408, 425, 429, 5xx  retried with the same CloudEvent id at
 *                               max(backoff from u_attempts, Retry-After)
 *   any other status            failed: the problem's detail on the row and a work note
 *
 * Global scope, ES5.
 */
var EscalatorPush = Class.create();

EscalatorPush.prototype = {
    initialize: function () {
        this.client = new EscalatorClient();
        this.settings = this.client.settings;
    },

    // push sends one pending row (a GlideRecord of u_escalator_outbox).
    push: function (row) {
        var s = this.settings;
        if (!s.pushEnabled) {
            return 'off';
        }
        var attempts = parseInt(row.getValue('u_attempts') || '0', 10) + 1;
        var problem = this.configProblem();
        if (problem) {
            return this._retryLater(row, attempts, problem, 0, true);
        }
        var body;
        try {
            body = this.eventBody(row);
        } catch (e) {
            return this._fail(row, attempts, 'The request cannot be sent: ' + this._message(e));
        }
        var answer = this.send(s.ingestUrl, body);
        var verdict = this.outcome(answer.status);
        if (verdict == 'sent') {
            return this._sent(row, attempts, answer.body);
        }
        var reason = this.describe(answer);
        if (verdict == 'retry') {
            return this._retryLater(row, attempts, reason, this.retryAfterSeconds(answer.retryAfter), false);
        }
        return this._fail(row, attempts, 'Escalator refused the request: ' + reason);
    },

    // outcome: 'sent', 'retry' or 'failed' for an HTTP status (0: no answer).
    outcome: function (status) {
        if (status >= 200 && status < 300) {
            return 'sent';
        }
        if (status === 0 || status == 408 || status == 425 || status == 429 || status >= 500) {
            return 'retry';
        }
        return 'failed';
    },

    // retryDue pushes the pending rows whose next attempt has come.
    retryDue: function () {
        if (!this.settings.pushEnabled) {
            return 0;
        }
        var gr = new GlideRecord(EscalatorClient.TABLE);
        gr.addQuery('u_state', 'pending');
        gr.addQuery('u_next_attempt', '<=', new GlideDateTime().getValue());
        gr.orderBy('u_next_attempt');
        gr.setLimit(EscalatorClient.RETRY_BATCH);
        gr.query();
        var n = 0;
        while (gr.next()) {
            this.push(gr);
            n++;
        }
        return n;
    },

    // sendAgain: an administrator re-queues a failed or waiting row, keeping
    // its id (so Escalator stores it at most once), and pushes it now.
    sendAgain: function (row) {
        if (!gs.hasRole('escalator_administrator')) {
            return { ok: false, message: 'You need the role escalator_administrator to send a request again.' };
        }
        var state = String(row.getValue('u_state'));
        if (state != 'failed' && state != 'pending') {
            return { ok: false, message: 'Only a failed or waiting request can be sent again; this one is ' + state + '.' };
        }
        row.setValue('u_state', 'pending');
        row.setValue('u_attempts', 0);
        row.setValue('u_next_attempt', new GlideDateTime().getValue());
        row.setValue('u_result', 'Sent again by ' + gs.getUserName() + '.');
        row.update();
        if (!this.settings.pushEnabled) {
            return { ok: true, message: 'Queued again; Escalator takes it on its next pull (escalator.push_enabled is false).' };
        }
        var verdict = this.push(row);
        return { ok: verdict == 'sent', message: String(row.getValue('u_result')) };
    },

    configProblem: function () {
        var s = this.settings;
        var fix = ' An administrator sets it under Escalator > Properties, or sets escalator.push_enabled ' +
            'to false if Escalator pulls requests (ESCALATOR_SERVICENOW_OUTBOX=true).';
        if (!s.ingestUrl) {
            return 'escalator.ingest_url is not set (the events URL, e.g. https://escalator.example.com/v1/events).' + fix;
        }
        if (!/^https?:\/\/[^\/\s]+/.test(s.ingestUrl)) {
            return 'escalator.ingest_url "' + s.ingestUrl + '" is not an http(s) URL.' + fix;
        }
        if (!s.token) {
            return 'escalator.ingest_token is not set (one of Escalator\'s ESCALATOR_INGEST_TOKENS).' + fix;
        }
        if (!s.source) {
            return 'glide.servlet.uri is not set: the instance does not know its own URL, the event source.';
        }
        return '';
    },

    // eventBody is the CloudEvent of the row, its data u_payload as stored,
    // as JSON in ASCII (other characters as \u escapes), so the bytes signed
    // are the bytes sent whatever the platform's charset.
    eventBody: function (row) {
        var kind = String(row.getValue('u_type'));
        var type = EscalatorClient.TYPES[kind];
        if (!type) {
            throw new Error('u_type "' + kind + '" is not insights, escalation or update');
        }
        var data = String(row.getValue('u_payload') || '');
        JSON.parse(data);
        var created = String(row.getValue('sys_created_on'));
        var body = '{"specversion":"1.0","id":' + JSON.stringify(String(row.getUniqueValue())) +
            ',"source":' + JSON.stringify(this.settings.source) +
            ',"type":' + JSON.stringify(type) +
            ',"time":' + JSON.stringify(created.replace(' ', 'T') + 'Z') +
            ',"datacontenttype":"application/json","data":' + data + '}';
        return this.ascii(body);
    },

    ascii: function (json) {
        return json.replace(/[\u007f-\uffff]/g, function (c) {
            return '\\u' + ('0000' + c.charCodeAt(0).toString(16)).slice(-4);
        });
    },

    // send POSTs body with the bearer token and the signature; it never
    // throws: a connection failure is {status: 0, error}.
    send: function (url, body) {
        var s = this.settings;
        var r = new sn_ws.RESTMessageV2();
        r.setEndpoint(url);
        r.setHttpMethod('post');
        r.setRequestHeader('Content-Type', url.indexOf('/v1/ping') > 0 ? 'application/json' : 'application/cloudevents+json');
        r.setRequestHeader('Accept', 'application/json');
        r.setRequestHeader('Authorization', 'Bearer ' + s.token);
        if (s.secret) {
            var t = Math.floor(new GlideDateTime().getNumericValue() / 1000);
            r.setRequestHeader('Escalator-Signature', this.signature(s.secret, t, body));
        }
        r.setRequestBody(body);
        try {
            var resp;
            if (s.midServer) {
                r.setMIDServer(s.midServer);
                resp = r.executeAsync();
                resp.waitForResponse(EscalatorClient.TIMEOUT_MS / 1000);
            } else {
                r.setHttpTimeout(EscalatorClient.TIMEOUT_MS);
                resp = r.execute();
            }
            var status = parseInt(String(resp.getStatusCode()), 10) || 0;
            return {
                status: status,
                body: String(resp.getBody() || ''),
                retryAfter: String(resp.getHeader('Retry-After') || ''),
                error: status === 0 && resp.haveError() ? String(resp.getErrorMessage() || '') : ''
            };
        } catch (e) {
            return { status: 0, body: '', retryAfter: '', error: this._message(e) };
        }
    },

    // signature: t=<t>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>.
    // GlideCertificateEncryption.generateMac takes a base64 key and answers base64.
    signature: function (secret, t, body) {
        var key = GlideStringUtil.base64Encode(secret);
        var mac = new GlideCertificateEncryption().generateMac(key, 'HmacSHA256', t + '.' + body);
        return 't=' + t + ',v1=' + this.base64ToHex(String(mac));
    },

    base64ToHex: function (b64) {
        var alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
        var hex = '';
        var acc = 0;
        var bits = 0;
        for (var i = 0; i < b64.length; i++) {
            var c = b64.charAt(i);
            if (c == '=') {
                break;
            }
            var v = alphabet.indexOf(c);
            if (v < 0) {
                continue;
            }
            acc = ((acc << 6) | v) & 0xffff;
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                var octet = (acc >> bits) & 0xff;
                hex += (octet < 16 ? '0' : '') + octet.toString(16);
            }
        }
        return hex;
    },

    // describe turns an answer into words: the problem document's title and
    // detail (and its field errors), else the status and the error.
    describe: function (answer) {
        if (answer.status === 0) {
            return 'no answer from ' + this.settings.ingestUrl + (answer.error ? ': ' + answer.error : '');
        }
        var text = 'HTTP ' + answer.status;
        var p = null;
        try {
            p = JSON.parse(answer.body);
        } catch (e) {
            p = null;
        }
        if (p && typeof p == 'object') {
            if (p.title) {
                text += ' ' + p.title;
            }
            if (p.detail) {
                text += ': ' + p.detail;
            }
            if (p.errors && p.errors.length) {
                var parts = [];
                for (var i = 0; i < p.errors.length && i < 5; i++) {
                    parts.push(String(p.errors[i].field) + ': ' + String(p.errors[i].detail));
                }
                text += ' (' + parts.join('; ') + ')';
            }
        } else if (answer.body) {
            text += ': ' + answer.body.substring(0, 300);
        }
        return text;
    },

    retryAfterSeconds: function (header) {
        var h = String(header || '').replace(/^\s+|\s+$/g, '');
        var s = 0;
        if (/^\d+$/.test(h)) {
            s = parseInt(h, 10);
        } else if (h) {
            var at = Date.parse(h);
            if (!isNaN(at)) {
                s = Math.ceil((at - new GlideDateTime().getNumericValue()) / 1000);
            }
        }
        return Math.max(0, Math.min(s, EscalatorClient.MAX_RETRY_AFTER_S));
    },

    backoffSeconds: function (attempts) {
        var s = EscalatorClient.FIRST_RETRY_S * Math.pow(2, Math.max(0, attempts - 1));
        return Math.min(s, EscalatorClient.MAX_RETRY_S);
    },

    // ------------------------------------------------------------ row states

    _sent: function (row, attempts, body) {
        var seq = '';
        var duplicate = false;
        try {
            var accepted = JSON.parse(body).accepted || [];
            for (var i = 0; i < accepted.length; i++) {
                if (String(accepted[i].id) == String(row.getUniqueValue()) || accepted.length == 1) {
                    seq = String(accepted[i].seq);
                    duplicate = accepted[i].duplicate === true;
                }
            }
        } catch (e) {
            seq = '';
        }
        // Escalator may have acted on the event already (pull, or a fast
        // worker): never move a row back from its outcome.
        var state = this._currentState(row);
        row.setValue('u_attempts', attempts);
        row.setValue('u_last_error', '');
        row.setValue('u_next_attempt', '');
        if (seq) {
            row.setValue('u_event_seq', seq);
        }
        if (state == 'pending') {
            row.setValue('u_state', 'sent');
            row.setValue('u_result', (duplicate ? 'Already stored by Escalator' : 'Stored by Escalator') +
                (seq ? ' as event ' + seq : '') + '; waiting for Escalator to act on it.');
        } else {
            row.setValue('u_state', state);
        }
        row.update();
        return 'sent';
    },

    // _retryLater schedules the next attempt; a work note tells the incident
    // once: at the first attempt for a configuration problem (noteNow), else
    // at the third.
    _retryLater: function (row, attempts, reason, retryAfter, noteNow) {
        var kind = String(row.getValue('u_type'));
        if (attempts >= EscalatorClient.MAX_ATTEMPTS) {
            return this._fail(row, attempts, 'Not delivered after ' + attempts + ' attempts; last: ' + reason);
        }
        var wait = Math.max(this.backoffSeconds(attempts), retryAfter);
        var next = this.client._later(wait);
        row.setValue('u_attempts', attempts);
        row.setValue('u_next_attempt', next.getValue());
        row.setValue('u_last_error', reason.substring(0, 4000));
        row.setValue('u_result', 'Not delivered to Escalator yet (attempt ' + attempts + '); next attempt at ' +
            next.getValue() + ' UTC. ' + reason.substring(0, 500));
        row.update();
        if (noteNow ? attempts == 1 : attempts == EscalatorClient.NOTE_AT_ATTEMPT) {
            this.note(row, 'The ' + EscalatorClient.LABELS[kind] + ' has not reached Escalator yet (' + attempts +
                ' attempt' + (attempts == 1 ? '' : 's') + '): ' + reason + ' It is retried automatically.');
        }
        return 'retry';
    },

    _fail: function (row, attempts, reason) {
        var kind = String(row.getValue('u_type'));
        row.setValue('u_state', 'failed');
        row.setValue('u_attempts', attempts);
        row.setValue('u_next_attempt', '');
        row.setValue('u_last_error', reason.substring(0, 4000));
        row.setValue('u_result', reason.substring(0, 1000) + ' An administrator can fix this and use "Send again".');
        row.update();
        this.note(row, 'The ' + EscalatorClient.LABELS[kind] + ' failed: ' + reason +
            ' An administrator can fix this and use "Send again" on the request.');
        return 'failed';
    },

    _currentState: function (row) {
        var fresh = new GlideRecord(EscalatorClient.TABLE);
        if (fresh.get(row.getUniqueValue())) {
            return String(fresh.getValue('u_state'));
        }
        return String(row.getValue('u_state'));
    },

    // note adds a work note to the row's incident, marked so that the
    // incident's update rule does not send it back to Escalator.
    note: function (row, text) {
        var inc = new GlideRecord('incident');
        if (!inc.get(String(row.getValue('u_incident')))) {
            gs.warn('Escalator: ' + text);
            return;
        }
        inc.setValue('work_notes', EscalatorClient.NOTE_PREFIX + text);
        inc.update();
    },

    _message: function (e) {
        if (e && typeof e.getMessage == 'function') {
            return String(e.getMessage());
        }
        return String(e && e.message ? e.message : e);
    },

    type: 'EscalatorPush'
};
