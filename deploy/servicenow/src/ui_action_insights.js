/*
 * UI action "Get Microsoft 365 insights" (incident form button). Shown by its
 * condition to users with escalator_insights_user; requestInsights checks
 * the role again on the server.
 */
(function () {
    var result = new EscalatorClient().requestInsights(current);
    if (result.ok) {
        gs.addInfoMessage(result.message);
    } else {
        gs.addErrorMessage(result.message);
    }
    action.setRedirectURL(current);
})();
