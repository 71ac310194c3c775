/*
 * Processing script of the UI page escalator_escalation_dialog (server side,
 * when the dialog is submitted). Each form field is a variable of the same
 * name. requestEscalation checks the role again and records the request in
 * the outbox, in this transaction.
 */
(function () {
    var incident = new GlideRecord('incident');
    if (!incident.get(String(incident_sys_id))) {
        gs.addErrorMessage('The incident to escalate was not found.');
        response.sendRedirect('incident_list.do');
        return;
    }
    var consent = typeof escalator_consent == 'undefined' ? '' : String(escalator_consent);
    var result = new EscalatorClient().requestEscalation(incident, {
        title: escalator_title,
        description: escalator_description,
        severity: escalator_severity,
        contact_method: escalator_contact_method,
        phone: escalator_phone,
        problem_start_time: escalator_problem_start_utc,
        consent: consent
    });
    if (result.ok) {
        gs.addInfoMessage(result.message);
    } else {
        gs.addErrorMessage(result.message);
    }
    response.sendRedirect('incident.do?sys_id=' + incident.getUniqueValue());
})();
