#!/usr/bin/env node
'use strict';
// build.js writes escalator-update-set.xml from records.js and src/: an
// <unload> with one sys_remote_update_set and one sys_update_xml per record,
// each payload the escaped <record_update> an instance exports, in the
// layout of update sets exported from real instances. sys_ids are derived
// from the records' names, so the build is reproducible.
//
//   node deploy/servicenow/build.js           write the XML
//   node deploy/servicenow/build.js --check   exit 1 if the XML and the sources differ

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const R = require('./records');

const SRC = path.join(__dirname, 'src');
const OUT = path.join(__dirname, 'escalator-update-set.xml');
const WHEN = R.updateSet.release;
const GLOBAL = { value: 'global', attrs: { display_value: 'Global' } };
const PACKAGE = { value: 'global', attrs: { display_value: 'Global', source: 'global' } };

const sysId = (key) => crypto.createHash('md5').update('escalator:' + key).digest('hex');
const read = (file) => fs.readFileSync(path.join(SRC, file), 'utf8');

function esc(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}
function attrs(a) {
  return Object.keys(a || {}).sort().map((k) => ' ' + k + '="' + esc(a[k]).replace(/"/g, '&quot;') + '"').join('');
}
function el(name, v) {
  const value = v !== null && typeof v === 'object' ? v.value : v;
  const a = v !== null && typeof v === 'object' ? attrs(v.attrs) : '';
  const text = value === undefined || value === null ? '' : String(value);
  return text === '' ? '<' + name + a + '/>' : '<' + name + a + '>' + esc(text) + '</' + name + '>';
}
function fieldsXml(f) {
  return Object.keys(f).sort().map((k) => el(k, f[k])).join('');
}
const bool = (b) => (b ? 'true' : 'false');

// javaHash is Java's String.hashCode, the form of payload_hash.
function javaHash(s) {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

function common(table, id, sysName, updateName, domain) {
  const f = {
    sys_class_name: table, sys_created_by: 'admin', sys_created_on: WHEN, sys_id: id, sys_mod_count: '0',
    sys_name: sysName, sys_package: PACKAGE, sys_policy: '', sys_scope: GLOBAL, sys_update_name: updateName,
    sys_updated_by: 'admin', sys_updated_on: WHEN,
  };
  if (domain) Object.assign(f, { sys_domain: 'global', sys_domain_path: '/', sys_overrides: '' });
  return f;
}

// standard is a record of table as most are exported.
function standard(table, key, sysName, fields, opts = {}) {
  const id = sysId(table + ':' + key);
  const name = table + '_' + id;
  const f = Object.assign(common(table, id, sysName, name, opts.domain), fields);
  const payload = '<?xml version="1.0" encoding="UTF-8"?><record_update' + (opts.domain ? ' sys_domain="global"' : '') +
    ' table="' + table + '"><' + table + ' action="INSERT_OR_UPDATE">' + fieldsXml(f) + '</' + table + '>' +
    (opts.translated ? '<sys_translated_text action="delete_multiple" query="documentkey=' + id + '"/>' : '') + '</record_update>';
  return { id, name, type: opts.type, target: opts.target || sysName, table: opts.table || '', payload };
}

function role(r) {
  return standard('sys_user_role', r.name, r.name, {
    assignable_by: '', can_delegate: 'true', description: r.description, elevated_privilege: 'false', grantable: 'true',
    includes_roles: '', name: r.name, requires_subscription: '-1', scoped_admin: 'false', suffix: r.name,
  }, { type: 'Role' });
}

function table() {
  return standard('sys_db_object', R.table.name, R.table.label, {
    access: 'public', actions_access: 'false', alter_access: 'false', caller_access: '', client_scripts_access: 'false',
    configuration_access: 'false', create_access: 'false', create_access_controls: 'false', delete_access: 'false',
    extension_model: '', is_extendable: 'false', label: R.table.label, live_feed_enabled: 'false', name: R.table.name,
    number_ref: '', provider_class: '', read_access: 'true', scriptable_table: 'false', super_class: '', sys_class_code: '',
    sys_class_path: '', update_access: 'false', user_role: '', ws_access: 'true',
  }, { type: 'Table', table: R.table.name });
}

const TYPE_LABEL = { string: 'String', reference: 'Reference', integer: 'Integer', glide_date_time: 'Date/Time', collection: 'Collection' };

function dictionary(f) {
  const t = R.table.name;
  const element = f ? f.element : '';
  const updateName = 'sys_dictionary_' + t + '_' + (element || 'null');
  const id = sysId('sys_dictionary:' + t + '.' + element);
  const type = f ? f.type : 'collection';
  const fields = Object.assign(common('sys_dictionary', id, f ? f.label : t, updateName), {
    active: 'true', array: 'false', array_denormalized: 'false', attributes: '', audit: 'false', choice: f && f.choice ? f.choice : '',
    choice_field: '', choice_table: '', column_label: f ? f.label : '', comments: '', create_roles: '', default_value: (f && f.default) || '',
    defaultsort: '', delete_roles: '', dependent: '', dependent_on_field: '', display: 'false', dynamic_creation: 'false',
    dynamic_creation_script: '', dynamic_default_value: '', dynamic_ref_qual: '', element, element_reference: 'false',
    foreign_database: '', function_definition: '', function_field: 'false', internal_type: { value: type, attrs: { display_value: TYPE_LABEL[type] } },
    mandatory: bool(f && f.mandatory), max_length: f ? String(f.max) : '40', name: t, next_element: '', primary: 'false', read_only: 'false',
    read_roles: '', reference: f && f.reference ? { value: f.reference, attrs: { display_value: 'Incident' } } : '',
    reference_cascade_rule: '', reference_floats: 'false', reference_key: '', reference_qual: '', reference_qual_condition: '',
    reference_type: '', sizeclass: '', spell_check: 'false', staged: 'false', table_reference: 'false', text_index: 'false',
    unique: 'false', use_dependent_field: 'false', use_dynamic_default: 'false', use_reference_qualifier: 'simple', virtual: 'false',
    widget: '', write_roles: '', xml_view: 'false',
  });
  const payload = '<?xml version="1.0" encoding="UTF-8"?><record_update><sys_dictionary action="INSERT_OR_UPDATE"' +
    attrs({ element, table: t }) + '>' + fieldsXml(fields) + '</sys_dictionary></record_update>';
  return { id, name: updateName, type: 'Dictionary', target: R.table.label + (f ? '.' + f.label : ''), table: t, payload };
}

function documentation(f) {
  const t = R.table.name;
  const element = f ? f.element : '';
  const label = f ? f.label : R.table.label;
  const plural = f ? f.label + 's' : R.table.plural;
  const updateName = 'sys_documentation_' + t + '_' + element + '_en';
  const id = sysId('sys_documentation:' + t + '.' + element);
  const fields = Object.assign(common('sys_documentation', id, label, updateName), {
    element, help: '', hint: '', label, language: 'en', name: t, plural, url: '', url_target: '',
  });
  const payload = '<?xml version="1.0" encoding="UTF-8"?><record_update><sys_documentation' + attrs({ element, label, language: 'en', table: t }) +
    '><sys_documentation action="INSERT_OR_UPDATE">' + fieldsXml(fields) + '</sys_documentation></sys_documentation></record_update>';
  return { id, name: updateName, type: 'Field Label', target: R.table.label + (f ? '.' + f.label : ''), table: t, payload };
}

function choices(f) {
  const t = R.table.name;
  const updateName = 'sys_choice_' + t + '_' + f.element;
  const items = f.choices.map(([value, label], i) => '<sys_choice action="INSERT_OR_UPDATE">' + fieldsXml({
    dependent_value: '', element: f.element, hint: '', inactive: 'false', label, language: 'en', name: t, sequence: String(i),
    sys_created_by: 'admin', sys_created_on: WHEN, sys_domain: 'global', sys_domain_path: '/', sys_id: sysId('sys_choice:' + t + '.' + f.element + '.' + value),
    sys_mod_count: '0', sys_updated_by: 'admin', sys_updated_on: WHEN, value,
  }) + '</sys_choice>').join('');
  const setId = sysId('sys_choice_set:' + t + '.' + f.element);
  const set = '<sys_choice_set action="INSERT_OR_UPDATE">' + fieldsXml(Object.assign(common('sys_choice_set', setId, f.element, updateName), {
    element: f.element, name: t, sys_customer_update: 'true', sys_replace_on_upgrade: 'false',
  })) + '</sys_choice_set>';
  const payload = '<?xml version="1.0" encoding="UTF-8"?><record_update><sys_choice action="INSERT_OR_UPDATE"' +
    attrs({ field: f.element, table: t, version: '3' }) + '>' + items + set + '</sys_choice></record_update>';
  return { id: setId, name: updateName, type: 'Choice list', target: R.table.label + '.' + f.label, table: t, payload };
}

function property(p) {
  return standard('sys_properties', p.name, p.name, {
    choices: '', description: p.description, ignore_cache: 'false', is_private: 'false', name: p.name,
    read_roles: p.type === 'password2' ? 'admin' : '', suffix: '', type: p.type, value: p.value, write_roles: 'admin',
  }, { type: 'System Property', translated: true });
}

function category() {
  return standard('sys_properties_category', 'Escalator', 'Escalator', {
    name: 'Escalator', title: '<p>Escalator: where the instance sends Microsoft 365 insights and support requests. See the Escalator README, "Installing the ServiceNow side".</p>',
  }, { type: 'System Property Category', translated: true });
}

function categoryMember(p, i) {
  return standard('sys_properties_category_m2m', p.name, p.name + '.Escalator', {
    category: { value: sysId('sys_properties_category:Escalator'), attrs: { display_value: 'Escalator' } },
    order: String(100 + 10 * i), property: { value: sysId('sys_properties:' + p.name), attrs: { display_value: p.name } },
  }, { type: 'Category Property' });
}

function scriptInclude(s) {
  return standard('sys_script_include', s.name, s.name, {
    access: 'public', active: 'true', api_name: 'global.' + s.name, caller_access: '', client_callable: 'false',
    description: s.description, mobile_callable: 'false', name: s.name, sandbox_callable: 'false', script: read(s.file),
  }, { type: 'Script Include' });
}

function acl(a) {
  return standard('sys_security_acl', R.table.name + '.' + a.operation, R.table.name, {
    active: 'true', admin_overrides: 'true', advanced: 'true', condition: '', description: a.description, name: R.table.name,
    operation: { value: a.operation, attrs: { display_value: a.operation } }, script: a.script,
    type: { value: 'record', attrs: { display_value: 'record' } },
  }, { type: 'Access Control', table: R.table.name });
}

function businessRule(b) {
  return standard('sys_script', b.name, b.name, {
    abort_action: 'false', access: 'package_private', action_delete: 'false', action_insert: bool(b.insert), action_query: 'false',
    action_update: bool(b.update), active: 'true', add_message: 'false', advanced: 'true', change_fields: 'false',
    client_callable: 'false', collection: b.table, condition: '', description: b.description, execute_function: 'false',
    filter_condition: '', is_rest: 'false', message: '', name: b.name, order: String(b.order), priority: '100', rest_method: '',
    rest_method_text: '', rest_service: '', rest_service_text: '', rest_variables: '', role_conditions: '', script: read(b.file),
    template: '', when: b.when,
  }, { type: 'Business Rule', domain: true, translated: true, table: b.table });
}

function uiAction(u) {
  return standard('sys_ui_action', u.table + '.' + u.action_name, u.name, {
    action_name: u.action_name, active: 'true', client: bool(u.client), client_script_v2: '', comments: u.hint, condition: u.condition,
    form_action: bool(u.form_button), form_button: bool(u.form_button), form_button_v2: 'false', form_context_menu: 'false',
    form_link: 'false', form_menu_button_v2: 'false', form_style: '', hint: u.hint, isolate_script: 'false', keyboard_shortcut: '',
    list_action: bool(u.list_banner_button), list_banner_button: bool(u.list_banner_button), list_button: 'false', list_choice: 'false',
    list_context_menu: 'false', list_link: 'false', list_save_with_form_button: 'false', list_style: '', messages: '', name: u.name,
    onclick: u.onclick || '', order: '100', script: read(u.file), show_insert: 'false', show_multiple_update: 'false',
    show_query: 'false', show_update: 'true', table: u.table, ui11_compatible: 'true', ui16_compatible: 'true',
  }, { type: 'UI Action', domain: true, translated: true, table: u.table });
}

function uiPage(p) {
  return standard('sys_ui_page', p.name, p.name, {
    category: 'general', client_script: read(p.client), description: p.description, direct: 'false', endpoint: p.name + '.do',
    html: read(p.html), name: p.name, processing_script: read(p.processing),
  }, { type: 'UI Page' });
}

function job(j) {
  const period = new Date(j.periodSeconds * 1000).toISOString().replace('T', ' ').slice(0, 19);
  return standard('sysauto_script', j.name, j.name, {
    active: 'true', business_calendar: '', condition: '', conditional: 'false', entered_time: '1970-01-01 00:00:00', max_drift: '',
    name: j.name, offset: '', offset_type: '0', priority: '100', run_as: '', run_as_tz: '', run_dayofmonth: '1', run_dayofweek: '1',
    run_period: period, run_start: WHEN, run_time: '1970-01-01 00:00:00', run_type: 'periodically', script: read(j.file),
    time_zone: '', upgrade_safe: 'false',
  }, { type: 'Scheduled Script Execution' });
}

function menu() {
  const m = R.menu;
  const app = standard('sys_app_application', m.title, m.title, {
    active: 'true', category: '', description: 'Escalator requests and settings', device_type: 'browser', hint: '', name: '',
    order: '500', roles: m.roles, title: m.title, view_name: '',
  }, { type: 'Application Menu', domain: true });
  const modules = m.modules.map((mod) => standard('sys_app_module', m.title + '.' + mod.title, mod.title, {
    active: 'true', application: { value: app.id, attrs: { display_value: m.title } }, assessment: '', device_type: '', filter: '',
    hint: '', homepage: '', image: '', link_type: mod.link_type, map_page: '', mobile_title: '', mobile_view_name: 'Mobile',
    name: mod.name || '', order: String(mod.order), override_menu_roles: 'false', query: mod.query || '', report: '', roles: mod.roles,
    timeline_page: '', title: mod.title, uncancelable: 'false', view_name: '', window_name: '',
  }, { type: 'Module', domain: true, table: mod.name || '' }));
  return [app].concat(modules);
}

function updates() {
  return [].concat(
    R.roles.map(role),
    [table(), dictionary(null)], R.fields.map(dictionary),
    [documentation(null)], R.fields.map(documentation),
    R.fields.filter((f) => f.choices).map(choices),
    R.properties.map(property), [category()], R.properties.map(categoryMember),
    R.scriptIncludes.map(scriptInclude), R.acls.map(acl), R.businessRules.map(businessRule),
    R.uiActions.map(uiAction), R.uiPages.map(uiPage), R.jobs.map(job), menu());
}

function build() {
  const setId = sysId('sys_remote_update_set:' + R.updateSet.name);
  const epoch = Date.parse(WHEN.replace(' ', 'T') + 'Z');
  const head = fieldsLines({
    application: GLOBAL, application_name: 'Global', application_scope: 'global', application_version: '', collisions: '',
    commit_date: '', deleted: '', description: R.updateSet.description, inserted: '', name: R.updateSet.name, origin_sys_id: '',
    parent: { value: '', attrs: { display_value: '' } }, release_date: '', remote_base_update_set: { value: '', attrs: { display_value: '' } },
    remote_parent_id: '', remote_sys_id: sysId('sys_update_set:' + R.updateSet.name), state: 'loaded', summary: '',
    sys_class_name: 'sys_remote_update_set', sys_created_by: 'admin', sys_created_on: WHEN, sys_id: setId, sys_mod_count: '0',
    sys_updated_by: 'admin', sys_updated_on: WHEN, update_set: { value: '', attrs: { display_value: '' } },
    update_source: { value: '', attrs: { display_value: '' } }, updated: '',
  });
  const body = updates().map((u, i) => {
    const hash = String(javaHash(u.payload));
    const guid = sysId('update_guid:' + u.name + ':' + hash);
    return '<sys_update_xml action="INSERT_OR_UPDATE">\n' + fieldsLines({
      action: 'INSERT_OR_UPDATE', application: GLOBAL, category: 'customer', comments: '', name: u.name, payload: u.payload,
      payload_hash: hash, remote_update_set: { value: setId, attrs: { display_value: R.updateSet.name } }, replace_on_upgrade: 'false',
      sys_created_by: 'admin', sys_created_on: WHEN, sys_id: sysId('sys_update_xml:' + u.name), sys_mod_count: '0',
      sys_recorded_at: epoch.toString(16) + String(i + 1).padStart(7, '0'), sys_updated_by: 'admin', sys_updated_on: WHEN,
      table: u.table, target_name: u.target, type: u.type, update_domain: 'global', update_guid: guid,
      update_guid_history: guid + ':' + hash, update_set: { value: '', attrs: { display_value: '' } }, view: '',
    }) + '</sys_update_xml>\n';
  }).join('');
  return '<?xml version="1.0" encoding="UTF-8"?><unload unload_date="' + WHEN + '">\n<sys_remote_update_set action="INSERT_OR_UPDATE">\n' +
    head + '</sys_remote_update_set>\n' + body + '</unload>\n';
}

function fieldsLines(f) {
  return Object.keys(f).sort().map((k) => el(k, f[k]) + '\n').join('');
}

function main(argv) {
  const xml = build();
  if (argv.includes('--check')) {
    const have = fs.existsSync(OUT) ? fs.readFileSync(OUT, 'utf8') : '';
    if (have !== xml) {
      process.stderr.write('deploy/servicenow/escalator-update-set.xml is out of date with src/ and records.js: run node deploy/servicenow/build.js and commit it\n');
      return 1;
    }
    process.stdout.write('deploy/servicenow/escalator-update-set.xml matches its sources (' + updates().length + ' records)\n');
    return 0;
  }
  fs.writeFileSync(OUT, xml);
  process.stdout.write('wrote ' + path.relative(process.cwd(), OUT) + ' (' + updates().length + ' records)\n');
  return 0;
}

module.exports = { build, updates, sysId, javaHash };

if (require.main === module) process.exit(main(process.argv.slice(2)));
