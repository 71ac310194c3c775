package streams

import "strconv"

// Stream, consumer and bucket names fixed by the design.
const (
	// StreamName holds every event, subjects "escalator.>".
	StreamName = "ESCALATOR"
	// StreamSubjects is the subject filter of StreamName and of the consumer.
	StreamSubjects = "escalator.>"
	// DLQStreamName holds dead letters; a dead letter of subject S is
	// published to DLQPrefix+S.
	DLQStreamName = "ESCALATOR_DLQ"
	// DLQSubjects is the subject filter of DLQStreamName.
	DLQSubjects = "dlq.escalator.>"
	// DLQPrefix is prepended to the original subject of a dead letter.
	DLQPrefix = "dlq."
	// ConsumerName is the durable pull consumer every worker replica shares.
	ConsumerName = "worker"

	BucketCases    = "escalator_cases"
	BucketAccounts = "escalator_accounts"
	BucketHealth   = "escalator_health"
	BucketInsights = "escalator_insights"
	// BucketReplay records replay progress.
	BucketReplay = "escalator_replay"
	// BucketOutbox records, per ServiceNow outbox row (key: its sys_id),
	// the stream sequence its event was stored at and the outcome reported
	// for it; its entries expire after MaxAge, with the events.
	BucketOutbox = "escalator_outbox"
	// BucketLeases holds the leases of the scheduled jobs whose own bucket
	// has no room for one (the case sync's: every key of escalator_cases is
	// an incident), key "lease.<tick name>".
	BucketLeases = "escalator_leases"
)

// Headers a dead letter carries beside the original body and headers.
const (
	HeaderOrigSubject = "Escalator-Original-Subject"
	HeaderOrigSeq     = "Escalator-Stream-Seq"
	HeaderDeliveries  = "Escalator-Deliveries"
	// HeaderErrorClass is "transient" or "permanent" (fault.Class.String).
	HeaderErrorClass = "Escalator-Error-Class"
	HeaderReason     = "Escalator-Reason"
	// HeaderFailedAt is RFC 3339.
	HeaderFailedAt = "Escalator-Failed-At"
)

// DLQSubject is the dead-letter subject of an event subject.
func DLQSubject(subject string) string { return DLQPrefix + subject }

// DLQMsgID is the Nats-Msg-Id of the dead letter of stream sequence seq: a
// repeated dead-lettering of the same message is stored once.
func DLQMsgID(seq uint64) string { return "dlq-" + strconv.FormatUint(seq, 10) }
