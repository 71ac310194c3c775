/*
 * Client script of the UI page escalator_escalation_dialog (runs in the
 * browser): applies the default severity, checks the answers, and turns the
 * local problem start time into UTC before the form is sent.
 */
function escalatorField(id) {
    return gel(id);
}

function escalatorShowError(text) {
    var el = escalatorField('escalator_error');
    if (el) {
        el.innerHTML = '';
        el.appendChild(document.createTextNode(text));
    }
    return false;
}

function escalatorSubmit() {
    var title = escalatorField('escalator_title').value.replace(/^\s+|\s+$/g, '');
    var description = escalatorField('escalator_description').value.replace(/^\s+|\s+$/g, '');
    if (!title) {
        return escalatorShowError('Give the case a title.');
    }
    if (!description) {
        return escalatorShowError('Describe the problem for Microsoft support.');
    }
    if (escalatorField('escalator_contact_method').value == 'phone' &&
            !escalatorField('escalator_phone').value.replace(/^\s+|\s+$/g, '')) {
        return escalatorShowError('Give a phone number, or choose email as the contact method.');
    }
    var start = escalatorField('escalator_problem_start').value;
    escalatorField('escalator_problem_start_utc').value = '';
    if (start) {
        var at = new Date(start);
        if (isNaN(at.getTime())) {
            return escalatorShowError('The problem start time is not a date and time.');
        }
        if (at.getTime() > new Date().getTime() + 5 * 60 * 1000) {
            return escalatorShowError('The problem start time is in the future.');
        }
        escalatorField('escalator_problem_start_utc').value = at.toISOString();
    }
    return true;
}

function escalatorCancel() {
    GlideModal.get().destroy();
    return false;
}

(function escalatorApplyDefaults() {
    var severity = escalatorField('escalator_default_severity');
    if (severity && severity.value) {
        escalatorField('escalator_severity').value = severity.value;
    }
})();
