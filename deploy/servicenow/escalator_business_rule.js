/*
 * ServiceNow business rule: send an incident event to Escalator.
 *
 * Table: incident. When: async (after), on insert/update, with a condition
 * that matches the action (e.g. a UI action sets a flag, or "Work notes
 * changes" for updates). Create one rule per event type, setting TYPE below
 * to one of:
 *   com.servicenow.incident.insights.requested    (role x_mioms_m365_assis.insights_user)
 *   com.servicenow.incident.escalation.requested  (role x_mioms_m365_assis.administrator)
 *   com.servicenow.incident.updated
 *
 * System properties:
 *   escalator.ingest_url    e.g. https://escalator.example.com/v1/events
 *   escalator.ingest_token  one of ESCALATOR_INGEST_TOKENS (store it as a password property)
 */
(function executeRule(current, previous /* null when async */) {
	var TYPE = 'com.servicenow.incident.updated';

	var user = gs.getUser();
	var roles = [];
	var userRoles = user.getRoles();
	for (var i = 0; i < userRoles.size(); i++) {
		roles.push(String(userRoles.get(i)));
	}

	var data = {
		incident: {
			sys_id: String(current.sys_id),
			number: String(current.number),
			short_description: String(current.short_description),
			description: String(current.description),
			priority: String(current.priority),
			urgency: String(current.urgency),
			impact: String(current.impact),
			state: String(current.state),
			category: String(current.category),
			assignment_group: String(current.assignment_group.getDisplayValue()),
			caller_id: String(current.caller_id.user_name),
			opened_at: String(current.opened_at),
			close_code: String(current.close_code),
			close_notes: String(current.close_notes)
		},
		requested_by: {
			user_name: String(user.getName()),
			email: String(user.getEmail()),
			roles: roles
		}
	};
	if (TYPE === 'com.servicenow.incident.updated') {
		var note = current.work_notes.getJournalEntry(1);
		data.change = {work_note: note ? String(note).replace(/^.*\n/, '') : ''};
	}

	var event = {
		specversion: '1.0',
		// The id makes a retried POST a duplicate, stored once.
		id: gs.generateGUID(),
		source: gs.getProperty('glide.servlet.uri'),
		type: TYPE,
		time: new GlideDateTime().getValue().replace(' ', 'T') + 'Z',
		datacontenttype: 'application/json',
		data: data
	};

	var r = new sn_ws.RESTMessageV2();
	r.setEndpoint(gs.getProperty('escalator.ingest_url'));
	r.setHttpMethod('post');
	r.setRequestHeader('Content-Type', 'application/cloudevents+json');
	r.setRequestHeader('Authorization', 'Bearer ' + gs.getProperty('escalator.ingest_token'));
	r.setRequestBody(JSON.stringify(event));
	var response = r.execute();
	var status = response.getStatusCode();
	if (status != 202) {
		gs.error('Escalator refused event ' + event.id + ' for ' + current.number + ': HTTP ' + status + ' ' + response.getBody());
	}
})(current, previous);
