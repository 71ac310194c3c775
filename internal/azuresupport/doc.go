// Package azuresupport is the client of the Azure Support API
// (Microsoft.Support on Azure Resource Manager): support tickets and their
// communications, the catalog of services and problem classifications, the
// classification of an issue, and the asynchronous operations a create
// starts. It knows ARM and the Support API and nothing of ServiceNow or of
// how Escalator decides to open a case: the escalation handlers reach it
// through the small interfaces they declare, so that another case route
// can stand beside it.
//
// Ticket and communication names are chosen by the caller and unique per
// subscription; TicketName and CommunicationName derive them from what is
// escalated, so a repeated create finds the ticket instead of filing a
// second one. Errors of ARM are *ARMError, classified for internal/fault;
// the bearer token is only ever sent to the configured ARM origin.
package azuresupport
