/*
 * EscalatorSetup checks the instance's Escalator configuration for the
 * "Test connection" button: POST {ingest base}/v1/ping with the bearer token
 * and the signature over {"source":"<instance URL>"}. Ingest answers
 * 200 {"status":"ok","signature":"verified"|"not_required",
 * "source":"match"|"mismatch"|"not_checked"} or a problem document.
 *
 * Global scope, ES5.
 */
var EscalatorSetup = Class.create();

EscalatorSetup.prototype = {
    initialize: function () {
        this.push = new EscalatorPush();
        this.settings = this.push.settings;
    },

    pingUrl: function () {
        var u = this.settings.ingestUrl.replace(/\/+$/, '');
        if (/\/v1\/events$/.test(u)) {
            return u.replace(/\/v1\/events$/, '/v1/ping');
        }
        return u + '/v1/ping';
    },

    // testConnection answers {ok, message}; the message says what to fix.
    testConnection: function () {
        if (!gs.hasRole('escalator_administrator')) {
            return { ok: false, message: 'You need the role escalator_administrator to test the connection.' };
        }
        var problem = this.push.configProblem();
        if (problem) {
            return { ok: false, message: problem };
        }
        var s = this.settings;
        var url = this.pingUrl();
        var answer = this.push.send(url, this.push.ascii('{"source":' + JSON.stringify(s.source) + '}'));
        var via = s.midServer ? ' through the MID Server ' + s.midServer : '';
        if (answer.status === 0) {
            return {
                ok: false,
                message: 'Escalator at ' + url + ' is not reachable' + via + ': ' + (answer.error || 'no answer') +
                    '. Pushing needs a network path from the instance to Escalator: public HTTPS, or a MID Server ' +
                    '(escalator.mid_server); without either, set escalator.push_enabled to false and let Escalator pull.'
            };
        }
        if (answer.status == 401) {
            return {
                ok: false,
                message: 'Escalator refused the token or the signature (' + this.push.describe(answer) + '). ' +
                    'escalator.ingest_token must be one of ESCALATOR_INGEST_TOKENS, and escalator.signing_secret ' +
                    'one of ESCALATOR_INGEST_SIGNING_SECRETS.'
            };
        }
        if (answer.status == 404) {
            return {
                ok: false,
                message: url + ' answered 404: escalator.ingest_url must be the events URL of Escalator ' +
                    '(https://<host>/v1/events), and that Escalator must be recent enough to answer /v1/ping.'
            };
        }
        if (answer.status != 200) {
            return { ok: false, message: 'Escalator at ' + url + ' answered ' + this.push.describe(answer) + '.' };
        }
        var p = {};
        try {
            p = JSON.parse(answer.body) || {};
        } catch (e) {
            return { ok: false, message: url + ' answered 200 but not with JSON: is it Escalator?' };
        }
        var lines = ['Escalator at ' + url + ' is reachable' + via + ' and accepted the token.'];
        var ok = true;
        if (p.signature == 'verified') {
            lines.push('It verified the instance\'s signature.');
        } else if (s.secret) {
            lines.push('It does not check signatures: set ESCALATOR_INGEST_SIGNING_SECRETS there to the value of escalator.signing_secret.');
        } else {
            lines.push('Requests are not signed (escalator.signing_secret is empty) and Escalator does not require it.');
        }
        if (p.source == 'mismatch') {
            ok = false;
            lines.push('ESCALATOR_SERVICENOW_URL at Escalator is not this instance (' + s.source +
                '): Escalator refuses its events until they agree.');
        } else if (p.source == 'match') {
            lines.push('This instance\'s URL matches ESCALATOR_SERVICENOW_URL.');
        } else {
            lines.push('Escalator does not check the events\' source (ESCALATOR_SERVICENOW_URL is not set there).');
        }
        return { ok: ok, message: lines.join(' ') };
    },

    type: 'EscalatorSetup'
};
