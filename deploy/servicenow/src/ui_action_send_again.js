/*
 * UI action "Send again" (Escalator request form, for
 * escalator_administrator): after fixing what made a request fail, sends it
 * again with the same CloudEvent id.
 */
(function () {
    var result = new EscalatorPush().sendAgain(current);
    if (result.ok) {
        gs.addInfoMessage(result.message);
    } else {
        gs.addErrorMessage(result.message);
    }
    action.setRedirectURL(current);
})();
