// Package escalation opens and keeps in sync the Microsoft support case of a
// ServiceNow incident: the escalation and case-sync handlers, the single
// linked Microsoft 365 admin account (checked in the directory before it is
// linked), idempotent case claims and the choice of each case's service by the
// Support API's classification. The Azure Support API itself is spoken by
// internal/azuresupport, behind the interfaces declared here.
package escalation
