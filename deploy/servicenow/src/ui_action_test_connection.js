/*
 * UI action "Test connection" (Escalator requests list, for
 * escalator_administrator): checks that ingest is reachable, accepts the
 * token and the instance's signature, and agrees on the instance's URL.
 */
(function () {
    var result = new EscalatorSetup().testConnection();
    if (result.ok) {
        gs.addInfoMessage(result.message);
    } else {
        gs.addErrorMessage(result.message);
    }
    action.setRedirectURL('u_escalator_outbox_list.do');
})();
