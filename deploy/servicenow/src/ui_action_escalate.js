/*
 * UI action "Escalate to Microsoft support" (incident form button, client
 * side): opens the escalation dialog (UI page escalator_escalation_dialog),
 * whose processing script records the request on the server after checking
 * the role again.
 */
function escalatorOpenEscalationDialog() {
    if (g_form.isNewRecord()) {
        g_form.addErrorMessage('Save the incident before escalating it.');
        return false;
    }
    var dialog = new GlideModal('escalator_escalation_dialog');
    dialog.setTitle('Escalate to Microsoft support');
    dialog.setWidth(680);
    dialog.setPreference('sysparm_incident_id', g_form.getUniqueValue());
    dialog.render();
    return false;
}
